import type { Node } from '../../code/ast.js';
import { calleeName, memberPath, propertyKey, unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { manualPrelude } from '../../checks/code/manual-prelude.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, insertAfter, parentOf, sourceOf, statementListOf } from '../ast-support.js';
import { constInit, declining } from './metadata-support.js';

const PRELUDE_KEYS = new Set(['statusCode', 'headers', 'cookies']);

/**
 * Adds the missing delimiter: `stream.write(new Uint8Array(8))` right after the statement that writes the
 * prelude JSON. Only when that write is the statement right after setContentType() on the same stream and
 * writes `JSON.stringify({ statusCode | headers | cookies … })` (inline or through a const), so the 8 NUL
 * bytes land exactly between the prelude and the body. Rewriting to HttpResponseStream.from() is left to the user.
 */
export const manualPreludeFixer = defineCodeFixer(manualPrelude, (problem, facts) =>
  declining(() => {
    const { call } = problem.payload;
    const stream = unwrap(call.callee)?.object;
    const path = memberPath(stream);
    if (!path) throw new Declined('the stream is not a plain variable');
    const statement = parentOf(facts, call);
    const list = statement?.type === 'ExpressionStatement' ? statementListOf(facts, statement) : null;
    const next = list?.[list.indexOf(statement!) + 1];
    const write = next?.type === 'ExpressionStatement' ? unwrap(next.expression) : null;
    if (!next || write?.type !== 'CallExpression' || calleeName(write) !== 'write' || memberPath(unwrap(write.callee)?.object)?.join('.') !== path.join('.')) {
      throw new Declined('the statement after setContentType() does not write the prelude JSON');
    }
    if (write.arguments.length !== 1 || !isPreludeJson(facts, write.arguments[0], write)) throw new Declined('the first write after setContentType() is not JSON.stringify of the metadata');
    return {
      title: 'write the 8-byte NUL delimiter right after the prelude JSON',
      edits: [insertAfter(facts, next, [`${sourceOf(facts, stream!)}.write(new Uint8Array(8))`])],
    };
  }),
);

/** `JSON.stringify({ statusCode, headers, … })`, inline or as `const prelude = JSON.stringify(…)`. */
function isPreludeJson(facts: ModuleFacts, arg: Node, at: Node): boolean {
  let value = unwrap(arg);
  if (value?.type === 'Identifier') value = constInit(facts, value.name, at);
  if (value?.type !== 'CallExpression' || memberPath(value.callee)?.join('.') !== 'JSON.stringify') return false;
  const object = unwrap(value.arguments[0]);
  return object?.type === 'ObjectExpression' && object.properties.some((p: Node) => PRELUDE_KEYS.has(propertyKey(p) ?? ''));
}
