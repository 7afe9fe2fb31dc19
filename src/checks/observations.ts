/**
 * How the engines that watch a handler run report: `stream-doctor probe` (the wire) and `stream-doctor verify`
 * (the real runtime). They report under their own rules (src/checks/probe, src/checks/verify, declared with
 * `defineObservedRule`) and under static rules' ids when they see the bug a static rule predicts. The static
 * rule's messages describe code or configuration; what the engine saw is worded by the engine, in one typed
 * catalog per engine (`defineObservations`, keyed by registered rule ids). Either way the engine emits an
 * `Observation`: the message rendered from a catalog, with the rule's metadata from the registry, for
 * `findingOf` to turn into a Finding.
 */
import type { Severity } from '../model/finding.js';
import { renderMessage, type MessageChoice, type Messages, type ObservedRule, type Problem, type RuleMeta } from '../model/rule.js';
import { ruleById, type RuleId } from './index.js';

/** A registered rule's problem as an engine saw it: message rendered, severity stated, metadata attached. */
export interface Observation<Id extends RuleId = RuleId> extends Problem {
  ruleId: Id;
  messageId: string;
  severity: Severity;
  meta: RuleMeta;
}

/** What the engine states besides the message: the severity always (it weighs its own evidence), the next step. */
export interface Stated {
  severity: Severity;
  fix?: string;
  key?: string;
}

/** An engine's wording of static rules: rule id → message id → template with `{{placeholders}}`. */
export type ObservationCatalog = { readonly [Id in RuleId]?: Messages };

type ChoiceOf<M> = M extends Messages ? MessageChoice<M> : never;

export interface Observations<C extends ObservationCatalog> {
  readonly messages: C;
  /** A problem of a static rule: a typo in the rule id, the message id or a placeholder fails to compile. */
  observe<Id extends keyof C & RuleId>(ruleId: Id, problem: ChoiceOf<C[Id]> & Stated): Observation<Id>;
}

function metaOf(id: RuleId): RuleMeta {
  const rule = ruleById(id);
  if (!rule) throw new Error(`unregistered rule "${id}"`);
  return rule.meta;
}

/** Declares an engine's catalog. Keys must be registered rule ids (an unknown key does not compile). */
export function defineObservations<const C extends ObservationCatalog>(messages: C & { readonly [K in Exclude<keyof C, RuleId>]: never }): Observations<C> {
  return {
    messages,
    observe(ruleId, problem) {
      const template = (messages[ruleId] as Messages | undefined)?.[problem.messageId];
      if (template === undefined) throw new Error(`unknown messageId "${problem.messageId}" of ${ruleId}`);
      return { ...problem, ruleId, message: renderMessage(template, problem.data), meta: metaOf(ruleId) };
    },
  };
}

/** A problem of a rule the engine owns (its messages are in the rule's file). */
export function observe<Id extends RuleId, M extends Messages>(rule: ObservedRule<Id, M>, problem: MessageChoice<M> & Stated): Observation<Id> {
  const template = rule.messages[problem.messageId]!;
  return { ...problem, ruleId: rule.meta.id, message: renderMessage(template, problem.data), meta: metaOf(rule.meta.id) };
}
