/**
 * Deployment rules as pure functions: each rule's `check({ deployment, handler })` is called with a
 * hand-built Deployment and HandlerFacts, and its findings are asserted exactly (line, severity, key
 * phrase). No reader, no file system: the readers have their own tests.
 *
 * Line numbers in the builder are distinct per field, so an assertion on `at.line` proves which field
 * the finding points at (see LINE below).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Deployment, FrontDoor, FunctionUrl, Located, SourceLocation, Unresolved, UrlCors } from '../src/model/deployment.js';
import type { DeploymentRule, LocatedProblem } from '../src/model/rule.js';
import type { HandlerFacts } from '../src/code/handler-facts.js';
import { deploymentRules } from '../src/checks/deployment/index.js';
import { streamingHandlerBehindBufferedUrl } from '../src/checks/deployment/streaming-handler-behind-buffered-url.js';
import { bufferedHandlerBehindStreamingUrl } from '../src/checks/deployment/buffered-handler-behind-streaming-url.js';
import { webAdapterModeMismatch } from '../src/checks/deployment/web-adapter-mode-mismatch.js';
import { frontDoorCannotStream } from '../src/checks/deployment/front-door-cannot-stream.js';
import { duplicateCors } from '../src/checks/deployment/duplicate-cors.js';
import { streamingTimeoutTooShort } from '../src/checks/deployment/streaming-timeout-too-short.js';
import { tinyReservedConcurrency } from '../src/checks/deployment/tiny-reserved-concurrency.js';
import { publicFunctionUrl } from '../src/checks/deployment/public-function-url.js';
import { callbackHandlerOnNodejs24 } from '../src/checks/deployment/callback-handler-on-nodejs24.js';
import { execWrapperProxiesRuntimeApi } from '../src/checks/deployment/exec-wrapper-proxies-runtime-api.js';
import { webAdapterLayerArchitecture } from '../src/checks/deployment/web-adapter-layer-architecture.js';
import { compressionThroughStreamingUrl } from '../src/checks/deployment/compression-through-streaming-url.js';
import { cloudfrontOacUnsignedBody } from '../src/checks/deployment/cloudfront-oac-unsigned-body.js';

// ---------------------------------------------------------------------------------------------
// Builders

const FILE = 'template.yaml';

/** Where each field of the built deployment sits in the imaginary template. */
const LINE = {
  deployment: 4,
  handler: 7,
  runtime: 8,
  timeout: 9,
  reserved: 10,
  architectures: 11,
  lwaMode: 13,
  execWrapper: 14,
  webAdapter: 16,
  url: 18,
  authType: 19,
  invokeMode: 20,
  cors: 21,
  httpApi: 30,
  alb: 31,
  restApi: 32,
  transferMode: 33,
  cloudfront: 34,
} as const;

function loc(line: number, logicalPath?: string): SourceLocation {
  return { file: FILE, line, column: 5, ...(logicalPath ? { path: logicalPath } : {}) };
}

function at<T>(value: T, line: number): Located<T> {
  return { value, at: loc(line) };
}

function unresolved(text: string, line: number): Unresolved {
  return { unresolved: true, text, at: loc(line) };
}

/** A zip function on nodejs20.x with no URL, no front door, nothing set beyond handler and runtime. */
function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    name: 'Api',
    source: 'sam',
    at: loc(LINE.deployment, 'Resources.Api'),
    packageType: 'zip',
    runtime: at('nodejs20.x', LINE.runtime),
    handler: at('index.handler', LINE.handler),
    timeout: undefined,
    memory: undefined,
    environmentKeys: [],
    streamingEnvironment: {},
    layers: [],
    reservedConcurrency: undefined,
    frontDoors: [],
    defaultTimeoutSeconds: 3,
    ...overrides,
  };
}

/** A Function URL with AWS_IAM auth, no invoke mode (BUFFERED) and no CORS. */
function url(overrides: Partial<FunctionUrl> = {}): FunctionUrl {
  return {
    at: loc(LINE.url, 'Resources.Api.Properties.FunctionUrlConfig'),
    invokeMode: undefined,
    authType: at('AWS_IAM', LINE.authType),
    cors: undefined,
    ...overrides,
  };
}

const streamUrl = (overrides: Partial<FunctionUrl> = {}) => url({ invokeMode: at('RESPONSE_STREAM', LINE.invokeMode), ...overrides });
const bufferedUrl = (overrides: Partial<FunctionUrl> = {}) => url({ invokeMode: at('BUFFERED', LINE.invokeMode), ...overrides });

/** Facts of a plain async handler: nothing streaming, nothing buffered-adapter, no callback, no CORS. */
function handler(overrides: Partial<HandlerFacts> = {}): HandlerFacts {
  return {
    file: 'src/index.mjs',
    exportName: 'handler',
    streaming: null,
    bufferedAdapter: null,
    callbackStyle: null,
    cors: null,
    moduleHandles: [],
    disablesEventLoopWait: false,
    moduleState: [],
    ...overrides,
  };
}

const streamingHandler = () => handler({ streaming: { how: 'awslambda.streamifyResponse', line: 3 } });
const serverlessHttpHandler = () => handler({ file: 'src/lambda.js', bufferedAdapter: { name: 'serverless-http', line: 12 } });

/** The Lambda Web Adapter layer, optionally with AWS_LWA_INVOKE_MODE. */
function withAdapter(mode?: string | Unresolved): Partial<Deployment> {
  return {
    webAdapter: at('arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26', LINE.webAdapter),
    layers: [at('arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26', LINE.webAdapter)],
    streamingEnvironment: {
      AWS_LAMBDA_EXEC_WRAPPER: at('/opt/bootstrap', LINE.execWrapper),
      ...(mode === undefined ? {} : { AWS_LWA_INVOKE_MODE: typeof mode === 'string' ? at(mode, LINE.lwaMode) : mode }),
    },
  };
}

function door(kind: FrontDoor['kind'], line: number, extra: Partial<FrontDoor> = {}): FrontDoor {
  return { kind, at: loc(line), ...extra };
}

function cors(value: Partial<UrlCors> = {}): Located<UrlCors> {
  return at({ enabled: true, allowOrigins: ['https://app.example.com'], ...value }, LINE.cors);
}

function run(rule: DeploymentRule, d: Deployment, h: HandlerFacts | null = null): LocatedProblem[] {
  return rule.check({ deployment: d, handler: h });
}

/** The message ids a rule declares (a typo in a test fails to compile). */
type MessageIdOf<R> = R extends { messages?: infer M } ? keyof NonNullable<M> & string : never;

/** One finding expected: returns it after checking its line, message id and (effective) severity. */
function one<R extends DeploymentRule>(rule: R, d: Deployment, h: HandlerFacts | null, line: number, messageId: MessageIdOf<R>, severity = rule.meta.severity): LocatedProblem {
  const reports = run(rule, d, h);
  expect(reports, JSON.stringify(reports, null, 2)).toHaveLength(1);
  const [report] = reports;
  expect(report.at.file).toBe(FILE);
  expect(report.at.line).toBe(line);
  expect(report.messageId).toBe(messageId);
  expect(report.severity ?? rule.meta.severity).toBe(severity);
  expect(report.key).toMatch(/^Api:/);
  return report;
}

// ---------------------------------------------------------------------------------------------

describe('deployment rule registry', () => {
  const ids = [
    'streaming-handler-behind-buffered-url',
    'buffered-handler-behind-streaming-url',
    'web-adapter-mode-mismatch',
    'front-door-cannot-stream',
    'duplicate-cors',
    'streaming-timeout-too-short',
    'tiny-reserved-concurrency',
    'public-function-url',
    'callback-handler-on-nodejs24',
    'exec-wrapper-proxies-runtime-api',
    'managed-instances-shared-state',
    'app-stream-buffered-by-adapter',
    'web-adapter-layer-architecture',
    'function-url-missing-invoke-permission',
    'compression-through-streaming-url',
    'cloudfront-oac-unsigned-body',
  ];

  it('has the sixteen deployment rules, in order, all in the deployment category', () => {
    expect(deploymentRules.map((r) => r.meta.id)).toEqual(ids);
    for (const rule of deploymentRules) {
      expect(rule.meta.category).toBe('deployment');
      expect(rule.meta.triggers).toEqual([]);
    }
  });

  it('each rule file is named after its id', () => {
    for (const id of ids) expect(existsSync(path.resolve(import.meta.dirname, `../src/checks/deployment/${id}.ts`)), id).toBe(true);
  });

  it('a correctly configured streaming function is quiet on every rule', () => {
    const d = deployment({
      timeout: at(120, LINE.timeout),
      url: streamUrl(),
      reservedConcurrency: at(50, LINE.reserved),
      frontDoors: [door('cloudfront', LINE.cloudfront)],
    });
    for (const rule of deploymentRules) expect(run(rule, d, streamingHandler()), rule.meta.id).toEqual([]);
  });

  it('a function without a URL, a front door or resolved handler facts is quiet on every rule', () => {
    for (const rule of deploymentRules) expect(run(rule, deployment(), null), rule.meta.id).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('streaming-handler-behind-buffered-url', () => {
  const rule = streamingHandlerBehindBufferedUrl;

  it('reports a streamified handler behind a URL with no invoke mode, at the URL', () => {
    const r = one(rule, deployment({ url: url() }), streamingHandler(), LINE.url, 'noInvokeMode', 'error');
    expect(r.message).toContain('has no invoke mode, so it is BUFFERED');
    expect(r.message).toContain('src/index.mjs uses awslambda.streamifyResponse');
    expect(r.message).toContain('Invoke API callers get the prelude JSON and NUL bytes');
    expect(r.fix).toContain('RESPONSE_STREAM');
    expect(r.key).toBe('Api:url-buffered');
    // the fixer adds the invoke mode to the URL: no written value to replace
    expect(r.payload).toMatchObject({ mode: 'BUFFERED', url: { at: { line: LINE.url } } });
    expect(r.payload).not.toHaveProperty('field');
  });

  it('reports an explicit BUFFERED at the InvokeMode line', () => {
    const r = one(rule, deployment({ url: bufferedUrl() }), streamingHandler(), LINE.invokeMode, 'bufferedInvokeMode');
    expect(r.payload).toMatchObject({ written: 'BUFFERED', field: { value: 'BUFFERED', at: { line: LINE.invokeMode } } });
    expect(r.message).toContain('is `BUFFERED`');
  });

  it('reports a lowercase response_stream: only the exact enum value streams', () => {
    const d = deployment({ source: 'serverless', url: url({ invokeMode: at('response_stream' as 'RESPONSE_STREAM', LINE.invokeMode) }) });
    const r = one(rule, d, streamingHandler(), LINE.invokeMode, 'miscasedResponseStream');
    expect(r.message).toContain('only the exact value RESPONSE_STREAM streams');
    expect(r.message).toContain('#13756');
  });

  it('leaves the web adapter in response_stream mode to web-adapter-mode-mismatch (one finding per cause)', () => {
    const d = deployment({ runtime: at('python3.12', LINE.runtime), url: url(), ...withAdapter('response_stream') });
    expect(run(rule, d, null)).toEqual([]);
  });

  it('reports hono streamHandle and middy streamifyResponse like streamifyResponse', () => {
    for (const how of ['hono/aws-lambda streamHandle()', 'middy streamifyResponse']) {
      const r = one(rule, deployment({ url: url() }), handler({ streaming: { how, line: 9 } }), LINE.url, 'noInvokeMode');
      expect(r.message).toContain(how);
    }
  });

  it('is quiet for RESPONSE_STREAM + a streaming handler', () => {
    expect(run(rule, deployment({ url: streamUrl() }), streamingHandler())).toEqual([]);
  });

  it('is quiet when the invoke mode cannot be resolved (!Ref without default)', () => {
    const d = deployment({ url: url({ invokeMode: unresolved('!Ref InvokeMode', LINE.invokeMode) }) });
    expect(run(rule, d, streamingHandler())).toEqual([]);
  });

  it('is quiet without handler facts and without the web adapter', () => {
    expect(run(rule, deployment({ url: url() }), null)).toEqual([]);
  });

  it('is quiet for a buffered handler behind a BUFFERED URL, and for a streaming handler with no URL', () => {
    expect(run(rule, deployment({ url: bufferedUrl() }), serverlessHttpHandler())).toEqual([]);
    expect(run(rule, deployment(), streamingHandler())).toEqual([]);
  });

  it('is quiet for the web adapter left buffered (its default) behind a BUFFERED URL', () => {
    expect(run(rule, deployment({ url: url(), ...withAdapter() }), null)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('buffered-handler-behind-streaming-url', () => {
  const rule = bufferedHandlerBehindStreamingUrl;

  it('reports serverless-http behind RESPONSE_STREAM, at the InvokeMode line', () => {
    const r = one(rule, deployment({ url: streamUrl() }), serverlessHttpHandler(), LINE.invokeMode, 'bufferedAdapter', 'error');
    expect(r.message).toContain('src/lambda.js:12');
    expect(r.message).toContain('buffered adapter serverless-http');
    expect(r.message).toContain('raw {statusCode, headers, body} envelope');
    expect(r.key).toBe('Api:url-stream-buffered-handler');
  });

  it('names what the app streams when the buffered adapter collects it (Mangum + StreamingResponse)', () => {
    const mangum = handler({
      file: 'dashboard/handler.py',
      bufferedAdapter: { name: 'Mangum', line: 30 },
      appStreams: { how: 'fastapi StreamingResponse', file: 'dashboard/handler.py', line: 21 },
    });
    const r = one(rule, deployment({ url: streamUrl() }), mangum, LINE.invokeMode, 'bufferedAdapterCollectsAppStream', 'error');
    expect(r.message).toContain('the buffered adapter Mangum, which collects what the app streams (fastapi StreamingResponse, dashboard/handler.py:21): clients may get the raw');
  });

  it('reports @codegenie/serverless-express and hono handle() too', () => {
    for (const name of ['@codegenie/serverless-express', 'hono/aws-lambda handle()']) {
      const r = one(rule, deployment({ url: streamUrl() }), handler({ bufferedAdapter: { name, line: 4 } }), LINE.invokeMode, 'bufferedAdapter');
      expect(r.message).toContain(name);
    }
  });

  it('is quiet behind a BUFFERED URL or a URL without invoke mode', () => {
    expect(run(rule, deployment({ url: bufferedUrl() }), serverlessHttpHandler())).toEqual([]);
    expect(run(rule, deployment({ url: url() }), serverlessHttpHandler())).toEqual([]);
  });

  it('is quiet for a streaming handler behind RESPONSE_STREAM', () => {
    expect(run(rule, deployment({ url: streamUrl() }), streamingHandler())).toEqual([]);
  });

  it('is quiet without handler facts, and for an unrecognised (plain) handler shape', () => {
    expect(run(rule, deployment({ url: streamUrl() }), null)).toEqual([]);
    expect(run(rule, deployment({ url: streamUrl() }), handler())).toEqual([]);
  });

  it('leaves the web adapter to web-adapter-mode-mismatch', () => {
    expect(run(rule, deployment({ url: streamUrl(), ...withAdapter() }), serverlessHttpHandler())).toEqual([]);
  });

  it('is quiet when the invoke mode is unresolved', () => {
    const d = deployment({ url: url({ invokeMode: unresolved('var.invoke_mode', LINE.invokeMode) }) });
    expect(run(rule, d, serverlessHttpHandler())).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('web-adapter-mode-mismatch', () => {
  const rule = webAdapterModeMismatch;

  it('reports the adapter without AWS_LWA_INVOKE_MODE behind RESPONSE_STREAM, at the adapter', () => {
    const r = one(rule, deployment({ url: streamUrl(), ...withAdapter() }), null, LINE.webAdapter, 'adapterModeUnset', 'error');
    expect(r.message).toContain('AWS_LWA_INVOKE_MODE is not set, so the adapter buffers');
    expect(r.message).toContain('arrive all at once');
    expect(r.fix).toContain('AWS_LWA_INVOKE_MODE=response_stream');
    expect(r.key).toBe('Api:lwa-buffered');
    // the fixer sets the variable where the adapter is installed: none is written
    expect(r.payload).toMatchObject({ change: 'adapter', adapter: { mode: 'buffered', explicit: false, adapter: { at: { line: LINE.webAdapter } } } });
    expect((r.payload as { adapter: object }).adapter).not.toHaveProperty('variable');
  });

  it('reports a misspelt mode as buffered, at the variable', () => {
    for (const written of ['stream', 'RESPONSE-STREAM', 'buffered']) {
      const r = one(rule, deployment({ url: streamUrl(), ...withAdapter(written) }), null, LINE.lwaMode, 'adapterModeBuffered');
      expect(r.message).toContain(`AWS_LWA_INVOKE_MODE is \`${written}\` (buffered)`);
      expect(r.payload).toMatchObject({ change: 'adapter', adapter: { variable: { value: written, at: { line: LINE.lwaMode } } } });
    }
  });

  it('reports response_stream behind a URL without invoke mode (BUFFERED)', () => {
    const r = one(rule, deployment({ url: url(), ...withAdapter('response_stream') }), null, LINE.lwaMode, 'urlBuffersStreamingAdapter');
    expect(r.message).toContain('its Function URL is BUFFERED');
    expect(r.key).toBe('Api:lwa-stream-url-buffered');
    expect(r.payload).toMatchObject({ change: 'url', url: { mode: 'BUFFERED', url: { at: { line: LINE.url } } } });
  });

  it('is quiet when the modes match (case-insensitive)', () => {
    expect(run(rule, deployment({ url: streamUrl(), ...withAdapter('response_stream') }), null)).toEqual([]);
    expect(run(rule, deployment({ url: streamUrl(), ...withAdapter('RESPONSE_STREAM') }), null)).toEqual([]);
    expect(run(rule, deployment({ url: url(), ...withAdapter() }), null)).toEqual([]);
    expect(run(rule, deployment({ url: bufferedUrl(), ...withAdapter('buffered') }), null)).toEqual([]);
  });

  it('is quiet when either side is unresolved', () => {
    expect(run(rule, deployment({ url: streamUrl(), ...withAdapter(unresolved('${ssm:/lwa/mode}', LINE.lwaMode)) }), null)).toEqual([]);
    expect(run(rule, deployment({ url: url({ invokeMode: unresolved('!Ref Mode', LINE.invokeMode) }), ...withAdapter('response_stream') }), null)).toEqual([]);
  });

  it('is quiet without a URL, and without the adapter (AWS_LWA_INVOKE_MODE alone does nothing)', () => {
    expect(run(rule, deployment(withAdapter('response_stream')), null)).toEqual([]);
    expect(run(rule, deployment({ url: streamUrl(), streamingEnvironment: { AWS_LWA_INVOKE_MODE: at('buffered', LINE.lwaMode) } }), null)).toEqual([]);
  });

  // Rule bug (reported): one cause, two findings. The adapter in response_stream mode behind a BUFFERED URL
  // is reported here AND by streaming-handler-behind-buffered-url (which counts the adapter as streaming
  // through streams()). One of the two should stand down.
  it('reports response_stream behind a BUFFERED URL once across all rules', () => {
    const d = deployment({ url: url(), ...withAdapter('response_stream') });
    const all = deploymentRules.flatMap((r) => run(r, d, null).map((f) => ({ rule: r.meta.id, line: f.at.line })));
    expect(all.filter((f) => f.rule === 'web-adapter-mode-mismatch' || f.rule === 'streaming-handler-behind-buffered-url')).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe('front-door-cannot-stream', () => {
  const rule = frontDoorCannotStream;

  it('reports an HTTP API in front of a streaming handler, at the front door', () => {
    const r = one(rule, deployment({ frontDoors: [door('http-api', LINE.httpApi)] }), streamingHandler(), LINE.httpApi, 'httpApi', 'error');
    expect(r.message).toContain('an API Gateway HTTP API, which never streams');
    expect(r.message).toContain('returns 500 to the caller');
    expect(r.key).toBe(`Api:http-api:${LINE.httpApi}`);
  });

  it('reports an ALB', () => {
    const r = one(rule, deployment({ frontDoors: [door('alb', LINE.alb)] }), streamingHandler(), LINE.alb, 'alb');
    expect(r.message).toContain('an Application Load Balancer, which never streams');
    expect(r.message).toContain('returns an error (502)');
  });

  it('reports a REST API without responseTransferMode, or with BUFFERED', () => {
    const missing = one(rule, deployment({ frontDoors: [door('rest-api', LINE.restApi)] }), streamingHandler(), LINE.restApi, 'restApiWithoutStream');
    expect(missing.message).toContain('a REST API integration without responseTransferMode STREAM');
    expect(missing.message).toContain('returns 502 to the caller');
    expect(missing.fix).toContain('responseTransferMode: STREAM');
    const buffered = door('rest-api', LINE.restApi, { transferMode: at('BUFFERED', LINE.transferMode) });
    one(rule, deployment({ frontDoors: [buffered] }), streamingHandler(), LINE.restApi, 'restApiWithoutStream');
  });

  it('reports each buffering front door once', () => {
    const d = deployment({ frontDoors: [door('http-api', LINE.httpApi), door('alb', LINE.alb), door('cloudfront', LINE.cloudfront)] });
    expect(run(rule, d, streamingHandler()).map((r) => r.at.line)).toEqual([LINE.httpApi, LINE.alb]);
    expect(run(rule, d, streamingHandler()).map((r) => r.messageId)).toEqual(['httpApi', 'alb']);
  });

  it('reports the web adapter in response_stream mode behind an ALB', () => {
    const r = one(rule, deployment({ frontDoors: [door('alb', LINE.alb)], ...withAdapter('response_stream') }), null, LINE.alb, 'alb');
    expect(r.message).toContain('Lambda Web Adapter');
  });

  it('is quiet for a REST API with STREAM, and when the transfer mode is unresolved', () => {
    const stream = door('rest-api', LINE.restApi, { transferMode: at('STREAM', LINE.transferMode), streamingInvocationUri: true });
    expect(run(rule, deployment({ frontDoors: [stream] }), streamingHandler())).toEqual([]);
    const param = door('rest-api', LINE.restApi, { transferMode: unresolved('!Ref TransferMode', LINE.transferMode) });
    expect(run(rule, deployment({ frontDoors: [param] }), streamingHandler())).toEqual([]);
  });

  it('is quiet for CloudFront and unknown front doors', () => {
    expect(run(rule, deployment({ frontDoors: [door('cloudfront', LINE.cloudfront), door('unknown', 40)] }), streamingHandler())).toEqual([]);
  });

  it('is quiet for buffered handlers and without handler facts', () => {
    const d = deployment({ frontDoors: [door('http-api', LINE.httpApi)] });
    expect(run(rule, d, serverlessHttpHandler())).toEqual([]);
    expect(run(rule, d, null)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('duplicate-cors', () => {
  const rule = duplicateCors;
  const appCors = () => handler({ file: 'src/lambda.js', cors: { how: 'the cors middleware', file: 'src/app.js', line: 3 } });

  it('reports URL CORS plus the cors() middleware, at the Cors line', () => {
    const r = one(rule, deployment({ url: streamUrl({ cors: cors() }) }), appCors(), LINE.cors, 'urlAndAppCors', 'error');
    expect(r.message).toContain('the cors middleware, src/app.js:3');
    expect(r.message).toContain('Access-Control-Allow-Origin twice');
    expect(r.key).toBe('Api:duplicate-cors');
    expect(r.payload).toMatchObject({ url: { isDefault: false, field: { at: { line: LINE.cors } } }, app: { how: 'the cors middleware', file: 'src/app.js' } });
  });

  it('reports SST/serverless `cors: true` and a manual header, whatever the invoke mode', () => {
    const manual = handler({ cors: { how: 'an Access-Control-Allow-Origin header set in code', file: 'src/index.mjs', line: 8 } });
    const d = deployment({ source: 'sst', url: url({ cors: at({ enabled: true }, LINE.cors) }) });
    const r = one(rule, d, manual, LINE.cors, 'urlAndAppCors');
    expect(r.message).toContain('an Access-Control-Allow-Origin header set in code, src/index.mjs:8');
  });

  it('is quiet with CORS on the URL but not in the app', () => {
    expect(run(rule, deployment({ url: streamUrl({ cors: cors() }) }), handler())).toEqual([]);
  });

  it('is quiet with CORS in the app but not on the URL (or no URL)', () => {
    expect(run(rule, deployment({ url: streamUrl() }), appCors())).toEqual([]);
    expect(run(rule, deployment(), appCors())).toEqual([]);
  });

  it('is quiet when the URL turns CORS off, when it is unresolved, and without handler facts', () => {
    expect(run(rule, deployment({ url: url({ cors: at({ enabled: false }, LINE.cors) }) }), appCors())).toEqual([]);
    expect(run(rule, deployment({ url: url({ cors: unresolved('!If [Prod, ..., ...]', LINE.cors) }) }), appCors())).toEqual([]);
    expect(run(rule, deployment({ url: url({ cors: cors() }) }), null)).toEqual([]);
  });

  // Rule bug (reported): UrlCors.enabled is documented as "true when the source enables CORS without
  // details (SST `cors: true`, serverless `cors: true`)", but the rule requires it. A reader that follows
  // that comment and leaves it false for a detailed `Cors: { AllowOrigins: [...] }` (SAM, CFN, CDK,
  // Terraform) gets no finding, although aws.md §1.2 says any configured Cors duplicates the app's.
  it('reports a detailed Cors (AllowOrigins) even when `enabled` is false', () => {
    one(rule, deployment({ url: url({ cors: at({ enabled: false, allowOrigins: ['https://app.example.com'] }, LINE.cors) }) }), appCors(), LINE.cors, 'urlAndAppCors');
  });

  // Rule bug (reported): SST's `url` defaults to `cors: true` (tooling.md §0.5, "duplicate CORS by
  // default"). A missing cors on an SST URL means CORS is on; the rule only reads resolved values.
  it('reports an SST URL with the default cors (missing) and hono/cors in the app', () => {
    const d = deployment({ source: 'sst', defaultTimeoutSeconds: 20, url: url({ authType: undefined, cors: undefined }) });
    one(rule, d, handler({ cors: { how: 'the hono/cors middleware', file: 'src/index.ts', line: 2 } }), LINE.url, 'defaultUrlAndAppCors');
  });
});

// ---------------------------------------------------------------------------------------------

describe('streaming-timeout-too-short', () => {
  const rule = streamingTimeoutTooShort;
  const model = { how: 'calls a language model (openai)', file: 'src/chat.mjs', line: 2 };
  const withWork = (work: HandlerFacts['longWork']) => ({ ...streamingHandler(), longWork: work });

  it('with evidence of long work: the Lambda/CFN default of 3 s, at the function, as a warning naming the work', () => {
    const r = one(rule, deployment({ url: streamUrl() }), withWork(model), LINE.deployment, 'longWorkShortDefaultTimeout', 'warning');
    expect(r.message).toContain('the default 3 s (no timeout is set)');
    expect(r.message).toContain('calls a language model (openai) (src/chat.mjs:2)');
    expect(r.key).toBe('Api:timeout');
  });

  it('with evidence of long work: < 15 s warning, 15-29 s info, 30 s and above quiet', () => {
    const ten = one(rule, deployment({ timeout: at(10, LINE.timeout) }), withWork(model), LINE.timeout, 'longWorkShortTimeout', 'warning');
    expect(ten.message).toContain('a timeout of 10 s');
    one(rule, deployment({ timeout: at(14, LINE.timeout) }), withWork(model), LINE.timeout, 'longWorkShortTimeout', 'warning');
    one(rule, deployment({ timeout: at(15, LINE.timeout) }), withWork(model), LINE.timeout, 'longWorkShortTimeout', 'info');
    one(rule, deployment({ source: 'serverless', defaultTimeoutSeconds: 6 }), withWork(model), LINE.deployment, 'longWorkShortDefaultTimeout', 'warning');
    one(rule, deployment({ source: 'sst', defaultTimeoutSeconds: 20 }), withWork(model), LINE.deployment, 'longWorkShortDefaultTimeout', 'info');
    expect(run(rule, deployment({ timeout: at(30, LINE.timeout) }), withWork(model))).toEqual([]);
  });

  it('without evidence of long work: a note (info) under 30 s, whatever the timeout', () => {
    const r = one(rule, deployment({ url: streamUrl() }), streamingHandler(), LINE.deployment, 'shortDefaultTimeout', 'info');
    expect(r.message).toContain('the default 3 s (no timeout is set)');
    one(rule, deployment({ timeout: at(1, LINE.timeout) }), streamingHandler(), LINE.timeout, 'shortTimeout', 'info');
    one(rule, deployment({ timeout: at(29, LINE.timeout) }), streamingHandler(), LINE.timeout, 'shortTimeout', 'info');
  });

  it('a bounded stream of known length: a warning when it outlasts the timeout (any timeout), nothing when it fits', () => {
    const loop = { how: 'streams for about 6 s in a loop of sleeps', file: 'src/happy.js', line: 34, estimateMs: 6000 };
    const cut = one(rule, deployment({ timeout: at(1, LINE.timeout) }), withWork(loop), LINE.timeout, 'streamOutlastsTimeout', 'warning');
    expect(cut.message).toContain('streams for about 6 s in a loop of sleeps (src/happy.js:34), longer than its timeout of 1 s');
    one(rule, deployment({ timeout: at(6, LINE.timeout) }), withWork(loop), LINE.timeout, 'streamOutlastsTimeout', 'warning');
    one(rule, deployment({ source: 'serverless', defaultTimeoutSeconds: 6 }), withWork({ ...loop, estimateMs: 60_000 }), LINE.deployment, 'streamOutlastsDefaultTimeout', 'warning');
    one(rule, deployment({ timeout: at(45, LINE.timeout) }), withWork({ ...loop, estimateMs: 60_000 }), LINE.timeout, 'streamOutlastsTimeout', 'warning');
    expect(run(rule, deployment({ timeout: at(10, LINE.timeout) }), withWork(loop))).toEqual([]);
  });

  it('counts a RESPONSE_STREAM URL as streaming when the handler cannot be resolved (no evidence: info)', () => {
    const r = one(rule, deployment({ url: streamUrl(), timeout: at(10, LINE.timeout) }), null, LINE.timeout, 'shortTimeout', 'info');
    expect(r.message).toContain('its Function URL is RESPONSE_STREAM');
  });

  it('is quiet when the timeout is unresolved', () => {
    expect(run(rule, deployment({ timeout: unresolved('var.timeout', LINE.timeout) }), withWork(model))).toEqual([]);
  });

  it('is quiet for functions that do not stream (even with the 3 s default and a model call)', () => {
    expect(run(rule, deployment({ url: url() }), { ...serverlessHttpHandler(), longWork: model })).toEqual([]);
    expect(run(rule, deployment({ url: url() }), null)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('tiny-reserved-concurrency', () => {
  const rule = tinyReservedConcurrency;

  it('reports reserved concurrency 0 as an error, streaming or not', () => {
    const r = one(rule, deployment({ reservedConcurrency: at(0, LINE.reserved) }), null, LINE.reserved, 'reservedZero', 'error');
    expect(r.message).toContain('reserved concurrency 0: every invocation is throttled (429)');
    expect(r.key).toBe('Api:reserved-0');
    one(rule, deployment({ reservedConcurrency: at(0, LINE.reserved) }), streamingHandler(), LINE.reserved, 'reservedZero', 'error');
  });

  it('reports 1-5 slots for a streaming function as a warning', () => {
    const r = one(rule, deployment({ reservedConcurrency: at(2, LINE.reserved) }), streamingHandler(), LINE.reserved, 'reservedSmall', 'warning');
    expect(r.message).toContain('answering 429 after 2 concurrent streams');
    expect(r.key).toBe('Api:reserved-small');
    one(rule, deployment({ reservedConcurrency: at(5, LINE.reserved) }), streamingHandler(), LINE.reserved, 'reservedSmall', 'warning');
  });

  it('counts a RESPONSE_STREAM URL as streaming', () => {
    const r = one(rule, deployment({ url: streamUrl(), reservedConcurrency: at(1, LINE.reserved) }), null, LINE.reserved, 'reservedSmall');
    expect(r.message).toContain('RESPONSE_STREAM URL');
  });

  it('is quiet above 5 (6, 50)', () => {
    expect(run(rule, deployment({ reservedConcurrency: at(6, LINE.reserved) }), streamingHandler())).toEqual([]);
    expect(run(rule, deployment({ reservedConcurrency: at(50, LINE.reserved) }), streamingHandler())).toEqual([]);
  });

  it('is quiet for a small reservation on a function that does not stream', () => {
    expect(run(rule, deployment({ reservedConcurrency: at(2, LINE.reserved) }), serverlessHttpHandler())).toEqual([]);
  });

  it('is quiet when unreserved or unresolved', () => {
    expect(run(rule, deployment(), streamingHandler())).toEqual([]);
    expect(run(rule, deployment({ reservedConcurrency: unresolved('!Ref Reserved', LINE.reserved) }), streamingHandler())).toEqual([]);
  });

  // Rule bug (reported): Terraform's `reserved_concurrent_executions = -1` is the provider's way of writing
  // "unreserved". The rule treats any value <= 5 other than 0 as a tiny reservation, so -1 on a streaming
  // function gets "reserved concurrency -1 ... 429 after -1 concurrent streams". Either the rule ignores
  // negative values or the Terraform reader maps -1 to undefined; the rule is the safer place.
  it('is quiet for Terraform\'s -1 (unreserved)', () => {
    const d = deployment({ source: 'terraform', reservedConcurrency: at(-1, LINE.reserved) });
    expect(run(rule, d, streamingHandler())).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('public-function-url', () => {
  const rule = publicFunctionUrl;

  it('reports AuthType NONE at the AuthType line', () => {
    const r = one(rule, deployment({ url: streamUrl({ authType: at('NONE', LINE.authType) }) }), null, LINE.authType, 'publicUrl', 'warning');
    expect(r.message).toContain('is public (AuthType NONE)');
    expect(r.fix).toContain('AWS_IAM');
    expect(r.key).toBe('Api:public-url');
  });

  it('reports NONE on a buffered function too (it is about the URL, not streaming)', () => {
    one(rule, deployment({ url: url({ authType: at('NONE', LINE.authType) }) }), serverlessHttpHandler(), LINE.authType, 'publicUrl');
  });

  it('is quiet for AWS_IAM, for an unresolved AuthType and without a URL', () => {
    expect(run(rule, deployment({ url: url() }), null)).toEqual([]);
    expect(run(rule, deployment({ url: url({ authType: unresolved('!Ref AuthType', LINE.authType) }) }), null)).toEqual([]);
    expect(run(rule, deployment(), null)).toEqual([]);
  });

  it('is quiet for a CDK URL without authType (the CDK default is AWS_IAM)', () => {
    expect(run(rule, deployment({ source: 'cdk', url: url({ authType: undefined }) }), null)).toEqual([]);
  });

  // Rule bug (reported): a missing authType means the source's default (model/deployment.ts). SST's
  // `url` defaults to authorization "none" (tooling.md §0.5) and serverless `url: true` is public unless
  // `authorizer: aws_iam`. The rule only reads a resolved NONE, so the default public URL is missed
  // unless the readers materialize the default as a Located value.
  it('reports an SST URL with the default authorization (missing)', () => {
    one(rule, deployment({ source: 'sst', defaultTimeoutSeconds: 20, url: url({ authType: undefined }) }), null, LINE.url, 'publicByDefault');
  });

  it('reports a serverless `url: true` (no authorizer)', () => {
    one(rule, deployment({ source: 'serverless', defaultTimeoutSeconds: 6, url: url({ authType: undefined }) }), null, LINE.url, 'publicByDefault');
  });
});

// ---------------------------------------------------------------------------------------------

describe('callback-handler-on-nodejs24', () => {
  const rule = callbackHandlerOnNodejs24;
  const callback = () => handler({ callbackStyle: { line: 5, length: 3, async: false } });
  const asyncThreeParams = () => handler({ callbackStyle: { line: 5, length: 3, async: true } });
  const managed = { file: FILE, line: 14, column: 7 };

  it('reports a callback handler on nodejs24.x, at the runtime', () => {
    const r = one(rule, deployment({ runtime: at('nodejs24.x', LINE.runtime) }), callback(), LINE.runtime, 'callbackHandler', 'error');
    expect(r.message).toContain('runs on nodejs24.x');
    expect(r.message).toContain('src/index.mjs:5');
    expect(r.message).toContain('takes a callback (handler.length 3)');
    expect(r.message).toContain('reject such handlers at init (Runtime.CallbackHandlerDeprecated)');
    expect(r.key).toBe('Api:callback-24');
  });

  it('reports an async handler that declares three parameters (the 4.x runtime counts handler.length, async or not)', () => {
    const r = one(rule, deployment({ runtime: at('nodejs24.x', LINE.runtime) }), asyncThreeParams(), LINE.runtime, 'callbackHandler', 'error');
    expect(r.message).toContain('is async but declares 3 parameters');
    expect(r.fix).toContain('Drop the unused third parameter');
  });

  it('names an implied runtime (a tool default) in the message', () => {
    const r = one(rule, deployment({ runtime: at('nodejs24.x', LINE.runtime), runtimeImplied: 'the default runtime of sst 4.2.0' }), callback(), LINE.runtime, 'callbackHandler');
    expect(r.message).toContain('runs on nodejs24.x (the default runtime of sst 4.2.0)');
  });

  it('reports nodejs22.x on Managed Instances (the 4.x client runs there too), at the capacity provider setting', () => {
    const d = deployment({ runtime: at('nodejs22.x', LINE.runtime), managedInstances: managed });
    const reports = run(rule, d, asyncThreeParams());
    expect(reports).toHaveLength(1);
    expect(reports[0].messageId).toBe('managedInstances');
    expect(reports[0].at).toEqual(managed);
    expect(reports[0].key).toBe('Api:callback-mi22');
    expect(reports[0].message).toContain('rejects callback-based handlers on Node.js 22');
    // nodejs24.x on Managed Instances: the Node 24 message, at the runtime.
    one(rule, deployment({ runtime: at('nodejs24.x', LINE.runtime), managedInstances: managed }), callback(), LINE.runtime, 'callbackHandler');
  });

  it('reports later runtimes (nodejs26.x)', () => {
    one(rule, deployment({ runtime: at('nodejs26.x', LINE.runtime) }), callback(), LINE.runtime, 'callbackHandler');
  });

  it('is quiet for an async handler on nodejs24.x', () => {
    expect(run(rule, deployment({ runtime: at('nodejs24.x', LINE.runtime) }), handler())).toEqual([]);
    expect(run(rule, deployment({ runtime: at('nodejs24.x', LINE.runtime) }), streamingHandler())).toEqual([]);
  });

  it('is quiet for a callback handler on nodejs22.x and earlier (outside Managed Instances)', () => {
    for (const runtime of ['nodejs18.x', 'nodejs20.x', 'nodejs22.x']) {
      expect(run(rule, deployment({ runtime: at(runtime, LINE.runtime) }), callback()), runtime).toEqual([]);
    }
  });

  it('is quiet when the runtime is unresolved or missing (image), and without handler facts', () => {
    expect(run(rule, deployment({ runtime: unresolved('!Ref NodeRuntime', LINE.runtime) }), callback())).toEqual([]);
    expect(run(rule, deployment({ packageType: 'image', runtime: undefined }), callback())).toEqual([]);
    expect(run(rule, deployment({ runtime: at('nodejs24.x', LINE.runtime) }), null)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('exec-wrapper-proxies-runtime-api', () => {
  const rule = execWrapperProxiesRuntimeApi;
  const wrapper = (value: string | Unresolved) => ({ AWS_LAMBDA_EXEC_WRAPPER: typeof value === 'string' ? at(value, LINE.execWrapper) : value });

  it('notes an unknown wrapper on a streaming function (info), at the variable', () => {
    const d = deployment({ runtime: at('nodejs22.x', LINE.runtime), streamingEnvironment: wrapper('/opt/smug-wrapper') });
    const r = one(rule, d, streamingHandler(), LINE.execWrapper, 'wrapsStreamingRuntime', 'info');
    expect(r.message).toContain('through the exec wrapper /opt/smug-wrapper');
    expect(r.message).toContain('error trailers');
    expect(r.key).toBe('Api:wrapper');
  });

  it('counts a RESPONSE_STREAM URL as streaming when the handler cannot be resolved', () => {
    const r = one(rule, deployment({ url: streamUrl(), streamingEnvironment: wrapper('/opt/otel-handler') }), null, LINE.execWrapper, 'wrapsStreamingRuntime', 'info');
    expect(r.message).toContain('RESPONSE_STREAM URL');
  });

  it('warns that a wrapper on provided.al2023 is ignored, streaming or not', () => {
    const d = deployment({ runtime: at('provided.al2023', LINE.runtime), streamingEnvironment: wrapper('/opt/smug-wrapper') });
    const r = one(rule, d, null, LINE.execWrapper, 'ignoredOnOsOnlyRuntime', 'warning');
    expect(r.message).toContain('on provided.al2023, where wrapper scripts are not supported: it is ignored');
    expect(r.key).toBe('Api:wrapper-provided');
  });

  it('is quiet for the web adapter layer\'s /opt/bootstrap on provided.al2023 (the layer\'s bootstrap is the runtime there)', () => {
    expect(run(rule, deployment({ runtime: at('provided.al2023', LINE.runtime), ...withAdapter('response_stream') }), null)).toEqual([]);
  });

  it('warns for /opt/bootstrap on provided.al2023 without the adapter layer (nothing provides it, the variable is ignored)', () => {
    const d = deployment({ runtime: at('provided.al2023', LINE.runtime), streamingEnvironment: wrapper('/opt/bootstrap') });
    one(rule, d, null, LINE.execWrapper, 'ignoredOnOsOnlyRuntime', 'warning');
  });

  it('is quiet for the web adapter\'s /opt/bootstrap on a managed runtime', () => {
    expect(run(rule, deployment({ url: streamUrl(), ...withAdapter('response_stream') }), null)).toEqual([]);
    expect(run(rule, deployment({ streamingEnvironment: wrapper('/opt/bootstrap') }), streamingHandler())).toEqual([]);
  });

  it('is quiet for a wrapper on a function that does not stream', () => {
    expect(run(rule, deployment({ url: url(), streamingEnvironment: wrapper('/opt/otel-handler') }), serverlessHttpHandler())).toEqual([]);
  });

  it('is quiet when the wrapper value is unresolved, and without a wrapper', () => {
    expect(run(rule, deployment({ streamingEnvironment: wrapper(unresolved('${env:WRAPPER}', LINE.execWrapper)) }), streamingHandler())).toEqual([]);
    expect(run(rule, deployment({ url: streamUrl() }), streamingHandler())).toEqual([]);
  });
});

describe('managed-instances-shared-state', () => {
  it('reports module-scope state changed by the handler on Managed Instances, and is quiet otherwise', async () => {
    const { managedInstancesSharedState: rule } = await import('../src/checks/deployment/managed-instances-shared-state.js');
    const managed = { file: 'template.yaml', line: 14, column: 7 };
    const state = handler({ moduleState: [{ name: 'cache', line: 3 }] });
    const [finding] = rule.check({ deployment: deployment({ managedInstances: managed }), handler: state });
    expect(finding.at).toEqual(managed);
    expect(finding.messageId).toBe('moduleStateShared');
    expect(finding.message).toContain('`cache` (src/index.mjs:3)');
    expect(rule.check({ deployment: deployment({}), handler: state })).toEqual([]);
    expect(rule.check({ deployment: deployment({ managedInstances: managed }), handler: handler({}) })).toEqual([]);
    expect(rule.check({ deployment: deployment({ managedInstances: managed }), handler: null })).toEqual([]);
  });
});

describe('app-stream-buffered-by-adapter', () => {
  it('reports an app that streams behind Mangum on a BUFFERED URL, once per cause', async () => {
    const { appStreamBufferedByAdapter: rule } = await import('../src/checks/deployment/app-stream-buffered-by-adapter.js');
    const mangum = handler({
      file: 'dashboard/handler.py',
      bufferedAdapter: { name: 'Mangum', line: 30 },
      appStreams: { how: 'fastapi StreamingResponse', file: 'dashboard/handler.py', line: 21 },
    });
    const [finding] = rule.check({ deployment: deployment({ url: url() }), handler: mangum });
    expect(finding.messageId).toBe('appStreamsThroughBufferedAdapter');
    expect(finding.message).toContain('fastapi StreamingResponse, dashboard/handler.py:21');
    expect(finding.message).toContain('Mangum (dashboard/handler.py:30)');
    // RESPONSE_STREAM: buffered-handler-behind-streaming-url reports it instead
    expect(rule.check({ deployment: deployment({ url: streamUrl() }), handler: mangum })).toEqual([]);
    // no streaming in the app, or the web adapter in front: quiet
    expect(rule.check({ deployment: deployment({ url: url() }), handler: handler({ bufferedAdapter: { name: 'Mangum', line: 30 } }) })).toEqual([]);
  });
});

describe('streaming-timeout-too-short and a known buffered handler', () => {
  it('a buffered handler behind a RESPONSE_STREAM URL does not stream (buffered-handler-behind-streaming-url), but its long work is still cut off', async () => {
    const { streamingTimeoutTooShort: rule } = await import('../src/checks/deployment/streaming-timeout-too-short.js');
    const buffered = handler({ bufferedAdapter: { name: 'hono/aws-lambda handle()', line: 4 } });
    expect(rule.check({ deployment: deployment({ url: streamUrl() }), handler: buffered })).toEqual([]);
    const working = handler({ bufferedAdapter: { name: 'hono/aws-lambda handle()', line: 4 }, longWork: { how: 'calls a language model (@aws-sdk/client-bedrock-runtime)', file: 'src/model.ts', line: 3 } });
    const [cut] = rule.check({ deployment: deployment({ url: streamUrl() }), handler: working });
    expect(cut.messageId).toBe('bufferedLongWorkShortDefaultTimeout');
    expect(cut.severity).toBe('warning');
    expect(cut.message).toContain('its handler (hono/aws-lambda handle()) returns the response whole');
    expect(rule.check({ deployment: deployment({ url: url() }), handler: working })).toEqual([]);
    const reports = rule.check({ deployment: deployment({ url: streamUrl() }), handler: null });
    expect(reports).toHaveLength(1);
    expect(reports[0].messageId).toBe('shortDefaultTimeout');
  });
});

// ---------------------------------------------------------------------------------------------

describe('web-adapter-layer-architecture', () => {
  const rule = webAdapterLayerArchitecture;
  const layerArn = (name: string, version = '26', region = 'us-east-1') => `arn:aws:lambda:${region}:753240598075:layer:${name}:${version}`;
  /** The adapter layer (after another layer), AWS_LWA_INVOKE_MODE=response_stream, and optionally an architecture. */
  function adapter(layer: string, architecture?: string): Partial<Deployment> {
    const located = at(layer, LINE.webAdapter);
    return {
      ...withAdapter('response_stream'),
      webAdapter: located,
      layers: [at('arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:3', LINE.webAdapter - 1), located],
      ...(architecture ? { architectures: at([architecture], LINE.architectures) } : {}),
    };
  }

  it('reports the Arm64 layer on a function without an architecture (Lambda default x86_64), at the layer', () => {
    const r = one(rule, deployment(adapter(layerArn('LambdaAdapterLayerArm64'))), null, LINE.webAdapter, 'layerForOtherThanDefaultArchitecture', 'error');
    expect(r.message).toContain("runs on x86_64 (no architecture is set: Lambda's default) but uses");
    expect(r.message).toContain('LambdaAdapterLayerArm64, built for arm64');
    expect(r.message).toContain('every invocation fails at init');
    expect(r.fix).toContain('Use LambdaAdapterLayerX86');
    expect(r.key).toBe('Api:lwa-layer-architecture');
  });

  it('reports the Arm64 layer on an explicit x86_64, and the X86 layer on arm64', () => {
    one(rule, deployment(adapter(layerArn('LambdaAdapterLayerArm64'), 'x86_64')), null, LINE.webAdapter, 'layerForOtherArchitecture');
    const r = one(rule, deployment(adapter(layerArn('LambdaAdapterLayerX86'), 'arm64')), null, LINE.webAdapter, 'layerForOtherArchitecture');
    expect(r.message).toContain('runs on arm64 but uses the Lambda Web Adapter layer LambdaAdapterLayerX86, built for x86_64');
    expect(r.fix).toContain('Use LambdaAdapterLayerArm64');
  });

  it('reads the layer name through !Sub / ${AWS::Region}, China accounts and a version placeholder', () => {
    one(rule, deployment(adapter('arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerArm64:26')), null, LINE.webAdapter, 'layerForOtherThanDefaultArchitecture');
    one(rule, deployment(adapter('arn:aws-cn:lambda:cn-north-1:041581134020:layer:LambdaAdapterLayerX86:26', 'arm64')), null, LINE.webAdapter, 'layerForOtherArchitecture');
    one(rule, deployment(adapter('arn:aws:lambda:${data.aws_region.current.name}:753240598075:layer:LambdaAdapterLayerArm64:${var.lwa_version}')), null, LINE.webAdapter, 'layerForOtherThanDefaultArchitecture');
  });

  it('is quiet when the layer matches the architecture', () => {
    expect(run(rule, deployment(adapter(layerArn('LambdaAdapterLayerX86'))), null)).toEqual([]);
    expect(run(rule, deployment(adapter(layerArn('LambdaAdapterLayerX86'), 'x86_64')), null)).toEqual([]);
    expect(run(rule, deployment(adapter(layerArn('LambdaAdapterLayerArm64'), 'arm64')), null)).toEqual([]);
  });

  it('is quiet when the layer name is not written out (a parameter, LambdaAdapterLayer${Arch}), and without the layer', () => {
    expect(run(rule, deployment(adapter('!Ref AdapterLayerArn', 'arm64')), null)).toEqual([]);
    expect(run(rule, deployment(adapter('arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayer${Arch}:26', 'arm64')), null)).toEqual([]);
    expect(run(rule, deployment(adapter('var.lambda_adapter_layer_arn', 'arm64')), null)).toEqual([]);
    expect(run(rule, deployment({ architectures: at(['arm64'], LINE.architectures) }), streamingHandler())).toEqual([]);
  });

  it('is quiet for an image (no layers: the adapter is copied in the Dockerfile)', () => {
    const d = deployment({ packageType: 'image', webAdapter: at('COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:1.0.0', LINE.webAdapter), architectures: at(['arm64'], LINE.architectures) });
    expect(run(rule, d, null)).toEqual([]);
  });

  it('warns about a layer before version 15 on a streaming function (the adapter cannot stream)', () => {
    const r = one(rule, deployment(adapter(layerArn('LambdaAdapterLayerX86', '14'))), null, LINE.webAdapter, 'layerTooOldToStream', 'warning');
    expect(r.message).toContain('LambdaAdapterLayerX86:14');
    expect(r.message).toContain('AWS_LWA_INVOKE_MODE=response_stream');
    expect(r.message).toContain('buffers every response');
    expect(r.key).toBe('Api:lwa-layer-version');
    // behind a RESPONSE_STREAM URL with the adapter left buffered: the URL expects a stream
    const urlOnly = deployment({ ...adapter(layerArn('LambdaAdapterLayerArm64', '9'), 'arm64'), streamingEnvironment: { AWS_LAMBDA_EXEC_WRAPPER: at('/opt/bootstrap', LINE.execWrapper) }, url: streamUrl() });
    expect(one(rule, urlOnly, null, LINE.webAdapter, 'layerTooOldToStream', 'warning').message).toContain('RESPONSE_STREAM');
  });

  it('does not warn about an old layer on a function that does not stream, or from version 15', () => {
    const buffered = deployment({ ...adapter(layerArn('LambdaAdapterLayerX86', '12')), streamingEnvironment: { AWS_LAMBDA_EXEC_WRAPPER: at('/opt/bootstrap', LINE.execWrapper) }, url: bufferedUrl() });
    expect(run(rule, buffered, null)).toEqual([]);
    expect(run(rule, deployment(adapter(layerArn('LambdaAdapterLayerX86', '15'))), null)).toEqual([]);
    expect(run(rule, deployment(adapter('arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:${LwaVersion}')), null)).toEqual([]);
  });

  it('reports one finding per deployment: the architecture first', () => {
    one(rule, deployment(adapter(layerArn('LambdaAdapterLayerArm64', '10'))), null, LINE.webAdapter, 'layerForOtherThanDefaultArchitecture', 'error');
  });

  it('is quiet when the architecture list cannot be read as one known value', () => {
    expect(run(rule, deployment({ ...adapter(layerArn('LambdaAdapterLayerArm64')), architectures: at(['x86_64', 'arm64'], LINE.architectures) }), null)).toEqual([]);
  });

  it('fires alone among the deployment rules on a correctly streaming adapter with the wrong layer', () => {
    const d = deployment({ ...adapter(layerArn('LambdaAdapterLayerArm64')), runtime: at('nodejs22.x', LINE.runtime), timeout: at(120, LINE.timeout), url: streamUrl() });
    const fired = deploymentRules.flatMap((r) => run(r, d, null).map(() => r.meta.id));
    expect(fired).toEqual(['web-adapter-layer-architecture']);
  });
});

describe('compression-through-streaming-url', () => {
  const gzip = () => handler({ streaming: { how: 'awslambda.streamifyResponse', line: 3 }, compression: { how: 'sets content-encoding: gzip', file: 'src/index.mjs', line: 6 } });

  it('reports compression through a RESPONSE_STREAM URL: info directly, warning behind CloudFront', () => {
    const direct = one(compressionThroughStreamingUrl, deployment({ url: streamUrl() }), gzip(), LINE.invokeMode, 'url', 'info');
    expect(direct.data).toMatchObject({ compression: 'sets content-encoding: gzip', file: 'src/index.mjs', line: 6 });
    one(compressionThroughStreamingUrl, deployment({ url: streamUrl(), frontDoors: [door('cloudfront', LINE.cloudfront)] }), gzip(), LINE.invokeMode, 'cloudFront', 'warning');
  });

  it('is quiet for a BUFFERED URL, a REST API STREAM front door without URL, no compression, or a handler that does not stream', () => {
    expect(run(compressionThroughStreamingUrl, deployment({ url: bufferedUrl() }), gzip())).toEqual([]);
    expect(run(compressionThroughStreamingUrl, deployment({ frontDoors: [door('rest-api', LINE.restApi, { transferMode: at('STREAM', LINE.transferMode) })] }), gzip())).toEqual([]);
    expect(run(compressionThroughStreamingUrl, deployment({ url: streamUrl() }), streamingHandler())).toEqual([]);
    expect(run(compressionThroughStreamingUrl, deployment({ url: streamUrl() }), handler({ compression: gzip().compression! }))).toEqual([]);
  });
});

describe('cloudfront-oac-unsigned-body', () => {
  const oacDoor = (extra: Partial<FrontDoor> = {}) =>
    door('cloudfront', LINE.cloudfront, { originAccessControl: { at: loc(35), signing: 'always' }, bodyMethods: { methods: ['PUT', 'POST'], at: loc(36) }, ...extra });

  it('reports an AWS_IAM URL behind a lambda OAC whose behavior allows POST or PUT, at the allowed methods', () => {
    const report = one(cloudfrontOacUnsignedBody, deployment({ url: url(), frontDoors: [oacDoor()] }), null, 36, 'unsignedBody');
    expect(report.data).toMatchObject({ methods: 'PUT/POST' });
    // The signing behavior not written (CDK with an OAC of the caller's) still signs by default.
    one(cloudfrontOacUnsignedBody, deployment({ url: url(), frontDoors: [oacDoor({ originAccessControl: { at: loc(35) } })] }), null, 36, 'unsignedBody');
  });

  it('is quiet without OAC, without body methods, with SigningBehavior never, for NONE or unresolved auth', () => {
    expect(run(cloudfrontOacUnsignedBody, deployment({ url: url(), frontDoors: [door('cloudfront', LINE.cloudfront, { bodyMethods: { methods: ['POST'], at: loc(36) } })] }))).toEqual([]);
    expect(run(cloudfrontOacUnsignedBody, deployment({ url: url(), frontDoors: [oacDoor({ bodyMethods: undefined })] }))).toEqual([]);
    expect(run(cloudfrontOacUnsignedBody, deployment({ url: url(), frontDoors: [oacDoor({ originAccessControl: { at: loc(35), signing: 'never' } })] }))).toEqual([]);
    expect(run(cloudfrontOacUnsignedBody, deployment({ url: url({ authType: at('NONE', LINE.authType) }), frontDoors: [oacDoor()] }))).toEqual([]);
    expect(run(cloudfrontOacUnsignedBody, deployment({ url: url({ authType: unresolved('!Ref Auth', LINE.authType) }), frontDoors: [oacDoor()] }))).toEqual([]);
  });
});
