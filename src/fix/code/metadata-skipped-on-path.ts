import type { Node } from '../../code/ast.js';
import { isFunction, unwrap } from '../../code/ast.js';
import { enclosingFunctionNode } from '../../code/rule-support.js';
import { defineCodeFixer } from '../../model/fix.js';
import { metadataSkippedOnPath } from '../../checks/code/metadata-skipped-on-path.js';
import { Declined, commentsIn, insertBefore, quoted, removeStatement, statementListOf } from '../ast-support.js';
import { indentationAt, lineEndOf, newlineOf, reindent, usesSemicolons } from '../text.js';
import { declining, isPure, readableAt, referencesOf } from './metadata-support.js';

/**
 * The nitro shape `if (response.body) { stream = from(stream, meta); …write… } stream.end()`: the from()
 * statement moves out of the `if`, to just before it, followed by `stream.write("")`, so every path sends
 * the prelude and the body path sends the same bytes as before. Only when from() is the first statement of
 * an `if` without `else` whose test only reads values, and the path without metadata went through that
 * `if`. A raw end() in a catch block (which status would the error get?) is left to the user.
 */
export const metadataSkippedOnPathFixer = defineCodeFixer(metadataSkippedOnPath, (problem, facts) => {
  const { fn, obs } = problem.payload;
  return declining(() => {
    const guard = obs.via?.node;
    if (guard?.type !== 'IfStatement' || obs.via!.taken) throw new Declined('the path without metadata does not skip an if that calls from(); decide its status and call from() there');
    const block = guard.consequent;
    const first: Node | undefined = block.type === 'BlockStatement' ? block.body[0] : undefined;
    const from = first ? fromCallOf(first) : null;
    if (!first || !from || !fn.flow.fromCalls.includes(from)) throw new Declined('from() is not the first statement of the if');
    if (guard.alternate) throw new Declined('the if has an else branch');
    if (!statementListOf(facts, guard)) throw new Declined('the if is not inside a statement block');
    if (!isPure(guard.test)) throw new Declined('the if test may have side effects, and from() would now run before it');
    if (!readableAt(facts, from, guard.start)) throw new Declined('the metadata uses values computed inside the if');
    const stream = streamOf(first, from);
    if (!stream) throw new Declined('from() is not assigned to a plain variable');
    if (first.type === 'VariableDeclaration') {
      const scope = enclosingFunctionNode(facts, guard);
      if (referencesOf(scope, stream).some((ref) => ref.start < block.start || ref.end > block.end)) throw new Declined(`\`${stream}\` is also declared or used outside the if`);
    }
    const text = facts.text;
    const indent = indentationAt(text, guard.start);
    const nl = newlineOf(text);
    const semi = usesSemicolons(text) ? ';' : '';
    // A comment that ends the from() line moves with it.
    let movedEnd = lineEndOf(text, first.end);
    if (facts.code.slice(first.end, movedEnd).trim() !== '' || commentsIn(facts, first.end, movedEnd).some((c) => c.end > movedEnd)) movedEnd = first.end;
    const moved = reindent(text.slice(first.start, movedEnd).trimEnd(), indentationAt(text, first.start), indent);
    const flush = `${stream}.write(${quoted(facts, '')})`;
    const edits =
      block.body.length === 1
        ? [{ start: guard.start, end: guard.end, text: `${moved}${nl}${indent}${flush}${semi}` }]
        : [insertBefore(facts, guard, [`${moved}${nl}${indent}${flush}`], { aboveComments: true }), removeStatement(facts, first)];
    if (block.body.length === 1 && commentsIn(facts, guard.start, guard.end).some((c) => c.start < first.start || c.start >= movedEnd)) {
      throw new Declined('comments inside the if would be lost');
    }
    return { title: `call from() before the if and flush the prelude with ${stream}.write("") on every path`, edits };
  });
});

/** The from() call a statement makes: `from(…)`, `x = from(…)`, `const x = from(…)`. */
function fromCallOf(statement: Node): Node | null {
  const value =
    statement.type === 'ExpressionStatement'
      ? unwrap(statement.expression)
      : statement.type === 'VariableDeclaration' && statement.declarations.length === 1
        ? unwrap(statement.declarations[0].init)
        : null;
  const call = value?.type === 'AssignmentExpression' && value.operator === '=' ? unwrap(value.right) : value;
  return call?.type === 'CallExpression' && !isFunction(call) ? call : null;
}

/** The variable the stream is written through after the statement. */
function streamOf(statement: Node, from: Node): string | null {
  if (statement.type === 'VariableDeclaration') {
    const id = statement.declarations[0].id;
    return id.type === 'Identifier' ? id.name : null;
  }
  const value = unwrap(statement.expression);
  if (value?.type === 'AssignmentExpression') return unwrap(value.left)?.type === 'Identifier' ? unwrap(value.left)!.name : null;
  const target = unwrap(from.arguments[0]);
  return target?.type === 'Identifier' ? target.name : null;
}
