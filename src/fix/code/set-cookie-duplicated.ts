import type { Node } from '../../code/ast.js';
import { unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import type { HeadersCopy } from '../../code/rule-support.js';
import { setCookieDuplicated } from '../../checks/code/set-cookie-duplicated.js';
import type { ProposedFix } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, removeProperty, sourceOf } from '../ast-support.js';
import { declining, headersSourceOf, isPure, ownedByPrelude, pathText, setCookieSource, stripSetCookie } from './metadata-support.js';

/**
 * Keeps cookies in the `cookies` array only:
 * - a `"set-cookie": value` header literal is removed when the cookies array literal already holds the same
 *   value, or moved into it (appended) when it is a single string;
 * - a headers copy (`Object.fromEntries(res.headers)`, a copy loop) filters set-cookie out, when the cookies
 *   array is `res.headers.getSetCookie()` of that same Headers (so every cookie it held is still sent).
 */
export const setCookieDuplicatedFixer = defineCodeFixer(setCookieDuplicated, (problem, facts) =>
  declining(() => {
    const found = problem.payload;
    if (found.kind === 'literal') return moveLiteral(facts, found.call, found.headers, found.literal, found.cookies);
    if (found.headers.type !== 'Property') return null;
    if (found.cookies.type !== 'Property') throw new Declined('the cookies are assigned separately');
    return filterCopy(facts, found.copy, found.headers.value, found.cookies.value, found.object, found.use);
  }),
);

function filterCopy(facts: ModuleFacts, copy: HeadersCopy, headersValue: Node, cookiesValue: Node, object: Node, use: Node): ProposedFix {
  const source = headersSourceOf(facts, copy);
  if (!source) throw new Declined('the headers are not copied from a Fetch Headers object');
  if (setCookieSource(facts, cookiesValue, use) !== pathText(source)) {
    throw new Declined(`the cookies array is not \`${pathText(source)}.getSetCookie()\`, so it may not hold every copied cookie`);
  }
  return { title: 'keep set-cookie out of the copied prelude headers (the cookies array has them)', edits: stripSetCookie(facts, copy, headersValue, copy.kind === 'fromEntries' ? object : use) };
}

function moveLiteral(facts: ModuleFacts, call: Node, headers: Node, literal: Node, cookies: Node): ProposedFix {
  if (literal.type !== 'Property' || cookies.type !== 'Property') throw new Declined('the cookie header is not a plain property');
  if (!ownedByPrelude(facts, headers, call)) throw new Declined('the headers object is used elsewhere too');
  const value = unwrap(literal.value);
  const array = unwrap(cookies.value);
  if (!value || !isPure(value)) throw new Declined('the set-cookie value may have side effects');
  if (array?.type !== 'ArrayExpression' || array.elements.includes(null)) throw new Declined('the cookies value is not an array literal, so it is unclear whether it holds this cookie');
  const norm = (n: Node) => sourceOf(facts, n).replace(/\s+/g, '');
  const remove = removeProperty(facts, headers, literal);
  if (array.elements.some((e: Node | null) => e && e.type !== 'SpreadElement' && norm(e) === norm(value))) {
    return { title: 'remove the set-cookie header (the cookies array already has it)', edits: [remove] };
  }
  if (value.type !== 'Literal' && value.type !== 'TemplateLiteral') throw new Declined('the set-cookie value may be a list');
  const last = array.elements.at(-1);
  const edit = last ? { start: last.end, end: last.end, text: `, ${sourceOf(facts, value)}` } : { start: array.start, end: array.end, text: `[${sourceOf(facts, value)}]` };
  return { title: 'move the set-cookie header into the cookies array', edits: [remove, edit] };
}
