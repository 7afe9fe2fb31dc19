import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const metadataSkippedOnPath: CodeRule = {
  meta: {
    id: 'metadata-skipped-on-path',
    surface: 'code',
    category: 'lifecycle',
    severity: 'error',
    title: 'The stream is ended on a path that never set the metadata that other paths set',
    consequence:
      'Without HttpResponseStream.from() on that path the runtime answers 200 application/octet-stream: the intended status (204, 304, a redirect) and headers are lost.',
    evidence: `Runtime behaviour d and default content type (${RUNTIME_EVIDENCE}); bug class "metadata skipped for empty body" (from() inside if (body), end() outside).`,
    fixable: true,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const { fn, obs } of observationsOf(facts, 'end-without-metadata')) {
      // Only a finding when this function sets metadata on some other path: raw streaming is legitimate.
      if (fn.flow.fromCalls.length === 0) continue;
      // A route that sets its own content type (setContentType("text/plain")) streams raw on purpose.
      if (fn.flow.streamCalls.some((c) => c.method === 'setContentType' && !fn.flow.fromCalls.includes(c.call))) continue;
      // A body written without metadata outside a catch is a deliberate raw mode (middy 7 streams a
      // handler's plain string body raw and an HTTP response with metadata): stay quiet.
      if (obs.wroteRaw && obs.via?.node.type !== 'CatchClause') continue;
      const via = obs.via
        ? obs.via.node.type === 'CatchClause'
          ? ` (through the catch block on line ${lineOf(facts, obs.via.node)})`
          : ` (when \`${snippet(facts, obs.via.node.test)}\` is ${obs.via.taken ? 'truthy' : 'falsy'}, line ${lineOf(facts, obs.via.node)})`
        : '';
      reports.push({
        start: obs.at.start,
        end: obs.at.end,
        // Without any body the status is simply lost (a 204/redirect becomes an empty 200): error.
        // A body written raw still arrives, only under 200 octet-stream (typically an error page): warning.
        // On a catch path the response is an error page: its status is lost, the body arrives (info).
        severity: obs.via?.node.type === 'CatchClause' && obs.wroteRaw ? 'info' : obs.wroteRaw ? 'warning' : 'error',
        message: `\`${fn.name}\` calls HttpResponseStream.from() on some paths but reaches \`${snippet(facts, obs.at)}\` on a path without it${via}: that response goes out as 200 application/octet-stream with none of the intended status or headers.`,
        fix: 'Call HttpResponseStream.from() unconditionally (before the body check), then write("") and end().',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
    return reports;
  },
};
