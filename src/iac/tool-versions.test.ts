import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Deployment } from '../model/deployment.js';
import { newDeployment } from './locate.js';
import { withImpliedRuntime } from './tool-versions.js';
import { functionLength, handlerFactsFor } from '../code/handler-facts.js';
import { parseModule } from '../code/facts.js';
import type { FunctionNode } from '../code/ast.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sd-implied-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const at = { file: 'infra/sst.config.ts', line: 3, column: 5 };

function fn(kind: NonNullable<Deployment['runtimeDefault']>['kind'], file = at.file): Deployment {
  const d = newDeployment('Chat', kind === 'sst' ? 'sst' : kind === 'serverless' ? 'serverless' : 'cdk', { ...at, file }, 3);
  return { ...d, runtimeDefault: { kind, at: { ...at, file } } };
}

const pkg = (deps: Record<string, string>) => JSON.stringify({ name: 'app', devDependencies: deps });

describe('implied runtimes (tool defaults by version)', () => {
  it('SST: nodejs24.x from 4.0.4, nodejs20.x in 3.x and 4.0.0-4.0.3, unresolved when the range spans both', () => {
    expect(withImpliedRuntime(project({ 'package.json': pkg({ sst: '^4.2.0' }) }), fn('sst')).runtime).toEqual({ value: 'nodejs24.x', at });
    expect(withImpliedRuntime(project({ 'package.json': pkg({ sst: '^3.17.0' }) }), fn('sst')).runtime).toEqual({ value: 'nodejs20.x', at });
    expect(withImpliedRuntime(project({ 'package.json': pkg({ sst: '4.0.3' }) }), fn('sst')).runtime).toEqual({ value: 'nodejs20.x', at });
    expect(withImpliedRuntime(project({ 'package.json': pkg({ sst: '^4.0.0' }) }), fn('sst')).runtime).toBeUndefined();
    expect(withImpliedRuntime(project({}), fn('sst')).runtime).toBeUndefined();
  });

  it('the installed version wins over the declared range, and names itself in runtimeImplied', () => {
    const root = project({
      'package.json': pkg({ sst: '^4.0.0' }),
      'node_modules/sst/package.json': JSON.stringify({ name: 'sst', version: '4.17.1' }),
    });
    const d = withImpliedRuntime(root, fn('sst'));
    expect(d.runtime).toEqual({ value: 'nodejs24.x', at });
    expect(d.runtimeImplied).toBe('the default runtime of sst 4.17.1');
  });

  it('reads a lockfile when nothing is installed', () => {
    const lock = JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/sst': { version: '4.1.0' } } }, null, 2);
    const root = project({ 'package.json': pkg({ sst: '^4.0.0' }), 'package-lock.json': lock });
    expect(withImpliedRuntime(root, fn('sst')).runtime).toEqual({ value: 'nodejs24.x', at });
  });

  it('CDK NODEJS_LATEST: nodejs24.x from aws-cdk-lib 2.259.0, unresolved before', () => {
    expect(withImpliedRuntime(project({ 'package.json': pkg({ 'aws-cdk-lib': '2.260.0' }) }), fn('cdk-latest')).runtime).toEqual({ value: 'nodejs24.x', at });
    expect(withImpliedRuntime(project({ 'package.json': pkg({ 'aws-cdk-lib': '2.258.0' }) }), fn('cdk-latest')).runtime).toBeUndefined();
  });

  it("CDK NodejsFunction without runtime: NODEJS_LATEST only with the feature flag in cdk.json", () => {
    const flag = JSON.stringify({ app: 'npx tsx bin/app.ts', context: { '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion': true } });
    const withFlag = project({ 'package.json': pkg({ 'aws-cdk-lib': '^2.270.0' }), 'cdk.json': flag });
    expect(withImpliedRuntime(withFlag, fn('cdk-nodejs-function'), '.').runtime).toEqual({ value: 'nodejs24.x', at });
    const without = project({ 'package.json': pkg({ 'aws-cdk-lib': '^2.270.0' }), 'cdk.json': '{ "app": "x" }' });
    expect(withImpliedRuntime(without, fn('cdk-nodejs-function'), '.').runtime).toBeUndefined();
  });

  it('serverless.yml: osls >= 3.77.1 is nodejs24.x, Serverless Framework v4 nodejs20.x', () => {
    expect(withImpliedRuntime(project({ 'package.json': pkg({ osls: '^4.3.1' }) }), fn('serverless')).runtime).toEqual({ value: 'nodejs24.x', at });
    expect(withImpliedRuntime(project({ 'package.json': pkg({ serverless: '^4.4.0' }) }), fn('serverless')).runtime).toEqual({ value: 'nodejs20.x', at });
    expect(withImpliedRuntime(project({ 'package.json': pkg({ serverless: '^3.38.0' }) }), fn('serverless')).runtime).toBeUndefined();
  });

  it('leaves a written runtime alone', () => {
    const d = { ...fn('sst'), runtime: { value: 'nodejs22.x', at } };
    expect(withImpliedRuntime(project({ 'package.json': pkg({ sst: '^4.2.0' }) }), d).runtime).toEqual({ value: 'nodejs22.x', at });
  });
});

describe('functionLength (what aws-lambda-ric 4.0.2 reads as handler.length)', () => {
  const length = (source: string, file = 'h.ts') => {
    const program = parseModule(file, `const h = ${source};`);
    return functionLength(program.body[0].declarations[0].init as FunctionNode);
  };

  it('counts parameters up to the first default or rest parameter', () => {
    expect(length('(e, c, cb) => {}')).toBe(3);
    expect(length('async (e, c, cb) => {}')).toBe(3);
    expect(length('(e, c, { x }) => {}')).toBe(3);
    expect(length('(e, c, cb = undefined) => {}')).toBe(2);
    expect(length('(e, c = {}, cb) => {}')).toBe(1);
    expect(length('(...args) => {}')).toBe(0);
    expect(length('(e, c, cb?: unknown) => {}')).toBe(3);
    expect(length('function (this: unknown, e: unknown, c: unknown) {}')).toBe(2);
  });

  it('handler facts flag async three-parameter handlers, with their length', () => {
    const root = project({ 'h.mjs': 'export const handler = async (event, context, callback) => ({ ok: true });\n' });
    expect(handlerFactsFor(root, path.join(root, 'h.mjs'), 'handler')?.callbackStyle).toEqual({ line: 1, length: 3, async: true });
    const two = project({ 'h.mjs': 'export const handler = async (event, context, cb = () => {}) => ({ ok: true });\n' });
    expect(handlerFactsFor(two, path.join(two, 'h.mjs'), 'handler')?.callbackStyle).toBeNull();
  });
});
