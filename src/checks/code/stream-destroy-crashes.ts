import { defineCodeRule } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, snippet, streamCallsOf } from '../../code/rule-support.js';

export const streamDestroyCrashes = defineCodeRule({
  meta: {
    id: 'stream-destroy-crashes',
    category: 'lifecycle',
    severity: 'warning',
    title: 'responseStream.destroy() crashes the runtime process',
    consequence:
      'destroy() makes the runtime\'s internal promise reject unhandled: the process exits (3.x: 128, 4.x: 1), the response is truncated and the next request cold-starts. A thrown error gets proper error trailers instead.',
    evidence: `Runtime behaviour e′ (${RUNTIME_EVIDENCE}).`,
    fixable: false,
    triggers: ['destroy('],
  },
  messages: {
    destroyCrashes:
      '`{{call}}` crashes the Lambda runtime process: the response is truncated and the next invocation is a cold start.',
  },
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts, ['destroy'])) {
      report({
        messageId: 'destroyCrashes',
        data: { call: snippet(facts, call.call) },
        start: call.call.start,
        end: call.call.end,
        fix: 'Throw the error from the handler instead; the runtime then ends the stream with error trailers and keeps running.',
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
      });
    }
  },
});
