import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Deployment, ReaderResult, SourceLocation } from '../model/deployment.js';
import { readTerraform } from './terraform.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/iac/terraform');

/** The .tf/.tfvars files of one fixture directory, named as if the scan root held them under `prefix`. */
function load(dir: string, prefix = ''): Array<{ file: string; text: string }> {
  const abs = path.join(FIXTURES, dir);
  return readdirSync(abs)
    .filter((name) => name.endsWith('.tf') || name.endsWith('.tfvars'))
    .sort()
    .map((name) => ({ file: prefix ? `${prefix}/${name}` : name, text: readFileSync(path.join(abs, name), 'utf8') }));
}

async function read(dir: string, prefix = ''): Promise<ReaderResult> {
  return readTerraform(load(dir, prefix));
}

function only(result: ReaderResult): Deployment {
  expect(result.notes).toEqual([]);
  expect(result.deployments).toHaveLength(1);
  return result.deployments[0]!;
}

function named(result: ReaderResult, name: string): Deployment {
  const d = result.deployments.find((x) => x.name === name);
  if (!d) throw new Error(`no deployment ${name} in ${result.deployments.map((x) => x.name).join(', ')}`);
  return d;
}

function loc(file: string, line: number, column: number, p: string): SourceLocation {
  return { file, line, column, path: p };
}

describe('readTerraform: functions and Function URLs', () => {
  it('reads a function with a RESPONSE_STREAM URL and CORS, with exact lines', async () => {
    const d = only(await read('url-streaming-cors', 'infra'));
    const f = 'infra/main.tf';
    expect(d.name).toBe('api');
    expect(d.source).toBe('terraform');
    expect(d.at).toEqual(loc(f, 8, 1, 'aws_lambda_function.api'));
    expect(d.packageType).toBe('zip');
    expect(d.runtime).toEqual({ value: 'nodejs20.x', at: loc(f, 13, 3, 'aws_lambda_function.api.runtime') });
    expect(d.handler).toEqual({ value: 'index.handler', at: loc(f, 14, 3, 'aws_lambda_function.api.handler') });
    expect(d.timeout).toEqual({ value: 120, at: loc(f, 15, 3, 'aws_lambda_function.api.timeout') });
    expect(d.memory).toEqual({ value: 1024, at: loc(f, 16, 3, 'aws_lambda_function.api.memory_size') });
    expect(d.architectures).toEqual({ value: ['arm64'], at: loc(f, 17, 3, 'aws_lambda_function.api.architectures') });
    expect(d.reservedConcurrency).toEqual({ value: 5, at: loc(f, 19, 3, 'aws_lambda_function.api.reserved_concurrent_executions') });
    expect(d.vpc).toEqual(loc(f, 29, 3, 'aws_lambda_function.api.vpc_config'));
    // filename = data.archive_file.api.output_path -> the archive's source_dir, relative to the scan root.
    expect(d.codeLocation).toEqual({ value: 'src', at: loc(f, 4, 3, 'data.archive_file.api.source_dir') });
    expect(d.defaultTimeoutSeconds).toBe(3);
    expect(d.environmentKeys.map((k) => [k.value, k.at.line, k.at.column])).toEqual([
      ['NODE_OPTIONS', 23, 7],
      ['OPENAI_API_KEY', 24, 7],
      ['DATABASE_URL', 25, 7],
    ]);
    expect(d.streamingEnvironment).toEqual({});
    expect(d.layers).toEqual([]);
    expect(d.webAdapter).toBeUndefined();
    expect(d.frontDoors).toEqual([]);

    expect(d.url).toEqual({
      at: loc(f, 35, 1, 'aws_lambda_function_url.api'),
      invokeMode: { value: 'RESPONSE_STREAM', at: loc(f, 38, 3, 'aws_lambda_function_url.api.invoke_mode') },
      authType: { value: 'NONE', at: loc(f, 37, 3, 'aws_lambda_function_url.api.authorization_type') },
      cors: {
        value: {
          enabled: true,
          allowOrigins: ['https://app.example.com'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['content-type', 'authorization'],
          allowCredentials: true,
        },
        at: loc(f, 40, 3, 'aws_lambda_function_url.api.cors'),
      },
    });
  });

  it('leaves invoke_mode undefined when the URL does not set it (BUFFERED), joined through .arn', async () => {
    const d = only(await read('url-default-mode'));
    expect(d.url?.at).toEqual(loc('main.tf', 10, 1, 'aws_lambda_function_url.worker'));
    expect(d.url?.invokeMode).toBeUndefined();
    expect(d.url?.cors).toBeUndefined();
    expect(d.url?.qualifier).toBeUndefined();
    expect(d.url?.authType).toEqual({ value: 'AWS_IAM', at: loc('main.tf', 12, 3, 'aws_lambda_function_url.worker.authorization_type') });
    expect(d.timeout).toBeUndefined();
    expect(d.memory).toBeUndefined();
    expect(d.reservedConcurrency).toBeUndefined();
    expect(d.codeLocation).toBeUndefined(); // S3 code: nothing on disk
    expect(d.handler).toEqual({ value: 'dist/worker.handler', at: loc('main.tf', 7, 3, 'aws_lambda_function.worker.handler') });
  });

  it('never outputs environment values other than the streaming ones', async () => {
    for (const dir of ['url-streaming-cors', 'module-lambda', 'lwa-layer']) {
      const json = JSON.stringify(await read(dir));
      for (const secret of ['sk-live-DO-NOT-LEAK-1234', 'hunter2', 'sk_live_module_secret', 's3ss10n-Secret-Value', '--enable-source-maps']) {
        expect(json).not.toContain(secret);
      }
    }
  });
});

describe('readTerraform: variables and locals', () => {
  it('resolves var.X to its default and local.X to literals, across files', async () => {
    const result = await read('variables');
    expect(result.notes).toEqual([]);
    const d = named(result, 'stream');
    expect(d.at).toEqual(loc('main.tf', 1, 1, 'aws_lambda_function.stream'));
    expect(d.timeout).toEqual({ value: 30, at: loc('main.tf', 7, 3, 'aws_lambda_function.stream.timeout') });
    expect(d.runtime).toEqual({ value: 'nodejs22.x', at: loc('main.tf', 5, 3, 'aws_lambda_function.stream.runtime') });
    // A local that is itself a template of another local.
    expect(d.handler).toEqual({ value: 'src/stream.handler', at: loc('main.tf', 6, 3, 'aws_lambda_function.stream.handler') });
    expect(d.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc('main.tf', 15, 3, 'aws_lambda_function_url.stream.invoke_mode') });
    expect(d.url?.cors).toEqual({
      value: { enabled: true, allowOrigins: ['https://a.example.com', 'https://b.example.com'] },
      at: loc('main.tf', 16, 3, 'aws_lambda_function_url.stream.cors'),
    });
    // A template layer ARN with ${var.region} resolved; a reference kept as written.
    expect(d.layers).toEqual([
      { value: 'arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerX86:26', at: loc('main.tf', 9, 20, 'aws_lambda_function.stream.layers[0]') },
      { value: 'aws_lambda_layer_version.deps.arn', at: loc('main.tf', 9, 35, 'aws_lambda_function.stream.layers[1]') },
    ]);
    expect(d.webAdapter).toEqual(d.layers[0]);
    expect(d.codeLocation).toEqual({ value: '../dist/stream.zip', at: loc('main.tf', 4, 3, 'aws_lambda_function.stream.filename') });
  });

  it('leaves a variable without default, a null default and expressions unresolved, as written', async () => {
    const result = await read('variables');
    const stream = named(result, 'stream');
    expect(stream.memory).toEqual({ unresolved: true, text: 'var.memory_size', at: loc('main.tf', 8, 3, 'aws_lambda_function.stream.memory_size') });
    const other = named(result, 'other');
    expect(other.timeout).toEqual({ unresolved: true, text: 'var.timeout * 2', at: loc('main.tf', 27, 3, 'aws_lambda_function.other.timeout') });
    // default = null: the caller is expected to set it, so it is not "missing" (BUFFERED).
    expect(other.url?.invokeMode).toEqual({ unresolved: true, text: 'var.invoke_mode', at: loc('main.tf', 33, 3, 'aws_lambda_function_url.other.invoke_mode') });
    expect(other.url?.at.line).toBe(30); // joined through .id
  });

  it('lets terraform.tfvars and *.auto.tfvars override defaults (auto files last)', async () => {
    const d = only(await read('tfvars'));
    expect(d.timeout).toEqual({ value: 60, at: loc('main.tf', 5, 3, 'aws_lambda_function.fn.timeout') });
    expect(d.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc('main.tf', 11, 3, 'aws_lambda_function_url.fn.invoke_mode') });
  });
});

describe('readTerraform: terraform-aws-modules/lambda/aws', () => {
  it('reads the module inputs, its URL (auth NONE by default) and CORS map', async () => {
    const result = await read('module-lambda');
    expect(result.notes).toEqual([]);
    expect(result.deployments.map((d) => d.name)).toEqual(['chat', 'internal']); // not module "vpc"
    const d = named(result, 'chat');
    const m = (line: number, column: number, p: string) => loc('main.tf', line, column, `module.chat${p}`);
    expect(d.at).toEqual(m(1, 1, ''));
    expect(d.handler).toEqual({ value: 'index.handler', at: m(6, 3, '.handler') });
    expect(d.runtime).toEqual({ value: 'nodejs20.x', at: m(7, 3, '.runtime') });
    expect(d.timeout).toEqual({ value: 60, at: m(8, 3, '.timeout') });
    expect(d.memory).toEqual({ value: 512, at: m(9, 3, '.memory_size') });
    expect(d.codeLocation).toEqual({ value: '../functions/chat', at: m(10, 3, '.source_path') });
    expect(d.reservedConcurrency).toEqual({ value: 10, at: m(12, 3, '.reserved_concurrent_executions') });
    expect(d.environmentKeys.map((k) => [k.value, k.at.line])).toEqual([
      ['AWS_LWA_INVOKE_MODE', 15],
      ['STRIPE_SECRET_KEY', 16],
    ]);
    expect(d.streamingEnvironment).toEqual({ AWS_LWA_INVOKE_MODE: { value: 'response_stream', at: m(15, 5, '.environment_variables.AWS_LWA_INVOKE_MODE') } });
    expect(d.webAdapter).toEqual({ value: 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:25', at: m(20, 5, '.layers[0]') });
    expect(d.url).toEqual({
      at: m(23, 3, '.create_lambda_function_url'),
      invokeMode: { value: 'RESPONSE_STREAM', at: m(24, 3, '.invoke_mode') },
      authType: { value: 'NONE', at: m(23, 3, '.create_lambda_function_url') },
      cors: { value: { enabled: true, allowOrigins: ['*'], allowMethods: ['*'] }, at: m(25, 3, '.cors') },
    });

    const internal = named(result, 'internal');
    expect(internal.url).toBeUndefined(); // create_lambda_function_url defaults to false
    expect(internal.codeLocation?.value).toBe('../functions/internal');
  });

  it('points image functions at their Docker build context (where the Dockerfile is)', async () => {
    const result = await read('image-docker-build', 'infra');
    expect(result.notes).toEqual([]);
    const f = 'infra/main.tf';
    const sse = named(result, 'sse');
    expect(sse.packageType).toBe('image');
    expect(sse.codeLocation).toEqual({ value: 'app', at: loc(f, 7, 3, 'module.docker_image.source_path') });
    expect(sse.handler).toEqual({ value: 'python -m uvicorn main:app --port 8080', at: loc(f, 19, 3, 'module.sse.image_config_command') });
    expect(sse.webAdapter).toEqual({ value: 'environment AWS_LWA_INVOKE_MODE', at: loc(f, 22, 5, 'module.sse.environment_variables.AWS_LWA_INVOKE_MODE') });
    expect(sse.url?.authType).toEqual({ value: 'AWS_IAM', at: loc(f, 26, 3, 'module.sse.authorization_type') });
    const worker = named(result, 'worker');
    expect(worker.codeLocation).toEqual({ value: 'worker', at: loc(f, 33, 5, 'docker_image.worker.build.context') });
    expect(worker.handler).toEqual({ value: 'app.handler', at: loc(f, 47, 5, 'aws_lambda_function.worker.image_config.command') });
    expect(result.deployments.map((d) => d.name)).toEqual(['worker', 'sse']); // not the docker-build module
  });
});

describe('readTerraform: front doors', () => {
  it('finds an API Gateway HTTP API integration', async () => {
    const d = only(await read('http-api'));
    expect(d.frontDoors).toEqual([{ kind: 'http-api', at: loc('main.tf', 14, 1, 'aws_apigatewayv2_integration.api') }]);
    expect(d.url).toBeUndefined();
  });

  it('reads REST API integrations: STREAM with the streaming URI, and a buffered one', async () => {
    const d = only(await read('rest-api-stream'));
    expect(d.frontDoors).toEqual([
      {
        kind: 'rest-api',
        at: loc('main.tf', 14, 1, 'aws_api_gateway_integration.stream'),
        streamingInvocationUri: true,
        transferMode: { value: 'STREAM', at: loc('main.tf', 21, 3, 'aws_api_gateway_integration.stream.response_transfer_mode') },
      },
      { kind: 'rest-api', at: loc('main.tf', 25, 1, 'aws_api_gateway_integration.legacy'), streamingInvocationUri: false },
    ]);
  });

  it('finds an ALB lambda target group attachment', async () => {
    const d = only(await read('alb'));
    expect(d.frontDoors).toEqual([{ kind: 'alb', at: loc('main.tf', 14, 1, 'aws_lb_target_group_attachment.web') }]);
  });

  it('finds the apigateway-v2 and alb modules reaching a lambda module (one door per module)', async () => {
    const d = only(await read('front-door-modules'));
    expect(d.frontDoors).toEqual([
      { kind: 'http-api', at: loc('main.tf', 19, 5, 'module.api_gateway.routes.POST /chat') },
      { kind: 'alb', at: loc('main.tf', 43, 5, 'module.alb.target_groups.chat') },
    ]);
  });
});

describe('readTerraform: Lambda Web Adapter and exec wrappers', () => {
  it('reads the LWA layer and the streaming environment values (zip mode)', async () => {
    const d = only(await read('lwa-layer'));
    const e = (line: number, key: string) => loc('main.tf', line, 7, `aws_lambda_function.app.environment.variables.${key}`);
    expect(d.webAdapter).toEqual({
      value: 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerX86:26',
      at: loc('main.tf', 10, 5, 'aws_lambda_function.app.layers[0]'),
    });
    expect(d.layers.map((l) => [l.value.split(':').slice(-2).join(':'), l.at.line])).toEqual([
      ['LambdaAdapterLayerX86:26', 10],
      ['LambdaInsightsExtension:38', 11],
    ]);
    expect(d.streamingEnvironment).toEqual({
      AWS_LAMBDA_EXEC_WRAPPER: { value: '/opt/bootstrap', at: e(16, 'AWS_LAMBDA_EXEC_WRAPPER') },
      AWS_LWA_INVOKE_MODE: { value: 'response_stream', at: e(17, 'AWS_LWA_INVOKE_MODE') },
      PORT: { value: '8000', at: e(18, 'PORT') },
    });
    expect(d.environmentKeys.map((k) => k.value)).toEqual(['AWS_LAMBDA_EXEC_WRAPPER', 'AWS_LWA_INVOKE_MODE', 'PORT', 'SESSION_SECRET']);
    expect(d.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc('main.tf', 27, 3, 'aws_lambda_function_url.app.invoke_mode') });
  });

  it('seed 003: a layer whose exec wrapper proxies the Runtime API', async () => {
    const d = only(await read('seed-003-exec-wrapper/infra', 'infra'));
    const f = 'infra/main.tf';
    expect(d.name).toBe('batch');
    expect(d.streamingEnvironment).toEqual({
      AWS_LAMBDA_EXEC_WRAPPER: { value: '/opt/smug/exec-wrapper.sh', at: loc(f, 25, 7, 'aws_lambda_function.batch.environment.variables.AWS_LAMBDA_EXEC_WRAPPER') },
    });
    expect(d.environmentKeys.map((k) => k.value)).toEqual(['AWS_LAMBDA_EXEC_WRAPPER', 'SMUG_PROXY_ADDR']);
    expect(d.layers).toEqual([{ value: 'aws_lambda_layer_version.smug.arn', at: loc(f, 21, 20, 'aws_lambda_function.batch.layers[0]') }]);
    expect(d.webAdapter).toBeUndefined();
    expect(d.codeLocation).toEqual({ value: 'src/index.mjs', at: loc(f, 10, 3, 'data.archive_file.handler.source_file') });
    expect(d.runtime).toMatchObject({ value: 'nodejs22.x' });
    expect(d.url?.invokeMode).toMatchObject({ value: 'RESPONSE_STREAM' });
    expect(d.url?.authType).toMatchObject({ value: 'AWS_IAM' });
  });

  it('seed 002: an LWA image with AWS_LWA_INVOKE_MODE in Terraform, and the dashboard on a BUFFERED URL', async () => {
    const result = await read('seed-002-fastapi-lwa/infra', 'infra');
    expect(result.notes).toEqual([]);
    const sse = named(result, 'sse');
    const f = 'infra/main.tf';
    expect(sse.packageType).toBe('image');
    expect(sse.runtime).toBeUndefined();
    expect(sse.handler).toBeUndefined(); // the image's CMD (see the Dockerfile)
    expect(sse.timeout).toEqual({ value: 900, at: loc(f, 6, 3, 'aws_lambda_function.sse.timeout') });
    const modeAt = loc(f, 11, 7, 'aws_lambda_function.sse.environment.variables.AWS_LWA_INVOKE_MODE');
    expect(sse.streamingEnvironment).toEqual({ AWS_LWA_INVOKE_MODE: { value: 'RESPONSE_STREAM', at: modeAt } });
    // The adapter is baked into the image: an AWS_LWA_* variable is the visible sign.
    expect(sse.webAdapter).toEqual({ value: 'environment AWS_LWA_INVOKE_MODE', at: modeAt });
    expect(sse.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc(f, 21, 3, 'aws_lambda_function_url.sse.invoke_mode') });

    const dashboard = named(result, 'dashboard');
    expect(dashboard.url?.invokeMode).toEqual({ value: 'BUFFERED', at: loc(f, 38, 3, 'aws_lambda_function_url.dashboard.invoke_mode') });
    expect(dashboard.webAdapter).toBeUndefined();
  });

  it('seed 002 variant: AWS_LWA_INVOKE_MODE missing while the URL is RESPONSE_STREAM', async () => {
    const d = only(await read('seed-002-fastapi-lwa-buffered/infra', 'infra'));
    expect(d.packageType).toBe('image');
    expect(d.streamingEnvironment).toEqual({});
    expect(d.environmentKeys.map((k) => k.value)).toEqual(['SSE_POLL_INTERVAL', 'DYNAMODB_TABLE']);
    expect(d.webAdapter).toBeUndefined(); // nothing in Terraform shows it: the Dockerfile reader does
    expect(d.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc('infra/main.tf', 20, 3, 'aws_lambda_function_url.sse.invoke_mode') });
  });
});

describe('readTerraform: robustness', () => {
  it('notes broken HCL without throwing, and still reads the other files of the module', async () => {
    const result = await read('broken');
    expect(result.notes).toEqual([
      {
        file: 'main.tf',
        reason: 'cannot parse Terraform: main.tf:5,18-6,1: Invalid expression; Expected the start of an expression, but found an invalid expression token.',
      },
    ]);
    expect(result.deployments.map((d) => d.name)).toEqual(['ok']);
    expect(result.deployments[0]!.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc('url.tf', 10, 3, 'aws_lambda_function_url.ok.invoke_mode') });
  });

  it('keeps exact positions through heredocs, comments, strings with braces, for-expressions and one-line blocks', async () => {
    const result = await read('tricky');
    expect(result.notes).toEqual([]);
    const d = only(result); // the `count = 0` function is not created
    expect(d.at).toEqual(loc('main.tf', 12, 1, 'aws_lambda_function.tricky'));
    expect(d.runtime).toEqual({ value: 'nodejs20.x', at: loc('main.tf', 15, 3, 'aws_lambda_function.tricky.runtime') });
    expect(d.handler?.at.line).toBe(16);
    expect(d.timeout).toEqual({ value: 45, at: loc('main.tf', 26, 3, 'aws_lambda_function.tricky.timeout') });
    expect(d.environmentKeys).toEqual([]); // merge(...): keys unknown
    expect(d.webAdapter).toEqual({
      value: 'arn:aws:lambda:eu-west-1:753240598075:layer:LambdaAdapterLayerArm64:26',
      at: loc('main.tf', 24, 5, 'aws_lambda_function.tricky.layers[0]'),
    });
    expect(d.url?.at).toEqual(loc('main.tf', 36, 1, 'aws_lambda_function_url.tricky'));
    expect(d.url?.cors).toEqual({ value: { enabled: true, allowOrigins: ['*'] }, at: loc('main.tf', 39, 3, 'aws_lambda_function_url.tricky.cors') });
    expect(d.url?.invokeMode).toEqual({ value: 'RESPONSE_STREAM', at: loc('main.tf', 40, 3, 'aws_lambda_function_url.tricky.invoke_mode') });
  });

  it('returns nothing, without loading the parser, for Terraform without Lambda', async () => {
    const result = await readTerraform([{ file: 'main.tf', text: 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n' }]);
    expect(result).toEqual({ deployments: [], notes: [] });
  });
});
