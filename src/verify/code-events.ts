/**
 * Events from the handler's own code, so `verify` goes where `scan` points: a bug on a route the six default
 * events never hit (a redirect of its own, a hang on `/stream`) is run too. Mined from the handler module and
 * the relative modules it imports (one level): string literals compared with a path (`event.rawPath ===
 * '/x'`, `path.startsWith('/x')`, `case '/x':` in a switch on the path), router registrations
 * (`app.get('/x', …)`, `router.post('/x', …)`), and methods compared with the request method. Bounded: at most
 * MAX_CODE_EVENTS events, each named by its request (`GET /x`).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Node } from '../code/ast.js';
import { parseModule } from '../code/facts.js';
import { PROBE_EVENTS, functionUrlEvent, type ProbeEvent } from './events.js';

export const MAX_CODE_EVENTS = 8;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
const ROUTER_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all']);
/** Expressions that hold the request path: `event.rawPath`, `requestContext.http.path`, `url.pathname`, `req.path`. */
const PATH_TEXT = /\b(rawPath|path|pathname|url|route|resource)\b/i;
const METHOD_TEXT = /\bmethod\b|httpMethod/i;
/** The paths the default events already send. */
const DEFAULT_PATHS = new Set(['/', '/no-content', '/redirect', '/echo']);

interface Route {
  method: string;
  path: string;
  /** Where it was found, `index.mjs:12`. */
  at: string;
}

function literal(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && node.expressions?.length === 0) return node.quasis?.[0]?.value?.cooked;
  return undefined;
}

/** `/users/:id` → `/users/1`, `/files/*` → `/files/x`: a concrete request the route matches. */
function concrete(route: string): string | undefined {
  if (!route.startsWith('/') || /\s/.test(route) || route.length > 200) return undefined;
  return route.replace(/:[A-Za-z_]\w*\??/g, '1').replace(/\{[^}]*\}/g, '1').replace(/\*+/g, 'x');
}

function mine(text: string, file: string, rel: string, routes: Route[], methods: Set<string>): Node | undefined {
  let program: Node;
  try {
    program = parseModule(file, text);
  } catch {
    return undefined;
  }
  const source = (node: Node) => text.slice(node.start, node.end);
  const lineOf = (node: Node) => text.slice(0, node.start).split('\n').length;
  const visit = (node: unknown, parentPath: boolean): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, parentPath);
      return;
    }
    const n = node as Node;
    if (n.type === 'BinaryExpression' && ['===', '==', '!==', '!='].includes(n.operator)) {
      for (const [value, other] of [[n.right, n.left], [n.left, n.right]] as const) {
        const s = literal(value);
        if (s === undefined || !other) continue;
        if (PATH_TEXT.test(source(other)) && s.startsWith('/')) routes.push({ method: 'GET', path: s, at: `${rel}:${lineOf(n)}` });
        if (METHOD_TEXT.test(source(other)) && METHODS.includes(s.toUpperCase())) methods.add(s.toUpperCase());
      }
    }
    if (n.type === 'CallExpression' && n.callee?.type === 'MemberExpression' && !n.callee.computed) {
      const name = n.callee.property?.name as string | undefined;
      const first = literal(n.arguments?.[0]);
      if (name === 'startsWith' && first?.startsWith('/') && PATH_TEXT.test(source(n.callee.object))) routes.push({ method: 'GET', path: first, at: `${rel}:${lineOf(n)}` });
      // A router registration takes the path and at least one handler.
      if (name && ROUTER_METHODS.has(name) && first?.startsWith('/') && (n.arguments?.length ?? 0) >= 2) {
        routes.push({ method: name === 'all' ? 'GET' : name === 'del' ? 'DELETE' : name.toUpperCase(), path: first, at: `${rel}:${lineOf(n)}` });
      }
    }
    if (n.type === 'SwitchStatement' && n.discriminant) {
      const onPath = PATH_TEXT.test(source(n.discriminant));
      const onMethod = METHOD_TEXT.test(source(n.discriminant));
      for (const c of (n.cases ?? []) as Node[]) {
        const s = literal(c.test);
        if (s === undefined) continue;
        if (onPath && s.startsWith('/')) routes.push({ method: 'GET', path: s, at: `${rel}:${lineOf(c)}` });
        if (onMethod && METHODS.includes(s.toUpperCase())) methods.add(s.toUpperCase());
      }
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'parent' && value && typeof value === 'object') visit(value, parentPath);
  };
  visit(program.body, false);
  return program;
}

/** Relative modules the program imports (`./routes.mjs`), resolved to files. */
function relativeImports(program: Node, abs: string): string[] {
  const out: string[] = [];
  for (const statement of program.body as Node[]) {
    const spec = statement.type === 'ImportDeclaration' ? literal(statement.source) : undefined;
    if (!spec || !spec.startsWith('.')) continue;
    const base = path.resolve(path.dirname(abs), spec);
    for (const candidate of [base, `${base}.mjs`, `${base}.js`, `${base}.cjs`, path.join(base, 'index.mjs'), path.join(base, 'index.js')]) {
      if (existsSync(candidate) && /\.(m|c)?js$/.test(candidate)) {
        out.push(candidate);
        break;
      }
    }
  }
  return out;
}

export interface CodeEvents {
  events: ProbeEvent[];
  /** Requests found but not sent: over the budget. */
  dropped: string[];
}

/** The events mined from `abs` (the handler module) and its relative imports, within the budget. */
export function eventsFromCode(abs: string, root: string): CodeEvents {
  const routes: Route[] = [];
  const methods = new Set<string>();
  const relOf = (file: string) => path.relative(root, file).split(path.sep).join('/');
  let program: Node | undefined;
  try {
    program = mine(readFileSync(abs, 'utf8'), abs, relOf(abs), routes, methods);
  } catch {
    return { events: [], dropped: [] };
  }
  if (program) {
    for (const file of relativeImports(program, abs)) {
      try {
        mine(readFileSync(file, 'utf8'), file, relOf(file), routes, methods);
      } catch {
        // an unreadable import mines nothing
      }
    }
  }
  const requests = new Map<string, { method: string; path: string; at: string }>();
  for (const route of routes) {
    const p = concrete(route.path);
    if (!p) continue;
    const method = route.method;
    if (method === 'GET' && DEFAULT_PATHS.has(p)) continue;
    const key = `${method} ${p}`;
    if (!requests.has(key)) requests.set(key, { method, path: p, at: route.at });
  }
  // A method the code tests for without a route of its own: sent on `/`.
  const defaultMethods = new Set(PROBE_EVENTS.map((e) => (e.event as { requestContext: { http: { method: string } } }).requestContext.http.method));
  for (const method of methods) {
    if (defaultMethods.has(method) || [...requests.values()].some((r) => r.method === method)) continue;
    requests.set(`${method} /`, { method, path: '/', at: 'method' });
  }
  const all = [...requests.entries()];
  const events = all.slice(0, MAX_CODE_EVENTS).map(([name, r]) => ({
    name,
    description: `${name} (from the code${r.at === 'method' ? ': a method it tests for' : `, ${r.at}`})`,
    event: functionUrlEvent({
      method: r.method,
      path: r.path,
      ...(['POST', 'PUT', 'PATCH'].includes(r.method) ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
    }),
  }));
  return { events, dropped: all.slice(MAX_CODE_EVENTS).map(([name]) => name) };
}
