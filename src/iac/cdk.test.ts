/**
 * The CDK source reader on a small CDK app (test/fixtures/iac/cdk, read with that directory as the scan
 * root) and on inline snippets: exact values and exact line/column of every value a rule can point at.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Deployment, ReaderResult } from '../model/deployment.js';
import { inferAppRoot, readCdk, runtimeName } from './cdk.js';

const ROOT = path.resolve(import.meta.dirname, '../../test/fixtures/iac/cdk');

function readFixture(rel: string): ReaderResult {
  return readCdk(rel, readFileSync(path.join(ROOT, rel), 'utf8'));
}

function only(result: ReaderResult, name: string): Deployment {
  const found = result.deployments.filter((d) => d.name === name);
  expect(found.map((d) => d.name)).toEqual([name]);
  return found[0];
}

function at(file: string, line: number, column: number, logicalPath?: string) {
  return { file, line, column, ...(logicalPath ? { path: logicalPath } : {}) };
}

const HEADER = "import * as cdk from 'aws-cdk-lib';\nimport * as lambda from 'aws-cdk-lib/aws-lambda';\n";

/** Reads a snippet placed after HEADER (so the snippet's first line is line 3) in lib/stack.ts. */
function snippet(code: string, file = 'lib/stack.ts'): ReaderResult {
  return readCdk(file, HEADER + code);
}

describe('NodejsFunction with a streaming Function URL (lib/chat-stack.ts)', () => {
  const F = 'lib/chat-stack.ts';
  const result = readFixture(F);
  const chat = only(result, 'ChatFn');

  it('reads the function', () => {
    expect(result.notes).toEqual([]);
    expect(result.deployments).toHaveLength(1);
    expect(chat.source).toBe('cdk');
    expect(chat.at).toEqual(at(F, 14, 18, 'ChatFn'));
    expect(chat.packageType).toBe('zip');
    expect(chat.runtime).toEqual({ value: 'nodejs20.x', at: at(F, 16, 16, 'ChatFn.runtime') });
    // NodejsFunction: the handler is the export name, `handler` by default (at the construct).
    expect(chat.handler).toEqual({ value: 'handler', at: at(F, 14, 18, 'ChatFn.handler') });
    // entry: path.join(__dirname, '../lambda/chat.ts') from lib/ -> relative to the scan root.
    expect(chat.codeLocation).toEqual({ value: 'lambda/chat.ts', at: at(F, 15, 14, 'ChatFn.entry') });
    expect(chat.timeout).toEqual({ value: 120, at: at(F, 17, 16, 'ChatFn.timeout') });
    expect(chat.memory).toEqual({ value: 1024, at: at(F, 18, 19, 'ChatFn.memorySize') });
    expect(chat.defaultTimeoutSeconds).toBe(3);
    expect(chat.reservedConcurrency).toBeUndefined();
  });

  it('reads the URL: RESPONSE_STREAM, auth NONE, CORS (allowedMethods mapped from HttpMethod)', () => {
    expect(chat.url).toEqual({
      at: at(F, 26, 26, 'ChatFn.url'),
      invokeMode: { value: 'RESPONSE_STREAM', at: at(F, 28, 19, 'ChatFn.url.invokeMode') },
      authType: { value: 'NONE', at: at(F, 27, 17, 'ChatFn.url.authType') },
      cors: {
        value: {
          enabled: true,
          allowOrigins: ['https://chat.example.com'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['content-type', 'authorization'],
          allowCredentials: true,
        },
        at: at(F, 29, 13, 'ChatFn.url.cors'),
      },
      ownPermissions: true,
    });
  });

  it('finds the CloudFront origin on the URL', () => {
    expect(chat.frontDoors).toEqual([{ kind: 'cloudfront', at: at(F, 38, 34, 'ChatFn.frontDoors.cloudfront') }]);
  });

  it('keeps environment keys with their locations, never the values', () => {
    expect(chat.environmentKeys).toEqual([
      { value: 'OPENAI_API_KEY', at: at(F, 20, 9, 'ChatFn.environment.OPENAI_API_KEY') },
      { value: 'DATABASE_URL', at: at(F, 21, 9, 'ChatFn.environment.DATABASE_URL') },
      { value: 'NODE_OPTIONS', at: at(F, 22, 9, 'ChatFn.environment.NODE_OPTIONS') },
    ]);
    expect(chat.streamingEnvironment).toEqual({});
    const json = JSON.stringify(result);
    for (const secret of ['sk-live-DO-NOT-LEAK-1234', 'hunter2', 'postgresql://', '--enable-source-maps']) expect(json).not.toContain(secret);
  });
});

describe('lambda.Function, FunctionUrl construct and front doors (lib/api-stack.ts)', () => {
  const F = 'lib/api-stack.ts';
  const result = readFixture(F);
  const legacy = only(result, 'LegacyFn');
  const report = only(result, 'ReportFn');

  it('reads Code.fromAsset, handler and runtime', () => {
    expect(result.notes).toEqual([]);
    expect(legacy.runtime).toEqual({ value: 'nodejs18.x', at: at(F, 18, 16, 'LegacyFn.runtime') });
    expect(legacy.handler).toEqual({ value: 'index.handler', at: at(F, 19, 16, 'LegacyFn.handler') });
    // A relative asset path is relative to the CDK app root (the cdk.json directory), not to lib/.
    expect(legacy.codeLocation).toEqual({ value: 'lambda/legacy', at: at(F, 20, 35, 'LegacyFn.code') });
    // `${__dirname}/../lambda/report` is relative to the file.
    expect(report.codeLocation).toEqual({ value: 'lambda/report', at: at(F, 28, 35, 'ReportFn.code') });
    expect(report.architectures).toEqual({ value: ['arm64'], at: at(F, 30, 21, 'ReportFn.architecture') });
  });

  it('a URL without invokeMode stays undefined (CDK/API default BUFFERED), no CORS', () => {
    expect(legacy.url).toEqual({
      at: at(F, 23, 12, 'LegacyFn.url'),
      invokeMode: undefined,
      authType: { value: 'NONE', at: at(F, 23, 39, 'LegacyFn.url.authType') },
      cors: undefined,
      ownPermissions: true,
    });
  });

  it('a FunctionUrl construct on an alias (fn.addAlias) carries the qualifier', () => {
    expect(report.url).toEqual({
      at: at(F, 34, 5, 'ReportFn.url'),
      invokeMode: { value: 'RESPONSE_STREAM', at: at(F, 37, 19, 'ReportFn.url.invokeMode') },
      authType: { value: 'AWS_IAM', at: at(F, 36, 17, 'ReportFn.url.authType') },
      cors: undefined,
      ownPermissions: true,
      qualifier: 'live',
    });
  });

  it('Duration forms: seconds, millis', () => {
    expect(legacy.timeout).toEqual({ value: 30, at: at(F, 21, 16, 'LegacyFn.timeout') });
    expect(report.timeout).toEqual({ value: 90, at: at(F, 29, 16, 'ReportFn.timeout') });
  });

  it('front doors: HTTP API integration, REST API integrations (with transfer mode), ALB target', () => {
    expect(report.frontDoors).toEqual([
      { kind: 'http-api', at: at(F, 44, 20, 'ReportFn.frontDoors.http-api') },
      {
        kind: 'rest-api',
        at: at(F, 50, 7, 'ReportFn.frontDoors.rest-api'),
        transferMode: { value: 'STREAM', at: at(F, 50, 74, 'ReportFn.frontDoors.rest-api.responseTransferMode') },
      },
    ]);
    expect(legacy.frontDoors).toEqual([
      { kind: 'rest-api', at: at(F, 52, 54, 'LegacyFn.frontDoors.rest-api') },
      { kind: 'alb', at: at(F, 54, 53, 'LegacyFn.frontDoors.alb') },
    ]);
  });
});

describe('Lambda Web Adapter and image functions (lib/web-adapter-stack.ts)', () => {
  const F = 'lib/web-adapter-stack.ts';
  const result = readFixture(F);
  const web = only(result, 'WebFn');
  const image = only(result, 'ImageFn');

  it('finds the LWA layer through a variable, and its ARN where it is written', () => {
    const arn = 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:25';
    expect(web.layers).toEqual([{ value: arn, at: at(F, 7, 17, 'WebFn.layers[0]') }]);
    expect(web.webAdapter).toEqual({ value: arn, at: at(F, 7, 17, 'WebFn.layers[0]') });
  });

  it('reads the streaming environment values, also through a spread const object', () => {
    expect(web.streamingEnvironment).toEqual({
      AWS_LAMBDA_EXEC_WRAPPER: { value: '/opt/bootstrap', at: at(F, 10, 28, 'WebFn.environment.AWS_LAMBDA_EXEC_WRAPPER') },
      AWS_LWA_INVOKE_MODE: { value: 'response_stream', at: at(F, 27, 54, 'WebFn.environment.AWS_LWA_INVOKE_MODE') },
      // ports configure the web adapter and are kept too (src/iac/locate.ts STREAMING_ENV_KEYS)
      PORT: { value: '8080', at: at(F, 11, 9, 'WebFn.environment.PORT') },
    });
    expect(web.environmentKeys.map((k) => [k.value, k.at.line])).toEqual([
      ['AWS_LAMBDA_EXEC_WRAPPER', 10],
      ['PORT', 11],
      ['AWS_LWA_INVOKE_MODE', 27],
    ]);
  });

  it('reads a Duration of a same-file constant, reserved concurrency, vpc, memory', () => {
    expect(web.timeout).toEqual({ value: 30, at: at(F, 24, 16, 'WebFn.timeout') });
    expect(web.memory).toEqual({ value: 512, at: at(F, 25, 19, 'WebFn.memorySize') });
    expect(web.reservedConcurrency).toEqual({ value: 5, at: at(F, 28, 37, 'WebFn.reservedConcurrentExecutions') });
    expect(web.vpc).toEqual(at(F, 29, 7, 'WebFn.vpc'));
    expect(web.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: at(F, 31, 38, 'WebFn.url.invokeMode') });
  });

  it('reads a DockerImageFunction: image package, CMD as handler, no runtime', () => {
    expect(image.packageType).toBe('image');
    expect(image.runtime).toBeUndefined();
    expect(image.handler).toEqual({ value: 'app.handler', at: at(F, 34, 65, 'ImageFn.code.cmd') });
    expect(image.codeLocation).toEqual({ value: 'web', at: at(F, 34, 51, 'ImageFn.code') });
    expect(image.timeout).toEqual({ value: 300, at: at(F, 35, 16, 'ImageFn.timeout') });
  });
});

describe('values that cannot be read statically (lib/shared-stack.ts)', () => {
  const F = 'lib/shared-stack.ts';
  const result = readFixture(F);

  it('props from constructor parameters are Unresolved, with the expression as written', () => {
    const worker = only(result, 'WorkerFn');
    expect(worker.runtime).toEqual({ unresolved: true, text: 'props.runtime', at: at(F, 19, 16, 'WorkerFn.runtime') });
    expect(worker.timeout).toEqual({ unresolved: true, text: 'cdk.Duration.seconds(…)', at: at(F, 20, 16, 'WorkerFn.timeout') });
    expect(worker.memory).toEqual({ unresolved: true, text: 'Number(…)', at: at(F, 21, 19, 'WorkerFn.memorySize') });
    expect(worker.url?.invokeMode).toEqual({ unresolved: true, text: 'props.invokeMode', at: at(F, 23, 41, 'WorkerFn.url.invokeMode') });
    expect(worker.url?.authType).toEqual({ value: 'NONE', at: at(F, 23, 69, 'WorkerFn.url.authType') });
    expect(worker.codeLocation).toEqual({ value: 'lambda/worker.ts', at: at(F, 18, 14, 'WorkerFn.entry') });
  });

  it('a prop that may come from an imported spread is Unresolved, never the default', () => {
    const spread = only(result, 'SpreadFn');
    const fromSpread = { unresolved: true, text: '...defaults', at: at(F, 25, 44, 'SpreadFn.timeout') };
    expect(spread.timeout).toEqual(fromSpread);
    expect(spread.runtime).toEqual({ ...fromSpread, at: at(F, 25, 44, 'SpreadFn.runtime') });
    expect(spread.handler).toEqual({ ...fromSpread, at: at(F, 25, 44, 'SpreadFn.handler') });
    expect(spread.codeLocation).toEqual({ value: 'lambda/spread.ts', at: at(F, 25, 89, 'SpreadFn.entry') });
  });
});

describe('snippets', () => {
  it('Duration forms', () => {
    const r = snippet(
      [
        "import { Duration } from 'aws-cdk-lib';",
        'const MINUTES = 2;',
        "new lambda.Function(this, 'A', { timeout: Duration.seconds(15 * 60) });",
        "new lambda.Function(this, 'B', { timeout: cdk.Duration.minutes(MINUTES) });",
        "new lambda.Function(this, 'C', { timeout: Duration.hours(0.25) });",
        "new lambda.Function(this, 'D', { timeout: Duration.millis(2500) });",
        "new lambda.Function(this, 'E', { timeout: Duration.parse('PT30S') });",
      ].join('\n'),
    );
    expect(r.deployments.map((d) => [d.name, d.timeout])).toEqual([
      ['A', { value: 900, at: at('lib/stack.ts', 5, 43, 'A.timeout') }],
      ['B', { value: 120, at: at('lib/stack.ts', 6, 43, 'B.timeout') }],
      ['C', { value: 900, at: at('lib/stack.ts', 7, 43, 'C.timeout') }],
      ['D', { value: 2.5, at: at('lib/stack.ts', 8, 43, 'D.timeout') }],
      ['E', { unresolved: true, text: 'Duration.parse(…)', at: at('lib/stack.ts', 9, 43, 'E.timeout') }],
    ]);
  });

  it('runtimes map to Lambda identifiers; NODEJS_LATEST is unresolved', () => {
    expect(['NODEJS_20_X', 'NODEJS_22_X', 'NODEJS_24_X', 'PYTHON_3_12', 'PROVIDED_AL2023', 'PROVIDED_AL2', 'JAVA_21', 'JAVA_8_CORRETTO', 'DOTNET_8', 'RUBY_3_3'].map(runtimeName)).toEqual([
      'nodejs20.x',
      'nodejs22.x',
      'nodejs24.x',
      'python3.12',
      'provided.al2023',
      'provided.al2',
      'java21',
      'java8.al2',
      'dotnet8',
      'ruby3.3',
    ]);
    const r = snippet(
      "new lambda.Function(this, 'A', { runtime: lambda.Runtime.NODEJS_LATEST });\nnew lambda.Function(this, 'B', { runtime: new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS) });",
    );
    expect(r.deployments.map((d) => d.runtime)).toEqual([
      { unresolved: true, text: 'lambda.Runtime.NODEJS_LATEST', at: at('lib/stack.ts', 3, 43, 'A.runtime') },
      { value: 'nodejs24.x', at: at('lib/stack.ts', 4, 43, 'B.runtime') },
    ]);
  });

  it('import styles: named with alias, aws_lambda from the root, cdk.aws_lambda, require', () => {
    const named = readCdk(
      'lib/a.ts',
      "import { Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';\nnew LambdaFunction(this, 'Named', { runtime: Runtime.NODEJS_22_X });",
    );
    expect(named.deployments.map((d) => [d.name, d.runtime && 'value' in d.runtime ? d.runtime.value : null])).toEqual([['Named', 'nodejs22.x']]);
    const root = readCdk('lib/b.ts', "import { aws_lambda as fnLib } from 'aws-cdk-lib';\nnew fnLib.Function(this, 'Root', {});");
    expect(root.deployments.map((d) => d.name)).toEqual(['Root']);
    const member = readCdk('lib/c.ts', "import * as cdk from 'aws-cdk-lib';\nnew cdk.aws_lambda.Function(this, 'Member', {});");
    expect(member.deployments.map((d) => d.name)).toEqual(['Member']);
    const cjs = readCdk('lib/d.js', "const { NodejsFunction } = require('aws-cdk-lib/aws-lambda-nodejs');\nconst lambda = require('aws-cdk-lib/aws-lambda');\nnew NodejsFunction(this, 'Cjs', {});\nnew lambda.Function(this, 'Cjs2', {});");
    expect(cjs.deployments.map((d) => d.name)).toEqual(['Cjs', 'Cjs2']);
    // The default entry of a NodejsFunction: <defining file>.<id>.js, next to it.
    expect(cjs.deployments[0].codeLocation).toEqual({ value: 'lib/d.Cjs.js', at: at('lib/d.js', 3, 1, 'Cjs.entry') });
  });

  it("JavaScript's own Function constructor and files without CDK are not read", () => {
    expect(snippet("const add = new Function('a', 'b', 'return a + b');").deployments).toEqual([]);
    expect(readCdk('src/app.ts', "export const handler = async () => ({ statusCode: 200 });\nnew Function('x');")).toEqual({ deployments: [], notes: [] });
  });

  it('a parameter shadowing a function variable does not resolve to it', () => {
    const r = snippet(
      [
        "const fn = new lambda.Function(this, 'Outer', {});",
        'function wire(fn: lambda.IFunction) {',
        '  fn.addFunctionUrl({ invokeMode: lambda.InvokeMode.RESPONSE_STREAM });',
        '}',
      ].join('\n'),
    );
    expect(r.deployments[0].url).toBeUndefined();
    expect(r.notes).toEqual([{ file: 'lib/stack.ts', reason: 'line 5: `fn.addFunctionUrl`: the function is not defined in this file or cannot be resolved statically; its URL is not checked' }]);
  });

  it('this.fields, addEnvironment, addLayers with a template-literal ARN', () => {
    const r = snippet(
      [
        'class S extends cdk.Stack {',
        '  fn = new lambda.Function(this, "Web", { handler: "run.sh" });',
        '  wire() {',
        "    this.fn.addEnvironment('AWS_LWA_INVOKE_MODE', 'RESPONSE_STREAM');",
        "    this.fn.addEnvironment('API_TOKEN', 'tok_live_123456');",
        '    this.fn.addLayers(lambda.LayerVersion.fromLayerVersionArn(this, "LWA", `arn:aws:lambda:${this.region}:753240598075:layer:LambdaAdapterLayerArm64:25`));',
        '  }',
        '}',
      ].join('\n'),
    );
    const d = r.deployments[0];
    expect(d.environmentKeys.map((k) => k.value)).toEqual(['AWS_LWA_INVOKE_MODE', 'API_TOKEN']);
    expect(d.streamingEnvironment.AWS_LWA_INVOKE_MODE).toEqual({ value: 'RESPONSE_STREAM', at: at('lib/stack.ts', 6, 51, 'Web.environment.AWS_LWA_INVOKE_MODE') });
    expect(d.webAdapter).toEqual({ value: 'arn:aws:lambda:${this.region}:753240598075:layer:LambdaAdapterLayerArm64:25', at: at('lib/stack.ts', 8, 76, 'Web.layers[0]') });
    expect(JSON.stringify(r)).not.toContain('tok_live_123456');
  });

  it('CORS with a value from elsewhere is Unresolved as a whole; a later unresolvable spread shadows a prop', () => {
    const r = snippet(
      [
        'export function make(scope: cdk.Stack, origin: string, overrides: lambda.FunctionProps) {',
        "  const fn = new lambda.Function(scope, 'Fn', { timeout: cdk.Duration.seconds(60), ...overrides });",
        '  fn.addFunctionUrl({ cors: { allowedOrigins: [origin] } });',
        '}',
      ].join('\n'),
    );
    const d = r.deployments[0];
    expect(d.timeout).toEqual({ unresolved: true, text: 'cdk.Duration.seconds(…)', at: at('lib/stack.ts', 4, 58, 'Fn.timeout') });
    expect(d.url?.cors).toEqual({ unresolved: true, text: '{…}', at: at('lib/stack.ts', 5, 29, 'Fn.url.cors') });
  });

  it('the text of an unresolved value never carries object literals (they may hold environment values)', () => {
    const r = snippet("new lambda.Function(this, 'Fn', process.env.CI ? { environment: { TOKEN: 'ghp_secret_value' } } : {});");
    expect(r.deployments[0].timeout).toEqual({ unresolved: true, text: 'process.env.CI ? {…} : {…}', at: at('lib/stack.ts', 3, 33, 'Fn.timeout') });
    expect(JSON.stringify(r)).not.toContain('ghp_secret_value');
  });

  it('LambdaRestApi: handler and integrationOptions.responseTransferMode', () => {
    const r = snippet(
      [
        "import * as apigw from 'aws-cdk-lib/aws-apigateway';",
        "const fn = new lambda.Function(this, 'Fn', {});",
        "new apigw.LambdaRestApi(this, 'Api', { handler: fn, integrationOptions: { responseTransferMode: apigw.ResponseTransferMode.STREAM } });",
        "new apigw.LambdaRestApi(this, 'Api2', { handler: fn });",
      ].join('\n'),
    );
    expect(r.deployments[0].frontDoors).toEqual([
      {
        kind: 'rest-api',
        at: at('lib/stack.ts', 5, 1, 'Fn.frontDoors.rest-api'),
        transferMode: { value: 'STREAM', at: at('lib/stack.ts', 5, 97, 'Fn.frontDoors.rest-api.responseTransferMode') },
      },
      { kind: 'rest-api', at: at('lib/stack.ts', 6, 1, 'Fn.frontDoors.rest-api') },
    ]);
  });

  it('columns count UTF-16 code units, like editors', () => {
    // 71 in UTF-16 code units; 76 in UTF-8 bytes.
    const r = snippet("const fn /* é 😀 — */ = new lambda.Function(this, 'Fn', { memorySize: 256 }); // ✓");
    expect(r.deployments[0].memory).toEqual({ value: 256, at: at('lib/stack.ts', 3, 71, 'Fn.memorySize') });
  });

  it('the CDK app root: given, or inferred above lib/ bin/ src/ stacks/ constructs/', () => {
    const code = "new lambda.Function(this, 'Fn', { code: lambda.Code.fromAsset('handlers/api') });";
    expect(snippet(code, 'infra/lib/stack.ts').deployments[0].codeLocation?.value).toBe('infra/handlers/api');
    expect(readCdk('infra/lib/stack.ts', HEADER + code, { appRoot: '.' }).deployments[0].codeLocation?.value).toBe('handlers/api');
    expect(inferAppRoot('lib/stack.ts')).toBe('.');
    expect(inferAppRoot('packages/infra/src/stacks/api.ts')).toBe('packages/infra');
    expect(inferAppRoot('src/main.ts')).toBe('.');
    expect(inferAppRoot('app.ts')).toBe('.');
    expect(inferAppRoot('infra/app.ts')).toBe('infra');
  });

  it('CloudFront: FunctionUrlOrigin.withOriginAccessControl and the older HttpOrigin(Fn.select(..., url.url))', () => {
    const r = snippet(
      [
        "import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';",
        "const fn = new lambda.Function(this, 'Fn', {});",
        'const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });',
        'const signed = origins.FunctionUrlOrigin.withOriginAccessControl(url);',
        "new origins.HttpOrigin(cdk.Fn.select(2, cdk.Fn.split('/', url.url)));",
        "new cloudfront.Distribution(this, 'Cdn', { defaultBehavior: { origin: signed, allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL } });",
      ].join('\n'),
    );
    const oacAt = at('lib/stack.ts', 6, 16, 'Fn.frontDoors.cloudfront');
    expect(r.deployments[0].frontDoors).toEqual([
      { kind: 'cloudfront', at: oacAt, originAccessControl: { at: oacAt, signing: 'always' }, bodyMethods: { methods: ['PUT', 'POST'], at: expect.objectContaining({ line: 8 }) } },
      { kind: 'cloudfront', at: at('lib/stack.ts', 7, 1, 'Fn.frontDoors.cloudfront') },
    ]);
  });

  it('escape hatches on a URL: (url.node.defaultChild as CfnUrl).addOverride / addPropertyOverride / deletion', () => {
    const r = snippet(
      [
        "const fn = new lambda.Function(this, 'Fn', {});",
        'const url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });',
        'const cfnUrl = url.node.defaultChild as lambda.CfnUrl;',
        "cfnUrl.addOverride('Properties.InvokeMode', 'RESPONSE_STREAM');",
        "const other = new lambda.Function(this, 'Other', {});",
        "const otherUrl = other.addFunctionUrl({ invokeMode: lambda.InvokeMode.RESPONSE_STREAM });",
        "(otherUrl.node.defaultChild as lambda.CfnUrl).addPropertyDeletionOverride('InvokeMode');",
        "(otherUrl.node.defaultChild as lambda.CfnUrl).addPropertyOverride('AuthType', 'NONE');",
        "cfnUrl.addOverride('Metadata.Note', 'not a property');",
      ].join('\n'),
    );
    const [fn, other] = r.deployments;
    expect(fn.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: at('lib/stack.ts', 6, 45, 'Fn.url.invokeMode') });
    expect(fn.url?.ownPermissions).toBe(true);
    expect(other.url?.invokeMode).toBeUndefined();
    expect(other.url?.authType).toEqual({ value: 'NONE', at: at('lib/stack.ts', 10, 79, 'Other.url.authType') });
  });

  it('escape hatches on a function: Timeout and a streaming environment variable', () => {
    const r = snippet(
      [
        "const fn = new lambda.Function(this, 'Fn', { timeout: cdk.Duration.seconds(3) });",
        "const cfnFn = fn.node.defaultChild as lambda.CfnFunction;",
        "cfnFn.addPropertyOverride('Timeout', 120);",
        "cfnFn.addOverride('Properties.Environment.Variables.AWS_LWA_INVOKE_MODE', 'response_stream');",
      ].join('\n'),
    );
    const [fn] = r.deployments;
    expect(fn.timeout).toEqual({ value: 120, at: at('lib/stack.ts', 5, 38, 'Fn.timeout') });
    expect(fn.streamingEnvironment.AWS_LWA_INVOKE_MODE).toEqual({ value: 'response_stream', at: at('lib/stack.ts', 6, 75, 'Fn.environment.AWS_LWA_INVOKE_MODE') });
  });

  it('escape hatches on REST methods: ResponseTransferMode and the streaming Uri, also applied in a forEach over methods', () => {
    const r = snippet(
      [
        "import * as apigw from 'aws-cdk-lib/aws-apigateway';",
        "const fn = new lambda.Function(this, 'Fn', {});",
        "const api = new apigw.RestApi(this, 'Api');",
        'const integration = new apigw.LambdaIntegration(fn);',
        "const root = api.root.addMethod('ANY', integration);",
        "const proxy = api.root.addResource('{proxy+}').addMethod('ANY', integration);",
        '[root, proxy].forEach((method) => {',
        '  const cfn = method.node.defaultChild as apigw.CfnMethod;',
        "  cfn.addOverride('Properties.Integration.ResponseTransferMode', 'STREAM');",
        "  cfn.addOverride('Properties.Integration.Uri', cdk.Fn.sub('arn:aws:apigateway:${AWS::Region}:lambda:path/2021-11-15/functions/${Arn}/response-streaming-invocations', { Arn: fn.functionArn }));",
        '});',
        "const single = new lambda.Function(this, 'Single', {});",
        "const method = api.root.addResource('chat').addMethod('POST', new apigw.LambdaIntegration(single));",
        "(method.node.defaultChild as apigw.CfnMethod).addPropertyOverride('Integration.ResponseTransferMode', 'STREAM');",
      ].join('\n'),
    );
    const [fn, single] = r.deployments;
    expect(fn.frontDoors).toEqual([
      {
        kind: 'rest-api',
        at: at('lib/stack.ts', 6, 21, 'Fn.frontDoors.rest-api'),
        transferMode: { value: 'STREAM', at: at('lib/stack.ts', 11, 66, 'Fn.frontDoors.rest-api.responseTransferMode') },
        streamingInvocationUri: true,
      },
    ]);
    expect(single.frontDoors[0].transferMode).toEqual({ value: 'STREAM', at: at('lib/stack.ts', 16, 103, 'Single.frontDoors.rest-api.responseTransferMode') });
  });

  it('an override on some of the methods of an integration splits its door per method', () => {
    const r = snippet(
      [
        "import * as apigw from 'aws-cdk-lib/aws-apigateway';",
        "const fn = new lambda.Function(this, 'Fn', {});",
        "const api = new apigw.RestApi(this, 'Api');",
        'const integration = new apigw.LambdaIntegration(fn);',
        "const streamed = api.root.addMethod('POST', integration);",
        "api.root.addMethod('GET', integration);",
        "(streamed.node.defaultChild as apigw.CfnMethod).addPropertyOverride('Integration.ResponseTransferMode', 'STREAM');",
      ].join('\n'),
    );
    expect(r.deployments[0].frontDoors).toEqual([
      {
        kind: 'rest-api',
        at: at('lib/stack.ts', 7, 18, 'Fn.frontDoors.rest-api'),
        transferMode: { value: 'STREAM', at: at('lib/stack.ts', 9, 105, 'Fn.frontDoors.rest-api.responseTransferMode') },
      },
      { kind: 'rest-api', at: at('lib/stack.ts', 8, 1, 'Fn.frontDoors.rest-api') },
    ]);
  });

  it('an L1 CfnUrl: CloudFormation values, no permissions of its own', () => {
    const r = snippet(
      [
        "const fn = new lambda.Function(this, 'Fn', {});",
        "new lambda.CfnUrl(this, 'Url', { targetFunctionArn: fn.functionArn, authType: 'NONE', invokeMode: 'RESPONSE_STREAM', cors: { allowOrigins: ['*'] } });",
      ].join('\n'),
    );
    expect(r.notes).toEqual([]);
    expect(r.deployments[0].url).toEqual({
      at: at('lib/stack.ts', 4, 1, 'Fn.url'),
      invokeMode: { value: 'RESPONSE_STREAM', at: at('lib/stack.ts', 4, 99, 'Fn.url.invokeMode') },
      authType: { value: 'NONE', at: at('lib/stack.ts', 4, 79, 'Fn.url.authType') },
      cors: { value: { enabled: true, allowOrigins: ['*'] }, at: at('lib/stack.ts', 4, 124, 'Fn.url.cors') },
      ownPermissions: false,
    });
  });

  it('a broken file is a note, not an exception', () => {
    const r = readCdk('lib/broken.ts', HEADER + "const fn = new lambda.Function(this, 'Fn', {\n  timeout: cdk.Duration.seconds(30),\n");
    expect(r.deployments).toEqual([]);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0].file).toBe('lib/broken.ts');
    expect(r.notes[0].reason).toMatch(/^cannot parse CDK app: parse error: /);
  });
});
