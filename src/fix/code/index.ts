import type { CodeFixer } from '../../model/fix.js';
import { endDataBypassesPreludeFixer } from './end-data-bypasses-prelude.js';
import { lifecycleFixers } from './lifecycle.js';
import { metadataFixers } from './metadata.js';
import { preludeNotFlushedFixer } from './prelude-not-flushed.js';

/** One fixer per fixable code rule (file name = rule id). Rules without one get their `fix` text as a suggestion. */
export const codeFixers: CodeFixer[] = [preludeNotFlushedFixer, endDataBypassesPreludeFixer, ...lifecycleFixers, ...metadataFixers];

export const codeFixersById: Map<string, CodeFixer> = new Map(codeFixers.map((fixer) => [fixer.ruleId, fixer]));
