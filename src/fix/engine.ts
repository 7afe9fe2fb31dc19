/**
 * Fixes one source file: run the rules, ask each reported rule's fixer for edits, apply them one at a time
 * and keep an edit only when the result re-parses without a new syntax error and re-running every rule shows
 * the fixed report gone and nothing new (no rule reports more than before). A rejected edit, a fixer that
 * declines, and a rule without a fixer become suggestions: the rule's own `fix` text.
 */
import type { ModuleFacts } from '../code/facts.js';
import { buildModuleFacts, parseModule, syntaxErrorCount } from '../code/facts.js';
import { relativeModuleLoader, rulesFor } from '../code/analyze.js';
import { normalizeSnippet } from '../config/fingerprint.js';
import type { CodeProblem, CodeRule } from '../model/rule.js';
import type { CodeFixer } from '../model/fix.js';
import { type FixProposal, isSuggestion } from '../model/fix.js';
import type { InternalError } from '../model/finding.js';
import { firstLine } from '../checks/runner.js';
import { Declined } from './ast-support.js';
import { applyEdits } from './text.js';
import type { TextEdit } from '../model/fix.js';
import { LineIndex } from '../code/ast.js';
import type { FileVerification, VerifyRow } from './verify.js';

export interface FixInput {
  /** Relative to the root, "/" separators. */
  rel: string;
  text: string;
  abs?: string;
  root?: string;
  /** Whose file this is: the project's own (the default) or a dependency being patched (as the scan reads them). */
  origin?: 'project' | 'dependency';
}

export interface AppliedFix {
  ruleId: string;
  title: string;
  /** 1-based line of the report in the text the fix was applied to. */
  line: number;
}

export interface FixSuggestion {
  ruleId: string;
  line: number;
  message: string;
  /** What to do by hand, and why no edit was made when one was tried. */
  suggestion: string;
}

export interface FileFix {
  rel: string;
  original: string;
  /** The text with every accepted edit; equal to `original` when nothing applied. */
  fixed: string;
  applied: AppliedFix[];
  suggestions: FixSuggestion[];
  /** The file could not be analysed (parse failure, budget): nothing was changed. */
  problem?: string;
  /** Fixers that threw (not a decline): their findings got neither an edit nor a reason. */
  internalErrors?: InternalError[];
  /** The fix creates this file (a patch under patches/): `original` is ''. */
  created?: boolean;
  /** The text after each applied fix, with the fixed report's key (what `refused` names): `fix --verify` runs them. */
  steps?: Array<{ key: string; text: string }>;
  /** `fix --verify`: what running the handlers before and after the kept edits showed. */
  verification?: FileVerification;
  /** `fix --verify`: edits dropped because some invocation got worse, with the runs that showed it. */
  refused?: Array<{ ruleId: string; line: number; title: string; rows: VerifyRow[] }>;
}

export interface Analysis {
  facts: ModuleFacts;
  reports: Array<{ rule: CodeRule; report: CodeProblem }>;
}

/** A file is fixed at most this many times (each accepted edit re-analyses it). */
const MAX_FIXES_PER_FILE = 50;

export interface FixOptions {
  rules: readonly CodeRule[];
  fixers: Map<string, CodeFixer>;
  /** Only these rules (`--rule`). */
  only?: ReadonlySet<string>;
  /** Reports the user suppressed (inline directive) are neither fixed nor suggested. */
  suppressed?: (ruleId: string, line: number) => boolean;
  /** Reports (by the key in FileFix.steps) whose edit a run refused (`fix --verify`): suggested, with the reason. */
  refused?: ReadonlyMap<string, string>;
}

export function fixSource(input: FixInput, options: FixOptions): FileFix {
  const { rules, fixers, only } = options;
  const result: FileFix = { rel: input.rel, original: input.text, fixed: input.text, applied: [], suggestions: [] };
  let analysis: Analysis;
  try {
    analysis = analyze(input, input.text, rules);
  } catch (error) {
    result.problem = (error as Error).message.split('\n')[0];
    return result;
  }
  const baseErrors = syntaxErrorCount(input.rel, input.text);
  const tried = new Set<string>();
  for (let round = 0; round < MAX_FIXES_PER_FILE; round++) {
    const next = analysis.reports.find(({ rule, report }) => {
      const id = rule.meta.id;
      if (only && !only.has(id)) return false;
      if (options.suppressed?.(id, analysis.facts.lines.position(report.start).line)) return false;
      return !tried.has(keyOf(analysis, id, report));
    });
    if (!next) break;
    const ruleId = next.rule.meta.id;
    tried.add(keyOf(analysis, ruleId, next.report));
    const line = analysis.facts.lines.position(next.report.start).line;
    const suggest = (why?: string) =>
      result.suggestions.push({ ruleId, line, message: next.report.message, suggestion: [next.report.fix ?? 'See the rule page.', why].filter(Boolean).join(' ') });

    const refusal = options.refused?.get(keyOf(analysis, ruleId, next.report));
    if (refusal !== undefined) {
      suggest(`(No automatic edit: ${refusal}.)`);
      continue;
    }
    const fixer = fixers.get(ruleId);
    let proposal: FixProposal = null;
    try {
      proposal = fixer ? fixer.fix(next.report, analysis.facts) : null;
    } catch (error) {
      // A fixer declines by returning a suggestion or throwing Declined; anything else is a bug in it.
      if (error instanceof Declined) proposal = { suggestion: `(No automatic edit: ${error.message}.)` };
      else (result.internalErrors ??= []).push({ ruleId, file: input.rel, message: `fixer failed: ${firstLine(error)}` });
    }
    if (!proposal) {
      suggest();
      continue;
    }
    if (isSuggestion(proposal)) {
      suggest(proposal.suggestion);
      continue;
    }
    const candidate = applyEdits(result.fixed, proposal.edits);
    const verdict = validate(input, analysis, candidate, ruleId, rules, baseErrors, fixer?.leaves?.map((l) => l.ruleId), proposal.edits);
    if (typeof verdict === 'string') {
      suggest(`(No automatic edit: ${verdict}.)`);
      continue;
    }
    result.fixed = candidate;
    result.applied.push({ ruleId, title: proposal.title, line });
    (result.steps ??= []).push({ key: keyOf(analysis, ruleId, next.report), text: candidate });
    analysis = verdict;
    // Offsets and occurrence indexes of the remaining reports moved: start over on the new text (each
    // accepted fix removes a report, so this terminates), and rebuild the suggestions with them.
    tried.clear();
    result.suggestions = [];
  }
  return result;
}

function analyze(input: FixInput, text: string, rules: readonly CodeRule[]): Analysis {
  const loader = input.abs && input.root ? relativeModuleLoader(input.abs, input.root) : undefined;
  return analysisOf(buildModuleFacts(input.rel, text, parseModule(input.rel, text), loader, { writerHelpers: (input.origin ?? 'project') === 'project' }), rules);
}

/** The reports of the rules (those that apply to the text) on already built facts. */
export function analysisOf(facts: ModuleFacts, rules: readonly CodeRule[]): Analysis {
  const reports: Analysis['reports'] = [];
  for (const rule of rulesFor(facts.text, rules)) for (const report of rule.check(facts)) reports.push({ rule, report });
  return { facts, reports };
}

/** Stable across edits elsewhere in the file: the rule, its logical key, and the occurrence index. */
function keyOf(analysis: Analysis, ruleId: string, report: CodeProblem): string {
  const logical = normalizeSnippet(report.key ?? analysis.facts.text.slice(report.start, report.end));
  const index = analysis.reports.filter(({ rule, report: r }) => rule.meta.id === ruleId && normalizeSnippet(r.key ?? analysis.facts.text.slice(r.start, r.end)) === logical).indexOf(
    analysis.reports.find(({ report: r }) => r === report)!,
  );
  return `${ruleId}\0${logical}\0${index}`;
}

function countByRule(reports: Analysis['reports']): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { rule } of reports) {
    const id = rule.meta.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * The new analysis when the edit is safe, or why it is not: the edited `text` parses with no more syntax
 * errors than `baseErrors`, `ruleId` reports less, and no rule reports on a path it did not report before.
 * Paths are compared one by one (rule, message, where, and the message's data with its line numbers carried
 * through the edit), not as counts: an edit that makes a rule report a second path on a line where it already
 * reported one (a write('') that now precedes a from() in a catch: "written at line 9" where it said line 16)
 * is refused. Without `edits` (callers that do not pass them) the comparison falls back to counts per rule.
 * Fixers choosing between alternatives run it too (stream-never-ended's `acceptable`).
 */
export function validate(
  input: FixInput,
  before: Analysis,
  text: string,
  ruleId: string,
  rules: readonly CodeRule[],
  baseErrors: number,
  /** Rules the fixer declares it may leave behind (CodeFixer.leaves). */
  leaves: readonly string[] = [],
  /** The edits that turned `before`'s text into `text`: lets paths be matched across them. */
  edits?: readonly TextEdit[],
): Analysis | string {
  if (syntaxErrorCount(input.rel, text) > baseErrors) return 'the edited file would not parse';
  let after: Analysis;
  try {
    after = analyze(input, text, rules);
  } catch {
    return 'the edited file could not be analysed';
  }
  const was = countByRule(before.reports);
  const now = countByRule(after.reports);
  if ((now.get(ruleId) ?? 0) >= (was.get(ruleId) ?? 0)) return 'the rule would still report it';
  for (const [id, count] of now) if (count > (was.get(id) ?? 0) && !leaves.includes(id)) return `the edit would make ${id} report`;
  if (edits) {
    const fresh = newPaths(before, after, edits).filter(({ rule }) => rule.meta.id !== ruleId && !leaves.includes(rule.meta.id));
    if (fresh.length > 0) {
      const { rule, report } = fresh[0]!;
      return `the edit would make ${rule.meta.id} report a new path (line ${after.facts.lines.position(report.start).line}: ${report.message.replace(/\.$/, "")})`;
    }
  }
  return after;
}

/**
 * The reports of `after` that match no report of `before`. A report matches when the rule, the message and the
 * place are the same and so is its data, with `before`'s offsets and line numbers carried through `edits`. What
 * an edit replaced cannot be carried: a report inside replaced text matches by its source text instead of its
 * place, and a line number that pointed into replaced text (a from() the fix moved) matches any line.
 */
export function newPaths(before: Analysis, after: Analysis, edits: readonly TextEdit[]): Analysis['reports'] {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const replaced = sorted.filter((e) => e.end > e.start);
  const insideReplaced = (from: number, to: number) => replaced.some((e) => from < e.end && to > e.start);
  // An offset of the old text in the new one: shifted by every edit that ends at or before it (text inserted at
  // the offset goes before what was there); inside a replaced range, unknown.
  const mapOffset = (offset: number): number | undefined => {
    let shift = 0;
    for (const edit of sorted) {
      if (edit.end <= offset) shift += edit.text.length - (edit.end - edit.start);
      else if (edit.start < offset) return undefined;
      else break;
    }
    return offset + shift;
  };
  const oldText = before.facts.text;
  const oldLines = lineStarts(oldText);
  const newIndex = new LineIndex(after.facts.text);
  const mapLine = (line: number): number | undefined => {
    if (line < 1 || line > oldLines.length) return line;
    const from = oldLines[line - 1]!;
    const to = line < oldLines.length ? oldLines[line]! - 1 : oldText.length;
    if (insideReplaced(from, Math.max(to, from + 1))) return undefined;
    const mapped = mapOffset(from);
    return mapped === undefined ? undefined : newIndex.position(mapped).line;
  };
  const isLine = (key: string, value: string | number): value is number => typeof value === 'number' && /line$/i.test(key);
  const pending = before.reports.map(({ rule, report }) => {
    const inside = insideReplaced(report.start, Math.max(report.end, report.start + 1));
    return {
      id: rule.meta.id,
      messageId: report.messageId,
      offset: inside ? undefined : mapOffset(report.start),
      text: normalizeSnippet(oldText.slice(report.start, report.end)),
      data: Object.entries(report.data).map(([k, v]) => [k, isLine(k, v) ? mapLine(v) : v] as const),
      used: false,
    };
  });
  const fresh: Analysis['reports'] = [];
  for (const entry of after.reports) {
    const { report } = entry;
    const text = normalizeSnippet(after.facts.text.slice(report.start, report.end));
    const match = pending.find(
      (p) =>
        !p.used &&
        p.id === entry.rule.meta.id &&
        p.messageId === report.messageId &&
        (p.offset === undefined ? p.text === text : p.offset === report.start) &&
        p.data.length === Object.keys(report.data).length &&
        p.data.every(([k, v]) => v === undefined || report.data[k] === v),
    );
    if (match) match.used = true;
    else fresh.push(entry);
  }
  return fresh;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}
