import type { RuleMeta } from '../model/rule.js';
import { codeRules } from './code/index.js';
import { knownBadVersionMeta } from './packages/known-bad-version.js';

/** Every rule's metadata, code rules first, in a stable order. */
export function allRuleMetas(): RuleMeta[] {
  return [...codeRules.map((rule) => rule.meta), knownBadVersionMeta];
}

export function ruleMetaById(id: string): RuleMeta | undefined {
  return allRuleMetas().find((meta) => meta.id === id);
}
