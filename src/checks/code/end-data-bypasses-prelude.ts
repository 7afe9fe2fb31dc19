import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const endDataBypassesPrelude: CodeRule = {
  meta: {
    id: 'end-data-bypasses-prelude',
    surface: 'code',
    category: 'lifecycle',
    severity: 'error',
    title: 'end(data) is the first output after HttpResponseStream.from()',
    consequence:
      'end(data) writes through Node internals, not the runtime\'s write() hook, so the body goes out under the integration content type with no prelude: a malformed response (502) with the status and headers lost.',
    evidence: `Runtime behaviour d′, verified on the wire for 3.x and 4.x (${RUNTIME_EVIDENCE}).`,
    fixable: true,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const { fn, obs } of observationsOf(facts, 'end-data-before-write')) {
      reports.push({
        start: obs.at.start,
        end: obs.at.end,
        message: `\`${snippet(facts, obs.at)}\` is the first output after HttpResponseStream.from() (line ${lineOf(facts, obs.from)}): end(data) bypasses the prelude, so the client gets a malformed response (502) instead of the intended status and body.`,
        fix: 'Write the data first and end without arguments: `stream.write(data); stream.end();`.',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
    return reports;
  },
};
