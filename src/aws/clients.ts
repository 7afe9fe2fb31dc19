/**
 * The AWS SDK v3 clients `stream-doctor aws` uses, configured the standard way: the default credential
 * provider chain, `--profile` / `--region` (else AWS_PROFILE / AWS_REGION / the shared config files), and
 * the SDK's own endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_LAMBDA,
 * AWS_ENDPOINT_URL_CLOUDWATCH_LOGS), which is also how the tests reach a local server.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { bucketOf, RateLimiter } from './rate-limit.js';

export interface AwsClients {
  lambda: LambdaClient;
  logs: CloudWatchLogsClient;
  limiter: RateLimiter;
  /** Requests sent, per SDK command, for the run summary (retries included). */
  sent: Map<string, number>;
  destroy(): void;
}

export interface ClientOptions {
  region?: string;
  profile?: string;
  limiter?: RateLimiter;
}

/** Every attempt (retries too) waits for its bucket: the limit counts requests, not operations. */
function pace(client: LambdaClient | CloudWatchLogsClient, service: 'lambda' | 'logs', limiter: RateLimiter, sent: Map<string, number>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '');
      await limiter.take(bucketOf(service, command));
      sent.set(command, (sent.get(command) ?? 0) + 1);
      return next(args);
    },
    // finalizeRequest/low runs inside the retry middleware, once per attempt.
    { step: 'finalizeRequest', priority: 'low', name: 'streamDoctorPacing' },
  );
}

export function createClients(options: ClientOptions): AwsClients {
  // The SDK warns on stderr that its 2027 releases will need Node 22: a note for stream-doctor's
  // maintainers (docs/architecture.md), not for the user reading a diagnosis.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const limiter = options.limiter ?? new RateLimiter();
  const common = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    // Adaptive retry slows down on throttling instead of failing: a 429 caused by other callers in the
    // account is absorbed, not reported.
    retryMode: 'adaptive',
    maxAttempts: 8,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  };
  const sent = new Map<string, number>();
  const lambda = new LambdaClient(common);
  const logs = new CloudWatchLogsClient(common);
  pace(lambda, 'lambda', limiter, sent);
  pace(logs, 'logs', limiter, sent);
  return {
    lambda,
    logs,
    limiter,
    sent,
    destroy() {
      lambda.destroy();
      logs.destroy();
    },
  };
}

/** The SDK's error name (`AccessDeniedException`, `ResourceNotFoundException`…), or undefined. */
export function awsErrorName(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : undefined;
}

/** One line, never the request: the SDK's message without a stack or a response dump. */
export function awsErrorLine(error: unknown): string {
  const name = awsErrorName(error) ?? 'Error';
  const message = error instanceof Error ? error.message.split('\n')[0].trim() : String(error);
  return message && message !== name ? `${name}: ${message}` : name;
}

export function isAccessDenied(error: unknown): boolean {
  const name = awsErrorName(error);
  return name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation';
}

export function isNotFound(error: unknown): boolean {
  return awsErrorName(error) === 'ResourceNotFoundException';
}
