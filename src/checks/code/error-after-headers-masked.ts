import { defineCodeRule } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, observationsOf, snippet } from '../../code/rule-support.js';

export const errorAfterHeadersMasked = defineCodeRule({
  meta: {
    id: 'error-after-headers-masked',
    category: 'lifecycle',
    severity: 'warning',
    title: 'A catch block writes an error text into a response that is already streaming',
    consequence:
      'After the first write the status (200) is already sent: the error text is appended to a partial body and the response looks successful. Rethrowing lets the runtime send error trailers instead.',
    evidence: `Runtime behaviour e/e7: a thrown error after output is reported through Lambda-Runtime-Function-Error-* trailers (${RUNTIME_EVIDENCE}).`,
    fixable: false,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    catchAfterOutput:
      '`{{call}}` runs in a catch block that can be reached after the response started streaming: the client gets a 200 whose body is truncated and ends in an error text, which looks like success.',
  },
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'catch-writes-after-output')) {
      report({
        messageId: 'catchAfterOutput',
        data: { call: snippet(facts, obs.write) },
        start: obs.write.start,
        end: obs.write.end,
        fix: 'Only write an error response before the first write; after that, rethrow so the runtime ends the stream with error trailers.',
        key: `${fn.name}:${snippet(facts, obs.write, 40)}`,
      });
    }
  },
});
