import { defineLiveRule } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe } from '../../iac/deployment-support.js';
import { pinnedAtTimeout, seconds, timeoutOf } from './support.js';

/** A concurrency limit this small is exhausted by a handful of hanging invocations. */
const SMALL_LIMIT = 50;

export const concurrencyExhaustedByHangs = defineLiveRule({
  meta: {
    id: 'concurrency-exhausted-by-hangs',
    category: 'live',
    severity: 'error',
    title: 'Hanging invocations use up a small concurrency limit: requests are throttled (429)',
    consequence:
      'Each invocation that runs to its timeout holds one concurrent execution for the whole timeout; with a limit of N, at most N / timeout requests per second are served while they hang, and the Function URL answers 429 to the rest.',
    evidence:
      'Function URLs return 429 beyond the concurrency limit (aws.md §1.3); new accounts have ConcurrentExecutions 10 (aws.md §3.4, get-account-settings sample); a user report: 20 s hangs with a limit of 10 -> throttling.',
    fixable: false,
  },
  messages: {
    reservedExhausted:
      '{{subject}} hangs to its {{timeout}} timeout on {{percent}} % of invocations and its reserved concurrency is {{limit}}: once {{limit}} invocations hang, at most {{rate}} requests per second are served and the rest are throttled (HTTP 429 on the Function URL).',
    accountLimitExhausted:
      "{{subject}} hangs to its {{timeout}} timeout on {{percent}} % of invocations and the account's concurrency limit (the function has no reservation) is {{limit}}: once {{limit}} invocations hang, at most {{rate}} requests per second are served and the rest are throttled (HTTP 429 on the Function URL).",
  },
  check(context, report) {
    const pinned = pinnedAtTimeout(context);
    const timeout = timeoutOf(context);
    if (!pinned || timeout === undefined || timeout <= 0) return;
    const d = context.deployment;
    const reserved = isResolved(d.reservedConcurrency) && d.reservedConcurrency.value >= 0 ? d.reservedConcurrency : undefined;
    const limit = reserved?.value ?? context.accountConcurrency;
    if (limit === undefined || limit > SMALL_LIMIT) return;
    const rate = limit / timeout;
    report({
      messageId: reserved ? 'reservedExhausted' : 'accountLimitExhausted',
      data: {
        subject: capitalized(describe(d)),
        timeout: seconds(timeout),
        percent: Math.round(pinned.share * 100),
        limit,
        rate: rate < 1 ? rate.toFixed(2) : rate.toFixed(1),
      },
      at: reserved?.at ?? d.at,
      fix: 'Fix the hang first (see durations-pinned-at-timeout); a shorter timeout limits the damage meanwhile. Raising the limit only buys time.',
      key: `${d.name}:concurrency-exhausted`,
    });
  },
});
