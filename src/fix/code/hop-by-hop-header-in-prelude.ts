import type { Node } from '../../code/ast.js';
import { propertyKey, propertyName, stringValue, unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { hopByHopHeaderInPrelude } from '../../checks/code/hop-by-hop-header-in-prelude.js';
import type { ProposedFix } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, parentOf, removeProperty, removeStatement, statementListOf } from '../ast-support.js';
import { declining, isPure, ownedByPrelude } from './metadata-support.js';

/**
 * Drops the framing header the rule found:
 * - a property of the prelude's headers literal is removed with its comma (its line when it stands alone);
 * - `headers.set("transfer-encoding", …)` or `meta.headers["content-length"] = …` as a statement is removed,
 *   and so is an `if` around it that does nothing else (its test read-only).
 * Only when the value has no side effects and the headers literal is read by the prelude alone; otherwise a
 * suggestion. A copied Headers object is never reported, so never edited.
 */
export const hopByHopHeaderInPreludeFixer = defineCodeFixer(hopByHopHeaderInPrelude, (problem, facts) =>
  declining(() => {
    const site = problem.payload;
    if (site.kind === 'statement') return removeHeaderStatement(facts, site.node);
    const { call, headers, property } = site;
    const header = propertyKey(property)!.toLowerCase();
    if (!isPure(property.value)) throw new Declined(`the ${header} value may have side effects`);
    if (!ownedByPrelude(facts, headers, call)) throw new Declined('the headers object is used elsewhere too');
    return { title: `remove ${header} from the prelude headers`, edits: [removeProperty(facts, headers, property)] };
  }),
);

function removeHeaderStatement(facts: ModuleFacts, node: Node): ProposedFix {
  let header: string | null;
  if (node.type === 'CallExpression') {
    header = stringValue(node.arguments[0]);
    if (!isPure(unwrap(node.callee)?.object) || !node.arguments.every((a: Node) => a.type !== 'SpreadElement' && isPure(a))) {
      throw new Declined('the call has arguments with side effects');
    }
  } else {
    header = propertyName(node.left);
    if (node.operator !== '=' || !isPure(node.left.object) || !isPure(node.right)) throw new Declined('the assignment has side effects');
  }
  const statement = parentOf(facts, node);
  if (statement?.type !== 'ExpressionStatement') throw new Declined('the header is set inside a larger expression');
  const title = `remove the statement that puts ${header?.toLowerCase() ?? 'the header'} into the prelude headers`;
  // `if (!h["transfer-encoding"]) h["transfer-encoding"] = "chunked"`: the if does nothing else.
  const parent = parentOf(facts, statement);
  const guard =
    parent?.type === 'IfStatement' && parent.consequent === statement
      ? parent
      : parent?.type === 'BlockStatement' && parent.body.length === 1 && parentOf(facts, parent)?.type === 'IfStatement' && parentOf(facts, parent)!.consequent === parent
        ? parentOf(facts, parent)
        : null;
  if (guard) {
    if (guard.alternate || !isPure(guard.test) || !statementListOf(facts, guard)) throw new Declined('the statement is the body of an if that does more');
    return { title, edits: [removeStatement(facts, guard)] };
  }
  return { title, edits: [removeStatement(facts, statement)] };
}
