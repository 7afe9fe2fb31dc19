import type { CodeRule } from '../../model/rule.js';

/** All code rules, one per file; the order is the order of `stream-doctor rules`. */
export const codeRules: CodeRule[] = [];
