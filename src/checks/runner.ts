/**
 * The one runner: runs rules on their context, keeps going past a rule that throws (the failure is recorded
 * with the rule id and shown as an internal error), and builds every `Finding` of every command the same
 * way: message id, evidence, fixability, fingerprint.
 */
import type { Finding, InternalError, PackageRef } from '../model/finding.js';
import type { Problem, ProblemOf, RuleMeta } from '../model/rule.js';
import { fingerprintOf } from '../config/fingerprint.js';

/** Where a finding points: a file position, and for live or run findings the API field or event. */
export interface Place {
  /** Relative to the scanned root with "/" separators, an ARN, or a URL. */
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  field?: string;
}

/** Whose code the finding is in, and what the command can do about it. */
export interface Attribution {
  origin: Finding['origin'];
  package?: PackageRef;
  /** False where the command cannot edit the subject (a live function, a run): overrides `meta.fixable`. */
  fixable?: boolean;
  /** Replaces the rule's evidence (verify and probe say how they observed it). */
  evidence?: string;
}

/** The one place a rule's problem becomes a `Finding`. `key` is the fingerprint's logical key. */
export function findingOf(meta: RuleMeta, problem: Problem, place: Place, attribution: Attribution, key: string): Finding {
  return {
    ruleId: meta.id,
    messageId: problem.messageId,
    ...(problem.data ? { data: problem.data } : {}),
    severity: problem.severity ?? meta.severity,
    message: problem.message,
    file: place.file,
    line: place.line,
    column: place.column,
    ...(place.endLine !== undefined ? { endLine: place.endLine, endColumn: place.endColumn } : {}),
    ...(place.field ? { field: place.field } : {}),
    ...(attribution.package ? { package: attribution.package } : {}),
    fixable: attribution.fixable ?? meta.fixable,
    ...(problem.fix ? { fix: problem.fix } : {}),
    evidence: attribution.evidence ?? meta.evidence,
    fingerprint: fingerprintOf(meta.id, place.file, key),
    origin: attribution.origin,
  };
}

export interface RuleRun<R, P> {
  results: Array<{ rule: R; problem: P }>;
  failures: InternalError[];
}

/**
 * Runs every rule on one context. A rule that throws does not hide the others' problems: its failure is
 * returned with the rule id and the subject (`file`), and the caller reports it as an internal error.
 */
export function runRules<C, R extends { meta: RuleMeta; check(context: C): Problem[] }>(
  rules: readonly R[],
  context: C,
  file: string,
): RuleRun<R, ProblemOf<R>> {
  type P = ProblemOf<R>;
  const results: Array<{ rule: R; problem: P }> = [];
  const failures: InternalError[] = [];
  for (const rule of rules) {
    let problems: P[];
    try {
      problems = rule.check(context) as P[];
    } catch (error) {
      failures.push({ ruleId: rule.meta.id, file, message: firstLine(error) });
      continue;
    }
    for (const problem of problems) results.push({ rule, problem });
  }
  return { results, failures };
}

export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
