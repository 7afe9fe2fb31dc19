import { defineCodeRule, payloadType } from '../../model/rule.js';
import { memberPath, stringValue, unwrap } from '../../code/ast.js';
import type { StreamFunctionFacts } from '../../code/facts.js';
import type { StreamCall } from '../../code/stream-flow.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

export const junkBytesForEmptyBody = defineCodeRule({
  meta: {
    id: 'junk-bytes-for-empty-body',
    category: 'metadata',
    severity: 'warning',
    title: 'Filler bytes written to force the prelude out',
    consequence:
      'NUL bytes or filler written as body data reach the client: 204/304 responses carry a body and SSE streams get junk. write("") flushes the prelude with an empty body.',
    evidence: 'Runtime behaviour d3: write("") sends the prelude and no body bytes (docs/runtime-behaviour.md).',
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  messages: {
    fillerString: '`{{write}}` writes a filler string just before end(): it reaches the client as the body (a 204/304 then carries one).',
    zeroBytes: '`{{write}}` writes zero bytes as body data: they reach the client (a 204/304 then carries a body).',
  },
  /**
   * Every stream call of the module in source order, and the reported write's place in it: the fixer
   * looks at what is written before it in its function and whether end() follows it.
   */
  payload: payloadType<{ calls: ReadonlyArray<{ fn: StreamFunctionFacts; call: StreamCall }>; index: number }>(),
  check(facts, report) {
    const manualPrelude = facts.functions.some((fn) => fn.flow.fromCalls.some((c) => memberPath(c.callee)?.at(-1) === 'setContentType'));
    if (manualPrelude) return; // the 8 NULs there are the delimiter, not junk
    const calls = streamCallsOf(facts).sort((a, b) => a.call.call.start - b.call.call.start);
    const where = (fn: StreamFunctionFacts, call: StreamCall, index: number) => ({
      start: call.call.start,
      end: call.call.end,
      fix: 'Use `stream.write("")` to flush the prelude without body bytes.',
      key: `${fn.name}:${snippet(facts, call.call, 40)}`,
      payload: { calls, index },
    });
    calls.forEach(({ fn, call }, index) => {
      // write(" ") right before end(): a filler string to force the prelude out; the client gets it as body.
      // After other writes of the same function it is the body's last character (a trailing newline).
      const text = call.method === 'write' ? stringValue(call.args[0]) : null;
      const next = calls[index + 1];
      const wroteBefore = calls.slice(0, index).some((c) => c.fn === fn && c.call.method === 'write');
      if (text !== null && text.length > 0 && text.trim() === '' && !wroteBefore && next?.fn === fn && next.call.method === 'end' && next.call.args.length === 0) {
        report({ ...where(fn, call, index), messageId: 'fillerString', data: { write: snippet(facts, call.call) } });
      }
    });
    for (const { fn, call } of streamCallsOf(facts, ['write'])) {
      const arg = unwrap(call.args[0]);
      if (!arg || arg.type !== 'NewExpression' && arg.type !== 'CallExpression') continue;
      const path = memberPath(arg.callee);
      // Only zero-filled buffers of a literal, non-zero size: new Uint8Array(data) copies real bytes,
      // and a zero-length buffer flushes the prelude like write("").
      const size = unwrap(arg.arguments?.[0]);
      const literalSize = size?.type === 'Literal' && typeof size.value === 'number' && size.value > 0;
      const filler = literalSize && ((arg.type === 'NewExpression' && path?.at(-1) === 'Uint8Array') || (path?.[0] === 'Buffer' && path[1] === 'alloc'));
      if (!filler) continue;
      const index = calls.findIndex((c) => c.call === call);
      report({ ...where(fn, call, index), messageId: 'zeroBytes', data: { write: snippet(facts, call.call) } });
    }
  },
});
