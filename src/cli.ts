/**
 * Command-line wiring only: the program, the list of commands (each one a descriptor in cli/commands/ that
 * loads its implementation when it runs) and the mapping from errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from './commands/errors.js';
import { BaselineError, ConfigError } from './config/errors.js';
import { TOOL_VERSION } from './version.js';
import { addCommand, type CommandSpec } from './cli/command.js';
import { scan } from './cli/commands/scan.js';
import { aws } from './cli/commands/aws.js';
import { fix } from './cli/commands/fix.js';
import { probe } from './cli/commands/probe.js';
import { verify } from './cli/commands/verify.js';
import { rules } from './cli/commands/rules.js';
import { explain } from './cli/commands/explain.js';

/** In the order `--help` lists them. */
const COMMANDS: readonly CommandSpec[] = [scan, aws, fix, probe, verify, rules, explain];

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
  for (const spec of COMMANDS) {
    addCommand(program, spec, (code) => {
      exitCode = code;
    });
  }

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
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
