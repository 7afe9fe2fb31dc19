import type { Node } from '../../code/ast.js';
import { memberPath, propertyName, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { enclosingFunctionNode } from '../../code/rule-support.js';
import { setCookieCollapsed } from '../../checks/code/set-cookie-collapsed.js';
import type { ProposedFix } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, sourceOf } from '../ast-support.js';
import { addCookiesFromHeaders, declining, isPure, stripSetCookie } from './metadata-support.js';

/**
 * Sends the cookies as the metadata's `cookies` array:
 * - `meta.headers["set-cookie"] = cookies.join(", ")` becomes `meta.cookies = cookies`;
 * - a copy of a Fetch Headers (`Object.fromEntries(res.headers)`, a copy loop) keeps set-cookie out and the
 *   metadata gets `cookies: res.headers.getSetCookie()`.
 * A copy that joins every array value (`value.join(", ")` over a Node header map) is left to the user.
 */
export const setCookieCollapsedFixer = defineCodeFixer(setCookieCollapsed, (problem, facts) =>
  declining(() => {
    const { call, shape, copy } = problem.payload;
    if (copy?.joins) {
      throw new Declined('the copy joins every list value with ", "; route set-cookie into a cookies array while copying (`if (name === "set-cookie") cookies.push(...[].concat(value))`) and pass `cookies` in the metadata');
    }
    if (problem.messageId === 'cookiesJoined') return joinedHeader(facts, call);
    if (!copy) return null;
    const headers = shape.keys.get('headers');
    if (headers?.type !== 'Property') throw new Declined('the headers are not a property of the metadata literal');
    const { source, edits } = addCookiesFromHeaders(facts, call, shape.object, copy);
    const strip = stripSetCookie(facts, copy, headers.value, copy.kind === 'fromEntries' ? shape.object : call);
    return { title: `send cookies: ${source}.getSetCookie() and keep set-cookie out of the copied headers`, edits: [...strip, ...edits] };
  }),
);

/** `metadata.headers["set-cookie"] = list.join(", ")` before from(metadata) -> `metadata.cookies = list`. */
function joinedHeader(facts: ModuleFacts, call: Node): ProposedFix {
  const meta = unwrap(call.arguments[1]);
  if (meta?.type !== 'Identifier') throw new Declined('the cookie header is not set on the metadata variable');
  let found: Node | null = null;
  walk(enclosingFunctionNode(facts, call), (node) => {
    if (found || node.start > call.start) return false;
    if (
      node.type === 'AssignmentExpression' &&
      node.operator === '=' &&
      node.left.type === 'MemberExpression' &&
      propertyName(node.left)?.toLowerCase() === 'set-cookie' &&
      memberPath(node.left.object)?.join('.') === `${meta.name}.headers`
    ) {
      found = node;
    }
    return true;
  });
  const assignment = found as Node | null;
  const right = unwrap(assignment?.right);
  const list = right?.type === 'CallExpression' && propertyName(unwrap(right.callee) ?? right) === 'join' ? unwrap(unwrap(right.callee)!.object) : null;
  if (!assignment || !list || !isPure(list)) throw new Declined(`no \`${meta.name}.headers["set-cookie"] = list.join(…)\` to turn into \`${meta.name}.cookies = list\``);
  return {
    title: `send the cookies as ${meta.name}.cookies instead of one joined set-cookie header`,
    edits: [{ start: assignment.start, end: assignment.end, text: `${meta.name}.cookies = ${sourceOf(facts, list)}` }],
  };
}
