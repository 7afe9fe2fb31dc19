import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, snippet } from '../../code/rule-support.js';

export const eventLoopKeepsInvocationAlive: CodeRule = {
  meta: {
    id: 'event-loop-keeps-invocation-alive',
    surface: 'code',
    category: 'lifecycle',
    severity: 'warning',
    title: 'Streaming handler with module-scope pools or timers, and callbackWaitsForEmptyEventLoop left on',
    consequence:
      'On nodejs18.x/20.x/22.x the runtime honours callbackWaitsForEmptyEventLoop (default true) for streaming handlers: the client already has the whole response, but the invocation runs until the timeout (REPORT Duration = timeout, Status: timeout) and concurrency is held. nodejs24.x does not wait.',
    evidence: `Runtime behaviour f/f′: 3.x StreamingContext waits for beforeExit; 4.x removed the flag (${RUNTIME_EVIDENCE}); opennextjs-aws PR #487; seed 000.`,
    fixable: true,
    onlyRuntime: '3.x',
    triggers: ['streamifyResponse', 'responseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    const handlers = facts.functions.filter((f) => f.role === 'handler');
    if (handlers.length === 0 || facts.disablesEventLoopWait) return reports;
    for (const handle of facts.moduleHandles) {
      reports.push({
        start: handle.node.start,
        end: handle.node.end,
        message: `\`${snippet(facts, handle.node)}\` opens ${handle.what} at module scope while \`${handlers[0].name}\` streams its response: on nodejs18.x/20.x/22.x every invocation then runs until the function timeout after the response was sent, because the event loop never empties.`,
        fix: 'Set `context.callbackWaitsForEmptyEventLoop = false` at the top of the streamified handler (or close the handle before returning).',
        key: `${handlers[0].name}:${snippet(facts, handle.node, 40)}`,
      });
    }
    return reports;
  },
};
