import type { CodeRule, RuleReport } from '../../model/rule.js';
import { memberPath, stringValue, unwrap } from '../../code/ast.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

export const junkBytesForEmptyBody: CodeRule = {
  meta: {
    id: 'junk-bytes-for-empty-body',
    surface: 'code',
    category: 'metadata',
    severity: 'warning',
    title: 'Filler bytes written to force the prelude out',
    consequence:
      'NUL bytes or filler written as body data reach the client: 204/304 responses carry a body and SSE streams get junk. write("") flushes the prelude with an empty body.',
    evidence: 'Runtime behaviour d3: write("") sends the prelude and no body bytes (docs/runtime-behaviour.md).',
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    const manualPrelude = facts.functions.some((fn) => fn.flow.fromCalls.some((c) => memberPath(c.callee)?.at(-1) === 'setContentType'));
    if (manualPrelude) return reports; // the 8 NULs there are the delimiter, not junk
    const calls = streamCallsOf(facts).sort((a, b) => a.call.call.start - b.call.call.start);
    calls.forEach(({ fn, call }, index) => {
      // write(" ") right before end(): a filler string to force the prelude out; the client gets it as body.
      const text = call.method === 'write' ? stringValue(call.args[0]) : null;
      const next = calls[index + 1];
      if (text !== null && text.length > 0 && text.trim() === '' && next?.fn === fn && next.call.method === 'end' && next.call.args.length === 0) {
        reports.push({
          start: call.call.start,
          end: call.call.end,
          message: `\`${snippet(facts, call.call)}\` writes a filler string just before end(): it reaches the client as the body (a 204/304 then carries one).`,
          fix: 'Use `stream.write("")` to flush the prelude without body bytes.',
          key: `${fn.name}:${snippet(facts, call.call, 40)}`,
        });
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
      reports.push({
        start: call.call.start,
        end: call.call.end,
        message: `\`${snippet(facts, call.call)}\` writes zero bytes as body data: they reach the client (a 204/304 then carries a body).`,
        fix: 'Use `stream.write("")` to flush the prelude without body bytes.',
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
      });
    }
    return reports;
  },
};
