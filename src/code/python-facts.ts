/**
 * Handler facts for Python Lambda handlers, read with a real Python parser: web-tree-sitter (WASM, no
 * native build) and the tree-sitter-python grammar's prebuilt .wasm (copied into dist/grammars/ by the build,
 * scripts/copy-grammars.mjs). Both load lazily, on the first Python handler a scan meets: projects without
 * one never pay for them.
 *
 * Python managed runtimes cannot stream (aws.md §2.2), so `streaming` is always null: a streaming Python
 * function goes through the Lambda Web Adapter, which the deployment rules read from config. What the
 * code can tell is whether the app itself streams (`appStreams`: StreamingResponse, EventSourceResponse...)
 * and whether the handler is a buffered adapter (Mangum...): a Mangum app that returns a
 * StreamingResponse is seed 002's bug.
 *
 * Names are matched by what they were imported as (`from fastapi.responses import StreamingResponse`,
 * `import mangum` + `mangum.Mangum`), never by spelling alone. The handler module's local imports are
 * followed one level for the app-wide facts (appStreams, cors, moduleHandles).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import type { Node as SyntaxNode, Parser } from 'web-tree-sitter';
import type { HandlerFacts } from './handler-facts.js';

/** The app streams its responses itself, whatever the handler in front of it does with them. */
export interface AppStreams {
  /** What streams, for messages: `StreamingResponse (fastapi.responses)`. */
  how: string;
  /** Relative to the scan root, "/" separators. */
  file: string;
  line: number;
}

/** HandlerFacts plus what only Python handlers answer today. */
export type PythonHandlerFacts = HandlerFacts & { appStreams: AppStreams | null };

/**
 * The grammar: tree-sitter-python 0.25's own .wasm (MIT). The package ships it in dist/grammars/; a checkout
 * running the sources (tests) takes it from the tree-sitter-python devDependency.
 */
function grammarPath(): string {
  const shipped = fileURLToPath(new URL('../grammars/tree-sitter-python.wasm', import.meta.url));
  return existsSync(shipped) ? shipped : createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm');
}

/**
 * The runtime: web-tree-sitter 0.27's ES module and .wasm (MIT), shipped the same way in dist/grammars/
 * (the module finds its .wasm beside itself); the sources (tests) take it from the web-tree-sitter
 * devDependency.
 */
function loadRuntime(): Promise<typeof import('web-tree-sitter')> {
  const shipped = new URL('../grammars/web-tree-sitter.js', import.meta.url);
  return existsSync(shipped) ? (import(shipped.href) as Promise<typeof import('web-tree-sitter')>) : import('web-tree-sitter');
}
/** Python modules bigger than this are not read. */
const MAX_BYTES = 2 * 1024 * 1024;
/** Local modules followed from one handler module. */
const MAX_FOLLOWED = 24;

// ---------------------------------------------------------------------------------------------------
// Resolving the handler string

/**
 * Resolves a Python handler under `codeDir` to its module file:
 * - Lambda's `module.function` (`main.handler` -> main.py, `app.lambda_function.handler` ->
 *   app/lambda_function.py or app/lambda_function/__init__.py; `/` works as a separator, as in the
 *   runtime);
 * - a web server command run behind the Lambda Web Adapter (an image CMD): `uvicorn main:app`,
 *   `python -m uvicorn app.main:app --app-dir src`, gunicorn, hypercorn, granian, daphne,
 *   `fastapi run app/main.py`, `python main.py` / `python -m app.main` (exportName `__main__`).
 */
export function resolvePythonHandler(root: string, codeDir: string, handler: string): { abs: string; exportName: string } | null {
  const spec = handlerSpec(handler.trim());
  if (!spec) return null;
  const base = path.resolve(root, codeDir, spec.dir ?? '.');
  if (!inside(root, base)) return null;
  const abs = 'file' in spec ? existingFile(root, path.resolve(base, spec.file)) : moduleFile(root, base, spec.module);
  return abs ? { abs, exportName: spec.exportName } : null;
}

type Spec = ({ module: string[] } | { file: string }) & { exportName: string; dir?: string };

const SERVERS = /^(uvicorn|gunicorn|hypercorn|granian|daphne)$/;
const APP_REF = /^([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*):([A-Za-z_]\w*)(?:\(.*\))?$/;
const PYTHON = /^python(\d+(\.\d+)?)?$/;

function handlerSpec(handler: string): Spec | null {
  if (!handler) return null;
  if (!/\s/.test(handler) && !handler.includes(':')) {
    const dot = handler.lastIndexOf('.');
    if (dot <= 0 || dot === handler.length - 1) return null;
    const module = handler.slice(0, dot).split(/[./]/);
    if (module.some((s) => !s)) return null;
    return { module, exportName: handler.slice(dot + 1) };
  }
  const words = handler.split(/\s+/).map((w) => w.replace(/^["']+|["',]+$/g, '')).filter(Boolean);
  const server = words.findIndex((w) => SERVERS.test(path.posix.basename(w)));
  if (server >= 0) {
    let dir: string | undefined;
    for (let i = server + 1; i < words.length; i++) {
      const w = words[i];
      const option = /^--(app-dir|chdir)(?:=(.*))?$/.exec(w);
      if (option) {
        dir = option[2] ?? words[++i];
        continue;
      }
      const ref = APP_REF.exec(w);
      if (ref) return { module: ref[1].split('.'), exportName: ref[2], ...(dir ? { dir } : {}) };
    }
    return null;
  }
  const fastapi = words.findIndex((w, i) => path.posix.basename(w) === 'fastapi' && /^(run|dev)$/.test(words[i + 1] ?? ''));
  if (fastapi >= 0) {
    const rest = words.slice(fastapi + 2);
    const file = rest.find((w) => w.endsWith('.py'));
    const app = rest.findIndex((w) => w === '--app');
    return file ? { file, exportName: (app >= 0 && rest[app + 1]) || 'app' } : null;
  }
  const python = words.findIndex((w) => PYTHON.test(path.posix.basename(w)));
  if (python >= 0) {
    const rest = words.slice(python + 1);
    const m = rest.indexOf('-m');
    if (m >= 0 && rest[m + 1]) return { module: rest[m + 1].split('.'), exportName: '__main__' };
    const file = rest.find((w) => w.endsWith('.py'));
    if (file) return { file, exportName: '__main__' };
  }
  return null;
}

function inside(root: string, abs: string): boolean {
  const rel = path.relative(path.resolve(root), abs);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function existingFile(root: string, abs: string): string | null {
  return inside(root, abs) && existsSync(abs) && statSync(abs).isFile() ? abs : null;
}

/** `a.b.c` under `base`: a/b/c.py, else the package a/b/c/__init__.py. */
function moduleFile(root: string, base: string, segments: string[]): string | null {
  const stem = path.resolve(base, ...segments);
  return existingFile(root, `${stem}.py`) ?? existingFile(root, path.join(stem, '__init__.py'));
}

// ---------------------------------------------------------------------------------------------------
// The parser, loaded on first use

let loading: Promise<Parser> | null = null;
let problem: string | null = null;

/**
 * V8's budget for tiering a WASM function up from Liftoff (baseline) to TurboFan: 50M "bytes executed"
 * instead of the 1.8M of Node 20's V8. With the default, parsing even 1 KB of Python makes the grammar's
 * large lexer and parse functions hot, and their TurboFan compile (≈ 130 ms of background CPU) runs to the
 * end: Node waits for it before it exits, after the report is written. Raised, a small project never
 * tiers up and a big one still does (from a few hundred KB of Python on; 5.8 MB parse at the same speed).
 * docs/performance.md, "Small projects". Process-wide, WASM only; set once, before the first compile.
 */
const WASM_TIERING_BUDGET = 50_000_000;
/**
 * V8 majors known to have the flag (Node 20 ships 11, Node 24 13; later V8s raised the default to 13M).
 * V8 does not throw for a flag it does not know: it prints "Error: unrecognized flag" on stderr, so on
 * any other V8 the flag is not set and the parser runs with the default tiering (only slower to exit).
 */
const V8_MAJOR = Number(process.versions.v8.split('.')[0]);
const TIERING_BUDGET_FLAG = V8_MAJOR >= 10 && V8_MAJOR <= 14;

function loadParser(): Promise<Parser> {
  loading ??= (async () => {
    if (TIERING_BUDGET_FLAG) v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
    const { Parser, Language } = await loadRuntime();
    await Parser.init();
    const language = await Language.load(grammarPath());
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return loading;
}

/** Why Python handlers get no facts in this process (the parser could not load), or null. */
export function pythonParserProblem(): string | null {
  return problem;
}

// ---------------------------------------------------------------------------------------------------
// The facts

/**
 * Handler facts for a resolved Python module; null when it cannot be read or does not parse (a syntax
 * error, Python 2) or the parser cannot load (see pythonParserProblem()). Never throws.
 *
 * When the handler is imported from another local module (`from app.main import handler`), `file` and
 * `bufferedAdapter.line` point at the module that defines it.
 */
export async function pythonHandlerFacts(root: string, abs: string, exportName: string): Promise<PythonHandlerFacts | null> {
  let parser: Parser;
  try {
    parser = await loadParser();
  } catch (error) {
    problem = `cannot load the Python parser: ${(error as Error).message.split('\n')[0]}`;
    return null;
  }
  const main = analyzeFile(parser, root, abs, exportName);
  if (!main) return null;

  let file = main.rel;
  let bufferedAdapter = main.adapter;
  if (!bufferedAdapter && main.reexport) {
    const defining = analyzeFile(parser, root, main.reexport.abs, main.reexport.name);
    if (defining) {
      file = defining.rel;
      bufferedAdapter = defining.adapter;
    }
  }

  const modules = [main];
  const seen = new Set([path.resolve(abs)]);
  for (const next of main.localImports) {
    if (seen.has(next) || seen.size > MAX_FOLLOWED) continue;
    seen.add(next);
    const facts = analyzeFile(parser, root, next, null);
    if (facts) modules.push(facts);
  }

  return {
    file,
    exportName,
    streaming: null,
    bufferedAdapter,
    callbackStyle: null,
    cors: modules.find((m) => m.cors)?.cors ?? null,
    moduleHandles: modules.flatMap((m) => m.moduleHandles),
    disablesEventLoopWait: false,
    // On Lambda Managed Instances the Python runtime runs each concurrent request in its own process:
    // module-level state is not shared between requests (AWS docs, "Python runtime for Lambda Managed
    // Instances"), so there is nothing to report.
    moduleState: [],
    appStreams: modules.find((m) => m.appStreams)?.appStreams ?? null,
    longWork: pythonLongWork(root, modules.map((m) => m.rel)),
  };
}

/** A language model called from the handler's modules: an SDK import, or a boto3 Bedrock runtime client. */
function pythonLongWork(root: string, rels: string[]): HandlerFacts['longWork'] {
  for (const rel of rels) {
    let text: string;
    try {
      text = readFileSync(path.join(root, rel), 'utf8');
    } catch {
      continue;
    }
    const m =
      /^[ \t]*(?:import|from)[ \t]+(openai|anthropic|langchain[\w.]*|langgraph|litellm|google\.generativeai|google\.genai|mistralai|groq|cohere|strands|llama_index)\b/m.exec(text) ??
      /['"](bedrock-runtime|bedrock-agent-runtime|bedrock-agentcore)['"]/.exec(text);
    if (m) return { how: `calls a language model (${m[1]})`, file: rel, line: text.slice(0, m.index).split('\n').length };
  }
  return null;
}

interface ModuleResult {
  rel: string;
  adapter: HandlerFacts['bufferedAdapter'];
  /** The export is imported from another local module: where to look for its definition. */
  reexport: { abs: string; name: string } | null;
  appStreams: AppStreams | null;
  cors: HandlerFacts['cors'];
  moduleHandles: string[];
  /** Local modules this one imports (absolute paths), in source order. */
  localImports: string[];
}

function analyzeFile(parser: Parser, root: string, abs: string, exportName: string | null): ModuleResult | null {
  let text: string;
  try {
    if (statSync(abs).size > MAX_BYTES) return null;
    text = readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
  let tree;
  try {
    tree = parser.parse(text);
  } catch {
    return null;
  }
  if (!tree) return null;
  try {
    if (tree.rootNode.hasError) return null;
    return analyzeModule(tree.rootNode, root, abs, exportName);
  } finally {
    tree.delete();
  }
}

// ---------------------------------------------------------------------------------------------------
// What the module says

/** Calls whose result is a buffered Lambda handler (Python runtimes have no response streaming). */
const BUFFERED_ADAPTERS: Record<string, string> = {
  // Kludex/mangum #299 (no streaming support), #341.
  'mangum.Mangum': 'Mangum',
  // adamchainz/apig-wsgi #448: "not possible with the lambda runtime".
  'apig_wsgi.make_lambda_handler': 'apig-wsgi make_lambda_handler()',
  // Return the whole WSGI response as a {statusCode, headers, body} dict.
  'serverless_wsgi.handle_request': 'serverless-wsgi handle_request()',
  'awsgi.response': 'aws-wsgi awsgi.response()',
};

/** Powertools event handler resolvers: `app.resolve(event, context)` returns a dict (streaming rejected: powertools-lambda-python #7716, #7747). */
const POWERTOOLS_RESOLVERS = new Set(
  ['APIGatewayRestResolver', 'APIGatewayHttpResolver', 'ApiGatewayResolver', 'LambdaFunctionUrlResolver', 'ALBResolver', 'VPCLatticeResolver', 'VPCLatticeV2Resolver'].flatMap(
    (name) => ['', '.api_gateway', '.lambda_function_url', '.vpc_lattice'].map((sub) => `aws_lambda_powertools.event_handler${sub}.${name}`),
  ),
);

/** Responses that stream when served by a real ASGI/WSGI server (uvicorn behind LWA); Mangum buffers them whole. */
const STREAMING_RESPONSES: Record<string, string> = {
  'fastapi.responses.StreamingResponse': 'StreamingResponse (fastapi.responses)',
  'starlette.responses.StreamingResponse': 'StreamingResponse (starlette.responses)',
  'sse_starlette.EventSourceResponse': 'EventSourceResponse (sse-starlette)',
  'sse_starlette.sse.EventSourceResponse': 'EventSourceResponse (sse-starlette)',
  'flask.stream_with_context': 'flask stream_with_context()',
  'django.http.StreamingHttpResponse': 'Django StreamingHttpResponse',
};

const CORS_MIDDLEWARE: Record<string, string> = {
  'fastapi.middleware.cors.CORSMiddleware': 'the CORSMiddleware (fastapi.middleware.cors)',
  'starlette.middleware.cors.CORSMiddleware': 'the CORSMiddleware (starlette.middleware.cors)',
  'flask_cors.CORS': 'the flask-cors CORS() extension',
  'flask_cors.cross_origin': 'the flask-cors @cross_origin decorator',
  'aws_lambda_powertools.event_handler.CORSConfig': 'the Powertools CORSConfig',
  'aws_lambda_powertools.event_handler.api_gateway.CORSConfig': 'the Powertools CORSConfig',
};

/** Module-scope connections, pools and clients (opened at init, shared by every invocation). */
const MODULE_HANDLES: Record<string, string> = {
  'psycopg2.connect': 'a psycopg2 connection',
  'psycopg2.pool.SimpleConnectionPool': 'a psycopg2 connection pool',
  'psycopg2.pool.ThreadedConnectionPool': 'a psycopg2 connection pool',
  'psycopg.connect': 'a psycopg connection',
  'psycopg.Connection.connect': 'a psycopg connection',
  'psycopg_pool.ConnectionPool': 'a psycopg connection pool',
  'psycopg_pool.AsyncConnectionPool': 'a psycopg connection pool',
  'pymysql.connect': 'a PyMySQL connection',
  'mysql.connector.connect': 'a MySQL connection',
  'redis.Redis': 'a Redis client',
  'redis.StrictRedis': 'a Redis client',
  'redis.from_url': 'a Redis client',
  'redis.Redis.from_url': 'a Redis client',
  'redis.asyncio.Redis': 'a Redis client',
  'redis.asyncio.from_url': 'a Redis client',
  'redis.RedisCluster': 'a Redis cluster client',
  'redis.cluster.RedisCluster': 'a Redis cluster client',
  'sqlalchemy.create_engine': 'a SQLAlchemy engine (connection pool)',
  'sqlalchemy.ext.asyncio.create_async_engine': 'a SQLAlchemy engine (connection pool)',
  'pymongo.MongoClient': 'a MongoDB client',
};

type Binding = { value: SyntaxNode } | { imported: string };

interface Scope {
  /** Local name -> the dotted name it was imported as (relative imports keep their leading dots). */
  imports: Map<string, string>;
  /** Modules imported with `from m import *`. */
  stars: string[];
  /** Module-level names, last binding wins (as at the end of the import). */
  bindings: Map<string, Binding>;
}

const line = (node: SyntaxNode) => node.startPosition.row + 1;

function analyzeModule(module: SyntaxNode, root: string, abs: string, exportName: string | null): ModuleResult {
  const rel = path.relative(root, abs).split(path.sep).join('/');
  const scope: Scope = { imports: new Map(), stars: [], bindings: new Map() };
  const importStatements: SyntaxNode[] = [];
  walk(module, (node) => {
    if (node.type === 'import_statement' || node.type === 'import_from_statement') {
      importStatements.push(node);
      readImport(node, scope);
      return false;
    }
    return true;
  });
  collectBindings(module, scope);

  let adapter: ModuleResult['adapter'] = null;
  let reexport: ModuleResult['reexport'] = null;
  const exported = exportName ? scope.bindings.get(exportName) : undefined;
  if (exported && 'value' in exported) adapter = adapterIn(exported.value, scope, new Set());
  if (exported && 'imported' in exported) {
    const dotted = exported.imported;
    const cut = dotted.lastIndexOf('.');
    const from = cut > 0 ? localModule(root, abs, dotted.slice(0, cut)) : null;
    if (from && from !== path.resolve(abs)) reexport = { abs: from, name: dotted.slice(cut + 1) };
  }

  return {
    rel,
    adapter,
    reexport,
    ...references(module, scope, rel),
    moduleHandles: moduleHandles(module, scope),
    localImports: importStatements.flatMap((s) => importedModules(s)).flatMap((m) => {
      const found = localModule(root, abs, m);
      return found && found !== path.resolve(abs) ? [found] : [];
    }),
  };
}

/** Depth-first, source order; `visit` returns false to skip a node's children. */
function walk(node: SyntaxNode, visit: (node: SyntaxNode) => boolean): void {
  if (!visit(node)) return;
  for (const child of node.namedChildren) walk(child, visit);
}

function readImport(node: SyntaxNode, scope: Scope): void {
  if (node.type === 'import_statement') {
    for (const name of node.childrenForFieldName('name')) {
      if (name.type === 'aliased_import') {
        const alias = name.childForFieldName('alias');
        const target = name.childForFieldName('name');
        if (alias && target) scope.imports.set(alias.text, target.text);
      } else if (name.type === 'dotted_name') {
        // `import a.b` binds `a`.
        const head = name.text.split('.')[0];
        scope.imports.set(head, head);
      }
    }
    return;
  }
  const from = node.childForFieldName('module_name')?.text.replace(/\s+/g, '');
  if (!from) return;
  const join = (name: string) => (from.endsWith('.') ? from + name : `${from}.${name}`);
  if (node.namedChildren.some((c) => c.type === 'wildcard_import')) scope.stars.push(from);
  for (const name of node.childrenForFieldName('name')) {
    if (name.type === 'aliased_import') {
      const alias = name.childForFieldName('alias');
      const target = name.childForFieldName('name');
      if (alias && target) scope.imports.set(alias.text, join(target.text));
    } else if (name.type === 'dotted_name') {
      scope.imports.set(name.text, join(name.text));
    }
  }
}

/** The dotted module names an import statement loads (`from m import a` may load the submodule m.a). */
function importedModules(node: SyntaxNode): string[] {
  const names = node.childrenForFieldName('name').map((n) => (n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text)).filter((n): n is string => !!n);
  if (node.type === 'import_statement') return names;
  const from = node.childForFieldName('module_name')?.text.replace(/\s+/g, '');
  if (!from) return [];
  return [from, ...names.map((n) => (from.endsWith('.') ? from + n : `${from}.${n}`))];
}

/**
 * A local module file for a dotted import: relative imports from the importing file's package,
 * absolute ones from its directory or any folder above it within the scan root (the code directory is
 * on sys.path there). Installed packages are not in the project: null.
 */
function localModule(root: string, fromAbs: string, dotted: string): string | null {
  const level = /^\.*/.exec(dotted)![0].length;
  const segments = dotted.slice(level).split('.').filter(Boolean);
  if (level > 0) {
    let base = path.dirname(fromAbs);
    for (let i = 1; i < level; i++) base = path.dirname(base);
    if (!inside(root, base)) return null;
    return segments.length ? moduleFile(root, base, segments) : existingFile(root, path.join(base, '__init__.py'));
  }
  if (segments.length === 0) return null;
  for (let base = path.dirname(fromAbs); inside(root, base); base = path.dirname(base)) {
    const found = moduleFile(root, base, segments);
    if (found) return found;
    if (base === path.dirname(base)) break;
  }
  return null;
}

const COMPOUND = new Set(['if_statement', 'try_statement', 'with_statement', 'for_statement', 'while_statement', 'match_statement', 'case_clause']);

/** `if __name__ == "__main__":` runs only as a script, never when Lambda imports the module. */
function isMainGuard(node: SyntaxNode): boolean {
  return node.type === 'if_statement' && /^__name__\s*==\s*['"]__main__['"]$|^['"]__main__['"]\s*==\s*__name__$/.test(node.childForFieldName('condition')?.text ?? '');
}

/** Module-level statements in source order, including those inside if/try/with blocks. */
function moduleStatements(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visitBlock = (block: SyntaxNode) => {
    for (const statement of block.namedChildren) {
      out.push(statement);
      if (COMPOUND.has(statement.type) && !isMainGuard(statement)) visitCompound(statement);
    }
  };
  const visitCompound = (compound: SyntaxNode) => {
    for (const child of compound.namedChildren) {
      if (child.type === 'block') visitBlock(child);
      else if (child.type.endsWith('_clause')) visitCompound(child);
    }
  };
  visitBlock(node);
  return out;
}

function collectBindings(module: SyntaxNode, scope: Scope): void {
  for (const statement of moduleStatements(module)) {
    if (statement.type === 'expression_statement') {
      for (const expr of statement.namedChildren) {
        if (expr.type !== 'assignment') continue;
        // `a = b = value` nests: every identifier on the left binds the innermost value.
        const targets: string[] = [];
        let node: SyntaxNode | null = expr;
        while (node?.type === 'assignment') {
          const left = node.childForFieldName('left');
          if (left?.type === 'identifier') targets.push(left.text);
          node = node.childForFieldName('right');
        }
        if (node) for (const t of targets) scope.bindings.set(t, { value: node });
      }
    } else if (statement.type === 'function_definition' || statement.type === 'class_definition') {
      const name = statement.childForFieldName('name');
      if (name) scope.bindings.set(name.text, { value: statement });
    } else if (statement.type === 'decorated_definition') {
      const definition = statement.childForFieldName('definition');
      const name = definition?.childForFieldName('name');
      if (definition && name) scope.bindings.set(name.text, { value: definition });
    } else if (statement.type === 'import_statement' || statement.type === 'import_from_statement') {
      const local = new Map<string, string>();
      readImport(statement, { imports: local, stars: [], bindings: new Map() });
      for (const [name, dotted] of local) scope.bindings.set(name, { imported: dotted });
    }
  }
}

/** `a.b.c` (identifiers and attributes only) as its parts, else null. */
function dottedParts(node: SyntaxNode): string[] | null {
  if (node.type === 'identifier') return [node.text];
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    const attribute = node.childForFieldName('attribute');
    const head = object ? dottedParts(object) : null;
    return head && attribute ? [...head, attribute.text] : null;
  }
  return null;
}

/** The names a reference may stand for, resolved through the imports (star imports add guesses). */
function qualifiedNames(node: SyntaxNode, scope: Scope): string[] {
  const parts = dottedParts(node);
  if (!parts) return [];
  const head = scope.imports.get(parts[0]);
  if (head) return [[head, ...parts.slice(1)].join('.')];
  if (scope.bindings.has(parts[0])) return [];
  return scope.stars.map((star) => `${star}.${parts.join('.')}`);
}

function lookup<T>(node: SyntaxNode | null, scope: Scope, table: Record<string, T>): T | undefined {
  if (!node) return undefined;
  for (const name of qualifiedNames(node, scope)) if (Object.hasOwn(table, name)) return table[name];
  return undefined;
}

/** A buffered adapter that the exported value is, wraps, or calls. */
function adapterIn(value: SyntaxNode, scope: Scope, followed: Set<string>): HandlerFacts['bufferedAdapter'] {
  if (value.type === 'identifier') {
    const binding = scope.bindings.get(value.text);
    if (!binding || !('value' in binding) || followed.has(value.text) || followed.size > 8) return null;
    followed.add(value.text);
    return adapterIn(binding.value, scope, followed);
  }
  if (value.type === 'call') return adapterCall(value, scope, followed);
  if (value.type === 'function_definition' || value.type === 'lambda') {
    const body = value.childForFieldName('body');
    let found: HandlerFacts['bufferedAdapter'] = null;
    if (body) {
      walk(body, (node) => {
        if (found) return false;
        if (node.type === 'call') found = adapterCall(node, scope, followed);
        return !found;
      });
    }
    return found;
  }
  return null;
}

function adapterCall(call: SyntaxNode, scope: Scope, followed: Set<string>): HandlerFacts['bufferedAdapter'] {
  const callee = call.childForFieldName('function');
  if (!callee) return null;
  const name = lookup(callee, scope, BUFFERED_ADAPTERS);
  if (name) return { name, line: line(call) };
  // app.resolve(event, context) on a Powertools resolver
  if (callee.type === 'attribute' && callee.childForFieldName('attribute')?.text === 'resolve') {
    const object = callee.childForFieldName('object');
    const binding = object?.type === 'identifier' ? scope.bindings.get(object.text) : undefined;
    if (binding && 'value' in binding && binding.value.type === 'call') {
      const ctor = binding.value.childForFieldName('function');
      const resolver = ctor && qualifiedNames(ctor, scope).find((q) => POWERTOOLS_RESOLVERS.has(q));
      if (resolver) return { name: `Powertools ${resolver.slice(resolver.lastIndexOf('.') + 1)}.resolve()`, line: line(call) };
    }
  }
  // Mangum(app)(event, context); a module-level `asgi = Mangum(app)` called from the handler.
  if (callee.type === 'call') return adapterCall(callee, scope, followed);
  if (callee.type === 'identifier' && !followed.has(callee.text)) {
    const binding = scope.bindings.get(callee.text);
    if (binding && 'value' in binding && binding.value.type === 'call') {
      followed.add(callee.text);
      const found = adapterCall(binding.value, scope, followed);
      if (found) return found;
    }
  }
  // A wrapper around an adapter: some_wrapper(Mangum(app)).
  for (const arg of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (arg.type === 'call') {
      const found = adapterCall(arg, scope, followed);
      if (found) return found;
    }
  }
  return null;
}

/** The first streaming response and the first CORS source in the module, by reference. */
function references(module: SyntaxNode, scope: Scope, rel: string): Pick<ModuleResult, 'appStreams' | 'cors'> {
  let appStreams: ModuleResult['appStreams'] = null;
  let cors: ModuleResult['cors'] = null;
  walk(module, (node) => {
    if (appStreams && cors) return false;
    if (node.type === 'import_statement' || node.type === 'import_from_statement' || node.type === 'comment') return false;
    if ((node.type === 'identifier' || node.type === 'attribute') && dottedParts(node)) {
      const streams = lookup(node, scope, STREAMING_RESPONSES);
      if (streams && !appStreams) appStreams = { how: streams, file: rel, line: line(node) };
      const middleware = lookup(node, scope, CORS_MIDDLEWARE);
      if (middleware && !cors) cors = { how: middleware, file: rel, line: line(enclosingCall(node)) };
      return false; // `a.b.c` is one reference: its parts are not looked up alone
    }
    if (node.type === 'string' && !cors) {
      const content = node.namedChildren.filter((c) => c.type === 'string_content').map((c) => c.text).join('');
      if (content.toLowerCase() === 'access-control-allow-origin' && !node.namedChildren.some((c) => c.type === 'interpolation')) {
        cors = { how: 'an Access-Control-Allow-Origin header set in code', file: rel, line: line(node) };
      }
      return false;
    }
    return true;
  });
  return { appStreams, cors };
}

/** `app.add_middleware(CORSMiddleware, ...)` reports the call, not the argument's own line. */
function enclosingCall(node: SyntaxNode): SyntaxNode {
  const list = node.parent;
  if (list?.type === 'argument_list' && list.parent?.type === 'call') return list.parent;
  return node;
}

/** Connections and pools opened while the module is imported (not inside functions, not under a __main__ guard). */
function moduleHandles(module: SyntaxNode, scope: Scope): string[] {
  const found: string[] = [];
  walk(module, (node) => {
    if (node.type === 'function_definition' || node.type === 'lambda' || isMainGuard(node)) return false;
    if (node.type === 'call') {
      const what = lookup(node.childForFieldName('function'), scope, MODULE_HANDLES);
      if (what) found.push(what);
    }
    return true;
  });
  return found;
}
