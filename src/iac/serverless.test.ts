import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Deployment, ReaderResult, SourceLocation } from '../model/deployment.js';
import { functionLogicalId, readServerless, readServerlessModule } from './serverless.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FILE = 'test/fixtures/iac/serverless/serverless.yml';
const result: ReaderResult = readServerless(FILE, readFileSync(path.join(repoRoot, FILE), 'utf8'));

const at = (line: number, column: number, p?: string): SourceLocation => ({ file: FILE, line, column, ...(p ? { path: p } : {}) });
function fn(name: string): Deployment {
  const found = result.deployments.find((d) => d.name === name);
  if (!found) throw new Error(`no function ${name}`);
  return found;
}

/** What Serverless Framework v3 compiles `url:` to: one public lambda:InvokeFunctionUrl permission. */
const v3UrlGrant = (where: SourceLocation) => ({ at: where, actions: { value: ['lambda:InvokeFunctionUrl'], at: where }, everyone: { value: true, at: where }, effect: 'Allow', by: 'Serverless Framework v3' });

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
        // frameworkVersion 3 writes the URL's permission itself: lambda:InvokeFunctionUrl alone
        ownPermissions: false,
      },
      policy: { grants: [v3UrlGrant(at(30, 5, 'functions.chat.url'))], complete: false },
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
      ownPermissions: true,
    });
  });

  it("leaves a fork's `url.invoke` unresolved: which framework is installed decides what it deploys", () => {
    const text = ['service: s', 'provider:', '  name: aws', '  runtime: nodejs18.x', 'functions:', '  stream:', '    handler: h.handler', '    url:', '      invoke: response_stream', ''].join('\n');
    const [stream] = readServerless('serverless.yml', text).deployments;
    expect(stream!.url?.invokeMode).toEqual({ unresolved: true, text: 'response_stream', at: { file: 'serverless.yml', line: 9, column: 15, path: 'functions.stream.url.invoke' } });
  });

  it('reads url: true as a public buffered URL without CORS', () => {
    const hello = fn('hello');
    expect(hello.url).toEqual({
      at: at(67, 5, 'functions.hello.url'),
      invokeMode: undefined,
      authType: { value: 'NONE', at: at(67, 5, 'functions.hello.url') },
      cors: undefined,
      ownPermissions: false,
    });
    expect(hello.policy).toEqual({ grants: [v3UrlGrant(at(67, 5, 'functions.hello.url'))], complete: false });
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
    expect(vars.url).toEqual({ at: loc(13, 5, 'functions.vars.url'), invokeMode: unresolvedUrl, authType: unresolvedUrl, cors: unresolvedUrl, ownPermissions: true });
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

  it('reads response.transferMode case-insensitively, as the framework upper-cases it', () => {
    const text = ['provider:', '  name: aws', 'functions:', '  f:', '    handler: h.handler', '    events:', '      - http:', '          path: stream', '          response:', '            transferMode: stream'].join('\n');
    const [f] = readServerless('serverless.yml', text).deployments;
    expect(f.frontDoors).toEqual([
      {
        kind: 'rest-api',
        at: { file: 'serverless.yml', line: 7, column: 9, path: 'functions.f.events[0].http' },
        transferMode: { value: 'STREAM', at: { file: 'serverless.yml', line: 10, column: 27, path: 'functions.f.events[0].http.response.transferMode' } },
      },
    ]);
  });

  it('resources.Resources: an override of the generated URL, a standalone URL and its permission', () => {
    const text = [
      'provider:', //                                       1
      '  name: aws', //                                     2
      'functions:', //                                      3
      '  streaming-fn:', //                                 4
      '    handler: h.handler', //                          5
      '    url:', //                                        6
      '      cors: true', //                                7
      '  download:', //                                     8
      '    handler: h.download', //                         9
      'resources:', //                                      10
      '  Resources:', //                                    11
      '    StreamingDashfnLambdaFunctionUrl:', //           12
      '      Type: AWS::Lambda::Url', //                    13
      '      Properties:', //                               14
      '        InvokeMode: RESPONSE_STREAM', //             15
      '    DownloadUrl:', //                                16
      '      Type: AWS::Lambda::Url', //                    17
      '      Properties:', //                               18
      '        AuthType: NONE', //                          19
      '        TargetFunctionArn: !GetAtt DownloadLambdaFunction.Arn', // 20
      '    DownloadPermission:', //                         21
      '      Type: AWS::Lambda::Permission', //             22
      '      Properties:', //                               23
      '        FunctionName: !Ref DownloadLambdaFunction', // 24
      '        Action: lambda:InvokeFunctionUrl', //        25
      "        Principal: '*'", //                          26
      '        FunctionUrlAuthType: NONE', //               27
    ].join('\n');
    const loc = (line: number, column: number, p: string): SourceLocation => ({ file: 'serverless.yml', line, column, path: p });
    expect(functionLogicalId('streaming-fn')).toBe('StreamingDashfnLambdaFunction');
    expect(functionLogicalId('my_fn')).toBe('MyUnderscorefnLambdaFunction');
    const r = readServerless('serverless.yml', text);
    expect(r.notes).toEqual([]);
    const [streaming, download] = r.deployments;
    expect(streaming.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc(15, 21, 'resources.Resources.StreamingDashfnLambdaFunctionUrl.Properties.InvokeMode') });
    expect(streaming.url?.cors).toEqual({ value: { enabled: true }, at: loc(7, 13, 'functions.streaming-fn.url.cors') });
    expect(streaming.url?.ownPermissions).toBe(true);
    expect(download.url).toEqual({
      at: loc(16, 5, 'resources.Resources.DownloadUrl'),
      invokeMode: undefined,
      authType: { value: 'NONE', at: loc(19, 19, 'resources.Resources.DownloadUrl.Properties.AuthType') },
      cors: undefined,
      ownPermissions: false,
    });
    const action = loc(25, 17, 'resources.Resources.DownloadPermission.Properties.Action');
    expect(download.policy).toEqual({
      complete: false,
      grants: [
        {
          at: action,
          actions: { value: ['lambda:InvokeFunctionUrl'], at: action },
          everyone: { value: true, at: loc(26, 20, 'resources.Resources.DownloadPermission.Properties.Principal') },
          effect: 'Allow',
        },
      ],
    });
  });

  it('reads serverless.json like serverless.yml', () => {
    const r = readServerless('serverless.json', '{"service":"x","provider":{"name":"aws","timeout":20},"functions":{"f":{"handler":"h.handler","url":{"invokeMode":"RESPONSE_STREAM"}}}}');
    expect(r.deployments.map((d) => [d.name, isResolvedValue(d.timeout), isResolvedValue(d.url?.invokeMode)])).toEqual([['f', 20, 'RESPONSE_STREAM']]);
  });
});

function isResolvedValue(field: unknown): unknown {
  return field && typeof field === 'object' && 'value' in field ? (field as { value: unknown }).value : field;
}

describe('readServerlessModule (serverless.ts / serverless.js)', () => {
  const files: Record<string, string> = {
    'app/resources/functions.ts': [
      "import type { AWS } from '@serverless/typescript';", //           1
      'const functions: AWS["functions"] = {', //                        2
      '  chat: {', //                                                    3
      "    handler: 'src/chat.handler',", //                              4
      '    url: { cors: true },', //                                     5
      '    timeout: 20,', //                                             6
      '  },', //                                                         7
      '};', //                                                           8
      'export default functions;', //                                    9
    ].join('\n'),
    'app/resources/env.ts': "export const environment = { STAGE: process.env.STAGE, AWS_LWA_INVOKE_MODE: 'response_stream' };\n",
  };
  const config = [
    "import type { AWS } from '@serverless/typescript';", //               1
    "import functions from './resources/functions';", //                   2
    "import { environment } from './resources/env';", //                   3
    'const base = { name: "aws", runtime: "nodejs20.x" } as const;', //    4
    'const serverlessConfiguration: AWS = {', //                           5
    "  service: 'chat',", //                                               6
    '  provider: { ...base, environment, memorySize: Number(process.env.MEM) },', // 7
    '  functions,', //                                                     8
    '  resources: {', //                                                   9
    '    Resources: {', //                                                 10
    '      ChatLambdaFunctionUrl: {', //                                   11
    "        Type: 'AWS::Lambda::Url',", //                                12
    "        Properties: { InvokeMode: 'RESPONSE_STREAM' },", //           13
    '      },', //                                                         14
    '    },', //                                                           15
    '  },', //                                                             16
    '};', //                                                               17
    'module.exports = serverlessConfiguration;', //                        18
  ].join('\n');
  const read = (rel: string) => files[rel] ?? null;

  it('follows imports of project modules and keeps each value where it is written', () => {
    const r = readServerlessModule('app/serverless.ts', config, { readFile: read });
    expect(r.notes).toEqual([]);
    const [chat] = r.deployments;
    const fnFile = (line: number, column: number, p: string): SourceLocation => ({ file: 'app/resources/functions.ts', line, column, path: p });
    const cfg = (line: number, column: number, p: string): SourceLocation => ({ file: 'app/serverless.ts', line, column, path: p });
    expect(chat.name).toBe('chat');
    expect(chat.at).toEqual(fnFile(3, 3, 'functions.chat'));
    expect(chat.handler).toEqual({ value: 'src/chat.handler', at: fnFile(4, 14, 'functions.chat.handler') });
    expect(chat.codeLocation?.value).toBe('app');
    expect(chat.runtime).toEqual({ value: 'nodejs20.x', at: cfg(4, 38, 'provider.runtime') });
    expect(chat.timeout).toEqual({ value: 20, at: fnFile(6, 14, 'functions.chat.timeout') });
    expect(chat.memory).toEqual({ unresolved: true, text: 'Number(process.env.MEM)', at: cfg(7, 49, 'provider.memorySize') });
    expect(chat.environmentKeys.map((k) => k.value)).toEqual(['STAGE', 'AWS_LWA_INVOKE_MODE']);
    expect(chat.streamingEnvironment.AWS_LWA_INVOKE_MODE).toMatchObject({ value: 'response_stream', at: { file: 'app/resources/env.ts', line: 1 } });
    expect(chat.url?.at).toEqual(fnFile(5, 5, 'functions.chat.url'));
    expect(chat.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: cfg(13, 35, 'resources.Resources.ChatLambdaFunctionUrl.Properties.InvokeMode') });
  });

  it('export default of an object literal; a spread it cannot follow leaves the object unknown; a module that does not parse is a note', () => {
    const r = readServerlessModule('serverless.js', "export default { provider: { name: 'aws' }, functions: { f: { handler: 'h.handler', ...shared } } };", { readFile: read });
    expect(r.deployments).toEqual([]);
    expect(readServerlessModule('serverless.ts', 'export default {', { readFile: read }).notes[0].reason).toMatch(/^cannot parse serverless config: /);
    expect(readServerlessModule('serverless.ts', 'console.log(1);', { readFile: read })).toEqual({ deployments: [], notes: [] });
  });
});
