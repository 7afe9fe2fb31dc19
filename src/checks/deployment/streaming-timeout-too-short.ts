import { defineDeploymentRule } from '../../model/rule.js';
import { capitalized, describe, streamsOrStreamingUrl, timeoutSeconds } from '../../iac/deployment-support.js';

/** Below this, a streamed AI/SSE response is routinely cut off (a user report recommends 60-120 s for chat). */
const WARN_BELOW_SECONDS = 15;
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
  },
  check(context, report) {
    const d = context.deployment;
    const streaming = streamsOrStreamingUrl(context);
    const timeout = timeoutSeconds(d);
    if (!streaming || !timeout || timeout.seconds >= NOTE_BELOW_SECONDS) return;
    report({
      messageId: timeout.isDefault ? 'shortDefaultTimeout' : 'shortTimeout',
      data: { subject: capitalized(describe(d)), how: streaming.how, seconds: timeout.seconds },
      at: timeout.at,
      severity: timeout.seconds < WARN_BELOW_SECONDS ? 'warning' : 'info',
      fix: 'Raise the timeout to cover the longest stream (60-120 s is common for chat), and bound the work inside the handler.',
      key: `${d.name}:timeout`,
    });
  },
});
