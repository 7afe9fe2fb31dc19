import { FORMAT_NAMES } from '../../report/format-names.js';
import { defineCommand } from '../command.js';
import { shared } from '../options.js';

export const aws = defineCommand({
  name: 'aws',
  description: 'diagnose live Lambda functions: configuration, deployed code and CloudWatch logs',
  options: [
    { flags: '--function <name...>', description: 'a function name, ARN or NAME:ALIAS (repeatable)' },
    { flags: '--all', description: 'every function in the region' },
    { flags: '--region <region>', description: 'AWS region (default: AWS_REGION or the profile)' },
    { flags: '--profile <profile>', description: 'named profile from the shared AWS config' },
    { flags: '--since <window>', description: 'log window: 30m, 24h, 7d', default: '24h' },
    { flags: '--no-code', description: 'do not download and scan the deployed code' },
    { flags: '--no-logs', description: 'do not read CloudWatch logs' },
    { flags: '--concurrency <n>', description: 'functions checked at once', parse: (v: string) => Number(v), default: 8 },
    shared.format(FORMAT_NAMES),
    shared.docsUrl,
    shared.failOn,
    shared.verbose("list skipped checks and each finding's evidence"),
    shared.color(),
  ],
  async run({ opts, format, failOn, verbose, color, docsUrl, io }) {
    // The AWS SDK alone costs ~150 ms of startup.
    const { diagnoseFunctions } = await import('../../commands/aws.js');
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
        failOn,
        verbose,
        color,
        docsUrl,
        concurrency: opts.concurrency,
      },
      io,
    );
    return result.exitCode;
  },
});
