import { defineCodeRule } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const errorAfterHeadersMasked = defineCodeRule({
  meta: {
    id: 'error-after-headers-masked',
    category: 'lifecycle',
    severity: 'warning',
    title: 'An error after the response started streaming is turned into a normal-looking end of the body',
    consequence:
      'After the first write the status (200) is already sent: a catch that writes an error text, or swallows the error and ends the stream normally, leaves the client a truncated body that looks complete. Rethrowing lets the runtime end the response with error trailers instead.',
    evidence: `Runtime behaviour e/e7: a thrown error after output is reported through Lambda-Runtime-Function-Error-* trailers (${RUNTIME_EVIDENCE}); public projects swallow model-stream failures this way (a catch that only logs, then end()).`,
    fixable: false,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream', 'Stream', 'stream', 'writable'],
  },
  messages: {
    catchAfterOutput:
      '`{{call}}` runs in a catch block that can be reached after the response started streaming: the client gets a 200 whose body is truncated and ends in an error text, which looks like success.',
    swallowedAfterOutput:
      'The catch block on line {{catchLine}} swallows an error raised while the body was streaming, and `{{end}}` then ends the response normally: the client gets a truncated 200 that looks complete.',
    listenerAfterOutput:
      '`{{call}}` writes an error text when `{{source}}` fails mid-body, then the stream is ended normally: the client gets a truncated 200 that looks complete.',
  },
  check(facts, report) {
    const fix = 'Only write an error response before the first write; after that, rethrow (or let the error reject the handler) so the runtime ends the stream with error trailers, or report the error in the stream\'s own protocol (an SSE `event: error` frame, an NDJSON error record).';
    for (const { fn, obs } of observationsOf(facts, 'catch-writes-after-output')) {
      report({
        messageId: 'catchAfterOutput',
        data: { call: snippet(facts, obs.write) },
        start: obs.write.start,
        end: obs.write.end,
        fix,
        key: `${fn.name}:${snippet(facts, obs.write, 40)}`,
      });
    }
    for (const { fn, obs } of observationsOf(facts, 'catch-swallows-after-output')) {
      report({
        messageId: 'swallowedAfterOutput',
        data: { catchLine: lineOf(facts, obs.at), end: snippet(facts, obs.end) },
        start: obs.at.start,
        end: obs.at.start + 'catch'.length,
        fix,
        key: `${fn.name}:swallowed:${lineOf(facts, obs.at)}`,
      });
    }
    for (const { fn, obs } of observationsOf(facts, 'error-listener-writes')) {
      report({
        messageId: 'listenerAfterOutput',
        data: { call: snippet(facts, obs.at), source: snippet(facts, obs.source, 30) },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'In the source\'s "error" listener, destroy the response stream with the error (or reject the handler\'s promise) instead of writing text and ending it.',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
  },
});
