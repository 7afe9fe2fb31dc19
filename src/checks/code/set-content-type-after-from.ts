import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const setContentTypeAfterFrom: CodeRule = {
  meta: {
    id: 'set-content-type-after-from',
    surface: 'code',
    category: 'metadata',
    severity: 'warning',
    title: 'setContentType() on a stream that already carries HttpResponseStream metadata',
    consequence:
      'It overrides the integration content type while the prelude is still written: the prelude JSON and 8 NUL bytes leak into the response body.',
    evidence: `Runtime behaviour a″ (${RUNTIME_EVIDENCE}).`,
    fixable: true,
    triggers: ['setContentType'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const { fn, obs } of observationsOf(facts, 'content-type-after-metadata')) {
      reports.push({
        start: obs.at.start,
        end: obs.at.end,
        message: `\`${snippet(facts, obs.at)}\` overrides the content type set by HttpResponseStream.from() (line ${lineOf(facts, obs.from)}): the JSON prelude and NUL bytes end up in the response body.`,
        fix: 'Remove setContentType() and put `content-type` in the metadata headers passed to HttpResponseStream.from().',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
    return reports;
  },
};
