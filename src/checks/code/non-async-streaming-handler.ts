import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { StreamFunctionFacts } from '../../code/facts.js';
import type { Node } from '../../code/ast.js';
import { isFunction, unwrap, walk } from '../../code/ast.js';
import { RUNTIME_EVIDENCE } from '../../code/rule-support.js';

export const nonAsyncStreamingHandler = defineCodeRule({
  meta: {
    id: 'non-async-streaming-handler',
    category: 'lifecycle',
    severity: 'error',
    title: 'A non-async function is passed to streamifyResponse()',
    consequence:
      'The runtime fails the invocation with "Streaming does not support non-async handlers." and ends the stream; any later asynchronous write is a write-after-end that crashes the runtime.',
    evidence: `Runtime behaviour e″ (${RUNTIME_EVIDENCE}).`,
    fixable: true,
    triggers: ['streamifyResponse', 'responseStream'],
  },
  messages: {
    notAsync:
      'Streamified handler `{{name}}` is not async and returns no promise: Lambda fails every invocation with "Streaming does not support non-async handlers."',
  },
  /** The handler the fixer declares `async`. */
  payload: payloadType<StreamFunctionFacts>(),
  check(facts, report) {
    for (const fn of facts.functions) {
      if (fn.role !== 'handler' || fn.fn.async || fn.fn.generator) continue;
      if (returnsValue(fn.fn)) continue; // may return a promise (e.g. `return pipeline(...)`): quiet.
      report({
        messageId: 'notAsync',
        data: { name: fn.name },
        start: fn.fn.start,
        end: fn.fn.start + (fn.fn.type === 'ArrowFunctionExpression' ? 1 : 8),
        fix: 'Declare the handler `async`.',
        key: `${fn.name}:non-async`,
        payload: fn,
      });
    }
  },
});

function returnsValue(fn: Node): boolean {
  if (fn.body.type !== 'BlockStatement') {
    const body = unwrap(fn.body);
    return !!body && body.type !== 'Literal' && body.type !== 'ObjectExpression';
  }
  let found = false;
  walk(fn.body, (node) => {
    if (found || (node !== fn.body && isFunction(node))) return false;
    if (node.type === 'ReturnStatement' && node.argument) found = true;
    return true;
  });
  return found;
}
