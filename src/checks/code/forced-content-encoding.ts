import type { CodeRule, RuleReport } from '../../model/rule.js';
import { stringValue } from '../../code/ast.js';
import type { Node } from '../../code/ast.js';
import { isFunction, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { enclosingFunctionText, metadataShape, snippet } from '../../code/rule-support.js';

/**
 * The function reads the request's accept-encoding. Comments and a `vary: accept-encoding` response
 * header (which only declares that the response varies) are not evidence of negotiation.
 */
function negotiates(facts: ModuleFacts, call: Node): boolean {
  const text = enclosingFunctionText(facts, call)
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/[^\n]*/g, '')
    .replace(/['"]?vary['"]?\s*:\s*['"][^'"]*['"]/gi, '');
  return /accept-?encoding|accepts?(Brotli|Gzip|Encoding|Encodings)/i.test(text);
}

/** Chosen on a branch (e.g. `if (acceptsBrotli(event))` with an imported helper): assume negotiated. */
function underCondition(facts: ModuleFacts, target: Node): boolean {
  let conditional = false;
  let inFunction = false;
  walk(facts.program, (node) => {
    if (node.start > target.start || node.end < target.end) return false;
    if (isFunction(node)) {
      inFunction = true;
      conditional = false; // only conditions inside the innermost function count
    } else if (inFunction && (node.type === 'IfStatement' || node.type === 'ConditionalExpression' || node.type === 'SwitchCase')) {
      const test = node.test;
      if (!test || !(test.start <= target.start && target.end <= test.end)) conditional = true;
    }
    return true;
  });
  return conditional;
}

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
      if (negotiates(facts, call) || underCondition(facts, property)) continue;
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
