import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const metadataSetTwice: CodeRule = {
  meta: {
    id: 'metadata-set-twice',
    surface: 'code',
    category: 'lifecycle',
    severity: 'warning',
    title: 'HttpResponseStream.from() is called twice on one stream before the first write',
    consequence: 'The last call wins: the status, headers and cookies of the earlier call are silently dropped.',
    evidence: `Runtime behaviour a‴ (${RUNTIME_EVIDENCE}).`,
    fixable: false,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const { fn, obs } of observationsOf(facts, 'metadata-twice')) {
      reports.push({
        start: obs.at.start,
        end: obs.at.end,
        message: `\`${snippet(facts, obs.at)}\` replaces the metadata already set on line ${lineOf(facts, obs.first)}: the earlier status, headers and cookies are silently lost.`,
        fix: 'Build the metadata once and call HttpResponseStream.from() once per response.',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
    return reports;
  },
};
