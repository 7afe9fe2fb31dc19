import type { CodeRule, RuleReport } from '../../model/rule.js';
import { propertyName, unwrap, walk } from '../../code/ast.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

const BUFFERING = new Set(['text', 'arrayBuffer', 'blob', 'json']);

export const bufferedNotStreamed: CodeRule = {
  meta: {
    id: 'buffered-not-streamed',
    category: 'metadata',
    severity: 'info',
    title: 'A streamed response is read into memory before it is written',
    consequence: 'await res.text()/arrayBuffer() buffers the whole body: no time-to-first-byte benefit, and memory spikes on large bodies.',
    evidence: 'Bug class "buffered, not streamed" (docs/runtime-behaviour.md).',
    fixable: false,
    triggers: ['streamifyResponse', 'HttpResponseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    const written = new Set<string>();
    for (const { call } of streamCallsOf(facts, ['write', 'end'])) {
      const arg = unwrap(call.args[0]);
      if (arg?.type === 'Identifier') written.add(arg.name);
    }
    for (const fn of facts.functions) {
      for (const visited of fn.flow.visited) {
        walk(visited.body, (node) => {
          if (node.type !== 'VariableDeclarator' || node.id?.type !== 'Identifier' || !written.has(node.id.name)) return true;
          const init = unwrap(node.init);
          const call = init?.type === 'AwaitExpression' ? unwrap(init.argument) : null;
          const callee = call?.type === 'CallExpression' ? unwrap(call.callee) : null;
          if (callee?.type === 'MemberExpression' && BUFFERING.has(propertyName(callee) ?? '')) {
            reports.push({
              start: init!.start,
              end: init!.end,
              message: `\`${snippet(facts, init)}\` reads the whole body into memory before it is written to the response stream: nothing is streamed until it is complete.`,
              fix: 'Pipe the body instead: `await pipeline(Readable.fromWeb(res.body), stream)` (after write("") when metadata is set).',
              key: `${fn.name}:${snippet(facts, init, 40)}`,
            });
          }
          return true;
        });
      }
    }
    return reports;
  },
};
