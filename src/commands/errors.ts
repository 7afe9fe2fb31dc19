/** A command that cannot do its job: printed as one line, exit code 2. */
export class UsageError extends Error {}
