import type { TextEdit } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { nonAsyncStreamingHandler } from '../../checks/code/non-async-streaming-handler.js';
import type { Node } from '../../code/ast.js';
import { walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { ancestorsOf, sourceOf } from '../ast-support.js';

/**
 * `async` before the streamified handler (a TypeScript return type `T` becomes `Promise<T>`). The handler
 * then returns a promise: the runtime no longer fails it with "Streaming does not support non-async
 * handlers." and, once that promise settles, waits for the stream to end, so the writes its callbacks
 * and timers make later still reach the client, as they were meant to. Only for a function used nowhere
 * else than in streamifyResponse(): a direct caller would start getting a promise (and rejections instead
 * of thrown errors).
 */
export const nonAsyncStreamingHandlerFixer = defineCodeFixer(nonAsyncStreamingHandler, (problem, facts) => {
  const handler = problem.payload;
  const fn = handler.fn;
  const name = bindingName(facts, fn);
  if (name && references(facts, name) > 1) {
    return { suggestion: `\`${name}\` is also called elsewhere in the module, where making it async would change what it returns: make only the streamified entry point async, by hand.` };
  }
  const edits: TextEdit[] = [{ start: fn.start, end: fn.start, text: 'async ' }];
  const returnType = fn.returnType?.typeAnnotation;
  if (returnType) edits.push({ start: returnType.start, end: returnType.end, text: `Promise<${sourceOf(facts, returnType)}>` });
  return { title: `declare \`${handler.name}\` async (the runtime only streams from a handler that returns a promise)`, edits };
});

/** The name the function is bound to in the module: its own name, or the variable it initialises. */
function bindingName(facts: ModuleFacts, fn: Node): string | null {
  if (fn.type === 'FunctionDeclaration') return fn.id?.name ?? null;
  const chain = ancestorsOf(facts.program, fn);
  const parent = chain[chain.length - 2];
  if (parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier') return parent.id.name;
  return null;
}

/** How many times the name is read in the module (declarations and property keys do not count). */
function references(facts: ModuleFacts, name: string): number {
  let count = 0;
  walk(facts.program, (node, parent) => {
    if (node.type !== 'Identifier' || node.name !== name || !parent) return true;
    if (parent.type === 'MemberExpression' && parent.property === node && !parent.computed) return true;
    if (parent.type === 'Property' && parent.key === node && !parent.computed && !parent.shorthand) return true;
    if ((parent.type === 'FunctionDeclaration' || parent.type === 'FunctionExpression' || parent.type === 'VariableDeclarator') && parent.id === node) return true;
    count++;
    return true;
  });
  return count;
}
