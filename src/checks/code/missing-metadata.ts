import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { StreamFunctionFacts } from '../../code/facts.js';
import { calleeName, stringValue, unwrap } from '../../code/ast.js';
import { snippet } from '../../code/rule-support.js';

const SSE_FIELD = /^(data|event|id|retry):/;

export const missingMetadata = defineCodeRule({
  meta: {
    id: 'missing-metadata',
    category: 'metadata',
    severity: 'warning',
    title: 'Server-sent events are streamed without any metadata',
    consequence:
      'Without HttpResponseStream.from() the response is 200 application/octet-stream: browsers\' EventSource rejects it, and no status or headers can be set.',
    evidence: 'Runtime default content type application/octet-stream (aws-lambda-ric src/ResponseStream.js; docs/runtime-behaviour.md §3).',
    fixable: true,
    triggers: ['streamifyResponse', 'responseStream'],
  },
  messages: {
    sseWithoutMetadata: '`{{name}}` writes server-sent events (`{{write}}`) but never sets metadata: the client gets 200 application/octet-stream, which EventSource rejects.',
  },
  /** The handler that writes the events: the fixer opens the prelude before its first use of the stream. */
  payload: payloadType<{ fn: StreamFunctionFacts }>(),
  check(facts, report) {
    for (const fn of facts.functions) {
      if (fn.role !== 'handler' || fn.flow.fromCalls.length > 0) continue;
      if (fn.flow.streamCalls.some((c) => c.method === 'setContentType')) continue;
      const sse = fn.flow.streamCalls.find((c) => c.method === 'write' && isSseText(c.args[0]));
      if (!sse) continue;
      report({
        messageId: 'sseWithoutMetadata',
        data: { name: fn.name, write: snippet(facts, sse.call) },
        start: sse.call.start,
        end: sse.call.end,
        fix: "Call `stream = awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { 'content-type': 'text/event-stream' } })` before the first write.",
        key: `${fn.name}:sse`,
        payload: { fn },
      });
    }
  },
});

function isSseText(node: unknown): boolean {
  const n = unwrap(node as never);
  if (!n) return false;
  const literal = stringValue(n);
  if (literal !== null) return SSE_FIELD.test(literal);
  if (n.type === 'TemplateLiteral') return SSE_FIELD.test(n.quasis[0]?.value?.cooked ?? '');
  if (n.type === 'BinaryExpression' && n.operator === '+') return isSseText(n.left);
  // encoder.encode(`data: ...`), Buffer.from(`data: ...`): the same text as bytes
  if (n.type === 'CallExpression' && ['encode', 'from'].includes(calleeName(n) ?? '')) return isSseText(n.arguments[0]);
  return false;
}
