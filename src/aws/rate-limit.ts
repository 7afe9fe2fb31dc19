/**
 * Client-side pacing of AWS calls, so that `stream-doctor aws --all` over a thousand functions uses the
 * control plane at nearly its allowed rate without surfacing throttling errors.
 *
 * Lambda's documented read limits per account and Region (aws.md §7): GetFunction 100 req/s, GetPolicy
 * 15 req/s, every other control-plane read shares 15 req/s. CloudWatch Logs: FilterLogEvents 5 TPS;
 * StartQuery/GetQueryResults are not documented per second, so they get conservative buckets too. The
 * buckets run a little under those figures (jitter on either side would otherwise cost 429s), and the
 * SDK's adaptive retry absorbs the throttles other callers in the same account cause.
 */

/** A token bucket without burst: at most one call every 1/rate seconds, in arrival order. */
export class TokenBucket {
  private next = 0;
  constructor(
    readonly name: string,
    readonly ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Resolves when the caller may send one request. */
  async take(): Promise<void> {
    const interval = 1000 / this.ratePerSecond;
    const now = this.now();
    const slot = Math.max(now, this.next);
    this.next = slot + interval;
    if (slot > now) await this.sleep(slot - now);
  }
}

/** Which documented limit an operation counts against. */
export type BucketName = 'lambda-get-function' | 'lambda-get-policy' | 'lambda-shared' | 'logs-filter' | 'logs-query' | 'logs-results';

export const DEFAULT_RATES: Record<BucketName, number> = {
  'lambda-get-function': 95,
  'lambda-get-policy': 14.5,
  'lambda-shared': 14.5,
  'logs-filter': 4.5,
  'logs-query': 4.5,
  'logs-results': 9,
};

export function bucketOf(service: 'lambda' | 'logs', commandName: string): BucketName {
  if (service === 'logs') {
    if (commandName === 'FilterLogEventsCommand') return 'logs-filter';
    if (commandName === 'StartQueryCommand') return 'logs-query';
    return 'logs-results';
  }
  if (commandName === 'GetFunctionCommand') return 'lambda-get-function';
  if (commandName === 'GetPolicyCommand') return 'lambda-get-policy';
  return 'lambda-shared';
}

export class RateLimiter {
  private readonly buckets = new Map<BucketName, TokenBucket>();
  constructor(rates: Partial<Record<BucketName, number>> = {}) {
    for (const [name, rate] of Object.entries({ ...DEFAULT_RATES, ...rates }) as Array<[BucketName, number]>) {
      this.buckets.set(name, new TokenBucket(name, rate));
    }
  }

  take(bucket: BucketName): Promise<void> {
    return this.buckets.get(bucket)!.take();
  }
}
