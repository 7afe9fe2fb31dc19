import { InvalidArgumentError } from 'commander';
import { FORMAT_NAMES } from '../../report/format-names.js';
import { defineCommand } from '../command.js';
import { shared } from '../options.js';

function parseMegabytes(value: string): number {
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0) throw new InvalidArgumentError('expected a positive number of megabytes');
  return Math.round(mb * 1024 * 1024);
}

export const scan = defineCommand({
  name: 'scan',
  description: 'scan handlers, dependencies and build output for streaming bugs',
  arguments: [{ name: '[path]', description: 'project directory (or one file)', default: '.' }],
  options: [
    shared.format(FORMAT_NAMES),
    shared.docsUrl,
    shared.failOn,
    { flags: '--no-deps', description: 'do not scan node_modules or check installed or locked versions' },
    { flags: '--no-deployment', description: 'do not read infrastructure code (SAM, CDK, serverless, Terraform, SST, Dockerfile)' },
    { flags: '--include <glob...>', description: 'only scan files matching these globs (relative to the path)' },
    { flags: '--exclude <glob...>', description: 'skip files matching these globs' },
    shared.config,
    { flags: '--baseline <file>', description: 'report only findings that are not in this baseline file' },
    { flags: '--update-baseline', description: 'write all current findings to the baseline file and exit 0' },
    { flags: '--verify', description: "also run the project's handlers under aws-lambda-ric and say which findings a run confirmed (docs/verify.md)" },
    { flags: '--verify-timeout <duration>', description: 'with --verify: how long one invocation may run: 5s, 500ms (at most 60s)', default: '5s' },
    { flags: '--stub <module=file>', description: 'with --verify: replace this module (an SDK client) by the file while handlers run (repeatable)', parse: (value: string, list: string[] = []) => [...list, value] },
    { flags: '--pass-env <name>', description: 'with --verify: pass this environment variable to the handlers (repeatable; none by default)', parse: (value: string, list: string[] = []) => [...list, value] },
    { flags: '--max-file-size <MB>', description: 'skip source files larger than this (default 8)', parse: parseMegabytes },
    shared.verbose('list skipped files and suppressed findings'),
    shared.color(),
  ],
  async run({ args: [target], opts, format, failOn, failOnExplicit, verbose, color, docsUrl, config, io }) {
    const { scanProject } = await import('../../commands/scan.js');
    const result = await scanProject(
      {
        path: target,
        format,
        failOn,
        failOnExplicit,
        deps: opts.deps !== false,
        include: opts.include,
        exclude: opts.exclude,
        config,
        baseline: opts.baseline,
        updateBaseline: !!opts.updateBaseline,
        verbose,
        maxFileBytes: opts.maxFileSize,
        deployment: opts.deployment !== false,
        verify: !!opts.verify,
        verifyTimeout: opts.verifyTimeout,
        stubs: opts.stub ?? [],
        passEnv: opts.passEnv ?? [],
        color,
        docsUrl,
      },
      io,
    );
    return result.exitCode;
  },
});
