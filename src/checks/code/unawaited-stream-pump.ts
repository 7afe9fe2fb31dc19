import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Observation } from '../../code/stream-flow.js';
import { observationsOf, snippet } from '../../code/rule-support.js';

export const unawaitedStreamPump = defineCodeRule({
  meta: {
    id: 'unawaited-stream-pump',
    category: 'lifecycle',
    severity: 'warning',
    title: 'A promise that writes the response stream is neither awaited nor returned',
    consequence:
      'The handler resolves while the pump still runs; a failure in it becomes an unhandled rejection, which exits the runtime process (3.x posts Runtime.UnhandledPromiseRejection and exits 128).',
    evidence: 'aws-lambda-ric 3.3.0 src/index.mjs unhandledRejection handler (posts /error, exits 128); 4.0.2 has none (Node default exit 1). See docs/runtime-behaviour.md.',
    fixable: true,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    promiseDropped:
      '`{{call}}` writes the response stream but its promise is dropped: `{{name}}` resolves early and any error in it is an unhandled rejection that crashes the runtime.',
  },
  /** The observation: its `at` is the expression whose promise the fixer awaits or returns. */
  payload: payloadType<Extract<Observation, { kind: 'unawaited-pump' }>>(),
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'unawaited-pump')) {
      report({
        messageId: 'promiseDropped',
        data: { call: snippet(facts, obs.at), name: fn.name },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'Await (or return) the promise.',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
        payload: obs,
      });
    }
  },
});
