/** The installed-package inventory on node_modules layouts built at test time. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inventoryPackages } from './inventory.js';
import { collectCandidates } from './walk.js';

const made: string[] = [];
type Spec = Record<string, string | { link: string }>;

function tree(spec: Spec): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sd-inv-')));
  made.push(dir);
  for (const [rel, content] of Object.entries(spec)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof content === 'object') fs.symlinkSync(content.link, abs);
    else fs.writeFileSync(abs, content);
  }
  return dir;
}

afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const manifest = (name: string, version?: string) => JSON.stringify(version === undefined ? { name } : { name, version });
const list = (r: { packages: Array<{ name: string; version: string; dir: string; manifest: string }> }) =>
  r.packages.map((p) => {
    expect(p.manifest).toBe(`${p.dir}/package.json`);
    return `${p.name}@${p.version} ${p.dir}`;
  });

describe('inventoryPackages', () => {
  it('lists top-level, scoped, nested, vendored, workspace and build-output packages', async () => {
    const root = tree({
      'package.json': manifest('app', '1.0.0'),
      '.gitignore': 'node_modules\n.aws-sam\nignored/\n',
      'node_modules/express/package.json': manifest('express', '5.3.0'),
      'node_modules/express/lib/express.js': '',
      'node_modules/express/node_modules/debug/package.json': manifest('debug', '2.6.9'),
      'node_modules/express/dist/esm/package.json': '{"type":"module"}',
      'node_modules/nf3/package.json': manifest('nf3', '0.1.0'),
      'node_modules/nf3/dist/node_modules/glob/package.json': manifest('glob', '10.0.0'),
      'node_modules/@aws-sdk/client-s3/package.json': manifest('@aws-sdk/client-s3', '3.1.0'),
      'node_modules/@aws-sdk/client-s3/dist-cjs/package.json': manifest('@aws-sdk/client-s3-cjs', '0.0.0'),
      'node_modules/@types/node/package.json': manifest('@types/node', '20.19.0'),
      'node_modules/.bin/tsc': '#!/bin/sh\n',
      'node_modules/.package-lock.json': '{}',
      'node_modules/.cache/x/package.json': manifest('cached', '1.0.0'),
      'packages/api/package.json': manifest('api', '0.0.1'),
      'packages/api/node_modules/hono/package.json': manifest('hono', '4.1.0'),
      '.aws-sam/build/Fn/node_modules/pg/package.json': manifest('pg', '8.0.0'),
      '.aws-sam/cache/node_modules/old/package.json': manifest('old', '0.0.1'),
      'ignored/node_modules/nope/package.json': manifest('nope', '1.0.0'),
      '.git/node_modules/nope/package.json': manifest('nope', '1.0.0'),
    });
    const r = await inventoryPackages(root);
    expect(list(r)).toEqual([
      'pg@8.0.0 .aws-sam/build/Fn/node_modules/pg',
      '@aws-sdk/client-s3@3.1.0 node_modules/@aws-sdk/client-s3',
      '@types/node@20.19.0 node_modules/@types/node',
      'express@5.3.0 node_modules/express',
      'debug@2.6.9 node_modules/express/node_modules/debug',
      'nf3@0.1.0 node_modules/nf3',
      'glob@10.0.0 node_modules/nf3/dist/node_modules/glob',
      'hono@4.1.0 packages/api/node_modules/hono',
    ]);
    expect(r.skipped).toEqual([]);
  });

  it('dedupes a pnpm layout by real path and reports the store location', async () => {
    const root = tree({
      'node_modules/.pnpm/hono@4.6.0/node_modules/hono/package.json': manifest('hono', '4.6.0'),
      'node_modules/.pnpm/@middy+core@5.0.0/node_modules/@middy/core/package.json': manifest('@middy/core', '5.0.0'),
      'node_modules/.pnpm/@middy+core@5.0.0/node_modules/hono': { link: '../../hono@4.6.0/node_modules/hono' },
      'node_modules/.pnpm/hono@3.0.0/node_modules/hono/package.json': manifest('hono', '3.0.0'),
      'node_modules/.pnpm/node_modules/hono': { link: '../hono@4.6.0/node_modules/hono' },
      'node_modules/.pnpm/lock.yaml': 'lockfileVersion: 9\n',
      'node_modules/hono': { link: '.pnpm/hono@4.6.0/node_modules/hono' },
      'node_modules/@middy/core': { link: '../.pnpm/@middy+core@5.0.0/node_modules/@middy/core' },
    });
    const r = await inventoryPackages(root);
    expect(list(r)).toEqual([
      '@middy/core@5.0.0 node_modules/.pnpm/@middy+core@5.0.0/node_modules/@middy/core',
      'hono@3.0.0 node_modules/.pnpm/hono@3.0.0/node_modules/hono',
      'hono@4.6.0 node_modules/.pnpm/hono@4.6.0/node_modules/hono',
    ]);
    expect(r.skipped).toEqual([]);
  });

  it('notes broken package.json files, leaves out ones without name or version, and survives link loops', async () => {
    const root = tree({
      'node_modules/ok/package.json': manifest('ok', '1.0.0'),
      'node_modules/broken/package.json': '{ "name": "broken", "version": ',
      'node_modules/noversion/package.json': manifest('noversion'),
      'node_modules/nomanifest/index.js': '',
      'node_modules/loop': { link: 'loop' },
      'node_modules/dangling': { link: 'missing' },
      'node_modules/ok/node_modules/ok': { link: '../..' },
    });
    const r = await inventoryPackages(root);
    expect(list(r)).toEqual(['ok@1.0.0 node_modules/ok']);
    expect(r.skipped.map((s) => [s.file, s.reason.replace(/\(.*\)/, '(…)')])).toEqual([
      ['node_modules/broken/package.json', 'invalid package.json (…)'],
      ['node_modules/dangling', 'broken symlink'],
      ['node_modules/loop', 'symlink loop'],
    ]);
  });

  it('lists a package linked from outside the root under the link path', async () => {
    const outside = tree({ 'linked/package.json': manifest('linked', '0.1.0') });
    const root = tree({ 'node_modules/linked': { link: path.join(outside, 'linked') } });
    expect(list(await inventoryPackages(root))).toEqual(['linked@0.1.0 node_modules/linked']);
  });

  it('matches the packages collectCandidates reports from its own walk', async () => {
    const root = tree({
      'src/a.ts': 'awslambda',
      'node_modules/a/package.json': manifest('a', '1.0.0'),
      'node_modules/a/node_modules/b/package.json': manifest('b', '2.0.0'),
      'node_modules/@s/c/package.json': manifest('@s/c', '3.0.0'),
      'node_modules/.pnpm/d@4.0.0/node_modules/d/package.json': manifest('d', '4.0.0'),
      'node_modules/d': { link: '.pnpm/d@4.0.0/node_modules/d' },
      'dist/node_modules/e/package.json': manifest('e', '5.0.0'),
    });
    const inv = await inventoryPackages(root);
    const walked = await collectCandidates({ root, includeDeps: true, tokens: ['awslambda'], workers: 0 });
    expect(walked.packages).toEqual(inv.packages);
    expect(inv.packages).toHaveLength(5);
  });

  it('rejects a root that does not exist', async () => {
    await expect(inventoryPackages(path.join(os.tmpdir(), 'sd-inv-missing-dir'))).rejects.toThrow(/cannot scan .*ENOENT/);
  });
});
