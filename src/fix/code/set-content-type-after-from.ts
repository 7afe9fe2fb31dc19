import { metadataShape } from '../../code/rule-support.js';
import { setContentTypeAfterFrom } from '../../checks/code/set-content-type-after-from.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, enclosingStatement, insertProperty, parentOf, quoted, removeStatement, sourceOf, statementListOf } from '../ast-support.js';
import { declining, isPure, ownedByPrelude, readableAt } from './metadata-support.js';

/**
 * Moves the type into the metadata: `stream.setContentType(type)` is removed and `"content-type": type` is
 * added to the headers literal passed to from() (or `headers: { "content-type": type }` to the metadata).
 * Only when setContentType() runs on every path through that from() (same block, after it), its argument
 * has no side effects and can be read where the metadata is built, and the metadata names no content-type
 * yet. A setContentType() under a condition, or on a stream from a helper's from(), is left to the user.
 */
export const setContentTypeAfterFromFixer = defineCodeFixer(setContentTypeAfterFrom, (problem, facts) => {
  const { at: call, from } = problem.payload;
  if (!from) return null;
  return declining(() => {
    const value = call.arguments[0];
    if (call.arguments.length !== 1 || value.type === 'SpreadElement') throw new Declined('setContentType() does not have one argument');
    const statement = parentOf(facts, call);
    const list = statement?.type === 'ExpressionStatement' ? statementListOf(facts, statement) : null;
    const fromHolder = enclosingStatement(facts, from);
    if (!statement || !list || !fromHolder || !list.includes(fromHolder.statement) || fromHolder.statement.start > statement.start) {
      throw new Declined('setContentType() does not run on every path through its from() (a condition, or from() in a helper)');
    }
    if (!isPure(value)) throw new Declined('the content type expression may have side effects');
    if (!readableAt(facts, value, fromHolder.statement.start)) throw new Declined('the content type is computed after from()');
    const shape = metadataShape(facts, from);
    if (!shape) throw new Declined('the metadata is not an object literal');
    if (shape.headerKeys.has('content-type')) throw new Declined('the metadata headers already name a content-type');
    const entry = `${quoted(facts, 'content-type')}: ${sourceOf(facts, value)}`;
    let edits;
    if (shape.headers) {
      if (shape.headers.type !== 'ObjectExpression') throw new Declined('the metadata headers are not an object literal');
      if (!ownedByPrelude(facts, shape.headers, from)) throw new Declined('the headers object is used elsewhere too');
      edits = insertProperty(facts, shape.headers, entry);
    } else {
      if (shape.keys.has('headers') || shape.hasSpread) throw new Declined('the metadata may get its headers elsewhere');
      if (!ownedByPrelude(facts, shape.object, from)) throw new Declined('the metadata object is used elsewhere too');
      edits = insertProperty(facts, shape.object, `headers: { ${entry} }`);
    }
    return { title: 'move the content type into the metadata headers and remove setContentType()', edits: [...edits, removeStatement(facts, statement)] };
  });
});
