import type { CodeFixer } from '../../model/fix.js';

/** Fixers of the response-metadata rules (one file per rule, named after it). */
export const metadataFixers: CodeFixer[] = [];
