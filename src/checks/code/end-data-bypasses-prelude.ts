import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Observation } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const endDataBypassesPrelude = defineCodeRule({
  meta: {
    id: 'end-data-bypasses-prelude',
    category: 'lifecycle',
    severity: 'error',
    title: 'end(data) is the first output after HttpResponseStream.from()',
    consequence:
      'end(data) writes through Node internals, not the runtime\'s write() hook, so the body goes out under the integration content type with no prelude: a malformed response (502) with the status and headers lost.',
    evidence: `Runtime behaviour d′, verified on the wire for 3.x and 4.x (${RUNTIME_EVIDENCE}).`,
    fixable: true,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  messages: {
    endDataFirst:
      '`{{call}}` is the first output after HttpResponseStream.from() (line {{fromLine}}): end(data) bypasses the prelude, so the client gets a malformed response (502) instead of the intended status and body.',
  },
  /** The observation: its `at` is the end(data) call the fixer splits. */
  payload: payloadType<Extract<Observation, { kind: 'end-data-before-write' }>>(),
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'end-data-before-write')) {
      report({
        messageId: 'endDataFirst',
        data: { call: snippet(facts, obs.at), fromLine: lineOf(facts, obs.from) },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'Write the data first and end without arguments: `stream.write(data); stream.end();`.',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
        payload: obs,
      });
    }
  },
});
