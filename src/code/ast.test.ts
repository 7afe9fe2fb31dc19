/**
 * walk(): the indexed walk over a parsed program (built on the program's first walk) visits exactly what the
 * plain traversal visits, in the same order, with the same parents and the same skipped subtrees.
 */
import { describe, expect, it } from 'vitest';
import { children, isFunction, walk, walkWithEnclosingFunction, type Node } from './ast.js';
import { parseModule } from './facts.js';

const SOURCE = `
import { pipeline } from 'node:stream/promises';
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { a: 'b' } });
  for (const x of [1, 2, 3]) if (x > 1) stream.write(String(x)); else continue;
  await pipeline(source(event), stream);
  return () => { class A { m() { return function inner() { return 1; }; } } return new A(); };
});
function source(event) { return event.body ?? (() => 'x')(); }
`;

/** The traversal walk() replaced: children collected at every node, a stack of [node, parent]. */
function reference(root: Node, visit: (node: Node, parent: Node | null) => boolean | void): void {
  const stack: Array<[Node, Node | null]> = [[root, null]];
  while (stack.length > 0) {
    const [node, parent] = stack.pop()!;
    if (visit(node, parent) === false) continue;
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i]!, node]);
  }
}

/** What a walk visits: "type@start<parent type@start", and where it skipped. */
function trace(walker: typeof walk, root: Node, skip: (node: Node) => boolean): string[] {
  const seen: string[] = [];
  walker(root, (node, parent) => {
    seen.push(`${node.type}@${node.start}<${parent ? `${parent.type}@${parent.start}` : 'null'}`);
    return !skip(node);
  });
  return seen;
}

describe('walk', () => {
  const program = parseModule('handler.mjs', SOURCE);
  const functions: Node[] = [];
  reference(program, (node) => {
    if (isFunction(node)) functions.push(node);
  });

  it('visits a subtree walked before its program the same way as after (the first is not indexed, the second is)', () => {
    const fresh = parseModule('handler.mjs', SOURCE);
    const arrow: Node[] = [];
    reference(fresh, (node) => {
      if (node.type === 'ArrowFunctionExpression' && arrow.length === 0) arrow.push(node);
    });
    const before = trace(walk, arrow[0]!, () => false);
    trace(walk, fresh, () => false); // indexes the program
    expect(trace(walk, arrow[0]!, () => false)).toEqual(before);
    expect(before.length).toBeGreaterThan(40);
    expect(before[0]).toMatch(/^ArrowFunctionExpression@\d+<null$/);
  });

  it.each([
    ['nothing skipped', () => false],
    ['functions skipped', (node: Node) => isFunction(node)],
    ['calls skipped', (node: Node) => node.type === 'CallExpression'],
    ['the program skipped', (node: Node) => node.type === 'Program'],
  ])('visits a program exactly as the plain traversal does: %s', (_name, skip) => {
    const expected = trace(reference, program, skip);
    expect(trace(walk, program, skip)).toEqual(expected);
    expect(trace(walk, program, skip)).toEqual(expected); // the second walk reuses the index
  });

  it('visits every function subtree as the plain traversal does, with null as the root parent', () => {
    expect(functions.length).toBe(6); // the handler, the returned arrow, m, inner, source, the IIFE
    for (const fn of functions) {
      expect(trace(walk, fn, (node) => node.type === 'ReturnStatement')).toEqual(trace(reference, fn, (node) => node.type === 'ReturnStatement'));
      expect(trace(walk, fn.body, () => false)[0]).toMatch(/<null$/);
    }
  });

  it('visits a program above the index size limit (256 KB of source, walked without an index) the same way', () => {
    const big = parseModule('bundle.js', `${SOURCE}\n${'const filler = [1, 2, 3].map((x) => x * 2);\n'.repeat(6000)}`);
    expect(big.end).toBeGreaterThan(256 * 1024);
    const skip = (node: Node) => node.type === 'ArrowFunctionExpression';
    expect(trace(walk, big, skip)).toEqual(trace(reference, big, skip));
  });

  it('walks a node that belongs to no parsed program (built by the analysis)', () => {
    const built: Node = { type: 'CallExpression', start: 0, end: 1, callee: { type: 'Identifier', start: 0, end: 1, name: 'f' }, arguments: [] };
    expect(trace(walk, built, () => false)).toEqual(['CallExpression@0<null', 'Identifier@0<CallExpression@0']);
  });

  it('walkWithEnclosingFunction gives each node its nearest enclosing function, or the root, indexed or not', () => {
    const label = (node: Node) => `${node.type}@${node.start}`;
    const expected: string[] = [];
    const enclosing = new Map<Node, Node>();
    reference(program, (node, parent) => {
      const above = parent ? (isFunction(parent) ? parent : enclosing.get(parent)!) : program;
      enclosing.set(node, above);
      expected.push(`${label(node)} in ${label(above)}`);
    });
    const seen = (root: Node) => {
      const out: string[] = [];
      walkWithEnclosingFunction(root, (node, fn) => out.push(`${label(node)} in ${label(fn)}`));
      return out;
    };
    expect(seen(program)).toEqual(expected);
    expect(expected.filter((line) => !line.endsWith(`in ${label(program)}`)).length).toBeGreaterThan(40);
    // A subtree of a program never walked (not indexed yet), then of the same program once indexed.
    const fresh = parseModule('handler.mjs', SOURCE);
    const handlers: Node[] = [];
    reference(fresh, (node) => {
      if (node.type === 'ArrowFunctionExpression' && handlers.length === 0) handlers.push(node);
    });
    const before = seen(handlers[0]!);
    walk(fresh, () => undefined);
    expect(seen(handlers[0]!)).toEqual(before);
    expect(before[0]).toBe(`${label(handlers[0]!)} in ${label(handlers[0]!)}`);
    expect(before.some((line) => line.startsWith('FunctionExpression') && line.endsWith(`in ${label(handlers[0]!)}`))).toBe(false);
  });
});

