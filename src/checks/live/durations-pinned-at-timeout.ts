import type { LiveRule, LiveContext } from '../../model/rule.js';
import { describe } from '../../iac/deployment-support.js';
import { HANG_RULES, packagePath, pinnedAtTimeout, runtimeOf, seconds, timeoutOf, waitsForEmptyEventLoop } from './support.js';

/**
 * The REPORT lines say it: a share of invocations lasted exactly the configured timeout. The rule joins
 * that with what the deployed code shows to name the likely cause, most specific first.
 */
export const durationsPinnedAtTimeout: LiveRule = {
  meta: {
    id: 'durations-pinned-at-timeout',
    surface: 'live',
    category: 'live',
    severity: 'error',
    title: 'Invocations last exactly the configured timeout (the stream or the event loop never lets go)',
    consequence:
      'Every such invocation is billed for the whole timeout, holds one unit of concurrency until then (429s once they pile up), and resets the execution environment (a cold start follows).',
    evidence:
      'REPORT lines with Status: timeout or Duration within 1 % of the timeout (aws.md §4.2); runtime behaviour: a stream never ended hangs to the timeout, and the 3.x runtime waits for an empty event loop after a streaming response (runtime.md; OpenNext #487; seed 000: 20000 ms durations).',
    fixable: false,
    triggers: [],
  },
  check(context) {
    const pinned = pinnedAtTimeout(context);
    const timeout = timeoutOf(context);
    if (!pinned || timeout === undefined) return [];
    const d = context.deployment;
    const cause = likelyCause(context);
    return [
      {
        at: d.timeout && 'at' in d.timeout ? d.timeout.at : d.at,
        message: `${pinned.count} of ${pinned.of} invocations of ${describe(d)} in the last ${context.window} lasted the full ${seconds(timeout)} timeout${context.logs?.timeouts ? ` (${context.logs.timeouts} with Status: timeout)` : ''}: ${cause.why}`,
        fix: cause.fix,
        key: `${d.name}:pinned-at-timeout`,
      },
    ];
  },
};

function likelyCause(context: LiveContext): { why: string; fix: string } {
  const hang = context.codeFindings.find((f) => HANG_RULES.has(f.ruleId) && f.ruleId !== 'event-loop-keeps-invocation-alive');
  if (hang) {
    return {
      why: `the deployed code leaves the stream open on some path (${hang.ruleId} at ${packagePath(hang.file)}:${hang.line}), so the runtime waits for an end() that never comes.`,
      fix: `End the stream on every path (see \`stream-doctor explain ${hang.ruleId}\`), then redeploy.`,
    };
  }
  const handler = context.handler;
  const runtime = runtimeOf(context) ?? 'its runtime';
  if (waitsForEmptyEventLoop(context) && handler?.streaming && !handler.disablesEventLoopWait) {
    const handles = handler.moduleHandles.length ? ` and opens ${handler.moduleHandles.slice(0, 3).join(', ')} at module scope` : '';
    const sent = context.logs?.producedBytesBeforeTimeout ? ` The JSON platform logs show ${context.logs.producedBytesBeforeTimeout} of them had already sent their response.` : '';
    return {
      why: `the handler is streamified on ${runtime}${handles}: the stream ends, but the runtime waits for the event loop to empty before taking the next invocation.${sent}`,
      fix: 'Set `context.callbackWaitsForEmptyEventLoop = false` at the top of the streaming handler (or close/unref the pools and timers), or move to nodejs24.x, which does not wait.',
    };
  }
  if (context.logs?.producedBytesBeforeTimeout) {
    return {
      why: `${context.logs.producedBytesBeforeTimeout} of them had already sent response bytes (platform.runtimeDone): the runtime kept waiting after the response, the signature of an event loop that never empties on ${runtime}.`,
      fix: 'Set `context.callbackWaitsForEmptyEventLoop = false` in the handler, or close the handles (pools, timers) that keep the event loop alive.',
    };
  }
  const unknownCode = context.codeChecked ? 'no cause was found in the deployed code' : 'the deployed code was not checked';
  return {
    why: `${unknownCode}; the handler or an upstream call (database, model API, fetch without a timeout) does not finish in time.`,
    fix: 'Log before and after each upstream call and give them timeouts shorter than the function timeout, so a slow dependency fails fast instead of holding the invocation.',
  };
}
