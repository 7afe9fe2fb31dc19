/**
 * What a handler's code does, read across the project modules it imports: evidence of long work (a model
 * call, an S3 object streamed, a loop of sleeps or polls) for the timeout rule, and whether a Node app behind
 * a buffered adapter streams its responses (SSE, `res.write` per chunk) for the adapter rules.
 *
 * Both are evidence, not proof: they are found by what the modules import and call, the way a reviewer
 * skims a handler. Modules are followed through relative imports and requires (a few levels, a bounded
 * number of files); packages are not entered.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Node } from './ast.js';
import { calleeName, isFunction, memberPath, propertyName, unwrap, walk } from './ast.js';
import { parseModule } from './facts.js';

export interface ProjectModule {
  abs: string;
  /** Relative to the scan root, "/" separators. */
  rel: string;
  text: string;
  /** The text with comments blanked (same offsets). */
  code: string;
}

export interface LongWork {
  /** What the code does, for messages: `calls a model (openai)`, `sleeps in a loop`. */
  how: string;
  file: string;
  line: number;
  /** A bounded loop of sleeps whose length is known: about this many milliseconds in total. */
  estimateMs?: number;
}

export interface AppStreams {
  how: string;
  file: string;
  line: number;
}

const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.jsx', '.tsx'];
const MAX_DEPTH = 4;
const MAX_MODULES = 40;
const MAX_BYTES = 1024 * 1024;

/** The handler module and the project modules it imports (relative imports and requires, breadth first). */
export function reachableModules(root: string, abs: string, text: string, blank: (text: string) => string): ProjectModule[] {
  const rootAbs = path.resolve(root);
  const rel = (file: string) => path.relative(root, file).split(path.sep).join('/');
  const seen = new Set<string>([abs]);
  const out: ProjectModule[] = [{ abs, rel: rel(abs), text, code: blank(text) }];
  let frontier = [out[0]];
  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0 && out.length < MAX_MODULES; depth++) {
    const next: ProjectModule[] = [];
    for (const module of frontier) {
      for (const m of module.code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
        const target = resolveRelative(path.dirname(module.abs), m[1]);
        if (!target || seen.has(target) || !target.startsWith(rootAbs) || out.length >= MAX_MODULES) continue;
        seen.add(target);
        let source: string;
        try {
          if (statSync(target).size > MAX_BYTES) continue;
          source = readFileSync(target, 'utf8');
        } catch {
          continue;
        }
        const loaded = { abs: target, rel: rel(target), text: source, code: blank(source) };
        out.push(loaded);
        next.push(loaded);
      }
    }
    frontier = next;
  }
  return out;
}

function resolveRelative(dir: string, specifier: string): string | null {
  const base = path.resolve(dir, specifier);
  const stripped = base.replace(/\.(m|c)?js$/, '');
  for (const candidate of [base, ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => stripped + e), ...EXTENSIONS.map((e) => path.join(base, `index${e}`))]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Packages whose use means a call to a language model (the answer streams for seconds to minutes). */
const MODEL_PACKAGES =
  /(['"])(openai|@anthropic-ai\/sdk|@aws-sdk\/client-bedrock-runtime|@aws-sdk\/client-bedrock-agent-runtime|@aws-sdk\/client-bedrock-agentcore|ai|@ai-sdk\/[\w.-]+|langchain|@langchain\/[\w.-]+|@google\/generative-ai|@google\/genai|cohere-ai|@mistralai\/mistralai|groq-sdk|ollama|@huggingface\/inference|replicate|@strands-agents\/[\w.-]+|llamaindex)\1/;
/** Model calls spelled as AWS SDK commands or HTTP endpoints, whatever module wraps them. */
const MODEL_CALLS =
  /\b(InvokeModelWithResponseStreamCommand|ConverseStreamCommand|InvokeModelCommand|ConverseCommand|InvokeAgentCommand|RetrieveAndGenerateStreamCommand|InvokeInlineAgentCommand)\b|https:\/\/(api\.openai\.com|api\.anthropic\.com|generativelanguage\.googleapis\.com)/;

/**
 * Evidence of long work, strongest first: a model call, an S3 object streamed, a loop of sleeps or polls
 * with no known bound. A bounded loop of sleeps (`for (const w of words) { write(w); await sleep(500) }` over
 * a literal array) comes with its estimate instead: it is long work only when it outlasts the timeout.
 */
export function longWorkIn(modules: ProjectModule[]): LongWork | null {
  for (const m of modules) {
    for (const pkg of m.code.matchAll(new RegExp(MODEL_PACKAGES.source, 'g'))) {
      // `from 'openai'`, `require('openai')`, `import('openai')`, `import 'openai'`
      if (/(\bfrom|\brequire\s*\(|\bimport\s*\(|\bimport)\s*$/.test(m.code.slice(Math.max(0, pkg.index - 40), pkg.index))) {
        return { how: `calls a language model (${pkg[2]})`, file: m.rel, line: lineOf(m.code, pkg.index) };
      }
    }
    const call = MODEL_CALLS.exec(m.code);
    if (call) return { how: `calls a language model (${call[1] ?? call[2]})`, file: m.rel, line: lineOf(m.code, call.index) };
  }
  for (const m of modules) {
    const get = /\bGetObjectCommand\b|\.getObject\s*\(/.exec(m.code);
    if (get && /\bpipeline\s*\(|\.pipe\s*\(|createReadStream\s*\(|transformToWebStream\s*\(|Readable\.fromWeb\s*\(/.test(m.code)) {
      return { how: 'streams an object from S3, whose size and the client set the duration', file: m.rel, line: lineOf(m.code, get.index) };
    }
  }
  let bounded: LongWork | null = null;
  for (const m of modules) {
    if (!/\b(setTimeout|setInterval|sleep|delay|wait|pause)\s*\(/.test(m.code)) continue;
    let program: Node;
    try {
      program = parseModule(m.abs, m.text);
    } catch {
      continue;
    }
    const found = sleepLoops(program, m);
    if (found.unbounded) return found.unbounded;
    if (found.totalMs > 0 && (!bounded || found.totalMs > (bounded.estimateMs ?? 0))) bounded = found.bounded!;
  }
  return bounded;
}

/** Loops whose body sleeps, and `setInterval`s: unbounded ones, or the total of the bounded ones (per module). */
function sleepLoops(program: Node, m: ProjectModule): { unbounded: LongWork | null; totalMs: number; bounded: LongWork | null } {
  let unbounded: LongWork | null = null;
  let totalMs = 0;
  let first: Node | null = null;
  const consts = constants(program);
  const line = (node: Node) => lineOf(m.text, node.start);
  walk(program, (node) => {
    if (unbounded) return false;
    // A timer in a module that serves SSE: heartbeats or polling for as long as the client stays.
    if (node.type === 'CallExpression' && calleeName(node) === 'setInterval' && /(['"`])text\/event-stream\1/.test(m.code)) {
      unbounded = { how: 'runs a timer (setInterval: polling or SSE heartbeats)', file: m.rel, line: line(node) };
      return false;
    }
    if (!isLoop(node)) return true;
    const sleep = sleepIn(node.body, consts);
    if (!sleep) return true;
    const count = iterations(node, consts);
    if (count === null || sleep.ms === null || insideLoop(program, node)) {
      unbounded = { how: 'sleeps in a loop (polling or paced output)', file: m.rel, line: line(node) };
      return false;
    }
    totalMs += count * sleep.ms;
    first ??= node;
    return false;
  });
  const bounded = first && totalMs > 0 ? { how: `streams for about ${seconds(totalMs)} s in a loop of sleeps`, file: m.rel, line: line(first), estimateMs: totalMs } : null;
  return { unbounded, totalMs, bounded };
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

function isLoop(node: Node): boolean {
  return ['ForStatement', 'ForInStatement', 'ForOfStatement', 'WhileStatement', 'DoWhileStatement'].includes(node.type);
}

function insideLoop(program: Node, target: Node): boolean {
  let inside = false;
  walk(program, (node) => {
    if (inside) return false;
    if (node !== target && isLoop(node)) {
      walk(node.body, (inner) => {
        if (inner === target) inside = true;
        return !inside;
      });
    }
    return !inside;
  });
  return inside;
}

/** Module-level `const NAME = <number>` and `const NAME = [<literal array>]`. */
function constants(program: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  walk(program, (node) => {
    if (node.type === 'VariableDeclaration' && node.kind === 'const') {
      for (const d of node.declarations) if (d.id.type === 'Identifier' && d.init) out.set(d.id.name, unwrap(d.init)!);
    }
    return true;
  });
  return out;
}

function numberOf(node: Node | null | undefined, consts: Map<string, Node>, depth = 0): number | null {
  const n = unwrap(node);
  if (!n || depth > 4) return null;
  if (n.type === 'Literal' && typeof n.value === 'number') return n.value;
  if (n.type === 'Identifier' && consts.has(n.name)) return numberOf(consts.get(n.name), consts, depth + 1);
  if (n.type === 'BinaryExpression' && n.operator === '*') {
    const a = numberOf(n.left, consts, depth + 1);
    const b = numberOf(n.right, consts, depth + 1);
    return a === null || b === null ? null : a * b;
  }
  return null;
}

/** How many times a loop runs, when it is written out: a literal array (or a const holding one), `i < N`. */
function iterations(loop: Node, consts: Map<string, Node>): number | null {
  if (loop.type === 'ForOfStatement' || loop.type === 'ForInStatement') {
    let right = unwrap(loop.right);
    if (right?.type === 'Identifier' && consts.has(right.name)) right = consts.get(right.name)!;
    return right?.type === 'ArrayExpression' && right.elements.every((e: Node | null) => e && e.type !== 'SpreadElement') ? right.elements.length : null;
  }
  if (loop.type === 'ForStatement') {
    const test = unwrap(loop.test);
    const init = loop.init?.type === 'VariableDeclaration' ? loop.init.declarations[0] : null;
    const start = init ? numberOf(init.init, consts) : null;
    if (test?.type !== 'BinaryExpression' || start === null) return null;
    const end = numberOf(test.right, consts);
    if (end === null) return null;
    if (test.operator === '<') return Math.max(0, end - start);
    if (test.operator === '<=') return Math.max(0, end - start + 1);
  }
  return null;
}

/** An awaited sleep in a loop body: `await new Promise((r) => setTimeout(r, ms))`, `await sleep(ms)`, `await setTimeout(ms)`. */
function sleepIn(body: Node, consts: Map<string, Node>): { ms: number | null } | null {
  let found: { ms: number | null } | null = null;
  walk(body, (node) => {
    if (found) return false;
    if (isFunction(node) && node !== body) {
      // a callback's own sleeps run elsewhere, except the Promise executor of `await new Promise(...)`
      return false;
    }
    if (node.type !== 'AwaitExpression') return true;
    const arg = unwrap(node.argument);
    if (arg?.type === 'NewExpression' && calleeName(arg) === 'Promise') {
      walk(arg, (inner) => {
        if (!found && inner.type === 'CallExpression' && calleeName(inner) === 'setTimeout') found = { ms: numberOf(inner.arguments[1], consts) };
        return !found;
      });
    } else if (arg?.type === 'CallExpression') {
      const name = calleeName(arg);
      if (name === 'setTimeout') found = { ms: numberOf(arg.arguments[0], consts) };
      else if (name && /^(sleep|delay|wait|pause)$/i.test(name)) found = { ms: numberOf(arg.arguments[0], consts) };
    }
    return !found;
  });
  return found;
}

export interface ResponseCompression {
  /** What the code does, for messages: `sets content-encoding: gzip`, `uses the compression middleware (hono/compress)`. */
  how: string;
  file: string;
  line: number;
}

/** Compression middleware that negotiates and sets content-encoding on the responses of the app it wraps. */
const COMPRESSION_MIDDLEWARE = ['compression', 'hono/compress', '@fastify/compress', 'koa-compress'];

/**
 * The handler's code compresses its responses: a `content-encoding` response header set to anything but
 * `identity` (an object key, `setHeader`/`headers.set` arguments, `headers["content-encoding"] = …`), or a
 * compression middleware imported. Read on the comment-blanked text of the handler module and the project
 * modules it imports; a request header read (`event.headers["content-encoding"]`) is not a match.
 */
export function responseCompression(modules: ProjectModule[]): ResponseCompression | null {
  const patterns = [
    // { 'content-encoding': 'gzip' }, headers['content-encoding'] = 'br'
    /(['"`])content-encoding\1\s*(?::|\]\s*=(?!=))(?!\s*(['"`])identity\2)\s*(?:(['"`])([A-Za-z-]+)\3)?/i,
    // res.setHeader('content-encoding', 'gzip'), headers.set(…), c.header(…)
    /\.(?:setHeader|set|append|header)\s*\(\s*(['"`])content-encoding\1\s*,(?!\s*(['"`])identity\2)\s*(?:(['"`])([A-Za-z-]+)\3)?/i,
  ];
  for (const m of modules) {
    for (const pattern of patterns) {
      const found = pattern.exec(m.code);
      if (!found) continue;
      const enc = found[4];
      const what = enc ? `sets content-encoding: ${enc}` : 'sets content-encoding from a variable';
      return { how: what, file: m.rel, line: lineOf(m.code, found.index) };
    }
    for (const name of COMPRESSION_MIDDLEWARE) {
      const escaped = name.replace(/[/.@-]/g, (c) => `\\${c}`);
      const imported = new RegExp(`(?:\\bfrom\\s*|\\brequire\\s*\\(\\s*|\\bimport\\s*\\(\\s*)(['"\`])${escaped}\\1`).exec(m.code);
      if (imported) return { how: `uses the compression middleware ${name}`, file: m.rel, line: lineOf(m.code, imported.index) };
    }
  }
  return null;
}

/**
 * A Node app that streams its responses (Express, Koa, Fastify, hono): an SSE content type, `flushHeaders()`,
 * `res.write(...)` per chunk (in a loop or a 'data' listener), `reply.raw.write`, or hono's streaming helpers.
 * Behind a buffered adapter (serverless-http, serverless-express, hono `handle()`) all of it arrives at once.
 */
export function nodeAppStreams(modules: ProjectModule[]): AppStreams | null {
  for (const m of modules) {
    const sse = /(['"`])text\/event-stream\1/.exec(m.code);
    if (sse) return { how: 'an SSE response (text/event-stream)', file: m.rel, line: lineOf(m.code, sse.index) };
    const flush = /\.flushHeaders\s*\(\s*\)/.exec(m.code);
    if (flush) return { how: 'res.flushHeaders() then writes', file: m.rel, line: lineOf(m.code, flush.index) };
    const hono = /['"]hono\/streaming['"]/.test(m.code) ? /\b(streamSSE|streamText|stream)\s*\(\s*c\b/.exec(m.code) : null;
    if (hono) return { how: `hono/streaming ${hono[1]}()`, file: m.rel, line: lineOf(m.code, hono.index) };
  }
  for (const m of modules) {
    if (!/\.write\s*\(/.test(m.code)) continue;
    let program: Node;
    try {
      program = parseModule(m.abs, m.text);
    } catch {
      continue;
    }
    const write = writePerChunk(program);
    if (write) return { how: `${write.what} per chunk`, file: m.rel, line: lineOf(m.text, write.node.start) };
  }
  return null;
}

/** `res.write(x)` / `reply.raw.write(x)` / `ctx.res.write(x)` inside a loop or a `'data'` listener. */
function writePerChunk(program: Node): { what: string; node: Node } | null {
  let found: { what: string; node: Node } | null = null;
  const isResponseWrite = (call: Node) => {
    const p = memberPath(unwrap(call.callee));
    if (!p || p.at(-1) !== 'write' || p.length < 2) return null;
    const owner = p.slice(0, -1).join('.');
    return /^(res|response|reply\.raw|ctx\.res|c\.res)$/.test(owner) ? `${owner}.write()` : null;
  };
  const scan = (body: Node) => {
    walk(body, (node) => {
      if (found) return false;
      if (node.type === 'CallExpression') {
        const what = isResponseWrite(node);
        if (what) found = { what, node };
      }
      return !found;
    });
  };
  walk(program, (node) => {
    if (found) return false;
    if (isLoop(node)) scan(node.body);
    else if (node.type === 'CallExpression' && propertyName(unwrap(node.callee) ?? node) === 'on' && unwrap(node.arguments[0])?.value === 'data') {
      const listener = node.arguments[1];
      if (listener && isFunction(unwrap(listener))) scan(unwrap(listener)!.body);
    }
    return !found;
  });
  return found;
}
