import { defineCodeFixer } from '../../model/fix.js';
import { endDataBypassesPrelude } from '../../checks/code/end-data-bypasses-prelude.js';
import { memberPath, unwrap } from '../../code/ast.js';
import { ancestorsOf, sourceOf } from '../ast-support.js';
import { indentationAt, newlineOf, usesSemicolons } from '../text.js';

/**
 * `stream.end(data)` as the first output after from() -> `stream.write(data); stream.end();`: only write()
 * runs the prelude hook. As a statement it becomes two statements; inside an expression, a comma expression
 * keeps the value. Only for a stream named by a plain variable or member path (evaluated twice) and exactly
 * one argument (a callback would be dropped by the 3.x runtime anyway; left to the user).
 */
export const endDataBypassesPreludeFixer = defineCodeFixer(endDataBypassesPrelude, (problem, facts) => {
  const call = problem.payload.at;
  if (call.type !== 'CallExpression' || call.arguments.length !== 1) return null;
  const callee = unwrap(call.callee);
  if (!callee || callee.type !== 'MemberExpression' || callee.computed) return null;
  if (!memberPath(callee.object)) return { suggestion: 'The stream is not a plain variable: split end(data) into write(data) and end() by hand.' };
  const stream = sourceOf(facts, callee.object);
  const data = sourceOf(facts, call.arguments[0]);
  const chain = ancestorsOf(facts.program, call);
  const parent = chain[chain.length - 2];
  if (parent?.type === 'ExpressionStatement') {
    const nl = newlineOf(facts.text);
    const semi = usesSemicolons(facts.text) ? ';' : '';
    const indent = indentationAt(facts.text, parent.start);
    return {
      title: `split ${stream}.end(data) into ${stream}.write(data) and ${stream}.end()`,
      edits: [{ start: call.start, end: call.end, text: `${stream}.write(${data})${semi}${nl}${indent}${stream}.end()` }],
    };
  }
  return {
    title: `split ${stream}.end(data) into (${stream}.write(data), ${stream}.end())`,
    edits: [{ start: call.start, end: call.end, text: `(${stream}.write(${data}), ${stream}.end())` }],
  };
});
