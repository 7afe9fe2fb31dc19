import { defineCodeRule } from '../../model/rule.js';
import { cancellationIn, snippet, streamCallsOf } from '../../code/rule-support.js';
import { stringValue } from '../../code/ast.js';

export const clientDisconnectUnobservable = defineCodeRule({
  meta: {
    id: 'client-disconnect-unobservable',
    category: 'lifecycle',
    severity: 'warning',
    title: "A streaming handler stops its work on the response stream's 'close' event, which a client disconnect never fires",
    consequence:
      "The stream's events belong to the runtime's request to the local Runtime API, not to the client connection: when the client goes away nothing is signalled, so the loop, interval or model call the listener would stop runs on (billed) until it ends by itself or the function times out.",
    evidence:
      'aws-lambda-ric 4.0.2 index.mjs:646-699 (on/once/emit bound to the http.ClientRequest to the Runtime API), :782-785 (only RAPID\'s reply "aborted" destroys it); 3.3.0 dist/index.mjs:241-257,358; RIE directinvoke.go:294-345 (cancels only on reset); AWS Lambda guide (response streaming, zh-CN): a broken client connection does not interrupt the function and the full duration is billed; aws-lambda-nodejs-runtime-interface-client#145.',
    fixable: false,
    triggers: ['close'],
  },
  messages: {
    cancelOnClose:
      "`{{call}}` stops work ({{cancels}}) when the response stream closes, but on Lambda 'close' fires only when your code ends the stream, never when the client disconnects: that work keeps running (billed) until it finishes or the function times out.",
  },
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts, ['on', 'once', 'addListener', 'prependListener', 'prependOnceListener'])) {
      if (stringValue(call.args[0]) !== 'close') continue;
      const cancels = cancellationIn(facts, call.args[1], call.call);
      if (!cancels) continue;
      report({
        messageId: 'cancelOnClose',
        data: { call: `${snippet(facts, call.call.callee, 40)}("close", …)`, cancels },
        start: call.call.start,
        end: call.call.end,
        fix: 'Bound the work on the server side: stop loops and intervals at a maximum duration or before `context.getRemainingTimeInMillis()` runs out, pass the model call an AbortSignal.timeout(...), and end the stream yourself.',
        key: `${fn.name}:close:${cancels}`,
      });
    }
  },
});
