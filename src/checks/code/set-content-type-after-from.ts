import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Observation } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const setContentTypeAfterFrom = defineCodeRule({
  meta: {
    id: 'set-content-type-after-from',
    category: 'metadata',
    severity: 'warning',
    title: 'setContentType() on a stream that already carries HttpResponseStream metadata',
    consequence:
      'It overrides the integration content type while the prelude is still written: the prelude JSON and 8 NUL bytes leak into the response body.',
    evidence: `Runtime behaviour a″ (${RUNTIME_EVIDENCE}).`,
    fixable: true,
    triggers: ['setContentType'],
  },
  messages: {
    overridesFrom: '`{{call}}` overrides the content type set by HttpResponseStream.from() (line {{fromLine}}): the JSON prelude and NUL bytes end up in the response body.',
  },
  /** The path's observation: `at` is the setContentType() call, `from` the from() whose metadata it overrides. */
  payload: payloadType<Extract<Observation, { kind: 'content-type-after-metadata' }>>(),
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'content-type-after-metadata')) {
      report({
        messageId: 'overridesFrom',
        data: { call: snippet(facts, obs.at), fromLine: lineOf(facts, obs.from) },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'Remove setContentType() and put `content-type` in the metadata headers passed to HttpResponseStream.from().',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
        payload: obs,
      });
    }
  },
});
