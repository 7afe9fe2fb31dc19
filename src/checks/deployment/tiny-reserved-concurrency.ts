import { defineDeploymentRule } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe, streamsOrStreamingUrl } from '../../iac/deployment-support.js';

const SMALL = 5;

export const tinyReservedConcurrency = defineDeploymentRule({
  meta: {
    id: 'tiny-reserved-concurrency',
    category: 'deployment',
    severity: 'warning',
    title: 'Reserved concurrency is 0 or very small for a streaming function',
    consequence:
      'Each open stream holds one concurrent execution until it ends (or until the timeout when it hangs). With a handful of slots the URL answers 429 as soon as a few streams are open; 0 throttles every request.',
    evidence:
      'Function URL throttling returns HTTP 429 beyond reserved concurrency (aws.md §1.3, §3.4); new accounts have a concurrency limit of 10; a user report (hangs + limit 10 -> throttling).',
    fixable: false,
  },
  messages: {
    reservedZero: '{{subject}} has reserved concurrency 0: every invocation is throttled (429).',
    reservedSmall:
      '{{subject}} streams ({{how}}) with reserved concurrency {{reserved}}: every open stream holds a slot, so the URL starts answering 429 after {{reserved}} concurrent streams (sooner if any stream hangs to the timeout).',
  },
  check(context, report) {
    const d = context.deployment;
    const reserved = d.reservedConcurrency;
    // -1 (Terraform) means "no reservation".
    if (!isResolved(reserved) || reserved.value < 0) return;
    const subject = capitalized(describe(d));
    if (reserved.value === 0) {
      report({
        messageId: 'reservedZero',
        data: { subject },
        at: reserved.at,
        severity: 'error',
        fix: 'Remove the reservation or give it the concurrency the traffic needs.',
        key: `${d.name}:reserved-0`,
      });
      return;
    }
    const streaming = streamsOrStreamingUrl(context);
    if (!streaming || reserved.value > SMALL) return;
    report({
      messageId: 'reservedSmall',
      data: { subject, how: streaming.how, reserved: reserved.value },
      at: reserved.at,
      fix: 'Size reserved concurrency for concurrent streams (each lasts as long as its response), or remove the reservation.',
      key: `${d.name}:reserved-small`,
    });
  },
});
