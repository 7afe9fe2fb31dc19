import { defineCommand } from '../command.js';
import { shared } from '../options.js';

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
      },
      io,
    );
    return result.exitCode;
  },
});
