import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Deployment, ReaderResult, SourceLocation } from '../model/deployment.js';
import { parseYamlDocument, readCdkOut, readCloudFormation, toJS } from './cloudformation.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = 'test/fixtures/iac';

/** Read a fixture the way the scanner does: the file path relative to the scan root. */
function fixture(rel: string, reader = readCloudFormation): { file: string; result: ReaderResult } {
  const file = `${FIXTURES}/${rel}`;
  return { file, result: reader(file, readFileSync(path.join(repoRoot, file), 'utf8')) };
}

function byName(result: ReaderResult, name: string): Deployment {
  const found = result.deployments.find((d) => d.name === name);
  if (!found) throw new Error(`no deployment ${name} in ${result.deployments.map((d) => d.name).join(', ')}`);
  return found;
}

const loc = (file: string) => (line: number, column: number, p?: string): SourceLocation => ({ file, line, column, ...(p ? { path: p } : {}) });

describe('CloudFormation short tags', () => {
  it('parse every intrinsic into its long form without errors', () => {
    const text = [
      'A: !Ref X',
      'B: !GetAtt Fn.Arn',
      'C: !GetAtt [Db, Endpoint.Address]',
      'D: !Sub "arn:${AWS::Partition}:s3:::${Bucket}"',
      'E: !Sub ["${A}-x", { A: !Ref Y }]',
      'F: !If [Cond, 1, !Ref AWS::NoValue]',
      'G: !Join ["", [a, !Ref B]]',
      'H: !Select [0, !GetAZs ""]',
      'I: !Split [",", "a,b"]',
      'J: !FindInMap [M, K, V]',
      'K: !Equals [a, b]',
      'L: !And [!Condition C1, !Or [!Condition C2, !Not [!Condition C3]]]',
      'M: !ImportValue shared-vpc',
      'N: !Base64 hello',
      'O: !Cidr [10.0.0.0/16, 4, 8]',
      'P: !Transform { Name: AWS::Include, Parameters: { Location: s3://b/k } }',
      'Q: !Length [a, b]',
      'R: !ToJsonString { a: 1 }',
      'S: !GetAZs us-east-1',
    ].join('\n');
    const parsed = parseYamlDocument(text);
    if ('error' in parsed) throw new Error(parsed.error);
    expect(toJS(parsed.doc.contents)).toEqual({
      A: { Ref: 'X' },
      B: { 'Fn::GetAtt': ['Fn', 'Arn'] },
      C: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] },
      D: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}' },
      E: { 'Fn::Sub': ['${A}-x', { A: { Ref: 'Y' } }] },
      F: { 'Fn::If': ['Cond', 1, { Ref: 'AWS::NoValue' }] },
      G: { 'Fn::Join': ['', ['a', { Ref: 'B' }]] },
      H: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      I: { 'Fn::Split': [',', 'a,b'] },
      J: { 'Fn::FindInMap': ['M', 'K', 'V'] },
      K: { 'Fn::Equals': ['a', 'b'] },
      L: { 'Fn::And': [{ Condition: 'C1' }, { 'Fn::Or': [{ Condition: 'C2' }, { 'Fn::Not': [{ Condition: 'C3' }] }] }] },
      M: { 'Fn::ImportValue': 'shared-vpc' },
      N: { 'Fn::Base64': 'hello' },
      O: { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] },
      P: { 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://b/k' } } },
      Q: { 'Fn::Length': ['a', 'b'] },
      R: { 'Fn::ToJsonString': { a: 1 } },
      S: { 'Fn::GetAZs': 'us-east-1' },
    });
  });
});

describe('readCloudFormation: SAM', () => {
  it('reads the seed-001 Express app: Globals, FunctionUrlConfig RESPONSE_STREAM with CORS, parameter defaults', () => {
    const { file, result } = fixture('sam/express-stream-url.yaml');
    const at = loc(file);
    expect(result.notes).toEqual([]);
    expect(result.deployments).toHaveLength(1);
    const fn = result.deployments[0];
    const P = 'Resources.BackendFunction.Properties';
    expect(fn).toEqual({
      name: 'BackendFunction',
      source: 'sam',
      at: at(34, 3, 'Resources.BackendFunction'),
      runtime: { value: 'nodejs24.x', at: at(21, 14, 'Globals.Function.Runtime') }, // inherited
      handler: { value: 'lambda.handler', at: at(38, 16, `${P}.Handler`) },
      codeLocation: { value: `${FIXTURES}/sam/backend`, at: at(37, 16, `${P}.CodeUri`) },
      // Globals `Timeout: !Ref ChatTimeout` -> the parameter's Default, located at the Default.
      timeout: { value: 90, at: at(11, 14, 'Parameters.ChatTimeout.Default') },
      memory: { value: 1024, at: at(39, 19, `${P}.MemorySize`) }, // the function overrides Globals' 512
      environmentKeys: [
        { value: 'LOG_LEVEL', at: at(29, 9, 'Globals.Function.Environment.Variables.LOG_LEVEL') },
        { value: 'DATABASE_URL', at: at(42, 11, `${P}.Environment.Variables.DATABASE_URL`) },
        { value: 'HUGGINGFACE_API_KEY', at: at(43, 11, `${P}.Environment.Variables.HUGGINGFACE_API_KEY`) },
        { value: 'DB_PASSWORD', at: at(44, 11, `${P}.Environment.Variables.DB_PASSWORD`) },
        { value: 'NODE_ENV', at: at(45, 11, `${P}.Environment.Variables.NODE_ENV`) }, // function-level wins
      ],
      streamingEnvironment: {},
      layers: [],
      reservedConcurrency: undefined,
      architectures: { value: ['x86_64'], at: at(24, 5, 'Globals.Function.Architectures') },
      vpc: at(46, 7, `${P}.VpcConfig`),
      url: {
        at: at(49, 7, `${P}.FunctionUrlConfig`),
        invokeMode: { value: 'RESPONSE_STREAM', at: at(50, 21, `${P}.FunctionUrlConfig.InvokeMode`) },
        authType: { value: 'NONE', at: at(31, 17, 'Globals.Function.FunctionUrlConfig.AuthType') }, // merged from Globals
        cors: {
          value: {
            enabled: true,
            allowOrigins: ['https://debugflow.vercel.app'], // `!Ref AllowedOrigin` -> its Default
            allowMethods: ['GET', 'POST'],
            allowHeaders: ['content-type', 'authorization'],
            allowCredentials: true,
          },
          at: at(51, 9, `${P}.FunctionUrlConfig.Cors`),
        },
        ownPermissions: true,
      },
      frontDoors: [],
      defaultTimeoutSeconds: 3,
    });
  });

  it('never stores environment values (only keys)', () => {
    const { result } = fixture('sam/express-stream-url.yaml');
    const json = JSON.stringify(result);
    expect(json).not.toContain('s3cr3t-pa55');
    expect(json).not.toContain('postgresql://');
    expect(json).not.toContain('hf_TESTONLYsecretvalue');
    expect(json).not.toContain('DatabasePassword');
    const json2 = JSON.stringify(fixture('cloudformation/template.json').result);
    expect(json2).not.toContain('tok_json_secret_123');
  });

  it('reads a URL without InvokeMode (left undefined = BUFFERED), LWA layer + env, HttpApi and streaming Api events, an unresolved !If', () => {
    const { file, result } = fixture('sam/lwa-http-api.yaml');
    const at = loc(file);
    const P = 'Resources.ChatApi.Properties';
    const fn = byName(result, 'ChatApi');
    expect(fn.source).toBe('sam'); // Transform given as a list
    expect(fn.url).toEqual({
      at: at(27, 7, `${P}.FunctionUrlConfig`),
      invokeMode: undefined,
      authType: { value: 'AWS_IAM', at: at(28, 19, `${P}.FunctionUrlConfig.AuthType`) },
      cors: undefined,
      ownPermissions: true,
    });
    expect(fn.timeout).toEqual({ unresolved: true, text: '!If [IsProd, 120, 30]', at: at(16, 7, `${P}.Timeout`) });
    const lwa = 'arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerArm64:26';
    expect(fn.layers).toEqual([
      { value: lwa, at: at(20, 11, `${P}.Layers[0]`) },
      { value: 'arn:aws:lambda:us-east-1:123456789012:layer:shared-utils:3', at: at(21, 11, `${P}.Layers[1]`) },
    ]);
    expect(fn.webAdapter).toEqual({ value: lwa, at: at(20, 11, `${P}.Layers[0]`) });
    expect(fn.streamingEnvironment).toEqual({
      AWS_LAMBDA_EXEC_WRAPPER: { value: '/opt/bootstrap', at: at(24, 36, `${P}.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER`) },
      AWS_LWA_INVOKE_MODE: { value: 'response_stream', at: at(25, 32, `${P}.Environment.Variables.AWS_LWA_INVOKE_MODE`) },
      PORT: { value: '8080', at: at(26, 17, `${P}.Environment.Variables.PORT`) },
    });
    expect(fn.environmentKeys.map((k) => k.value)).toEqual(['AWS_LAMBDA_EXEC_WRAPPER', 'AWS_LWA_INVOKE_MODE', 'PORT']);
    expect(fn.reservedConcurrency).toEqual({ value: 5, at: at(17, 37, `${P}.ReservedConcurrentExecutions`) });
    expect(fn.architectures).toEqual({ value: ['arm64'], at: at(18, 7, `${P}.Architectures`) });
    expect(fn.codeLocation).toEqual({ value: `${FIXTURES}/sam/app`, at: at(13, 16, `${P}.CodeUri`) });
    // The Schedule event is not a front door.
    expect(fn.frontDoors).toEqual([
      { kind: 'http-api', at: at(30, 9, `${P}.Events.HttpRoot`) },
      {
        kind: 'rest-api',
        at: at(35, 9, `${P}.Events.RestStream`),
        transferMode: { value: 'STREAM', at: at(40, 35, `${P}.Events.RestStream.Properties.ResponseTransferMode`) },
      },
    ]);
  });

  it('reads an image function: ImageConfig.Command as the handler, DockerContext as the code', () => {
    const { file, result } = fixture('sam/lwa-http-api.yaml');
    const at = loc(file);
    const fn = byName(result, 'ImageFunction');
    expect(fn.packageType).toBe('image');
    expect(fn.runtime).toBeUndefined();
    expect(fn.handler).toEqual({ value: 'app.handler', at: at(51, 9, 'Resources.ImageFunction.Properties.ImageConfig.Command') });
    expect(fn.codeLocation).toEqual({ value: `${FIXTURES}/sam/image`, at: at(54, 22, 'Resources.ImageFunction.Metadata.DockerContext') });
  });

  it('reports broken YAML as a note and does not throw', () => {
    const { file, result } = fixture('sam/broken.yaml');
    expect(result).toEqual({
      deployments: [],
      notes: [{ file, reason: 'cannot parse template: bad indentation of a mapping entry (7:6)' }],
    });
  });

  it('returns nothing (and no note) for YAML that is not a template', () => {
    expect(fixture('sam/not-a-template.yaml').result).toEqual({ deployments: [], notes: [] });
    expect(readCloudFormation('x.yaml', '')).toEqual({ deployments: [], notes: [] });
    expect(readCloudFormation('x.yaml', '- a\n- b\n')).toEqual({ deployments: [], notes: [] });
    expect(readCloudFormation('x.yaml', 'AWSTemplateFormatVersion: "2010-09-09"\nOutputs: {}\n')).toEqual({ deployments: [], notes: [] });
    // Broken YAML that does not look like a template is not worth a note either.
    expect(readCloudFormation('chart/templates/x.yaml', 'a: {{ .Values.x }}\n  b: [\n')).toEqual({ deployments: [], notes: [] });
  });
});

describe('readCloudFormation: SAM Api events on an explicit AWS::Serverless::Api (RestApiId)', () => {
  const template = (api: string[]) =>
    [
      'Transform: AWS::Serverless-2016-10-31', //      1
      'Resources:', //                                 2
      '  Api:', //                                     3
      '    Type: AWS::Serverless::Api', //             4
      '    Properties:', //                            5
      '      StageName: prod', //                      6
      ...api.map((line) => `      ${line}`),
      '  Fn:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Handler: index.handler',
      '      Runtime: nodejs22.x',
      '      Events:',
      '        Chat:',
      '          Type: Api',
      '          Properties:',
      '            RestApiId: !Ref Api',
      '            Path: /chat',
      '            Method: post',
    ].join('\n');
  const doorOf = (api: string[]) => readCloudFormation('t.yaml', template(api)).deployments[0].frontDoors[0];

  it('without a definition: SAM generates it from the events, so the event (no ResponseTransferMode) buffers', () => {
    expect(doorOf([])).toEqual({ kind: 'rest-api', at: { file: 't.yaml', line: 13, column: 9, path: 'Resources.Fn.Properties.Events.Chat' } });
  });

  it('with an inline OpenAPI DefinitionBody: the integration of the path and method decides', () => {
    const body = (mode: string) => [
      'DefinitionBody:',
      '  openapi: "3.0.1"',
      '  paths:',
      '    /chat:',
      '      post:',
      '        x-amazon-apigateway-integration:',
      '          type: aws_proxy',
      ...(mode ? [`          responseTransferMode: ${mode}`] : []),
      '          uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2021-11-15/functions/${Fn.Arn}/response-streaming-invocations',
    ];
    const streaming = doorOf(body('STREAM'));
    expect(streaming.transferMode).toEqual({ value: 'STREAM', at: { file: 't.yaml', line: 14, column: 39, path: 'Resources.Api.Properties.DefinitionBody.paths./chat.post.x-amazon-apigateway-integration.responseTransferMode' } });
    expect(streaming.streamingInvocationUri).toBe(true);
    expect(doorOf(body('')).transferMode).toBeUndefined();
  });

  it('a definition elsewhere, an API of another stack, a path the definition lacks: unknown', () => {
    expect(doorOf(['DefinitionUri: api.yaml']).transferMode).toMatchObject({ unresolved: true, text: 'RestApiId (its definition is in another file)' });
    expect(doorOf(['DefinitionBody:', '  paths:', '    /other:', '      get: {}']).transferMode).toMatchObject({ unresolved: true });
    const imported = readCloudFormation('t.yaml', template([]).replace('RestApiId: !Ref Api', 'RestApiId: !ImportValue SharedApi')).deployments[0].frontDoors[0];
    expect(imported.transferMode).toMatchObject({ unresolved: true, text: 'RestApiId (an API this template does not define)' });
  });
});

describe('readCloudFormation: AWS::Lambda::Permission', () => {
  it('joins permissions to their function as declared policy grants', () => {
    const text = [
      'Resources:', //                                          1
      '  Fn:', //                                               2
      '    Type: AWS::Lambda::Function', //                     3
      '    Properties:', //                                     4
      '      Handler: index.handler', //                        5
      '      Runtime: nodejs22.x', //                           6
      '  Url:', //                                              7
      '    Type: AWS::Lambda::Url', //                          8
      '    Properties:', //                                     9
      '      AuthType: NONE', //                                10
      '      TargetFunctionArn: !GetAtt Fn.Arn', //             11
      '  Public:', //                                           12
      '    Type: AWS::Lambda::Permission', //                   13
      '    Properties:', //                                     14
      '      FunctionName: !Ref Fn', //                         15
      '      Action: lambda:InvokeFunctionUrl', //              16
      "      Principal: '*'", //                                17
      '  FromApi:', //                                          18
      '    Type: AWS::Lambda::Permission', //                   19
      '    Properties:', //                                     20
      '      FunctionName: !GetAtt Fn.Arn', //                  21
      '      Action: !Ref ApiAction', //                        22
      '      Principal: apigateway.amazonaws.com', //           23
    ].join('\n');
    const [fn] = readCloudFormation('t.yaml', text).deployments;
    const loc = (line: number, column: number, p: string) => ({ file: 't.yaml', line, column, path: p });
    expect(fn.url?.ownPermissions).toBe(false);
    expect(fn.policy).toEqual({
      complete: false,
      grants: [
        {
          at: loc(16, 15, 'Resources.Public.Properties.Action'),
          actions: { value: ['lambda:InvokeFunctionUrl'], at: loc(16, 15, 'Resources.Public.Properties.Action') },
          everyone: { value: true, at: loc(17, 18, 'Resources.Public.Properties.Principal') },
          effect: 'Allow',
        },
        {
          at: loc(22, 15, 'Resources.FromApi.Properties.Action'),
          actions: { unresolved: true, text: '!Ref ApiAction', at: loc(22, 15, 'Resources.FromApi.Properties.Action') },
          everyone: { value: false, at: loc(23, 18, 'Resources.FromApi.Properties.Principal') },
          effect: 'Allow',
        },
      ],
    });
  });
});

describe('readCloudFormation: plain CloudFormation', () => {
  it('joins AWS::Lambda::Url by !GetAtt, resolves a parameter default and leaves a default-less !Ref unresolved', () => {
    const { file, result } = fixture('cloudformation/url-and-front-doors.yaml');
    const at = loc(file);
    expect(result.notes).toEqual([]);
    expect(result.deployments.map((d) => d.name)).toEqual(['StreamFunction', 'ReportFunction']);
    const fn = byName(result, 'StreamFunction');
    const P = 'Resources.StreamFunction.Properties';
    expect(fn.source).toBe('cloudformation');
    expect(fn.at).toEqual(at(12, 3, 'Resources.StreamFunction'));
    expect(fn.runtime).toEqual({ value: 'nodejs20.x', at: at(15, 16, `${P}.Runtime`) });
    expect(fn.codeLocation).toEqual({ value: `${FIXTURES}/cloudformation/dist/stream`, at: at(17, 13, `${P}.Code`) });
    expect(fn.timeout).toEqual({ unresolved: true, text: '!Ref FunctionTimeout', at: at(19, 16, `${P}.Timeout`) });
    expect(fn.memory).toEqual({ value: 2048, at: at(7, 14, 'Parameters.MemoryMb.Default') });
    expect(fn.defaultTimeoutSeconds).toBe(3);
    expect(fn.url).toEqual({
      at: at(22, 3, 'Resources.StreamFunctionUrl'),
      invokeMode: { value: 'RESPONSE_STREAM', at: at(27, 19, 'Resources.StreamFunctionUrl.Properties.InvokeMode') },
      authType: { value: 'NONE', at: at(26, 17, 'Resources.StreamFunctionUrl.Properties.AuthType') },
      cors: undefined,
      ownPermissions: false,
    });
  });

  it('joins a URL on an alias (!Ref Alias) with the alias name as qualifier; S3 code is not a path', () => {
    const { file, result } = fixture('cloudformation/url-and-front-doors.yaml');
    const at = loc(file);
    const fn = byName(result, 'ReportFunction');
    expect(fn.codeLocation).toBeUndefined();
    expect(fn.url).toEqual({
      at: at(45, 3, 'Resources.ReportUrl'),
      invokeMode: undefined,
      authType: { value: 'AWS_IAM', at: at(49, 17, 'Resources.ReportUrl.Properties.AuthType') },
      cors: undefined,
      qualifier: 'live',
      ownPermissions: false,
    });
  });

  it('finds the REST API streaming method, the HTTP API integration, the CloudFront origin and the ALB target group', () => {
    const { file, result } = fixture('cloudformation/url-and-front-doors.yaml');
    const at = loc(file);
    expect(byName(result, 'StreamFunction').frontDoors).toEqual([
      {
        kind: 'rest-api',
        at: at(51, 3, 'Resources.RestMethod'),
        transferMode: { value: 'STREAM', at: at(61, 31, 'Resources.RestMethod.Properties.Integration.ResponseTransferMode') },
        streamingInvocationUri: true,
      },
      { kind: 'http-api', at: at(64, 3, 'Resources.HttpIntegration') },
      { kind: 'cloudfront', at: at(91, 13, 'Resources.Cdn.Properties.DistributionConfig.Origins[0]') },
    ]);
    expect(byName(result, 'ReportFunction').frontDoors).toEqual([{ kind: 'alb', at: at(78, 3, 'Resources.AlbTargets') }]);
  });

  it('reads a JSON template with ranges, long-form intrinsics and a Fn::Join layer ARN', () => {
    const { file, result } = fixture('cloudformation/template.json');
    const at = loc(file);
    const P = 'Resources.ApiFunction.Properties';
    expect(result.notes).toEqual([]);
    expect(result.deployments).toHaveLength(1);
    const fn = result.deployments[0];
    expect(fn.at).toEqual(at(8, 5, 'Resources.ApiFunction'));
    expect(fn.runtime).toEqual({ value: 'nodejs20.x', at: at(11, 14, `${P}.Runtime`) }); // a tab-indented line
    expect(fn.handler).toEqual({ value: 'src/handler.stream', at: at(12, 20, `${P}.Handler`) });
    expect(fn.timeout).toEqual({ value: 45, at: at(5, 47, 'Parameters.Timeout.Default') });
    expect(fn.memory).toEqual({ unresolved: true, text: '{ "Fn::If": ["IsBig", 1024, 256] }', at: at(14, 9, `${P}.MemorySize`) });
    expect(fn.codeLocation).toBeUndefined(); // inline ZipFile
    expect(fn.environmentKeys).toEqual([
      { value: 'STAGE', at: at(16, 41, `${P}.Environment.Variables.STAGE`) },
      { value: 'API_TOKEN', at: at(16, 70, `${P}.Environment.Variables.API_TOKEN`) },
    ]);
    const lwa = 'arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerX86:25';
    expect(fn.layers).toEqual([{ value: lwa, at: at(18, 11, `${P}.Layers[0]`) }]);
    expect(fn.webAdapter).toEqual({ value: lwa, at: at(18, 11, `${P}.Layers[0]`) });
    expect(fn.url).toEqual({
      at: at(22, 5, 'Resources.ApiFunctionUrl'),
      invokeMode: undefined,
      authType: { value: 'NONE', at: at(26, 21, 'Resources.ApiFunctionUrl.Properties.AuthType') },
      cors: { value: { enabled: true, allowOrigins: ['*'], allowMethods: ['*'] }, at: at(27, 9, 'Resources.ApiFunctionUrl.Properties.Cors') },
      ownPermissions: false,
    });
  });

  it('marks intrinsic URL and CORS settings unresolved and keeps !GetAtt/!Sub/Fn::Sub joins', () => {
    const text = [
      'Resources:', //                                                    1
      '  Fn:', //                                                         2
      '    Type: AWS::Lambda::Function', //                               3
      '    Properties:', //                                               4
      '      Handler: index.handler', //                                  5
      '      Runtime: !Sub "nodejs${Major}.x"', //                        6
      '  Url:', //                                                        7
      '    Type: AWS::Lambda::Url', //                                    8
      '    Properties:', //                                               9
      '      TargetFunctionArn: !Sub "${Fn.Arn}"', //                     10
      '      AuthType: NONE', //                                          11
      '      InvokeMode: !If', //                                         12
      '        - Streaming', //                                           13
      '        - RESPONSE_STREAM', //                                     14
      '        - BUFFERED', //                                            15
      '      Cors: !If [WithCors, { AllowOrigins: ["*"] }, !Ref AWS::NoValue]', // 16
      '  Fn2:', //                                                        17
      '    Type: AWS::Lambda::Function', //                               18
      '    Properties:', //                                               19
      '      Environment:', //                                            20
      '        Variables: !If [Prod, { A: "1" }, { B: "2" }]', //         21
      '      VpcConfig: !If [InVpc, { SubnetIds: [s] }, !Ref AWS::NoValue]', // 22
      '      Layers: !Ref LayerArns', //                                  23
      '  Fn2Method:', //                                                  24
      '    Type: AWS::ApiGateway::Method', //                             25
      '    Properties:', //                                               26
      '      Integration:', //                                            27
      '        Uri: { "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn2.Arn}/invocations" }', // 28
    ].join('\n');
    const at = loc('t.yaml');
    const [fn] = readCloudFormation('t.yaml', text).deployments;
    expect(fn.runtime).toEqual({ unresolved: true, text: '!Sub "nodejs${Major}.x"', at: at(6, 16, 'Resources.Fn.Properties.Runtime') });
    expect(fn.url?.invokeMode).toEqual({
      unresolved: true,
      text: '!If - Streaming - RESPONSE_STREAM - BUFFERED',
      at: at(12, 7, 'Resources.Url.Properties.InvokeMode'),
    });
    expect(fn.url?.cors).toEqual({
      unresolved: true,
      text: '!If [WithCors, { AllowOrigins: ["*"] }, !Ref AWS::NoValue]',
      at: at(16, 7, 'Resources.Url.Properties.Cors'),
    });
    // A conditional map is not read as configuration: no `Fn::If` environment key, no VPC.
    const fn2 = readCloudFormation('t.yaml', text).deployments[1];
    expect(fn2.environmentKeys).toEqual([]);
    expect(fn2.vpc).toBeUndefined();
    expect(fn2.layers).toEqual([{ value: '!Ref LayerArns', at: at(23, 15, 'Resources.Fn2.Properties.Layers') }]);
    expect(fn2.url).toBeUndefined();
    // A buffered REST integration (plain /invocations URI, no ResponseTransferMode) joined by Fn::Sub.
    expect(fn2.frontDoors).toEqual([{ kind: 'rest-api', at: at(24, 3, 'Resources.Fn2Method'), streamingInvocationUri: false }]);
  });

  it('handles CRLF line endings, YAML anchors and a Sub without variables', () => {
    const text = [
      'Resources:',
      '  Fn:',
      '    Type: AWS::Lambda::Function',
      '    Properties: &props',
      '      Handler: !Sub index.handler',
      '      Timeout: 30',
      '  Fn2:',
      '    Type: AWS::Lambda::Function',
      '    Properties: *props',
    ].join('\r\n');
    const result = readCloudFormation('crlf.yaml', text);
    expect(result.notes).toEqual([]);
    const at = loc('crlf.yaml');
    expect(result.deployments[0].handler).toEqual({ value: 'index.handler', at: at(5, 16, 'Resources.Fn.Properties.Handler') });
    expect(result.deployments[0].timeout).toEqual({ value: 30, at: at(6, 16, 'Resources.Fn.Properties.Timeout') });
    expect(result.deployments[1].timeout).toEqual({ value: 30, at: at(6, 16, 'Resources.Fn2.Properties.Timeout') });
  });

  it('accepts what CloudFormation accepts: a closing bracket at its key, repeated keys (the last wins), block scalars, empty values', () => {
    const text = [
      'Resources:', //                                                      1
      '  Fn:', //                                                           2
      '    Type: AWS::Lambda::Function', //                                 3
      '    Properties:', //                                                 4
      '      FunctionName: !Sub [', //                                      5
      '        "fn-${Id}",', //                                             6
      '        Id: !Select [2, !Split ["/", !Ref AWS::StackId]],', //       7
      '      ]', //                                                         8
      '      Timeout: 10', //                                               9
      '      Timeout: 20', //                                               10
      '      Handler: >-', //                                               11
      '        index.handler', //                                           12
      '      MemorySize:', //                                               13
      '      Runtime: !Ref', //                                             14
      '      Layers: [', //                                                 15
      '        !Sub "arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerX86:25",', // 16
      '      ]', //                                                         17
      '      ReservedConcurrentExecutions: *undefinedAnchor', //            18
    ].join('\n');
    const at = loc('t.yaml');
    const P = 'Resources.Fn.Properties';
    const result = readCloudFormation('t.yaml', text);
    expect(result.notes).toEqual([]);
    const [fn] = result.deployments;
    expect(fn.timeout).toEqual({ value: 20, at: at(10, 16, `${P}.Timeout`) });
    expect(fn.handler).toEqual({ value: 'index.handler', at: at(11, 16, `${P}.Handler`) }); // at the `>-` header
    expect(fn.memory).toBeUndefined();
    expect(fn.runtime).toEqual({ unresolved: true, text: '!Ref', at: at(14, 16, `${P}.Runtime`) });
    // Offsets after the bracket lines are the file's own.
    const lwa = 'arn:aws:lambda:${AWS::Region}:753240598075:layer:LambdaAdapterLayerX86:25';
    expect(fn.layers).toEqual([{ value: lwa, at: at(16, 9, `${P}.Layers[0]`) }]);
    expect(fn.reservedConcurrency).toBeUndefined(); // an alias without an anchor reads as nothing
  });

  it('still rejects brackets YAML does not allow there (a nested collection closed at the key), and several documents', () => {
    const nested = 'Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Layers: [{\n        a: 1\n      }]\n';
    expect(readCloudFormation('t.yaml', nested)).toEqual({
      deployments: [],
      notes: [{ file: 't.yaml', reason: 'cannot parse template: deficient indentation (7:7)' }],
    });
    const below = 'Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Layers: [\n        a\n     ]\n';
    expect(readCloudFormation('t.yaml', below).notes).toHaveLength(1);
    const two = readCloudFormation('t.yaml', 'Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n---\nResources: {}\n');
    expect(two.deployments).toEqual([]);
    expect(two.notes[0].reason).toMatch(/^cannot parse template: Source contains multiple documents/);
  });
});

describe('readCdkOut', () => {
  it('reads a synthesized template: aws:asset:path as the code location, the URL, no CDK-internal functions', () => {
    const { file, result } = fixture('cdk-out/cdk.out/ChatStack.template.json', readCdkOut);
    const at = loc(file);
    const id = 'ChatHandler5E7490E8';
    const P = `Resources.${id}.Properties`;
    expect(result.notes).toEqual([]);
    expect(result.deployments.map((d) => d.name)).toEqual([id]); // LogRetention... is CDK's own
    const fn = result.deployments[0];
    expect(fn).toEqual({
      name: id,
      source: 'cdk-out',
      at: at(13, 3, `Resources.${id}`),
      runtime: { value: 'nodejs22.x', at: at(24, 16, `${P}.Runtime`) },
      handler: { value: 'index.handler', at: at(21, 16, `${P}.Handler`) },
      codeLocation: {
        value: `${FIXTURES}/cdk-out/cdk.out/asset.3f1c2a9b7e5d4c8a6b0e1f2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3`,
        at: at(30, 23, `Resources.${id}.Metadata.aws:asset:path`),
      },
      timeout: { value: 120, at: at(25, 16, `${P}.Timeout`) },
      memory: { value: 1024, at: at(22, 19, `${P}.MemorySize`) },
      environmentKeys: [
        { value: 'OPENAI_API_KEY', at: at(20, 37, `${P}.Environment.Variables.OPENAI_API_KEY`) },
        { value: 'AWS_NODEJS_CONNECTION_REUSE_ENABLED', at: at(20, 83, `${P}.Environment.Variables.AWS_NODEJS_CONNECTION_REUSE_ENABLED`) },
      ],
      streamingEnvironment: {},
      layers: [],
      reservedConcurrency: undefined,
      url: {
        at: at(35, 3, 'Resources.ChatHandlerFunctionUrlB1C2D3E4'),
        invokeMode: { value: 'RESPONSE_STREAM', at: at(39, 19, 'Resources.ChatHandlerFunctionUrlB1C2D3E4.Properties.InvokeMode') },
        authType: { value: 'AWS_IAM', at: at(38, 17, 'Resources.ChatHandlerFunctionUrlB1C2D3E4.Properties.AuthType') },
        cors: undefined,
        ownPermissions: false,
      },
      frontDoors: [],
      defaultTimeoutSeconds: 3,
    });
    expect(JSON.stringify(result)).not.toContain('sk-cdk-test-secret-value');
  });
});
