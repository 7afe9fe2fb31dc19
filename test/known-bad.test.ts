/** The known-bad versions database and its join with code findings (one finding per cause). */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { codeRules } from '../src/checks/code/index.js';
import { checkKnownBadVersions, gradedSeverity, loadKnownBad } from '../src/checks/packages/known-bad-version.js';
import { findProjectUse, type ProjectUse, type UseSite } from '../src/checks/packages/entry-points.js';
import { scanCode, withoutFixedWrappers, withoutRuntimeSpecific } from '../src/code/scan-code.js';
import { checkDeployments } from '../src/iac/index.js';
import { deploymentRules } from '../src/checks/deployment/index.js';
import type { Finding } from '../src/model/finding.js';

const repo = path.resolve(import.meta.dirname, '..');

describe('data/known-bad-packages.json', () => {
  const entries = loadKnownBad();
  const docs = readFileSync(path.join(repo, 'docs/known-bad-packages.md'), 'utf8');
  // Runtime-conditional entries name the deployment rule of their class (callback-handler-on-nodejs24).
  const ruleIds = new Set<string>([...codeRules, ...deploymentRules].map((r) => r.meta.id));
  for (const entry of entries) {
    it(`${entry.id} is well-formed, documented and consistent`, () => {
      expect(ruleIds.has(entry.ruleId), `unknown rule ${entry.ruleId}`).toBe(true);
      expect(semver.validRange(entry.affected)).not.toBeNull();
      if (entry.fixed) expect(semver.satisfies(entry.fixed, entry.affected, { includePrerelease: true })).toBe(false);
      expect(entry.evidence.length).toBeGreaterThan(0);
      expect(docs).toContain(entry.id);
      if (entry.onlyRuntime) expect(['3.x', '4.x']).toContain(entry.onlyRuntime);
    });
  }
});

describe('one finding per cause', () => {
  it('enriches the code finding inside a known-bad package and reports packages without one by their manifest', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-known-bad-'));
    const nitro = path.join(dir, 'node_modules/nitro');
    mkdirSync(path.join(nitro, 'dist/presets/aws-lambda/runtime'), { recursive: true });
    writeFileSync(path.join(nitro, 'package.json'), JSON.stringify({ name: 'nitro', version: '3.0.1-alpha.1' }));
    copyFileSync(path.join(repo, 'test/fixtures/rules/stream-never-ended/invalid-nitro-body-guard.mjs'), path.join(nitro, 'dist/presets/aws-lambda/runtime/aws-lambda-streaming.mjs'));
    const hono = path.join(dir, 'node_modules/hono');
    mkdirSync(hono, { recursive: true });
    writeFileSync(path.join(hono, 'package.json'), JSON.stringify({ name: 'hono', version: '4.4.5' }));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }));

    const run = spawnSync(process.execPath, [path.join(repo, 'bin/stream-doctor.js'), 'scan', dir, '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    expect(run.status).toBe(1);
    const findings = JSON.parse(run.stdout).findings as Array<{ ruleId: string; file: string; package?: { name: string; version: string }; fix?: string; message: string }>;

    const hang = findings.filter((f) => f.ruleId === 'stream-never-ended');
    expect(hang).toHaveLength(1);
    expect(hang[0].file).toBe('node_modules/nitro/dist/presets/aws-lambda/runtime/aws-lambda-streaming.mjs');
    expect(hang[0].package).toEqual({ name: 'nitro', version: '3.0.1-alpha.1' });
    // 3.0.1-alpha.2 fixes the hang but has nitro-te-chunked-bodyless: the upgrade names the version that fixes both.
    expect(hang[0].fix).toMatch(/^Upgrade nitro to 3\.0\.260903-beta or later: it fixes nitro-bodyless-hang \(3\.0\.1-alpha\.2 fixes it but has nitro-te-chunked-bodyless\)\./);
    // The bug the code rule already reported is not reported a second time as a package finding.
    expect(findings.filter((f) => f.ruleId === 'known-bad-version' && f.package?.name === 'nitro' && f.message.includes('nitro-bodyless-hang'))).toEqual([]);

    const honoFindings = findings.filter((f) => f.ruleId === 'known-bad-version' && f.package?.name === 'hono');
    expect(honoFindings.map((f) => f.file)).toContain('node_modules/hono/package.json');
    expect(honoFindings.some((f) => f.message.includes('hono-set-cookie-collapsed'))).toBe(true);
  });
});

describe('entry points in the database', () => {
  const entries = loadKnownBad();
  for (const entry of entries) {
    it(`${entry.id} names how a project reaches the affected code`, () => {
      expect(entry.entryPoints?.length, 'entryPoints').toBeGreaterThan(0);
      for (const point of entry.entryPoints ?? []) {
        expect(Boolean(point.import) !== Boolean(point.config), 'either import or config').toBe(true);
        if (point.config) expect(point.match?.length, 'a config entry point needs match patterns').toBeGreaterThan(0);
        for (const source of point.match ?? []) expect(() => new RegExp(source)).not.toThrow();
      }
    });
  }
});

describe('where a project uses the affected code (findProjectUse)', () => {
  const entries = loadKnownBad();
  const use = (files: Record<string, string>, origin: 'project' | 'build-output' = 'project') =>
    findProjectUse(Object.entries(files).map(([rel, text]) => ({ rel, text, origin })), entries);

  it('finds hono streamHandle imports, not the buffered handle alone or type-only imports', () => {
    const esm = use({ 'src/index.ts': "import { Hono } from 'hono';\nimport { handle, streamHandle } from 'hono/aws-lambda';\nexport const handler = streamHandle(new Hono());\n" });
    expect(esm.entries.get('hono-set-cookie-collapsed')?.[0]).toEqual({ file: 'src/index.ts', line: 2, what: 'imports streamHandle from hono/aws-lambda' });
    expect(esm.streaming?.file).toBe('src/index.ts');

    const buffered = use({ 'src/index.ts': "import { handle } from 'hono/aws-lambda';\nimport type { streamHandle } from 'hono/aws-lambda';\nexport const handler = handle(app);\n" });
    expect(buffered.entries.size).toBe(0);
    expect(buffered.streaming).toBeNull();
  });

  it('follows CommonJS, TypeScript-compiled output, namespaces and dynamic imports', () => {
    const cases = [
      "const { streamHandle } = require('hono/aws-lambda');",
      'const aws_lambda_1 = require("hono/aws-lambda");\nexports.handler = (0, aws_lambda_1.streamHandle)(app);',
      "import * as lambda from 'hono/aws-lambda';\nexport const handler = lambda.streamHandle(app);",
      "const { streamHandle: sh } = await import('hono/aws-lambda');",
      "export { streamHandle } from 'hono/aws-lambda';",
    ];
    for (const text of cases) expect(use({ 'h.js': text }).entries.has('hono-stream-backpressure'), text).toBe(true);
    expect(use({ 'h.js': "const lambda = require('hono/aws-lambda');\nexports.handler = lambda.handle(app);" }).entries.size).toBe(0);
  });

  it('needs streamifyResponse with @middy/core, and the streaming config for nitro', () => {
    const middy = use({ 'src/h.mjs': "import middy from '@middy/core';\nexport const handler = middy({ streamifyResponse: true }).handler(base);\n" });
    expect(middy.entries.get('middy-body-in-prelude')?.[0]?.what).toBe('@middy/core with streamifyResponse: true');
    expect(use({ 'src/h.mjs': "import middy from '@middy/core';\nexport const handler = middy().handler(base);\n" }).entries.size).toBe(0);

    const nitro = use({ 'nitro.config.ts': "export default defineNitroConfig({\n  preset: 'aws-lambda',\n  awsLambda: {\n    streaming: true,\n  },\n});\n" });
    expect(nitro.entries.get('nitropack-bodyless-hang')?.[0]).toMatchObject({ file: 'nitro.config.ts', line: 3 });
    expect(nitro.entries.has('nitro-bodyless-hang')).toBe(true);
    expect(nitro.entries.has('srvx-te-chunked-bodyless')).toBe(true);
    expect(use({ 'nitro.config.ts': "export default defineNitroConfig({ preset: 'aws-lambda' });\n" }).entries.size).toBe(0);
    // The same text outside a configuration file is not the preset.
    expect(use({ 'src/notes.ts': "const awsLambda = { streaming: true };\n" }).entries.size).toBe(0);
  });

  it('counts a bundle that inlined the affected file (esbuild path comments)', () => {
    const bundle = '// node_modules/hono/dist/adapter/aws-lambda/handler.js\nvar streamHandle = (app) => awslambda.streamifyResponse(async () => {});\n';
    expect(use({ 'dist/index.mjs': bundle }, 'build-output').entries.get('hono-stream-backpressure')?.[0]).toEqual({ file: 'dist/index.mjs', line: 1, what: 'bundles hono/dist/adapter/aws-lambda/handler.js' });
  });

  it('sees streaming in SST configuration and in any entry point, used or not affected', () => {
    expect(use({ 'sst.config.ts': "new sst.aws.Function('Api', { handler: 'src/index.handler', streaming: !$dev, url: true });\n" }).streaming).toMatchObject({
      file: 'sst.config.ts',
      what: 'configures streaming in sst.config',
    });
    expect(use({ 'sst.config.ts': "new sst.aws.Function('Api', { streaming: false });\n" }).streaming).toBeNull();
    const nitro = use({ 'nitro.config.ts': "export default defineNitroConfig({ preset: 'aws-lambda', awsLambda: { streaming: true } });\n" });
    expect(nitro.streaming?.file).toBe('nitro.config.ts');
    expect(nitro.entries.has('hono-stream-backpressure')).toBe(false);
  });

  it('sees Lambda streaming in code that uses no known-bad package', () => {
    const own = use({ 'src/a.ts': 'export const a = 1;\n', 'src/h.mjs': 'export const handler = awslambda.streamifyResponse(async (e, s) => s.end());\n' });
    expect(own.streaming).toEqual({ file: 'src/h.mjs', line: 1, what: 'mentions streamifyResponse' });
    expect(own.entries.size).toBe(0);
  });
});

describe('checkKnownBadVersions', () => {
  const entries = loadKnownBad();
  const hono = { name: 'hono', version: '4.1.4', dir: 'node_modules/hono', manifest: 'node_modules/hono/package.json' };
  const noUse: ProjectUse = { streaming: null, entries: new Map() };
  const streamingElsewhere: ProjectUse = { streaming: { file: 'src/h.mjs', line: 1, what: 'mentions streamifyResponse' }, entries: new Map() };
  const site = { file: 'src/index.ts', line: 2, what: 'imports streamHandle from hono/aws-lambda' };
  const honoUsed: ProjectUse = {
    streaming: site,
    entries: new Map(['hono-bodyless-metadata-skipped', 'hono-set-cookie-collapsed', 'hono-stream-backpressure'].map((id) => [id, [site]])),
  };

  it('reports one finding per package copy, citing every entry, with the smallest version that fixes them all', () => {
    const findings = checkKnownBadVersions([hono], [], { entries, use: honoUsed });
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding).toMatchObject({ ruleId: 'known-bad-version', messageId: 'used', severity: 'error', file: 'node_modules/hono/package.json', line: 1, fixable: true });
    for (const id of ['hono-bodyless-metadata-skipped', 'hono-set-cookie-collapsed', 'hono-stream-backpressure']) {
      expect(finding!.message).toContain(id);
      expect(finding!.evidence).toContain(`${id}: https://`);
    }
    expect(finding!.message).toContain('The project uses the affected code: src/index.ts:2 imports streamHandle from hono/aws-lambda.');
    expect(finding!.fix).toBe('Upgrade hono to 4.13.8 or later: it fixes hono-bodyless-metadata-skipped, hono-set-cookie-collapsed, hono-stream-backpressure.');
  });

  it('grades by use: the entry severity when used, a warning at most when the project streams otherwise, info without streaming', () => {
    expect(checkKnownBadVersions([hono], [], { entries, use: streamingElsewhere })[0]).toMatchObject({ messageId: 'notUsed', severity: 'warning' });
    expect(checkKnownBadVersions([hono], [], { entries, use: noUse })[0]).toMatchObject({ messageId: 'noStreaming', severity: 'info' });
    // Without facts about the project every entry keeps its own severity.
    expect(checkKnownBadVersions([hono], [], { entries })[0]).toMatchObject({ messageId: 'affected', severity: 'error' });
    // Only the entries in play decide: hono 4.4.5 has no error entry left.
    expect(checkKnownBadVersions([{ ...hono, version: '4.4.5' }], [], { entries, use: honoUsed })[0]).toMatchObject({ severity: 'warning' });
  });

  it('counts only the code that resolves the package copy (its node_modules or lockfile directory and below)', () => {
    const api = { file: 'apps/api/src/index.ts', line: 2, what: 'imports streamHandle from hono/aws-lambda' };
    const monorepo: ProjectUse = { streaming: api, entries: new Map([['hono-bodyless-metadata-skipped', [api]]]) };
    const grade = (dir: string, lockfile?: 'npm') => {
      const copy = { ...hono, dir, manifest: lockfile ? `${dir}/package-lock.json` : `${dir}/package.json`, ...(lockfile ? { lockfile } : {}) };
      return checkKnownBadVersions([copy], [], { entries, use: monorepo })[0]!;
    };
    expect(grade('apps/api/node_modules/hono')).toMatchObject({ messageId: 'used', severity: 'error' });
    expect(grade('node_modules/hono')).toMatchObject({ messageId: 'used', severity: 'error' });
    expect(grade('node_modules/.pnpm/hono@4.1.4/node_modules/hono')).toMatchObject({ messageId: 'used', severity: 'error' });
    expect(grade('apps/web/node_modules/hono')).toMatchObject({ messageId: 'notUsed', severity: 'warning' });
    expect(grade('apps/web', 'npm')).toMatchObject({ messageId: 'notUsed', severity: 'warning' });
    expect(grade('apps/api', 'npm')).toMatchObject({ messageId: 'used', severity: 'error' });
  });

  it('names what is left unfixed, and says why the target is past the first fix', () => {
    const h4ad = { name: '@h4ad/serverless-adapter', version: '4.2.0', dir: 'node_modules/@h4ad/serverless-adapter', manifest: 'node_modules/@h4ad/serverless-adapter/package.json' };
    const [finding] = checkKnownBadVersions([h4ad], [], { entries });
    expect(finding!.fix).toBe('Upgrade @h4ad/serverless-adapter to 4.2.1 or later: it fixes h4ad-bodyless-hang. 4.2.1 is still affected by h4ad-empty-body-after-await-hang.');
    const trpc = { name: '@trpc/server', version: '11.4.0', dir: 'node_modules/@trpc/server', manifest: 'node_modules/@trpc/server/package.json' };
    const [unfixed] = checkKnownBadVersions([trpc], [], { entries });
    expect(unfixed).toMatchObject({ fixable: false, fix: expect.stringMatching(/^No released @trpc\/server fixes trpc-stream-head-prelude-lost/) });
  });

  it('points a locked version at its lockfile line and leaves the upgrade to the package manager', () => {
    const locked = { ...hono, dir: '', manifest: 'package-lock.json', line: 118, lockfile: 'npm' as const };
    const [finding] = checkKnownBadVersions([locked], [], { entries, use: honoUsed });
    expect(finding).toMatchObject({ file: 'package-lock.json', line: 118, column: 1, severity: 'error', fixable: false, package: { name: 'hono', version: '4.1.4' } });
    expect(finding!.fix).toMatch(/^Upgrade hono to 4\.13\.8 or later \(package-lock\.json pins 4\.1\.4: update it with your package manager/);
  });

  it('merges an entry into the code finding of its bug without changing its input, keeping the higher severity', () => {
    // Without the unfixed Readable-body entry, whose "no released fix" sentence would replace the te-chunked one.
    const entries = loadKnownBad().filter((e) => e.id !== 'nitropack-readable-body-stringified');
    const nitropack = { name: 'nitropack', version: '2.11.7', dir: 'node_modules/nitropack', manifest: 'node_modules/nitropack/package.json' };
    const code: Finding = {
      ruleId: 'stream-never-ended',
      severity: 'info',
      message: 'Streamified handler can finish without ending the response stream.',
      file: 'node_modules/nitropack/dist/presets/aws-lambda/runtime/aws-lambda-streaming.mjs',
      line: 41,
      column: 3,
      package: { name: 'nitropack', version: '2.11.7' },
      fixable: true,
      fix: 'End the stream on every path.',
      evidence: 'Runtime: a path that never ends the stream hangs.',
      fingerprint: 'abc',
      origin: 'dependency',
    };
    const input = [code];
    const frozen = structuredClone(input);
    const nitroUse: ProjectUse = { streaming: { file: 'nitro.config.ts', line: 3, what: 'configures the preset' }, entries: new Map(entries.filter((e) => e.package === 'nitropack').map((e) => [e.id, [{ file: 'nitro.config.ts', line: 3, what: 'configures the preset' }]])) };
    const out = checkKnownBadVersions([nitropack], input, { entries, use: nitroUse });
    expect(input).toEqual(frozen);
    const merged = out.find((f) => f.ruleId === 'stream-never-ended')!;
    expect(merged).not.toBe(code);
    expect(merged.severity).toBe('error');
    expect(merged.fingerprint).toBe('abc');
    expect(merged.fix).toMatch(/^Upgrade nitropack to 2\.11\.12 or later: it fixes nitropack-bodyless-hang, nitropack-set-cookie-dropped\. 2\.11\.12 is still affected by nitropack-te-chunked\. End the stream on every path\.$/);
    expect(merged.evidence).toMatch(/^Runtime: a path that never ends the stream hangs\. Known issue nitropack-bodyless-hang \(nitropack >=2\.10\.0 <2\.11\.12\): https:/);
    // The entry that no code finding reported stays a package finding; the merged one is not repeated.
    const pkg = out.filter((f) => f.ruleId === 'known-bad-version');
    expect(pkg).toHaveLength(1);
    expect(pkg[0]!.message).not.toContain('nitropack-bodyless-hang');
    expect(pkg[0]!.message).toContain('nitropack-set-cookie-dropped');
    // A code finding above the entry's graded severity keeps its own.
    const quiet = checkKnownBadVersions([nitropack], [{ ...code, severity: 'error' }], { entries, use: noUse });
    expect(quiet.find((f) => f.ruleId === 'stream-never-ended')!.severity).toBe('error');
  });
});

describe('locked versions in a scan (no node_modules)', () => {
  const fixtures = path.join(repo, 'test/fixtures/lockfiles');
  const HANDLER = "import { Hono } from 'hono';\nimport { streamHandle } from 'hono/aws-lambda';\n\nexport const handler = streamHandle(new Hono());\n";
  for (const folder of ['npm-v1', 'npm-v2', 'npm-v3', 'pnpm-v6', 'pnpm-v9', 'yarn-v1', 'yarn-berry', 'bun']) {
    it(`${folder}: reports the affected versions at their lockfile lines, graded by use`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), `sd-locked-${folder}-`));
      cpSync(path.join(fixtures, folder), dir, { recursive: true });
      mkdirSync(path.join(dir, 'src'));
      writeFileSync(path.join(dir, 'src/index.ts'), HANDLER);
      const scan = await scanCode({ root: dir, deps: true });
      const lockfile = readdirSync(dir).find((name) => /lock/.test(name))!;
      const lines = readFileSync(path.join(dir, lockfile), 'utf8').split('\n');
      const findings = scan.findings.filter((f) => f.ruleId === 'known-bad-version');
      expect(findings.map((f) => `${f.package?.name} ${f.severity} ${f.file}`).sort()).toEqual([`@middy/core warning ${lockfile}`, `hono error ${lockfile}`]);
      for (const finding of findings) expect(lines[finding.line - 1]).toContain(finding.package!.name);
      expect(scan.packagesInventoried).toBe(14);
    });
  }

  it('reads node_modules instead when it is installed, and reports nothing twice', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-locked-installed-'));
    cpSync(path.join(fixtures, 'npm-v3'), dir, { recursive: true });
    mkdirSync(path.join(dir, 'node_modules/hono'), { recursive: true });
    writeFileSync(path.join(dir, 'node_modules/hono/package.json'), JSON.stringify({ name: 'hono', version: '4.1.4' }));
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src/index.ts'), HANDLER);
    const scan = await scanCode({ root: dir, deps: true });
    const findings = scan.findings.filter((f) => f.ruleId === 'known-bad-version');
    expect(findings.map((f) => `${f.package?.name} ${f.file}:${f.line}`)).toEqual(['hono node_modules/hono/package.json:1']);
  });
});

describe('wrapped-streamified-handler and the wrapper package version', () => {
  const wrapped = (pkg: string | null): Finding => ({
    ruleId: 'wrapped-streamified-handler',
    severity: 'error',
    message: 'Exported handler `handler` is `Sentry.wrapHandler(streamifyResponse(...))`: …',
    file: 'src/handler.mjs',
    line: 4,
    column: 24,
    data: { exportName: 'handler', wrapper: 'Sentry.wrapHandler', wrapperPackage: pkg ? ` (from ${pkg})` : '' },
    fixable: true,
    fingerprint: 'w',
    origin: 'project',
  });
  const entries = loadKnownBad();
  const sentry = (version: string) => [{ name: '@sentry/aws-serverless', version }];

  it('drops the finding when every installed copy of the wrapper re-tags streaming handlers', () => {
    expect(withoutFixedWrappers([wrapped('@sentry/aws-serverless')], sentry('10.8.0'), entries)).toEqual([]);
    expect(withoutFixedWrappers([wrapped('datadog-lambda-js')], [{ name: 'datadog-lambda-js', version: '12.143.0' }], entries)).toEqual([]);
  });

  it('keeps it for affected versions, versions between the range and the fix, several copies, unknown packages and no inventory', () => {
    expect(withoutFixedWrappers([wrapped('@sentry/aws-serverless')], sentry('10.6.0'), entries)).toHaveLength(1);
    // 10.7.0 is neither in the affected range nor at the verified fix: not known to re-tag.
    expect(withoutFixedWrappers([wrapped('@sentry/aws-serverless')], sentry('10.7.0'), entries)).toHaveLength(1);
    expect(withoutFixedWrappers([wrapped('@sentry/aws-serverless')], [...sentry('10.8.0'), ...sentry('9.47.1')], entries)).toHaveLength(1);
    expect(withoutFixedWrappers([wrapped('my-tracing')], [{ name: 'my-tracing', version: '1.0.0' }], entries)).toHaveLength(1);
    expect(withoutFixedWrappers([wrapped('@sentry/aws-serverless')], [], entries)).toHaveLength(1);
    expect(withoutFixedWrappers([wrapped(null)], sentry('10.8.0'), entries)).toHaveLength(1);
  });
});

describe('gradedSeverity', () => {
  const entry = (severity: 'error' | 'warning' | 'info') => ({ severity }) as Parameters<typeof gradedSeverity>[0];
  const streaming = { file: 'src/handler.mjs', line: 1, what: 'awslambda.streamifyResponse' } as unknown as UseSite;

  it('keeps the entry severity when the entry point is used, steps it down when the project streams through other code, info without streaming', () => {
    expect(gradedSeverity(entry('error'), { level: 'used', site: streaming })).toBe('error');
    expect(gradedSeverity(entry('error'), { level: 'unused', streaming })).toBe('warning');
    // a React Router server function of a package the project installs but does not deploy (sst.aws.React unused)
    expect(gradedSeverity(entry('warning'), { level: 'unused', streaming })).toBe('info');
    expect(gradedSeverity(entry('error'), { level: 'noStreaming' })).toBe('info');
    expect(gradedSeverity(entry('warning'), { level: 'unknown' })).toBe('warning');
  });
});

describe('runtime-conditional entries (onlyRuntime)', () => {
  const entries = loadKnownBad();
  const lumigo = (version: string) => ({ name: '@lumigo/tracer', version, dir: 'node_modules/@lumigo/tracer', manifest: 'node_modules/@lumigo/tracer/package.json' });
  const site = { file: 'src/handler.mjs', line: 1, what: 'imports @lumigo/tracer' };
  const used: ProjectUse = { streaming: site, entries: new Map(['lumigo-stream-tag', 'lumigo-node24-callback'].map((id) => [id, [site]])) };
  const runtimes = (map: Record<string, string[]>) => (file: string) => map[file];

  it('reports them as their own finding, one step lower while the runtime is unknown, and keeps the other entries\' upgrade', () => {
    const findings = checkKnownBadVersions([lumigo('1.91.0')], [], { entries, use: used });
    expect(findings.map((f) => [f.messageId, f.severity])).toEqual([
      ['runtimeUnknown', 'warning'],
      ['used', 'error'],
    ]);
    expect(findings[0]!.message).toContain('lumigo-node24-callback (callback-handler-on-nodejs24)');
    expect(findings[0]!.message).toContain('This breaks only on nodejs24.x and later');
    expect(findings[0]!.fix).toBe('Upgrade @lumigo/tracer to 1.109.0 or later: it fixes lumigo-node24-callback.');
    expect(findings[1]!.fix).toBe('Upgrade @lumigo/tracer to 1.106.0 or later: it fixes lumigo-stream-tag.');
    expect(findings[0]!.fingerprint).not.toBe(findings[1]!.fingerprint);
    // Between the two fixes only the runtime-conditional entry is left.
    expect(checkKnownBadVersions([lumigo('1.108.2')], [], { entries, use: used }).map((f) => f.messageId)).toEqual(['runtimeUnknown']);
    expect(checkKnownBadVersions([lumigo('1.109.0')], [], { entries, use: used })).toEqual([]);
  });

  it('is settled by the runtimes that run the code using the package', () => {
    const [conditional] = checkKnownBadVersions([lumigo('1.108.2')], [], { entries, use: used });
    const on24 = withoutRuntimeSpecific([conditional!], runtimes({ 'src/handler.mjs': ['nodejs24.x'] }));
    expect(on24).toHaveLength(1);
    expect(on24[0]).toMatchObject({ messageId: 'onRuntime', severity: 'error', fingerprint: conditional!.fingerprint });
    expect(on24[0]!.message).toMatch(/src\/handler\.mjs:1 imports @lumigo\/tracer is deployed on nodejs24\.x\.$/);
    expect(withoutRuntimeSpecific([conditional!], runtimes({ 'src/handler.mjs': ['nodejs22.x (Managed Instances)'] }))[0]).toMatchObject({ severity: 'error' });
    expect(withoutRuntimeSpecific([conditional!], runtimes({ 'src/handler.mjs': ['nodejs22.x'] }))).toEqual([]);
    // Deployed on both: reported for the 4.x one.
    expect(withoutRuntimeSpecific([conditional!], runtimes({ 'src/handler.mjs': ['nodejs20.x', 'nodejs24.x'] }))[0]!.data).toMatchObject({ runtime: 'nodejs24.x' });
    // No deployment names the file: left as it is.
    expect(withoutRuntimeSpecific([conditional!], runtimes({}))).toEqual([conditional]);
  });

  it('keeps the package grading when the affected code is not used', () => {
    const elsewhere: ProjectUse = { streaming: site, entries: new Map() };
    const [conditional] = checkKnownBadVersions([lumigo('1.108.2')], [], { entries, use: elsewhere });
    expect(conditional).toMatchObject({ messageId: 'notUsed', severity: 'warning' });
    expect(withoutRuntimeSpecific([conditional!], runtimes({ 'src/handler.mjs': ['nodejs24.x'] }))).toEqual([conditional]);
  });

  describe('in a scan with a SAM template', () => {
    const handler = [
      "import lumigo from '@lumigo/tracer';",
      '',
      "const tracer = lumigo({ token: 't_0000' });",
      '',
      'export const handler = tracer.trace(',
      '  awslambda.streamifyResponse(async (event, responseStream) => {',
      "    responseStream.write('ok');",
      '    responseStream.end();',
      '  }),',
      ');',
      '',
    ].join('\n');
    const template = (runtime: string) =>
      ['Transform: AWS::Serverless-2016-10-31', 'Resources:', '  Fn:', '    Type: AWS::Serverless::Function', '    Properties:', '      CodeUri: src/', '      Handler: handler.handler', `      Runtime: ${runtime}`, ''].join('\n');
    const scan = async (runtime: string, version: string) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-known-bad-runtime-'));
      mkdirSync(path.join(dir, 'src'));
      mkdirSync(path.join(dir, 'node_modules/@lumigo/tracer'), { recursive: true });
      writeFileSync(path.join(dir, 'template.yaml'), template(runtime));
      writeFileSync(path.join(dir, 'src/handler.mjs'), handler);
      writeFileSync(path.join(dir, 'node_modules/@lumigo/tracer/package.json'), JSON.stringify({ name: '@lumigo/tracer', version }));
      const code = await scanCode({ root: dir, deps: true });
      const deployment = await checkDeployments(dir);
      return withoutRuntimeSpecific(code.findings, (file) => deployment.runtimesByHandler.get(file)).filter((f) => f.ruleId === 'known-bad-version');
    };

    it('invalid: lumigo 1.108.2 traced on nodejs24.x fails at init', async () => {
      const findings = await scan('nodejs24.x', '1.108.2');
      expect(findings.map((f) => [f.messageId, f.severity, f.file, f.line])).toEqual([['onRuntime', 'error', 'node_modules/@lumigo/tracer/package.json', 1]]);
      expect(findings[0]!.message).toContain('src/handler.mjs:1');
    });

    it('valid: the same code on nodejs22.x, and lumigo 1.109.0 on nodejs24.x', async () => {
      expect(await scan('nodejs22.x', '1.108.2')).toEqual([]);
      expect(await scan('nodejs24.x', '1.109.0')).toEqual([]);
    });
  });
});
