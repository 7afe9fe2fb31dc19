/** The known-bad versions database and its join with code findings (one finding per cause). */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { codeRules } from '../src/checks/code/index.js';
import { loadKnownBad } from '../src/checks/packages/known-bad-version.js';

const repo = path.resolve(import.meta.dirname, '..');

describe('data/known-bad-packages.json', () => {
  const entries = loadKnownBad();
  const docs = readFileSync(path.join(repo, 'docs/known-bad-packages.md'), 'utf8');
  const ruleIds = new Set(codeRules.map((r) => r.meta.id));
  for (const entry of entries) {
    it(`${entry.id} is well-formed, documented and consistent`, () => {
      expect(ruleIds.has(entry.ruleId), `unknown rule ${entry.ruleId}`).toBe(true);
      expect(semver.validRange(entry.affected)).not.toBeNull();
      if (entry.fixed) expect(semver.satisfies(entry.fixed, entry.affected, { includePrerelease: true })).toBe(false);
      expect(entry.evidence.length).toBeGreaterThan(0);
      expect(docs).toContain(entry.id);
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
