/**
 * The options several commands share, declared once. A command lists the groups it has among its own
 * options, in the order its help shows them; `sharedOption` builds the commander option and
 * `resolveShared` turns the parsed values into what the implementations take.
 */
import { Option, type Command } from 'commander';
import type { Severity } from '../model/finding.js';
import type { FormatName } from '../report/format-names.js';
import { useColor } from './io.js';

export type FailOn = Severity | 'none';
export const FAIL_ON_CHOICES: readonly FailOn[] = ['error', 'warning', 'info', 'none'];
export const DEFAULT_FAIL_ON: FailOn = 'error';

/** A shared option group, placed in a command's option list. */
export type SharedGroup<F extends FormatName = FormatName> =
  | { shared: 'format'; formats: readonly F[] }
  | { shared: 'docsUrl' }
  | { shared: 'failOn' }
  | { shared: 'config' }
  | { shared: 'verbose'; description: string }
  | { shared: 'color'; description: string };

export const shared = {
  /** `-f, --format`: the formats this command can write, `text` by default. */
  format: <F extends FormatName>(formats: readonly F[]): SharedGroup<F> => ({ shared: 'format', formats }),
  /** `--docs-url`: where the Markdown summaries (markdown, the github step summary) link the rule pages. */
  docsUrl: { shared: 'docsUrl' } as const,
  /** `--fail-on`: the exit-1 threshold; its default follows `failOnDefault`. */
  failOn: { shared: 'failOn' } as const,
  /** `-c, --config`: the configuration file (config/config.ts `loadConfig` finds one when not given). */
  config: { shared: 'config' } as const,
  /** `--verbose`: the description says what this command adds. */
  verbose: (description: string) => ({ shared: 'verbose', description }) as const,
  /** `--no-color`. */
  color: (description = 'never colour the text output') => ({ shared: 'color', description }) as const,
} satisfies Record<string, SharedGroup | ((...args: never[]) => SharedGroup)>;

export function isSharedGroup(value: object): value is SharedGroup {
  return 'shared' in value;
}

/**
 * The one rule for `--fail-on`'s default. A command that reads a configuration file (it lists `config`)
 * gives the flag no default, so that the configuration's `failOn` applies when the flag is absent
 * (`failOnExplicit` tells the implementation which one wins; with neither, `DEFAULT_FAIL_ON`). Every other
 * command defaults to `DEFAULT_FAIL_ON`, and its help says so.
 */
export function failOnDefault(readsConfig: boolean): FailOn | undefined {
  return readsConfig ? undefined : DEFAULT_FAIL_ON;
}

/** The commander option for a group, fresh for each program. */
export function sharedOption(group: SharedGroup, readsConfig: boolean): Option {
  switch (group.shared) {
    case 'format':
      return new Option('-f, --format <format>', 'output format').choices([...group.formats]).default('text');
    case 'docsUrl':
      return new Option(
        '--docs-url <url>',
        'markdown and the GitHub step summary link each rule to <url>/docs/rules/<id>.md ("" for relative links; default: the package repository, else relative links)',
      );
    case 'failOn': {
      const option = new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...FAIL_ON_CHOICES]);
      const fallback = failOnDefault(readsConfig);
      return fallback === undefined ? option : option.default(fallback);
    }
    case 'config':
      return new Option('-c, --config <file>', 'configuration file (default: stream-doctor.config.json or package.json "stream-doctor")');
    case 'verbose':
      return new Option('--verbose', group.description);
    case 'color':
      return new Option('--no-color', group.description);
  }
}

/** The shared options' values as the implementations take them (defaults for a group a command lacks). */
export interface SharedValues<F extends FormatName = FormatName> {
  format: F;
  failOn: FailOn;
  /** `--fail-on` was given on the command line (it then wins over the configuration's `failOn`). */
  failOnExplicit: boolean;
  verbose: boolean;
  color: boolean;
  config: string | undefined;
  /** `--docs-url` (undefined: the formatter's default). */
  docsUrl: string | undefined;
}

export function resolveShared<F extends FormatName>(command: Command): SharedValues<F> {
  const opts = command.opts();
  const format = (opts.format ?? 'text') as F;
  return {
    format,
    failOn: (opts.failOn ?? DEFAULT_FAIL_ON) as FailOn,
    failOnExplicit: command.getOptionValueSource('failOn') === 'cli',
    verbose: !!opts.verbose,
    color: useColor(opts.color as boolean | undefined, format),
    config: opts.config as string | undefined,
    docsUrl: opts.docsUrl as string | undefined,
  };
}
