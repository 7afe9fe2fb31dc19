/**
 * The fix model shared by `stream-doctor fix`: fixers propose minimal text edits at AST ranges (formatting
 * and comments elsewhere stay byte for byte), or a suggestion when no edit is safe. The engine validates
 * every edit by re-parsing and re-running the rules before anything is shown or written.
 */
import type { ModuleFacts } from '../code/facts.js';
import type { CodeProblem, CodeRule, ProblemOf } from './rule.js';

/** Replace [start, end) of the original text (UTF-16 offsets) with `text`; start === end inserts. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export interface ProposedFix {
  /** One line, imperative: what the edit does (`add stream.write("") after HttpResponseStream.from()`). */
  title: string;
  edits: TextEdit[];
}

/** Said instead of an edit when the change cannot be made mechanically and safely. */
export interface Suggestion {
  suggestion: string;
}

export type FixProposal = ProposedFix | Suggestion | null;

export function isSuggestion(proposal: FixProposal): proposal is Suggestion {
  return !!proposal && 'suggestion' in proposal;
}

/**
 * The fixer of one code rule: edits for one of its problems, computed from what the rule saw (the problem's
 * message id and payload) and the same facts. A fixer never finds its subject again by position.
 */
export interface CodeFixer {
  ruleId: string;
  fix(problem: CodeProblem, facts: ModuleFacts): FixProposal;
  /**
   * Rules the fixed code may newly report, because the edit trades the fixed bug for that rule's lesser one
   * (`pipe()` -> `pipeline()`: a hang until the timeout becomes a quick exit on a source failure). Each with
   * the reason; the engine still refuses an edit that makes any other rule report more.
   */
  leaves?: ReadonlyArray<{ ruleId: string; why: string }>;
}

/** Declares the fixer of `rule`: its problems arrive typed, payload included. */
export function defineCodeFixer<R extends CodeRule>(
  rule: R,
  fix: (problem: ProblemOf<R>, facts: ModuleFacts) => FixProposal,
  options: Pick<CodeFixer, 'leaves'> = {},
): CodeFixer {
  return { ruleId: rule.meta.id, fix: fix as CodeFixer['fix'], ...options };
}
