/** What `npx stream-doctor` installs: no install scripts in the production tree, the right files shipped. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean; optional?: boolean; hasInstallScript?: boolean }>;
};
const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));

describe('the published package', () => {
  it('has no install script anywhere in its production dependency tree (npm 12 blocks them)', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && !entry.dev && entry.hasInstallScript)
      .map(([name]) => name);
    expect(withScripts).toEqual([]);
  });

  it('ships the launcher, the build, the known-bad database and the docs', () => {
    expect(manifest.bin).toEqual({ 'stream-doctor': 'bin/stream-doctor.js' });
    expect(manifest.files).toEqual(expect.arrayContaining(['bin', 'dist', 'data', 'docs']));
    expect(manifest.engines.node).toBe('>=20.19');
  });
});
