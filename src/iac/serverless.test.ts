import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Deployment, ReaderResult, SourceLocation } from '../model/deployment.js';
import { readServerless } from './serverless.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILE = 'test/fixtures/iac/serverless/serverless.yml';
const result: ReaderResult = readServerless(FILE, readFileSync(path.join(repoRoot, FILE), 'utf8'));

const at = (line: number, column: number, p?: string): SourceLocation => ({ file: FILE, line, column, ...(p ? { path: p } : {}) });
function fn(name: string): Deployment {
  const found = result.deployments.find((d) => d.name === name);
  if (!found) throw new Error(`no function ${name}`);
  return found;
}

const LWA = 'arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:26';

describe('readServerless', () => {
  it('reads every function in order, without notes', () => {
    expect(result.notes).toEqual([]);
    expect(result.deployments.map((d) => d.name)).toEqual(['chat', 'admin', 'hello']);
    expect(result.deployments.every((d) => d.source === 'serverless' && d.defaultTimeoutSeconds === 6)).toBe(true);
  });

  it('applies provider defaults, leaves ${} variables unresolved and records a lowercase invokeMode as written', () => {
    expect(fn('chat')).toEqual({
      name: 'chat',
      source: 'serverless',
      at: at(22, 3, 'functions.chat'),
      runtime: { value: 'nodejs20.x', at: at(9, 12, 'provider.runtime') },
      handler: { value: 'src/lambda.handler', at: at(23, 14, 'functions.chat.handler') },
      codeLocation: { value: 'test/fixtures/iac/serverless', at: at(23, 5, 'functions.chat.handler') },
      timeout: { unresolved: true, text: '${self:custom.chatTimeout}', at: at(24, 14, 'functions.chat.timeout') },
      memory: { value: 512, at: at(11, 15, 'provider.memorySize') },
      environmentKeys: [
        { value: 'NODE_ENV', at: at(13, 5, 'provider.environment.NODE_ENV') },
        { value: 'DATABASE_URL', at: at(14, 5, 'provider.environment.DATABASE_URL') },
        { value: 'AWS_LAMBDA_EXEC_WRAPPER', at: at(27, 7, 'functions.chat.environment.AWS_LAMBDA_EXEC_WRAPPER') },
        { value: 'AWS_LWA_INVOKE_MODE', at: at(28, 7, 'functions.chat.environment.AWS_LWA_INVOKE_MODE') },
        { value: 'OPENAI_API_KEY', at: at(29, 7, 'functions.chat.environment.OPENAI_API_KEY') },
      ],
      streamingEnvironment: {
        AWS_LAMBDA_EXEC_WRAPPER: { value: '/opt/bootstrap', at: at(27, 32, 'functions.chat.environment.AWS_LAMBDA_EXEC_WRAPPER') },
        AWS_LWA_INVOKE_MODE: {
          unresolved: true,
          text: "${env:LWA_MODE, 'response_stream'}",
          at: at(28, 28, 'functions.chat.environment.AWS_LWA_INVOKE_MODE'),
        },
      },
      layers: [{ value: LWA, at: at(16, 7, 'provider.layers[0]') }],
      webAdapter: { value: LWA, at: at(16, 7, 'provider.layers[0]') },
      reservedConcurrency: { value: 10, at: at(25, 26, 'functions.chat.reservedConcurrency') },
      architectures: { value: ['arm64'], at: at(10, 17, 'provider.architecture') },
      vpc: at(17, 3, 'provider.vpc'),
      url: {
        at: at(30, 5, 'functions.chat.url'),
        // Lowercase: silently deployed BUFFERED before serverless PR #13756. Recorded as written.
        invokeMode: { value: 'response_stream', at: at(31, 19, 'functions.chat.url.invokeMode') },
        authType: { value: 'NONE', at: at(30, 5, 'functions.chat.url') }, // framework default: public
        cors: {
          value: { enabled: true, allowOrigins: ['https://debugflow.vercel.app'], allowMethods: ['GET', 'POST'], allowCredentials: true },
          at: at(32, 7, 'functions.chat.url.cors'),
        },
      },
      frontDoors: [],
      defaultTimeoutSeconds: 6,
    });
  });

  it('lets function settings replace the provider ones (layers: [] removes the provider layer)', () => {
    const admin = fn('admin');
    expect(admin.runtime).toEqual({ value: 'nodejs22.x', at: at(40, 14, 'functions.admin.runtime') });
    expect(admin.timeout).toEqual({ value: 29, at: at(41, 14, 'functions.admin.timeout') });
    expect(admin.memory).toEqual({ value: 256, at: at(42, 17, 'functions.admin.memorySize') });
    expect(admin.layers).toEqual([]);
    expect(admin.webAdapter).toBeUndefined();
    expect(admin.reservedConcurrency).toBeUndefined();
  });

  it('reads url as an object: authorizer aws_iam, cors: true, invokeMode RESPONSE_STREAM', () => {
    expect(fn('admin').url).toEqual({
      at: at(44, 5, 'functions.admin.url'),
      invokeMode: { value: 'RESPONSE_STREAM', at: at(47, 19, 'functions.admin.url.invokeMode') },
      authType: { value: 'AWS_IAM', at: at(45, 19, 'functions.admin.url.authorizer') },
      cors: { value: { enabled: true }, at: at(46, 13, 'functions.admin.url.cors') },
    });
  });

  it('reads url: true as a public buffered URL without CORS', () => {
    const hello = fn('hello');
    expect(hello.url).toEqual({
      at: at(67, 5, 'functions.hello.url'),
      invokeMode: undefined,
      authType: { value: 'NONE', at: at(67, 5, 'functions.hello.url') },
      cors: undefined,
    });
    expect(hello.timeout).toBeUndefined(); // neither function nor provider: the 6 s default applies
    expect(hello.layers).toEqual([{ value: LWA, at: at(16, 7, 'provider.layers[0]') }]);
  });

  it('reads httpApi, http (responseTransferMode and response.transferMode) and alb events as front doors', () => {
    expect(fn('admin').frontDoors).toEqual([
      { kind: 'http-api', at: at(49, 9, 'functions.admin.events[0].httpApi') },
      {
        kind: 'rest-api',
        at: at(50, 9, 'functions.admin.events[1].http'),
        transferMode: { value: 'STREAM', at: at(53, 33, 'functions.admin.events[1].http.responseTransferMode') },
      },
      {
        kind: 'rest-api',
        at: at(54, 9, 'functions.admin.events[2].http'),
        transferMode: { value: 'BUFFERED', at: at(58, 27, 'functions.admin.events[2].http.response.transferMode') },
      },
      { kind: 'alb', at: at(59, 9, 'functions.admin.events[3].alb') },
    ]);
  });

  it('never stores environment values', () => {
    const json = JSON.stringify(result);
    expect(json).not.toContain('sls-s3cret');
    expect(json).not.toContain('postgresql://');
    expect(json).not.toContain('openai-key');
  });

  it('handles small variants: image functions, url: false, variables in url, string events, other providers', () => {
    const text = [
      'service: x', //                                   1
      'provider:', //                                    2
      '  name: aws', //                                  3
      '  timeout: 20', //                                4
      'functions:', //                                   5
      '  img:', //                                       6
      '    image:', //                                   7
      '      name: app', //                              8
      '      command: [dist/lambda.handler]', //         9
      '    url: false', //                               10
      '  vars:', //                                      11
      '    handler: h.handler', //                       12
      '    url: ${self:custom.url}', //                  13
      '    events:', //                                  14
      "      - http: 'POST /chat'", //                   15
      '      - sqs: arn:aws:sqs:eu-west-1:1:q', //       16
    ].join('\n');
    const r = readServerless('svc/serverless.yml', text);
    const loc = (line: number, column: number, p: string): SourceLocation => ({ file: 'svc/serverless.yml', line, column, path: p });
    expect(r.notes).toEqual([]);
    const [img, vars] = r.deployments;
    expect(img.packageType).toBe('image');
    expect(img.runtime).toBeUndefined();
    expect(img.codeLocation).toBeUndefined();
    expect(img.handler).toEqual({ value: 'dist/lambda.handler', at: loc(9, 7, 'functions.img.image.command') });
    expect(img.timeout).toEqual({ value: 20, at: loc(4, 12, 'provider.timeout') });
    expect(img.url).toBeUndefined();
    const unresolvedUrl = { unresolved: true, text: '${self:custom.url}', at: loc(13, 10, 'functions.vars.url') };
    expect(vars.url).toEqual({ at: loc(13, 5, 'functions.vars.url'), invokeMode: unresolvedUrl, authType: unresolvedUrl, cors: unresolvedUrl });
    expect(vars.codeLocation).toEqual({ value: 'svc', at: loc(12, 5, 'functions.vars.handler') });
    expect(vars.frontDoors).toEqual([{ kind: 'rest-api', at: loc(15, 9, 'functions.vars.events[0].http') }]);

    expect(readServerless('serverless.yml', 'service: x\nprovider:\n  name: google\nfunctions:\n  f:\n    handler: h\n')).toEqual({ deployments: [], notes: [] });
    expect(readServerless('serverless.yml', 'service: x\n')).toEqual({ deployments: [], notes: [] });
  });

  it('reports a broken serverless.yml as a note without throwing', () => {
    expect(readServerless('serverless.yml', 'service: x\nfunctions:\n  f:\n    handler: h\n   url: true\n')).toEqual({
      deployments: [],
      notes: [{ file: 'serverless.yml', reason: 'cannot parse serverless config: bad indentation of a mapping entry (5:4)' }],
    });
  });
});
