import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import type { HeadersCopy, MetadataShape } from '../../code/rule-support.js';
import { enclosingFunctionText, headersCopy, metadataShape, snippet } from '../../code/rule-support.js';

const STRIPS_COOKIE = /delete\s+\w+(\.\w+)*\[\s*['"]set-cookie['"]\s*\]|\.delete\(\s*['"]set-cookie['"]\s*\)|!==?\s*['"]set-cookie['"]|['"]set-cookie['"]\s*!==?/i;

export const setCookieDropped = defineCodeRule({
  meta: {
    id: 'set-cookie-dropped',
    category: 'metadata',
    severity: 'warning',
    title: 'Set-Cookie is removed from the prelude headers and no cookies array is sent',
    consequence: 'The client receives no cookie at all: logins and sessions silently fail.',
    evidence: 'The Lambda prelude carries cookies only in `headers` or the `cookies` array (AWS docs, response streaming); bug class "Set-Cookie dropped" in docs/runtime-behaviour.md.',
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  messages: {
    cookiesFilteredOut: '`{{call}}`: set-cookie is filtered out of the headers and no `cookies` array is passed, so the client never receives the cookies.',
  },
  /** The from() call, its metadata literal (no spread, no `cookies`) and the headers copy it uses, if any. */
  payload: payloadType<{ call: Node; shape: MetadataShape; copy: HeadersCopy | null }>(),
  check(facts, report) {
    for (const call of facts.fromCalls) {
      const shape = metadataShape(facts, call);
      if (!shape || shape.hasSpread || shape.keys.has('cookies')) continue;
      const context = enclosingFunctionText(facts, call);
      // Stripped: deleted/filtered in the function, or skipped by the copy loop (`if (k === "set-cookie") continue`).
      const copy = headersCopy(facts, call);
      const skipped = copy?.handlesCookie && /continue|!==?\s*['"]set-cookie|['"]set-cookie['"]\s*!==?|filter/i.test(facts.code.slice(copy.node.start, copy.node.end));
      if (!(STRIPS_COOKIE.test(context) || skipped) || /getSetCookie|cookies\s*[:=.]/.test(context)) continue;
      report({
        messageId: 'cookiesFilteredOut',
        data: { call: snippet(facts, call) },
        start: call.start,
        end: call.end,
        fix: 'Pass the cookies in the metadata: `cookies: response.headers.getSetCookie()`.',
        key: snippet(facts, call, 40),
        payload: { call, shape, copy },
      });
    }
  },
});
