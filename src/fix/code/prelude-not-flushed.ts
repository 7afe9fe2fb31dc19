import { defineCodeFixer } from '../../model/fix.js';
import { preludeNotFlushed } from '../../checks/code/prelude-not-flushed.js';
import { unwrap } from '../../code/ast.js';
import { enclosingStatement, insertAfter, quoteOf } from '../ast-support.js';

/**
 * `write("")` right after the statement holding `HttpResponseStream.from(stream, …)`: the empty write runs
 * the prelude hook, so status, headers and cookies are sent whatever the body turns out to be. `from()`
 * returns the same object it was given, so writing to its first argument is writing to the result.
 */
export const preludeNotFlushedFixer = defineCodeFixer(preludeNotFlushed, (problem, facts) => {
  const from = problem.payload.from;
  if (!from) return null;
  const stream = unwrap(from.arguments?.[0]);
  if (!stream || stream.type !== 'Identifier') return { suggestion: 'The stream passed to from() is not a plain variable: add the write("") by hand.' };
  const holder = enclosingStatement(facts, from);
  if (!holder) return null;
  if (holder.statement.type === 'ReturnStatement') {
    return { suggestion: 'from() is returned by a helper: call write("") on its result where the helper is called.' };
  }
  const q = quoteOf(facts);
  return {
    title: `add ${stream.name}.write(${q}${q}) after HttpResponseStream.from() (sends the prelude even when the body is empty)`,
    edits: [insertAfter(facts, holder.statement, [`${stream.name}.write(${q}${q})`])],
  };
});
