/**
 * Small helpers over the ESTree AST that oxc-parser produces. We keep our own minimal node type
 * instead of importing oxc's generated types: the analysis reads a handful of fields and must
 * tolerate the shapes of minified bundles, TypeScript and JSX alike.
 */

export interface Node {
  type: string;
  start: number;
  end: number;
  [key: string]: any;
}

export type FunctionNode = Node & {
  type: 'FunctionDeclaration' | 'FunctionExpression' | 'ArrowFunctionExpression';
  params: Node[];
  body: Node;
  async: boolean;
};

export function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string';
}

export function isFunction(node: Node | null | undefined): node is FunctionNode {
  return (
    !!node &&
    (node.type === 'FunctionDeclaration' ||
      node.type === 'FunctionExpression' ||
      node.type === 'ArrowFunctionExpression')
  );
}

const SKIP_KEYS = new Set(['type', 'start', 'end', 'typeAnnotation', 'returnType', 'typeParameters', 'decorators']);

/** Direct child nodes, in source order. */
export function children(node: Node): Node[] {
  const out: Node[] = [];
  for (const key in node) {
    if (SKIP_KEYS.has(key)) continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) out.push(item);
    } else if (isNode(value)) {
      out.push(value);
    }
  }
  return out;
}

/**
 * A tree in preorder, built once per parsed program (up to MAX_INDEXED_PROGRAM): every later walk over the
 * program or one of its subtrees is a loop over these arrays instead of a new traversal. A module's analysis
 * walks its program and its functions 20-30 times (facts, flow, rules). Re-collecting each node's children with
 * `for…in` every time was a quarter of a warm analysis, and in a scan's short run V8 compiled those traversal
 * loops again and again on its background threads, beside the two threads doing the work: the bench tree's scan
 * is 3.5 % faster with the index (docs/performance.md, "Fourth pass").
 */
interface TreeIndex {
  nodes: Node[];
  /** parentAt[i]: the index of node i's parent, -1 for the root. */
  parentAt: Int32Array;
  /** endAt[i]: the index just past the last node of node i's subtree. */
  endAt: Int32Array;
  position: Map<Node, number>;
}

/** Programs' indexes, and the most recent ones first for subtree walks (whose program is not known). */
const indexByProgram = new WeakMap<Node, TreeIndex>();
let recentIndexes: TreeIndex[] = [];
const RECENT_INDEXES = 2;
/**
 * Programs longer than this are walked without an index. The index's node map costs ≈ 20 MB per MB of source
 * (a 1.8 MB bundle: 215 -> 250 MB peak) and made such a bundle's analysis 5 % slower; what it saves, V8
 * optimising a traversal again and again, matters on the small modules a scan analyses while it starts.
 */
const MAX_INDEXED_PROGRAM = 256 * 1024;

function indexTree(root: Node): TreeIndex {
  const nodes: Node[] = [];
  const parents: number[] = [];
  const position = new Map<Node, number>();
  const pending: Node[] = [root];
  const pendingParent: number[] = [-1];
  while (pending.length > 0) {
    const node = pending.pop()!;
    const i = nodes.length;
    nodes.push(node);
    parents.push(pendingParent.pop()!);
    position.set(node, i);
    const kids = children(node);
    for (let k = kids.length - 1; k >= 0; k--) {
      pending.push(kids[k]!);
      pendingParent.push(i);
    }
  }
  const parentAt = Int32Array.from(parents);
  const endAt = new Int32Array(nodes.length);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (endAt[i] === 0) endAt[i] = i + 1;
    const p = parentAt[i]!;
    if (p >= 0 && endAt[i]! > endAt[p]!) endAt[p] = endAt[i]!;
  }
  return { nodes, parentAt, endAt, position };
}

/** The index that holds `root`, built when `root` is a program walked for the first time; null if none does. */
function treeIndexOf(root: Node): TreeIndex | null {
  for (const index of recentIndexes) if (index.position.has(root)) return index;
  if (root?.type !== 'Program' || root.end - root.start > MAX_INDEXED_PROGRAM) return null;
  let index = indexByProgram.get(root);
  if (!index) {
    index = indexTree(root);
    indexByProgram.set(root, index);
  }
  recentIndexes = [index, ...recentIndexes.filter((other) => other !== index)].slice(0, RECENT_INDEXES);
  return index;
}

/**
 * Depth-first walk, in source order. The visitor returns false to skip a node's children; the root's parent is
 * passed as null. Iterative, so deeply nested minified code cannot overflow the stack. The AST must not change
 * once its program has been walked (the analysis only reads it).
 */
export function walk(root: Node, visit: (node: Node, parent: Node | null) => boolean | void): void {
  const index = treeIndexOf(root);
  if (!index) {
    walkUnindexed(root, visit);
    return;
  }
  const { nodes, parentAt, endAt } = index;
  const start = index.position.get(root)!;
  const end = endAt[start]!;
  if (visit(root, null) === false) return;
  for (let i = start + 1; i < end; ) {
    if (visit(nodes[i]!, nodes[parentAt[i]!]!) === false) i = endAt[i]!;
    else i++;
  }
}

/**
 * Every node under `root` (itself included) in source order, each with its enclosing function: the nearest
 * function above it, or `root` when there is none. One pass over the program's index (a module's declarations
 * are collected this way: bundles hold tens of thousands of functions).
 */
export function walkWithEnclosingFunction(root: Node, visit: (node: Node, enclosing: Node) => void): void {
  const index = treeIndexOf(root);
  if (!index) {
    const stack: Array<[Node, Node]> = [[root, root]];
    while (stack.length > 0) {
      const [node, enclosing] = stack.pop()!;
      visit(node, enclosing);
      const inner = isFunction(node) ? node : enclosing;
      const kids = children(node);
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, inner]);
    }
    return;
  }
  const { nodes, endAt } = index;
  const start = index.position.get(root)!;
  const end = endAt[start]!;
  // The functions the current node lies in, innermost last, with where their subtrees end.
  const functions: Node[] = [root];
  const functionEnds: number[] = [end];
  for (let i = start; i < end; i++) {
    while (i >= functionEnds[functionEnds.length - 1]!) {
      functions.pop();
      functionEnds.pop();
    }
    const node = nodes[i]!;
    visit(node, functions[functions.length - 1]!);
    if (i !== start && isFunction(node)) {
      functions.push(node);
      functionEnds.push(endAt[i]!);
    }
  }
}

/** The walk over a tree that belongs to no indexed program (a node built by the analysis, a subtree walked first). */
function walkUnindexed(root: Node, visit: (node: Node, parent: Node | null) => boolean | void): void {
  const stack: Array<[Node, Node | null]> = [[root, null]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    if (visit(node, parent) === false) continue;
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, node]);
  }
}

/** Strips wrappers that do not change a value: parentheses, TS assertions, `await`-free chains. */
export function unwrap(node: Node | null | undefined): Node | null {
  let current = node ?? null;
  while (current) {
    switch (current.type) {
      case 'ParenthesizedExpression':
      case 'TSAsExpression':
      case 'TSSatisfiesExpression':
      case 'TSNonNullExpression':
      case 'TSTypeAssertion':
      case 'ChainExpression':
        current = current.expression;
        break;
      default:
        return current;
    }
  }
  return current;
}

/** Name of a non-computed member property or a computed string literal property. */
export function propertyName(member: Node): string | null {
  if (member.type !== 'MemberExpression') return null;
  const prop = member.property;
  if (!member.computed && prop.type === 'Identifier') return prop.name;
  if (!member.computed && prop.type === 'PrivateIdentifier') return null;
  if (member.computed && prop.type === 'Literal' && typeof prop.value === 'string') return prop.value;
  return null;
}

/** The key of an object literal property (`a: 1`, `'a': 1`), or null when computed or not a property. */
export function propertyKey(property: Node): string | null {
  if (property.type !== 'Property') return null;
  const key = property.key;
  if (!property.computed && key.type === 'Identifier') return key.name;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return null;
}

/** `a.b.c` -> ['a','b','c'] for plain member chains; null for anything else. */
export function memberPath(node: Node | null): string[] | null {
  const n = unwrap(node);
  if (!n) return null;
  if (n.type === 'Identifier') return [n.name];
  if (n.type === 'ThisExpression') return ['this'];
  if (n.type === 'MemberExpression') {
    const name = propertyName(n);
    if (name === null) return null;
    const base = memberPath(n.object);
    return base ? [...base, name] : null;
  }
  return null;
}

/** The last name of a callee: `foo` for `foo()`, `bar` for `a.b.bar()`. */
export function calleeName(call: Node): string | null {
  const callee = unwrap(call.callee);
  if (!callee) return null;
  if (callee.type === 'Identifier') return callee.name;
  if (callee.type === 'MemberExpression') return propertyName(callee);
  return null;
}

export function stringValue(node: Node | null | undefined): string | null {
  const n = unwrap(node);
  if (!n) return null;
  if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0]?.value?.cooked ?? null;
  return null;
}

/** Names bound by a pattern (params, declarations). */
export function patternNames(pattern: Node | null | undefined, out: string[] = []): string[] {
  if (!pattern) return out;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name);
      break;
    case 'AssignmentPattern':
      patternNames(pattern.left, out);
      break;
    case 'RestElement':
      patternNames(pattern.argument, out);
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements) patternNames(element, out);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties) {
        patternNames(property.type === 'RestElement' ? property : property.value, out);
      }
      break;
    case 'TSParameterProperty':
      patternNames(pattern.parameter, out);
      break;
    default:
      break;
  }
  return out;
}

/** Names declared directly in a function's own scope (params, var/let/const/function at any block depth, not nested functions). */
export function declaredNames(fn: FunctionNode): Set<string> {
  const names = new Set<string>();
  for (const param of fn.params) for (const name of patternNames(param)) names.add(name);
  const collect = (root: Node) =>
    walk(root, (node) => {
      if (node !== root && isFunction(node)) {
        if (node.type === 'FunctionDeclaration' && node.id) names.add(node.id.name);
        return false;
      }
      if (node.type === 'VariableDeclarator') for (const name of patternNames(node.id)) names.add(name);
      if (node.type === 'CatchClause' && node.param) for (const name of patternNames(node.param)) names.add(name);
      if (node.type === 'ClassDeclaration' && node.id) names.add(node.id.name);
      return true;
    });
  collect(fn.body);
  return names;
}

/** True when `root` contains an Identifier reference named `name` (not a property key). */
export function mentions(root: Node, names: Set<string>): boolean {
  let found = false;
  walk(root, (node, parent) => {
    if (found) return false;
    if (node.type === 'Identifier' && names.has(node.name)) {
      const isKey =
        parent &&
        ((parent.type === 'MemberExpression' && parent.property === node && !parent.computed) ||
          (parent.type === 'Property' && parent.key === node && !parent.computed && !parent.shorthand));
      if (!isKey) found = true;
    }
    return true;
  });
  return found;
}

/** Offsets -> 1-based line/column, for one file's text. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}
