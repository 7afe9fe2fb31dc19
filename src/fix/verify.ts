/**
 * `fix --verify`: a code fix is kept only when running the handler it touches under aws-lambda-ric, before
 * and after the edit, with the same events, shows no invocation getting worse. What the client gets is
 * compared per runtime and event: the completion (completed < kept running < failed < hung/crashed < init
 * failed), the status and headers the prelude carried, the cookies, the body bytes (a body that was only
 * filler may shrink), and function errors (error trailers). The edited text runs from a preload
 * (src/verify/sandbox.ts): nothing in the project is written, SDK clients can be stubbed, and the network is
 * off, so both runs see the same world.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Node } from '../code/ast.js';
import { parseModule } from '../code/facts.js';
import { handlerFactsFor } from '../code/handler-facts.js';
import { diagnose, errorText, type Diagnosis } from '../verify/analyze.js';
import type { ProbeEvent } from '../verify/events.js';
import type { Lineage } from '../verify/install.js';
import { runInvocation } from '../verify/run.js';
import { BLOCKED_MARKER, writeSandbox } from '../verify/sandbox.js';
import { mapPool } from '../util/pool.js';

export interface FixVerifySettings {
  /** The function's code root (LAMBDA_TASK_ROOT): the project root. */
  root: string;
  /** Package directory of aws-lambda-ric per lineage. */
  ricDirs: Map<Lineage, string>;
  events: ProbeEvent[];
  timeoutMs: number;
  /** Module specifier -> absolute file. */
  stubs: Record<string, string>;
  progress?: (text: string) => void;
}

/** One invocation as the comparison sees it. */
export interface InvocationView {
  verdict: string;
  status: number | null;
  headers: Record<string, string>;
  cookies: string[];
  bodyBytes: number | null;
  /** The response carried its metadata in a prelude (false: none sent, the client got a bare 200). */
  prelude: boolean;
  /** The function error (error trailers or …/error), `Type: message`. */
  error: string | null;
}

export interface VerifyRow {
  /** `index.handler` as Lambda names it. */
  handler: string;
  runtime: Lineage;
  event: string;
  before: InvocationView;
  after: InvocationView;
  /** Why `after` is worse than `before`; empty when it is not. */
  worse: string[];
}

export type FileVerification =
  | { state: 'verified'; rows: VerifyRow[] }
  | { state: 'worse'; rows: VerifyRow[] }
  | { state: 'not-verifiable'; reason: string };

/** The sources Node runs as they are (aws-lambda-ric loads `.js`, `.mjs`, `.cjs`). */
export const RUNNABLE = new Set(['.js', '.mjs', '.cjs']);
const CONCURRENCY = 2;

/** The file's exported handlers: the streaming ones, else the exports named like a handler. */
export function exportedHandlers(root: string, abs: string, text: string): string[] {
  let program: Node;
  try {
    program = parseModule(abs, text);
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const statement of program.body as Node[]) {
    if (statement.type === 'ExportNamedDeclaration') {
      const decl = statement.declaration;
      if (decl?.type === 'VariableDeclaration') for (const d of decl.declarations as Node[]) if (d.id?.type === 'Identifier') names.add(d.id.name);
      if (decl?.type === 'FunctionDeclaration' && decl.id) names.add(decl.id.name);
      for (const spec of (statement.specifiers ?? []) as Node[]) {
        const name = spec.exported?.name ?? spec.exported?.value;
        if (typeof name === 'string') names.add(name);
      }
    }
    if (statement.type === 'ExpressionStatement' && statement.expression?.type === 'AssignmentExpression') {
      const left = statement.expression.left;
      const target = memberPath(left);
      if (target && ((target[0] === 'exports' && target.length === 2) || (target[0] === 'module' && target[1] === 'exports' && target.length === 3))) names.add(target.at(-1)!);
      if (target && target.length === 2 && target[0] === 'module' && target[1] === 'exports' && statement.expression.right?.type === 'ObjectExpression') {
        for (const prop of statement.expression.right.properties as Node[]) if (prop.key?.type === 'Identifier') names.add(prop.key.name);
      }
    }
  }
  const all = [...names];
  const streaming = all.filter((name) => handlerFactsFor(root, abs, name)?.streaming);
  return streaming.length > 0 ? streaming : all.filter((name) => /handler/i.test(name));
}

function memberPath(node: Node | null | undefined): string[] | null {
  if (!node) return null;
  if (node.type === 'Identifier') return [node.name];
  if (node.type === 'MemberExpression' && !node.computed && node.property?.type === 'Identifier') {
    const inner = memberPath(node.object);
    return inner ? [...inner, node.property.name] : null;
  }
  return null;
}

/** Bare module specifiers the text imports or requires. */
function bareImports(abs: string, text: string): string[] {
  let program: Node;
  try {
    program = parseModule(abs, text);
  } catch {
    return [];
  }
  const out = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    const n = node as Node;
    const source =
      n.type === 'ImportDeclaration' || n.type === 'ExportAllDeclaration' || n.type === 'ExportNamedDeclaration'
        ? n.source?.value
        : n.type === 'ImportExpression'
          ? n.source?.type === 'Literal' ? n.source.value : undefined
          : n.type === 'CallExpression' && n.callee?.type === 'Identifier' && n.callee.name === 'require' && n.arguments?.[0]?.type === 'Literal'
            ? n.arguments[0].value
            : undefined;
    if (typeof source === 'string' && !source.startsWith('.') && !source.startsWith('/')) out.add(source);
    for (const [key, value] of Object.entries(n)) if (key !== 'parent' && value && typeof value === 'object') visit(value);
  };
  visit(program.body);
  return [...out];
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The bare imports that resolve to no installed package (looked up the way Node does: node_modules up the tree). */
export function missingDependencies(abs: string, text: string, stubs: Record<string, string>): string[] {
  const missing: string[] = [];
  for (const specifier of bareImports(abs, text)) {
    if (specifier.startsWith('node:') || builtinModules.includes(specifier) || builtinModules.includes(specifier.split('/')[0]!)) continue;
    const name = packageName(specifier);
    if (Object.keys(stubs).some((stub) => specifier === stub || specifier.startsWith(`${stub}/`) || name === stub)) continue;
    let dir = path.dirname(abs);
    let found = false;
    for (;;) {
      if (existsSync(path.join(dir, 'node_modules', name, 'package.json'))) {
        found = true;
        break;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    if (!found && !missing.includes(name)) missing.push(name);
  }
  return missing;
}

export function viewOf(d: Diagnosis): InvocationView {
  const c = d.client;
  const verdict = d.verdict === 'init-failed' ? 'init failed' : d.keptRunning ? `${d.verdict}, kept running` : d.verdict;
  const error = d.functionError ? errorText(d.functionError) : d.initFailure?.kind === 'error' ? errorText(d.initFailure) : null;
  return {
    verdict,
    status: c ? c.status : null,
    headers: c && c.source !== 'no-prelude' ? { ...c.headers } : {},
    cookies: c ? c.cookies.map((cookie) => cookie.split('=')[0]!.trim()) : [],
    bodyBytes: c ? c.bodyBytes : null,
    prelude: c?.source === 'prelude',
    error,
    ...(c ? { blank: c.bodyBytes <= 120 && /^(\s|\\0)*$/.test(c.bodyPreview) } : {}),
  } as InvocationView;
}

// A stream still arriving when the wait ended ranks under a hang: it was making progress.
const RANK: Record<string, number> = { completed: 0, 'completed, kept running': 1, failed: 2, 'failed, kept running': 3, 'still-streaming': 3.5, hung: 4, crashed: 4, 'init failed': 5 };

/** Why `after` is worse for the client than `before` (empty: it is not). */
export function worseThan(before: InvocationView, after: InvocationView): string[] {
  const why: string[] = [];
  const rank = (v: string) => RANK[v] ?? 4;
  if (rank(after.verdict) > rank(before.verdict) || (rank(after.verdict) === rank(before.verdict) && after.verdict !== before.verdict)) why.push(`${before.verdict} → ${after.verdict}`);
  if (after.error && after.error !== before.error) why.push(`function error ${after.error}`);
  if (before.status !== null && Object.keys(before.headers).length + (before.status !== 200 ? 1 : 0) > 0 && after.status !== before.status) {
    why.push(`status ${before.status} → ${after.status ?? 'none'}`);
  }
  for (const [name, value] of Object.entries(before.headers)) {
    if (after.headers[name] !== value) why.push(`${name}: ${value} → ${after.headers[name] ?? '(none)'}`);
  }
  for (const cookie of before.cookies) if (!after.cookies.includes(cookie)) why.push(`cookie ${cookie} lost`);
  const blank = (before as InvocationView & { blank?: boolean }).blank;
  // Body bytes are compared when both runs delivered the same way: a fix that makes the metadata reach the
  // client (no prelude -> prelude) also changes what the bytes are (a leaked prelude, a raw error text).
  // A body cut off by the wait (still streaming) has as many bytes as the clock allowed: not compared.
  const sameDelivery = (before.prelude === after.prelude || after.status === null) && after.verdict !== 'still-streaming';
  if (sameDelivery && before.bodyBytes !== null && before.bodyBytes > 0 && !blank && (after.bodyBytes ?? 0) < before.bodyBytes) why.push(`body ${before.bodyBytes} B → ${after.bodyBytes ?? 0} B`);
  return why;
}

/** `completed 500 application/json 24 B`, `failed 200 0 B (Runtime.X: …)`. */
export function describeView(v: InvocationView): string {
  const parts = [v.verdict];
  if (v.status !== null) parts.push(String(v.status));
  const type = v.headers['content-type'];
  if (type) parts.push(type);
  if (v.headers.location) parts.push(`location ${v.headers.location}`);
  if (v.bodyBytes !== null) parts.push(`${v.bodyBytes} B`);
  if (v.cookies.length) parts.push(`cookies ${v.cookies.join(',')}`);
  if (v.error) parts.push(`(${v.error.length > 70 ? `${v.error.slice(0, 69)}…` : v.error})`);
  return parts.join(' ');
}

interface RunSet {
  views: Map<string, InvocationView>;
  /** The handler never got an event (every run init-failed), and why. */
  initFailure?: string;
}

/** Runs every handler of `abs` under every lineage with every event, serving `text` for the file when given. */
async function runAll(settings: FixVerifySettings, abs: string, handlers: string[], text: string | null, work: string, phase: 'before' | 'after'): Promise<RunSet> {
  const overrides: Record<string, string> = {};
  if (text !== null) {
    const edited = path.join(work, `${phase}${path.extname(abs)}`);
    writeFileSync(edited, text);
    overrides[abs] = edited;
  }
  const env = writeSandbox(path.join(work, `${phase}-sandbox`), { stubs: settings.stubs, overrides });
  const jobs = handlers.flatMap((handler) => [...settings.ricDirs.keys()].flatMap((lineage) => settings.events.map((event) => ({ handler, lineage, event }))));
  const views = new Map<string, InvocationView>();
  const failures: string[] = [];
  let done = 0;
  await mapPool(jobs, CONCURRENCY, async ({ handler, lineage, event }) => {
    settings.progress?.(`verifying ${handler} ${phase} the fix (${done}/${jobs.length})…`);
    const result = await runInvocation({
      launch: { kind: 'ric', lineage, ricDir: settings.ricDirs.get(lineage)! },
      taskRoot: settings.root,
      handler,
      event: event.event,
      requestId: `fix-verify-${lineage.replace('.', '')}-${event.name}`,
      timeoutMs: settings.timeoutMs,
      env,
    });
    const d = diagnose(result, lineage, settings.timeoutMs);
    views.set(`${handler}\0${lineage}\0${event.name}`, viewOf(d));
    if (d.verdict === 'init-failed') {
      const blocked = result.stderr.split('\n').find((l) => l.includes(BLOCKED_MARKER));
      failures.push(
        blocked
          ? `it calls the network at import (${blocked.slice(blocked.indexOf(BLOCKED_MARKER) + BLOCKED_MARKER.length).trim()}); stub the client with --stub <module>=<file>`
          : `it fails to load under ${lineage}: ${d.initFailure?.kind === 'error' ? errorText(d.initFailure) : d.initFailure?.kind === 'exit' ? `the runtime exited (${d.initFailure.exit})` : 'init did not finish'}`,
      );
    }
    done += 1;
  });
  return { views, ...(failures.length === jobs.length && jobs.length > 0 ? { initFailure: failures[0] } : {}) };
}

/** Whether the handlers of a file can be run at all, and why not (`exported`: its exported handlers, when the caller has them). */
export function notVerifiable(
  root: string,
  abs: string,
  original: string,
  fixed: string,
  stubs: Record<string, string>,
  exported?: string[],
): { reason: string } | { handlers: string[] } {
  const ext = path.extname(abs);
  if (!RUNNABLE.has(ext)) return { reason: `${ext} source: Node does not run it as is (build it, then \`stream-doctor verify <built handler>\`)` };
  const exports = exported ?? exportedHandlers(root, abs, original);
  if (exports.length === 0) return { reason: 'no exported handler in this file (a module the handler imports): run `stream-doctor verify` on the handler' };
  const missing = [...new Set([...missingDependencies(abs, original, stubs), ...missingDependencies(abs, fixed, stubs)])];
  if (missing.length > 0) return { reason: `dependencies not installed: ${missing.join(', ')} (install them, or --stub <module>=<file>)` };
  const rel = path.relative(root, abs).split(path.sep).join('/');
  const base = rel.slice(0, rel.length - ext.length);
  return { handlers: exports.map((name) => `${base}.${name}`) };
}

/** Runs the file's handlers before and after: the rows, and whether some invocation got worse. */
export async function verifyEdit(settings: FixVerifySettings, abs: string, handlers: string[], before: string, after: string): Promise<FileVerification> {
  const work = mkdtempSync(path.join(tmpdir(), 'stream-doctor-fix-verify-'));
  try {
    const was = await runAll(settings, abs, handlers, before, work, 'before');
    if (was.initFailure) return { state: 'not-verifiable', reason: was.initFailure };
    const now = await runAll(settings, abs, handlers, after, work, 'after');
    const rows: VerifyRow[] = [];
    for (const handler of handlers) {
      for (const runtime of settings.ricDirs.keys()) {
        for (const event of settings.events) {
          const key = `${handler}\0${runtime}\0${event.name}`;
          const b = was.views.get(key)!;
          const a = now.views.get(key)!;
          rows.push({ handler, runtime, event: event.name, before: strip(b), after: strip(a), worse: worseThan(b, a) });
        }
      }
    }
    return { state: rows.some((r) => r.worse.length > 0) ? 'worse' : 'verified', rows };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function strip(view: InvocationView): InvocationView {
  const { verdict, status, headers, cookies, bodyBytes, prelude, error } = view;
  return { verdict, status, headers, cookies, bodyBytes, prelude, error };
}
