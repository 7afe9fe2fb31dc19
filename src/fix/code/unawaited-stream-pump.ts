import { defineCodeFixer } from '../../model/fix.js';
import { unawaitedStreamPump } from '../../checks/code/unawaited-stream-pump.js';
import type { Node } from '../../code/ast.js';
import { isFunction, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { snippet } from '../../code/rule-support.js';
import { ancestorsOf } from '../ast-support.js';

/**
 * The dropped pump promise, awaited: `pump(stream)` -> `await pump(stream)` in an async function. In a
 * function that is not async, a pump that is its last statement is returned instead
 * (`return reader.read().then(pump)`) when every call of that function awaits or returns its result, so
 * the caller really waits for the pump. Anywhere else (code after the pump, a callback, a caller that drops
 * the value) making the function async is left to the user.
 */
export const unawaitedStreamPumpFixer = defineCodeFixer(unawaitedStreamPump, (problem, facts) => {
  const pump = problem.payload.at;
  const chain = ancestorsOf(facts.program, pump);
  let statementIndex = chain.length - 1;
  while (statementIndex >= 0 && chain[statementIndex].type !== 'ExpressionStatement') statementIndex--;
  const statement = chain[statementIndex];
  let fn: Node | undefined;
  for (let i = statementIndex - 1; i >= 0 && !fn; i--) if (isFunction(chain[i])) fn = chain[i];
  if (!statement || !fn) return null;
  const what = snippet(facts, pump, 40);
  if (fn.async) {
    return { title: `await \`${what}\``, edits: [{ start: statement.start, end: statement.start, text: 'await ' }] };
  }
  const body = fn.body;
  if (body.type === 'BlockStatement' && body.body.at(-1) === statement && chain[statementIndex - 1] === body && callersWait(facts, fn)) {
    return { title: `return \`${what}\` so its caller waits for it`, edits: [{ start: statement.start, end: statement.start, text: 'return ' }] };
  }
  return {
    suggestion: `The pump runs in a function that is not async, and returning its promise would not make anyone wait for it: make the function async and await the pump (and its callers await the function), by hand.`,
  };
});

/**
 * The function is bound to a name in this module and every use of that name is a call whose value is
 * awaited or returned (`await relay(…)`, `return runStream(…)`): returning the pump's promise from it then
 * makes the caller wait. A callback (`items.forEach((i) => pump(i))`) or a call that drops the value would not.
 */
function callersWait(facts: ModuleFacts, fn: Node): boolean {
  const chain = ancestorsOf(facts.program, fn);
  const parent = chain[chain.length - 2];
  const name = fn.type === 'FunctionDeclaration' ? fn.id?.name : parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier' && unwrap(parent.init) === fn ? parent.id.name : null;
  if (!name) return false;
  let uses = 0;
  let dropped = false;
  walk(facts.program, (node, up) => {
    if (dropped || node.type !== 'Identifier' || node.name !== name || !up) return !dropped;
    if ((up.type === 'MemberExpression' && up.property === node && !up.computed) || (up.type === 'Property' && up.key === node && !up.computed && !up.shorthand)) return true;
    if ((up.type === 'FunctionDeclaration' || up.type === 'VariableDeclarator') && up.id === node) return true;
    uses++;
    if (up.type !== 'CallExpression' || up.callee !== node) {
      dropped = true;
      return false;
    }
    const user = ancestorsOf(facts.program, up).at(-2);
    if (!(user?.type === 'AwaitExpression' || user?.type === 'ReturnStatement' || (user && isFunction(user) && user.body === up))) dropped = true;
    return true;
  });
  return uses > 0 && !dropped;
}
