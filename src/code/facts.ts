/**
 * Facts about one module, computed once and shared by every code rule: where the streamified
 * handlers are, what happens to their response stream on every path, and the module-level context
 * (pools opened at module scope, wrappers around the exported handler, the no-wait flag).
 * Rules never parse or walk files themselves.
 */
import { parseSync } from 'oxc-parser';
import {
  type FunctionNode,
  type Node,
  calleeName,
  isFunction,
  memberPath,
  patternNames,
  propertyName,
  unwrap,
  walk,
  walkWithEnclosingFunction,
  LineIndex,
} from './ast.js';
import { type DroppedPromise, findDroppedPromises } from './dropped-promises.js';
import { type FlowResult, type ModuleScope, StreamFlowAnalyzer, isFromCall, isPromisifiedPipeline, isStreamifyCall, streamifyAliases } from './stream-flow.js';

export interface StreamFunctionFacts {
  fn: FunctionNode;
  /** handler: passed to streamifyResponse (a hang is a finding); helper: receives a stream and sets metadata. */
  role: 'handler' | 'helper';
  /** The stream parameter's name, or null when the handler never declares one. */
  streamParam: string | null;
  /** The streamifyResponse(...) call, for handlers. */
  streamifyCall: Node | null;
  /** The name the handler is known by (export name, variable), for messages. */
  name: string;
  flow: FlowResult;
}

export interface ModuleFacts {
  /** Path relative to the scan root, "/" separators (for messages only). */
  file: string;
  text: string;
  program: Node;
  lines: LineIndex;
  functions: StreamFunctionFacts[];
  streamifyCalls: Node[];
  /** Every HttpResponseStream.from(...) call in the module, wherever it is. */
  fromCalls: Node[];
  /** Module-scope expressions that keep the event loop busy: pools, clients, intervals. */
  moduleHandles: Array<{ node: Node; what: string }>;
  /** `context.callbackWaitsForEmptyEventLoop = false` (or a known middleware doing it) somewhere in the module. */
  disablesEventLoopWait: boolean;
  /** Exported `wrapper(streamifyResponse(fn))`: the runtime only sees the wrapper. */
  wrappedHandlers: Array<{
    wrapper: Node;
    streamify: Node;
    exportName: string;
    /** The npm package the wrapper comes from (`wrapHandler` imported from `@sentry/aws-serverless`), when it is imported. */
    wrapperPackage: string | null;
  }>;
  /**
   * Exported functions written for streaming (`async (event, responseStream) => { responseStream.write(…) }`)
   * that nothing streamifies: on Lambda their second argument is the context object.
   */
  unstreamifiedHandlers: Array<{ fn: FunctionNode; exportName: string; streamParam: string; use: Node }>;
  /** Promises of known async work that a streamified handler starts and drops (src/code/dropped-promises.ts). */
  droppedPromises: Array<DroppedPromise & { handler: string }>;
  /** Functions this module imports from a relative module and streamifies (`streamifyResponse(imported)`). */
  streamifiedImports: Array<{ source: string; imported: string }>;
  lookupFunction: ModuleScope['lookup'];
  /** The source with every comment blanked out (same length, so offsets still match). */
  code: string;
}

/** Comments of parsed programs, kept aside so AST walks never see them. */
const commentsByProgram = new WeakMap<Node, Array<{ start: number; end: number }>>();

/** The first syntax error of a module: what Node would reject it for (message, offset). */
export interface SyntaxProblem {
  message: string;
  offset: number;
}

export class ParseFailure extends Error {
  constructor(readonly problem: SyntaxProblem) {
    super(`parse error: ${problem.message}`);
  }
}

/** Syntax errors the parser recovered from (the program has a body, but Node would not load the module). */
const syntaxErrorsByProgram = new WeakMap<Node, SyntaxProblem>();

export function parseModule(file: string, text: string): Node {
  const result = parseSync(parserFileName(file), text, { preserveParens: false } as never);
  const program = result.program as unknown as Node;
  const fatal = result.errors.find((e: { severity?: string }) => e.severity !== 'Warning') as { message?: unknown; labels?: Array<{ start: number }> } | undefined;
  const problem = fatal ? { message: String(fatal.message).split('\n')[0]!, offset: fatal.labels?.[0]?.start ?? 0 } : null;
  if (problem && program.body.length === 0) throw new ParseFailure(problem);
  if (problem) syntaxErrorsByProgram.set(program, problem);
  commentsByProgram.set(program, (result.comments ?? []) as Array<{ start: number; end: number }>);
  return program;
}

/** The syntax error a parsed module still has (the parser recovered from it), if any. */
export function recoveredSyntaxError(program: Node): SyntaxProblem | undefined {
  return syntaxErrorsByProgram.get(program);
}

/** Syntax errors in a source (0 for a file that parses cleanly): a fix may never add one. */
export function syntaxErrorCount(file: string, text: string): number {
  const result = parseSync(parserFileName(file), text, { preserveParens: false } as never);
  return result.errors.filter((e: { severity?: string }) => e.severity !== 'Warning').length;
}

/** oxc picks the dialect from the extension; plain .js may hold JSX or be a CommonJS script. */
function parserFileName(file: string): string {
  if (/\.(mjs|cjs|js|jsx)$/.test(file)) return file.replace(/\.(mjs|cjs|js)$/, '.jsx');
  if (/\.(mts|cts)$/.test(file)) return file.replace(/\.(mts|cts)$/, '.ts');
  return file;
}

/** Reads and parses a module of the project named by a relative import, or null when it cannot. */
export type ModuleLoader = (specifier: string) => Node | null;

export interface FactOptions {
  /**
   * Also analyse the project's own functions that write a stream they are given under a writer's name
   * (`stream`, `writable`, `writer`, `output`, `out`), e.g. class methods reached through `this.x(…)`.
   * For project code only: libraries write to streams of every kind.
   */
  writerHelpers?: boolean;
}

export function buildModuleFacts(
  file: string,
  text: string,
  program: Node = parseModule(file, text),
  loadModule?: ModuleLoader,
  options: FactOptions = {},
): ModuleFacts {
  const scope = buildScope(program, loadModule);
  const aliases = streamifyAliases(program);
  const streamifyCalls: Node[] = [];
  const fromCalls: Node[] = [];
  let disablesEventLoopWait = false;

  const own = ownStreamifyNames(program);
  walk(program, (node) => {
    if (node.type === 'CallExpression') {
      if (isStreamifyCall(node, aliases) && !callsOwnFunction(node, own)) streamifyCalls.push(node);
      else if (isFromCall(node)) fromCalls.push(node);
      else if (isNoWaitMiddleware(node)) disablesEventLoopWait = true;
    } else if (node.type === 'AssignmentExpression') {
      const target = unwrap(node.left);
      const value = unwrap(node.right);
      if (
        target?.type === 'MemberExpression' &&
        propertyName(target) === 'callbackWaitsForEmptyEventLoop' &&
        value?.type === 'Literal' &&
        (value.value === false || value.value === 0)
      ) {
        disablesEventLoopWait = true;
      }
    }
    return true;
  });

  const functions: StreamFunctionFacts[] = [];
  const covered = new Set<FunctionNode>();

  for (const call of streamifyCalls) {
    const fn = resolveFunction(call.arguments[0], scope, call);
    if (!fn) continue;
    const param = fn.params[1];
    const flow = new StreamFlowAnalyzer(scope).analyze(fn, 1, { reportHangs: true, entry: 'fresh' });
    for (const visited of flow.visited) covered.add(visited);
    functions.push({
      fn,
      role: 'handler',
      streamParam: param && param.type === 'Identifier' ? param.name : null,
      streamifyCall: call,
      name: handlerName(call, program) ?? functionName(fn) ?? 'handler',
      flow,
    });
  }

  // Helpers that set metadata on a stream they receive (exported adapters such as
  // `awsStreamResponse(response, stream)`) and that no handler in this module reached.
  // The function that owns the stream is the innermost one whose parameters (plain or destructured,
  // `({ responseStream })`) bind the name from() receives; from() itself may sit in a nested closure or a
  // Promise executor of it.
  for (const call of fromCalls) {
    const target = unwrap(call.arguments[0]);
    if (!target || target.type !== 'Identifier') continue;
    const fn = enclosingFunctions(program, call).find((f) => f.params.some((p) => patternNames(p).includes(target.name)));
    if (!fn || covered.has(fn)) continue;
    const flow = new StreamFlowAnalyzer(scope).analyze(fn, target.name, { reportHangs: false, entry: 'unknown' });
    for (const visited of flow.visited) covered.add(visited);
    functions.push({ fn, role: 'helper', streamParam: target.name, streamifyCall: null, name: functionName(fn) ?? 'helper', flow });
  }

  // Adapters split into modules receive the runtime's stream under the name AWS documents,
  // `responseStream` (`runStream({ response, responseStream })`), and write it without ever calling
  // from() or streamifyResponse themselves: analyse those as helpers too (no hang findings: the caller
  // may end the stream).
  walk(program, (node) => {
    if (!isFunction(node) || covered.has(node)) return true;
    if (!node.params.some((p) => patternNames(p).includes(RUNTIME_STREAM_NAME))) return true;
    if (!usesAsStream(node, RUNTIME_STREAM_NAME)) return true;
    const flow = new StreamFlowAnalyzer(scope).analyze(node, RUNTIME_STREAM_NAME, { reportHangs: false, entry: 'unknown' });
    for (const visited of flow.visited) covered.add(visited);
    functions.push({ fn: node, role: 'helper', streamParam: RUNTIME_STREAM_NAME, streamifyCall: null, name: functionName(node) ?? 'helper', flow });
    return true;
  });

  if (options.writerHelpers) {
    walk(program, (node) => {
      if (!isFunction(node) || covered.has(node)) return true;
      const param = node.params.map((p: Node) => (p.type === 'AssignmentPattern' ? p.left : p)).find((p: Node) => p.type === 'Identifier' && WRITER_NAME.test(p.name) && usesAsStream(node, p.name));
      if (!param) return true;
      const flow = new StreamFlowAnalyzer(scope).analyze(node, param.name, { reportHangs: false, entry: 'unknown' });
      for (const visited of flow.visited) covered.add(visited);
      functions.push({ fn: node, role: 'helper', streamParam: param.name, streamifyCall: null, name: functionName(node) ?? memberName(program, node) ?? 'helper', flow });
      return true;
    });
  }

  return {
    file,
    text,
    program,
    lines: new LineIndex(text),
    functions,
    streamifyCalls,
    fromCalls,
    moduleHandles: findModuleHandles(program),
    disablesEventLoopWait,
    wrappedHandlers: findWrappedHandlers(program, streamifyCalls, aliases),
    unstreamifiedHandlers: findUnstreamifiedHandlers(program, scope, streamifyCalls),
    droppedPromises: functions
      .filter((f) => f.role === 'handler')
      .flatMap((f) => findDroppedPromises(f.fn, f.streamParam, scope).map((d) => ({ ...d, handler: f.name }))),
    streamifiedImports: streamifyCalls.flatMap((call) => {
      const arg = unwrap(call.arguments[0]);
      const binding = arg?.type === 'Identifier' ? relativeImports(program).get(arg.name) : undefined;
      return binding ? [binding] : [];
    }),
    lookupFunction: scope.lookup,
    code: commentFreeText(program, text),
  };
}

/** The text of a program parsed by parseModule with every comment blanked out (ModuleFacts.code). */
export function commentFreeText(program: Node, text: string): string {
  return blankComments(text, commentsByProgram.get(program) ?? []);
}

/** Replaces comment characters with spaces (newlines kept), so text checks ignore comments. */
function blankComments(text: string, comments: Array<{ start: number; end: number }>): string {
  if (comments.length === 0) return text;
  let out = '';
  let last = 0;
  for (const c of comments) {
    out += text.slice(last, c.start) + text.slice(c.start, c.end).replace(/[^\n]/g, ' ');
    last = c.end;
  }
  return out + text.slice(last);
}

// ---- scope: functions by name ------------------------------------------------------------------

interface Declared {
  name: string;
  fn: FunctionNode;
  /** The function (or program) whose scope holds the name. */
  container: Node;
}

function buildScope(program: Node, loadModule?: ModuleLoader): ModuleScope {
  const imports = relativeImports(program);
  const pipelineAliases = new Set<string>();
  const foreign = new Set<FunctionNode>();
  const foreignScopes = new Map<FunctionNode, ModuleScope>();
  const importedCache = new Map<string, FunctionNode | null>();
  // One pass with the enclosing function carried along: bundles hold tens of thousands of functions.
  const byName = new Map<string, Declared[]>();
  const declare = (name: string, fn: FunctionNode, container: Node) => {
    const list = byName.get(name);
    if (list) list.push({ name, fn, container });
    else byName.set(name, [{ name, fn, container }]);
  };
  walkWithEnclosingFunction(program, (node, container) => {
    if (node.type === 'FunctionDeclaration' && node.id) {
      declare(node.id.name, node as FunctionNode, container);
    } else if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier') {
      const init = unwrap(node.init);
      if (init && isFunction(init)) declare(node.id.name, init, container);
      if (isPromisifiedPipeline(init)) pipelineAliases.add(node.id.name);
    }
  });
  return {
    pipelineAliases,
    lookup(name, from) {
      let best: Declared | null = null;
      for (const d of byName.get(name) ?? []) {
        if (d.container.start <= from.start && from.end <= d.container.end) {
          if (!best || d.container.start >= best.container.start) best = d;
        }
      }
      return best?.fn ?? null;
    },
    imported(name) {
      const binding = imports.get(name);
      if (!binding || !loadModule) return null;
      if (!importedCache.has(name)) {
        const target = loadModule(binding.source);
        const fn = target ? exportedFunction(target, binding.imported) : null;
        if (target && fn && !foreignScopes.has(fn)) {
          // Every function of that module is foreign, and resolves its own helpers in its own scope
          // (one level deep: its imports are not followed further).
          const moduleScope = buildScope(target);
          walk(target, (node) => {
            if (isFunction(node)) {
              foreign.add(node);
              foreignScopes.set(node, moduleScope);
            }
            return true;
          });
        }
        importedCache.set(name, fn);
      }
      return importedCache.get(name) ?? null;
    },
    isForeign(fn) {
      return foreign.has(fn);
    },
    scopeFor(fn) {
      return foreignScopes.get(fn) ?? null;
    },
  };
}

/** `import { a as b } from "./x"` / `import d from "./x"`: local name -> (source, exported name). */
/**
 * Names under which the project calls a `streamifyResponse` of its own: imported from a relative module
 * (`import { streamifyResponse } from "./streamify"`, `const { streamifyResponse } = require("./streamify")`)
 * or declared as a function in this module. Such a wrapper decides itself what it hands the runtime (often a
 * buffered `(event, context)` handler it adapts); the function given to it is not a streaming handler.
 */
function ownStreamifyNames(program: Node): Set<string> {
  const names = new Set<string>();
  for (const [local, { imported }] of relativeImports(program)) if (imported === 'streamifyResponse' || local === 'streamifyResponse') names.add(local);
  for (const statement of program.body as Node[]) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type === 'FunctionDeclaration' && declaration.id?.name === 'streamifyResponse') names.add('streamifyResponse');
    if (declaration?.type !== 'VariableDeclaration') continue;
    for (const d of declaration.declarations as Node[]) {
      const init = unwrap(d.init);
      if (d.id.type === 'Identifier' && d.id.name === 'streamifyResponse' && isFunction(init)) names.add('streamifyResponse');
      const specifier = init?.type === 'CallExpression' && calleeName(init) === 'require' ? unwrap(init.arguments[0]) : null;
      const required = specifier?.type === 'Literal' && typeof specifier.value === 'string' ? specifier.value : null;
      if (d.id.type === 'ObjectPattern' && required?.startsWith('.')) {
        for (const prop of d.id.properties as Node[]) {
          if (prop.type === 'Property' && propertyKeyName(prop) === 'streamifyResponse' && unwrap(prop.value)?.type === 'Identifier') names.add(unwrap(prop.value)!.name);
        }
      }
    }
  }
  return names;
}

function callsOwnFunction(call: Node, own: ReadonlySet<string>): boolean {
  const callee = unwrap(call.callee);
  return callee?.type === 'Identifier' && own.has(callee.name);
}

function relativeImports(program: Node): Map<string, { source: string; imported: string }> {
  const imports = new Map<string, { source: string; imported: string }>();
  for (const statement of program.body as Node[]) {
    if (statement.type !== 'ImportDeclaration' || statement.importKind === 'type') continue;
    const source = statement.source?.value;
    if (typeof source !== 'string' || !source.startsWith('.')) continue;
    for (const spec of statement.specifiers ?? []) {
      if (spec.type === 'ImportSpecifier') {
        imports.set(spec.local.name, { source, imported: spec.imported.name ?? spec.imported.value });
      } else if (spec.type === 'ImportDefaultSpecifier') {
        imports.set(spec.local.name, { source, imported: 'default' });
      }
    }
  }
  return imports;
}

/** The function a module exports under `name` (declaration, `const x = fn`, `export { x as name }`, default). */
function exportedFunction(program: Node, name: string): FunctionNode | null {
  const topLevel = (local: string): FunctionNode | null => {
    for (const statement of program.body as Node[]) {
      const decl = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
      if (decl?.type === 'FunctionDeclaration' && decl.id?.name === local) return decl as FunctionNode;
      if (decl?.type === 'VariableDeclaration') {
        for (const d of decl.declarations) {
          const init = unwrap(d.init);
          if (d.id.type === 'Identifier' && d.id.name === local && init && isFunction(init)) return init;
        }
      }
    }
    return null;
  };
  for (const statement of program.body as Node[]) {
    if (name === 'default' && statement.type === 'ExportDefaultDeclaration') {
      const decl = unwrap(statement.declaration);
      if (decl && isFunction(decl)) return decl;
      if (decl?.type === 'Identifier') return topLevel(decl.name);
    }
    if (statement.type === 'ExportNamedDeclaration') {
      const decl = statement.declaration;
      if (decl?.type === 'FunctionDeclaration' && decl.id?.name === name) return decl as FunctionNode;
      if (decl?.type === 'VariableDeclaration') {
        for (const d of decl.declarations) {
          const init = unwrap(d.init);
          if (d.id.type === 'Identifier' && d.id.name === name && init && isFunction(init)) return init;
        }
      }
      if (!statement.source) {
        for (const spec of statement.specifiers ?? []) {
          const exported = spec.exported?.name ?? spec.exported?.value;
          if (exported === name) return topLevel(spec.local?.name ?? spec.local?.value);
        }
      }
    }
  }
  return null;
}

function resolveFunction(arg: Node | undefined, scope: ModuleScope, at: Node): FunctionNode | null {
  const n = unwrap(arg);
  if (!n) return null;
  if (isFunction(n)) return n;
  if (n.type === 'Identifier') return scope.lookup(n.name, at);
  return null;
}

const RUNTIME_STREAM_NAME = 'responseStream';
/** Parameter names that say "the stream this writes to" (writerHelpers). */
const WRITER_NAME = /^(stream|writable|writer|output|out|[a-z]*(Stream|Writable|Writer))$/;

/** The name a class member function is declared under (`handle = async (…) => …`, `async handle(…) {…}`). */
function memberName(program: Node, fn: FunctionNode): string | null {
  let name: string | null = null;
  walk(program, (node) => {
    if (name || node.start > fn.start || node.end < fn.end) return false;
    if ((node.type === 'MethodDefinition' || node.type === 'PropertyDefinition') && node.value === fn) name = propertyKeyName(node);
    return true;
  });
  return name;
}

/** `name.write(...)` / `name.end(...)`, or a pipe into `name` (`pipeline(src, name)`, `src.pipe(name)`), somewhere in the function. */
function usesAsStream(fn: FunctionNode, name: string): boolean {
  const isName = (node: Node | null | undefined) => unwrap(node)?.type === 'Identifier' && unwrap(node)!.name === name;
  let used = false;
  walk(fn.body, (node) => {
    if (used) return false;
    if (node.type === 'CallExpression') {
      const callee = unwrap(node.callee);
      if (callee?.type === 'MemberExpression' && isName(callee.object)) {
        const method = propertyName(callee);
        if (method === 'write' || method === 'end') used = true;
      }
      if ((calleeName(node) === 'pipeline' || calleeName(node) === 'pipe') && node.arguments.some((a: Node) => isName(a))) used = true;
    }
    return true;
  });
  return used;
}

/** Functions around a node, innermost first. */
function enclosingFunctions(program: Node, target: Node): FunctionNode[] {
  const found: FunctionNode[] = [];
  walk(program, (node) => {
    if (node.start > target.start || node.end < target.end) return false;
    if (isFunction(node)) found.unshift(node);
    return true;
  });
  return found;
}

function functionName(fn: FunctionNode): string | null {
  return fn.id?.name ?? null;
}

/** `export const handler = streamifyResponse(...)`, `exports.handler = ...`: the name users deploy. */
function handlerName(call: Node, program: Node): string | null {
  let name: string | null = null;
  walk(program, (node) => {
    if (name || node.start > call.start || node.end < call.end) return false;
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.init && node.init.start <= call.start && call.end <= node.init.end) {
      name = node.id.name;
    } else if (node.type === 'AssignmentExpression' && node.right.start <= call.start && call.end <= node.right.end) {
      const path = memberPath(node.left);
      if (path) name = path[path.length - 1];
    }
    return true;
  });
  return name;
}

// ---- module-level context ----------------------------------------------------------------------

/**
 * Constructors and calls that leave a socket or timer open after the response is sent.
 * Each keeps the event loop non-empty, which the 3.x runtime waits for in streaming mode.
 */
const HANDLE_CONSTRUCTORS: Record<string, string> = {
  Pool: 'a connection pool',
  PrismaClient: 'a Prisma client',
  Redis: 'a Redis client',
  Cluster: 'a Redis cluster client',
  MongoClient: 'a MongoDB client',
  Sequelize: 'a Sequelize pool',
  Client: 'a database client',
};
const HANDLE_CALLS: Record<string, string> = {
  createPool: 'a connection pool',
  createConnection: 'a database connection',
  setInterval: 'an interval timer',
  connect: 'a database connection',
  createClient: 'a Redis client',
  postgres: 'a postgres.js pool',
  knex: 'a Knex pool',
};

function findModuleHandles(program: Node): Array<{ node: Node; what: string }> {
  const handles: Array<{ node: Node; what: string }> = [];
  const topLevel = program.body as Node[];
  for (const statement of topLevel) {
    walk(statement, (node, parent) => {
      if (isFunction(node) || node.type === 'ClassDeclaration' || node.type === 'ClassExpression') return false;
      // setInterval(...).unref() does not hold the event loop.
      if (parent?.type === 'MemberExpression' && parent.object === node && propertyName(parent) === 'unref') return false;
      if (node.type === 'NewExpression') {
        const path = memberPath(node.callee);
        const name = path?.[path.length - 1];
        if (name && HANDLE_CONSTRUCTORS[name] && !(name === 'Client' && !looksLikeDbClient(path!))) {
          handles.push({ node, what: HANDLE_CONSTRUCTORS[name] });
        }
        // An idle keep-alive agent socket does not hold the loop on Node 20 (beforeExit still fires): not a handle.
      } else if (node.type === 'CallExpression') {
        const name = calleeName(node);
        const path = memberPath(node.callee);
        // Only the calls whose receiver says what they open: mongoose.connect, redis.createClient.
        if (name === 'connect' && !(path && path[0] === 'mongoose')) return true;
        if (name === 'createClient' && !(path && path[0] === 'redis')) return true;
        if (name && HANDLE_CALLS[name]) handles.push({ node, what: HANDLE_CALLS[name] });
      }
      return true;
    });
  }
  return handles;
}

function looksLikeDbClient(path: string[]): boolean {
  // `new pg.Client()` or a bare `new Client()`; `new SomeSdk.Client()` is too vague to call a DB.
  return path.length === 1 || path[0] === 'pg';
}

/** middy's doNotWaitForEmptyEventLoop(), or Powertools/lamware equivalents. */
function isNoWaitMiddleware(call: Node): boolean {
  const name = calleeName(call);
  return name === 'doNotWaitForEmptyEventLoop' || name === 'doNotWait';
}

/**
 * Wrappers not reported by name: @sentry/aws-serverless `wrapHandler` delegates to a streaming wrapper for
 * tagged handlers since 10.8.0 (`build/npm/cjs/sdk.js:148-150`); 8.x-10.6.0 (8.27.0 `sdk.js:207`, 10.6.0
 * `:120-138`) and @sentry/serverless 7.x strip the tag. The version decides, so the known-bad entries
 * `sentry-aws-serverless-stream-tag` / `sentry-serverless-stream-tag` report the affected installs instead.
 */
const STREAMING_AWARE_WRAPPERS = new Set(['wrapHandler']);

/**
 * Top-level names bound to an npm package: `import x from 'pkg'`, `import * as x`, `import { a as x }`,
 * `const x = require('pkg')`, `const { a } = require('pkg')`, `const x = require('pkg')(options)` (Lumigo).
 * Values are package names (`@sentry/aws-serverless/subpath` -> `@sentry/aws-serverless`).
 */
function packageBindings(program: Node): Map<string, string> {
  const names = new Map<string, string>();
  const packageOf = (specifier: unknown): string | null => {
    if (typeof specifier !== 'string' || specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
    const parts = specifier.split('/');
    return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  };
  const requireOf = (node: Node | null | undefined): string | null => {
    let n = unwrap(node);
    if (n?.type === 'CallExpression' && unwrap(n.callee)?.type === 'CallExpression') n = unwrap(n.callee); // require('pkg')(options)
    if (n?.type !== 'CallExpression' || unwrap(n.callee)?.type !== 'Identifier' || unwrap(n.callee)!.name !== 'require') return null;
    return packageOf(unwrap(n.arguments[0])?.value);
  };
  for (const statement of program.body as Node[]) {
    if (statement.type === 'ImportDeclaration' && statement.importKind !== 'type') {
      const pkg = packageOf(statement.source?.value);
      if (pkg) for (const spec of statement.specifiers ?? []) names.set(spec.local.name, pkg);
    }
    const decl = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (decl?.type !== 'VariableDeclaration') continue;
    for (const d of decl.declarations) {
      const pkg = requireOf(d.init);
      if (pkg) for (const name of patternNames(d.id)) names.set(name, pkg);
    }
  }
  return names;
}

function findWrappedHandlers(program: Node, streamifyCalls: Node[], aliases: ReadonlySet<string>): ModuleFacts['wrappedHandlers'] {
  const found: ModuleFacts['wrappedHandlers'] = [];
  if (streamifyCalls.length === 0) return found;
  const exported = exportedNames(program);
  const packages = packageBindings(program);
  // Module-level `const streaming = streamifyResponse(fn)`: wrapping `streaming` later is the same bug.
  const streamifiedVars = new Map<string, Node>();
  for (const statement of program.body as Node[]) {
    const decl = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (decl?.type !== 'VariableDeclaration') continue;
    for (const d of decl.declarations) {
      const init = unwrap(d.init);
      if (d.id.type === 'Identifier' && init && isStreamifyCall(init, aliases)) streamifiedVars.set(d.id.name, init);
    }
  }
  const check = (value: Node | null | undefined, exportName: string) => {
    const outer = unwrap(value);
    if (!outer || outer.type !== 'CallExpression' || isStreamifyCall(outer, aliases)) return;
    if (STREAMING_AWARE_WRAPPERS.has(calleeName(outer) ?? '')) return;
    for (const arg of outer.arguments) {
      const inner = unwrap(arg);
      const streamify = inner && (isStreamifyCall(inner, aliases) ? inner : inner.type === 'Identifier' ? streamifiedVars.get(inner.name) : undefined);
      if (streamify) found.push({ wrapper: outer, streamify, exportName, wrapperPackage: packages.get(memberPath(outer.callee)?.[0] ?? '') ?? null });
    }
  };
  for (const statement of program.body as Node[]) {
    const decl = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (decl?.type === 'VariableDeclaration') {
      for (const d of decl.declarations) {
        if (d.id.type !== 'Identifier') continue;
        if (statement.type === 'ExportNamedDeclaration' || exported.has(d.id.name)) check(d.init, exported.get(d.id.name) ?? d.id.name);
      }
    }
    if (statement.type === 'ExportDefaultDeclaration') check(statement.declaration, 'default');
    if (statement.type === 'ExpressionStatement') {
      const expr = unwrap(statement.expression);
      if (expr?.type === 'AssignmentExpression') {
        const path = memberPath(expr.left);
        if (path && (path[0] === 'exports' || (path[0] === 'module' && path[1] === 'exports'))) {
          check(expr.right, path[path.length - 1]);
        }
      }
    }
  }
  return found;
}

/**
 * Functions a module exports, with their export names: `export const h = fn`, `export function h`,
 * `export default fn`, `export { f as h }`, `exports.h = fn`, `module.exports.h = fn`, `module.exports = { h }`.
 */
function exportedFunctions(program: Node, scope: ModuleScope): Array<{ fn: FunctionNode; exportName: string }> {
  const out: Array<{ fn: FunctionNode; exportName: string }> = [];
  const add = (value: Node | null | undefined, exportName: string, at: Node) => {
    const v = unwrap(value);
    if (!v) return;
    const fn = isFunction(v) ? v : v.type === 'Identifier' ? scope.lookup(v.name, at) : null;
    if (fn) out.push({ fn, exportName });
  };
  for (const statement of program.body as Node[]) {
    if (statement.type === 'ExportNamedDeclaration') {
      const decl = statement.declaration;
      if (decl?.type === 'FunctionDeclaration' && decl.id) out.push({ fn: decl as FunctionNode, exportName: decl.id.name });
      if (decl?.type === 'VariableDeclaration') for (const d of decl.declarations) if (d.id.type === 'Identifier') add(d.init, d.id.name, d);
      if (!statement.source) {
        for (const spec of statement.specifiers ?? []) {
          const local = spec.local?.name ?? spec.local?.value;
          if (local) add({ type: 'Identifier', name: local, start: spec.start, end: spec.end }, spec.exported?.name ?? spec.exported?.value ?? local, statement);
        }
      }
    }
    if (statement.type === 'ExportDefaultDeclaration') add(statement.declaration, 'default', statement);
    if (statement.type !== 'ExpressionStatement') continue;
    const expr = unwrap(statement.expression);
    if (expr?.type !== 'AssignmentExpression') continue;
    const target = memberPath(expr.left);
    if (!target) continue;
    const isModuleExports = target[0] === 'module' && target[1] === 'exports';
    if ((target[0] === 'exports' && target.length === 2) || (isModuleExports && target.length === 3)) add(expr.right, target[target.length - 1]!, statement);
    if (isModuleExports && target.length === 2) {
      const right = unwrap(expr.right);
      if (right?.type === 'ObjectExpression') {
        for (const property of right.properties) {
          if (property.type === 'Property' && propertyKeyName(property)) add(property.value, propertyKeyName(property)!, statement);
        }
      } else add(right, 'default', statement);
    }
  }
  return out;
}

function propertyKeyName(property: Node): string | null {
  const key = property.key;
  if (!key) return null;
  if (key.type === 'Identifier') return key.name;
  return typeof key.value === 'string' ? key.value : null;
}

/** The response-stream uses that only make sense for Lambda's stream (not an Express `res`): from(), setContentType(), pipeline into it. */
function lambdaStreamUse(fn: FunctionNode, name: string): Node | null {
  let use: Node | null = null;
  let writes: Node | null = null;
  walk(fn.body, (node) => {
    if (use) return false;
    if (node !== fn.body && isFunction(node) && node.params.some((p: Node) => patternNames(p).includes(name))) return false; // shadowed
    if (node.type !== 'CallExpression') return true;
    const callee = unwrap(node.callee);
    const onParam = callee?.type === 'MemberExpression' && unwrap(callee.object)?.type === 'Identifier' && unwrap(callee.object)!.name === name;
    const method = onParam ? propertyName(callee) : null;
    if (method === 'setContentType') use = node;
    if ((method === 'write' || method === 'end') && !writes) writes = node;
    if (isFromCall(node) && unwrap(node.arguments[0])?.type === 'Identifier' && unwrap(node.arguments[0])!.name === name) use = node;
    if (calleeName(node) === 'pipeline' && unwrap(node.arguments.at(-1))?.type === 'Identifier' && unwrap(node.arguments.at(-1))!.name === name) use = use ?? node;
    return !use;
  });
  // write()/end() alone count only under a name that says it is the response stream (an Express handler's
  // `res.write` must not count): responseStream, stream, resStream…
  return use ?? (writes && /stream/i.test(name) ? writes : null);
}

function findUnstreamifiedHandlers(program: Node, scope: ModuleScope, streamifyCalls: Node[]): ModuleFacts['unstreamifiedHandlers'] {
  const streamified = new Set(streamifyCalls.map((call) => resolveFunction(call.arguments[0], scope, call)).filter((fn): fn is FunctionNode => !!fn));
  const out: ModuleFacts['unstreamifiedHandlers'] = [];
  for (const { fn, exportName } of exportedFunctions(program, scope)) {
    if (streamified.has(fn) || fn.params.length < 2) continue;
    const param = fn.params[1];
    if (param?.type !== 'Identifier') continue;
    // A Lambda handler: exported as a handler, or taking the event first. A helper that is handed the stream
    // (`invokeAgent(data, responseStream)`) is not one.
    const first = fn.params[0]?.type === 'Identifier' ? fn.params[0].name : '';
    if (!/handler/i.test(exportName) && !/^_?(event|evt|ev|e|lambdaEvent)$/i.test(first)) continue;
    const use = lambdaStreamUse(fn, param.name);
    if (use) out.push({ fn, exportName, streamParam: param.name, use });
  }
  return out;
}

/** Local name -> exported name, for `export { a as handler }` and `export default a`. */
function exportedNames(program: Node): Map<string, string> {
  const names = new Map<string, string>();
  for (const statement of program.body as Node[]) {
    if (statement.type === 'ExportNamedDeclaration' && !statement.source) {
      for (const spec of statement.specifiers ?? []) {
        const local = spec.local?.name ?? spec.local?.value;
        const exportedName = spec.exported?.name ?? spec.exported?.value;
        if (local) names.set(local, exportedName ?? local);
      }
    }
    if (statement.type === 'ExportDefaultDeclaration' && statement.declaration?.type === 'Identifier') {
      names.set(statement.declaration.name, 'default');
    }
  }
  return names;
}
