import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { PipeCall } from '../../code/stream-flow.js';
import type { Node } from '../../code/ast.js';
import { unwrap } from '../../code/ast.js';
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
    title: 'source.pipe(responseStream) does not end the stream when the source fails',
    consequence:
      '.pipe() does not forward errors: if the source errors mid-way the response stream is never ended and the invocation hangs until the timeout.',
    evidence: 'Node.js stream docs: "if the Readable stream emits an error during processing, the Writable destination is not closed automatically"; a stream that is never ended hangs the invocation (docs/runtime-behaviour.md, c).',
    fixable: true,
    triggers: ['.pipe('],
  },
  messages: {
    hangsOnSourceError:
      '`{{call}}` does not end the response stream if the source fails: the invocation then hangs until the function timeout.',
  },
  /** The `.pipe()` call the fixer turns into `await pipeline(…)`. */
  payload: payloadType<PipeCall>(),
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
    }
  },
});
