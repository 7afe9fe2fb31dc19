import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { StreamFunctionFacts } from '../../code/facts.js';
import type { Observation } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const metadataSkippedOnPath = defineCodeRule({
  meta: {
    id: 'metadata-skipped-on-path',
    category: 'lifecycle',
    severity: 'error',
    title: 'The stream is ended on a path that never set the metadata that other paths set',
    consequence:
      'Without HttpResponseStream.from() on that path the runtime answers 200 application/octet-stream: the intended status (204, 304, a redirect) and headers are lost.',
    evidence: `Runtime behaviour d and default content type (${RUNTIME_EVIDENCE}); bug class "metadata skipped for empty body" (from() inside if (body), end() outside).`,
    fixable: true,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  messages: {
    skipped:
      '`{{name}}` calls HttpResponseStream.from() on some paths but reaches `{{call}}` on a path without it: that response goes out as 200 application/octet-stream with none of the intended status or headers.',
    skippedThroughCatch:
      '`{{name}}` calls HttpResponseStream.from() on some paths but reaches `{{call}}` on a path without it (through the catch block on line {{line}}): that response goes out as 200 application/octet-stream with none of the intended status or headers.',
    skippedOnBranch:
      '`{{name}}` calls HttpResponseStream.from() on some paths but reaches `{{call}}` on a path without it (when `{{test}}` is {{outcome}}, line {{line}}): that response goes out as 200 application/octet-stream with none of the intended status or headers.',
  },
  /** The function and the path's observation: the branch it skipped (`via`) is what the fixer restructures. */
  payload: payloadType<{ fn: StreamFunctionFacts; obs: Extract<Observation, { kind: 'end-without-metadata' }> }>(),
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'end-without-metadata')) {
      // Only a finding when this function sets metadata on some other path: raw streaming is legitimate.
      if (fn.flow.fromCalls.length === 0) continue;
      // A route that sets its own content type (setContentType("text/plain")) streams raw on purpose.
      if (fn.flow.streamCalls.some((c) => c.method === 'setContentType' && !fn.flow.fromCalls.includes(c.call))) continue;
      // A body written without metadata outside a catch is a deliberate raw mode (middy 7 streams a
      // handler's plain string body raw and an HTTP response with metadata): stay quiet.
      if (obs.wroteRaw && obs.via?.node.type !== 'CatchClause') continue;
      const common = {
        start: obs.at.start,
        end: obs.at.end,
        // Without any body the status is simply lost (a 204/redirect becomes an empty 200): error.
        // A body written raw still arrives, only under 200 octet-stream (typically an error page): warning.
        // On a catch path the response is an error page: its status is lost, the body arrives (info).
        severity: obs.via?.node.type === 'CatchClause' && obs.wroteRaw ? ('info' as const) : obs.wroteRaw ? ('warning' as const) : ('error' as const),
        fix: 'Call HttpResponseStream.from() unconditionally (before the body check), then write("") and end().',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
        payload: { fn, obs },
      };
      const data = { name: fn.name, call: snippet(facts, obs.at) };
      if (!obs.via) report({ ...common, messageId: 'skipped', data });
      else if (obs.via.node.type === 'CatchClause') report({ ...common, messageId: 'skippedThroughCatch', data: { ...data, line: lineOf(facts, obs.via.node) } });
      else {
        report({
          ...common,
          messageId: 'skippedOnBranch',
          data: { ...data, test: snippet(facts, obs.via.node.test), outcome: obs.via.taken ? 'truthy' : 'falsy', line: lineOf(facts, obs.via.node) },
        });
      }
    }
  },
});
