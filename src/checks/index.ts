import type { RuleMeta } from '../model/rule.js';
import { codeRules } from './code/index.js';
import { knownBadVersionMeta } from './packages/known-bad-version.js';
import { deploymentRules } from './deployment/index.js';
import { liveRules } from './live/index.js';
import { probeOnlyRules } from '../probe/rules.js';

/** Every rule's metadata, in a stable order: code rules, the known-bad versions check, deployment rules, live rules, probe-only rules. */
export function allRuleMetas(): RuleMeta[] {
  return [...codeRules.map((rule) => rule.meta), knownBadVersionMeta, ...deploymentRules.map((rule) => rule.meta), ...liveRules.map((rule) => rule.meta), ...probeOnlyRules];
}

export function ruleMetaById(id: string): RuleMeta | undefined {
  return allRuleMetas().find((meta) => meta.id === id);
}
