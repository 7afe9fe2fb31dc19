import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Observation } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const writeAfterEnd = defineCodeRule({
  meta: {
    id: 'write-after-end',
    category: 'lifecycle',
    severity: 'error',
    title: 'write() or end(data) can run after the stream was ended',
    consequence:
      'The runtime\'s request emits ERR_STREAM_WRITE_AFTER_END, its internal promise rejects unhandled and the runtime process exits (3.x: exit 128, 4.x: exit 1). On a cold socket the client gets no response at all; the next invocation is a cold start. A bare second end() is harmless and is not reported.',
    evidence: `Runtime behaviour b′/g (${RUNTIME_EVIDENCE}).`,
    fixable: true,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    writeAfterEnd:
      '`{{call}}` can run after the stream was ended (line {{endLine}}): writing after end() crashes the Lambda runtime process, so the response can be lost and the next request cold-starts.',
  },
  /** The write and the end() before it: the fixer moves end() after the trailing writes in straight-line code. */
  payload: payloadType<Extract<Observation, { kind: 'output-after-end' }>>(),
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'output-after-end')) {
      report({
        messageId: 'writeAfterEnd',
        data: { call: snippet(facts, obs.at), endLine: lineOf(facts, obs.end) },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'Restructure so the stream is ended exactly once, after the last write (e.g. end() only in a finally block).',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
        payload: obs,
      });
    }
  },
});
