import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { enclosingFunctionText, metadataShape, snippet } from '../../code/rule-support.js';

/**
 * What carries the body into the metadata passed to from() (`call`):
 * - `property`: a `body` member of the metadata literal (`object`), as a property or an assignment;
 * - `whole`: the result object itself (`source`, an identifier), passed whole or spread into the literal.
 */
export type BodyInMetadata = { kind: 'property'; call: Node; object: Node; property: Node } | { kind: 'whole'; call: Node; source: Node };

/**
 * `from(stream, response)` where the same function reads `response.body`: the whole result object,
 * body included, is the metadata (@middy/core 4.3.0 to 5.0.2, middy #1137). `at` is the argument or the
 * spread, `source` the result's name.
 */
function wholeResponse(facts: ModuleFacts, call: Node): { at: Node; source: Node } | null {
  const arg = unwrap(call.arguments[1]);
  if (!arg) return null;
  const text = enclosingFunctionText(facts, call);
  // Read, and not deleted before the call (`delete result.body` is the fix, middy 5.0.3+).
  const readsBody = (name: string) =>
    new RegExp(`\\b${name}(\\?)?\\.body\\b`).test(text) && !new RegExp(`delete\\s+${name}\\.body\\b`).test(text);
  if (arg.type === 'Identifier') return readsBody(arg.name) ? { at: arg, source: arg } : null;
  // `{ ...result, cookies }`: the spread copies result.body into the metadata too.
  if (arg.type === 'ObjectExpression') {
    for (const property of arg.properties) {
      const spread = property.type === 'SpreadElement' ? unwrap(property.argument) : null;
      if (spread?.type === 'Identifier' && readsBody(spread.name)) return { at: property, source: spread };
    }
  }
  return null;
}

export const bodyInPrelude = defineCodeRule({
  meta: {
    id: 'body-in-prelude',
    category: 'metadata',
    severity: 'error',
    title: 'The response body is passed to HttpResponseStream.from() as metadata',
    consequence:
      'The whole object is JSON-serialised into the prelude: bodies above ~20-25 KB make the Function URL answer 502, circular values throw, and the body is not streamed.',
    evidence: 'Runtime: the prelude is JSON.stringify(metadata) with no filtering (aws-lambda-ric src/HttpResponseStream.js); bug class "body in prelude" (docs/runtime-behaviour.md).',
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  messages: {
    bodyInMetadata: 'The metadata passed to `{{callee}}` contains `{{body}}`: the body is serialised into the prelude instead of being streamed (502 for large bodies).',
  },
  payload: payloadType<BodyInMetadata>(),
  check(facts, report) {
    for (const call of facts.fromCalls) {
      const shape = metadataShape(facts, call);
      const property = shape?.keys.get('body');
      const whole = property ? null : wholeResponse(facts, call);
      const body = property ?? whole?.at;
      if (!body) continue;
      report({
        messageId: 'bodyInMetadata',
        data: { callee: snippet(facts, call.callee), body: snippet(facts, body) },
        start: body.start,
        end: body.end,
        fix: 'Split it: `const { body, ...metadata } = result; stream = HttpResponseStream.from(stream, metadata); stream.write(body); stream.end();`.',
        key: snippet(facts, body, 40),
        payload: property ? { kind: 'property', call, object: shape!.object, property } : { kind: 'whole', call, source: whole!.source },
      });
    }
  },
});
