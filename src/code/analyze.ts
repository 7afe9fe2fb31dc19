/**
 * Runs the code rules on one source file: select the rules whose trigger tokens occur, parse once,
 * compute the module facts once, let every selected rule read them, and turn rule reports into
 * findings with positions, fingerprints and package attribution.
 */
import type { Finding, PackageRef, Severity, SkipNote } from '../model/finding.js';
import type { CodeRule } from '../model/rule.js';
import { fingerprintOf, normalizeSnippet } from '../config/fingerprint.js';
import { ParseFailure, buildModuleFacts, parseModule } from './facts.js';

export interface SourceInput {
  /** Relative to the scan root, "/" separators. */
  rel: string;
  text: string;
  origin: Finding['origin'];
  package?: PackageRef;
}

export interface SourceResult {
  findings: Finding[];
  parsed: boolean;
  skipped?: SkipNote;
}

export function rulesFor(text: string, rules: CodeRule[]): CodeRule[] {
  return rules.filter((rule) => rule.meta.triggers.some((token) => text.includes(token)));
}

export function analyzeSource(input: SourceInput, rules: CodeRule[]): SourceResult {
  const selected = rulesFor(input.text, rules);
  if (selected.length === 0) return { findings: [], parsed: false };
  let facts;
  try {
    facts = buildModuleFacts(input.rel, input.text, parseModule(input.rel, input.text));
  } catch (error) {
    const reason = error instanceof ParseFailure ? error.message : `analysis failed: ${(error as Error).message}`;
    return { findings: [], parsed: false, skipped: { file: input.rel, reason } };
  }
  const findings: Finding[] = [];
  const occurrences = new Map<string, number>();
  for (const rule of selected) {
    let reports;
    try {
      reports = rule.check(facts);
    } catch (error) {
      // One broken rule must not hide the others' findings; say so in the skipped notes.
      return { findings, parsed: true, skipped: { file: input.rel, reason: `rule ${rule.meta.id} failed: ${(error as Error).message}` } };
    }
    for (const report of reports) {
      const ruleId = report.ruleId ?? rule.meta.id;
      const start = facts.lines.position(report.start);
      const end = facts.lines.position(Math.max(report.start, report.end));
      const logical = normalizeSnippet(report.key ?? input.text.slice(report.start, report.end));
      const seen = occurrences.get(`${ruleId}\0${logical}`) ?? 0;
      occurrences.set(`${ruleId}\0${logical}`, seen + 1);
      findings.push({
        ruleId,
        severity: (report.severity ?? rule.meta.severity) as Severity,
        message: report.message,
        file: input.rel,
        line: start.line,
        column: start.column,
        endLine: end.line,
        endColumn: end.column,
        ...(input.package ? { package: input.package } : {}),
        fixable: rule.meta.fixable,
        ...(report.fix ? { fix: report.fix } : {}),
        evidence: rule.meta.evidence,
        fingerprint: fingerprintOf(ruleId, input.rel, `${logical}#${seen}`),
        origin: input.origin,
      });
    }
  }
  return { findings, parsed: true };
}
