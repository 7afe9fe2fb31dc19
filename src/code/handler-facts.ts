/**
 * What a deployed handler is, answered from its code: the join between a Deployment (which names a
 * handler) and the code rules' view of that module. Deployment rules consume these facts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FunctionNode, Node } from './ast.js';
import { calleeName, declaredNames, isFunction, memberPath, unwrap, walk } from './ast.js';
import { buildModuleFacts, parseModule } from './facts.js';
import { isStreamifyCall } from './stream-flow.js';
import { type LongWork, longWorkIn, nodeAppStreams, reachableModules, type ResponseCompression, responseCompression } from './handler-work.js';

export interface HandlerFacts {
  /** The module the handler resolved to, relative to the scan root. */
  file: string;
  exportName: string;
  /** The exported handler streams: streamifyResponse, or an adapter known to (hono streamHandle, middy streamifyResponse). */
  streaming: { how: string; line: number } | null;
  /** The exported handler is a buffered adapter (serverless-http, serverless-express, hono handle, Mangum...). */
  bufferedAdapter: { name: string; line: number } | null;
  /**
   * A handler the 4.x runtime rejects at init: not streamified and `handler.length >= 3` (JavaScript's
   * Function.length: the parameters before the first default or rest parameter), async or not.
   * `async` says whether it is an async function (the 3.x warning ignores those).
   */
  callbackStyle: { line: number; length: number; async: boolean } | null;
  /** The app emits CORS headers itself (cors() middleware, manual Access-Control-Allow-Origin), and where. */
  cors: { how: string; file: string; line: number } | null;
  /** Module-scope pools, clients or timers (from the code facts). */
  moduleHandles: string[];
  /** The module disables callbackWaitsForEmptyEventLoop. */
  disablesEventLoopWait: boolean;
  /** Module-scope variables or collections that functions change: shared between concurrent invocations. */
  moduleState: Array<{ name: string; line: number }>;
  /**
   * The app itself streams responses (Python: StreamingResponse, EventSourceResponse, stream_with_context…;
   * Node: an SSE content type, flushHeaders, res.write per chunk, hono/streaming), even when the handler in
   * front of it buffers them (Mangum, serverless-http). Read for buffered adapters only.
   */
  appStreams?: { how: string; file: string; line: number } | null;
  /**
   * Evidence that the handler does long work, found in its module and the project modules it imports: a model
   * call, an S3 object streamed, a loop of sleeps or polls. `estimateMs`: a bounded loop of sleeps of about
   * this length (long only when it outlasts the timeout).
   */
  longWork?: LongWork | null;
  /**
   * The handler's code compresses its responses (a content-encoding header other than identity, or a
   * compression middleware), in its module or the project modules it imports. Read for streaming handlers only.
   */
  compression?: ResponseCompression | null;
}

const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx'];

/**
 * Resolves `dir/file.export` (Lambda's handler string) under `codeDir` to a source file. Build output
 * (dist/, .aws-sam/build) is tried as written; a TypeScript source next to it is accepted too.
 */
export function resolveHandlerModule(root: string, codeDir: string, handler: string): { abs: string; exportName: string } | null {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) return null;
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const base = path.resolve(root, codeDir, modulePath);
  if (!base.startsWith(path.resolve(root))) return null;
  for (const ext of EXTENSIONS) {
    const candidate = base + ext;
    if (existsSync(candidate) && statSync(candidate).isFile()) return { abs: candidate, exportName };
  }
  return null;
}

/**
 * Handler facts for a resolved JS/TS module; null when it cannot be read. A module that does not parse is read
 * as text (see textOnlyFacts): the deployment still needs to know that it streams.
 */
export function handlerFactsFor(root: string, abs: string, exportName: string): HandlerFacts | null {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
  const rel = path.relative(root, abs).split(path.sep).join('/');
  let program: Node;
  try {
    program = parseModule(abs, text);
  } catch {
    return textOnlyFacts(root, abs, rel, text, exportName);
  }
  const facts = buildModuleFacts(rel, text, program);
  const line = (node: Node) => facts.lines.position(node.start).line;
  const exported = exportedValue(program, exportName);

  let streaming: HandlerFacts['streaming'] = null;
  let bufferedAdapter: HandlerFacts['bufferedAdapter'] = null;
  let callbackStyle: HandlerFacts['callbackStyle'] = null;
  const value = exported ? resolveLocal(program, exported) : null;
  if (value) {
    const adapter = classifyExport(value);
    if (adapter?.kind === 'streaming') streaming = { how: adapter.name, line: line(value) };
    if (adapter?.kind === 'buffered') bufferedAdapter = { name: adapter.name, line: line(value) };
    if (!adapter && isFunction(value)) {
      // `export const handler = async (event, context) => { …; return await app(event, context); }` with
      // `const app = serverless(expressApp)`: the wrapper returns what the buffered adapter returns.
      const wrapped = wrappedBufferedAdapter(program, value);
      const length = functionLength(value);
      if (wrapped) bufferedAdapter = { name: wrapped.name, line: line(wrapped.node) };
      else if (length >= 3) callbackStyle = { line: line(value), length, async: !!value.async };
    }
  }
  const modules = reachableModules(root, abs, text, withoutComments);
  return {
    file: rel,
    exportName,
    streaming,
    bufferedAdapter,
    callbackStyle,
    cors: findCors(root, abs, rel, text, 0),
    moduleHandles: facts.moduleHandles.map((h) => h.what),
    disablesEventLoopWait: facts.disablesEventLoopWait,
    moduleState: moduleState(program, line),
    ...(bufferedAdapter ? { appStreams: nodeAppStreams(modules) } : {}),
    ...(streaming ? { compression: responseCompression(modules) } : {}),
    longWork: longWorkIn(modules),
  };
}

/**
 * A handler function that calls (and returns or awaits) a module-level buffered adapter: `const app =
 * serverless(x)` (or `cached ??= serverlessExpress({ app })`) called inside the exported function.
 */
function wrappedBufferedAdapter(program: Node, fn: FunctionNode): { name: string; node: Node } | null {
  let found: { name: string; node: Node } | null = null;
  walk(fn.body, (node) => {
    if (found) return false;
    if (node.type !== 'CallExpression') return true;
    const callee = unwrap(node.callee);
    if (callee?.type !== 'Identifier') return true;
    for (const bound of bindingsOf(program, callee.name)) {
      const adapter = classifyExport(bound);
      if (adapter?.kind === 'buffered') {
        found = { name: adapter.name, node: bound };
        break;
      }
    }
    return !found;
  });
  return found;
}

/** Every value a name is given in the module: its initializer and its assignments (`x = …`, `x ??= …`). */
function bindingsOf(program: Node, name: string): Node[] {
  const out: Node[] = [];
  walk(program, (node) => {
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === name && node.init) out.push(unwrap(node.init)!);
    if (node.type === 'AssignmentExpression' && unwrap(node.left)?.type === 'Identifier' && unwrap(node.left)!.name === name) out.push(unwrap(node.right)!);
    return true;
  });
  return out;
}

/**
 * The facts of a module that does not parse (a syntax error the runtime will also hit, or syntax the parser does
 * not know), from its text: it streams when the code (comments aside) calls `awslambda.streamifyResponse(` or
 * hono's `streamHandle(`. Nothing else is claimed: no adapter, no callback, no module state.
 */
function textOnlyFacts(root: string, abs: string, rel: string, text: string, exportName: string): HandlerFacts {
  const code = withoutComments(text);
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;
  const streamify = /\bawslambda\s*\.\s*streamifyResponse\s*\(/.exec(code);
  const hono = streamify ? null : /\bstreamHandle\s*\(/.exec(code);
  const found = streamify ?? hono;
  return {
    file: rel,
    exportName,
    streaming: found
      ? { how: `${streamify ? 'awslambda.streamifyResponse' : 'hono/aws-lambda streamHandle()'} (read as text: the module does not parse)`, line: lineOf(found.index) }
      : null,
    bufferedAdapter: null,
    callbackStyle: null,
    cors: findCors(root, abs, rel, text, 0),
    moduleHandles: [],
    disablesEventLoopWait: false,
    moduleState: [],
    longWork: longWorkIn(reachableModules(root, abs, text, withoutComments)),
  };
}

/**
 * JavaScript's `Function.prototype.length`, which is what aws-lambda-ric 4.0.2 reads (`argsNum: handler.length`,
 * index.mjs:521): the parameters before the first one with a default value or a rest element.
 * `(e, c, cb = undefined)` has length 2, `(...args)` 0, `(e, c, { x })` 3. TypeScript's `this` parameter is
 * erased by the compiler and does not count; `cb?` is emitted as a plain parameter and counts.
 */
export function functionLength(fn: FunctionNode): number {
  let length = 0;
  for (const [index, raw] of (fn.params as Node[]).entries()) {
    const param = raw.type === 'TSParameterProperty' ? raw.parameter : raw;
    if (index === 0 && param.type === 'Identifier' && param.name === 'this') continue;
    if (param.type === 'AssignmentPattern' || param.type === 'RestElement') break;
    length++;
  }
  return length;
}

const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'set', 'add', 'delete', 'clear']);

/**
 * Module-scope `let`/`var` that a function reassigns, and module-scope objects, arrays, Maps and Sets that a
 * function mutates (`cache[key] = …`, `items.push(…)`, `seen.add(…)`).
 */
function moduleState(program: Node, line: (node: Node) => number): Array<{ name: string; line: number }> {
  const declared = new Map<string, Node>();
  for (const statement of program.body as Node[]) {
    const decl = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (decl?.type !== 'VariableDeclaration') continue;
    for (const d of decl.declarations) {
      if (d.id.type !== 'Identifier') continue;
      const init = unwrap(d.init);
      const collection =
        init?.type === 'ObjectExpression' ||
        init?.type === 'ArrayExpression' ||
        (init?.type === 'NewExpression' && ['Map', 'Set', 'WeakMap'].includes(memberPath(init.callee)?.at(-1) ?? ''));
      if (decl.kind !== 'const' || collection) declared.set(d.id.name, d);
    }
  }
  const changed = new Map<string, Node>();
  const inFunction = (fn: Node) => {
    const own = declaredNames(fn as FunctionNode); // a local `let cache` shadows the module's
    walk(fn.body, (node) => {
      const target =
        node.type === 'AssignmentExpression' || node.type === 'UpdateExpression'
          ? unwrap(node.type === 'AssignmentExpression' ? node.left : node.argument)
          : node.type === 'CallExpression' && MUTATORS.has(memberPath(node.callee)?.at(-1) ?? '')
            ? unwrap(unwrap(node.callee)?.object)
            : null;
      const name = target?.type === 'Identifier' ? target.name : target?.type === 'MemberExpression' ? memberPath(target)?.[0] : undefined;
      if (name && declared.has(name) && !own.has(name) && !changed.has(name)) changed.set(name, declared.get(name)!);
      return true;
    });
  };
  walk(program, (node) => {
    if (isFunction(node)) {
      inFunction(node);
      return false;
    }
    return true;
  });
  return [...changed].map(([name, node]) => ({ name, line: line(node) }));
}

/** `export const handler = X`, `export { x as handler }`, `exports.handler = X`, `module.exports.handler = X`. */
function exportedValue(program: Node, name: string): Node | null {
  let found: Node | null = null;
  for (const statement of program.body as Node[]) {
    if (statement.type === 'ExportNamedDeclaration') {
      const decl = statement.declaration;
      if (decl?.type === 'FunctionDeclaration' && decl.id?.name === name) found = decl;
      if (decl?.type === 'VariableDeclaration') {
        for (const d of decl.declarations) if (d.id.type === 'Identifier' && d.id.name === name) found = d.init;
      }
      for (const spec of statement.specifiers ?? []) {
        const exportedName = spec.exported?.name ?? spec.exported?.value;
        if (exportedName === name) found = { type: 'Identifier', name: spec.local?.name ?? spec.local?.value, start: spec.start, end: spec.end };
      }
    }
    if (name === 'default' && statement.type === 'ExportDefaultDeclaration') found = statement.declaration;
    if (statement.type === 'ExpressionStatement') {
      const expr = unwrap(statement.expression);
      if (expr?.type === 'AssignmentExpression') {
        const target = memberPath(expr.left);
        if (target && target[target.length - 1] === name && (target[0] === 'exports' || (target[0] === 'module' && target[1] === 'exports'))) found = expr.right;
      }
    }
  }
  return found;
}

/** Follows `const handler = ...` for an identifier export. */
function resolveLocal(program: Node, value: Node): Node {
  const v = unwrap(value);
  if (v?.type !== 'Identifier') return v ?? value;
  let init: Node | null = null;
  walk(program, (node) => {
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === v.name && node.init) init = node.init;
    if (node.type === 'FunctionDeclaration' && node.id?.name === v.name) init = node;
    return !init;
  });
  return unwrap(init) ?? v;
}

const BUFFERED_ADAPTERS: Record<string, string> = {
  serverless: 'serverless-http',
  serverlessHttp: 'serverless-http',
  serverlessExpress: '@codegenie/serverless-express',
  configure: '@codegenie/serverless-express',
  handle: 'hono/aws-lambda handle()',
  Mangum: 'Mangum',
};

function classifyExport(value: Node): { kind: 'streaming' | 'buffered'; name: string } | null {
  const v = unwrap(value);
  if (!v || v.type !== 'CallExpression') return null;
  if (isStreamifyCall(v)) return { kind: 'streaming', name: 'awslambda.streamifyResponse' };
  const name = calleeName(v);
  if (name === 'streamHandle') return { kind: 'streaming', name: 'hono/aws-lambda streamHandle()' };
  // middy(handler, { streamifyResponse: true })
  if (name === 'middy' && v.arguments.some((a: Node) => hasTrueProperty(a, 'streamifyResponse'))) {
    return { kind: 'streaming', name: 'middy streamifyResponse' };
  }
  if (name && BUFFERED_ADAPTERS[name]) return { kind: 'buffered', name: BUFFERED_ADAPTERS[name] };
  return null;
}

function hasTrueProperty(node: Node, key: string): boolean {
  const n = unwrap(node);
  if (n?.type !== 'ObjectExpression') return false;
  return n.properties.some((p: Node) => p.type === 'Property' && (p.key?.name === key || p.key?.value === key) && unwrap(p.value)?.value === true);
}

const CORS_PACKAGES = /(['"])(cors|hono\/cors|@fastify\/cors|@koa\/cors|@middy\/http-cors)\1/;

/** CORS emitted by the app: a CORS middleware package, or a manual Access-Control-Allow-Origin header. Follows relative imports two levels. */
function findCors(root: string, abs: string, rel: string, original: string, depth: number): HandlerFacts['cors'] {
  // Commented-out headers (`// 'Access-Control-Allow-Origin': …`) are not sent: match the code only.
  const text = withoutComments(original);
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const pkg = CORS_PACKAGES.exec(text);
  if (pkg && /\bimport\b|\brequire\(/.test(text.slice(Math.max(0, pkg.index - 200), pkg.index))) {
    return { how: `the ${pkg[2]} middleware`, file: rel, line: lineOf(pkg.index) };
  }
  const manual = /['"]access-control-allow-origin['"]/i.exec(text);
  if (manual) return { how: 'an Access-Control-Allow-Origin header set in code', file: rel, line: lineOf(manual.index) };
  if (depth >= 2) return null;
  for (const match of text.matchAll(/(?:from\s+|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = path.resolve(path.dirname(abs), match[1]);
    for (const candidate of [base, ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => base.replace(/\.(m|c)?js$/, '') + e)]) {
      if (!candidate.startsWith(path.resolve(root)) || !existsSync(candidate) || !statSync(candidate).isFile()) continue;
      const next = readFileSync(candidate, 'utf8');
      const found = findCors(root, candidate, path.relative(root, candidate).split(path.sep).join('/'), next, depth + 1);
      if (found) return found;
      break;
    }
  }
  return null;
}


/**
 * The text with every comment replaced by spaces (line breaks kept, so offsets and lines stay), for text-level
 * searches that must not match commented-out code. Strings and template literals are skipped as written.
 */
export function withoutComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += ' '.repeat(stop - i);
      i = stop;
    } else if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== ch && !(ch !== '`' && text[j] === '\n')) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}
