/**
 * The ESLint plugin's side of the analysis: one `analyzeModule` per file (the same entry `scan` uses),
 * shared by every `stream-doctor/*` rule of that file, and the fixes `stream-doctor fix` would keep.
 *
 * ESLint calls each rule's `create` separately for the same file; the first rule computes the analysis and
 * the others find it in a small cache keyed by file name and source text (an edit in the editor is a new
 * key). Fixes are computed on first use only, per problem, because ESLint asks for them eagerly.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { STREAMING_MARKERS, analyzeModule, resolveRelativeModule, type SourceInput } from '../code/analyze.js';
import { buildModuleFacts, parseModule, syntaxErrorCount, type ModuleFacts } from '../code/facts.js';
import { codeRules } from '../checks/code/index.js';
import { codeFixersById } from '../fix/code/index.js';
import { validate, type Analysis, type FixInput } from '../fix/engine.js';
import { Declined } from '../fix/ast-support.js';
import { isSuggestion, type TextEdit } from '../model/fix.js';
import type { CodeProblem, CodeRule } from '../model/rule.js';
import type { Severity } from '../model/finding.js';
import { parseDirectives } from '../config/suppressions.js';
import { applyEdits } from '../fix/text.js';

/** A fix for ESLint: `fix` when `stream-doctor fix` would apply it unasked, `suggest` otherwise. */
export interface PluginFix {
  kind: 'fix' | 'suggest';
  title: string;
  edits: TextEdit[];
}

export interface PluginProblem {
  ruleId: string;
  messageId: string;
  data: Readonly<Record<string, string | number>>;
  severity: Severity;
  /** UTF-16 offsets into the text ESLint gave (its `sourceCode.text`). */
  start: number;
  end: number;
  /** The fix, computed on first call (null: none that the engine keeps). */
  fix(): PluginFix | null;
}

export interface FileAnalysis {
  /** Problems by rule id, suppressed ones (`stream-doctor-disable-…` with a reason) left out. */
  byRule: Map<string, PluginProblem[]>;
  /** Rules that threw on this file (`scan` reports them as internal errors and exits 2): rule id -> message. */
  failures: Map<string, string>;
}

const EMPTY: FileAnalysis = { byRule: new Map(), failures: new Map() };

/**
 * Enough for every file ESLint lints at once and the VS Code extension's open editors; each entry holds a
 * file's facts (AST included), so the cache stays small.
 */
const CACHE_SIZE = 16;
const cache = new Map<string, { text: string; analysis: FileAnalysis }>();

/** The analysis of `text` as the file `filename`, computed once per file name and text. */
export function analysisFor(filename: string, text: string, cwd: string): FileAnalysis {
  const cached = cache.get(filename);
  if (cached && cached.text === text) {
    // Most recently used last: Map keeps insertion order.
    cache.delete(filename);
    cache.set(filename, cached);
    return cached.analysis;
  }
  const analysis = analyse(filename, text, cwd);
  cache.delete(filename);
  cache.set(filename, { text, analysis });
  while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return analysis;
}

/** Extensions oxc reads; anything else (stdin's `<input>`, `.vue`…) is parsed as JavaScript. */
const SOURCE_EXTENSION = /\.(m|c)?(j|t)sx?$/;

function sourceInput(filename: string, text: string, cwd: string): SourceInput {
  const real = path.isAbsolute(filename);
  if (!real) return { rel: SOURCE_EXTENSION.test(filename) ? filename : `${filename}.js`, text, origin: 'project' };
  // Relative imports are followed inside the ESLint working directory, as `scan` follows them inside its root.
  const inside = path.resolve(filename).startsWith(path.resolve(cwd) + path.sep);
  const root = inside ? path.resolve(cwd) : path.dirname(filename);
  let rel = path.relative(root, filename).split(path.sep).join('/');
  if (!SOURCE_EXTENSION.test(rel)) rel += '.js';
  return { rel, text, origin: 'project', abs: filename, root };
}

function analyse(filename: string, text: string, cwd: string): FileAnalysis {
  // The walker's prefilter: a file without a streaming marker is never parsed (most files ESLint sees).
  if (!STREAMING_MARKERS.some((marker) => text.includes(marker))) return EMPTY;
  const input = sourceInput(filename, text, cwd);
  const analysis = analyzeModule(input, codeRules);
  if (analysis === null) return EMPTY;
  const byRule = new Map<string, PluginProblem[]>();
  const add = (problem: PluginProblem) => {
    const list = byRule.get(problem.ruleId) ?? [];
    list.push(problem);
    byRule.set(problem.ruleId, list);
  };
  const syntaxProblem = (offset: number, message: string) =>
    add({ ruleId: 'handler-syntax-error', messageId: 'doesNotParse', data: { file: input.rel, error: message }, severity: 'error', start: offset, end: offset, fix: () => null });

  if (!analysis.ok) {
    // A rule or budget limit (the CLI's skip note): nothing to say. A syntax error is the rule's finding.
    if (analysis.syntaxError) syntaxProblem(Math.min(analysis.syntaxError.offset, text.length), analysis.syntaxError.message);
    return { byRule, failures: new Map() };
  }
  const { facts, results, recovered } = analysis;
  const failures = new Map(analysis.failures.map((failure) => [failure.ruleId, failure.message]));
  if (recovered) syntaxProblem(Math.min(recovered.offset, text.length), recovered.message);

  const suppressed = suppressedLines(text);
  const before: Analysis = { facts, reports: results.map(({ rule, problem }) => ({ rule, report: problem })) };
  let baseErrors: number | undefined;
  const fixInput: FixInput = { rel: input.rel, text, origin: 'project', ...(input.abs ? { abs: input.abs, root: input.root } : {}) };
  let streamifiedElsewhere: Set<string> | undefined;

  for (const { rule, problem } of results) {
    const ruleId = rule.meta.id;
    const line = facts.lines.position(problem.start).line;
    if (suppressed.get(line)?.has(ruleId)) continue;
    if (ruleId === 'streaming-handler-not-streamified' && input.abs && input.root) {
      // `scan` drops it when another module of the project streamifies the export; so must we.
      streamifiedElsewhere ??= exportsStreamifiedElsewhere(input.abs, input.root);
      if (streamifiedElsewhere.has(String(problem.data.name))) continue;
    }
    let memo: PluginFix | null | undefined;
    add({
      ruleId,
      messageId: problem.messageId,
      data: problem.data,
      severity: problem.severity ?? rule.meta.severity,
      start: problem.start,
      end: Math.max(problem.start, problem.end),
      fix: () => {
        if (memo === undefined) {
          baseErrors ??= syntaxErrorCount(input.rel, text);
          memo = keptFix(fixInput, before, rule, problem, facts, baseErrors);
        }
        return memo;
      },
    });
  }
  return { byRule, failures };
}

/**
 * The edit `stream-doctor fix` would keep for this problem (re-parses, the rule reports less, no rule reports
 * more), or null. An edit that trades the bug for a lesser one another rule reports (`leaves`) changes
 * behaviour beyond the fix: a suggestion, never applied by `eslint --fix`.
 */
function keptFix(input: FixInput, before: Analysis, rule: CodeRule, problem: CodeProblem, facts: ModuleFacts, baseErrors: number): PluginFix | null {
  const fixer = codeFixersById.get(rule.meta.id);
  if (!fixer) return null;
  let proposal;
  try {
    proposal = fixer.fix(problem, facts);
  } catch (error) {
    if (error instanceof Declined) return null;
    return null; // a fixer bug: no edit rather than a crash of the lint run (`fix` reports it as an internal error)
  }
  if (!proposal || isSuggestion(proposal)) return null;
  const leaves = fixer.leaves?.map((l) => l.ruleId) ?? [];
  const verdict = validate(input, before, applyEdits(input.text, proposal.edits), rule.meta.id, codeRules, baseErrors, leaves);
  if (typeof verdict === 'string') return null;
  return { kind: leaves.length > 0 ? 'suggest' : 'fix', title: proposal.title, edits: proposal.edits };
}

/** Line -> rule ids suppressed on it by a well-formed directive (one with a reason), as `scan` applies them. */
function suppressedLines(text: string): Map<number, Set<string>> {
  const lines = new Map<number, Set<string>>();
  for (const directive of parseDirectives(text).directives) {
    const set = lines.get(directive.targetLine) ?? new Set<string>();
    for (const rule of directive.rules) set.add(rule);
    lines.set(directive.targetLine, set);
  }
  return lines;
}

/** The walk below stops after this many entries: the plugin must stay cheap on huge working trees. */
const MAX_WALK_ENTRIES = 20_000;
const MAX_MODULE_BYTES = 1024 * 1024;

/**
 * Export names of `abs` that another module of the project imports and streamifies
 * (`import { handler as raw } from './raw.js'; export const handler = streamifyResponse(raw)`). Only run for
 * a file with a streaming-handler-not-streamified problem: it reads the project's sources that mention
 * streamifyResponse (node_modules and dot folders left out), as `scan` does.
 */
function exportsStreamifiedElsewhere(abs: string, root: string): Set<string> {
  const names = new Set<string>();
  let entries = 0;
  const visit = (dir: string) => {
    let list;
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of list) {
      if (++entries > MAX_WALK_ENTRIES) return;
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        visit(file);
        continue;
      }
      if (!entry.isFile() || !SOURCE_EXTENSION.test(entry.name) || file === abs) continue;
      try {
        if (statSync(file).size > MAX_MODULE_BYTES) continue;
        const text = readFileSync(file, 'utf8');
        if (!text.includes('streamifyResponse')) continue;
        const facts = buildModuleFacts(file, text, parseModule(file, text));
        for (const { source, imported } of facts.streamifiedImports) {
          if (resolveRelativeModule(file, root, source) === abs) names.add(imported);
        }
      } catch {
        // unreadable or unparsable: it streamifies nothing we can see
      }
    }
  };
  visit(root);
  return names;
}
