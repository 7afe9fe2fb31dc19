/** AST lookups fixers share: the ancestors of a node, the statement that holds it, source text of nodes. */
import type { Node } from '../code/ast.js';
import { children } from '../code/ast.js';
import type { ModuleFacts } from '../code/facts.js';

/** The chain from the program down to `target` (inclusive), or [] when the node is not in the program. */
export function ancestorsOf(program: Node, target: Node): Node[] {
  const path: Node[] = [];
  let current: Node | undefined = program;
  while (current) {
    path.push(current);
    if (current === target) return path;
    // Descend into the child whose range holds the target (ranges nest in an ESTree AST).
    current = children(current).find((child) => child === target || (child.start <= target.start && target.end <= child.end && child.end - child.start >= target.end - target.start));
  }
  return [];
}

const STATEMENT_LISTS = new Set(['Program', 'BlockStatement', 'StaticBlock']);

/**
 * The statement in a statement list (a block, the program, a switch case) that holds `node`, with its list
 * parent; null when the node lives where no statement can be inserted (an arrow's expression body).
 */
export function enclosingStatement(facts: ModuleFacts, node: Node): { statement: Node; parent: Node } | null {
  const chain = ancestorsOf(facts.program, node);
  for (let i = chain.length - 1; i > 0; i--) {
    const parent = chain[i - 1];
    if (STATEMENT_LISTS.has(parent.type) || parent.type === 'SwitchCase') {
      const statement = chain[i];
      if (parent.type === 'SwitchCase' && parent.test === statement) continue;
      return { statement, parent };
    }
    if (parent.type === 'ArrowFunctionExpression' && parent.body === chain[i] && parent.expression) return null;
  }
  return null;
}

export function sourceOf(facts: ModuleFacts, node: Node): string {
  return facts.text.slice(node.start, node.end);
}

/** The quote the file prefers for string literals. */
export function quoteOf(text: string): '"' | "'" {
  const single = (text.match(/'[^'\n]*'/g) ?? []).length;
  const double = (text.match(/"[^"\n]*"/g) ?? []).length;
  return single > double ? "'" : '"';
}
