import { defineCommand } from '../command.js';
import { shared } from '../options.js';

const repeatable = (value: string, list: string[] = []) => [...list, value];

export const fix = defineCommand({
  name: 'fix',
  description: 'fix what scan reports: a diff by default, --write applies it',
  arguments: [{ name: '[path]', description: 'project directory (or one file)', default: '.' }],
  options: [
    { flags: '--write', description: 'apply the fixes (atomic writes, validated edits only)' },
    { flags: '--rule <id...>', description: 'only fix these rules' },
    { flags: '--upgrade', description: 'with --write: upgrade dependencies with a fixed version through the package manager' },
    { flags: '--no-deployment', description: 'do not edit infrastructure code' },
    { flags: '--no-deps', description: 'no dependency upgrades or patches' },
    { flags: '--verify', description: 'run each handler a code fix touches under aws-lambda-ric before and after it; keep the fix only when no invocation gets worse (on by default with --write when the runtime cache has a build)' },
    { flags: '--no-verify', description: 'do not run the handlers (static validation only)' },
    { flags: '--runtime <lineage>', description: 'with verify: 3.x (nodejs18/20/22.x), 4.x (nodejs24.x) or both', choices: ['3.x', '4.x', 'both'], default: 'both' },
    { flags: '--stub <module=file>', description: 'with verify: replace this module (an SDK client) by the file while handlers run (repeatable)', parse: repeatable },
    { flags: '--event <file>', description: 'with verify: also send this event JSON (repeatable)', parse: repeatable },
    { flags: '--timeout <duration>', description: 'with verify: how long an invocation may run: 5s, 500ms', default: '5s' },
    // A diff or its JSON: the fixes are not a findings report, so sarif and github do not apply.
    shared.format(['text', 'json']),
    shared.config,
    shared.color('never colour the diff'),
  ],
  async run({ args: [target], opts, format, color, config, io }) {
    const { fixProject } = await import('../../commands/fix.js');
    const result = await fixProject(
      {
        path: target,
        write: !!opts.write,
        rules: opts.rule,
        upgrade: !!opts.upgrade,
        deployment: opts.deployment !== false,
        deps: opts.deps !== false,
        format,
        color,
        config,
        ...(opts.verify !== undefined ? { verify: !!opts.verify } : {}),
        runtime: opts.runtime,
        timeout: opts.timeout,
        stubs: opts.stub ?? [],
        events: opts.event ?? [],
      },
      io,
    );
    return result.exitCode;
  },
});
