import { defineDeploymentRule } from '../../model/rule.js';
import { capitalized, describe, streamsOrStreamingUrl, timeoutSeconds, urlInvokeMode } from '../../iac/deployment-support.js';

/** Below this, long work (a model answer, a poll loop, a large object) is routinely cut off: a warning. */
const WARN_BELOW_SECONDS = 15;
/** Below this, a streaming function's timeout is worth a note (info) even without evidence of long work. */
const NOTE_BELOW_SECONDS = 30;

export const streamingTimeoutTooShort = defineDeploymentRule({
  meta: {
    id: 'streaming-timeout-too-short',
    category: 'deployment',
    severity: 'warning',
    title: 'A streaming function has a timeout too short for streamed work',
    consequence:
      'A stream that outlives the function timeout is cut off mid-body: the client gets a truncated answer (RAPID resets with Sandbox.Timeout). Defaults are short: 3 s (Lambda, CFN, CDK), 6 s (serverless), 20 s (SST).',
    evidence:
      'Lambda timeout semantics; runtime behaviour c (timeout ends the invocation, directinvoke.go Sandbox.Timeout); guidance of 60-120 s for streamed chat from a user report; defaults in aws.md §3 and tooling.md §0.5.',
    fixable: false,
  },
  messages: {
    shortTimeout:
      '{{subject}} streams ({{how}}) with a timeout of {{seconds}} s: longer streams (LLM answers, SSE) are cut off mid-body when it expires.',
    shortDefaultTimeout:
      '{{subject}} streams ({{how}}) with a timeout of the default {{seconds}} s (no timeout is set): longer streams (LLM answers, SSE) are cut off mid-body when it expires.',
    longWorkShortTimeout:
      '{{subject}} streams ({{how}}), and its handler {{work}} ({{workFile}}:{{workLine}}), with a timeout of {{seconds}} s: a stream still running when it expires is cut off mid-body.',
    longWorkShortDefaultTimeout:
      '{{subject}} streams ({{how}}), and its handler {{work}} ({{workFile}}:{{workLine}}), with a timeout of the default {{seconds}} s (no timeout is set): a stream still running when it expires is cut off mid-body.',
    bufferedLongWorkShortTimeout:
      '{{subject}} has a RESPONSE_STREAM Function URL, but its handler ({{adapter}}) returns the response whole, and it {{work}} ({{workFile}}:{{workLine}}) with a timeout of {{seconds}} s: work still running when it expires is cut off before anything is sent.',
    bufferedLongWorkShortDefaultTimeout:
      '{{subject}} has a RESPONSE_STREAM Function URL, but its handler ({{adapter}}) returns the response whole, and it {{work}} ({{workFile}}:{{workLine}}) with a timeout of the default {{seconds}} s (no timeout is set): work still running when it expires is cut off before anything is sent.',
    streamOutlastsTimeout:
      '{{subject}} streams ({{how}}) and its handler {{work}} ({{workFile}}:{{workLine}}), longer than its timeout of {{seconds}} s: every stream is cut off when the timeout expires.',
    streamOutlastsDefaultTimeout:
      '{{subject}} streams ({{how}}) and its handler {{work}} ({{workFile}}:{{workLine}}), longer than its timeout of the default {{seconds}} s (no timeout is set): every stream is cut off when the timeout expires.',
  },
  check(context, report) {
    const d = context.deployment;
    const handler = context.handler;
    const timeout = timeoutSeconds(d);
    if (!timeout) return;
    const work = handler?.longWork ?? null;
    const streaming = streamsOrStreamingUrl(context);
    const subject = capitalized(describe(d));
    const fix = 'Raise the timeout to cover the longest stream (60-120 s is common for chat), and bound the work inside the handler.';
    const key = `${d.name}:timeout`;
    if (!streaming) {
      // A buffered adapter behind a RESPONSE_STREAM URL streams nothing (buffered-handler-behind-streaming-url's
      // finding), but the long work it does is still cut off by the timeout.
      const adapter = handler?.bufferedAdapter;
      if (!adapter || !work || work.estimateMs !== undefined || urlInvokeMode(d)?.mode !== 'RESPONSE_STREAM' || timeout.seconds >= NOTE_BELOW_SECONDS) return;
      report({
        messageId: timeout.isDefault ? 'bufferedLongWorkShortDefaultTimeout' : 'bufferedLongWorkShortTimeout',
        data: { subject, adapter: adapter.name, work: work.how, workFile: work.file, workLine: work.line, seconds: timeout.seconds },
        at: timeout.at,
        severity: timeout.seconds < WARN_BELOW_SECONDS ? 'warning' : 'info',
        fix,
        key,
      });
      return;
    }
    const base = { subject, how: streaming.how, seconds: timeout.seconds };
    if (work?.estimateMs !== undefined) {
      // A bounded stream of known length: cut off only when it outlasts the timeout; otherwise nothing to say.
      if (work.estimateMs < timeout.seconds * 1000) return;
      const data = { ...base, work: work.how, workFile: work.file, workLine: work.line };
      report({ messageId: timeout.isDefault ? 'streamOutlastsDefaultTimeout' : 'streamOutlastsTimeout', data, at: timeout.at, severity: 'warning', fix, key });
      return;
    }
    if (timeout.seconds >= NOTE_BELOW_SECONDS) return;
    if (work) {
      const data = { ...base, work: work.how, workFile: work.file, workLine: work.line };
      const severity = timeout.seconds < WARN_BELOW_SECONDS ? 'warning' : 'info';
      report({ messageId: timeout.isDefault ? 'longWorkShortDefaultTimeout' : 'longWorkShortTimeout', data, at: timeout.at, severity, fix, key });
      return;
    }
    // No evidence of long work in the code: a note, not a warning.
    report({ messageId: timeout.isDefault ? 'shortDefaultTimeout' : 'shortTimeout', data: base, at: timeout.at, severity: 'info', fix, key });
  },
});
