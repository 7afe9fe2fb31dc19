/**
 * Runs the code rules on one source file: select the rules whose trigger tokens occur, parse once,
 * compute the module facts once, let every selected rule read them, and turn rule reports into
 * findings with positions, fingerprints and package attribution.
 */
import type { Finding, InternalError, PackageRef, SkipNote } from '../model/finding.js';
import type { CodeProblem, CodeRule } from '../model/rule.js';
import { normalizeSnippet } from '../config/fingerprint.js';
import { findingOf, runRules } from '../checks/runner.js';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Node } from './ast.js';
import { type ModuleFacts, type ModuleLoader, type SyntaxProblem, ParseFailure, buildModuleFacts, parseModule, recoveredSyntaxError } from './facts.js';
import { LineIndex } from './ast.js';
import { observed } from '../model/rule.js';
import { handlerSyntaxError } from '../checks/code/handler-syntax-error.js';
import { AnalysisBudgetExceeded } from './stream-flow.js';

export { DEPENDENCY_MARKERS, STREAMING_MARKERS } from './markers.js';

export interface SourceInput {
  /** Relative to the scan root, "/" separators. */
  rel: string;
  text: string;
  origin: Finding['origin'];
  package?: PackageRef;
  /** Absolute path and scan root: when given, relative imports of helpers are followed (inside the root). */
  abs?: string;
  root?: string;
}

export interface SourceResult {
  findings: Finding[];
  parsed: boolean;
  skipped?: SkipNote;
  /** Rules that threw on this file: the other rules' findings are kept, these may be missing. */
  internalErrors: InternalError[];
  /** Functions of other project modules that this one streamifies (root-relative file, export name). */
  streamifiedElsewhere?: Array<{ file: string; exportName: string }>;
  /**
   * Project modules whose functions this one's analysis called (root-relative): a helper module handed the
   * stream may carry none of the pre-filter's markers (`handle(question, output)`), and is analysed too.
   */
  followedModules?: string[];
}

export function rulesFor(text: string, rules: readonly CodeRule[]): CodeRule[] {
  return rules.filter((rule) => rule.meta.triggers.some((token) => text.includes(token)));
}

/** One module's analysis: its facts and every selected rule's problems, or why there are none. */
export type ModuleAnalysis =
  | {
      ok: true;
      facts: ModuleFacts;
      results: Array<{ rule: CodeRule; problem: CodeProblem }>;
      /** Rules that threw (their problems may be missing). */
      failures: InternalError[];
      /** A syntax error the parser recovered from, in a project module (Node would not load it). */
      recovered?: SyntaxProblem;
      /** Absolute paths of the project modules the analysis read to follow helpers. */
      loaded: ReadonlySet<string>;
    }
  /** `syntaxError`: a project module that does not parse; otherwise `reason` says why it was skipped. */
  | { ok: false; syntaxError?: SyntaxProblem; reason?: string };

/**
 * Parses once, builds the facts once (following relative imports inside `root` when `abs` is given) and
 * runs the rules whose triggers occur. The one entry point for `scan` (analyzeSource) and the ESLint
 * plugin (src/eslint/), so both see exactly the same problems.
 */
export function analyzeModule(input: SourceInput, rules: readonly CodeRule[]): ModuleAnalysis | null {
  const selected = rulesFor(input.text, rules);
  if (selected.length === 0) return null;
  let facts;
  const loader = input.abs && input.root ? relativeModuleLoader(input.abs, input.root) : undefined;
  try {
    facts = buildModuleFacts(input.rel, input.text, parseModule(input.rel, input.text), loader, { writerHelpers: input.origin === 'project' });
  } catch (error) {
    if (error instanceof ParseFailure && input.origin === 'project') return { ok: false, syntaxError: error.problem };
    const reason =
      error instanceof ParseFailure
        ? error.message
        : error instanceof AnalysisBudgetExceeded
          ? error.message
          : error instanceof RangeError && /call stack/.test(error.message)
            ? 'too deeply nested to analyse'
            : `analysis failed: ${(error as Error).message}`;
    return { ok: false, reason };
  }
  const { results, failures } = runRules(selected, facts, input.rel);
  const recovered = input.origin === 'project' ? recoveredSyntaxError(facts.program) : undefined;
  return { ok: true, facts, results, failures, loaded: loader?.loaded ?? new Set(), ...(recovered ? { recovered } : {}) };
}

export function analyzeSource(input: SourceInput, rules: readonly CodeRule[]): SourceResult {
  const analysis = analyzeModule(input, rules);
  if (analysis === null) return { findings: [], parsed: false, internalErrors: [] };
  if (!analysis.ok) {
    if (analysis.syntaxError) return { findings: [syntaxErrorFinding(input, analysis.syntaxError)], parsed: false, internalErrors: [] };
    return { findings: [], parsed: false, skipped: { file: input.rel, reason: analysis.reason ?? 'not analysed' }, internalErrors: [] };
  }
  const { facts, results, failures, recovered, loaded } = analysis;
  const findings = codeFindings(facts, results, input);
  if (recovered) findings.unshift(syntaxErrorFinding(input, recovered));
  const streamifiedElsewhere =
    input.abs && input.root
      ? facts.streamifiedImports.flatMap(({ source, imported }) => {
          const file = resolveRelativeModule(input.abs!, input.root!, source);
          return file ? [{ file: path.relative(input.root!, file).split(path.sep).join('/'), exportName: imported }] : [];
        })
      : [];
  const followedModules = input.root && input.origin === 'project' ? [...loaded].map((file) => path.relative(input.root!, file).split(path.sep).join('/')) : [];
  return { findings, parsed: true, internalErrors: failures, streamifiedElsewhere, followedModules };
}

/**
 * A module of the project that streams and does not parse: the runtime cannot load it either. (Dependencies
 * and bundles that our parser rejects are skipped with a note instead: that is our limit, not theirs.)
 */
function syntaxErrorFinding(input: Pick<SourceInput, 'rel' | 'text' | 'origin' | 'package'>, problem: SyntaxProblem): Finding {
  const position = new LineIndex(input.text).position(Math.min(problem.offset, input.text.length));
  const rendered = observed(handlerSyntaxError, { messageId: 'doesNotParse', data: { file: input.rel, error: problem.message } });
  return findingOf(
    handlerSyntaxError.meta,
    { ...rendered, fix: 'Fix the syntax error (`node --check <file>` shows it); the module must load before any handler code runs.' },
    { file: input.rel, line: position.line, column: position.column },
    { origin: input.origin, ...(input.package ? { package: input.package } : {}) },
    `syntax:${problem.message}`,
  );
}

/**
 * Code problems as findings: positions from offsets, and a fingerprint key that survives line drift (the
 * problem's logical key, else its normalized snippet, plus an occurrence index among equal keys).
 */
export function codeFindings(
  facts: ModuleFacts,
  results: ReadonlyArray<{ rule: CodeRule; problem: CodeProblem }>,
  input: Pick<SourceInput, 'rel' | 'origin' | 'package'>,
): Finding[] {
  const occurrences = new Map<string, number>();
  return results.map(({ rule, problem }) => {
    const start = facts.lines.position(problem.start);
    const end = facts.lines.position(Math.max(problem.start, problem.end));
    const logical = normalizeSnippet(problem.key ?? facts.text.slice(problem.start, problem.end));
    const seen = occurrences.get(`${rule.meta.id}\0${logical}`) ?? 0;
    occurrences.set(`${rule.meta.id}\0${logical}`, seen + 1);
    return findingOf(
      rule.meta,
      problem,
      { file: input.rel, line: start.line, column: start.column, endLine: end.line, endColumn: end.column },
      { origin: input.origin, ...(input.package ? { package: input.package } : {}) },
      `${logical}#${seen}`,
    );
  });
}

/** Modules larger than this are not read to follow a helper (bundles do not import relatively anyway). */
const MAX_IMPORTED_BYTES = 1024 * 1024;
const EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.tsx', '.mts', '.cts', '.jsx', '/index.js', '/index.mjs', '/index.ts'];

/**
 * Resolves `./helper`, `./helper.js` (TypeScript sources import their .ts as .js) and `./dir` to a file
 * inside the scan root, then parses it. Anything that cannot be read or parsed is simply not followed:
 * the stream then escapes at that call and the analysis stays quiet.
 */
export function relativeModuleLoader(abs: string, root: string): ModuleLoader & { loaded: Set<string> } {
  const cache = new Map<string, Node | null>();
  const loaded = new Set<string>();
  const load = (specifier: string): Node | null => {
    if (cache.has(specifier)) return cache.get(specifier)!;
    let program: Node | null = null;
    const file = resolveRelativeModule(abs, root, specifier, (candidate) => {
      try {
        program = parseModule(candidate, readFileSync(candidate, 'utf8'));
        return true;
      } catch {
        return false; // unreadable or unparsable: try the next candidate, else do not follow
      }
    });
    cache.set(specifier, file ? program : null);
    if (file && program) loaded.add(file);
    return file ? program : null;
  };
  return Object.assign(load, { loaded });
}

/**
 * The file inside the scan root that a relative specifier names (`./helper`, `./helper.js` for a .ts
 * source, `./dir` for its index), at most 1 MB; `accept` may reject a candidate (it could not be parsed).
 */
export function resolveRelativeModule(abs: string, root: string, specifier: string, accept: (file: string) => boolean = () => true): string | null {
  const rootPrefix = path.resolve(root) + path.sep;
  const base = path.resolve(path.dirname(abs), specifier);
  for (const b of [base, base.replace(/\.(m|c)?js$/, '')]) {
    for (const ext of EXTENSIONS) {
      const file = b + ext;
      if (!file.startsWith(rootPrefix) || file === abs) continue;
      try {
        const stat = statSync(file);
        if (stat.isFile() && stat.size <= MAX_IMPORTED_BYTES && accept(file)) return file;
      } catch {
        // no such file: next candidate
      }
    }
  }
  return null;
}
