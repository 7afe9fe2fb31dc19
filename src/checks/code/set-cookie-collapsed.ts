import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import type { HeadersCopy, MetadataShape } from '../../code/rule-support.js';
import { enclosingFunctionText, headersCopy, metadataShape, snippet } from '../../code/rule-support.js';

export const setCookieCollapsed = defineCodeRule({
  meta: {
    id: 'set-cookie-collapsed',
    category: 'metadata',
    severity: 'warning',
    title: 'Prelude headers are built from a Headers object with no cookies array',
    consequence:
      'Object.fromEntries(headers) (or a headers.forEach copy) keeps one value per name, so only one Set-Cookie survives; the prelude needs the cookies array for the rest.',
    evidence: 'Fetch Headers iteration joins or overwrites repeated names; the Lambda prelude carries cookies in its own `cookies` array (AWS docs, response streaming metadata); bug class "Set-Cookie collapsed" in docs/runtime-behaviour.md.',
    fixable: true,
    triggers: ['HttpResponseStream'],
  },
  messages: {
    cookiesJoined: 'Several Set-Cookie values are joined into one header (`{{joined}}`) and the metadata has no `cookies` array: browsers read a comma-joined Set-Cookie as one cookie, so all but one are lost.',
    headersCopied: 'Response headers are copied with `{{copy}}` and the metadata has no `cookies` array: one value per header name survives, so when the app sets several cookies only one reaches the client.',
  },
  /**
   * The from() call, its metadata literal (no spread, no `cookies`) and the headers copy it uses, if any:
   * `cookiesJoined` is reported on the copy when the copy joins values, else on the call.
   */
  payload: payloadType<{ call: Node; shape: MetadataShape; copy: HeadersCopy | null }>(),
  check(facts, report) {
    for (const call of facts.fromCalls) {
      const shape = metadataShape(facts, call);
      if (!shape || shape.hasSpread || shape.keys.has('cookies')) continue;
      const joined = joinedCookieHeader(facts, call);
      const copy = headersCopy(facts, call);
      const payload = { call, shape, copy };
      if (joined || copy?.joins) {
        const at = copy?.joins ? copy.node : call;
        report({
          messageId: 'cookiesJoined',
          data: { joined: joined ?? snippet(facts, at, 50) },
          start: at.start,
          end: at.end,
          fix: 'Pass the cookies as an array in the metadata (`cookies: [...]`) instead of joining them into headers.',
          key: `joined:${joined ?? snippet(facts, at, 40)}`,
          payload,
        });
        continue;
      }
      if (!copy || copy.handlesCookie) continue; // set-cookie filtered or routed: see set-cookie-dropped
      report({
        messageId: 'headersCopied',
        data: { copy: snippet(facts, copy.node) },
        start: copy.node.start,
        end: copy.node.end,
        fix: 'Pass `cookies: response.headers.getSetCookie()` in the metadata and drop set-cookie from the headers object.',
        key: snippet(facts, copy.node, 40),
        payload,
      });
    }
  },
});

/** `metadata.headers["set-cookie"] = cookies.join(", ")` in the function that calls from(). */
function joinedCookieHeader(facts: ModuleFacts, call: Node): string | null {
  const match = /\[\s*['"]set-cookie['"]\s*\]\s*=\s*([^;\n]*\.join\([^)]*\))/i.exec(enclosingFunctionText(facts, call));
  return match ? match[1].replace(/\s+/g, ' ').slice(0, 60) : null;
}
