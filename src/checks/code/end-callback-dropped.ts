import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { StreamCall } from '../../code/stream-flow.js';
import { isFunction, stringValue, unwrap } from '../../code/ast.js';
import { RUNTIME_EVIDENCE, snippet, streamCallsOf } from '../../code/rule-support.js';

export const endCallbackDropped = defineCodeRule({
  meta: {
    id: 'end-callback-dropped',
    category: 'lifecycle',
    severity: 'warning',
    title: 'end(data, callback): the callback never fires on nodejs18.x/20.x/22.x',
    consequence:
      'The 3.x runtime overrides end() and passes on only its first argument: the callback is dropped, code awaiting it never runs, and with open handles the invocation hangs to the timeout. nodejs24.x is not affected.',
    evidence: `Runtime behaviour c″: 3.x src/ResponseStream.js req.end = function (cb) { origEnd(cb) } (${RUNTIME_EVIDENCE}).`,
    fixable: true,
    onlyRuntime: '3.x',
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    callbackDropped:
      '`{{call}}`: on nodejs18.x/20.x/22.x the runtime drops every end() argument after the first, so this callback never runs (and anything awaiting it waits until the timeout).',
  },
  /** The end(data, callback) call the fixer splits into write(data) and end(callback). */
  payload: payloadType<StreamCall>(),
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts, ['end'])) {
      if (call.args.length < 2) continue;
      const last = unwrap(call.args[call.args.length - 1]);
      if (!last || stringValue(last) !== null) continue;
      if (!isFunction(last) && last.type !== 'Identifier' && last.type !== 'MemberExpression') continue;
      report({
        messageId: 'callbackDropped',
        data: { call: snippet(facts, call.call) },
        start: call.call.start,
        end: call.call.end,
        fix: 'Write the data, then end with the callback only: `stream.write(data); stream.end(callback);`.',
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
        payload: call,
      });
    }
  },
});
