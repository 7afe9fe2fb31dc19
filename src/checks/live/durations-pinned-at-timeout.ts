import { defineLiveRule, type LiveContext, type MessageChoice } from '../../model/rule.js';
import { describe } from '../../iac/deployment-support.js';
import { eventLoopKeepsInvocationAlive } from '../code/event-loop-keeps-invocation-alive.js';
import { HANG_RULES, packagePath, pinnedAtTimeout, runtimeOf, seconds, timeoutOf, waitsForEmptyEventLoop } from './support.js';

/** One message per likely cause; the counts and the window are shared. */
const messages = {
  hangingCodePath:
    '{{count}} of {{of}} invocations of {{function}} in the last {{window}} lasted the full {{timeout}} timeout{{statusTimeouts}}: the deployed code leaves the stream open on some path ({{ruleId}} at {{file}}:{{line}}), so the runtime waits for an end() that never comes.',
  eventLoopWait:
    '{{count}} of {{of}} invocations of {{function}} in the last {{window}} lasted the full {{timeout}} timeout{{statusTimeouts}}: the handler is streamified on {{runtime}}: the stream ends, but the runtime waits for the event loop to empty before taking the next invocation.{{responsesSent}}',
  eventLoopWaitWithHandles:
    '{{count}} of {{of}} invocations of {{function}} in the last {{window}} lasted the full {{timeout}} timeout{{statusTimeouts}}: the handler is streamified on {{runtime}} and opens {{handles}} at module scope: the stream ends, but the runtime waits for the event loop to empty before taking the next invocation.{{responsesSent}}',
  waitedAfterResponse:
    '{{count}} of {{of}} invocations of {{function}} in the last {{window}} lasted the full {{timeout}} timeout{{statusTimeouts}}: {{sent}} of them had already sent response bytes (platform.runtimeDone): the runtime kept waiting after the response, the signature of an event loop that never empties on {{runtime}}.',
  noCauseFound:
    '{{count}} of {{of}} invocations of {{function}} in the last {{window}} lasted the full {{timeout}} timeout{{statusTimeouts}}: no cause was found in the deployed code; the handler or an upstream call (database, model API, fetch without a timeout) does not finish in time.',
  codeNotChecked:
    '{{count}} of {{of}} invocations of {{function}} in the last {{window}} lasted the full {{timeout}} timeout{{statusTimeouts}}: the deployed code was not checked; the handler or an upstream call (database, model API, fetch without a timeout) does not finish in time.',
} as const;

/** The data every message shares: the counts, the window, the timeout. */
type Shared = Record<'count' | 'of' | 'function' | 'window' | 'timeout' | 'statusTimeouts', string | number>;

/**
 * The REPORT lines say it: a share of invocations lasted exactly the configured timeout. The rule joins
 * that with what the deployed code shows to name the likely cause, most specific first.
 */
export const durationsPinnedAtTimeout = defineLiveRule({
  meta: {
    id: 'durations-pinned-at-timeout',
    category: 'live',
    severity: 'error',
    title: 'Invocations last exactly the configured timeout (the stream or the event loop never lets go)',
    consequence:
      'Every such invocation is billed for the whole timeout, holds one unit of concurrency until then (429s once they pile up), and resets the execution environment (a cold start follows).',
    evidence:
      'REPORT lines with Status: timeout or Duration within 1 % of the timeout (aws.md §4.2); runtime behaviour: a stream never ended hangs to the timeout, and the 3.x runtime waits for an empty event loop after a streaming response (runtime.md; OpenNext #487; a user report: 20000 ms durations).',
    fixable: false,
  },
  messages,
  check(context, report) {
    const pinned = pinnedAtTimeout(context);
    const timeout = timeoutOf(context);
    if (!pinned || timeout === undefined) return;
    const d = context.deployment;
    const shared = {
      count: pinned.count,
      of: pinned.of,
      function: describe(d),
      window: context.window,
      timeout: seconds(timeout),
      statusTimeouts: context.logs?.timeouts ? ` (${context.logs.timeouts} with Status: timeout)` : '',
    };
    report({
      ...likelyCause(context, shared),
      at: d.timeout && 'at' in d.timeout ? d.timeout.at : d.at,
      key: `${d.name}:pinned-at-timeout`,
    });
  },
});

/** The likely cause, most specific first: its message and the next step. */
function likelyCause(context: LiveContext, shared: Shared): MessageChoice<typeof messages> & { fix: string } {
  const hang = context.codeFindings.find((f) => HANG_RULES.has(f.ruleId) && f.ruleId !== eventLoopKeepsInvocationAlive.meta.id);
  if (hang) {
    return {
      messageId: 'hangingCodePath',
      data: { ...shared, ruleId: hang.ruleId, file: packagePath(hang.file), line: hang.line },
      fix: `End the stream on every path (see \`stream-doctor explain ${hang.ruleId}\`), then redeploy.`,
    };
  }
  const handler = context.handler;
  const runtime = runtimeOf(context) ?? 'its runtime';
  if (waitsForEmptyEventLoop(context) && handler?.streaming && !handler.disablesEventLoopWait) {
    const sent = context.logs?.producedBytesBeforeTimeout;
    const responsesSent = sent ? ` The JSON platform logs show ${sent} of them had already sent their response.` : '';
    const fix = 'Set `context.callbackWaitsForEmptyEventLoop = false` at the top of the streaming handler (or close/unref the pools and timers), or move to nodejs24.x, which does not wait.';
    if (handler.moduleHandles.length) {
      return { messageId: 'eventLoopWaitWithHandles', data: { ...shared, runtime, handles: handler.moduleHandles.slice(0, 3).join(', '), responsesSent }, fix };
    }
    return { messageId: 'eventLoopWait', data: { ...shared, runtime, responsesSent }, fix };
  }
  if (context.logs?.producedBytesBeforeTimeout) {
    return {
      messageId: 'waitedAfterResponse',
      data: { ...shared, sent: context.logs.producedBytesBeforeTimeout, runtime },
      fix: 'Set `context.callbackWaitsForEmptyEventLoop = false` in the handler, or close the handles (pools, timers) that keep the event loop alive.',
    };
  }
  return {
    messageId: context.codeChecked ? 'noCauseFound' : 'codeNotChecked',
    data: shared,
    fix: 'Log before and after each upstream call and give them timeouts shorter than the function timeout, so a slow dependency fails fast instead of holding the invocation.',
  };
}
