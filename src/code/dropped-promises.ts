/**
 * Background work a streamified handler starts and drops: a promise of a known asynchronous API (or of an
 * async function of the project) used as a bare expression statement, so it is neither awaited, returned,
 * assigned, nor handed to anything (`waitUntil(p)`, `promises.push(p)`, `Promise.all([...])` all take it
 * as an argument and are not candidates).
 *
 * Why it matters (docs/runtime-behaviour.md, "Work left running after the response"): the 4.x runtime
 * (nodejs24.x, Managed Instances) asks for the next event as soon as the handler resolved and the stream
 * ended; 3.x does too once `callbackWaitsForEmptyEventLoop = false`. The environment is then frozen with the
 * work half done: it resumes during a later invocation, or never.
 *
 * Precision over recall: only calls whose promise surely does work when created are candidates: `fetch()`,
 * an AWS SDK v3 `client.send(new XCommand(…))`, an SDK flush (`Sentry.flush()`, `posthog.shutdown()`…),
 * and calls to functions of the project declared `async`. Lazy builders (Prisma, Drizzle: nothing runs until
 * awaited) and fire-and-forget APIs that buffer synchronously (`posthog.capture`) are not. Calls that take
 * the response stream are left to `unawaited-stream-pump`.
 */
import type { FunctionNode, Node } from './ast.js';
import { isFunction, memberPath, propertyKey, propertyName, unwrap, walk } from './ast.js';
import type { ModuleScope } from './stream-flow.js';

export interface DroppedPromise {
  /** The expression statement's call (after `void` and `.then/.catch/.finally` are peeled off). */
  node: Node;
  /** The whole dropped expression (`saveChat(id, text).catch(console.error)`). */
  statement: Node;
  /** What the call is, for messages: `fetch()`, `an AWS SDK send()`, `saveChat(), an async function`. */
  what: string;
  /** The inline callback it sits in (`onFinish`), or null in the handler's own body. */
  callback: string | null;
}

/** Callbacks of streaming libraries that run while (or when) the response streams: AI SDK, LangChain, OpenAI. */
const STREAM_CALLBACKS = new Set(['onFinish', 'onStepFinish', 'onChunk', 'onError', 'onEnd', 'onFinal', 'onCompletion', 'onComplete', 'onToken', 'handleLLMEnd']);

/** Receivers whose flush/shutdown sends buffered telemetry over the network. */
const FLUSHING_RECEIVER = /^(Sentry|sentry|posthog|postHog|analytics|langfuse|mixpanel|amplitude|segment|logtail|axiom|datadog|newrelic|honeycomb)$/i;
const FLUSH_METHODS = new Set(['flush', 'flushAsync', 'shutdown', 'shutdownAsync', 'forceFlush']);

export function findDroppedPromises(handler: FunctionNode, streamParam: string | null, scope: ModuleScope): DroppedPromise[] {
  const found: DroppedPromise[] = [];
  const visit = (fn: FunctionNode, callback: string | null) => {
    if (fn.body?.type !== 'BlockStatement') return;
    walk(fn.body, (node) => {
      if (isFunction(node)) return false; // nested functions run at unknown times; inline stream callbacks are visited below
      if (node.type === 'Property') {
        const name = propertyKey(node);
        const value = unwrap(node.value);
        if (!value || !isFunction(value)) return true;
        if (name && STREAM_CALLBACKS.has(name)) visit(value, name);
        return false;
      }
      if (node.type === 'ExpressionStatement') {
        const hit = dropped(node.expression, handler, streamParam, scope);
        if (hit) found.push({ ...hit, callback });
      }
      return true;
    });
  };
  visit(handler, null);
  return found;
}

function dropped(expression: Node, handler: FunctionNode, streamParam: string | null, scope: ModuleScope): Omit<DroppedPromise, 'callback'> | null {
  const statement = unwrap(expression);
  let expr = statement;
  if (expr?.type === 'UnaryExpression' && expr.operator === 'void') expr = unwrap(expr.argument);
  // `work().catch(log)`, `work().then(a).finally(b)`: the chain is dropped as a whole.
  while (expr?.type === 'CallExpression') {
    const callee = unwrap(expr.callee);
    if (callee?.type !== 'MemberExpression' || !['then', 'catch', 'finally'].includes(propertyName(callee) ?? '')) break;
    const inner = unwrap(callee.object);
    if (inner?.type !== 'CallExpression') return null;
    expr = inner;
  }
  if (!statement || expr?.type !== 'CallExpression') return null;
  // A call that receives the response stream is a pump (unawaited-stream-pump reports it).
  if (streamParam && (expr.arguments as Node[]).some((a) => unwrap(a)?.type === 'Identifier' && unwrap(a)!.name === streamParam)) return null;
  const what = describeCall(expr, handler, scope);
  return what ? { node: expr, statement, what } : null;
}

function describeCall(call: Node, handler: FunctionNode, scope: ModuleScope): string | null {
  const callee = unwrap(call.callee);
  if (callee?.type === 'Identifier') {
    if (callee.name === 'fetch' && !scope.lookup('fetch', call)) return '`fetch()`';
    const fn = scope.lookup(callee.name, call) ?? scope.imported?.(callee.name) ?? null;
    if (fn && fn !== handler && fn.async && !fn.generator) return `\`${callee.name}()\` (an async function)`;
    return null;
  }
  if (callee?.type !== 'MemberExpression') return null;
  const method = propertyName(callee);
  // AWS SDK v3: client.send(new PutItemCommand(...)) sends the request when called.
  if (method === 'send') {
    const arg = unwrap(call.arguments[0]);
    const ctor = arg?.type === 'NewExpression' ? memberPath(arg.callee)?.at(-1) : undefined;
    return ctor && /Command$/.test(ctor) ? `an AWS SDK \`send(new ${ctor}(…))\`` : null;
  }
  const receiver = memberPath(callee.object);
  if (method && FLUSH_METHODS.has(method) && receiver?.length === 1 && FLUSHING_RECEIVER.test(receiver[0])) return `\`${receiver[0]}.${method}()\``;
  return null;
}
