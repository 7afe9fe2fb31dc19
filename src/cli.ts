/** Command-line wiring only: parse arguments, call a command, map errors to exit codes. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { scanProject } from './commands/scan.js';
import { explainRule, listRules } from './commands/rules.js';
import { UsageError } from './commands/errors.js';
import { ConfigError } from './config/config.js';
import { BaselineError } from './config/baseline.js';
import { FORMAT_NAMES, type FormatName } from './report/index.js';
import type { Severity } from './model/finding.js';
import { TOOL_VERSION } from './version.js';

function parseMegabytes(value: string): number {
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0) throw new InvalidArgumentError('expected a positive number of megabytes');
  return Math.round(mb * 1024 * 1024);
}

function inCi(): boolean {
  return !!process.env.CI && process.env.CI !== 'false';
}

/** Colour only for text on a terminal, unless --no-color, NO_COLOR or CI say otherwise. */
function useColor(flag: boolean | undefined, format: string): boolean {
  return flag !== false && format === 'text' && !!process.stdout.isTTY && !process.env.NO_COLOR && !inCi();
}

/** The spinner only for text output on a terminal (stderr), never in CI or when piping JSON. */
function showProgress(format: string): boolean {
  return format === 'text' && !!process.stderr.isTTY && !inCi();
}

/** Exit codes: 0 clean, 1 findings at or above --fail-on, 2 the command could not do its job. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command();
  program
    .name('stream-doctor')
    .description('Find, explain and fix AWS Lambda response-streaming bugs.')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
    })
    .showSuggestionAfterError(true);

  program
    .command('scan')
    .description('scan handlers, dependencies and build output for streaming bugs')
    .argument('[path]', 'project directory (or one file)', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMAT_NAMES]).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'none']))
    .option('--no-deps', 'do not scan node_modules or check installed versions')
    .option('--no-deployment', 'do not read infrastructure code (SAM, CDK, serverless, Terraform, SST, Dockerfile)')
    .option('--include <glob...>', 'only scan files matching these globs (relative to the path)')
    .option('--exclude <glob...>', 'skip files matching these globs')
    .option('-c, --config <file>', 'configuration file (default: stream-doctor.config.json or package.json "stream-doctor")')
    .option('--baseline <file>', 'report only findings that are not in this baseline file')
    .option('--update-baseline', 'write all current findings to the baseline file and exit 0')
    .option('--max-file-size <MB>', 'skip source files larger than this (default 8)', parseMegabytes)
    .option('--verbose', 'list skipped files and suppressed findings')
    .option('--no-color', 'never colour the text output')
    .action(async (target: string, opts) => {
      const format = opts.format as FormatName;
      const env = process.env;
      const result = await scanProject(
        {
          path: target,
          format,
          failOn: (opts.failOn ?? 'error') as Severity | 'none',
          failOnExplicit: opts.failOn !== undefined,
          deps: opts.deps !== false,
          include: opts.include,
          exclude: opts.exclude,
          config: opts.config,
          baseline: opts.baseline,
          updateBaseline: !!opts.updateBaseline,
          verbose: !!opts.verbose,
          maxFileBytes: opts.maxFileSize,
          deployment: opts.deployment !== false,
          color: useColor(opts.color, format),
        },
        {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          progressEnabled: showProgress(format),
          cwd: process.cwd(),
          env,
        },
      );
      exitCode = result.exitCode;
    });

  program
    .command('aws')
    .description('diagnose live Lambda functions: configuration, deployed code and CloudWatch logs')
    .option('--function <name...>', 'a function name, ARN or NAME:ALIAS (repeatable)')
    .option('--all', 'every function in the region')
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile)')
    .option('--profile <profile>', 'named profile from the shared AWS config')
    .option('--since <window>', 'log window: 30m, 24h, 7d', '24h')
    .option('--no-code', 'do not download and scan the deployed code')
    .option('--no-logs', 'do not read CloudWatch logs')
    .option('--concurrency <n>', 'functions checked at once', (v) => Number(v), 8)
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMAT_NAMES]).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('--verbose', 'list skipped checks and each finding\'s evidence')
    .option('--no-color', 'never colour the text output')
    .action(async (opts) => {
      const format = opts.format as FormatName;
      const env = process.env;
      // Loaded on use: the AWS SDK alone costs ~150 ms of startup that `scan` must not pay.
      const { diagnoseFunctions } = await import('./commands/aws.js');
      const result = await diagnoseFunctions(
        {
          functions: opts.function ?? [],
          all: !!opts.all,
          region: opts.region,
          profile: opts.profile,
          since: opts.since,
          code: opts.code !== false,
          logs: opts.logs !== false,
          format,
          failOn: opts.failOn as Severity | 'none',
          verbose: !!opts.verbose,
          color: useColor(opts.color, format),
          concurrency: opts.concurrency,
        },
        {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          progressEnabled: showProgress(format),
          env,
        },
      );
      exitCode = result.exitCode;
    });

  program
    .command('fix')
    .description('fix what scan reports: a diff by default, --write applies it')
    .argument('[path]', 'project directory (or one file)', '.')
    .option('--write', 'apply the fixes (atomic writes, validated edits only)')
    .option('--rule <id...>', 'only fix these rules')
    .option('--upgrade', 'with --write: upgrade dependencies with a fixed version through the package manager')
    .option('--no-deployment', 'do not edit infrastructure code')
    .option('--no-deps', 'no dependency upgrades or patches')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('-c, --config <file>', 'configuration file')
    .option('--no-color', 'never colour the diff')
    .action(async (target: string, opts) => {
      const { fixProject } = await import('./commands/fix.js');
      const result = await fixProject(
        {
          path: target,
          write: !!opts.write,
          rules: opts.rule,
          upgrade: !!opts.upgrade,
          deployment: opts.deployment !== false,
          deps: opts.deps !== false,
          format: opts.format,
          color: useColor(opts.color, opts.format),
          config: opts.config,
        },
        {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          progressEnabled: showProgress(opts.format),
          cwd: process.cwd(),
        },
      );
      exitCode = result.exitCode;
    });

  program
    .command('probe')
    .description('send real requests to a Function URL or streaming endpoint and diagnose the response on the wire')
    .argument('<url>', 'the URL to probe')
    .option('--data <body>', 'send the main request as a POST with this body')
    .option('-H, --header <header>', "extra request header 'name: value' (repeatable)", (value: string, list: string[] = []) => [...list, value])
    .option('--origin <origin>', 'Origin header for the requests and the CORS preflight (default https://example.com)')
    .option('--sign', 'always sign with SigV4 (service lambda)')
    .option('--no-sign', 'never sign (default: sign a Function URL when credentials resolve)')
    .option('--region <region>', 'signing region (default: from the Function URL host)')
    .option('--profile <profile>', 'named profile for the credentials')
    .option('--timeout <duration>', 'give up on each request after this long: 10s, 500ms, 1m', '10s')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('--verbose', "show each finding's evidence and the run time")
    .option('--no-color', 'never colour the text output')
    .action(async (url: string, opts) => {
      const env = process.env;
      const { probeUrl } = await import('./commands/probe.js');
      const result = await probeUrl(
        {
          url,
          data: opts.data,
          headers: opts.header ?? [],
          origin: opts.origin,
          sign: opts.sign,
          region: opts.region,
          profile: opts.profile,
          timeout: opts.timeout,
          format: opts.format,
          failOn: opts.failOn as Severity | 'none',
          verbose: !!opts.verbose,
          color: useColor(opts.color, opts.format),
        },
        {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          progressEnabled: showProgress(opts.format),
          env,
        },
      );
      exitCode = result.exitCode;
    });

  program
    .command('verify')
    .description("run a handler under AWS's own runtime (aws-lambda-ric) against a local Runtime API and report what it really does")
    .argument('<handler>', 'the function handler as Lambda sees it, e.g. dist/index.handler')
    .option('--root <dir>', 'the code root Lambda unpacks (LAMBDA_TASK_ROOT)', '.')
    .addOption(new Option('--runtime <lineage>', '3.x (nodejs18/20/22.x), 4.x (nodejs24.x) or both').choices(['3.x', '4.x', 'both']).default('both'))
    .option('--event <file>', 'also send this event JSON (repeatable)', (value: string, list: string[] = []) => [...list, value])
    .option('--timeout <duration>', 'how long an invocation may run: 5s, 500ms (at most 60s)', '5s')
    .option('--pass-env <name>', 'pass this environment variable to the handler (repeatable; none by default)', (value: string, list: string[] = []) => [...list, value])
    .option('--bootstrap <command>', "run this custom runtime / Runtime API client (sh -c, in --root) instead of aws-lambda-ric and check the streaming protocol it speaks")
    .option('--exec-wrapper <file>', 'start aws-lambda-ric through this AWS_LAMBDA_EXEC_WRAPPER script and compare with a run without it')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMAT_NAMES]).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('--verbose', "show body previews, the runtime's stderr and each finding's evidence")
    .option('--no-color', 'never colour the text output')
    .action(async (handler: string, opts) => {
      const format = opts.format as FormatName;
      const env = process.env;
      const { verifyHandler } = await import('./commands/verify.js');
      const result = await verifyHandler(
        {
          handler,
          root: opts.root,
          runtime: opts.runtime,
          events: opts.event ?? [],
          timeout: opts.timeout,
          passEnv: opts.passEnv ?? [],
          ...(opts.bootstrap !== undefined ? { bootstrap: opts.bootstrap as string } : {}),
          ...(opts.execWrapper !== undefined ? { execWrapper: opts.execWrapper as string } : {}),
          format,
          failOn: opts.failOn as Severity | 'none',
          verbose: !!opts.verbose,
          color: useColor(opts.color, format),
        },
        {
          stdout: (text) => process.stdout.write(text),
          stderr: (text) => process.stderr.write(text),
          progressEnabled: showProgress(format),
          cwd: process.cwd(),
          env,
        },
      );
      exitCode = result.exitCode;
    });

  program
    .command('rules')
    .description('list every rule')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((opts) => {
      process.stdout.write(listRules(opts.format));
    });

  program
    .command('explain')
    .description('show what a rule detects, why, and how to fix it')
    .argument('<rule>', 'rule id')
    .action((id: string) => {
      process.stdout.write(explainRule(id));
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every usage problem exits 2 (commander printed the message).
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof BaselineError) {
      process.stderr.write(`stream-doctor: ${error.message}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`stream-doctor: internal error: ${message.split('\n')[0]}\n`);
    return 2;
  }
}
