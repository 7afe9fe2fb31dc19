/**
 * Lockfile readers (src/code/lockfiles/): the lockfiles the package managers wrote (test/fixtures/lockfiles,
 * see its README) and the edge cases they write for other projects, as small inline texts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockedPackages, parseLockfile, type LockedPackage } from '../src/code/lockfiles/index.js';
import { parseLocatedJson } from '../src/code/lockfiles/json.js';
import { readBlockEntries } from '../src/code/lockfiles/block-entries.js';
import { tempProject } from './support/temp-project.js';

const fixtures = path.resolve(import.meta.dirname, 'fixtures/lockfiles');

const FORMATS: Array<[folder: string, file: string, format: string]> = [
  ['npm-v1', 'package-lock.json', 'npm'],
  ['npm-v2', 'package-lock.json', 'npm'],
  ['npm-v3', 'package-lock.json', 'npm'],
  ['pnpm-v6', 'pnpm-lock.yaml', 'pnpm'],
  ['pnpm-v9', 'pnpm-lock.yaml', 'pnpm'],
  ['yarn-v1', 'yarn.lock', 'yarn-classic'],
  ['yarn-berry', 'yarn.lock', 'yarn-berry'],
  ['bun', 'bun.lock', 'bun'],
];

/** The 14 packages of the fixture project (@middy/core 5.0.2, hono 4.1.4 and middy's dependencies). */
const LOCKED = [
  '@datastream/core@0.0.35',
  '@middy/core@5.0.2',
  'abort-controller@3.0.0',
  'base64-js@1.5.1',
  'buffer@6.0.3',
  'cloneable-readable@3.0.0',
  'event-target-shim@5.0.1',
  'events@3.3.0',
  'hono@4.1.4',
  'ieee754@1.2.1',
  'process@0.11.10',
  'readable-stream@4.7.0',
  'string_decoder@1.3.0',
  'safe-buffer@5.2.1',
];

/** Reads with the line reader and checks the YAML parser reads the same. */
function both(file: string, text: string) {
  const read = parseLockfile(file, text);
  expect(parseLockfile(file, text, { lineReader: false })).toEqual(read);
  return read;
}

function names(list: LockedPackage[]): string[] {
  return list.map((p) => `${p.name}@${p.version}`).sort();
}

describe('lockfiles written by the package managers', () => {
  for (const [folder, file, format] of FORMATS) {
    it(`${folder}: every locked package with the line of its entry`, () => {
      const text = readFileSync(path.join(fixtures, folder, file), 'utf8');
      const read = parseLockfile(file, text);
      expect(read.format).toBe(format);
      const locked = names(read.packages);
      expect(locked).toContain('hono@4.1.4');
      expect(locked).toContain('@middy/core@5.0.2');
      expect(locked).toContain('@datastream/core@0.0.35');
      expect(locked).toHaveLength(14);
      expect(locked.every((p) => LOCKED.some((l) => l.split('@').slice(0, -1).join('@') === p.split('@').slice(0, -1).join('@')))).toBe(true);
      // The line is the entry's own line: it names the package (and, where the key carries it, the version).
      const lines = text.split('\n');
      for (const pkg of read.packages) expect(lines[pkg.line - 1], `${pkg.name} at line ${pkg.line}`).toContain(pkg.name);
      const hono = read.packages.find((p) => p.name === 'hono')!;
      expect(lines[hono.line - 1]).toMatch(format === 'npm' ? /"(node_modules\/)?hono": \{/ : /hono/);
    });
  }

  it('points at the exact lines', () => {
    const line = (folder: string, file: string, name: string) => parseLockfile(file, readFileSync(path.join(fixtures, folder, file), 'utf8')).packages.find((p) => p.name === name)?.line;
    expect(line('npm-v3', 'package-lock.json', 'hono')).toBe(118);
    expect(line('npm-v1', 'package-lock.json', 'hono')).toBe(63);
    expect(line('pnpm-v9', 'pnpm-lock.yaml', 'hono')).toBe(49);
    expect(line('pnpm-v6', 'pnpm-lock.yaml', 'hono')).toBe(65);
    expect(line('yarn-v1', 'yarn.lock', 'hono')).toBe(56);
    expect(line('yarn-berry', 'yarn.lock', 'hono')).toBe(84);
    expect(line('bun', 'bun.lock', 'hono')).toBe(29);
  });
});

describe('edge cases', () => {
  it('npm v2/v3: aliases by their real name, nested copies once, workspace links and folders left out', () => {
    const text = `{
  "name": "mono",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "mono", "workspaces": ["packages/*"] },
    "node_modules/@app/web": { "resolved": "packages/web", "link": true },
    "node_modules/h": { "name": "hono", "version": "4.1.4", "resolved": "https://registry.npmjs.org/hono/-/hono-4.1.4.tgz" },
    "node_modules/hono": { "version": "4.13.8" },
    "node_modules/x/node_modules/hono": { "version": "4.1.4" },
    "node_modules/@scope/pkg": { "version": "1.0.0" },
    "packages/web": { "name": "@app/web", "version": "1.0.0" }
  }
}`;
    expect(parseLockfile('package-lock.json', text).packages).toEqual([
      { name: 'hono', version: '4.1.4', line: 8 },
      { name: 'hono', version: '4.13.8', line: 9 },
      { name: '@scope/pkg', version: '1.0.0', line: 11 },
    ]);
  });

  it('npm v1: nested dependencies, npm: aliases, file: links left out', () => {
    const text = `{
  "name": "app",
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "h": { "version": "npm:hono@4.1.4", "resolved": "https://registry.npmjs.org/hono/-/hono-4.1.4.tgz" },
    "lib": { "version": "file:../lib" },
    "x": {
      "version": "1.0.0",
      "dependencies": {
        "@middy/core": { "version": "4.7.0" }
      }
    }
  }
}`;
    expect(parseLockfile('npm-shrinkwrap.json', text).packages).toEqual([
      { name: 'hono', version: '4.1.4', line: 6 },
      { name: 'x', version: '1.0.0', line: 8 },
      { name: '@middy/core', version: '4.7.0', line: 11 },
    ]);
  });

  it('pnpm 9: one entry per version (peer variants are in snapshots), non-registry packages by their version field', () => {
    const text = `lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      nitropack:
        specifier: 2.11.11
        version: 2.11.11(typescript@5.8.3)

packages:

  '@middy/core@5.0.2':
    resolution: {integrity: sha512-x}

  nitropack@2.11.11:
    resolution: {integrity: sha512-y}

  my-tar@https://example.com/my-tar-1.0.0.tgz:
    resolution: {tarball: https://example.com/my-tar-1.0.0.tgz}
    version: 1.0.0

snapshots:

  nitropack@2.11.11(typescript@5.8.3):
    dependencies: {}
`;
    expect(both('pnpm-lock.yaml', text).packages).toEqual([
      { name: '@middy/core', version: '5.0.2', line: 13 },
      { name: 'nitropack', version: '2.11.11', line: 16 },
      { name: 'my-tar', version: '1.0.0', line: 19 },
    ]);
  });

  it('pnpm 6: peer suffixes folded into one version, git packages by their name and version fields', () => {
    const text = `lockfileVersion: '6.0'

packages:

  /nitropack@2.11.11(typescript@5.8.3):
    resolution: {integrity: sha512-y}
    dev: false

  /nitropack@2.11.11(typescript@5.9.2):
    resolution: {integrity: sha512-y}
    dev: false

  github.com/user/lib/0123abc:
    resolution: {tarball: https://codeload.github.com/user/lib/tar.gz/0123abc}
    name: lib
    version: 2.0.0
    dev: false
`;
    expect(both('pnpm-lock.yaml', text).packages).toEqual([
      { name: 'nitropack', version: '2.11.11', line: 5 },
      { name: 'lib', version: '2.0.0', line: 13 },
    ]);
  });

  it('pnpm 5: /name/version keys with _peer suffixes', () => {
    const text = `lockfileVersion: 5.4

packages:

  /hono/3.10.0:
    resolution: {integrity: sha512-z}
    dev: false

  /@middy/core/4.3.0_typescript@4.9.5:
    resolution: {integrity: sha512-w}
    dev: false
`;
    expect(both('pnpm-lock.yaml', text).packages).toEqual([
      { name: 'hono', version: '3.10.0', line: 5 },
      { name: '@middy/core', version: '4.3.0', line: 9 },
    ]);
  });

  it('Yarn classic: several descriptors, quoted scoped keys, npm: aliases, file: packages left out', () => {
    const text = `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@middy/core@^5.0.0", "@middy/core@5.0.2":
  version "5.0.2"
  resolved "https://registry.yarnpkg.com/@middy/core/-/core-5.0.2.tgz#217f"
  dependencies:
    "@datastream/core" "0.0.35"

"h@npm:hono@4.1.4":
  version "4.1.4"
  resolved "https://registry.yarnpkg.com/hono/-/hono-4.1.4.tgz#abc"

hono@^4.1.0, hono@^4.1.4:
  version "4.1.4"
  resolved "https://registry.yarnpkg.com/hono/-/hono-4.1.4.tgz#abc"

"lib@file:./lib":
  version "1.0.0"
`;
    expect(both('yarn.lock', text)).toEqual({
      format: 'yarn-classic',
      packages: [
        { name: '@middy/core', version: '5.0.2', line: 5 },
        { name: 'hono', version: '4.1.4', line: 11 },
      ],
    });
  });

  it('Yarn berry: resolutions name the package (aliases too); workspaces left out; a patched copy is the same version', () => {
    const text = `# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"h@npm:hono@4.1.4":
  version: 4.1.4
  resolution: "hono@npm:4.1.4"
  checksum: 10c0/abc
  languageName: node
  linkType: hard

"my-app@workspace:apps/my-app":
  version: 0.0.0-use.local
  resolution: "my-app@workspace:apps/my-app"
  languageName: unknown
  linkType: soft

"nitropack@npm:2.11.11":
  version: 2.11.11
  resolution: "nitropack@npm:2.11.11"
  languageName: node
  linkType: hard

"nitropack@patch:nitropack@npm%3A2.11.11#~/.yarn/patches/nitropack-npm-2.11.11-abc.patch":
  version: 2.11.11
  resolution: "nitropack@patch:nitropack@npm%3A2.11.11#~/.yarn/patches/nitropack-npm-2.11.11-abc.patch::version=2.11.11&hash=1"
  languageName: node
  linkType: hard
`;
    expect(both('yarn.lock', text)).toEqual({
      format: 'yarn-berry',
      packages: [
        { name: 'hono', version: '4.1.4', line: 8 },
        { name: 'nitropack', version: '2.11.11', line: 21 },
      ],
    });
  });

  it('bun.lock: JSONC with trailing commas and comments; nested copies once; workspaces left out', () => {
    const text = `{
  "lockfileVersion": 1,
  // a comment
  "workspaces": {
    "": { "name": "mono", "dependencies": { "hono": "4.1.4", }, },
    "packages/web": { "name": "@app/web", },
  },
  "packages": {
    "@app/web": ["@app/web@workspace:packages/web"],
    "h": ["hono@4.1.4", "", {}, "sha512-a"],
    "hono": ["hono@4.13.8", "", {}, "sha512-b"],
    "x/hono": ["hono@4.1.4", "", {}, "sha512-a"],
  },
}
`;
    expect(parseLockfile('bun.lock', text).packages).toEqual([
      { name: 'hono', version: '4.1.4', line: 10 },
      { name: 'hono', version: '4.13.8', line: 11 },
    ]);
  });

  it('bun.lockb is not readable, and says how to get a text lockfile', () => {
    expect(() => parseLockfile('bun.lockb', '')).toThrow(/binary bun\.lockb is not readable.*--save-text-lockfile/);
  });

  it('a broken lockfile throws with the line', () => {
    expect(() => parseLockfile('package-lock.json', '{\n  "packages": {\n    "node_modules/a": { "version": 1.0.0 }\n')).toThrow(/line 3/);
    expect(() => parseLocatedJson('{"a": [1, 2,]}')).not.toThrow();
    expect(parseLocatedJson('{"a\\"b": "\\u0041"}').value).toEqual({ 'a"b': 'A' });
  });
});

describe('the line reader for pnpm and Yarn 2+ lockfiles', () => {
  it('gives what the YAML parser gives on every fixture', () => {
    for (const [folder, file] of FORMATS.filter(([, , format]) => format === 'pnpm' || format === 'yarn-berry')) {
      const text = readFileSync(path.join(fixtures, folder, file), 'utf8');
      expect(readBlockEntries(text, file === 'yarn.lock' ? null : 'packages', ['version']), folder).not.toBeNull();
      expect(parseLockfile(file, text), folder).toEqual(parseLockfile(file, text, { lineReader: false }));
    }
  });

  it('leaves YAML it does not know to the parser: explicit keys, several documents, anchors', () => {
    const explicit = `lockfileVersion: '9.0'

packages:

  ? 'hono@4.1.4'
  : resolution: {integrity: sha512-x}

  nitropack@2.11.11:
    resolution: {integrity: sha512-y}
`;
    expect(readBlockEntries(explicit, 'packages', ['version'])).toBeNull();
    expect(parseLockfile('pnpm-lock.yaml', explicit).packages).toEqual([
      { name: 'hono', version: '4.1.4', line: 5 },
      { name: 'nitropack', version: '2.11.11', line: 8 },
    ]);
    // pnpm 9.7+ may put an environment document first: the lockfile is the last document.
    const documents = `---
lockfileVersion: '9.0'

importers:

  .:
    configDependencies: {}

---
lockfileVersion: '9.0'

packages:

  hono@4.1.4:
    resolution: {integrity: sha512-x}
`;
    expect(parseLockfile('pnpm-lock.yaml', documents).packages).toEqual([{ name: 'hono', version: '4.1.4', line: 14 }]);
    expect(parseLockfile('pnpm-lock.yaml', documents, { lineReader: false }).packages).toEqual([{ name: 'hono', version: '4.1.4', line: 14 }]);
  });
});

describe('lockedPackages', () => {
  const project = (files: Record<string, string>): string => tempProject('sd-locks-', files);
  const npmLock = readFileSync(path.join(fixtures, 'npm-v3/package-lock.json'), 'utf8');
  const bunLock = readFileSync(path.join(fixtures, 'bun/bun.lock'), 'utf8');

  it('reads a lockfile where nothing is installed, as packages pointing at their lockfile line', () => {
    const dir = project({ 'package-lock.json': npmLock, 'lambda/bun.lockb': '\u0000binary' });
    const { packages, skipped } = lockedPackages(dir, ['lambda/bun.lockb', 'package-lock.json'], []);
    expect(packages.find((p) => p.name === 'hono')).toEqual({ name: 'hono', version: '4.1.4', dir: '', manifest: 'package-lock.json', line: 118, lockfile: 'npm' });
    expect(skipped).toEqual([{ file: 'lambda/bun.lockb', reason: expect.stringMatching(/^binary bun\.lockb is not readable/) }]);
  });

  it('leaves a lockfile alone when its node_modules is installed, and never lists an installed version again', () => {
    const dir = project({ 'package-lock.json': npmLock, 'fn/bun.lock': bunLock });
    const installed = [
      { name: 'hono', version: '4.1.4', dir: 'node_modules/hono', manifest: 'node_modules/hono/package.json' },
      { name: '@middy/core', version: '5.0.2', dir: 'other/node_modules/@middy/core', manifest: 'other/node_modules/@middy/core/package.json' },
    ];
    const { packages } = lockedPackages(dir, ['fn/bun.lock', 'package-lock.json'], installed);
    // The root lockfile is not read (node_modules/ is installed); fn/bun.lock is, without the installed versions.
    expect(packages.every((p) => p.manifest === 'fn/bun.lock')).toBe(true);
    expect(packages.map((p) => p.name)).not.toContain('hono');
    expect(packages.map((p) => p.name)).not.toContain('@middy/core');
    expect(packages).toHaveLength(12);
  });

  it('lists a version once per directory when it has several lockfiles, and ignores bun.lockb beside bun.lock', () => {
    const dir = project({ 'package-lock.json': npmLock, 'bun.lock': bunLock, 'bun.lockb': '\u0000' });
    const { packages, skipped } = lockedPackages(dir, ['bun.lock', 'bun.lockb', 'package-lock.json'], []);
    expect(skipped).toEqual([]);
    expect(packages.filter((p) => p.name === 'hono')).toEqual([{ name: 'hono', version: '4.1.4', dir: '', manifest: 'package-lock.json', line: 118, lockfile: 'npm' }]);
    expect(packages).toHaveLength(14);
  });

  it('notes a lockfile it cannot read and goes on', () => {
    const dir = project({ 'a/package-lock.json': '{ "packages": ', 'b/yarn.lock': readFileSync(path.join(fixtures, 'yarn-v1/yarn.lock'), 'utf8') });
    const { packages, skipped } = lockedPackages(dir, ['a/package-lock.json', 'b/yarn.lock'], []);
    expect(skipped).toEqual([{ file: 'a/package-lock.json', reason: expect.stringMatching(/^unreadable lockfile \(.*line 1\)$/) }]);
    expect(packages.find((p) => p.name === 'hono')).toMatchObject({ manifest: 'b/yarn.lock', line: 56, dir: 'b', lockfile: 'yarn-classic' });
  });
});
