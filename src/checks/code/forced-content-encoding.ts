import { defineCodeRule } from '../../model/rule.js';
import { stringValue } from '../../code/ast.js';
import type { Node } from '../../code/ast.js';
import { memberPath, propertyName, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { enclosingFunctionNode, enclosingFunctionText, metadataRoots, metadataShape, snippet } from '../../code/rule-support.js';

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

/**
 * Chosen on a branch whose condition looks like negotiation (`if (acceptsBrotli(event))`, a helper the
 * rule cannot see into). Other conditions (`if (!isBase64Encoded)`) do not negotiate anything.
 */
function underNegotiation(facts: ModuleFacts, target: Node): boolean {
  let negotiated = false;
  walk(facts.program, (node) => {
    if (negotiated || node.start > target.start || node.end < target.end) return false;
    if (node.type === 'IfStatement' || node.type === 'ConditionalExpression' || node.type === 'SwitchStatement') {
      const test = node.type === 'SwitchStatement' ? node.discriminant : node.test;
      const inTest = test.start <= target.start && target.end <= test.end;
      if (!inTest && /accept|negotiat/i.test(facts.code.slice(test.start, test.end))) negotiated = true;
    }
    return true;
  });
  return negotiated;
}

export const forcedContentEncoding = defineCodeRule({
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
  messages: {
    notNegotiated: "`{{code}}` is sent whatever the request's accept-encoding says: clients that cannot decode it get a broken body.",
  },
  check(facts, report) {
    for (const call of facts.fromCalls) {
      if (negotiates(facts, call)) continue;
      const places: Node[] = [];
      const property = metadataShape(facts, call)?.headerKeys.get('content-encoding');
      if (property && stringValue(property.value) !== null) places.push(property);
      // headers["content-encoding"] = "gzip" on an object that feeds the metadata (astro-sst)
      const roots = metadataRoots(facts, call);
      walk(enclosingFunctionNode(facts, call), (node) => {
        if (
          node.type === 'AssignmentExpression' &&
          node.left.type === 'MemberExpression' &&
          propertyName(node.left)?.toLowerCase() === 'content-encoding' &&
          stringValue(node.right) !== null &&
          roots.has(memberPath(node.left.object)?.[0] ?? '')
        ) {
          places.push(node);
        }
        return true;
      });
      for (const place of places) {
        if (underNegotiation(facts, place)) continue;
        report({
          messageId: 'notNegotiated',
          data: { code: snippet(facts, place) },
          start: place.start,
          end: place.end,
          fix: 'Compress only when the request accepts the encoding, and set the header accordingly.',
          key: snippet(facts, place, 40),
        });
      }
    }
  },
});
