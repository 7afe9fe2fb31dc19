import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { PipeCall } from '../../code/stream-flow.js';
import type { Node } from '../../code/ast.js';
import { isFunction, propertyName, stringValue, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { enclosingFunctionText, snippet } from '../../code/rule-support.js';

/**
 * A compression or pass-through stream created by the same code that feeds it (OpenNext's
 * `compressedStream = zlib.createGzip(); compressedStream.pipe(responseStream)`) only errors when
 * misused, and the writer ends it: the hang needs a source that can fail on its own (network, file).
 */
const LOCAL_TRANSFORM = /=\s*(?:zlib\.)?create(?:Gzip|Gunzip|Deflate|DeflateRaw|Inflate|BrotliCompress|BrotliDecompress|Unzip)\s*\(|=\s*new\s+(?:stream\.)?(?:PassThrough|Transform)\s*\(/;

/** `source.on("error", …)` / `source.once("error", …)` in the same function: the error is handled there. */
function handlesSourceErrors(facts: ModuleFacts, source: Node | undefined, at: Node): boolean {
  const n = unwrap(source);
  if (!n) return false;
  const text = facts.code.slice(n.start, n.end).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${text}\\s*\\.\\s*(?:on|once|addListener)\\(\\s*['"]error['"]`).test(enclosingFunctionText(facts, at));
}

function isLocalTransform(facts: ModuleFacts, source: Node | undefined, at: Node): boolean {
  const n = unwrap(source);
  if (!n) return false;
  if (n.type === 'CallExpression' || n.type === 'NewExpression') return LOCAL_TRANSFORM.test(`=${facts.text.slice(n.start, n.end)}`);
  if (n.type !== 'Identifier') return false;
  const text = enclosingFunctionText(facts, at);
  return new RegExp(`\\b${n.name}\\s*${LOCAL_TRANSFORM.source}`).test(text);
}

export const pipeWithoutErrorPropagation = defineCodeRule({
  meta: {
    id: 'pipe-without-error-propagation',
    category: 'lifecycle',
    severity: 'warning',
    title: 'source.pipe(responseStream), or a hand-rolled relay, does not end the stream when the source fails',
    consequence:
      '.pipe() does not forward errors: if the source errors mid-way the response stream is never ended and the invocation hangs until the timeout.',
    evidence: 'Node.js stream docs: "if the Readable stream emits an error during processing, the Writable destination is not closed automatically"; a stream that is never ended hangs the invocation (docs/runtime-behaviour.md, c).',
    fixable: true,
    triggers: ['.pipe(', "'data'", '"data"'],
  },
  messages: {
    hangsOnSourceError:
      '`{{call}}` does not end the response stream if the source fails: the invocation then hangs until the function timeout.',
    relayWithoutErrorListener:
      "`{{source}}` is relayed into the response stream by hand ('data' writes it, 'end' ends it) and nothing listens for its 'error': if the upstream connection drops mid-body the unhandled 'error' crashes the runtime process, or 'end' never comes and the invocation hangs until the timeout.",
  },
  /** The `.pipe()` call the fixer turns into `await pipeline(…)`; null for a hand-rolled relay (no mechanical fix). */
  payload: payloadType<PipeCall | null>(),
  check(facts, report) {
    const seen = new Set<number>();
    for (const fn of facts.functions) {
      for (const pipe of fn.flow.pipeCalls) {
        if (pipe.kind !== 'pipe' || seen.has(pipe.call.start)) continue;
        seen.add(pipe.call.start);
        if (isLocalTransform(facts, pipe.sources[0], pipe.call)) continue;
        if (handlesSourceErrors(facts, pipe.sources[0], pipe.call)) continue;
        report({
          messageId: 'hangsOnSourceError',
          data: { call: snippet(facts, pipe.call) },
          start: pipe.call.start,
          end: pipe.call.end,
          fix: 'Use `await pipeline(source, stream)` from node:stream/promises, and write("") first when metadata was set.',
          key: `${fn.name}:${snippet(facts, pipe.call, 40)}`,
          payload: pipe,
        });
      }
      for (const relay of fn.streamParam ? relaysWithoutErrorListener(facts, fn.fn, fn.streamParam) : []) {
        report({
          messageId: 'relayWithoutErrorListener',
          data: { source: relay.source },
          start: relay.at.start,
          end: relay.at.end,
          fix: `Relay with \`await pipeline(${relay.source}, stream)\` from node:stream/promises, or iterate it (\`for await (const chunk of ${relay.source}) stream.write(chunk)\`) inside a promise the handler awaits, so a failure rejects the handler; at least add \`${relay.source}.on('error', …)\` that ends the stream.`,
          key: `${fn.name}:relay:${relay.source}`,
          payload: null,
        });
      }
    }
  },
});

/**
 * `upstream.on('data', (c) => stream.write(c))` + `upstream.on('end', () => stream.end())` (an https.request
 * response relayed by hand) with no 'error' (or 'aborted'/'close') listener on the same source in the same
 * function. Node emits 'error' (ECONNRESET "aborted") on an IncomingMessage whose connection closes
 * mid-body (http docs, "premature connection close"); without a listener that is an uncaught exception.
 */
function relaysWithoutErrorListener(facts: ModuleFacts, root: Node, streamName: string): Array<{ source: string; at: Node }> {
  const listeners = new Map<string, { data?: Node; end?: Node; error?: boolean }>();
  // `$` is legal in identifiers and special in a pattern
  const stream = streamName.replace(/\$/g, '\\$');
  walk(root, (node) => {
    if (node.type !== 'CallExpression') return true;
    const callee = unwrap(node.callee);
    if (callee?.type !== 'MemberExpression' || !['on', 'once', 'addListener'].includes(propertyName(callee) ?? '')) return true;
    const event = stringValue(node.arguments[0]);
    const target = unwrap(callee.object);
    if (!event || !target || target.type !== 'Identifier' || target.name === streamName) return true;
    const entry = listeners.get(target.name) ?? {};
    const handler = unwrap(node.arguments[1]);
    const body = isFunction(handler) ? facts.code.slice(handler.start, handler.end) : '';
    if (event === 'data' && new RegExp(`(?<![\\w$])${stream}\\s*\\.\\s*write\\s*\\(`).test(body)) entry.data = node;
    else if (event === 'end' && new RegExp(`(?<![\\w$])${stream}\\s*\\.\\s*end\\s*\\(`).test(body)) entry.end = node;
    else if (event === 'error' || event === 'aborted' || event === 'close') entry.error = true;
    listeners.set(target.name, entry);
    return true;
  });
  return [...listeners].flatMap(([source, entry]) => (entry.data && entry.end && !entry.error ? [{ source, at: entry.data }] : []));
}
