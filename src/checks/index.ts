/**
 * The rule registry: every rule any command can report, in a stable order (code rules, the known-bad
 * versions check, deployment rules, live rules, probe-only rules, verify's protocol rules). `RuleId` is derived
 * from it, so an id a command emits that is not registered does not compile, and `explain`, `rules`, SARIF and
 * the config's rule settings all read the same list.
 */
import type { RuleMeta } from '../model/rule.js';
import { codeRules } from './code/index.js';
import { knownBadVersion } from './packages/known-bad-version.js';
import { handlerSyntaxError } from './code/handler-syntax-error.js';
import { deploymentRules } from './deployment/index.js';
import { liveRules } from './live/index.js';
import { probeRules } from './probe/index.js';
import { verifyRules } from './verify/index.js';

export const registry = [...codeRules, handlerSyntaxError, knownBadVersion, ...deploymentRules, ...liveRules, ...probeRules, ...verifyRules] as const;

export type RegisteredRule = (typeof registry)[number];
export type RuleId = RegisteredRule['meta']['id'];

/** Every rule's metadata, in the registry's order. */
export function allRuleMetas(): RuleMeta[] {
  return registry.map((rule) => rule.meta);
}

export function ruleMetaById(id: string): RuleMeta | undefined {
  return ruleById(id)?.meta;
}

export function ruleById(id: string): RegisteredRule | undefined {
  return registry.find((rule) => rule.meta.id === id);
}
