import type { Node } from '../../code/ast.js';
import { memberPath, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { streamCallsOf } from '../../code/rule-support.js';
import { bodyInPrelude } from '../../checks/code/body-in-prelude.js';
import type { ProposedFix } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, enclosingStatement, freshName, insertBefore, removeProperty, sourceOf } from '../ast-support.js';
import { declining, isPure, ownedByPrelude } from './metadata-support.js';

/**
 * Takes the body out of the metadata when the handler streams that same body after from():
 * - `from(stream, result)` / `{ ...result, cookies }`: `const { body: _body, ...metadata } = result;` goes
 *   before the statement and `metadata` replaces `result` there;
 * - a `body: result.body` property is removed.
 * When nothing writes the body, removing it from the prelude would hide that the body is never sent: the
 * fixer declines and says what to write.
 */
export const bodyInPreludeFixer = defineCodeFixer(bodyInPrelude, (problem, facts) =>
  declining(() => {
    const found = problem.payload;
    return found.kind === 'property' ? dropBodyProperty(facts, found.call, found.object, found.property) : splitOff(facts, found.call, found.source);
  }),
);

/** The stream is written `<name>.body` (write/end argument, pipeline or pipe source) after from(). */
function streamsBody(facts: ModuleFacts, call: Node, name: string): boolean {
  const readsBody = (root: Node) => {
    let found = false;
    walk(root, (inner) => {
      if (memberPath(inner)?.join('.') === `${name}.body`) found = true;
      return !found;
    });
    return found;
  };
  const after = (node: Node) => node.start >= call.end;
  if (streamCallsOf(facts, ['write', 'end']).some(({ call: c }) => after(c.call) && c.args.some(readsBody))) return true;
  return facts.functions.some((fn) => fn.flow.pipeCalls.some((p) => after(p.call) && p.sources.some(readsBody)));
}

function notStreamed(name: string): Declined {
  return new Declined(`nothing writes \`${name}.body\` to the stream after from(), so removing it from the prelude would hide that the body is never sent; write it (decoded when isBase64Encoded) after from() and drop it from the metadata`);
}

/** `from(s, result)` or `{ ...result }`: destructure the body off into a fresh name before the statement. */
function splitOff(facts: ModuleFacts, call: Node, source: Node): ProposedFix {
  const name = source.name as string;
  if (!streamsBody(facts, call, name)) throw notStreamed(name);
  const holder = enclosingStatement(facts, call);
  if (!holder) throw new Declined('from() is not inside a statement block');
  let reassigned = false;
  walk(holder.statement, (node) => {
    if ((node.type === 'AssignmentExpression' && unwrap(node.left)?.type === 'Identifier' && unwrap(node.left)!.name === name) || (node.type === 'UpdateExpression' && unwrap(node.argument)?.name === name)) reassigned = true;
    return !reassigned;
  });
  if (reassigned) throw new Declined(`\`${name}\` is reassigned in the same statement`);
  const metadata = freshName(facts, ['metadata', `${name}Metadata`]);
  const body = freshName(facts, ['_body']);
  return {
    title: `destructure body off ${name} and pass the rest as the metadata`,
    edits: [insertBefore(facts, holder.statement, [`const { body: ${body}, ...${metadata} } = ${name}`], { aboveComments: true }), { start: source.start, end: source.end, text: metadata }],
  };
}

/** `body: result.body` in the metadata literal, with `result.body` streamed afterwards: remove it. */
function dropBodyProperty(facts: ModuleFacts, call: Node, object: Node, property: Node): ProposedFix {
  if (property.type !== 'Property') throw new Declined('the body is assigned separately');
  const value = unwrap(property.value);
  // `result.body`, `result.body ?? ""`
  const core = value?.type === 'LogicalExpression' ? unwrap(value.left) : value;
  const path = memberPath(core);
  if (!path || path.length !== 2 || path[1] !== 'body') throw new Declined(`the body value \`${sourceOf(facts, property.value)}\` is not \`result.body\``);
  if (!isPure(value)) throw new Declined('the body value may have side effects');
  if (!streamsBody(facts, call, path[0])) throw notStreamed(path[0]);
  if (!ownedByPrelude(facts, object, call)) throw new Declined('the metadata object is used elsewhere too');
  return { title: 'remove body from the metadata (it is streamed after from())', edits: [removeProperty(facts, object, property)] };
}
