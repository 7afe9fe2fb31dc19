import { defineCodeRule } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';
import { propertyKey } from '../../code/ast.js';

export const metadataAfterWrite = defineCodeRule({
  meta: {
    id: 'metadata-after-write',
    category: 'lifecycle',
    severity: 'error',
    title: 'HttpResponseStream.from(), a hand-written prelude or setContentType() can run after the first write',
    consequence:
      'from() calls setContentType(), which throws Runtime.InvalidStreamingOperation "Cannot set content-type, too late." once anything was written: the client gets a raw 200 body, then an error.',
    evidence: `Runtime behaviour a′/a‴ (${RUNTIME_EVIDENCE}); a user report: an Express adapter's buffered fallback in a catch after streaming began.`,
    fixable: false,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  messages: {
    metadataAfterOutput:
      '`{{call}}` can run after the stream was already written (line {{outputLine}}): the runtime throws "Cannot set content-type, too late." and the client gets a raw 200 body followed by an error.',
    inErrorCallback:
      '`{{call}}` sets the response metadata in the `{{callback}}` callback of a producer that also writes the stream: producers call it for errors after their first bytes too, and then the runtime throws "Cannot set content-type, too late." inside the producer (an unhandled rejection that ends the process).',
  },
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'metadata-after-output')) {
      report({
        messageId: 'metadataAfterOutput',
        data: { call: snippet(facts, obs.at), outputLine: lineOf(facts, obs.output) },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'Decide the status and headers before the first write; do not fall back to a buffered response once streaming has started.',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
    for (const { fn, obs } of observationsOf(facts, 'metadata-in-error-callback')) {
      report({
        messageId: 'inErrorCallback',
        data: { call: snippet(facts, obs.at), callback: propertyKey(obs.callback) ?? 'onError' },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'In an error callback, set metadata only while nothing was written (track it: a flag set on the first write or onShellReady); after that, destroy the stream or let the producer fail so the runtime sends error trailers.',
        key: `${fn.name}:error-callback:${snippet(facts, obs.at, 40)}`,
      });
    }
  },
});
