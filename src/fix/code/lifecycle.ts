import type { CodeFixer } from '../../model/fix.js';

/** Fixers of the stream-lifecycle rules (one file per rule, named after it). */
export const lifecycleFixers: CodeFixer[] = [];
