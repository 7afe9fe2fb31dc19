import { defineCodeRule } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const metadataSetTwice = defineCodeRule({
  meta: {
    id: 'metadata-set-twice',
    category: 'lifecycle',
    severity: 'warning',
    title: 'HttpResponseStream.from() is called twice on one stream before the first write',
    consequence: 'The last call wins: the status, headers and cookies of the earlier call are silently dropped.',
    evidence: `Runtime behaviour a‴ (${RUNTIME_EVIDENCE}).`,
    fixable: false,
    triggers: ['HttpResponseStream', 'http-integration-response', 'streamifyResponse', 'responseStream'],
  },
  messages: {
    replacesMetadata:
      '`{{call}}` replaces the metadata already set on line {{firstLine}}: the earlier status, headers and cookies are silently lost.',
  },
  check(facts, report) {
    for (const { fn, obs } of observationsOf(facts, 'metadata-twice')) {
      report({
        messageId: 'replacesMetadata',
        data: { call: snippet(facts, obs.at), firstLine: lineOf(facts, obs.first) },
        start: obs.at.start,
        end: obs.at.end,
        fix: 'Build the metadata once and call HttpResponseStream.from() once per response.',
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
      });
    }
  },
});
