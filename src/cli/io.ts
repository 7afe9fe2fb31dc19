/**
 * The one place a command meets the process: `processIo(format)` builds the IO object every command's
 * implementation takes, and the colour and spinner decisions live here once.
 */

/** What src/commands/*.ts take as `io` (each declares the subset it reads). */
export interface ProcessIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** The spinner (on stderr) may run. */
  progressEnabled: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

function inCi(): boolean {
  return !!process.env.CI && process.env.CI !== 'false';
}

/** Colour only for text on a terminal, unless --no-color, NO_COLOR or CI say otherwise. */
export function useColor(flag: boolean | undefined, format: string): boolean {
  return flag !== false && format === 'text' && !!process.stdout.isTTY && !process.env.NO_COLOR && !inCi();
}

/** The spinner only for text output on a terminal (stderr), never in CI or when piping JSON. */
export function showProgress(format: string): boolean {
  return format === 'text' && !!process.stderr.isTTY && !inCi();
}

/** The process's streams, working directory and environment, for a command writing `format`. */
export function processIo(format: string): ProcessIo {
  return {
    // Looked up on each write, not bound once: tests replace process.stdout.write around main().
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    progressEnabled: showProgress(format),
    cwd: process.cwd(),
    env: process.env,
  };
}
