/**
 * Acceptance: real published packages, downloaded with `npm pack` at test time (never committed),
 * scanned by the built CLI. The list and the expectations live in test/real-packages.json; each
 * entry says which rules must be present or absent in which file, and whether the file must be
 * quiet at warning and above (adapters that fixed their streaming bugs).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

interface RealPackageCase {
  spec: string;
  file: string;
  expect: Record<string, 'present' | 'absent'>;
  quietAtWarning?: boolean;
  note?: string;
}

const repo = path.resolve(import.meta.dirname, '..');
const cases: RealPackageCase[] = JSON.parse(readFileSync(path.join(repo, 'test/real-packages.json'), 'utf8'));
const cacheDir = path.join(repo, 'test/.tmp/packs');

function unpack(spec: string): string {
  const dir = path.join(cacheDir, spec.replace(/[^\w.@-]/g, '_'));
  if (existsSync(path.join(dir, 'package'))) return dir;
  mkdirSync(dir, { recursive: true });
  const out = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tarball = out.trim().split('\n').pop()!;
  execFileSync('tar', ['-xzf', path.join(dir, tarball), '-C', dir]);
  return dir;
}

interface JsonFinding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
}

const results = new Map<string, JsonFinding[]>();

beforeAll(() => {
  for (const c of cases) {
    const dir = unpack(c.spec);
    const run = spawnSync(process.execPath, [path.join(repo, 'bin/stream-doctor.js'), 'scan', dir, '--format', 'json', '--fail-on', 'none', '--no-deps'], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    if (run.status !== 0) throw new Error(`scan of ${c.spec} exited ${run.status}: ${run.stderr}`);
    results.set(c.spec, JSON.parse(run.stdout).findings);
  }
}, 600_000);

describe('real published packages', () => {
  for (const c of cases) {
    describe(c.spec, () => {
      it(`${c.file} exists in the tarball`, () => {
        const dir = path.join(cacheDir, c.spec.replace(/[^\w.@-]/g, '_'));
        expect(existsSync(path.join(dir, c.file)), readdirSync(dir).join(',')).toBe(true);
      });
      for (const [ruleId, presence] of Object.entries(c.expect)) {
        it(`${ruleId} is ${presence} in ${c.file}`, () => {
          const inFile = results.get(c.spec)!.filter((f) => f.file === c.file && f.ruleId === ruleId);
          if (presence === 'present') expect(inFile.length).toBeGreaterThan(0);
          else expect(inFile).toEqual([]);
        });
      }
      if (c.quietAtWarning) {
        it(`${c.file} is quiet at warning and above`, () => {
          const loud = results.get(c.spec)!.filter((f) => f.file === c.file && f.severity !== 'info');
          expect(loud).toEqual([]);
        });
      }
    });
  }
});
