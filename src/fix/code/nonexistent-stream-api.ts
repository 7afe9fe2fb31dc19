import { defineCodeFixer } from '../../model/fix.js';
import { nonexistentStreamApi } from '../../checks/code/nonexistent-stream-api.js';
import type { Node } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { propertyName, unwrap } from '../../code/ast.js';
import { streamCallsOf } from '../../code/rule-support.js';
import { ancestorsOf, enclosingStatement, sourceOf } from '../ast-support.js';
import { namedImport } from './pipe-without-error-propagation.js';

/**
 * Replaces the calls the runtime's response stream cannot take with ones it can:
 * - `await stream.finished()` right after `stream.end(…)` -> `await finished(stream)` from
 *   node:stream/promises (the stream is ended on every path that gets there, so the wait ends, on 'finish' or
 *   with an error; before, the call threw a TypeError after the response went out);
 * - `stream._write(chunk, encoding, cb)` -> `stream.write(chunk, encoding, cb)` (the facade's write takes the
 *   same arguments and runs the prelude hook).
 * `.finished()` anywhere else (the stream may still be open: the wait could outlast the invocation),
 * `stream.pipe(dest)` (the response stream is not readable; what the copy was for is the user's call) and
 * any other missing method get a suggestion.
 */
export const nonexistentStreamApiFixer = defineCodeFixer(nonexistentStreamApi, (problem, facts) => {
  const call = problem.payload.call;
  const callee = unwrap(call.callee);
  if (!callee || callee.type !== 'MemberExpression' || callee.computed) return null;
  const stream = unwrap(callee.object);
  const method = propertyName(callee);
  if (method === '_write') {
    return { title: `call ${sourceOf(facts, callee.object)}.write() instead of _write()`, edits: [{ start: callee.property.start, end: callee.property.end, text: 'write' }] };
  }
  if (method === 'finished') {
    const chain = ancestorsOf(facts.program, call);
    const awaited = chain[chain.length - 2];
    const statement = chain[chain.length - 3];
    const safe =
      call.arguments.length === 0 &&
      stream?.type === 'Identifier' &&
      awaited?.type === 'AwaitExpression' &&
      statement?.type === 'ExpressionStatement' &&
      endedJustBefore(facts, statement);
    if (!safe) {
      return { suggestion: "Wait with `await finished(stream)` from node:stream/promises (or the 'finish' event) once the stream is ended, by hand: here it may still be open." };
    }
    const imported = namedImport(facts, 'finished', 'node:stream/promises');
    if (!imported) return { suggestion: 'The name `finished` is taken: import finished from node:stream/promises under another name and await it, by hand.' };
    return {
      title: `await ${imported.local}(${stream.name}) from node:stream/promises instead of ${stream.name}.finished()`,
      edits: [{ start: call.start, end: call.end, text: `${imported.local}(${stream.name})` }, ...imported.edits],
    };
  }
  if (method === 'pipe') {
    return { suggestion: `The response stream cannot be read: \`${sourceOf(facts, call)}\` throws every time. Remove it, or write what it was meant to copy to its destination yourself.` };
  }
  return null;
});

/** The statement before `statement` in its block is an `end(…)` call on the response stream. */
function endedJustBefore(facts: ModuleFacts, statement: Node): boolean {
  const holder = enclosingStatement(facts, statement);
  if (!holder || holder.statement !== statement) return false;
  const list: Node[] = holder.parent.type === 'SwitchCase' ? holder.parent.consequent : holder.parent.body;
  const previous = list[list.indexOf(statement) - 1];
  if (previous?.type !== 'ExpressionStatement') return false;
  const expr = unwrap(previous.expression);
  return streamCallsOf(facts, ['end']).some(({ call }) => call.call === expr);
}
