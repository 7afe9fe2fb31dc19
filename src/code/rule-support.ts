/** Small shared pieces for code rules: snippets for messages and common queries over facts. */
import type { Node } from './ast.js';
import { isFunction, memberPath, propertyKey, propertyName, stringValue, unwrap, walk } from './ast.js';
import type { ModuleFacts, StreamFunctionFacts } from './facts.js';
import type { Observation, StreamCall } from './stream-flow.js';

/** Source text of a node, on one line, shortened for a message. */
export function snippet(facts: ModuleFacts, node: Node | null | undefined, max = 60): string {
  if (!node) return '';
  const text = facts.text.slice(node.start, node.end).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function lineOf(facts: ModuleFacts, node: Node | null | undefined): number {
  return node ? facts.lines.position(node.start).line : 0;
}

/** Observations of one kind across every analysed function, each once (a helper may be shared). */
export function observationsOf<K extends Observation['kind']>(
  facts: ModuleFacts,
  kind: K,
  role?: StreamFunctionFacts['role'],
): Array<{ fn: StreamFunctionFacts; obs: Extract<Observation, { kind: K }> }> {
  const seen = new Set<number>();
  const out: Array<{ fn: StreamFunctionFacts; obs: Extract<Observation, { kind: K }> }> = [];
  for (const fn of facts.functions) {
    if (role && fn.role !== role) continue;
    for (const obs of fn.flow.observations) {
      if (obs.kind !== kind || seen.has(obs.at.start)) continue;
      seen.add(obs.at.start);
      out.push({ fn, obs: obs as Extract<Observation, { kind: K }> });
    }
  }
  return out;
}

/** Calls on the stream across analysed functions, each once. */
export function streamCallsOf(facts: ModuleFacts, methods?: string[]): Array<{ fn: StreamFunctionFacts; call: StreamCall }> {
  const seen = new Set<Node>();
  const out: Array<{ fn: StreamFunctionFacts; call: StreamCall }> = [];
  for (const fn of facts.functions) {
    for (const call of fn.flow.streamCalls) {
      if (seen.has(call.call) || (methods && !methods.includes(call.method))) continue;
      seen.add(call.call);
      out.push({ fn, call });
    }
  }
  return out;
}

/** The object literal passed as metadata to from(), following one `const meta = {...}` step. */
export function metadataObject(facts: ModuleFacts, fromCall: Node): Node | null {
  const arg = unwrap(fromCall.arguments?.[1]);
  if (!arg) return null;
  if (arg.type === 'ObjectExpression') return arg;
  if (arg.type === 'Identifier') return resolveConstObject(facts, arg.name, fromCall);
  return null;
}

/** `const name = { ... }` declared before `at` in the same module (closest one wins). */
export function resolveConstObject(facts: ModuleFacts, name: string, at: Node): Node | null {
  let found: Node | null = null;
  const visit = (node: Node): void => {
    if (node.start > at.start) return;
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === name) {
      const init = unwrap(node.init);
      if (init?.type === 'ObjectExpression') found = init;
    }
  };
  walk(facts.program, (node) => {
    visit(node);
    return node.start <= at.start;
  });
  return found;
}

export const RUNTIME_EVIDENCE =
  'aws-lambda-ric 3.3.0 (nodejs18.x/20.x/22.x) and 4.0.2 (nodejs24.x), read and run against a recording Runtime API; see docs/runtime-behaviour.md';

export interface MetadataShape {
  object: Node;
  /** Top-level keys of the metadata object literal. */
  keys: Map<string, Node>;
  /** `...spread` present: keys we cannot see. */
  hasSpread: boolean;
  /** The `headers` value, unwrapped, and its own literal keys when it is an object literal. */
  headers: Node | null;
  headerKeys: Map<string, Node>;
  headersHaveSpread: boolean;
}

/** What the metadata passed to HttpResponseStream.from() looks like, when it is visible. */
export function metadataShape(facts: ModuleFacts, fromCall: Node): MetadataShape | null {
  const object = metadataObject(facts, fromCall);
  if (!object) return null;
  const keys = new Map<string, Node>();
  let hasSpread = false;
  for (const property of object.properties) {
    if (property.type === 'SpreadElement') hasSpread = true;
    const key = propertyKey(property);
    if (key) keys.set(key.toLowerCase(), property);
  }
  // `const metadata = {...}; metadata.cookies = [...]` before from(metadata): the key is there too.
  const metaArg = unwrap(fromCall.arguments?.[1]);
  if (metaArg?.type === 'Identifier') {
    walk(enclosingFunctionNode(facts, fromCall), (node) => {
      if (node.start > fromCall.start) return false;
      if (node.type === 'AssignmentExpression' && node.left.type === 'MemberExpression' && memberPath(node.left.object)?.join('.') === metaArg.name) {
        const key = propertyName(node.left);
        if (key && !keys.has(key.toLowerCase())) keys.set(key.toLowerCase(), node);
      }
      return true;
    });
  }
  let headers = keys.has('headers') ? unwrap(keys.get('headers')!.value) : null;
  if (headers?.type === 'Identifier') headers = resolveConstObject(facts, headers.name, fromCall) ?? headers;
  const headerKeys = new Map<string, Node>();
  let headersHaveSpread = false;
  if (headers?.type === 'ObjectExpression') {
    for (const property of headers.properties) {
      if (property.type === 'SpreadElement') headersHaveSpread = true;
      const key = propertyKey(property);
      if (key) headerKeys.set(key.toLowerCase(), property);
    }
  }
  return { object, keys, hasSpread, headers, headerKeys, headersHaveSpread };
}

/**
 * The innermost function around a node (for text-level context checks), or the program; comments are
 * blanked so that a comment mentioning a header or API never counts as code.
 */
export function enclosingFunctionText(facts: ModuleFacts, node: Node): string {
  const fn = enclosingFunctionNode(facts, node);
  return facts.code.slice(fn.start, fn.end);
}

/**
 * How the metadata's `headers` were built from the response's headers, when it is visible:
 * `Object.fromEntries(...)` (inline or through a `const`), or a copy loop filling a local object
 * (`for (const [k, v] of res.headers) h[k] = v`, `res.headers.forEach((v, k) => { h[k] = v })`).
 * Fetch Headers iteration yields each Set-Cookie separately, so such a copy keeps only the last one
 * unless the code routes set-cookie elsewhere.
 */
export interface HeadersCopy {
  /** The fromEntries call or the copy loop, for the finding's location. */
  node: Node;
  kind: 'fromEntries' | 'loop';
  /** The copy mentions set-cookie: it filters, skips or routes it (into a cookies array). */
  handlesCookie: boolean;
  /** Values are joined (`value.join(", ")`): several Set-Cookie become one comma-joined header. */
  joins: boolean;
}

export function headersCopy(facts: ModuleFacts, fromCall: Node): HeadersCopy | null {
  const meta = metadataObject(facts, fromCall);
  if (!meta) return null;
  const property = meta.properties.find((p: Node) => propertyKey(p) === 'headers');
  return property ? headersCopyOf(facts, property.value, fromCall) : null;
}

/**
 * How a `headers` value was built, looked up from the place it is used (`at`): the scopes enclosing
 * `at`, before it.
 */
export function headersCopyOf(facts: ModuleFacts, headersValue: Node, at: Node): HeadersCopy | null {
  const value = unwrap(headersValue);
  if (!value) return null;
  const describe = (node: Node, kind: HeadersCopy['kind']): HeadersCopy => {
    const text = facts.code.slice(node.start, node.end);
    return { node, kind, handlesCookie: /set-cookie/i.test(text), joins: /\.join\(/.test(text) };
  };
  if (value.type === 'CallExpression' && memberPath(value.callee)?.at(-1) === 'fromEntries') return describe(value, 'fromEntries');
  if (value.type !== 'Identifier') return null;
  // The variable may be declared in an enclosing function (a closure opens the prelude): search the
  // scopes that enclose the use (not sibling functions), before it, and keep the closest construction.
  let found: HeadersCopy | null = null;
  walk(facts.program, (node) => {
    if (node.start > at.start) return false;
    if (isFunction(node) && !(node.start <= at.start && at.end <= node.end)) return false;
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === value.name) {
      const init = unwrap(node.init);
      if (init?.type === 'CallExpression' && memberPath(init.callee)?.at(-1) === 'fromEntries') found = describe(init, 'fromEntries');
    }
    // h[k] = v inside a for...of/for...in loop or a forEach callback,
    // over something that is headers (`res.headers`, `Object.entries(res.getHeaders())`), not a name list
    if (node.type === 'ForOfStatement' || node.type === 'ForInStatement' || (node.type === 'CallExpression' && propertyName(unwrap(node.callee) ?? node) === 'forEach')) {
      const iterated = node.type === 'CallExpression' ? unwrap(node.callee)?.object : node.right;
      if (iterated && /headers|Headers\(/.test(facts.code.slice(iterated.start, iterated.end)) && assignsComputedKey(node, value.name)) {
        found = describe(node, 'loop');
      }
    }
    return true;
  });
  // `delete headers["set-cookie"]` after the copy: the cookie is handled (moved or dropped).
  if (found) {
    const scope = enclosingFunctionNode(facts, at);
    // `delete headers["set-cookie"]` or through the metadata: `delete metadata.headers["set-cookie"]`
    const deletes = new RegExp(`delete\\s+(?:[\\w$]+\\.)*(?:${value.name}|headers)\\s*\\[\\s*['"]set-cookie['"]\\s*\\]`, 'i');
    if (deletes.test(facts.code.slice(scope.start, scope.end))) (found as HeadersCopy).handlesCookie = true;
  }
  return found;
}

/**
 * `{ statusCode, ...awsResponseHeaders(response) }`: the object literals a same-module helper spread
 * into the metadata returns (srvx 1.0.0, nitro 3.0.0 build headers and cookies that way).
 */
export function spreadResults(facts: ModuleFacts, fromCall: Node): Array<{ spread: Node; object: Node; at: Node }> {
  const meta = metadataObject(facts, fromCall);
  const out: Array<{ spread: Node; object: Node; at: Node }> = [];
  for (const property of meta?.properties ?? []) {
    const call = property.type === 'SpreadElement' ? unwrap(property.argument) : null;
    const callee = call?.type === 'CallExpression' ? unwrap(call.callee) : null;
    const fn = callee?.type === 'Identifier' ? facts.lookupFunction(callee.name, call!) : null;
    if (!fn) continue;
    // `return { headers, cookies }`, also through `cond ? {...} : {...}`
    const collect = (value: Node | null | undefined, at: Node) => {
      const v = unwrap(value);
      if (v?.type === 'ObjectExpression') out.push({ spread: property, object: v, at });
      else if (v?.type === 'ConditionalExpression') {
        collect(v.consequent, at);
        collect(v.alternate, at);
      }
    };
    walk(fn.body, (node) => {
      if (node !== fn.body && isFunction(node)) return false;
      if (node.type === 'ReturnStatement') collect(node.argument, node);
      return true;
    });
    if (fn.body.type !== 'BlockStatement') collect(fn.body, fn.body);
  }
  return out;
}

function assignsComputedKey(root: Node, objectName: string): boolean {
  let assigns = false;
  walk(root, (node) => {
    if (assigns) return false;
    if (
      node.type === 'AssignmentExpression' &&
      node.left.type === 'MemberExpression' &&
      node.left.computed &&
      unwrap(node.left.object)?.type === 'Identifier' &&
      unwrap(node.left.object)!.name === objectName &&
      stringValue(node.left.property) === null
    ) {
      assigns = true;
    }
    return true;
  });
  return assigns;
}

/** The innermost function around a node, or the program. */
export function enclosingFunctionNode(facts: ModuleFacts, node: Node): Node {
  let best: Node = facts.program;
  walk(facts.program, (n) => {
    if (n.start > node.start || n.end < node.end) return false;
    if (isFunction(n)) best = n;
    return true;
  });
  return best;
}

/** Identifiers the metadata is built from: the metadata variable and every name in its expression. */
export function metadataRoots(facts: ModuleFacts, call: Node): Set<string> {
  const names = new Set<string>();
  const arg = unwrap(call.arguments[1]);
  if (!arg) return names;
  const collect = (root: Node) =>
    walk(root, (node, parent) => {
      const isKey = parent?.type === 'Property' && parent.key === node && !parent.computed;
      const isProp = parent?.type === 'MemberExpression' && parent.property === node && !parent.computed;
      if (node.type === 'Identifier' && !isKey && !isProp) names.add(node.name);
      return true;
    });
  collect(arg);
  if (arg.type === 'Identifier') {
    walk(facts.program, (node) => {
      if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === arg.name && node.init) collect(node.init);
      return true;
    });
  }
  return names;
}

/** Calls that stop running work: an AbortController, a timer, a reader or upstream request, a subscription. */
const CANCELLING_CALLS = new Set(['abort', 'clearInterval', 'clearTimeout', 'cancel', 'destroy', 'unsubscribe']);
/** Flags a loop polls to stop (`closed = true`, `this.active = false`). */
const STOP_FLAG = /^(is)?(closed?|aborted|abort|cancell?ed|cancel|disconnected|stopp?ed|stop|done|finished|active|open|alive|running|connected|streaming)$/i;

/**
 * What a stream event listener does to stop other work, if anything: the first cancelling call
 * (`controller.abort()`, `clearInterval(timer)`, `reader.cancel()`) or stop-flag assignment (`closed = true`)
 * in its body (nested functions not entered), as a short description; null when it cancels nothing.
 * `listener` is the function passed to `on`/`once`, or an identifier naming one (followed in the module).
 */
export function cancellationIn(facts: ModuleFacts, listener: Node | undefined, at: Node): string | null {
  let fn = unwrap(listener);
  if (fn?.type === 'Identifier') fn = facts.lookupFunction(fn.name, at);
  if (!fn || !isFunction(fn)) return null;
  let found: string | null = null;
  const body = fn.body;
  walk(body, (node) => {
    if (found) return false;
    if (node !== body && isFunction(node)) return false;
    if (node.type === 'CallExpression') {
      const path = memberPath(node.callee);
      const last = path?.at(-1);
      if (last && CANCELLING_CALLS.has(last)) found = `${path!.join('.')}()`;
    } else if (node.type === 'AssignmentExpression' && node.operator === '=') {
      const target = memberPath(node.left);
      const value = unwrap(node.right);
      if (target && STOP_FLAG.test(target.at(-1)!) && value?.type === 'Literal' && typeof value.value === 'boolean') found = `${target.join('.')} = ${value.value}`;
    }
    return true;
  });
  return found;
}
