/** What `npx stream-doctor` installs: no install scripts in the production tree, the right files shipped. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; hasInstallScript?: boolean }>;
};

const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));

describe('the published package', () => {
  it('has no install script anywhere in its production dependency tree (npm 12 blocks them)', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && !entry.dev && entry.hasInstallScript)
      .map(([name]) => name);
    expect(withScripts).toEqual([]);
  });

  it('ships the launcher, the bundle, the grammars, the known-bad database and the docs', () => {
    expect(manifest.bin).toEqual({ 'stream-doctor': 'bin/stream-doctor.js' });
    expect(manifest.files).toEqual(['bin', 'dist/bundle', 'dist/grammars', 'data', 'docs', 'types']);
    expect(manifest.exports['./eslint'].default).toBe('./dist/bundle/eslint.js');
    expect(manifest.engines.node).toBe('>=20.19');
  });

  it('depends at run time only on what the bundle cannot hold (docs/architecture.md, "The bundle")', () => {
    // oxc-parser: a native binding per platform. Every other package is bundled.
    expect(Object.keys(manifest.dependencies)).toEqual(['oxc-parser']);
  });
});

describe('npm pack + npx', () => {
  // --ignore-scripts: dist/ was built by `npm test`; rebuilding here would race the other test files.
  it('the packed tarball installs and runs as `npx stream-doctor`', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, mkdirSync } = await import('node:fs');
    const os = await import('node:os');
    const work = mkdtempSync(path.join(os.tmpdir(), 'sd-pack-'));
    const packed = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: repo, encoding: 'utf8' }).trim().split('\n').pop()!;
    const app = path.join(work, 'app');
    mkdirSync(path.join(app, 'src'), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    writeFileSync(
      path.join(app, 'src/handler.mjs'),
      'export const handler = awslambda.streamifyResponse(async (e, s) => {\n  if (e.body) { s.write(e.body); s.end(); }\n});\n',
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', path.join(work, packed)], { cwd: app, stdio: 'ignore' });
    const version = execFileSync('npx', ['--no-install', 'stream-doctor', '--version'], { cwd: app, encoding: 'utf8' }).trim();
    expect(version).toBe(manifest.version);
    // A rule's page: the bundle finds docs/ from its chunk's own location.
    expect(execFileSync('npx', ['--no-install', 'stream-doctor', 'explain', 'stream-never-ended'], { cwd: app, encoding: 'utf8' })).toMatch(/^# stream-never-ended\n/);
    let out = '';
    try {
      execFileSync('npx', ['--no-install', 'stream-doctor', 'scan', '--format', 'json'], { cwd: app, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    } catch (error) {
      const failed = error as { status: number; stdout: string };
      expect(failed.status).toBe(1);
      out = failed.stdout;
    }
    expect(JSON.parse(out).findings.map((f: { ruleId: string; file: string; line: number }) => `${f.file}:${f.line} ${f.ruleId}`)).toEqual([
      'src/handler.mjs:2 stream-never-ended',
    ]);
  }, 180_000);
});
