/**
 * test/support/fake-aws.mjs, checked through the REAL AWS SDK v3 clients: every client is built with no
 * endpoint option and reaches the fake the way a user's CLI would, through AWS_ENDPOINT_URL_LAMBDA /
 * AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, fake credentials and AWS_REGION (`fake.env`). If the SDK parses a
 * response into the documented shape (or raises the documented typed exception), the wire format is right.
 */
import {
  AccessDeniedException as LogsAccessDeniedException,
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  GetQueryResultsCommand,
  paginateFilterLogEvents,
  ResourceNotFoundException as LogsResourceNotFoundException,
  StartQueryCommand,
  StopQueryCommand,
  type FilteredLogEvent,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetFunctionUrlConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListAliasesCommand,
  ListFunctionsCommand,
  ListFunctionUrlConfigsCommand,
  paginateListFunctions,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAws } from './support/fake-aws.mjs';

type Fake = Awaited<ReturnType<typeof startFakeAws>>;

// ------------------------------------------------------------------------------------------ the scenario

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);
const MINUTE = 60_000;
const rid = (i: number) => `8f5d${String(i).padStart(4, '0')}-1c2b-4e0a-9d3e-5a7b9c0d1e2f`;
const isTimeout = (i: number) => i % 3 === 0;
const STREAM = '2026/11/24/[$LATEST]0123456789abcdef0123456789abcdef';

/** 30 invocations a minute apart, every third one hitting the 20 s timeout (text format). */
const chatLogs = Array.from({ length: 30 }, (_, i) => {
  const t = T0 + i * MINUTE;
  const d = isTimeout(i) ? '20000.00' : '312.45';
  return [
    { timestamp: t, message: `START RequestId: ${rid(i)} Version: $LATEST\n`, logStream: STREAM },
    { timestamp: t + 5, message: `2026-11-24T10:${String(i).padStart(2, '0')}:00.005Z\t${rid(i)}\tINFO\tstreaming started\n`, logStream: STREAM },
    {
      timestamp: t + (isTimeout(i) ? 20_000 : 313),
      message: `REPORT RequestId: ${rid(i)}\tDuration: ${d} ms\tBilled Duration: ${Math.ceil(Number(d))} ms\tMemory Size: 1024 MB\tMax Memory Used: 98 MB\t${isTimeout(i) ? 'Status: timeout' : ''}\n`,
      logStream: STREAM,
    },
  ];
}).flat();

/** JSON log format: platform.report records. */
const jsonLogs = Array.from({ length: 6 }, (_, i) => ({
  timestamp: T0 + i * MINUTE,
  message: JSON.stringify({
    time: new Date(T0 + i * MINUTE).toISOString(),
    type: 'platform.report',
    record: { requestId: rid(i), metrics: { durationMs: i % 2 ? 5000 : 12.5, billedDurationMs: 13, memorySizeMB: 128, maxMemoryUsedMB: 67 }, status: i % 2 ? 'timeout' : 'success' },
  }),
}));

const HANDLER = `export const handler = awslambda.streamifyResponse(async (event, stream) => { stream.write('hi'); stream.end(); });\n`;
const POLICY = {
  Version: '2012-10-17',
  Id: 'default',
  Statement: [{ Sid: 'FunctionURLAllowPublicAccess', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:chat', Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } }],
};

const scenario = {
  region: 'us-east-1',
  accountId: '123456789012',
  account: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 900 },
  functions: [
    {
      configuration: {
        FunctionName: 'chat', Runtime: 'nodejs20.x', Handler: 'index.handler', Timeout: 20, MemorySize: 1024,
        Environment: { Variables: { DATABASE_URL: 'postgres://u:p@h/db' } },
        Layers: [{ Arn: 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26' }],
        PackageType: 'Zip', Architectures: ['x86_64'], LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/chat' },
      },
      reservedConcurrency: 10,
      aliases: ['live'],
      urls: [
        { AuthType: 'NONE', InvokeMode: 'BUFFERED', Cors: { AllowOrigins: ['*'] } },
        { qualifier: 'live', AuthType: 'AWS_IAM' },
      ],
      policy: POLICY,
      code: { files: { 'index.mjs': HANDLER, 'package.json': '{"type":"module"}' } },
      logs: chatLogs,
      deny: ['GetPolicy', 'StartQuery'],
    },
    {
      configuration: { FunctionName: 'img', PackageType: 'Image', Timeout: 30 },
      imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/img:latest',
    },
    {
      configuration: { FunctionName: 'api-json', LoggingConfig: { LogFormat: 'JSON' } },
      policy: POLICY,
      logs: jsonLogs,
    },
    ...Array.from({ length: 117 }, (_, i) => ({ configuration: { FunctionName: `fn-${String(i).padStart(3, '0')}` } })),
  ],
};

// ------------------------------------------------------------------------------------------ env + clients

const ENV_KEYS = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_EC2_METADATA_DISABLED'];
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const opened: Array<{ destroy(): void }> = [];
const fakes: Fake[] = [];

/** Points the process at `fake` exactly as a user would, then builds clients with no endpoint option. */
function connect(fake: Fake, config: { maxAttempts?: number } = {}) {
  for (const k of ['AWS_ENDPOINT_URL', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
  Object.assign(process.env, fake.env);
  const lambda = new LambdaClient(config);
  const logs = new CloudWatchLogsClient(config);
  opened.push(lambda, logs);
  return { lambda, logs };
}

async function start(...args: Parameters<typeof startFakeAws>) {
  const fake = await startFakeAws(...args);
  fakes.push(fake);
  return fake;
}

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

afterAll(async () => {
  for (const c of opened) c.destroy();
  await Promise.all(fakes.map((f) => f.close()));
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

// ------------------------------------------------------------------------------------------ Lambda

describe('fake-aws: Lambda through the SDK', () => {
  let fake: Fake;
  beforeAll(async () => {
    fake = await start(scenario);
  });

  it('exposes the env a child process needs', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.env).toEqual({
      AWS_ENDPOINT_URL_LAMBDA: fake.url, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: fake.url, AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_EC2_METADATA_DISABLED: 'true',
    });
  });

  it('ListFunctions pages 120 functions 50 at a time with the SDK paginator', async () => {
    const { lambda } = connect(fake);
    fake.stats.reset();
    const pages: number[] = [];
    const names: string[] = [];
    for await (const page of paginateListFunctions({ client: lambda, pageSize: 100 }, {})) {
      pages.push(page.Functions?.length ?? 0);
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName!));
    }
    expect(pages).toEqual([50, 50, 20]);
    expect(new Set(names).size).toBe(120);
    expect(names.slice(0, 3)).toEqual(['chat', 'img', 'api-json']);
    expect(fake.stats.ops.ListFunctions).toMatchObject({ requests: 3, successes: 3 });
    expect(fake.stats.requests.filter((r: { op: string }) => r.op === 'ListFunctions').map((r: { query: Record<string, string> }) => r.query.MaxItems)).toEqual(['100', '100', '100']);

    const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(first.Functions?.map((f) => f.FunctionName)).toEqual(['chat', 'img']);
    expect(first.NextMarker).toBeTypeOf('string');
    // ListFunctions omits the state fields (SDK doc).
    expect(first.Functions?.[0].State).toBeUndefined();
    expect(first.Functions?.[0].Timeout).toBe(20);
  });

  it('GetFunction: configuration, S3 code location, concurrency; ECR for images', async () => {
    const { lambda } = connect(fake);
    const out = await lambda.send(new GetFunctionCommand({ FunctionName: 'chat' }));
    expect(out.Configuration).toMatchObject({
      FunctionName: 'chat', FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:chat', Runtime: 'nodejs20.x',
      Handler: 'index.handler', Timeout: 20, MemorySize: 1024, Version: '$LATEST', State: 'Active', LastUpdateStatus: 'Successful',
      PackageType: 'Zip', Architectures: ['x86_64'], Environment: { Variables: { DATABASE_URL: 'postgres://u:p@h/db' } },
      LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/chat' },
      Layers: [{ Arn: 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26' }],
    });
    expect(out.Configuration?.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(out.Configuration?.CodeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(out.Configuration?.RevisionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(out.Code?.RepositoryType).toBe('S3');
    expect(out.Code?.Location).toMatch(new RegExp(`^${fake.url}/awslambda-us-east-1-tasks/snapshots/123456789012/chat-[0-9a-f-]{36}\\?versionId=\\w+&X-Amz-Security-Token=FAKE`));
    expect(out.Code?.Location).toMatch(/X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Signature=[0-9a-f]{64}$/);
    expect(out.Concurrency).toEqual({ ReservedConcurrentExecutions: 10 });

    const img = await lambda.send(new GetFunctionCommand({ FunctionName: 'img' }));
    expect(img.Code).toEqual({
      RepositoryType: 'ECR', ImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/img:latest',
      ResolvedImageUri: expect.stringMatching(/^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/img@sha256:[0-9a-f]{64}$/),
    });
    expect(img.Configuration?.PackageType).toBe('Image');
    expect(img.Configuration?.Runtime).toBeUndefined();
    expect(img.Concurrency).toBeUndefined();
  });

  it('accepts names, full and partial ARNs and qualifiers', async () => {
    const { lambda } = connect(fake);
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:chat';
    for (const FunctionName of [arn, '123456789012:function:chat']) {
      expect((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }))).FunctionArn).toBe(arn);
    }
    for (const input of [{ FunctionName: 'chat:live' }, { FunctionName: `${arn}:live` }, { FunctionName: 'chat', Qualifier: 'live' }]) {
      const out = await lambda.send(new GetFunctionConfigurationCommand(input));
      expect(out.FunctionArn).toBe(`${arn}:live`);
      expect(out.Version).toBe('1');
    }
    const missingAlias = await rejection(lambda.send(new GetFunctionCommand({ FunctionName: 'chat:nope' })));
    expect(missingAlias).toBeInstanceOf(ResourceNotFoundException);
  });

  it('GetFunctionConcurrency, GetAccountSettings, ListAliases', async () => {
    const { lambda } = connect(fake);
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'chat' }))).ReservedConcurrentExecutions).toBe(10);
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'fn-000' }))).ReservedConcurrentExecutions).toBeUndefined();
    const account = await lambda.send(new GetAccountSettingsCommand({}));
    expect(account.AccountLimit).toEqual({
      TotalCodeSize: 80_530_636_800, CodeSizeUnzipped: 262_144_000, CodeSizeZipped: 52_428_800, ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 900,
    });
    expect(account.AccountUsage?.FunctionCount).toBe(120);
    const aliases = await lambda.send(new ListAliasesCommand({ FunctionName: 'chat' }));
    expect(aliases.Aliases).toEqual([expect.objectContaining({ AliasArn: 'arn:aws:lambda:us-east-1:123456789012:function:chat:live', Name: 'live', FunctionVersion: '1' })]);
  });

  it('Function URL configs: list (alias URL qualified, InvokeMode omitted when unset) and get by qualifier', async () => {
    const { lambda } = connect(fake);
    const list = await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'chat' }));
    expect(list.FunctionUrlConfigs).toHaveLength(2);
    const [plain, live] = list.FunctionUrlConfigs!;
    expect(plain).toEqual({
      FunctionUrl: expect.stringMatching(/^https:\/\/[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws\/$/),
      FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:chat', AuthType: 'NONE', Cors: { AllowOrigins: ['*'] },
      CreationTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/), LastModifiedTime: expect.any(String), InvokeMode: 'BUFFERED',
    });
    expect(live.FunctionArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:chat:live');
    expect(live).not.toHaveProperty('InvokeMode');
    expect(live).not.toHaveProperty('Cors');
    expect(live.FunctionUrl).not.toBe(plain.FunctionUrl);

    const got = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'chat', Qualifier: 'live' }));
    expect(got.FunctionUrl).toBe(live.FunctionUrl);
    expect(got.AuthType).toBe('AWS_IAM');
    expect((await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'chat' }))).InvokeMode).toBe('BUFFERED');
    const none = await rejection(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: 'fn-001' })));
    expect(none).toBeInstanceOf(ResourceNotFoundException);
    expect((await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: 'fn-001' }))).FunctionUrlConfigs).toEqual([]);
  });

  it('GetPolicy returns the policy as a JSON string; no policy => ResourceNotFoundException', async () => {
    const { lambda } = connect(fake);
    const out = await lambda.send(new GetPolicyCommand({ FunctionName: 'api-json' }));
    expect(JSON.parse(out.Policy!)).toEqual(POLICY);
    expect(out.RevisionId).toBeTypeOf('string');
    const none = await rejection(lambda.send(new GetPolicyCommand({ FunctionName: 'fn-002' })));
    expect(none).toBeInstanceOf(ResourceNotFoundException);
    expect(none.message).toBe('The resource you requested does not exist.');
  });

  it('unknown function => typed ResourceNotFoundException (404)', async () => {
    const { lambda } = connect(fake);
    const error = await rejection(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.Type).toBe('User');
    expect(error.message).toBe('Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope');
  });

  it('denied operations => AccessDeniedException (403) with an IAM-style message', async () => {
    const { lambda } = connect(fake);
    const error = await rejection(lambda.send(new GetPolicyCommand({ FunctionName: 'chat' })));
    expect(error.name).toBe('AccessDeniedException');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).toBe(
      'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: lambda:GetPolicy on resource: arn:aws:lambda:us-east-1:123456789012:function:chat because no identity-based policy allows the lambda:GetPolicy action',
    );

    const denied = await start({ ...scenario, functions: scenario.functions.slice(0, 1), deny: ['GetAccountSettings'] });
    const other = connect(denied);
    const account = await rejection(other.lambda.send(new GetAccountSettingsCommand({})));
    expect(account.name).toBe('AccessDeniedException');
    expect(account.message).toContain('lambda:GetAccountSettings on resource: *');
    expect((await other.lambda.send(new GetFunctionCommand({ FunctionName: 'chat' }))).Configuration?.FunctionName).toBe('chat');
  });

  it('Code.Location downloads the zip once; a tampered signature gets S3\'s 403', async () => {
    const { lambda } = connect(fake);
    fake.stats.reset();
    const { Code } = await lambda.send(new GetFunctionCommand({ FunctionName: 'chat' }));
    const response = await fetch(Code!.Location!);
    expect(response.status).toBe(200);
    const zip = Buffer.from(await response.arrayBuffer());
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.includes('index.mjs')).toBe(true);
    expect(zip.includes('package.json')).toBe(true);
    expect(fake.stats.requests.filter((r: { op: string }) => r.op === 'CodeDownload')).toHaveLength(1);

    const tampered = Code!.Location!.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(fake.stats.ops.CodeDownload).toMatchObject({ requests: 2, successes: 1, errors: 1 });
  });
});

// ------------------------------------------------------------------------------------------ rate limits

describe('fake-aws: rate limits', () => {
  const small = { ...scenario, functions: scenario.functions.slice(0, 3) };

  it('40 GetFunctionConfiguration at once with maxAttempts 1: the 15 req/s shared bucket throttles the rest', async () => {
    const fake = await start(small, { rateLimits: true });
    const { lambda } = connect(fake, { maxAttempts: 1 });
    const started = performance.now();
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'chat' }))));
    const elapsedSeconds = (performance.now() - started) / 1000;
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    // Burst = 15 tokens, plus whatever refills (15/s) while the 40 requests arrive: on a loaded machine they
    // arrive more slowly, so the bound follows the time they took.
    expect(ok).toBeGreaterThanOrEqual(15);
    expect(ok).toBeLessThanOrEqual(Math.min(39, 15 + Math.ceil(15 * elapsedSeconds) + 1));
    expect(ok).toBeLessThan(40);
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    for (const error of errors) {
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect(error.$metadata.httpStatusCode).toBe(429);
      expect(error.retryAfterSeconds).toBe('1');
      expect(error.Reason).toBe('CallerRateLimitExceeded');
      expect(error.message).toBe('Rate exceeded');
    }
    expect(fake.stats.ops.GetFunctionConfiguration).toMatchObject({ requests: 40, successes: ok, throttles: 40 - ok });
    // GetFunction has its own 100 req/s bucket: unaffected.
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: 'chat' }))).resolves.toBeDefined();
  });

  it('with the SDK\'s default retries (honouring Retry-After) the same burst succeeds, at about the limit', async () => {
    const fake = await start(small, { rateLimits: true });
    const { lambda } = connect(fake);
    const results = await Promise.all(Array.from({ length: 40 }, () => lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'chat' }))));
    expect(results).toHaveLength(40);
    const shared = fake.stats.buckets.shared;
    expect(shared.successes).toBe(40);
    expect(shared.throttles).toBeGreaterThan(0);
    expect(shared.last! - shared.first!).toBeGreaterThanOrEqual(900);
    expect(fake.stats.rate('shared')).toBeLessThan(40);
  });

  it('FilterLogEvents over 5 TPS => ThrottlingException; custom limits apply', async () => {
    const fake = await start(small, { rateLimits: { filterLogEvents: 2 } });
    const { logs } = connect(fake, { maxAttempts: 1 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/chat', limit: 1 }))));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok === 2 || ok === 3).toBe(true); // burst of 2 (+1 if the calls spread over 0.5 s)
    for (const r of results) if (r.status === 'rejected') expect(r.reason.name).toBe('ThrottlingException');
    expect(fake.stats.ops.FilterLogEvents.throttles).toBe(6 - ok);
  });
});

// ------------------------------------------------------------------------------------------ CloudWatch Logs

describe('fake-aws: CloudWatch Logs through the SDK', () => {
  let fake: Fake;
  beforeAll(async () => {
    fake = await start(scenario, { queryPolls: 1 });
  });
  const reports = chatLogs.filter((e) => e.message.startsWith('REPORT '));

  it('FilterLogEvents: pattern, pagination with nextToken and page size', async () => {
    const { logs } = connect(fake);
    const pages: FilteredLogEvent[][] = [];
    for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 7 }, { logGroupName: '/aws/lambda/chat', filterPattern: '"REPORT RequestId"', startTime: T0 })) {
      pages.push(page.events ?? []);
    }
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
    const events = pages.flat();
    expect(events.map((e) => e.message)).toEqual(reports.map((e) => e.message));
    expect(events[0]).toEqual({ logStreamName: STREAM, timestamp: reports[0].timestamp, message: reports[0].message, ingestionTime: expect.any(Number), eventId: expect.stringMatching(/^\d{56}$/) });
    const timestamps = events.map((e) => e.timestamp!);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));

    const all = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/chat' }));
    expect(all.events).toHaveLength(90);
    expect(all.nextToken).toBeUndefined();
  });

  it('FilterLogEvents: time window, ? alternatives, JSON patterns, logGroupIdentifier ARN', async () => {
    const { logs } = connect(fake);
    const startTime = T0 + 10 * MINUTE;
    const endTime = T0 + 20 * MINUTE - 1;
    const windowed = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/chat', startTime, endTime, filterPattern: '"REPORT RequestId"' }));
    expect(windowed.events?.map((e) => e.timestamp)).toEqual(reports.filter((e) => e.timestamp >= startTime && e.timestamp <= endTime).map((e) => e.timestamp));
    expect(windowed.events).toHaveLength(10);

    const timeouts = await logs.send(new FilterLogEventsCommand({ logGroupIdentifier: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/chat', filterPattern: '?"Status: timeout" ?"Task timed out"' }));
    expect(timeouts.events).toHaveLength(10);
    expect(timeouts.events?.every((e) => e.message?.includes('Status: timeout'))).toBe(true);

    const json = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/api-json', filterPattern: '{ $.type = "platform.report" && $.record.status = "timeout" }' }));
    expect(json.events).toHaveLength(3);
    const slow = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/api-json', filterPattern: '{ $.record.metrics.durationMs >= 4999 }' }));
    expect(slow.events?.map((e) => JSON.parse(e.message!).record.status)).toEqual(['timeout', 'timeout', 'timeout']);
  });

  it('unknown log group => ResourceNotFoundException; denied => AccessDeniedException', async () => {
    const { logs } = connect(fake);
    const missing = await rejection(logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/fn-000' })));
    expect(missing).toBeInstanceOf(LogsResourceNotFoundException);
    expect(missing.$metadata.httpStatusCode).toBe(400);
    const now = Math.floor(T0 / 1000);
    const denied = await rejection(logs.send(new StartQueryCommand({ logGroupName: '/aws/lambda/chat', startTime: now, endTime: now + 3600, queryString: 'fields @message' })));
    expect(denied).toBeInstanceOf(LogsAccessDeniedException);
    expect(denied.message).toContain('logs:StartQuery on resource: arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/chat:*');
  });

  it('StartQuery + GetQueryResults polling returns the matching events (Insights subset)', async () => {
    // chat denies StartQuery; the same logs under a custom group name are queryable.
    const queryable = await start({ ...scenario, functions: [], logGroups: { '/custom/chat': chatLogs } }, { queryPolls: 2 });
    const { logs } = connect(queryable);
    const startTime = Math.floor(T0 / 1000);
    const endTime = startTime + 30 * 60;
    const { queryId } = await logs.send(new StartQueryCommand({
      logGroupNames: ['/custom/chat'], startTime, endTime, limit: 100,
      queryString: [
        'fields @timestamp, @message, @logStream, @requestId',
        '| filter @message like /Status: timeout/ or @message like /Task timed out after [\\d.]+ seconds/',
        '| sort @timestamp desc',
        '| limit 4',
      ].join('\n'),
    }));
    expect(queryId).toMatch(/^[0-9a-f-]{36}$/);
    const statuses: string[] = [];
    let out: GetQueryResultsCommandOutput;
    do {
      out = await logs.send(new GetQueryResultsCommand({ queryId }));
      statuses.push(out.status!);
    } while (out.status === 'Running' || out.status === 'Scheduled');
    expect(statuses).toEqual(['Running', 'Running', 'Complete']);
    expect(out.statistics).toMatchObject({ recordsMatched: 10, recordsScanned: 90 });
    expect(out.statistics?.bytesScanned).toBeGreaterThan(0);
    expect(out.results).toHaveLength(4);
    const rows = out.results!.map((row) => Object.fromEntries(row.map((f) => [f.field, f.value])));
    expect(rows[0]).toEqual({
      '@timestamp': '2026-11-24 10:27:20.000', '@message': reports[27].message, '@logStream': STREAM, '@requestId': rid(27), '@ptr': expect.any(String),
    });
    expect(out.results![0].map((f) => f.field)).toEqual(['@timestamp', '@message', '@logStream', '@requestId', '@ptr']);
    expect(rows.map((r) => r['@requestId'])).toEqual([rid(27), rid(24), rid(21), rid(18)]);

    // @type = "REPORT", ascending, and the [startTime, endTime] window in seconds.
    const windowStart = startTime + 10 * 60;
    const second = await logs.send(new StartQueryCommand({
      logGroupIdentifiers: ['/custom/chat'], startTime: windowStart, endTime: windowStart + 5 * 60,
      queryString: 'filter @type = "REPORT" | fields @timestamp, @duration | sort @timestamp asc',
    }));
    let res: GetQueryResultsCommandOutput;
    do res = await logs.send(new GetQueryResultsCommand({ queryId: second.queryId })); while (res.status === 'Running');
    expect(res.results?.map((row) => row.find((f) => f.field === '@timestamp')?.value)).toEqual([
      '2026-11-24 10:10:00.313', '2026-11-24 10:11:00.313', '2026-11-24 10:12:20.000', '2026-11-24 10:13:00.313', '2026-11-24 10:14:00.313',
    ]);
    expect(res.results?.[2].find((f) => f.field === '@duration')?.value).toBe('20000');

    const malformed = await rejection(logs.send(new StartQueryCommand({ logGroupName: '/custom/chat', startTime, endTime, queryString: 'stats count(*) by bin(5m)' })));
    expect(malformed.name).toBe('MalformedQueryException');

    const third = await logs.send(new StartQueryCommand({ logGroupName: '/custom/chat', startTime, endTime, queryString: 'fields @message' }));
    expect((await logs.send(new StopQueryCommand({ queryId: third.queryId }))).success).toBe(true);
    expect((await logs.send(new GetQueryResultsCommand({ queryId: third.queryId }))).status).toBe('Cancelled');
  });

  it('DescribeLogGroups filters by prefix', async () => {
    const { logs } = connect(fake);
    const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/c' }));
    expect(out.logGroups).toEqual([expect.objectContaining({
      logGroupName: '/aws/lambda/chat', arn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/chat:*',
      logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/chat', creationTime: expect.any(Number),
    })]);
    expect((await logs.send(new DescribeLogGroupsCommand({}))).logGroups?.map((g) => g.logGroupName)).toEqual(['/aws/lambda/api-json', '/aws/lambda/chat']);
  });
});
