import { defineCodeRule } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { isFunction, propertyName, unwrap, walk } from '../../code/ast.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

const BUFFERING = new Set(['text', 'arrayBuffer', 'blob', 'json']);

export const bufferedNotStreamed = defineCodeRule({
  meta: {
    id: 'buffered-not-streamed',
    category: 'metadata',
    severity: 'info',
    title: 'A streamed response is read into memory before it is written',
    consequence: 'await res.text()/arrayBuffer() buffers the whole body: no time-to-first-byte benefit, and memory spikes on large bodies.',
    evidence: 'Bug class "buffered, not streamed" (docs/runtime-behaviour.md).',
    fixable: false,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    readWhole: '`{{read}}` reads the whole body into memory before it is written to the response stream: nothing is streamed until it is complete.',
  },
  check(facts, report) {
    const add = (fnName: string, node: Node) =>
      report({
        messageId: 'readWhole',
        data: { read: snippet(facts, node) },
        start: node.start,
        end: node.end,
        fix: 'Pipe the body instead: `await pipeline(Readable.fromWeb(res.body), stream)` (after write("") when metadata is set).',
        key: `${fnName}:${snippet(facts, node, 40)}`,
      });
    const written = new Set<string>();
    for (const { fn, call } of streamCallsOf(facts, ['write', 'end'])) {
      const arg = unwrap(call.args[0]);
      if (arg?.type === 'Identifier') written.add(arg.name);
      // stream.write(await res.text()), stream.write(Buffer.from(await res.arrayBuffer()))
      const buffering = arg && bufferingRead(arg);
      if (buffering) add(fn.name, buffering);
    }
    for (const fn of facts.functions) {
      for (const visited of fn.flow.visited) {
        walk(visited.body, (node) => {
          if (node.type !== 'VariableDeclarator' || node.id?.type !== 'Identifier' || !written.has(node.id.name)) return true;
          const buffering = node.init && bufferingRead(node.init);
          if (buffering) add(fn.name, buffering);
          return true;
        });
      }
    }
  },
});

/** An `await x.text()` / `arrayBuffer()` / `blob()` / `json()` inside the expression (not in nested functions). */
function bufferingRead(expression: Node): Node | null {
  let found: Node | null = null;
  walk(expression, (node) => {
    if (found || isFunction(node)) return false;
    if (node.type === 'AwaitExpression') {
      const call = unwrap(node.argument);
      const callee = call?.type === 'CallExpression' ? unwrap(call.callee) : null;
      if (callee?.type === 'MemberExpression' && BUFFERING.has(propertyName(callee) ?? '')) found = node;
    }
    return true;
  });
  return found;
}
