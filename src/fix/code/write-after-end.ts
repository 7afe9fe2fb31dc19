import { defineCodeFixer } from '../../model/fix.js';
import { writeAfterEnd } from '../../checks/code/write-after-end.js';
import type { Node } from '../../code/ast.js';
import { propertyName, unwrap, walk } from '../../code/ast.js';
import { Declined, enclosingStatement, insertAfter, removeStatement, sourceOf, statementListOf } from '../ast-support.js';
import { declining } from './metadata-support.js';

/** `stream.write(…)` / `stream.end()` as a statement of its own: the call, the stream's text and the method. */
function streamCall(statement: Node, facts: Parameters<typeof sourceOf>[0]): { stream: string; method: string; args: number } | null {
  if (statement.type !== 'ExpressionStatement') return null;
  const call = unwrap(statement.expression.type === 'AwaitExpression' ? statement.expression.argument : statement.expression);
  if (call?.type !== 'CallExpression') return null;
  const callee = unwrap(call.callee);
  if (callee?.type !== 'MemberExpression' || callee.computed) return null;
  const method = propertyName(callee);
  return method ? { stream: sourceOf(facts, callee.object), method, args: call.arguments.length } : null;
}

/** Whether control can leave between the statements: a return, throw, break or continue outside nested functions. */
function exits(statements: Node[]): boolean {
  let found = false;
  for (const statement of statements) {
    walk(statement, (node) => {
      if (found) return false;
      if (/Function/.test(node.type) && node !== statement) return false;
      if (['ReturnStatement', 'ThrowStatement', 'BreakStatement', 'ContinueStatement'].includes(node.type)) found = true;
      return !found;
    });
  }
  return found;
}

/**
 * Straight-line code only: `end()` (no data) is a statement of the same block as the write it precedes, and
 * no return, throw, break or continue lies between them. Then `end()` moves after the last write to the same
 * stream in that block: the stream is ended once, after its body. Writes after end() on another path (a catch,
 * a callback, a loop that ends inside) need a decision about which end is the real one, and are declined.
 */
export const writeAfterEndFixer = defineCodeFixer(writeAfterEnd, (problem, facts) =>
  declining(() => {
    const { at, end } = problem.payload;
    if (!end) return null;
    const endStatement = enclosingStatement(facts, end)?.statement;
    const writeStatement = enclosingStatement(facts, at)?.statement;
    if (!endStatement || !writeStatement) return null;
    const list = statementListOf(facts, endStatement);
    if (!list || !list.includes(writeStatement)) throw new Declined('the write is not in the same block as end() (another path: a catch, a callback or a loop), so which end() is the real one is a decision');
    const ended = streamCall(endStatement, facts);
    if (!ended || ended.method !== 'end' || ended.args !== 0) throw new Declined('end() carries data or is part of a larger statement');
    const from = list.indexOf(endStatement);
    let last = list.indexOf(writeStatement);
    if (last < from) return null;
    // The writes to the same stream that follow directly: end() goes after the last of them.
    while (last + 1 < list.length) {
      const next = streamCall(list[last + 1]!, facts);
      if (!next || next.stream !== ended.stream || next.method !== 'write') break;
      last += 1;
    }
    if (exits(list.slice(from + 1, last + 1))) throw new Declined('a return, throw or break lies between end() and the write');
    const following = list[last + 1] ? streamCall(list[last + 1]!, facts) : null;
    if (following && following.stream === ended.stream && following.method === 'end') {
      // The stream is ended after the writes already: the early end() only has to go.
      return { title: `remove the early ${ended.stream}.end() (the stream is ended after the last write)`, edits: [removeStatement(facts, endStatement)] };
    }
    const tail = list.slice(last + 1).map((s) => streamCall(s, facts));
    if (tail.some((c) => c && c.stream === ended.stream && c.method === 'end')) throw new Declined('the stream is ended again after the write');
    return {
      title: `move ${ended.stream}.end() after the last write`,
      edits: [removeStatement(facts, endStatement, { keepComment: true }), insertAfter(facts, list[last]!, [sourceOf(facts, endStatement).replace(/;\s*$/, '')])],
    };
  }),
);
