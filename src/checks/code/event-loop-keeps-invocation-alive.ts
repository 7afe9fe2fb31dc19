import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { StreamFunctionFacts } from '../../code/facts.js';
import { RUNTIME_EVIDENCE, snippet } from '../../code/rule-support.js';

export const eventLoopKeepsInvocationAlive = defineCodeRule({
  meta: {
    id: 'event-loop-keeps-invocation-alive',
    category: 'lifecycle',
    severity: 'warning',
    title: 'Streaming handler with module-scope pools or timers, and callbackWaitsForEmptyEventLoop left on',
    consequence:
      'On nodejs18.x/20.x/22.x the runtime honours callbackWaitsForEmptyEventLoop (default true) for streaming handlers: the client already has the whole response, but the invocation runs until the timeout (REPORT Duration = timeout, Status: timeout) and concurrency is held. nodejs24.x does not wait.',
    evidence: `Runtime behaviour f/f′: 3.x StreamingContext waits for beforeExit; 4.x removed the flag (${RUNTIME_EVIDENCE}); opennextjs-aws PR #487; a user report (20 s durations on every invocation).`,
    fixable: true,
    onlyRuntime: '3.x',
    triggers: ['streamifyResponse', 'responseStream'],
  },
  messages: {
    moduleHandle:
      '`{{handle}}` opens {{what}} at module scope while `{{handler}}` streams its response: on nodejs18.x/20.x/22.x every invocation then runs until the function timeout after the response was sent, because the event loop never empties.',
  },
  /** The module's streamified handlers: the flag is module-wide, so the fixer sets it in every one. */
  payload: payloadType<{ handlers: StreamFunctionFacts[] }>(),
  check(facts, report) {
    const handlers = facts.functions.filter((f) => f.role === 'handler');
    if (handlers.length === 0 || facts.disablesEventLoopWait) return;
    for (const handle of facts.moduleHandles) {
      report({
        messageId: 'moduleHandle',
        data: { handle: snippet(facts, handle.node), what: handle.what, handler: handlers[0].name },
        start: handle.node.start,
        end: handle.node.end,
        fix: 'Set `context.callbackWaitsForEmptyEventLoop = false` at the top of the streamified handler (or close the handle before returning), and await your background work: with the flag off (and on nodejs24.x always) Lambda no longer waits for unresolved promises once the response ends.',
        key: `${handlers[0].name}:${snippet(facts, handle.node, 40)}`,
        payload: { handlers },
      });
    }
  },
});
