import { defineCodeFixer } from '../../model/fix.js';
import { endCallbackDropped } from '../../checks/code/end-callback-dropped.js';
import type { Node } from '../../code/ast.js';
import { isFunction, memberPath, propertyName, unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { ancestorsOf, sourceOf, styleOf } from '../ast-support.js';

/**
 * `stream.end(data, cb)` / `stream.end(data, encoding, cb)` -> `stream.write(data[, encoding]); stream.end(cb)`:
 * the 3.x runtime passes end()'s first argument on and drops the rest, so the callback only survives as
 * the sole argument (`end(cb)` is passed on, and on 4.x the two forms are the same). `end(null, cb)` and
 * `end(undefined, cb)` become `end(cb)`. As a statement the call becomes two statements; inside an
 * expression (`(resolve) => s.end(data, resolve)`) a comma expression keeps end()'s value. Only for a stream
 * named by a plain variable or member path (it is evaluated twice), and a last argument that is a function:
 * a two-argument `end(data, x)` whose `x` may be an encoding variable is left to the user.
 */
export const endCallbackDroppedFixer = defineCodeFixer(endCallbackDropped, (problem, facts) => {
  const call = problem.payload.call;
  if (call.arguments.some((a: Node) => a.type === 'SpreadElement')) return null;
  const callee = unwrap(call.callee);
  if (!callee || callee.type !== 'MemberExpression' || callee.computed) return null;
  if (!memberPath(callee.object)) return { suggestion: 'The stream is not a plain variable: write the data with write(), then call end(callback), by hand.' };
  const args: Node[] = call.arguments;
  if (args.length < 2 || args.length > 3) return null;
  const callback = args[args.length - 1];
  if (args.length === 2 && !isCallback(facts, callback, call)) {
    return { suggestion: `If \`${sourceOf(facts, callback)}\` is a callback, write the data first and pass it alone: \`write(data); end(${sourceOf(facts, callback)})\`; if it is an encoding, this is not the bug.` };
  }
  const stream = sourceOf(facts, callee.object);
  const data = unwrap(args[0]);
  const noData = !data || (data.type === 'Literal' && data.value === null && !data.regex) || (data.type === 'Identifier' && data.name === 'undefined');
  const end = `${stream}.end(${sourceOf(facts, callback)})`;
  if (noData) return { title: `pass only the callback to ${stream}.end()`, edits: [{ start: call.start, end: call.end, text: end }] };
  const write = `${stream}.write(${args.slice(0, -1).map((a) => sourceOf(facts, a)).join(', ')})`;
  const chain = ancestorsOf(facts.program, call);
  const parent = chain[chain.length - 2];
  const title = `write the data with ${stream}.write(), then pass only the callback to ${stream}.end()`;
  if (parent?.type === 'ExpressionStatement' && parent.expression === call) {
    // `a.end(x, cb);` -> `a.write(x);` and `a.end(cb);` on the next line (on the same line in one-line code).
    const split = styleOf(facts).before(parent, [write]).text;
    return { title, edits: [{ start: call.start, end: call.end, text: `${split}${end}` }] };
  }
  return { title, edits: [{ start: call.start, end: call.end, text: `(${write}, ${end})` }] };
});

const CALLBACK_NAME = /^(?:cb|callback|done|next|resolve|finish|finished|onDone|onEnd|onFinish|onFinished|on[A-Z][\w$]*|[\w$]*(?:Callback|Cb|Done|Resolve))$/;

/** The last argument is a function: a function literal or a known function, a Promise executor's resolve, a `() => void` parameter, or named like a callback. */
function isCallback(facts: ModuleFacts, node: Node, call: Node): boolean {
  const n = unwrap(node);
  if (!n) return false;
  if (isFunction(n)) return true;
  if (n.type === 'MemberExpression') return CALLBACK_NAME.test(propertyName(n) ?? '');
  if (n.type !== 'Identifier') return false;
  if (facts.lookupFunction(n.name, call)) return true;
  if (CALLBACK_NAME.test(n.name)) return true;
  // A parameter typed as a function, or the first two parameters of a `new Promise((resolve, reject) => …)` executor.
  const chain = ancestorsOf(facts.program, call);
  for (let i = chain.length - 1; i >= 0; i--) {
    const fn = chain[i];
    if (!isFunction(fn)) continue;
    const index = fn.params.findIndex((p: Node) => p.type === 'Identifier' && p.name === n.name);
    if (index === -1) continue;
    const type = fn.params[index].typeAnnotation?.typeAnnotation;
    if (type?.type === 'TSFunctionType') return true;
    const parent = chain[i - 1];
    return index < 2 && parent?.type === 'NewExpression' && unwrap(parent.callee)?.type === 'Identifier' && unwrap(parent.callee)!.name === 'Promise' && unwrap(parent.arguments[0]) === fn;
  }
  return false;
}
