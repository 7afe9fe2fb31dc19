/**
 * A command as data: its name, arguments and options (its own and the shared groups, in help order) and a
 * `run` that imports its implementation (src/commands/<name>.ts) only when the command runs, so that
 * `--version`, `--help` and the other commands load none of it.
 */
import { Argument, Option, type Command, type OptionValues } from 'commander';
import type { FormatName } from '../report/format-names.js';
import { processIo, type ProcessIo } from './io.js';
import { isSharedGroup, resolveShared, sharedOption, type SharedGroup, type SharedValues } from './options.js';

export interface ArgumentSpec {
  /** `<name>` required, `[name]` optional. */
  name: string;
  description: string;
  default?: string;
}

export interface OptionSpec {
  flags: string;
  description: string;
  default?: unknown;
  choices?: readonly string[];
  /** Converts (and validates) the value; a repeatable option gets the list so far as `previous`. */
  parse?: (value: string, previous: any) => unknown;
}

/** What `run` gets: the shared options resolved (options.ts), the command's own as commander parsed them. */
export interface RunInput<F extends FormatName> extends SharedValues<F> {
  /** The arguments, defaults applied, in declaration order. */
  args: string[];
  /** Every option's parsed value, by attribute name (`--no-deps` is `deps`). */
  opts: OptionValues;
  io: ProcessIo;
}

export interface CommandSpec<F extends FormatName = FormatName> {
  name: string;
  description: string;
  arguments?: readonly ArgumentSpec[];
  options: ReadonlyArray<OptionSpec | SharedGroup<F>>;
  /** Returns the exit code: 0 clean, 1 findings at or above --fail-on. Errors go to cli.ts's mapping. */
  run(input: RunInput<F>): Promise<number>;
}

/** Identity, for the types: infers the command's formats from its `shared.format(...)`. */
export function defineCommand<F extends FormatName>(spec: CommandSpec<F>): CommandSpec<F> {
  return spec;
}

/** Adds `spec` to `program` (inheriting its output and exit settings); `done` receives the exit code. */
export function addCommand<F extends FormatName>(program: Command, spec: CommandSpec<F>, done: (exitCode: number) => void): Command {
  const command = program.command(spec.name).description(spec.description);
  for (const arg of spec.arguments ?? []) {
    const argument = new Argument(arg.name, arg.description);
    command.addArgument(arg.default === undefined ? argument : argument.default(arg.default));
  }
  const readsConfig = spec.options.some((o) => isSharedGroup(o) && o.shared === 'config');
  for (const option of spec.options) command.addOption(isSharedGroup(option) ? sharedOption(option, readsConfig) : ownOption(option));
  command.action(async () => {
    const shared = resolveShared<F>(command);
    done(await spec.run({ ...shared, args: command.processedArgs as string[], opts: command.opts(), io: processIo(shared.format) }));
  });
  return command;
}

function ownOption(spec: OptionSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.choices) option.choices([...spec.choices]);
  if (spec.parse) option.argParser(spec.parse);
  if (spec.default !== undefined) option.default(spec.default);
  return option;
}
