import type { CodeRule, RuleReport } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { calleeName, unwrap } from '../../code/ast.js';
import { enclosingFunctionText, metadataShape, resolveConstObject, snippet } from '../../code/rule-support.js';
import type { ModuleFacts } from '../../code/facts.js';

export const setCookieCollapsed: CodeRule = {
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
  check(facts) {
    const reports: RuleReport[] = [];
    for (const call of facts.fromCalls) {
      const shape = metadataShape(facts, call);
      if (!shape || shape.hasSpread || shape.keys.has('cookies')) continue;
      const joined = joinedCookieHeader(facts, call);
      if (joined) {
        reports.push({
          start: call.start,
          end: call.end,
          message: `Several Set-Cookie values are joined into one header (\`${joined}\`) and the metadata has no \`cookies\` array: browsers read a comma-joined Set-Cookie as one cookie, so all but one are lost.`,
          fix: 'Pass the cookies as an array in the metadata (`cookies: [...]`) instead of joining them into headers.',
          key: `joined:${joined}`,
        });
        continue;
      }
      if (!shape.headers) continue;
      const source = collapsingSource(facts, shape.headers, call);
      if (!source) continue;
      const context = enclosingFunctionText(facts, call);
      if (/set-cookie|getSetCookie/i.test(context)) continue; // cookies handled somewhere: stay quiet
      reports.push({
        start: source.start,
        end: source.end,
        message: `Response headers are copied with \`${snippet(facts, source)}\` and the metadata has no \`cookies\` array: when the app sets several cookies only one survives.`,
        fix: 'Pass `cookies: response.headers.getSetCookie()` in the metadata and drop set-cookie from the headers object.',
        key: snippet(facts, source, 40),
      });
    }
    return reports;
  },
};

/** `metadata.headers["set-cookie"] = cookies.join(", ")` in the function that calls from(). */
function joinedCookieHeader(facts: ModuleFacts, call: Node): string | null {
  const match = /\[\s*['"]set-cookie['"]\s*\]\s*=\s*([^;\n]*\.join\([^)]*\))/i.exec(enclosingFunctionText(facts, call));
  return match ? match[1].replace(/\s+/g, ' ').slice(0, 60) : null;
}

function collapsingSource(facts: ModuleFacts, headers: Node, at: Node): Node | null {
  const value = unwrap(headers);
  if (!value) return null;
  if (value.type === 'CallExpression' && calleeName(value) === 'fromEntries') return value;
  if (value.type === 'Identifier') {
    // `const headers = Object.fromEntries(...)`
    const init = findInit(facts, value.name, at);
    if (init?.type === 'CallExpression' && calleeName(init) === 'fromEntries') return init;
    // `const headers = {}; response.headers.forEach((v, k) => { headers[k] = v })`
    if (resolveConstObject(facts, value.name, at)) {
      const text = enclosingFunctionText(facts, at);
      const copy = new RegExp(`\\.forEach\\(\\s*\\(?\\s*(\\w+)\\s*,\\s*(\\w+)\\s*\\)?\\s*=>\\s*\\{?\\s*${value.name}\\[\\s*\\2\\s*\\]\\s*=\\s*\\1`);
      if (copy.test(text)) return value;
    }
  }
  return null;
}

function findInit(facts: ModuleFacts, name: string, at: Node): Node | null {
  let init: Node | null = null;
  const stack: Node[] = [facts.program];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.start > at.start) continue;
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === name) init = unwrap(node.init);
    for (const key in node) {
      const v = node[key];
      if (Array.isArray(v)) {
        for (const c of v) if (c && typeof c.type === 'string') stack.push(c);
      } else if (v && typeof v === 'object' && typeof v.type === 'string' && key !== 'type') {
        stack.push(v);
      }
    }
  }
  return init;
}
