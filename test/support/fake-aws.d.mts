/**
 * Types of test/support/fake-aws.mjs (plain ESM, shared with scripts/*.mjs): the shapes its JSDoc
 * typedefs describe, so that the tests importing it are type-checked (`npm run typecheck`).
 */

export interface LogEventSpec {
  timestamp: number;
  message: string;
  logStream?: string;
  ingestionTime?: number;
}

/** AuthType 'NONE' (default) | 'AWS_IAM'; InvokeMode 'BUFFERED' | 'RESPONSE_STREAM' | absent (then absent in responses). */
export interface UrlSpec {
  qualifier?: string;
  AuthType?: string;
  InvokeMode?: string;
  Cors?: Record<string, unknown>;
}

export type AliasSpec = string | { Name: string; FunctionVersion?: string; Description?: string; RoutingConfig?: unknown };

export interface FunctionSpec {
  configuration: Record<string, any> & { FunctionName: string };
  reservedConcurrency?: number;
  aliases?: AliasSpec[];
  urls?: UrlSpec[];
  policy?: Record<string, unknown>;
  code?: { files: Record<string, string> } | { zipBase64: string };
  imageUri?: string;
  logs?: LogEventSpec[];
  deny?: string[];
}

export interface Scenario {
  region?: string;
  accountId?: string;
  callerArn?: string;
  account?: Record<string, any>;
  deny?: string[];
  functions?: FunctionSpec[];
  logGroups?: Record<string, LogEventSpec[]>;
}

export interface RateLimits {
  shared?: number;
  getFunction?: number;
  getPolicy?: number;
  filterLogEvents?: number;
  startQuery?: number;
  getQueryResults?: number;
}

export interface FakeAwsOptions {
  rateLimits?: boolean | RateLimits;
  latencyMs?: number;
  queryPolls?: number;
}

export interface OpStats {
  requests: number;
  successes: number;
  throttles: number;
  errors: number;
}

export interface BucketStats {
  requests: number;
  successes: number;
  throttles: number;
  first?: number;
  last?: number;
}

export interface FakeAwsStats {
  ops: Record<string, OpStats>;
  buckets: Record<string, BucketStats>;
  requests: Array<{ op: string; path: string; query: Record<string, string> }>;
  rate(bucket: string): number;
  reset(): void;
}

export interface FakeAws {
  url: string;
  env: Record<string, string>;
  stats: FakeAwsStats;
  close(): Promise<void>;
  setScenario(scenario: Scenario): Promise<void>;
}

/** AWS's documented per-account limits (requests per second). */
export declare const DEFAULT_RATE_LIMITS: Readonly<Required<RateLimits>>;

/** Starts the fake on 127.0.0.1 (random port). */
export declare function startFakeAws(scenario: Scenario, options?: FakeAwsOptions): Promise<FakeAws>;
