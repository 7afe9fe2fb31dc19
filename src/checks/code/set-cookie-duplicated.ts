import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { propertyKey } from '../../code/ast.js';
import type { HeadersCopy } from '../../code/rule-support.js';
import { headersCopy, headersCopyOf, metadataShape, snippet, spreadResults } from '../../code/rule-support.js';

/**
 * Where set-cookie sits next to the `cookies` array:
 * - `literal`: a `"set-cookie"` property of the prelude's headers literal (`headers`);
 * - `copy`: a copy of every response header that leaves set-cookie in, for the metadata literal passed to
 *   from() or for the `{ headers, cookies }` a spread helper returns (`object`); `use` is where that object
 *   is used (the from() call or the helper's return).
 * `headers` and `cookies` are the object's members with those keys.
 */
export type SetCookieDuplication =
  | { kind: 'literal'; call: Node; headers: Node; literal: Node; cookies: Node }
  | { kind: 'copy'; copy: HeadersCopy; object: Node; headers: Node; cookies: Node; use: Node };

export const setCookieDuplicated = defineCodeRule({
  meta: {
    id: 'set-cookie-duplicated',
    category: 'metadata',
    severity: 'warning',
    title: 'Cookies are sent both in the prelude headers and in the cookies array',
    consequence: 'Each cookie reaches the client twice (or a stale copy overrides the new one).',
    evidence: 'The prelude is serialised verbatim (runtime behaviour: JSON.stringify of the metadata, no filtering); nitro 3.0.1-alpha.1 was observed sending set-cookie in both places (docs/runtime-behaviour.md).',
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  messages: {
    alsoInHeaders: '`{{code}}` puts set-cookie in the prelude headers while the metadata also has a `cookies` array: the client gets every cookie twice.',
  },
  payload: payloadType<SetCookieDuplication>(),
  check(facts, report) {
    const reported = new Set<Node>();
    const add = (at: Node, payload: SetCookieDuplication) => {
      if (reported.has(at)) return;
      reported.add(at);
      report({
        messageId: 'alsoInHeaders',
        data: { code: snippet(facts, at) },
        start: at.start,
        end: at.end,
        fix: 'Send cookies only in the `cookies` array; delete set-cookie from the headers object.',
        key: snippet(facts, at, 40),
        payload,
      });
    };
    for (const call of facts.fromCalls) {
      // `...awsResponseHeaders(response)` returning `{ headers, cookies }` with headers copied whole.
      for (const { object, at } of spreadResults(facts, call)) {
        const keys = new Map<string | null, Node>(object.properties.map((p: Node) => [propertyKey(p), p] as const));
        const headers = keys.get('headers');
        const cookies = keys.get('cookies');
        if (!cookies || !headers) continue;
        const copy = headersCopyOf(facts, headers.value, at);
        if (copy && !copy.handlesCookie) add(copy.node, { kind: 'copy', copy, object, headers, cookies, use: at });
      }
      const shape = metadataShape(facts, call);
      const cookies = shape?.keys.get('cookies');
      if (!shape || !cookies) continue;
      const literal = shape.headerKeys.get('set-cookie');
      if (literal) {
        add(literal, { kind: 'literal', call, headers: shape.headers!, literal, cookies });
        continue;
      }
      // A copy of every response header (fromEntries or a loop) that leaves set-cookie in.
      const copy = headersCopy(facts, call);
      const headers = shape.keys.get('headers');
      if (copy && !copy.handlesCookie && headers) add(copy.node, { kind: 'copy', copy, object: shape.object, headers, cookies, use: call });
    }
  },
});
