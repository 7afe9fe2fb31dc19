import type { CodeRule, RuleReport } from '../../model/rule.js';
import { unwrap } from '../../code/ast.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

export const nonBufferChunk: CodeRule = {
  meta: {
    id: 'non-buffer-chunk',
    category: 'metadata',
    severity: 'warning',
    title: 'A number, boolean, object or array is written to the response stream',
    consequence: 'The runtime JSON-stringifies non-string, non-Buffer chunks: write(0) sends the byte "0", write({}) sends "{}".',
    evidence: 'aws-lambda-ric ResponseStream write(): non-string/Buffer chunks are JSON.stringify-ed (source; docs/runtime-behaviour.md).',
    fixable: false,
    triggers: ['streamifyResponse', 'HttpResponseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const { fn, call } of streamCallsOf(facts, ['write', 'end'])) {
      const arg = unwrap(call.args[0]);
      if (!arg) continue;
      const literalKind =
        arg.type === 'Literal' && (typeof arg.value === 'number' || typeof arg.value === 'boolean')
          ? String(arg.value)
          : arg.type === 'ObjectExpression' || arg.type === 'ArrayExpression'
            ? snippet(facts, arg, 20)
            : null;
      if (literalKind === null) continue;
      reports.push({
        start: call.call.start,
        end: call.call.end,
        message: `\`${snippet(facts, call.call)}\` writes a non-string chunk: the runtime sends JSON.stringify(${literalKind}) as body bytes.`,
        fix: 'Write a string or Buffer (JSON.stringify objects yourself; use write("") for an empty body).',
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
      });
    }
    return reports;
  },
};
