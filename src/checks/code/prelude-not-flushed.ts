import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const preludeNotFlushed: CodeRule = {
  meta: {
    id: 'prelude-not-flushed',
    surface: 'code',
    category: 'lifecycle',
    severity: 'error',
    title: 'HttpResponseStream.from() followed by end() with no write(): status, headers and cookies are lost',
    consequence:
      'Only write() sends the JSON prelude. Ending without a write drops it: a redirect or 204 becomes 200 application/octet-stream, and cookies are lost.',
    evidence: `Runtime behaviour d/d″ (${RUNTIME_EVIDENCE}); middy #1189 (empty body answered 200 instead of 301); aws-lambda-nodejs-runtime-interface-client #97.`,
    fixable: true,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const { fn, obs } of observationsOf(facts, 'end-without-flush')) {
      const fromLine = lineOf(facts, obs.from);
      const proven = obs.via === 'end' ? !obs.emptyLoop : obs.provenEmptySource;
      const how =
        obs.via === 'pipeline'
          ? obs.provenEmptySource
            ? 'pipes an empty source'
            : 'pipes a source that may yield no chunk (an empty body)'
          : obs.emptyLoop
            ? `ends the stream when the loop on line ${lineOf(facts, obs.emptyLoop)} writes nothing (an empty body)`
            : 'ends the stream without any write()';
      reports.push({
        start: obs.at.start,
        end: obs.at.end,
        severity: proven ? 'error' : 'info',
        message: `\`${fn.name}\` sets the response metadata (line ${fromLine}) and then ${how}: the prelude is only sent by write(), so the status code, headers and cookies are lost and the client gets 200 application/octet-stream.`,
        fix: 'Call `stream.write("")` right after HttpResponseStream.from() (it sends the prelude with an empty body).',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
    return reports;
  },
};
