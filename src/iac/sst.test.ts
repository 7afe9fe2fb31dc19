/**
 * The SST v3 reader on two apps (test/fixtures/iac/sst, read with that directory as the scan root) and
 * on snippets: SST's own defaults applied (20 s timeout, URL auth none, URL CORS allow *), streaming
 * only with a URL, exact locations.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Deployment, ReaderResult } from '../model/deployment.js';
import { readSst, sstMegabytes, sstSeconds } from './sst.js';

const ROOT = path.resolve(import.meta.dirname, '../../test/fixtures/iac/sst');

function readFixture(rel: string): ReaderResult {
  return readSst(rel, readFileSync(path.join(ROOT, rel), 'utf8'));
}

function only(result: ReaderResult, name: string): Deployment {
  const found = result.deployments.filter((d) => d.name === name);
  expect(found.map((d) => d.name)).toEqual([name]);
  return found[0];
}

function at(file: string, line: number, column: number, logicalPath?: string) {
  return { file, line, column, ...(logicalPath ? { path: logicalPath } : {}) };
}

const ALLOW_ALL = { enabled: true, allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] };

/** Wraps statements in `$config({ async run() { ... } })`; the first statement is on line 4. */
function config(body: string, file = 'sst.config.ts'): ReaderResult {
  return readSst(file, `/// <reference path="./.sst/platform/config.d.ts" />\nexport default $config({\n  async run() {\n${body}\n  },\n});\n`);
}

describe('seed 000: Nitro/Hono app, streaming URL with every other SST default (nitro-hono/sst.config.ts)', () => {
  const F = 'nitro-hono/sst.config.ts';
  const result = readFixture(F);
  const api = only(result, 'Api');

  it('reads the function inside $config run()', () => {
    expect(result.notes).toEqual([]);
    expect(result.deployments).toHaveLength(1);
    expect(api.source).toBe('sst');
    expect(api.at).toEqual(at(F, 18, 17, 'Api'));
    expect(api.handler).toEqual({ value: 'index.handler', at: at(F, 20, 16, 'Api.handler') });
    // The handler is relative to `bundle`, itself relative to the config's directory.
    expect(api.codeLocation).toEqual({ value: 'nitro-hono/packages/api/.output/server', at: at(F, 19, 15, 'Api.bundle') });
    expect(api.vpc).toEqual(at(F, 24, 7, 'Api.vpc'));
    expect(api.runtime).toBeUndefined();
  });

  it('no timeout: SST default 20 s', () => {
    expect(api.timeout).toBeUndefined();
    expect(api.defaultTimeoutSeconds).toBe(20);
  });

  it('streaming: true with url: true -> RESPONSE_STREAM at `streaming`, auth NONE and CORS allow * at `url`', () => {
    expect(api.url).toEqual({
      at: at(F, 22, 7, 'Api.url'),
      invokeMode: { value: 'RESPONSE_STREAM', at: at(F, 21, 18, 'Api.url.invokeMode') },
      authType: { value: 'NONE', at: at(F, 22, 7, 'Api.url.authorization') },
      cors: { value: ALLOW_ALL, at: at(F, 22, 7, 'Api.url.cors') },
    });
  });

  it('environment keys only', () => {
    expect(api.environmentKeys).toEqual([
      { value: 'SESSION_SECRET', at: at(F, 26, 9, 'Api.environment.SESSION_SECRET') },
      { value: 'NITRO_PRESET', at: at(F, 27, 9, 'Api.environment.NITRO_PRESET') },
    ]);
    const json = JSON.stringify(result);
    expect(json).not.toContain('s3ss10n-s3cr3t-000-do-not-print');
    expect(json).not.toContain('aws-lambda-streaming');
  });
});

describe('defaults, $transform, URL options, routes (platform/sst.config.ts)', () => {
  const F = 'platform/sst.config.ts';
  const result = readFixture(F);

  it('url: true without streaming: invoke mode left undefined (BUFFERED), auth NONE, CORS allow *, 20 s', () => {
    const web = only(result, 'Web');
    expect(web.url).toEqual({
      at: at(F, 18, 7, 'Web.url'),
      invokeMode: undefined,
      authType: { value: 'NONE', at: at(F, 18, 7, 'Web.url.authorization') },
      cors: { value: ALLOW_ALL, at: at(F, 18, 7, 'Web.url.cors') },
    });
    expect(web.timeout).toBeUndefined();
    expect(web.defaultTimeoutSeconds).toBe(20);
    expect(web.handler).toEqual({ value: 'apps/web/server.handler', at: at(F, 17, 16, 'Web.handler') });
    expect(web.codeLocation).toEqual({ value: 'platform', at: at(F, 17, 16, 'Web.handler') });
    expect(web.frontDoors).toEqual([{ kind: 'cloudfront', at: at(F, 61, 23, 'Web.frontDoors.cloudfront') }]);
  });

  it('$transform: `=` overrides, `??=` fills in, located in the transform', () => {
    const web = only(result, 'Web');
    const exporter = only(result, 'Export');
    expect(web.architectures).toEqual({ value: ['arm64'], at: at(F, 9, 29, 'Web.architecture') });
    expect(web.runtime).toEqual({ value: 'nodejs22.x', at: at(F, 10, 22, 'Web.runtime') });
    // Export writes runtime "nodejs20.x", but `args.runtime = ...` in the transform replaces it.
    expect(exporter.runtime).toEqual({ value: 'nodejs22.x', at: at(F, 10, 22, 'Export.runtime') });
  });

  it('iam authorization, cors: false, streaming: false, durations, sizes, reserved concurrency', () => {
    const admin = only(result, 'Admin');
    expect(admin.url).toEqual({
      at: at(F, 28, 7, 'Admin.url'),
      invokeMode: { value: 'BUFFERED', at: at(F, 27, 18, 'Admin.url.invokeMode') },
      authType: { value: 'AWS_IAM', at: at(F, 28, 29, 'Admin.url.authorization') },
      cors: { value: { enabled: false }, at: at(F, 28, 42, 'Admin.url.cors') },
    });
    expect(admin.timeout).toEqual({ value: 120, at: at(F, 25, 16, 'Admin.timeout') });
    expect(admin.memory).toEqual({ value: 2048, at: at(F, 26, 15, 'Admin.memory') });
    expect(admin.reservedConcurrency).toEqual({ value: 2, at: at(F, 29, 32, 'Admin.concurrency.reserved') });
  });

  it('Lambda Web Adapter, CORS object merged over the defaults, bundle, routes', () => {
    const exporter = only(result, 'Export');
    const arn = 'arn:aws:lambda:us-east-1:753240598075:layer:LambdaAdapterLayerArm64:25';
    expect(exporter.layers).toEqual([{ value: arn, at: at(F, 39, 16, 'Export.layers[0]') }]);
    expect(exporter.webAdapter).toEqual({ value: arn, at: at(F, 39, 16, 'Export.layers[0]') });
    expect(exporter.streamingEnvironment).toEqual({
      AWS_LAMBDA_EXEC_WRAPPER: { value: '/opt/bootstrap', at: at(F, 41, 34, 'Export.environment.AWS_LAMBDA_EXEC_WRAPPER') },
      AWS_LWA_INVOKE_MODE: { value: 'response_stream', at: at(F, 42, 30, 'Export.environment.AWS_LWA_INVOKE_MODE') },
    });
    expect(exporter.timeout).toEqual({ value: 900, at: at(F, 37, 16, 'Export.timeout') });
    expect(exporter.codeLocation).toEqual({ value: 'platform/apps/export', at: at(F, 35, 15, 'Export.bundle') });
    expect(exporter.url).toEqual({
      at: at(F, 44, 7, 'Export.url'),
      invokeMode: { value: 'RESPONSE_STREAM', at: at(F, 38, 18, 'Export.url.invokeMode') },
      authType: { value: 'NONE', at: at(F, 44, 7, 'Export.url.authorization') },
      cors: {
        value: { enabled: true, allowOrigins: ['https://app.example.com'], allowMethods: ['*'], allowHeaders: ['*'], allowCredentials: true },
        at: at(F, 45, 15, 'Export.url.cors'),
      },
    });
    expect(exporter.frontDoors).toEqual([
      { kind: 'http-api', at: at(F, 57, 5, 'Export.frontDoors.http-api') },
      { kind: 'cloudfront', at: at(F, 61, 45, 'Export.frontDoors.cloudfront') },
    ]);
  });

  it('a URL decided at deploy time is Unresolved', () => {
    const preview = only(result, 'Preview');
    const unresolved = { unresolved: true, text: '$app.stage === "production" ? false : {…}', at: at(F, 53, 12, 'Preview.url') };
    expect(preview.url).toEqual({ at: at(F, 53, 7, 'Preview.url'), invokeMode: unresolved, authType: unresolved, cors: unresolved });
  });

  it('an ApiGatewayV2 route with a handler string is a function of its own behind the HTTP API', () => {
    const hook = only(result, 'Api POST /webhook');
    expect(hook.handler).toEqual({ value: 'apps/webhook/index.handler', at: at(F, 58, 32, 'Api POST /webhook.handler') });
    expect(hook.frontDoors).toEqual([{ kind: 'http-api', at: at(F, 58, 5, 'Api POST /webhook.frontDoors.http-api') }]);
    expect(hook.url).toBeUndefined();
    expect(hook.defaultTimeoutSeconds).toBe(20);
  });

  it('SSR site components are noted, not guessed', () => {
    expect(result.deployments.map((d) => d.name)).toEqual(['Web', 'Admin', 'Export', 'Preview', 'Api POST /webhook']);
    expect(result.notes).toEqual([
      {
        file: F,
        reason:
          'line 64: sst.aws.Nextjs "Site" is not checked: SST creates its server function inside the component, and whether it streams comes from the framework build, not from the config',
      },
    ]);
  });
});

describe('snippets', () => {
  it('streaming without a url creates no URL (SST only honours streaming with url)', () => {
    const r = config('    new sst.aws.Function("Worker", { handler: "src/worker.handler", streaming: true });');
    expect(r.deployments).toHaveLength(1);
    expect(r.deployments[0].url).toBeUndefined();
  });

  it('$transform applies to the functions created after it, and `??=` never replaces a written value', () => {
    const r = config(
      [
        '    new sst.aws.Function("Before", { handler: "a.handler" });',
        '    $transform(sst.aws.Function, (args) => { args.timeout ??= "60 seconds"; });',
        '    new sst.aws.Function("After", { handler: "b.handler" });',
        '    new sst.aws.Function("Own", { handler: "c.handler", timeout: "10 seconds" });',
      ].join('\n'),
    );
    expect(r.deployments.map((d) => [d.name, d.timeout])).toEqual([
      ['Before', undefined],
      ['After', { value: 60, at: at('sst.config.ts', 5, 63, 'After.timeout') }],
      ['Own', { value: 10, at: at('sst.config.ts', 7, 66, 'Own.timeout') }],
    ]);
  });

  it('url options that cannot be read are Unresolved; a url: false has no URL', () => {
    const r = config(
      [
        '    const origins = JSON.parse(process.env.ORIGINS ?? "[]");',
        '    new sst.aws.Function("A", { handler: "a.handler", url: { cors: { allowOrigins: origins } } });',
        '    new sst.aws.Function("B", { handler: "b.handler", url: false, streaming: true });',
      ].join('\n'),
    );
    const [a, b] = r.deployments;
    expect(a.url?.cors).toEqual({ unresolved: true, text: '{…}', at: at('sst.config.ts', 5, 68, 'A.url.cors') });
    expect(a.url?.authType).toEqual({ value: 'NONE', at: at('sst.config.ts', 5, 55, 'A.url.authorization') });
    expect(b.url).toBeUndefined();
  });

  it('works in any module of the app (infra/api.ts), relative to that module', () => {
    const r = readSst('infra/api.ts', 'export const api = new sst.aws.Function("Api", { handler: "packages/functions/src/api.handler", url: true });\n');
    expect(r.deployments[0].codeLocation).toEqual({ value: 'infra', at: at('infra/api.ts', 1, 59, 'Api.handler') });
  });

  it('SST duration and size strings', () => {
    expect(['20 seconds', '1 second', '2 minutes', '1 minute', '1 hour', '1.5 minutes', '60seconds', '10 weeks'].map(sstSeconds)).toEqual([20, 1, 120, 60, 3600, 60, null, null]);
    expect(['1024 MB', '2 GB', '0.5 GB', '512mb'].map(sstMegabytes)).toEqual([1024, 2048, 512, null]);
  });

  it('files without SST components are not read; a broken file is a note', () => {
    expect(readSst('sst.config.ts', 'export default $config({ app() { return { name: "x" }; } });')).toEqual({ deployments: [], notes: [] });
    const broken = readSst('sst.config.ts', 'export default $config({\n  async run() {\n    new sst.aws.Function("Api", {\n');
    expect(broken.deployments).toEqual([]);
    expect(broken.notes).toHaveLength(1);
    expect(broken.notes[0]).toMatchObject({ file: 'sst.config.ts' });
    expect(broken.notes[0].reason).toMatch(/^cannot parse SST config: parse error: /);
  });
});
