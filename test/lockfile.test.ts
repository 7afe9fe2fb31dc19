/**
 * A fresh clone on macOS, Windows or Alpine gets its parser binding: the lock file must list every optional
 * (per-platform) dependency of every locked package, or `npm ci` there installs none (issue 12, Install).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}

describe('package-lock.json', () => {
  it('lists every optional dependency of every locked package (all platforms)', () => {
    const lock = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const missing: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      for (const dep of Object.keys(entry.optionalDependencies ?? {})) {
        const nested = where ? `${where}/node_modules/${dep}` : `node_modules/${dep}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${dep}`]) missing.push(`${where || '(root)'} -> ${dep}`);
      }
    }
    expect(missing).toEqual([]);
    const bindings = Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/@oxc-parser/binding-'));
    for (const platform of ['darwin-arm64', 'darwin-x64', 'win32-x64-msvc', 'linux-x64-musl', 'linux-arm64-gnu']) {
      expect(bindings).toContain(`node_modules/@oxc-parser/binding-${platform}`);
    }
  });
});

describe('the repository', () => {
  it('tracks no node_modules (a symlinked node_modules in a worktree once got committed, and a merge replaced the real one)', () => {
    const tracked = spawnSync('git', ['ls-files', '--', 'node_modules', '**/node_modules'], { cwd: path.resolve(import.meta.dirname, '..'), encoding: 'utf8' });
    // Outside a git checkout (an unpacked tarball) there is nothing to check.
    if (tracked.status !== 0) return;
    expect(tracked.stdout.trim().split('\n').filter(Boolean)).toEqual([]);
  });
});
