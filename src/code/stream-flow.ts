/**
 * Path-sensitive analysis of one Lambda response stream inside one function.
 *
 * A small abstract interpreter: it walks the function's statements carrying the set of possible
 * stream states (one per distinct path class) and records observations where an operation is wrong
 * for *every* state that reaches it on some path. The state is deliberately tiny
 * (metadata x output x ended x escaped x empty-loop) so the set never explodes; locations kept in a
 * state only serve messages and do not split paths.
 *
 * What the runtime does with each operation is in docs/runtime-behaviour.md (from the real
 * aws-lambda-ric 3.x/4.x, see ../shared/knowledge/runtime.md):
 * - from() only tags the stream and installs a hook that runs before the first write(); it returns
 *   the same object, so the returned value and the original stream are one alias.
 * - only write() flushes the prelude; end(data) bypasses it.
 * - a handler that resolves without end() hangs the invocation until the timeout.
 * - write()/end(data) after end() crashes the runtime process; a bare second end() is a no-op.
 * - from()/setContentType() after the first write throws "Cannot set content-type, too late."
 *
 * Precision rule: a finding needs a proven path. When the stream escapes into code we cannot see
 * (an imported helper, a closure stored for later, an object property), the path's state becomes
 * unknown and nothing is reported on it.
 */
import {
  type FunctionNode,
  type Node,
  calleeName,
  declaredNames,
  isFunction,
  memberPath,
  mentions,
  patternNames,
  propertyKey,
  propertyName,
  stringValue,
  unwrap,
  walk,
} from './ast.js';

export type Tri = 'no' | 'yes' | 'unknown';
/** none: no metadata on this path; pending: from() called, no write() yet; flushed: written. */
export type Meta = 'none' | 'pending' | 'flushed' | 'unknown';

export interface StreamState {
  meta: Meta;
  output: Tri;
  ended: Tri;
  /** The stream went into code we cannot follow: ended-ness is unknown from here on. */
  escaped: boolean;
  /** A data loop on this path ran zero times (an empty body): weaker evidence. */
  emptyLoop: Node | null;
  // Locations for messages; not part of the path key.
  metaAt: Node | null;
  outputAt: Node | null;
  endAt: Node | null;
  branch: { node: Node; taken: boolean } | null;
  /**
   * Boolean flags with a known value on this path (`let failed = false; ... failed = true`), so
   * `if (failed) throw err` after a catch does not invent a path where the error vanished.
   */
  flags: Readonly<Record<string, boolean>>;
  /**
   * A finally block running while an exception propagates: the error still reaches the runtime
   * afterwards, so what the prelude looked like on this path is not the response's real problem.
   */
  unwinding: boolean;
  /**
   * Something decided between the pending metadata and here (a branch, a catch, a loop): a second from()
   * is then the intended override (`from(200)` in a try, `from(500)` in its catch), not a lost status.
   */
  metaDecided: boolean;
  /**
   * Inside a catch block entered after output started (and that does not rethrow): an error text written
   * here lands at the end of a truncated 200 that looks like success.
   */
  errorCatch: Node | null;
  /**
   * The catch block that swallowed an error after output started on this path (no rethrow, no error
   * write): when the path then ends the stream normally, the client gets a truncated 200 that looks whole.
   */
  swallowedAt: Node | null;
}

export type Observation =
  | { kind: 'exit-without-end'; at: Node; state: StreamState }
  | {
      kind: 'end-without-flush';
      at: Node;
      from: Node | null;
      via: 'end' | 'pipeline';
      emptyLoop: Node | null;
      provenEmptySource: boolean;
    }
  | { kind: 'end-data-before-write'; at: Node; from: Node | null }
  | { kind: 'end-without-metadata'; at: Node; wroteRaw: boolean; via: StreamState['branch'] }
  | { kind: 'output-after-end'; at: Node; end: Node | null }
  | { kind: 'metadata-after-output'; at: Node; output: Node | null; manual: boolean }
  | { kind: 'metadata-twice'; at: Node; first: Node | null }
  | { kind: 'content-type-after-metadata'; at: Node; from: Node | null }
  | { kind: 'catch-writes-after-output'; at: Node; write: Node }
  | { kind: 'catch-swallows-after-output'; at: Node; end: Node }
  | { kind: 'error-listener-writes'; at: Node; listener: Node; source: Node }
  | { kind: 'metadata-in-error-callback'; at: Node; callback: Node }
  | { kind: 'unawaited-pump'; at: Node }
  /** The stream handed to a library that drives a Node ServerResponse (`writeHead`, `setHeader`…): `sink` names it. */
  | { kind: 'server-response-sink'; at: Node; sink: string };

/** Every operation on the stream seen while interpreting, for the syntactic rules. */
export interface StreamCall {
  call: Node;
  method: string;
  args: Node[];
  /** The call's value is used (awaited, assigned, returned, tested) rather than dropped. */
  resultUsed: boolean;
  /** Inside a loop body (or a recursive pump) of the analysed function. */
  inLoop: boolean;
}

export interface PipeCall {
  call: Node;
  kind: 'pipeline' | 'pipe';
  sources: Node[];
}

export interface FlowResult {
  observations: Observation[];
  streamCalls: StreamCall[];
  fromCalls: Node[];
  pipeCalls: PipeCall[];
  /** Functions whose bodies were interpreted as part of this root (the root and followed helpers). */
  visited: Set<FunctionNode>;
}

export interface ModuleScope {
  /** Functions declared at module level or in an enclosing scope, by name. */
  lookup(name: string, from: Node): FunctionNode | null;
  /** A function imported from another module of the project (relative import), when it can be read. */
  imported?(name: string): FunctionNode | null;
  /** Whether a function belongs to another module: its effects are followed, its findings are not ours. */
  isForeign?(fn: FunctionNode): boolean;
  /** The scope of the other module a foreign function belongs to (its own helpers resolve there). */
  scopeFor?(fn: FunctionNode): ModuleScope | null;
  /** Names bound to a promisified `stream.pipeline` (`const pipelineAsync = promisify(pipeline)`). */
  pipelineAliases?: ReadonlySet<string>;
}

const INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const MAX_CALL_DEPTH = 4;
/** Statements interpreted per analysis at most: bounds adversarial nesting (loops inside loops...). */
const MAX_STEPS = 400_000;

/** The analysis gave up on a function that is too large or too deeply nested to interpret in bounds. */
export class AnalysisBudgetExceeded extends Error {}
const MAX_LOOP_ROUNDS = 4;

/** Methods of the runtime's response-stream facade (aws-lambda-ric 3.3.0 src/ResponseStream.js, 4.0.2 index.mjs). */
export const STREAM_SURFACE = new Set([
  'write',
  'end',
  'cork',
  'uncork',
  'destroy',
  'setContentType',
  'on',
  'once',
  'off',
  'addListener',
  'removeListener',
  'removeAllListeners',
  'prependListener',
  'prependOnceListener',
  'emit',
  'listeners',
  'rawListeners',
  'listenerCount',
  'eventNames',
  'getMaxListeners',
  'setMaxListeners',
]);

const HARMLESS_GLOBAL_CALLS = new Set(['console', 'JSON', 'String', 'Boolean', 'Object', 'Array', 'Number']);

export function isFromCall(call: Node): boolean {
  if (call.type !== 'CallExpression') return false;
  const path = memberPath(call.callee);
  if (!path) return false;
  return path.length >= 2 && path[path.length - 1] === 'from' && path[path.length - 2] === 'HttpResponseStream';
}

/**
 * `awslambda.streamifyResponse(fn)`, `globalThis.awslambda?.streamifyResponse(fn)`, `streamifyResponse(fn)`
 * (destructured or imported), or a call through a name bound to it (`aliases`, from `streamifyAliases`).
 */
export function isStreamifyCall(call: Node, aliases?: ReadonlySet<string>): boolean {
  if (call.type !== 'CallExpression') return false;
  const name = calleeName(call);
  if (name === 'streamifyResponse') return true;
  const callee = unwrap(call.callee);
  return callee?.type === 'Identifier' && aliases?.has(callee.name) === true;
}

/** An expression whose value is the streamify function (possibly behind a guard): `awslambda.streamifyResponse`, `a && b`, `c ? b : null`, `b.bind(x)`. */
function refersToStreamify(node: Node | null | undefined, aliases: ReadonlySet<string>): boolean {
  const n = unwrap(node);
  if (!n) return false;
  if (n.type === 'Identifier') return n.name === 'streamifyResponse' || aliases.has(n.name);
  if (n.type === 'MemberExpression') return propertyName(n) === 'streamifyResponse';
  if (n.type === 'ConditionalExpression') return refersToStreamify(n.consequent, aliases) || refersToStreamify(n.alternate, aliases);
  if (n.type === 'LogicalExpression') return refersToStreamify(n.right, aliases) || (n.operator !== '&&' && refersToStreamify(n.left, aliases));
  if (n.type === 'CallExpression' && calleeName(n) === 'bind') return refersToStreamify(unwrap(n.callee)?.object, aliases);
  return false;
}

/**
 * Names bound to the streamify function anywhere in the module: `const streamify = awslambda.streamifyResponse`,
 * `const s = typeof awslambda !== "undefined" && awslambda.streamifyResponse ? awslambda.streamifyResponse : null`,
 * `const { streamifyResponse: wrap } = awslambda`. (A name only sometimes bound to it still counts: the
 * call through it streamifies on the path where Lambda runs it.)
 */
export function streamifyAliases(program: Node): Set<string> {
  const aliases = new Set<string>();
  // Two passes: an alias of an alias (`const s2 = s`) resolves on the second.
  for (let pass = 0; pass < 2; pass++) {
    walk(program, (node) => {
      if (node.type === 'VariableDeclarator') {
        if (node.id?.type === 'Identifier' && refersToStreamify(node.init, aliases)) aliases.add(node.id.name);
        if (node.id?.type === 'ObjectPattern') {
          for (const property of node.id.properties) {
            if (property.type === 'Property' && propertyKey(property) === 'streamifyResponse' && unwrap(property.value)?.type === 'Identifier') aliases.add(unwrap(property.value)!.name);
          }
        }
      } else if (node.type === 'AssignmentExpression' && node.left.type === 'Identifier' && refersToStreamify(node.right, aliases)) {
        aliases.add(node.left.name);
      }
      return true;
    });
  }
  aliases.delete('streamifyResponse');
  return aliases;
}

function isPipelineCall(call: Node, aliases?: ReadonlySet<string>): boolean {
  if (call.type !== 'CallExpression') return false;
  const name = calleeName(call);
  if (name === 'pipeline' || (name !== null && aliases?.has(name) === true)) return true;
  // promisify(stream.pipeline)(source, stream)
  const callee = unwrap(call.callee);
  return callee?.type === 'CallExpression' && isPromisifiedPipeline(callee);
}

/** `promisify(pipeline)`, `util.promisify(stream.pipeline)`. */
export function isPromisifiedPipeline(node: Node | null | undefined): boolean {
  const n = unwrap(node);
  if (n?.type !== 'CallExpression' || calleeName(n) !== 'promisify') return false;
  return memberPath(unwrap(n.arguments[0]) ?? n)?.at(-1) === 'pipeline';
}

function initialState(meta: Meta, output: Tri): StreamState {
  return {
    meta,
    output,
    ended: 'no',
    escaped: false,
    emptyLoop: null,
    metaAt: null,
    outputAt: null,
    endAt: null,
    branch: null,
    flags: {},
    unwinding: false,
    metaDecided: false,
    errorCatch: null,
    swallowedAt: null,
  };
}

function keyOf(s: StreamState): string {
  const flags = Object.keys(s.flags)
    .sort()
    .map((name) => `${name}=${s.flags[name] ? 1 : 0}`)
    .join(',');
  // metaDecided only matters while metadata is pending; swallowedAt only until the stream ends.
  const decided = s.meta === 'pending' && s.metaDecided ? 1 : 0;
  const swallowed = s.swallowedAt && s.ended !== 'yes' ? 1 : 0;
  const inErrorCatch = s.errorCatch ? 1 : 0;
  return `${s.meta}|${s.output}|${s.ended}|${s.escaped ? 1 : 0}|${s.emptyLoop ? 1 : 0}|${s.unwinding ? 1 : 0}|${decided}${swallowed}${inErrorCatch}|${flags}`;
}

function dedupe(states: StreamState[]): StreamState[] {
  const seen = new Map<string, StreamState>();
  for (const state of states) if (!seen.has(keyOf(state))) seen.set(keyOf(state), state);
  return [...seen.values()];
}

function sameSet(a: StreamState[], b: StreamState[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(keyOf));
  return b.every((s) => keys.has(keyOf(s)));
}

interface Jump {
  label: string | null;
  state: StreamState;
}

interface Flow {
  normal: StreamState[];
  returns: Array<{ state: StreamState; at: Node }>;
  breaks: Jump[];
  continues: Jump[];
}

const emptyFlow = (normal: StreamState[]): Flow => ({ normal, returns: [], breaks: [], continues: [] });

interface Frame {
  fn: FunctionNode;
  aliases: Set<string>;
  /**
   * Variables that hold the stream on some paths and another stream on others
   * (`out = base64 ? responseStream : gzip`): calls on them may or may not touch the response stream.
   */
  ambiguous: Set<string>;
  /** Where thrown states go: the innermost try's catch, or the function's own throw exit. */
  throwSinks: StreamState[][];
  depth: number;
  loopDepth: number;
}

export interface AnalyzeOptions {
  /** Root is a streamified handler: a path that resolves without end() hangs the invocation. */
  reportHangs: boolean;
  /** Initial knowledge about the stream (fresh for a handler, unknown for an exported helper). */
  entry: 'fresh' | 'unknown';
}

export class StreamFlowAnalyzer {
  private readonly observations = new Map<string, Observation>();
  private readonly streamCalls = new Map<Node, StreamCall>();
  private readonly fromCalls = new Set<Node>();
  private readonly pipeCalls = new Map<Node, PipeCall>();
  private readonly visited = new Set<FunctionNode>();
  private readonly callStack: FunctionNode[] = [];
  /** > 0 while interpreting a function of another module: nothing is recorded for this module then. */
  private foreignDepth = 0;
  /** Scopes of the modules whose functions are being interpreted (another module's helpers resolve there). */
  private readonly scopes: ModuleScope[] = [];
  private steps = 0;

  constructor(private readonly scope: ModuleScope) {}

  /** `stream`: the index of the stream parameter, or the name it is bound to (a destructured parameter). */
  analyze(fn: FunctionNode, stream: number | string, options: AnalyzeOptions): FlowResult {
    const param = typeof stream === 'number' ? fn.params[stream] : null;
    const aliases = new Set<string>(
      typeof stream === 'string' ? [stream] : param && param.type === 'Identifier' ? [param.name] : [],
    );
    const entry =
      options.entry === 'fresh' ? initialState('none', 'no') : { ...initialState('unknown', 'unknown') };
    const exits = this.runFunction(fn, aliases, [entry], 0, 0);
    if (options.reportHangs) {
      for (const exit of exits.exits) {
        if (exit.state.ended === 'no' && !exit.state.escaped) {
          this.observe({ kind: 'exit-without-end', at: exit.at, state: exit.state });
        }
      }
    }
    return {
      observations: [...this.observations.values()],
      streamCalls: [...this.streamCalls.values()],
      fromCalls: [...this.fromCalls],
      pipeCalls: [...this.pipeCalls.values()],
      visited: this.visited,
    };
  }

  // ---- functions -------------------------------------------------------------------------------

  private runFunction(
    fn: FunctionNode,
    aliases: Set<string>,
    entry: StreamState[],
    depth: number,
    loopDepth: number,
    valueUsed = true,
  ): { exits: Array<{ state: StreamState; at: Node }>; thrown: StreamState[] } {
    const foreign = this.scope.isForeign?.(fn) ?? false;
    if (foreign) this.foreignDepth++;
    else this.visited.add(fn);
    const moduleScope = foreign ? (this.scope.scopeFor?.(fn) ?? null) : null;
    if (moduleScope) this.scopes.push(moduleScope);
    this.callStack.push(fn);
    const frame: Frame = { fn, aliases, ambiguous: new Set(), throwSinks: [[]], depth, loopDepth };
    let flow: Flow;
    if (fn.body.type === 'BlockStatement') {
      flow = this.execBlock(fn.body.body, entry, frame);
    } else {
      // Concise arrow body: its value is the return value.
      const states = this.evalExpr(fn.body, entry, frame, valueUsed);
      flow = { normal: [], returns: states.map((state) => ({ state, at: fn.body })), breaks: [], continues: [] };
    }
    this.callStack.pop();
    if (moduleScope) this.scopes.pop();
    if (foreign) this.foreignDepth--;
    const endOfBody: Node = fn.body.type === 'BlockStatement' ? { ...fn.body, start: fn.body.end - 1 } : fn.body;
    const exits = [
      ...flow.normal.map((state) => ({ state, at: endOfBody })),
      ...flow.returns,
    ];
    return { exits, thrown: frame.throwSinks[0] };
  }

  // ---- statements ------------------------------------------------------------------------------

  private execBlock(statements: Node[], states: StreamState[], frame: Frame): Flow {
    const flow = emptyFlow(states);
    for (const statement of statements) {
      if (flow.normal.length === 0) break;
      const next = this.execStmt(statement, flow.normal, frame);
      flow.normal = next.normal;
      flow.returns.push(...next.returns);
      flow.breaks.push(...next.breaks);
      flow.continues.push(...next.continues);
    }
    return flow;
  }

  private execStmt(node: Node, states: StreamState[], frame: Frame, label: string | null = null): Flow {
    if (++this.steps > MAX_STEPS) throw new AnalysisBudgetExceeded('too complex to analyse within bounds');
    switch (node.type) {
      case 'BlockStatement':
      case 'StaticBlock':
        return this.execBlock(node.body, states, frame);
      case 'ExpressionStatement': {
        this.noteUnawaitedPump(node.expression, frame);
        return emptyFlow(this.evalExpr(node.expression, states, frame, false));
      }
      case 'VariableDeclaration': {
        let current = states;
        for (const declarator of node.declarations) {
          // `let w;` holds undefined until assigned: falsy (so `w ??= from(…)` does assign on that path)
          if (!declarator.init && declarator.id.type === 'Identifier' && node.kind !== 'var') current = setFlag(current, declarator.id.name, { type: 'Identifier', name: 'undefined', start: 0, end: 0 });
          if (!declarator.init) continue;
          // `const send = (x) => stream.write(x)` only declares a local function: calls to it are
          // followed (scope lookup), and passing it somewhere else escapes the stream there.
          if (declarator.id.type === 'Identifier' && isFunction(unwrap(declarator.init))) continue;
          current = this.evalExpr(declarator.init, current, frame, true);
          if (declarator.id.type === 'Identifier' && this.producesAlias(declarator.init, frame)) {
            this.addAlias(frame, declarator.id.name);
          }
          if (declarator.id.type === 'Identifier') current = setFlag(current, declarator.id.name, declarator.init, this.producesAlias(declarator.init, frame));
        }
        return emptyFlow(current);
      }
      case 'ReturnStatement': {
        const after = node.argument ? this.evalExpr(node.argument, states, frame, true) : states;
        return { normal: [], returns: after.map((state) => ({ state, at: node })), breaks: [], continues: [] };
      }
      case 'ThrowStatement': {
        const after = node.argument ? this.evalExpr(node.argument, states, frame, true) : states;
        this.sink(frame).push(...after);
        return emptyFlow([]);
      }
      case 'IfStatement':
        return this.execIf(node, states, frame);
      case 'TryStatement':
        return this.execTry(node, states, frame);
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
        return this.execLoop(node, states, frame, label);
      case 'SwitchStatement':
        return this.execSwitch(node, states, frame, label);
      case 'LabeledStatement': {
        const inner = this.execStmt(node.body, states, frame, node.label.name);
        const own = inner.breaks.filter((b) => b.label === node.label.name);
        return {
          normal: dedupe([...inner.normal, ...own.map((b) => b.state)]),
          returns: inner.returns,
          breaks: inner.breaks.filter((b) => b.label !== node.label.name),
          continues: inner.continues,
        };
      }
      case 'BreakStatement':
        return { normal: [], returns: [], breaks: states.map((state) => ({ label: node.label?.name ?? null, state })), continues: [] };
      case 'ContinueStatement':
        return { normal: [], returns: [], breaks: [], continues: states.map((state) => ({ label: node.label?.name ?? null, state })) };
      case 'FunctionDeclaration':
      case 'EmptyStatement':
      case 'DebuggerStatement':
      case 'ImportDeclaration':
      case 'TSTypeAliasDeclaration':
      case 'TSInterfaceDeclaration':
        return emptyFlow(states);
      case 'ExportNamedDeclaration':
      case 'ExportDefaultDeclaration':
        return node.declaration && !isFunction(node.declaration)
          ? this.execStmt(node.declaration, states, frame)
          : emptyFlow(states);
      case 'ClassDeclaration':
        return emptyFlow(this.evalGeneric(node, states, frame));
      default:
        return emptyFlow(this.evalGeneric(node, states, frame));
    }
  }

  private execIf(node: Node, states: StreamState[], frame: Frame): Flow {
    const tested = this.evalExpr(node.test, states, frame, true);
    const thenFlow = this.execStmt(
      node.consequent,
      decided(tested.filter((s) => flagTest(node.test, s) !== false)).map((s) => ({ ...s, branch: { node, taken: true } })),
      frame,
    );
    const elseStates = decided(tested.filter((s) => flagTest(node.test, s) !== true)).map((s) => ({ ...s, branch: { node, taken: false } }));
    const elseFlow = node.alternate ? this.execStmt(node.alternate, elseStates, frame) : emptyFlow(elseStates);
    return mergeFlows(thenFlow, elseFlow);
  }

  private execTry(node: Node, states: StreamState[], frame: Frame): Flow {
    const catchSink: StreamState[] = [];
    frame.throwSinks.push(catchSink);
    // Exceptions enter the catch from calls, awaits and throws inside the block (recorded there).
    const tryFlow = this.execStmt(node.block, states, frame);
    frame.throwSinks.pop();

    let result = tryFlow;
    const outerMark = this.sink(frame).length;
    if (node.handler) {
      let catchEntry = decided(dedupe(catchSink)).map((st) => ({ ...st, unwinding: false, branch: { node: node.handler, taken: true } }));
      if (node.handler.param) {
        for (const name of patternNames(node.handler.param)) frame.aliases.delete(name);
      }
      // After output started, a catch that does not rethrow masks the error: what it writes ends up at the end
      // of a truncated 200 (catch-writes-after-output, at the write), and when it writes nothing and the
      // stream is then ended normally, the truncation looks like a complete answer (catch-swallows-after-output).
      // A swallow needs the body streamed inside the try (a loop or pipe, or a helper given the stream): a
      // catch around something else (a DB save after the answer) hides nothing from the client.
      const masking = !rethrows(node.handler) && !passesErrorRecord(node.handler);
      const swallows = masking && this.streamsInside(node.block, frame);
      catchEntry = catchEntry.map((st) =>
        masking && st.output === 'yes' && st.ended !== 'yes' && !st.escaped ? { ...st, errorCatch: node.handler, swallowedAt: swallows ? node.handler : st.swallowedAt } : st,
      );
      const caught = this.execStmt(node.handler.body, catchEntry, frame);
      const leave = (st: StreamState): StreamState => (st.errorCatch === node.handler ? { ...st, errorCatch: null } : st);
      const catchFlow: Flow = {
        normal: dedupe(caught.normal.map(leave)),
        returns: caught.returns.map((r) => ({ ...r, state: leave(r.state) })),
        breaks: caught.breaks.map((b) => ({ ...b, state: leave(b.state) })),
        continues: caught.continues.map((c) => ({ ...c, state: leave(c.state) })),
      };
      result = mergeFlows(tryFlow, catchFlow);
    } else {
      // try/finally without catch: thrown states pass through the finally and keep propagating.
      this.sink(frame).push(...catchSink);
    }
    if (!node.finalizer) return result;

    // The finally block runs on every way out; each way keeps its kind afterwards.
    const runFinally = (input: StreamState[]): StreamState[] =>
      input.length === 0 ? [] : this.execStmt(node.finalizer, dedupe(input), frame).normal;
    const outerSink = this.sink(frame);
    // Exceptions thrown inside the catch block (or passing a catch-less try) also run the finally block.
    const passing = outerSink.splice(outerMark).map((st) => ({ ...st, unwinding: true }));
    outerSink.push(...runFinally(passing));
    return {
      normal: runFinally(result.normal),
      returns: result.returns.flatMap((r) => runFinally([r.state]).map((state) => ({ state, at: r.at }))),
      breaks: result.breaks.flatMap((b) => runFinally([b.state]).map((state) => ({ label: b.label, state }))),
      continues: result.continues.flatMap((c) => runFinally([c.state]).map((state) => ({ label: c.label, state }))),
    };
  }

  private execLoop(node: Node, states: StreamState[], frame: Frame, label: string | null): Flow {
    const infinite =
      (node.type === 'WhileStatement' && isTruthyLiteral(node.test)) ||
      (node.type === 'ForStatement' && (!node.test || isTruthyLiteral(node.test)));
    let entry = states;
    if (node.type === 'ForStatement' && node.init) {
      entry =
        node.init.type === 'VariableDeclaration'
          ? this.execStmt(node.init, entry, frame).normal
          : this.evalExpr(node.init, entry, frame, false);
    }
    if (node.type === 'ForOfStatement' || node.type === 'ForInStatement') {
      entry = this.evalExpr(node.right, entry, frame, true);
    }
    const bodyWrites = this.containsOutput(node.body, frame);
    const ownJump = (j: Jump) => j.label === null || j.label === label;

    frame.loopDepth++;
    let head = dedupe(entry);
    const returns: Flow['returns'] = [];
    const breaks: Jump[] = [];
    const outerBreaks: Jump[] = [];
    const outerContinues: Jump[] = [];
    let bodyOut: StreamState[] = [];
    // Each step of an async iterator (`for await`, or a for-of over a generator call) may reject: the
    // exception leaves from the loop head with whatever was written before (a model stream failing mid-answer).
    const iteratorMayThrow = node.type === 'ForOfStatement' && (node.await || unwrap(node.right)?.type === 'CallExpression');
    for (let round = 0; round < MAX_LOOP_ROUNDS; round++) {
      let atBody = decided(head);
      if (node.type === 'WhileStatement' || node.type === 'ForStatement') {
        if (node.test) atBody = this.evalExpr(node.test, atBody, frame, true);
      }
      if (iteratorMayThrow) this.sink(frame).push(...head);
      const body = this.execStmt(node.body, atBody, frame);
      returns.push(...body.returns);
      for (const b of body.breaks) (ownJump(b) ? breaks : outerBreaks).push(b);
      for (const c of body.continues) (ownJump(c) ? [] : outerContinues).push(c);
      let back = [...body.normal, ...body.continues.filter(ownJump).map((c) => c.state)];
      if (node.type === 'DoWhileStatement') back = this.evalExpr(node.test, back, frame, true);
      if (node.type === 'ForStatement' && node.update) back = this.evalExpr(node.update, back, frame, false);
      bodyOut = back;
      const nextHead = dedupe([...head, ...back]);
      if (sameSet(nextHead, head)) break;
      head = nextHead;
    }
    frame.loopDepth--;

    let exits: StreamState[];
    if (infinite) {
      exits = [];
    } else if (node.type === 'DoWhileStatement') {
      exits = bodyOut;
    } else {
      // Zero iterations: the entry states leave the loop directly. When the body would have
      // written, that path is the "empty body" case, which is weaker evidence.
      const zero = entry.map((s) => (bodyWrites && s.output !== 'yes' ? { ...s, emptyLoop: s.emptyLoop ?? node } : s));
      exits = [...zero, ...head.filter((s) => !entry.includes(s))];
    }
    return {
      normal: dedupe([...exits, ...breaks.map((b) => b.state)]),
      returns,
      breaks: outerBreaks,
      continues: outerContinues,
    };
  }

  private execSwitch(node: Node, states: StreamState[], frame: Frame, label: string | null): Flow {
    const disc = this.evalExpr(node.discriminant, states, frame, true);
    const result = emptyFlow([]);
    let fallthrough: StreamState[] = [];
    let hasDefault = false;
    for (const switchCase of node.cases) {
      if (!switchCase.test) hasDefault = true;
      const entry = decided(dedupe([...disc, ...fallthrough]));
      const caseFlow = this.execBlock(switchCase.consequent, entry, frame);
      fallthrough = caseFlow.normal;
      result.returns.push(...caseFlow.returns);
      for (const b of caseFlow.breaks) {
        if (b.label === null || b.label === label) result.normal.push(b.state);
        else result.breaks.push(b);
      }
      result.continues.push(...caseFlow.continues);
    }
    result.normal.push(...fallthrough);
    if (!hasDefault) result.normal.push(...disc);
    result.normal = dedupe(result.normal);
    return result;
  }

  // ---- expressions -----------------------------------------------------------------------------

  /**
   * Evaluates an expression for its effects on the stream, in evaluation order.
   * `used` says whether the expression's value is consumed (for unawaited-promise checks).
   */
  private evalExpr(node: Node | null, states: StreamState[], frame: Frame, used: boolean): StreamState[] {
    if (!node || states.length === 0) return states;
    const n = unwrap(node) ?? node;
    switch (n.type) {
      case 'CallExpression':
        return this.evalCall(n, states, frame, used);
      case 'NewExpression':
        return this.evalNew(n, states, frame);
      case 'AwaitExpression': {
        // A rejected await means the awaited operation did not complete: the exception carries the
        // states from before it (e.g. a failed pipeline() destroyed, not ended, the stream).
        this.sink(frame).push(...states);
        return this.evalExpr(n.argument, states, frame, true);
      }
      case 'LogicalExpression': {
        const left = this.evalExpr(n.left, states, frame, true);
        // Short-circuit on known truthiness: `writer ?? start()` does not call start() once writer is set.
        // (A known-falsy value may be `false` rather than nullish, so `??` only skips on truthy.)
        const skips = (st: StreamState) => {
          const value = flagTest(n.left, st);
          return n.operator === '&&' ? value === false : value === true;
        };
        const mustEvaluate = (st: StreamState) => {
          const value = flagTest(n.left, st);
          return (n.operator === '&&' && value === true) || (n.operator === '||' && value === false);
        };
        const right = this.evalExpr(n.right, decided(left.filter((st) => !skips(st))), frame, used);
        return dedupe([...left.filter((st) => !mustEvaluate(st)), ...right]);
      }
      case 'ConditionalExpression': {
        const tested = decided(this.evalExpr(n.test, states, frame, true));
        return dedupe([
          ...this.evalExpr(n.consequent, tested, frame, used),
          ...this.evalExpr(n.alternate, tested, frame, used),
        ]);
      }
      case 'SequenceExpression': {
        let current = states;
        n.expressions.forEach((expr: Node, i: number) => {
          current = this.evalExpr(expr, current, frame, used && i === n.expressions.length - 1);
        });
        return current;
      }
      case 'AssignmentExpression': {
        if (n.left.type === 'Identifier' && (n.operator === '??=' || n.operator === '||=' || n.operator === '&&=')) {
          // `w ??= from(stream, …)` assigns only when `w` is not set yet: on a path where it is (known
          // truthy), the right side never runs.
          const runs = (st: StreamState) => {
            const value = flagTest(n.left, st);
            return value === undefined || (n.operator === '&&=' ? value : !value);
          };
          const assigned = this.assign(n.left.name, n.right, states.filter(runs), frame);
          return dedupe([...states.filter((st) => flagTest(n.left, st) !== undefined && !runs(st)), ...assigned, ...states.filter((st) => flagTest(n.left, st) === undefined)]);
        }
        if (n.left.type === 'Identifier') {
          if (n.operator !== '=') return this.evalExpr(n.right, states, frame, true);
          return this.assign(n.left.name, n.right, states, frame);
        }
        const after = this.evalExpr(n.right, states, frame, true);
        // Storing the stream in an object property hands it to whoever reads that property.
        if (this.isAlias(n.right, frame)) return after.map(escape);
        return this.evalExpr(n.left, after, frame, true);
      }
      case 'Identifier': {
        if (frame.ambiguous.has(n.name)) return states.map(escape);
        // A local function over the stream used as a value (a callback, `.then(pump)`) may run later.
        const fn = this.currentScope().lookup(n.name, n);
        if (!fn || !mentions(fn.body, frame.aliases)) return states;
        if (!this.scope.isForeign?.(fn)) this.recordClosureCalls(fn, frame);
        return states.map(escape);
      }
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassExpression':
        // A closure over the stream may run at any later time: we cannot order its effects.
        if (!mentions(n, frame.aliases)) return states;
        this.recordClosureCalls(n, frame);
        return states.map(escape);
      case 'ObjectExpression':
      case 'ArrayExpression': {
        if (n.type === 'ObjectExpression') this.noteErrorCallbackMetadata(n, frame);
        let current = states;
        for (const child of n.type === 'ObjectExpression' ? n.properties : n.elements) {
          if (!child) continue;
          const value = child.type === 'Property' ? child.value : child.type === 'SpreadElement' ? child.argument : child;
          if (this.isAlias(value, frame)) current = current.map(escape);
          else current = this.evalExpr(value, current, frame, true);
        }
        return current;
      }
      case 'MemberExpression':
        return this.evalExpr(n.object, states, frame, true);
      case 'TaggedTemplateExpression':
      case 'TemplateLiteral':
      case 'BinaryExpression':
      case 'UnaryExpression':
      case 'UpdateExpression':
      case 'SpreadElement':
      case 'YieldExpression':
      case 'ImportExpression':
      default:
        return this.evalGeneric(n, states, frame);
    }
  }

  /** Evaluates children in order; any bare use of the stream in an unknown position escapes it. */
  private evalGeneric(node: Node, states: StreamState[], frame: Frame): StreamState[] {
    let current = states;
    for (const key in node) {
      if (key === 'type' || key === 'start' || key === 'end' || key === 'typeAnnotation') continue;
      const value = node[key];
      const items = Array.isArray(value) ? value : [value];
      for (const item of items) {
        if (!item || typeof item !== 'object' || typeof item.type !== 'string') continue;
        if (isFunction(item) || item.type === 'ClassExpression' || item.type === 'ClassBody') {
          if (mentions(item, frame.aliases)) {
            this.recordClosureCalls(item, frame);
            current = current.map(escape);
          }
          continue;
        }
        if (item.type.startsWith('TS')) continue;
        current = this.evalExpr(item, current, frame, true);
      }
    }
    return current;
  }

  private evalNew(node: Node, states: StreamState[], frame: Frame): StreamState[] {
    const executor = unwrap(node.arguments[0]);
    const callee = unwrap(node.callee);
    if (callee?.type === 'Identifier' && callee.name === 'Promise' && executor && isFunction(executor) && mentions(executor.body, frame.aliases)) {
      // `new Promise((resolve) => stream.end(data, resolve))`: the executor runs now, once.
      return this.inlineCall(executor, [], states, frame);
    }
    let current = states;
    // `new Promise(executor)` runs the executor now; its callbacks (resolve on 'finish') run later.
    for (const arg of node.arguments) {
      if (this.isAlias(arg, frame)) current = current.map(escape);
      else current = this.evalExpr(arg, current, frame, true);
    }
    return current;
  }

  private evalCall(call: Node, states: StreamState[], frame: Frame, used: boolean): StreamState[] {
    const callee = unwrap(call.callee)!;

    // maybeTheStream.method(...): it may end or write the stream, or not; we cannot tell which.
    if (callee.type === 'MemberExpression' && this.isAmbiguous(callee.object, frame)) {
      let current = states;
      for (const arg of call.arguments) current = this.evalExpr(arg, current, frame, true);
      return current.map(escape);
    }

    // responseStream.method(...)
    if (callee.type === 'MemberExpression' && this.isAlias(callee.object, frame)) {
      const method = propertyName(callee);
      let current = states;
      for (const arg of call.arguments) current = this.evalExpr(arg, current, frame, true);
      if (method === null) return current.map(escape);
      if (this.foreignDepth === 0) this.streamCalls.set(call, { call, method, args: call.arguments, resultUsed: used, inLoop: frame.loopDepth > 0 });
      return this.applyStreamMethod(call, method, current, frame);
    }

    // HttpResponseStream.from(stream, metadata)
    if (isFromCall(call) && call.arguments.length > 0 && this.isAlias(call.arguments[0], frame)) {
      let current = states;
      for (const arg of call.arguments.slice(1)) current = this.evalExpr(arg, current, frame, true);
      if (this.foreignDepth === 0) this.fromCalls.add(call);
      return this.applyMetadata(call, current, frame, false);
    }

    // pipeline(source, ..., stream[, callback])
    if (isPipelineCall(call, this.scope.pipelineAliases)) {
      // the streams: not the callback, not the options object of stream/promises (`{ signal, end: false }`)
      const args = call.arguments.filter((a: Node, i: number) => !isFunction(unwrap(a)) && !(i > 0 && i === call.arguments.length - 1 && unwrap(a)?.type === 'ObjectExpression'));
      const target = args[args.length - 1];
      if (target && (this.isAlias(target, frame) || this.isInlineFrom(target, frame))) {
        let current = states;
        const sources = args.slice(0, -1);
        for (const src of sources) current = this.evalExpr(src, current, frame, true);
        // `pipeline(body, HttpResponseStream.from(stream, metadata))`: the metadata is set, then the body piped.
        if (!this.isAlias(target, frame)) current = this.evalExpr(target, current, frame, true);
        if (this.foreignDepth === 0) this.pipeCalls.set(call, { call, kind: 'pipeline', sources });
        return this.applyPipe(call, current, sources);
      }
    }

    // source.pipe(stream)
    if (callee.type === 'MemberExpression' && propertyName(callee) === 'pipe' && call.arguments.length > 0 && (this.isAlias(call.arguments[0], frame) || this.isInlineFrom(call.arguments[0], frame))) {
      let current = this.evalExpr(callee.object, states, frame, true);
      if (!this.isAlias(call.arguments[0], frame)) current = this.evalExpr(call.arguments[0], current, frame, true);
      if (this.foreignDepth === 0) this.pipeCalls.set(call, { call, kind: 'pipe', sources: [callee.object] });
      return this.applyPipe(call, current, [callee.object]);
    }

    // A function of this module: follow it with the stream bound to its parameter, or through its closure.
    const target = this.resolveLocalFunction(callee, call);
    if (target) {
      const binding = this.bindArguments(target, call.arguments, frame);
      const viaClosure = !this.scope.isForeign?.(target) && mentions(target.body, frame.aliases);
      if (binding.bound.length > 0 || binding.unbound || viaClosure) {
        let current = states;
        for (const arg of call.arguments) {
          const a = unwrap(arg);
          if (this.isAlias(a, frame)) continue;
          if (a?.type === 'ObjectExpression' && binding.objects.has(a)) {
            // `{ response, responseStream }`: evaluate the other values; the stream itself is bound.
            for (const property of a.properties) {
              const value = property.type === 'Property' ? property.value : property.argument;
              if (!this.isAlias(value, frame)) current = this.evalExpr(value, current, frame, true);
            }
            continue;
          }
          current = this.evalExpr(arg, current, frame, true);
        }
        // The stream went in a way the callee's parameters do not name: it can do anything with it.
        if (binding.unbound) current = current.map(escape);
        return this.inlineCall(target, binding.bound, current, frame, used);
      }
    }

    if (callee.type === 'MemberExpression') this.noteErrorListenerWrite(call, callee, frame);

    // Anything else that receives the stream: unknown code.
    const sink = this.foreignDepth === 0 ? serverResponseSink(call, (n) => this.isAlias(unwrap(n), frame)) : null;
    if (sink) this.observe({ kind: 'server-response-sink', at: call, sink });
    let current = this.evalExpr(callee, states, frame, true);
    const path = memberPath(callee);
    // console.log(stream) and events.once(stream, 'drain') observe the stream without taking it over.
    const harmless =
      path !== null &&
      (HARMLESS_GLOBAL_CALLS.has(path[0]) || (path[path.length - 1] === 'once' && stringValue(call.arguments[1]) !== null));
    if (harmless && path && path[path.length - 1] === 'once') {
      const target = call.arguments.find((a: Node) => this.isAlias(a, frame));
      if (target) if (this.foreignDepth === 0) this.streamCalls.set(call, { call, method: 'once', args: call.arguments.slice(1), resultUsed: used, inLoop: frame.loopDepth > 0 });
    }
    for (const arg of call.arguments) {
      const a = unwrap(arg);
      if (this.isAlias(a, frame)) {
        if (!harmless) current = current.map(escape);
      } else if (a && isFunction(a) && isArrayIteration(callee)) {
        // chunks.forEach((c) => stream.write(c)): the callback runs now, zero or more times.
        current = this.inlineLoopCallback(a, current, frame, propertyName(callee) !== 'forEach');
      } else {
        current = this.evalExpr(arg, current, frame, true);
      }
    }
    // A call may throw (logging calls are taken not to).
    if (!harmless) this.sink(frame).push(...current);
    return current;
  }

  private inlineLoopCallback(fn: FunctionNode, states: StreamState[], frame: Frame, valueUsed: boolean): StreamState[] {
    if (!mentions(fn.body, frame.aliases)) return states;
    const aliases = this.aliasesFor(fn, [], frame);
    frame.loopDepth++;
    const once = this.runFunction(fn, aliases, states, frame.depth + 1, frame.loopDepth, valueUsed);
    const twice = this.runFunction(fn, aliases, dedupe(once.exits.map((e) => e.state)), frame.depth + 1, frame.loopDepth, valueUsed);
    frame.loopDepth--;
    this.sink(frame).push(...once.thrown, ...twice.thrown);
    return dedupe([...states, ...once.exits.map((e) => e.state), ...twice.exits.map((e) => e.state)]);
  }

  /**
   * Which of the callee's parameters receive the stream: `f(stream)`, `f(from(stream, …))`, and
   * `f({ responseStream })` into a destructured `({ responseStream })`.
   */
  private bindArguments(target: FunctionNode, args: Node[], frame: Frame): { bound: string[]; unbound: boolean; objects: Set<Node> } {
    const bound: string[] = [];
    const objects = new Set<Node>();
    let unbound = false;
    args.forEach((arg, i) => {
      const a = unwrap(arg);
      let param: Node | undefined = target.params[i];
      if (param?.type === 'AssignmentPattern') param = param.left;
      if (!a) return;
      if (this.isAlias(a, frame) || this.producesAlias(a, frame)) {
        if (param?.type === 'Identifier') bound.push(param.name);
        else unbound = true;
        return;
      }
      if (a.type !== 'ObjectExpression') return;
      for (const property of a.properties) {
        if (property.type !== 'Property' || !this.isAlias(property.value, frame)) continue;
        objects.add(a);
        const key = propertyKey(property);
        const target = param?.type === 'ObjectPattern' && key ? param.properties.find((p: Node) => p.type === 'Property' && propertyKey(p) === key) : null;
        let value = target?.value;
        if (value?.type === 'AssignmentPattern') value = value.left;
        if (value?.type === 'Identifier') bound.push(value.name);
        else unbound = true;
      }
    });
    return { bound, unbound, objects };
  }

  private inlineCall(target: FunctionNode, bound: string[], states: StreamState[], frame: Frame, valueUsed = false): StreamState[] {
    if (frame.depth >= MAX_CALL_DEPTH || this.callStack.includes(target)) {
      // Recursion (e.g. a read().then(pump) loop) or too deep: treat as unknown code.
      return states.map(escape);
    }
    const aliases = this.aliasesFor(target, bound, frame);
    const result = this.runFunction(target, aliases, states, frame.depth + 1, frame.loopDepth);
    this.sink(frame).push(...result.thrown);
    let exits = dedupe(result.exits.map((e) => e.state));
    const foreign = this.scope.isForeign?.(target) ?? false;
    // A helper that ends the stream on some paths and not on others decides by data the caller cannot
    // relate to its own branches: `if (isDirectAccess(...)) return;` ends exactly when it returns true,
    // and another module's branches (the event type) are invisible here. Only what holds on every
    // path of such a helper is kept; the rest is unknown.
    const mixed = exits.some((e) => e.ended !== 'no') && exits.some((e) => e.ended === 'no');
    if (mixed && (foreign || (valueUsed && returnedValues(target).length > 0))) exits = exits.map(escape);
    // Branch locations inside another module mean nothing in this file's messages.
    if (foreign) exits = exits.map((e) => ({ ...e, branch: null }));
    return dedupe(exits);
  }

  /** Aliases visible inside a called function: closure aliases not shadowed, plus bound parameters. */
  private aliasesFor(target: FunctionNode, bound: string[], frame: Frame): Set<string> {
    const own = declaredNames(target);
    // Another module cannot see this module's variables: only the parameters it receives.
    const closure = this.scope.isForeign?.(target) ? [] : [...frame.aliases];
    return new Set([...closure.filter((name) => !own.has(name)), ...bound]);
  }

  // ---- stream operations -----------------------------------------------------------------------

  private applyStreamMethod(call: Node, method: string, states: StreamState[], frame: Frame): StreamState[] {
    switch (method) {
      case 'write':
        return states.map((s) => {
          if (s.ended === 'yes' && !s.escaped) this.observe({ kind: 'output-after-end', at: call, end: s.endAt });
          return {
            ...this.writtenInErrorCatch(s, call),
            output: 'yes',
            outputAt: s.outputAt ?? call,
            meta: s.meta === 'pending' ? 'flushed' : s.meta,
          };
        });
      case 'end': {
        const data = call.arguments[0];
        const firstArg = unwrap(data);
        const hasData = !!firstArg && !isFunction(firstArg) && !isEmptyLiteral(firstArg);
        const emptyData = !!firstArg && isEmptyLiteral(firstArg);
        return states.map((s) => {
          if (s.ended === 'yes') {
            if (hasData && !s.escaped) this.observe({ kind: 'output-after-end', at: call, end: s.endAt });
            return s;
          }
          if (s.meta === 'pending') {
            if (s.unwinding) {
              // an exception is on its way to the runtime: not this path's problem to report
            } else if (hasData) this.observe({ kind: 'end-data-before-write', at: call, from: s.metaAt });
            else this.observe({ kind: 'end-without-flush', at: call, from: s.metaAt, via: 'end', emptyLoop: s.emptyLoop, provenEmptySource: emptyData });
          }
          if (s.meta === 'none' && !s.escaped && !s.unwinding) {
            this.observe({ kind: 'end-without-metadata', at: call, wroteRaw: s.output === 'yes' || hasData, via: s.branch });
          }
          if (s.swallowedAt && !s.escaped && !s.unwinding) this.observe({ kind: 'catch-swallows-after-output', at: s.swallowedAt, end: call });
          const after = hasData ? this.writtenInErrorCatch(s, call) : s;
          return { ...after, ended: 'yes', endAt: call, output: hasData ? 'yes' : s.output, swallowedAt: null };
        });
      }
      case 'setContentType': {
        const value = stringValue(call.arguments[0]);
        if (value === INTEGRATION_CONTENT_TYPE) {
          if (this.foreignDepth === 0) this.fromCalls.add(call);
          return this.applyMetadata(call, states, frame, true);
        }
        const normal: StreamState[] = [];
        for (const s of states) {
          if (s.output === 'yes' && s.ended !== 'yes') {
            // After any write the runtime throws "Cannot set content-type, too late." (nothing leaks).
            this.observe({ kind: 'metadata-after-output', at: call, output: s.outputAt, manual: false });
            this.sink(frame).push(s);
            continue;
          }
          // Metadata set, nothing written yet: the type is overridden and the prelude leaks into the body.
          if (s.meta === 'pending') this.observe({ kind: 'content-type-after-metadata', at: call, from: s.metaAt });
          normal.push(s);
        }
        return normal;
      }
      case 'destroy':
        // The runtime crashes on destroy(); the path does not hang.
        return states.map((s) => ({ ...s, ended: 'yes', endAt: s.endAt ?? call }));
      default:
        return states;
    }
  }

  private applyMetadata(call: Node, states: StreamState[], frame: Frame, manual: boolean): StreamState[] {
    const normal: StreamState[] = [];
    for (const s of states) {
      if (s.output === 'yes' && s.ended !== 'yes') {
        // The runtime throws "Cannot set content-type, too late.": this path continues as an exception.
        this.observe({ kind: 'metadata-after-output', at: call, output: s.outputAt, manual });
        this.sink(frame).push(s);
        continue;
      }
      // Two from() on one straight path lose the first; with a decision between them (a branch, a catch)
      // the second is the intended override (runtime.md: the last one wins).
      if (s.meta === 'pending' && !s.metaDecided) this.observe({ kind: 'metadata-twice', at: call, first: s.metaAt });
      normal.push({ ...s, meta: 'pending', metaAt: call, metaDecided: false });
    }
    return dedupe(normal);
  }

  private applyPipe(call: Node, states: StreamState[], sources: Node[]): StreamState[] {
    const keepsOpen = call.arguments.some((a: Node) => {
      const n = unwrap(a);
      return n?.type === 'ObjectExpression' && (n.properties as Node[]).some((p) => p.type === 'Property' && p.key?.name === 'end' && unwrap(p.value)?.type === 'Literal' && unwrap(p.value)!.value === false);
    });
    const provenEmpty = sources.length > 0 && isProvenEmptySource(sources[0]);
    const provenNonEmpty = sources.length > 0 && isProvenNonEmptySource(sources[0]);
    return states.map((s) => {
      if (s.ended === 'yes' && !s.escaped) this.observe({ kind: 'output-after-end', at: call, end: s.endAt });
      if (s.meta === 'pending' && !provenNonEmpty) {
        this.observe({ kind: 'end-without-flush', at: call, from: s.metaAt, via: 'pipeline', emptyLoop: s.emptyLoop, provenEmptySource: provenEmpty });
      }
      const written = { ...s, output: 'yes' as const, outputAt: s.outputAt ?? call, meta: s.meta === 'pending' ? ('flushed' as const) : s.meta };
      // `pipeline(a, stream, { end: false })` leaves the stream open for what follows.
      return keepsOpen ? written : { ...written, ended: 'yes' as const, endAt: call };
    });
  }

  // ---- syntactic checks done during interpretation ---------------------------------------------

  /**
   * A write inside a catch entered after output started: error text appended to a truncated 200 is masked
   * (reported), an in-band protocol frame (an SSE `event: error`/`data: {"error":…}` frame, an NDJSON error
   * object) is how a stream reports errors (not reported). Either way the catch has answered: it no longer
   * swallows the error.
   */
  private writtenInErrorCatch(s: StreamState, call: Node): StreamState {
    if (!s.errorCatch) return s;
    if (!isInBandErrorFrame(call.arguments[0])) this.observe({ kind: 'catch-writes-after-output', at: s.errorCatch, write: call });
    return { ...s, errorCatch: null, swallowedAt: null };
  }

  /**
   * `source.on("error", () => { stream.write("Error …"); stream.end(); })` where `source` feeds the stream
   * (its "data" events write it, or it is piped into it): when the source fails mid-body the listener
   * appends error text to a truncated 200 and ends it normally, which looks like a complete response.
   */
  private noteErrorListenerWrite(call: Node, callee: Node, frame: Frame): void {
    if (this.foreignDepth > 0 || !['on', 'once', 'addListener'].includes(propertyName(callee) ?? '')) return;
    if (stringValue(call.arguments[0]) !== 'error' || this.isAlias(callee.object, frame)) return;
    const listener = unwrap(call.arguments[1]);
    if (!listener || !isFunction(listener) || !mentions(listener.body, frame.aliases)) return;
    let write: Node | null = null;
    let destroys = false;
    walk(listener.body, (node) => {
      if (node.type !== 'CallExpression') return true;
      const target = unwrap(node.callee);
      if (target?.type !== 'MemberExpression' || !this.isAlias(target.object, frame)) return true;
      const method = propertyName(target);
      if (method === 'destroy') destroys = true;
      const data = method === 'end' ? unwrap(node.arguments[0]) : null;
      if (!write && (method === 'write' || (data && !isFunction(data))) && !isInBandErrorFrame(node.arguments[0])) write = node;
      return true;
    });
    const source = rootIdentifier(callee.object);
    if (!write || destroys || !source || !this.feedsStream(source, frame)) return;
    this.observe({ kind: 'error-listener-writes', at: write, listener, source: callee.object });
  }

  /**
   * `{ onError: (e) => { from(stream, { statusCode: 500 }); … } }` handed to a producer that also writes the
   * stream (`renderToPipeableStream(…, { onShellReady() { pipe(stream) }, onError })`, AI SDK `streamText({
   * onError })` with `pipeDataStreamToResponse(stream)`): producers call onError for errors after their first
   * bytes too, and from() then throws "Cannot set content-type, too late." inside the producer.
   */
  private noteErrorCallbackMetadata(object: Node, frame: Frame): void {
    if (this.foreignDepth > 0) return;
    for (const property of object.properties) {
      if (property.type !== 'Property' || !/^on(Error|Abort)$/.test(propertyKey(property) ?? '')) continue;
      const value = unwrap(property.value);
      const callback = value && isFunction(value) ? value : value?.type === 'Identifier' ? this.currentScope().lookup(value.name, value) : null;
      if (!callback || !mentions(callback.body, frame.aliases)) continue;
      const from = this.metadataCallIn(callback, frame, 0);
      if (from && this.containsOutput(frame.fn.body, frame)) this.observe({ kind: 'metadata-in-error-callback', at: from, callback: property });
    }
  }

  /** A from() on the stream in `fn`, or the call handing the stream to a helper of this module that does one. */
  private metadataCallIn(fn: FunctionNode, frame: Frame, depth: number): Node | null {
    let found: Node | null = null;
    walk(fn.body, (node) => {
      if (found || node.type !== 'CallExpression') return !found;
      if (isFromCall(node) && this.isAlias(node.arguments[0], frame)) found = node;
      else if (depth === 0 && node.arguments.some((a: Node) => this.isAlias(a, frame))) {
        const callee = unwrap(node.callee);
        const helper = callee?.type === 'Identifier' ? this.currentScope().lookup(callee.name, node) : null;
        if (helper) {
          const index = node.arguments.findIndex((a: Node) => this.isAlias(a, frame));
          const param = helper.params[index];
          // reported at the call in the callback (the helper's own from() is correct on its other paths)
          if (param?.type === 'Identifier' && this.metadataCallIn(helper, { ...frame, aliases: new Set([param.name]) }, depth + 1)) found = node;
        }
      }
      return !found;
    });
    return found;
  }

  /** `name` is a data source of the stream in this function: its "data" events write it, or it is piped into it. */
  private feedsStream(name: string, frame: Frame): boolean {
    let feeds = false;
    walk(frame.fn.body, (node) => {
      if (feeds || node.type !== 'CallExpression') return !feeds;
      const target = unwrap(node.callee);
      const method = target?.type === 'MemberExpression' ? propertyName(target) : null;
      if (target?.type === 'MemberExpression' && rootIdentifier(target.object) === name) {
        if (method === 'pipe' && node.arguments.some((a: Node) => this.isAlias(a, frame))) feeds = true;
        const listener = unwrap(node.arguments[1]);
        if (['on', 'once', 'addListener'].includes(method ?? '') && stringValue(node.arguments[0]) === 'data' && listener && isFunction(listener) && mentions(listener.body, frame.aliases)) feeds = true;
      }
      if (isPipelineCall(node, this.scope.pipelineAliases) && rootIdentifier(node.arguments[0]) === name && node.arguments.some((a: Node) => this.isAlias(a, frame))) feeds = true;
      return !feeds;
    });
    return feeds;
  }

  /** The try block streams the body itself: a loop or an async iteration that writes, or a pipe into the stream. */
  private streamsInside(block: Node, frame: Frame): boolean {
    let found = false;
    walk(block, (node) => {
      if (found || isFunction(node)) return false;
      const isLoop = ['ForStatement', 'ForOfStatement', 'ForInStatement', 'WhileStatement', 'DoWhileStatement'].includes(node.type);
      if (isLoop && this.containsOutput(node.body, frame)) found = true;
      // a pipe into the stream, or a helper that is handed the stream and writes it
      if (node.type === 'CallExpression' && node.arguments.some((a: Node) => this.isAlias(a, frame) || this.producesAlias(a, frame))) found = true;
      return !found;
    });
    return found;
  }

  /** A promise-returning stream pump whose result is dropped: the handler returns before it finishes. */
  private noteUnawaitedPump(expression: Node, frame: Frame): void {
    const expr = unwrap(expression);
    if (!expr || expr.type !== 'CallExpression') return;
    const callee = unwrap(expr.callee);
    // reader.read().then(pump) / something.then(...) touching the stream
    const touchesStream = (node: Node) =>
      mentions(node, frame.aliases) ||
      node.arguments.some((a: Node) => {
        const ref = unwrap(a);
        const fn = ref?.type === 'Identifier' ? this.currentScope().lookup(ref.name, ref) : null;
        return !!fn && mentions(fn.body, frame.aliases);
      });
    if (callee?.type === 'MemberExpression' && propertyName(callee) === 'then' && touchesStream(expr)) {
      this.observe({ kind: 'unawaited-pump', at: expr });
      return;
    }
    // pipeline(...) from stream/promises, not awaited, without a callback
    if (isPipelineCall(expr, this.scope.pipelineAliases)) {
      const args = expr.arguments;
      const last = unwrap(args[args.length - 1]);
      if (last && !isFunction(last) && this.isAlias(last, frame)) this.observe({ kind: 'unawaited-pump', at: expr });
      return;
    }
    // an async helper of this module that writes the stream, called without await
    const target = this.resolveLocalFunction(callee, expr);
    if (target?.async && !catchesEverything(target) && (expr.arguments.some((a: Node) => this.isAlias(a, frame)) || (!this.scope.isForeign?.(target) && mentions(target.body, frame.aliases)))) {
      this.observe({ kind: 'unawaited-pump', at: expr });
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  /**
   * Calls on the stream inside a closure that runs at an unknown time (an event listener, a callback):
   * their order is unknown, but what they call is not, so the call-level rules still see them
   * (e.g. `body.once("error", (e) => stream.destroy(e))`). Their values count as used.
   */
  private recordClosureCalls(closure: Node, frame: Frame): void {
    if (this.foreignDepth > 0) return;
    walk(closure, (node) => {
      if (node.type !== 'CallExpression') return true;
      const callee = unwrap(node.callee);
      if (callee?.type === 'MemberExpression' && this.isAlias(callee.object, frame) && !this.streamCalls.has(node)) {
        const method = propertyName(callee);
        if (method) this.streamCalls.set(node, { call: node, method, args: node.arguments, resultUsed: true, inLoop: false });
      }
      return true;
    });
  }

  private observe(observation: Observation): void {
    if (this.foreignDepth > 0) return;
    const key = `${observation.kind}@${observation.at.start}`;
    if (!this.observations.has(key)) this.observations.set(key, observation);
  }

  /** `name = value`: its effects, the alias it may make, and what its truthiness becomes (a stream is an object: truthy). */
  private assign(name: string, value: Node, states: StreamState[], frame: Frame): StreamState[] {
    const after = this.evalExpr(value, states, frame, true);
    const alias = this.producesAlias(value, frame);
    if (alias) this.addAlias(frame, name);
    return setFlag(after, name, value, alias);
  }

  /** Makes `name` an alias, unless the function also assigns it something that is not the stream. */
  private addAlias(frame: Frame, name: string): void {
    if (frame.ambiguous.has(name)) return;
    if (assignsOtherValues(frame.fn, name, (value) => this.producesAlias(value, frame))) {
      frame.ambiguous.add(name);
      frame.aliases.delete(name);
      return;
    }
    frame.aliases.add(name);
  }

  private isAmbiguous(node: Node | null | undefined, frame: Frame): boolean {
    const n = unwrap(node);
    return !!n && n.type === 'Identifier' && frame.ambiguous.has(n.name);
  }

  private currentScope(): ModuleScope {
    return this.scopes[this.scopes.length - 1] ?? this.scope;
  }

  private sink(frame: Frame): StreamState[] {
    return frame.throwSinks[frame.throwSinks.length - 1];
  }

  isAlias(node: Node | null | undefined, frame: Frame): boolean {
    const n = unwrap(node);
    return !!n && n.type === 'Identifier' && frame.aliases.has(n.name);
  }

  /** `HttpResponseStream.from(stream, metadata)` written where the stream is expected (a pipe's destination). */
  private isInlineFrom(node: Node | null | undefined, frame: Frame): boolean {
    const n = unwrap(node);
    return !!n && n.type === 'CallExpression' && isFromCall(n) && n.arguments.length > 0 && this.isAlias(n.arguments[0], frame);
  }

  /** `x = stream`, `x = HttpResponseStream.from(stream, ...)`, `x = cond ? stream : from(...)`. */
  private producesAlias(node: Node, frame: Frame): boolean {
    const n = unwrap(node);
    if (!n) return false;
    if (this.isAlias(n, frame)) return true;
    if (n.type === 'CallExpression' && isFromCall(n) && this.isAlias(n.arguments[0], frame)) return true;
    if (n.type === 'AwaitExpression') return this.producesAlias(n.argument, frame);
    if (n.type === 'ConditionalExpression') return this.producesAlias(n.consequent, frame) || this.producesAlias(n.alternate, frame);
    if (n.type === 'LogicalExpression') return this.producesAlias(n.left, frame) || this.producesAlias(n.right, frame);
    if (n.type === 'CallExpression') {
      // `const w = open(stream, 204)` where `function open(s, code) { return from(s, {...}) }`
      const target = this.resolveLocalFunction(unwrap(n.callee), n);
      if (!target) return false;
      const { bound } = this.bindArguments(target, n.arguments, frame);
      const inner: Frame = { ...frame, aliases: this.aliasesFor(target, bound, frame) };
      return returnedValues(target).some((value) => this.producesAlias(value, inner));
    }
    return false;
  }

  private resolveLocalFunction(callee: Node | null, call: Node): FunctionNode | null {
    if (!callee) return null;
    if (isFunction(callee)) return callee; // IIFE
    if (callee.type !== 'Identifier') return null;
    const scope = this.currentScope();
    return scope.lookup(callee.name, call) ?? scope.imported?.(callee.name) ?? null;
  }

  private containsOutput(body: Node, frame: Frame): boolean {
    let found = false;
    walk(body, (node) => {
      if (found) return false;
      if (node.type === 'CallExpression') {
        const callee = unwrap(node.callee);
        if (callee?.type === 'MemberExpression' && this.isAlias(callee.object, frame) && propertyName(callee) === 'write') found = true;
        else if (node.arguments.some((a: Node) => this.isAlias(a, frame))) found = true;
      }
      return true;
    });
    return found;
  }
}

/** Records `name = true|false`; any other assignment forgets the flag. */
/** Truthiness of a value when it is evident: literals, null/undefined, new objects, from() results. */
function truthiness(value: Node | null): boolean | undefined {
  const v = unwrap(value);
  if (!v) return undefined;
  if (v.type === 'Literal') return v.value === null && v.regex === undefined && v.bigint === undefined ? false : !!v.value || !!v.regex;
  if (v.type === 'Identifier' && v.name === 'undefined') return false;
  if (v.type === 'ObjectExpression' || v.type === 'ArrayExpression' || v.type === 'NewExpression' || isFunction(v)) return true;
  if (v.type === 'CallExpression' && isFromCall(v)) return true;
  return undefined;
}

const MAX_FLAGS = 8;

function setFlag(states: StreamState[], name: string, value: Node | null, isStream = false): StreamState[] {
  const known = isStream ? true : truthiness(value);
  return states.map((s) => {
    if (known === undefined && !(name in s.flags)) return s;
    if (known !== undefined && !(name in s.flags) && Object.keys(s.flags).length >= MAX_FLAGS) return s;
    const flags = { ...s.flags };
    if (known === undefined) delete flags[name];
    else flags[name] = known;
    return { ...s, flags };
  });
}

/** The value of `if (flag)` / `if (!flag)` on this path, when the flag is known. */
function flagTest(test: Node, s: StreamState): boolean | undefined {
  const t = unwrap(test);
  if (!t) return undefined;
  if (t.type === 'Identifier') return s.flags[t.name];
  if (t.type === 'UnaryExpression' && t.operator === '!') {
    const inner = flagTest(t.argument, s);
    return inner === undefined ? undefined : !inner;
  }
  return undefined;
}

/**
 * Whether the function assigns `name` a value that is not the stream (ignoring `null`/`undefined`
 * placeholders, which hold nothing one could call).
 */
function assignsOtherValues(fn: FunctionNode, name: string, isStream: (value: Node) => boolean): boolean {
  let other = false;
  const check = (value: Node | null | undefined) => {
    const v = unwrap(value);
    if (!v || other) return;
    if ((v.type === 'Literal' && v.value === null) || (v.type === 'Identifier' && v.name === 'undefined')) return;
    if (v.type === 'UnaryExpression' && v.operator === 'void') return;
    if (!isStream(v)) other = true;
  };
  walk(fn.body, (node) => {
    if (other) return false;
    if (node !== fn.body && isFunction(node) && declaredNames(node).has(name)) return false;
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === name) check(node.init);
    if (node.type === 'AssignmentExpression' && node.operator === '=' && node.left.type === 'Identifier' && node.left.name === name) check(node.right);
    return true;
  });
  return other;
}

/** An async function whose whole body is `try { … } catch { … }` without a rethrow: its promise never rejects. */
function catchesEverything(fn: FunctionNode): boolean {
  const body = fn.body.type === 'BlockStatement' ? fn.body.body : [];
  if (body.length !== 1 || body[0].type !== 'TryStatement' || !body[0].handler) return false;
  let rethrows = false;
  walk(body[0].handler.body, (node) => {
    if (isFunction(node)) return false;
    if (node.type === 'ThrowStatement') rethrows = true;
    return !rethrows;
  });
  return !rethrows;
}

/** The expressions a function returns (its own returns, not nested functions'). */
function returnedValues(fn: FunctionNode): Node[] {
  if (fn.body.type !== 'BlockStatement') return [fn.body];
  const values: Node[] = [];
  walk(fn.body, (node) => {
    if (node !== fn.body && isFunction(node)) return false;
    if (node.type === 'ReturnStatement' && node.argument) values.push(node.argument);
    return true;
  });
  return values;
}

/** States that went through a decision (branch, catch, loop): a later from() is an intended override. */
function decided(states: StreamState[]): StreamState[] {
  return states.map((s) => (s.meta === 'pending' && !s.metaDecided ? { ...s, metaDecided: true } : s));
}

/** A catch block that rethrows (anywhere in its own body): the runtime then ends the stream with error trailers. */
function rethrows(handler: Node): boolean {
  let found = false;
  walk(handler.body, (node) => {
    if (found || isFunction(node)) return false;
    if (node.type === 'ThrowStatement') found = true;
    return !found;
  });
  return found;
}

/**
 * How a stream reports an error in its own protocol: an SSE frame (`data: …`, `event: error`), or a JSON
 * object (an NDJSON/JSON-lines error record, `JSON.stringify({ error })`). Clients of such streams read it.
 */
export function isInBandErrorFrame(arg: Node | null | undefined): boolean {
  const n = unwrap(arg);
  if (!n) return false;
  const leading = leadingText(n);
  // an SSE frame (`data: …`, `event: error`): the client's EventSource reads it as an event
  if (leading !== null && /^\s*(data|event|id|retry)\s*:/.test(leading)) return true;
  // a JSON error record written as text: `{"error": …}`
  if (leading !== null && /^\s*\{/.test(leading) && /error|err\b|fail/i.test(sourceText(n))) return true;
  const first = n.type === 'BinaryExpression' && n.operator === '+' ? leftmost(n) : n;
  if (isErrorRecord(first)) return true;
  if (first.type === 'TemplateLiteral' && first.quasis[0]?.value?.cooked === '' && isErrorRecord(unwrap(first.expressions[0]))) return true;
  // encoder.encode(`data: …`), Buffer.from(`data: …`): the same text as bytes
  if (n.type === 'CallExpression' && ['encode', 'from'].includes(calleeName(n) ?? '')) return isInBandErrorFrame(n.arguments[0]);
  return false;
}

/**
 * `JSON.stringify({ error: … })`, `JSON.stringify({ type: "error", … })`: a JSON record that says it is an
 * error (an NDJSON/JSON-lines error object). A record without such a key (`{ response: err }`) is not.
 */
function isErrorRecord(node: Node | null | undefined): boolean {
  const n = unwrap(node);
  if (n?.type !== 'CallExpression' || memberPath(n.callee)?.join('.') !== 'JSON.stringify') return false;
  return isErrorObject(n.arguments[0]);
}

/**
 * A catch that hands an error record to a helper (`writeChunk(stream, { type: "error", message })`): the
 * helper serialises it into the stream's own protocol (an NDJSON/SSE error event), which is not masking.
 */
function passesErrorRecord(handler: Node): boolean {
  let found = false;
  walk(handler.body, (node) => {
    if (found || isFunction(node)) return false;
    if (node.type === 'CallExpression' && node.arguments.some((a: Node) => isErrorObject(a))) found = true;
    return !found;
  });
  return found;
}

function isErrorObject(node: Node | null | undefined): boolean {
  const object = unwrap(node);
  if (object?.type !== 'ObjectExpression') return false;
  return object.properties.some((p: Node) => {
    if (p.type !== 'Property') return false;
    const key = String(p.key?.name ?? p.key?.value ?? '');
    if (/^(error|err|errors|errorMessage|errorType|exception|fault)$/i.test(key)) return true;
    return /^(type|event|status|kind)$/.test(key) && /error|fail/i.test(stringValue(p.value) ?? '');
  });
}

/** The literal parts of a string expression (quasis, literals), for keyword checks. */
function sourceText(n: Node): string {
  let text = '';
  walk(n, (node) => {
    const value = stringValue(node);
    if (value !== null) text += value;
    if (node.type === 'TemplateElement') text += node.value?.cooked ?? '';
    return true;
  });
  return text;
}

/** `a` for `a`, `a.b.c`, `a.b()`: the variable an expression starts from. */
function rootIdentifier(node: Node | null | undefined): string | null {
  let n = unwrap(node);
  while (n) {
    if (n.type === 'Identifier') return n.name;
    if (n.type === 'MemberExpression') n = unwrap(n.object);
    else if (n.type === 'CallExpression') n = unwrap(n.callee);
    else return null;
  }
  return null;
}

function leftmost(n: Node): Node {
  let current = n;
  while (current.type === 'BinaryExpression' && current.operator === '+') current = unwrap(current.left) ?? current.left;
  return current;
}

/** The literal text a string expression starts with (a literal, a template's first part, a `+` chain's left end). */
function leadingText(n: Node): string | null {
  const first = n.type === 'BinaryExpression' && n.operator === '+' ? leftmost(n) : n;
  const literal = stringValue(first);
  if (literal !== null) return literal;
  if (first.type === 'TemplateLiteral') return first.quasis[0]?.value?.cooked ?? null;
  return null;
}

/**
 * Library calls that take their response argument for a Node `http.ServerResponse` and call `writeHead`,
 * `setHeader(s)` or `flushHeaders` on it first (issue 15, item 9): the AI SDK's `pipe*ToResponse` helpers
 * (`ai` 4.3.19 `dist/index.mjs:153-176`, 5.0.277 `:2924-2980`, 7.0.185 `dist/index.js:2494-2498`, as result
 * methods and as functions, whose v5+ form takes `{ response, … }`), the MCP SDK's
 * `StreamableHTTPServerTransport#handleRequest(req, res)` (1.17.5 `streamableHttp.js:102-499`; from 1.25.0
 * through `@hono/node-server`) and `@hono/node-server`'s `getRequestListener(app)(req, res)`
 * (1.19.9 `listener.mjs:354-377`). The runtime's stream has none of these methods: a TypeError before any byte.
 */
const PIPE_TO_RESPONSE = new Set(['pipeTextStreamToResponse', 'pipeDataStreamToResponse', 'pipeUIMessageStreamToResponse']);

function serverResponseSink(call: Node, isStream: (node: Node | undefined) => boolean): string | null {
  const callee = unwrap(call.callee);
  const args = call.arguments as Node[];
  if (callee?.type === 'CallExpression') {
    const inner = memberPath(callee.callee)?.at(-1);
    return inner === 'getRequestListener' && isStream(args[1]) ? 'getRequestListener' : null;
  }
  const name = memberPath(callee)?.at(-1) ?? (callee?.type === 'MemberExpression' ? propertyName(callee) : null);
  if (!name) return null;
  if (PIPE_TO_RESPONSE.has(name)) {
    if (isStream(args[0])) return name;
    const options = unwrap(args[0]);
    if (options?.type === 'ObjectExpression') {
      const response = options.properties.find((p: Node) => p.type === 'Property' && propertyKey(p) === 'response');
      if (response && isStream(response.shorthand ? response.key : response.value)) return name;
    }
    return null;
  }
  if (name === 'handleRequest' && callee?.type === 'MemberExpression' && isStream(args[1])) return 'handleRequest';
  return null;
}

function escape(s: StreamState): StreamState {
  if (s.escaped) return s;
  return {
    ...s,
    escaped: true,
    ended: s.ended === 'yes' ? 'yes' : 'unknown',
    output: s.output === 'yes' ? 'yes' : 'unknown',
    meta: s.meta === 'none' || s.meta === 'pending' ? 'unknown' : s.meta,
  };
}

function mergeFlows(a: Flow, b: Flow): Flow {
  return {
    normal: dedupe([...a.normal, ...b.normal]),
    returns: [...a.returns, ...b.returns],
    breaks: [...a.breaks, ...b.breaks],
    continues: [...a.continues, ...b.continues],
  };
}

function isTruthyLiteral(node: Node | null): boolean {
  const n = unwrap(node);
  return !!n && n.type === 'Literal' && !!n.value;
}

function isEmptyLiteral(node: Node): boolean {
  const value = stringValue(node);
  return value === '';
}

/** `Readable.from([])`, `Readable.from('')`: a source that yields no chunk at all. */
function isProvenEmptySource(node: Node): boolean {
  const n = unwrap(node);
  if (!n || n.type !== 'CallExpression') return false;
  const path = memberPath(n.callee);
  if (!path || path[path.length - 1] !== 'from') return false;
  const arg = unwrap(n.arguments[0]);
  return !!arg && arg.type === 'ArrayExpression' && arg.elements.length === 0;
}

/** `Readable.from(buffer)` / `Readable.from("text")`: exactly one chunk, even when empty (run d7). */
function isProvenNonEmptySource(node: Node): boolean {
  const n = unwrap(node);
  if (!n || n.type !== 'CallExpression') return false;
  const path = memberPath(n.callee);
  if (!path || path.length < 2 || path[path.length - 1] !== 'from' || path[path.length - 2] !== 'Readable') return false;
  const arg = unwrap(n.arguments[0]);
  if (!arg) return false;
  if (stringValue(arg) !== null || arg.type === 'TemplateLiteral') return true;
  const argPath = arg.type === 'CallExpression' ? memberPath(arg.callee) : null;
  if (!argPath) return false;
  // Buffer.from/alloc/concat, JSON.stringify(...), String(...): a Buffer or a string, never iterated.
  return argPath[0] === 'Buffer' || (argPath[0] === 'JSON' && argPath[1] === 'stringify') || (argPath.length === 1 && argPath[0] === 'String');
}

const ARRAY_ITERATION = new Set(['forEach', 'map', 'flatMap', 'filter', 'some', 'every', 'reduce']);

function isArrayIteration(callee: Node): boolean {
  return callee.type === 'MemberExpression' && ARRAY_ITERATION.has(propertyName(callee) ?? '');
}
