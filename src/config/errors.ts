/**
 * The configuration's and the baseline's error classes alone: the CLI maps them to exit code 2 without
 * loading the config reader (which loads the rule registry). config.ts and baseline.ts re-export them.
 */

/** A configuration problem: always one line, naming the file and the key. The CLI exits 2 on it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A missing, unreadable or malformed baseline file. The CLI exits 2 on it. */
export class BaselineError extends Error {
  override name = 'BaselineError';
}
