import { defineCodeRule } from '../../model/rule.js';
import { stringValue } from '../../code/ast.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

export const drainWaitWithoutClose = defineCodeRule({
  meta: {
    id: 'drain-wait-without-close',
    category: 'lifecycle',
    severity: 'warning',
    title: 'Waiting for "drain" without also waiting for "close" or "error"',
    consequence: 'If the client disconnects, "drain" never fires: the handler waits forever and the invocation hangs until the timeout.',
    evidence: 'Node.js: a destroyed writable emits "close"/"error", never "drain"; bug class "drain wait without close/error" (docs/runtime-behaviour.md).',
    fixable: false,
    triggers: ['drain'],
  },
  messages: {
    drainOnly:
      "`{{call}}` waits for 'drain' only: if the client goes away the wait never ends and the invocation hangs until the timeout.",
  },
  check(facts, report) {
    const calls = streamCallsOf(facts, ['on', 'once', 'addListener']);
    const waitsFor = (event: string) => calls.some(({ call }) => stringValue(call.args[0]) === event);
    if (waitsFor('close') || waitsFor('error')) return;
    for (const { fn, call } of calls) {
      if (stringValue(call.args[0]) !== 'drain') continue;
      // `stream.on("drain", done).on("close", done)`: the chained listeners are on the same stream.
      const restOfStatement = /^[^;\n]*/.exec(facts.text.slice(call.call.end))![0];
      if (/\.\s*(?:on|once|addListener)\(\s*['"`](?:close|error)['"`]/.test(restOfStatement)) continue;
      report({
        messageId: 'drainOnly',
        data: { call: snippet(facts, call.call) },
        start: call.call.start,
        end: call.call.end,
        fix: "Wait for 'drain', 'close' or 'error', whichever comes first (e.g. Promise.race of events.once).",
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
      });
    }
  },
});
