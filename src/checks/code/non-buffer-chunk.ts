import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { memberPath, propertyName, unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import type { StreamCall } from '../../code/stream-flow.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

/** Binary views that are not Uint8Array: the runtime's write() stringifies them ("{}" or index maps). */
const NON_UINT8_BINARY = new Set([
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

export const nonBufferChunk = defineCodeRule({
  meta: {
    id: 'non-buffer-chunk',
    category: 'metadata',
    severity: 'warning',
    title: 'A number, boolean, object, array or non-Uint8Array binary value is written to the response stream',
    consequence:
      'The runtime\'s write() JSON-stringifies every chunk that is not a string, Buffer or Uint8Array: write(0) sends the byte "0", write(await res.arrayBuffer()) sends "{}". end(value) bypasses that conversion: Node ignores a falsy value and throws ERR_INVALID_ARG_TYPE for any other non-string.',
    evidence:
      'aws-lambda-ric 3.3.0 dist/index.mjs ResponseStream write(): `typeof chunk !== "string" && !Buffer.isBuffer(chunk) && chunk?.constructor !== Uint8Array` -> JSON.stringify (4.0.2 the same with instanceof Uint8Array); end() goes to Node\'s OutgoingMessage.end (source; docs/runtime-behaviour.md).',
    fixable: true,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    endThrows: '`{{call}}` passes {{chunk}} to end(): end() does not convert chunks, so Node throws ERR_INVALID_ARG_TYPE and the handler fails instead of finishing the response.',
    writeStringified: '`{{call}}` writes {{chunk}}: the runtime sends its JSON.stringify form as body bytes.',
    binaryStringified: '`{{call}}` writes {{chunk}}: the runtime sends its JSON.stringify form as body bytes ("{}" or an index map), not the binary data.',
  },
  /** The write() or end() call and its chunk argument. */
  payload: payloadType<{ call: StreamCall }>(),
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts, ['write', 'end'])) {
      const arg = unwrap(call.args[0]);
      if (!arg) continue;
      const chunk = chunkKind(facts, arg);
      if (chunk === null) continue;
      const isEnd = call.method === 'end';
      // end(0) / end(false): Node skips a falsy chunk, nothing is sent: harmless.
      if (isEnd && arg.type === 'Literal' && !arg.value) continue;
      report({
        messageId: isEnd ? 'endThrows' : chunk.binary ? 'binaryStringified' : 'writeStringified',
        data: { call: snippet(facts, call.call), chunk: chunk.text },
        start: call.call.start,
        end: call.call.end,
        fix: 'Write a string, Buffer or Uint8Array (Buffer.from(arrayBuffer), JSON.stringify(object)); use write("") for an empty body.',
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
        payload: { call },
      });
    }
  },
});

/** What the chunk is, for the message; `binary` for ArrayBuffers and non-Uint8Array views. */
function chunkKind(facts: ModuleFacts, arg: Node): { text: string; binary: boolean } | null {
  const value = (text: string) => ({ text, binary: false });
  const binary = (text: string) => ({ text, binary: true });
  if (arg.type === 'Literal' && (typeof arg.value === 'number' || typeof arg.value === 'boolean')) return value(`the ${typeof arg.value} ${String(arg.value)}`);
  if (arg.type === 'ObjectExpression' || arg.type === 'ArrayExpression') return value(`the ${arg.type === 'ObjectExpression' ? 'object' : 'array'} ${snippet(facts, arg, 20)}`);
  // await res.arrayBuffer()
  const awaited = arg.type === 'AwaitExpression' ? unwrap(arg.argument) : null;
  if (awaited?.type === 'CallExpression' && propertyName(unwrap(awaited.callee) ?? awaited) === 'arrayBuffer') return binary('an ArrayBuffer');
  // new Uint16Array(...), new DataView(...)
  if (arg.type === 'NewExpression') {
    const name = memberPath(arg.callee)?.at(-1);
    if (name && NON_UINT8_BINARY.has(name)) return binary(`a ${name} (${snippet(facts, arg, 24)})`);
  }
  return null;
}
