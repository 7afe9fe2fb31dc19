import type { CodeRule, RuleReport } from '../../model/rule.js';
import { stringValue } from '../../code/ast.js';
import { enclosingFunctionText, metadataShape, snippet } from '../../code/rule-support.js';

export const forcedContentEncoding: CodeRule = {
  meta: {
    id: 'forced-content-encoding',
    category: 'metadata',
    severity: 'warning',
    title: 'content-encoding is set in the prelude without checking accept-encoding',
    consequence: 'Clients that did not ask for that encoding get bytes they cannot decode.',
    evidence: 'HTTP content negotiation (RFC 9110 §12.5.3); bug class "forced content-encoding" (docs/runtime-behaviour.md).',
    fixable: false,
    triggers: ['content-encoding'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const call of facts.fromCalls) {
      const property = metadataShape(facts, call)?.headerKeys.get('content-encoding');
      if (!property || stringValue(property.value) === null) continue;
      if (/accept-encoding/i.test(enclosingFunctionText(facts, call))) continue;
      reports.push({
        start: property.start,
        end: property.end,
        message: `\`${snippet(facts, property)}\` is sent whatever the request's accept-encoding says: clients that cannot decode it get a broken body.`,
        fix: 'Compress only when the request accepts the encoding, and set the header accordingly.',
        key: snippet(facts, property, 40),
      });
    }
    return reports;
  },
};
