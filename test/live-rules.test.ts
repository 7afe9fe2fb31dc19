/**
 * Live-function rules and the live -> Deployment mapping, as units: hand-built facts in, exact reports out.
 * The end-to-end path (SDK, local server, CLI) is test/aws-cli.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../src/model/finding.js';
import type { LiveContext } from '../src/model/rule.js';
import type { HandlerFacts } from '../src/code/handler-facts.js';
import type { LogStats } from '../src/aws/logs/stats.js';
import { durationsPinnedAtTimeout } from '../src/checks/live/durations-pinned-at-timeout.js';
import { concurrencyExhaustedByHangs } from '../src/checks/live/concurrency-exhausted-by-hangs.js';
import { runtimeExits } from '../src/checks/live/runtime-exits.js';
import { functionUrlMissingInvokePermission } from '../src/checks/deployment/function-url-missing-invoke-permission.js';
import { parseFunctionRef, type LiveFunction } from '../src/aws/collect.js';
import { toDeployments } from '../src/aws/to-deployment.js';
import { deploymentRules } from '../src/checks/deployment/index.js';

const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:chat';

function live(configuration: LiveFunction['configuration'], extra: Partial<LiveFunction> = {}): LiveFunction {
  return {
    ref: { given: 'chat', functionName: 'chat' },
    configuration: { FunctionName: 'chat', FunctionArn: ARN, ...configuration },
    reservedConcurrency: undefined,
    urls: [],
    policy: undefined,
    notes: [],
    ...extra,
  };
}

function stats(overrides: Partial<LogStats> = {}): LogStats {
  return {
    invocations: 20,
    durationMs: { p50: 20000, p90: 20000, p99: 20000, max: 20000 },
    atTimeout: { count: 17, share: 0.85 },
    timeouts: 17,
    initDurationMs: null,
    coldStartsAfterTimeout: 0,
    errorsByType: {},
    runtimeExits: {},
    producedBytesBeforeTimeout: 0,
    ...overrides,
  };
}

const STREAMING: HandlerFacts = {
  file: 'index.mjs',
  exportName: 'handler',
  streaming: { how: 'awslambda.streamifyResponse', line: 3 },
  bufferedAdapter: null,
  callbackStyle: null,
  cors: null,
  moduleHandles: ['pg.Pool'],
  disablesEventLoopWait: false,
  moduleState: [],
};

function context(overrides: Partial<LiveContext> & { runtime?: LiveFunction['configuration']['Runtime']; reserved?: number } = {}): LiveContext {
  const { runtime = 'nodejs20.x', reserved, ...rest } = overrides;
  const [deployment] = toDeployments(live({ Runtime: runtime, Timeout: 20 }, { reservedConcurrency: reserved }));
  return { deployment, deployments: [deployment], policy: undefined, handler: STREAMING, codeFindings: [], codeChecked: true, logs: stats(), window: '24 h', ...rest };
}

function finding(ruleId: string, line: number): Finding {
  return { ruleId, severity: 'error', message: '', file: `${ARN}/index.mjs`, line, column: 1, fixable: false, fingerprint: 'x', origin: 'project' };
}

describe('durations-pinned-at-timeout', () => {
  it('names a hanging code path of the deployed package first', () => {
    const [report] = durationsPinnedAtTimeout.check(context({ codeFindings: [finding('event-loop-keeps-invocation-alive', 2), finding('stream-never-ended', 9)] }));
    expect(report.message).toBe(
      '17 of 20 invocations of function `chat` in the last 24 h lasted the full 20 s timeout (17 with Status: timeout): the deployed code leaves the stream open on some path (stream-never-ended at index.mjs:9), so the runtime waits for an end() that never comes.',
    );
    expect(report.at).toEqual({ file: ARN, line: 1, column: 1, path: 'Configuration.Timeout' });
    expect(report.messageId).toBe('hangingCodePath');
  });

  it('then the 3.x event-loop wait of a streamified handler with module-scope handles', () => {
    const [report] = durationsPinnedAtTimeout.check(context());
    expect(report.messageId).toBe('eventLoopWaitWithHandles');
    expect(report.message).toContain('the handler is streamified on nodejs20.x and opens pg.Pool at module scope: the stream ends, but the runtime waits for the event loop');
    expect(report.fix).toContain('context.callbackWaitsForEmptyEventLoop = false');
  });

  it('does not blame the event loop on nodejs24.x or when the handler disables the wait', () => {
    for (const ctx of [context({ runtime: 'nodejs24.x' }), context({ handler: { ...STREAMING, disablesEventLoopWait: true } })]) {
      const [report] = durationsPinnedAtTimeout.check(ctx);
      expect(report.messageId).toBe('noCauseFound');
      expect(report.message).toContain('no cause was found in the deployed code');
    }
  });

  it('uses the JSON runtimeDone evidence: response sent, runtime kept waiting', () => {
    const [report] = durationsPinnedAtTimeout.check(context({ handler: null, logs: stats({ producedBytesBeforeTimeout: 12 }) }));
    expect(report.messageId).toBe('waitedAfterResponse');
    expect(report.message).toContain('12 of them had already sent response bytes');
  });

  it('says when the code was not checked', () => {
    const [report] = durationsPinnedAtTimeout.check(context({ handler: null, codeChecked: false }));
    expect(report.messageId).toBe('codeNotChecked');
    expect(report.message).toContain('the deployed code was not checked');
  });

  it('the event-loop wait without module-scope handles, with the JSON evidence that responses were sent', () => {
    const [report] = durationsPinnedAtTimeout.check(context({ handler: { ...STREAMING, moduleHandles: [] }, logs: stats({ timeouts: 0, producedBytesBeforeTimeout: 4 }) }));
    expect(report.messageId).toBe('eventLoopWait');
    expect(report.message).toBe(
      '17 of 20 invocations of function `chat` in the last 24 h lasted the full 20 s timeout: the handler is streamified on nodejs20.x: the stream ends, but the runtime waits for the event loop to empty before taking the next invocation. The JSON platform logs show 4 of them had already sent their response.',
    );
  });

  it('stays quiet below the thresholds: under 3 invocations, a single timeout, under 20 %', () => {
    expect(durationsPinnedAtTimeout.check(context({ logs: stats({ invocations: 2, atTimeout: { count: 2, share: 1 } }) }))).toEqual([]);
    expect(durationsPinnedAtTimeout.check(context({ logs: stats({ invocations: 4, atTimeout: { count: 1, share: 0.25 } }) }))).toEqual([]);
    expect(durationsPinnedAtTimeout.check(context({ logs: stats({ invocations: 100, atTimeout: { count: 19, share: 0.19 } }) }))).toEqual([]);
    expect(durationsPinnedAtTimeout.check(context({ logs: stats({ invocations: 100, atTimeout: { count: 20, share: 0.2 } }) }))).toHaveLength(1);
    expect(durationsPinnedAtTimeout.check(context({ logs: stats({ invocations: 100, atTimeout: { count: 20, share: 0.2 } }) }))[0].messageId).toBe('eventLoopWaitWithHandles');
    expect(durationsPinnedAtTimeout.check(context({ logs: null }))).toEqual([]);
  });
});

describe('concurrency-exhausted-by-hangs', () => {
  it('uses reserved concurrency when there is one, at its field', () => {
    const [report] = concurrencyExhaustedByHangs.check(context({ reserved: 5 }));
    expect(report.at.path).toBe('Concurrency.ReservedConcurrentExecutions');
    expect(report.messageId).toBe('reservedExhausted');
    expect(report.message).toContain('its reserved concurrency is 5: once 5 invocations hang, at most 0.25 requests per second are served');
  });

  it("falls back to the account's limit, and is quiet above 50 or without pinned durations", () => {
    expect(concurrencyExhaustedByHangs.check(context({ accountConcurrency: 10 }))[0].message).toContain("the account's concurrency limit (the function has no reservation) is 10");
    expect(concurrencyExhaustedByHangs.check(context({ accountConcurrency: 10 }))[0].messageId).toBe('accountLimitExhausted');
    expect(concurrencyExhaustedByHangs.check(context({ accountConcurrency: 1000 }))).toEqual([]);
    expect(concurrencyExhaustedByHangs.check(context({ reserved: 100 }))).toEqual([]);
    expect(concurrencyExhaustedByHangs.check(context({ reserved: 5, logs: stats({ atTimeout: { count: 0, share: 0 } }) }))).toEqual([]);
  });
});

describe('runtime-exits', () => {
  it('counts exits and crash error types, and names a crashing code rule', () => {
    const logs = stats({ atTimeout: { count: 0, share: 0 }, runtimeExits: { 'exit status 128': 2 }, errorsByType: { 'Runtime.ExitError': 2, 'Handler.Error': 5 } });
    const [report] = runtimeExits.check(context({ logs, codeFindings: [finding('write-after-end', 14)] }));
    expect(report.severity).toBe('error');
    expect(report.messageId).toBe('crashingCode');
    expect(report.message).toBe(
      'Function `chat`: the runtime exited 2 times in the last 24 h (Runtime.ExitError ×2, "exit status 128" ×2). The deployed code has write-after-end (line 14 of index.mjs), which makes the streaming runtime exit.',
    );
  });

  it('is a warning for a single exit without a code cause, and quiet without exits', () => {
    const one = runtimeExits.check(context({ logs: stats({ errorsByType: { 'Runtime.OutOfMemory': 1 } }) }));
    expect(one[0].severity).toBe('warning');
    expect(one[0].message).toContain('Out of memory');
    expect(one[0].messageId).toBe('outOfMemory');
    expect(runtimeExits.check(context({ logs: stats({ errorsByType: { 'Handler.Error': 9 } }) }))).toEqual([]);
  });

  it('without a code cause or out of memory: the exits alone, and where to look', () => {
    const [report] = runtimeExits.check(context({ logs: stats({ runtimeExits: { 'signal: killed': 1 } }) }));
    expect(report.messageId).toBe('exits');
    expect(report.severity).toBe('warning');
    expect(report.message).toBe('Function `chat`: the runtime exited 1 time in the last 24 h ("signal: killed" ×1).');
    expect(report.fix).toContain('Look up the request ids');
  });
});

describe('function-url-missing-invoke-permission (the deployment rule on a live function)', () => {
  const check = (authType: 'NONE' | 'AWS_IAM', policy: LiveFunction['policy']) =>
    toDeployments(
      live({ Runtime: 'nodejs22.x' }, { policy, urls: [{ FunctionUrl: 'https://a.lambda-url.us-east-1.on.aws/', FunctionArn: ARN, AuthType: authType, CreationTime: '', LastModifiedTime: '' }] }),
    ).flatMap((deployment) => functionUrlMissingInvokePermission.check({ deployment, handler: null }));
  const urlStatement = { Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl', Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } };
  const invokeStatement = { Effect: 'Allow', Principal: { AWS: '*' }, Action: ['lambda:InvokeFunction'], Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } };

  it('a public URL with only lambda:InvokeFunctionUrl (the pre-October-2025 setup) answers 403', () => {
    const [report] = check('NONE', { Statement: [urlStatement] });
    expect(report.at.path).toBe('FunctionUrlConfig($LATEST).AuthType');
    expect(report.messageId).toBe('noPublicStatement');
    expect(report.message).toContain('has no public statement for `lambda:InvokeFunction` (condition `lambda:InvokedViaFunctionUrl` = true)');
    expect(report.fix).toContain('--invoked-via-function-url');
  });

  it('no policy at all: both are missing', () => {
    const [report] = check('NONE', undefined);
    expect(report.messageId).toBe('noPolicy');
    expect(report.message).toContain('the function has no resource policy, so nothing grants `lambda:InvokeFunctionUrl`');
  });

  it('quiet with both statements, on AWS_IAM URLs, and when the policy could not be read', () => {
    expect(check('NONE', { Statement: [urlStatement, invokeStatement] })).toEqual([]);
    expect(check('AWS_IAM', undefined)).toEqual([]);
    expect(check('NONE', null)).toEqual([]);
    const denied = check('NONE', { Statement: [{ ...urlStatement, Effect: 'Deny' }, invokeStatement] });
    expect(denied).toHaveLength(1);
    expect(denied[0].messageId).toBe('noPublicStatement');
  });
});

describe('parseFunctionRef', () => {
  it('reads names, NAME:ALIAS, partial and full ARNs', () => {
    expect(parseFunctionRef('chat')).toEqual({ given: 'chat', functionName: 'chat' });
    expect(parseFunctionRef('chat:live')).toEqual({ given: 'chat:live', functionName: 'chat', qualifier: 'live' });
    expect(parseFunctionRef('123456789012:function:chat')).toEqual({ given: '123456789012:function:chat', functionName: '123456789012:function:chat' });
    expect(parseFunctionRef(`${ARN}:live`)).toEqual({ given: `${ARN}:live`, functionName: ARN, region: 'us-east-1', qualifier: 'live' });
    expect(parseFunctionRef('arn:aws-cn:lambda:cn-north-1:123456789012:function:chat')?.region).toBe('cn-north-1');
    expect(parseFunctionRef('not a name')).toBeNull();
    expect(parseFunctionRef('arn:aws:s3:::bucket')).toBeNull();
  });
});

describe('toDeployments: the live function as the IaC model', () => {
  it('one deployment per URL, alias URLs named NAME:ALIAS, environment values kept only for streaming keys', () => {
    const fn = live(
      {
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Timeout: 30,
        Environment: { Variables: { DATABASE_URL: 'postgres://u:secret@h/db', AWS_LWA_INVOKE_MODE: 'response_stream' } },
        Layers: [{ Arn: 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26' }],
      },
      {
        urls: [
          { FunctionUrl: 'https://a.lambda-url.us-east-1.on.aws/', FunctionArn: ARN, AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM', CreationTime: '', LastModifiedTime: '' },
          { FunctionUrl: 'https://b.lambda-url.us-east-1.on.aws/', FunctionArn: `${ARN}:live`, AuthType: 'NONE', CreationTime: '', LastModifiedTime: '' },
        ],
      },
    );
    const [latest, alias] = toDeployments(fn);
    expect(latest.name).toBe('chat');
    expect(alias.name).toBe('chat:live');
    expect(alias.url?.qualifier).toBe('live');
    expect(alias.url?.invokeMode).toBeUndefined();
    expect(alias.url?.at.path).toBe('FunctionUrlConfig(live)');
    expect(latest.environmentKeys.map((k) => k.value)).toEqual(['DATABASE_URL', 'AWS_LWA_INVOKE_MODE']);
    expect(JSON.stringify(latest)).not.toContain('secret');
    expect(latest.streamingEnvironment.AWS_LWA_INVOKE_MODE).toMatchObject({ value: 'response_stream' });
    expect(latest.webAdapter?.at.path).toBe('Configuration.Layers[0]');
  });

  it('the unchanged deployment rules fire on it: BUFFERED alias URL in front of the streaming web adapter', () => {
    const fn = live(
      { Runtime: 'nodejs22.x', Handler: 'run.sh', Timeout: 120, Environment: { Variables: { AWS_LWA_INVOKE_MODE: 'response_stream' } }, Layers: [{ Arn: 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26' }] },
      { urls: [{ FunctionUrl: 'https://b.lambda-url.us-east-1.on.aws/', FunctionArn: `${ARN}:live`, AuthType: 'AWS_IAM', InvokeMode: 'BUFFERED', CreationTime: '', LastModifiedTime: '' }] },
    );
    const [deployment] = toDeployments(fn);
    const fired = deploymentRules.flatMap((rule) => rule.check({ deployment, handler: null }).map((r) => `${rule.meta.id}@${r.at.path}`));
    expect(fired).toEqual(['web-adapter-mode-mismatch@Configuration.Environment.Variables.AWS_LWA_INVOKE_MODE']);
    expect(deploymentRules.flatMap((rule) => rule.check({ deployment, handler: null }).map((r) => r.messageId))).toEqual(['urlBuffersStreamingAdapter']);
  });

  it('the unchanged deployment rules fire on it: the Arm64 web adapter layer on an x86_64 function', () => {
    const layers = [{ Arn: 'arn:aws:lambda:us-east-1:123456789012:layer:otel:3' }, { Arn: 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:26' }];
    const env = { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap', AWS_LWA_INVOKE_MODE: 'response_stream' } };
    const urls = [{ FunctionUrl: 'https://a.lambda-url.us-east-1.on.aws/', FunctionArn: ARN, AuthType: 'AWS_IAM' as const, InvokeMode: 'RESPONSE_STREAM' as const, CreationTime: '', LastModifiedTime: '' }];
    const fire = (architecture: 'x86_64' | 'arm64') => {
      const [deployment] = toDeployments(live({ Runtime: 'nodejs22.x', Handler: 'run.sh', Timeout: 120, Architectures: [architecture], Environment: env, Layers: layers }, { urls }));
      return deploymentRules.flatMap((rule) => rule.check({ deployment, handler: null }).map((r) => ({ rule: rule.meta.id, messageId: r.messageId, path: r.at.path, message: r.message })));
    };
    const [finding, ...others] = fire('x86_64');
    expect(others).toEqual([]);
    expect(finding).toMatchObject({ rule: 'web-adapter-layer-architecture', path: 'Configuration.Layers[1]' });
    expect(finding.messageId).toBe('layerForOtherArchitecture');
    expect(finding.message).toContain('Function `chat` runs on x86_64 but uses the Lambda Web Adapter layer LambdaAdapterLayerArm64, built for arm64');
    expect(fire('arm64')).toEqual([]);
  });

  it('an ALB permission in the resource policy is a front door that cannot stream', () => {
    const fn = live(
      { Runtime: 'nodejs22.x', Handler: 'index.handler' },
      { policy: { Statement: [{ Sid: 'alb', Effect: 'Allow', Principal: { Service: 'elasticloadbalancing.amazonaws.com' }, Action: 'lambda:InvokeFunction' }] } },
    );
    const [deployment] = toDeployments(fn);
    expect(deployment.frontDoors).toEqual([{ kind: 'alb', at: { file: ARN, line: 1, column: 1, path: 'Policy.Statement[alb]' } }]);
    const fired = deploymentRules.flatMap((rule) => rule.check({ deployment, handler: STREAMING }).map(() => rule.meta.id));
    expect(fired).toContain('front-door-cannot-stream');
    expect(deploymentRules.flatMap((rule) => rule.check({ deployment, handler: STREAMING }).filter(() => rule.meta.id === 'front-door-cannot-stream').map((r) => r.messageId))).toEqual(['alb']);
  });
});
