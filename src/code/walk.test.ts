/** The walker and byte pre-filter on small trees built at test time (real files, links and modes). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { MessageChannel, Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { collectCandidates, isSourceFileName, planAnchors, WORKER_SOURCE, type WalkOptions, type WalkResult } from './walk.js';

const TOKENS = ['streamifyResponse', 'HttpResponseStream', 'http-integration-response', 'callbackWaitsForEmptyEventLoop', 'awslambda'];
const HIT = 'export const handler = awslambda.streamifyResponse(async (event, stream) => { stream.end(); });\n';
const MISS = 'export const add = (a, b) => a + b;\n';
const ONLY_AWSLAMBDA = 'export const runtime = typeof awslambda;\n';
const isRoot = process.getuid?.() === 0;

type Spec = Record<string, string | Buffer | { link: string }>;
const made: string[] = [];

/** Creates a tree under a new temp dir: files (text or bytes) and symlinks ({ link: target as written }). */
function tree(spec: Spec, dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sd-walk-')))): string {
  made.push(dir);
  for (const [rel, content] of Object.entries(spec)) {
    const abs = path.join(dir, rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) fs.symlinkSync(content.link, abs);
    else fs.writeFileSync(abs, content);
  }
  return dir;
}

afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function scan(root: string, extra: Partial<WalkOptions> = {}): Promise<WalkResult> {
  return collectCandidates({ root, includeDeps: true, tokens: TOKENS, workers: 0, ...extra });
}

const summary = (r: WalkResult) => r.candidates.map((c) => [c.rel, c.origin, c.package ? `${c.package.name}@${c.package.version}` : null]);

describe('source files', () => {
  it('selects JS/TS sources and leaves out declarations and maps', () => {
    const yes = ['a.js', 'a.mjs', 'a.cjs', 'a.jsx', 'a.ts', 'a.mts', 'a.cts', 'a.tsx', 'a.min.js', 'd.ts.js'];
    const no = ['a.d.ts', 'a.d.mts', 'a.d.cts', 'a.js.map', 'a.min.map', 'a.json', 'a.py', 'js', '.js', 'a.JS', 'Makefile'];
    expect(yes.filter(isSourceFileName)).toEqual(yes);
    expect(no.filter(isSourceFileName)).toEqual([]);
  });

  it('returns only files that contain a token, with their text, and counts every selected file', async () => {
    const root = tree({
      'src/hit.ts': HIT,
      'src/miss.ts': MISS,
      'src/types.d.ts': HIT,
      'src/hit.js.map': HIT,
      'src/notes.md': HIT,
      'src/lambda.mjs': 'const s = "http-integration-response";\n',
    });
    const r = await scan(root);
    expect(r.candidates.map((c) => [c.rel, c.text])).toEqual([
      ['src/hit.ts', HIT],
      ['src/lambda.mjs', 'const s = "http-integration-response";\n'],
    ]);
    expect(r.candidates[0]!.abs).toBe(path.join(root, 'src/hit.ts'));
    expect(r.filesWalked).toBe(3);
    expect(r.skipped).toEqual([]);
  });

  it('finds tokens at the very start and end of a file and in a file of exactly the token', async () => {
    const root = tree({ 'a.js': 'awslambda', 'b.js': 'x'.repeat(100_000) + 'HttpResponseStream', 'c.js': 'awslambd' });
    expect((await scan(root)).candidates.map((c) => c.rel)).toEqual(['a.js', 'b.js']);
  });

  it('reads a file to its last byte whatever its size: whole 4 KB blocks, odd sizes, the buffer size', async () => {
    const ending = (size: number) => 'x'.repeat(size - 'awslambda'.length) + 'awslambda';
    const sizes = [4096, 8192, 4097, 10_000, 10_001, 12_288, 1_048_576, 1_000_003];
    const root = tree(Object.fromEntries(sizes.map((size) => [`f${size}.js`, ending(size)])));
    const r = await scan(root, { maxFileBytes: 2_000_000 });
    expect(r.candidates.map((c) => [c.rel, c.text.length])).toEqual(sizes.map((size) => [`f${size}.js`, size]).sort());
    // maxFileBytes 10_001 makes the reused buffer 10_002 bytes: a file of 10_001 bytes is one short read of it.
    const small = await scan(root, { maxFileBytes: 10_001 });
    expect(small.candidates.map((c) => c.rel)).toEqual(['f10000.js', 'f10001.js', 'f4096.js', 'f4097.js', 'f8192.js']);
  });

  it('decodes invalid UTF-8 with replacement characters', async () => {
    const root = tree({ 'bad.js': Buffer.concat([Buffer.from('// '), Buffer.from([0xff, 0xfe]), Buffer.from(' '), Buffer.from([0xc3, 0x28]), Buffer.from(' awslambda\n')]) });
    const [c] = (await scan(root)).candidates;
    expect(c!.text).toBe('// \ufffd\ufffd \ufffd( awslambda\n');
  });

  it('skips a binary candidate (NUL in the first 8 KB) with a note, but not a NUL after 8 KB', async () => {
    const root = tree({
      'blob.js': Buffer.concat([Buffer.from('awslambda'), Buffer.from([0, 1, 2])]),
      'late.js': Buffer.concat([Buffer.from('awslambda' + ' '.repeat(9000)), Buffer.from([0])]),
      'nul-no-token.js': Buffer.from([0, 0, 0]),
    });
    const r = await scan(root);
    expect(r.candidates.map((c) => c.rel)).toEqual(['late.js']);
    expect(r.skipped).toEqual([{ file: 'blob.js', reason: 'binary (NUL byte in the first 8 KB)' }]);
  });

  it('skips files above maxFileBytes with a note giving the size, and keeps one of exactly the limit', async () => {
    const mib = 1024 * 1024;
    const root = tree({
      'big.js': 'awslambda'.padEnd(2.5 * mib, ' '),
      'edge.js': 'awslambda'.padEnd(mib, ' '),
      'small.js': HIT,
    });
    const r = await scan(root, { maxFileBytes: mib });
    expect(r.candidates.map((c) => c.rel)).toEqual(['edge.js', 'small.js']);
    expect(r.skipped).toEqual([{ file: 'big.js', reason: 'too large (2.5 MB)' }]);
    const dflt = await scan(root);
    expect(dflt.candidates.map((c) => c.rel)).toEqual(['big.js', 'edge.js', 'small.js']);
  });

  it('with no tokens reads nothing and returns no candidates', async () => {
    const root = tree({ 'a.js': HIT, 'b.js': MISS });
    const r = await scan(root, { tokens: [] });
    expect([r.candidates.length, r.filesWalked]).toEqual([0, 2]);
  });
});

describe('anchors', () => {
  it('covers every token with a window of it, prefers rare first bytes and camel-case boundaries', () => {
    const plan = planAnchors(TOKENS);
    expect(plan).toEqual([
      ['yRespo', ['streamifyResponse']],
      ['HttpRe', ['HttpResponseStream']],
      ['-integ', ['http-integration-response']],
      ['WaitsF', ['callbackWaitsForEmptyEventLoop']],
      ['wslamb', ['awslambda']],
    ]);
  });

  it('drops tokens that contain another token, dedupes, and keeps short tokens as their own anchor', () => {
    expect(planAnchors(['streamify', 'streamifyResponse', 'x.pipe(', 'drain', 'drain', ''])).toEqual([
      ['stream', ['streamify']],
      ['x.pipe', ['x.pipe(']],
      ['drain', ['drain']],
    ]);
  });

  it('handles non-ASCII tokens by their UTF-8 bytes', async () => {
    const root = tree({ 'a.js': 'const s = "flüssig";\n', 'b.js': 'const s = "flussig";\n' });
    expect((await scan(root, { tokens: ['flüssig'] })).candidates.map((c) => c.rel)).toEqual(['a.js']);
  });
});

describe('origin, .gitignore and build output', () => {
  it.each([0, 1])('dependencyTokens select the files of installed dependencies, tokens every other file (workers: %i)', async (workers) => {
    const root = tree({
      'src/a.js': ONLY_AWSLAMBDA,
      'dist/index.js': ONLY_AWSLAMBDA,
      'node_modules/lib/package.json': '{"name":"lib","version":"1.0.0"}',
      'node_modules/lib/only.js': ONLY_AWSLAMBDA,
      'node_modules/lib/hit.js': HIT,
    });
    const r = await scan(root, { workers, dependencyTokens: TOKENS.filter((t) => t !== 'awslambda') });
    expect(r.candidates.map((c) => `${c.origin} ${c.rel}`)).toEqual(['build-output dist/index.js', 'dependency node_modules/lib/hit.js', 'project src/a.js']);
  });

  it.each([0, 1])('dependencyTokens alone (no tokens) still select installed dependencies, and nothing else (workers: %i)', async (workers) => {
    const root = tree({
      'src/a.js': HIT,
      'node_modules/lib/package.json': '{"name":"lib","version":"1.0.0"}',
      'node_modules/lib/hit.js': HIT,
    });
    const r = await scan(root, { workers, tokens: [], dependencyTokens: ['streamifyResponse'] });
    expect(r.candidates.map((c) => `${c.origin} ${c.rel}`)).toEqual(['dependency node_modules/lib/hit.js']);
  });

  it("inventories stream-doctor's own package without walking it (its bundle names every marker)", async () => {
    const root = tree({
      'src/a.js': HIT,
      'node_modules/stream-doctor/package.json': '{"name":"stream-doctor","version":"0.1.0"}',
      'node_modules/stream-doctor/dist/bundle/cli.js': HIT,
      'node_modules/other/package.json': '{"name":"other","version":"1.0.0"}',
      'node_modules/other/index.js': HIT,
    });
    const r = await scan(root);
    expect(r.candidates.map((c) => c.rel)).toEqual(['node_modules/other/index.js', 'src/a.js']);
    expect(r.packages!.map((p) => `${p.name}@${p.version}`)).toEqual(['other@1.0.0', 'stream-doctor@0.1.0']);
  });

  it('classifies project, dependency and build-output files', async () => {
    const root = tree({
      'src/a.ts': HIT,
      'dist/index.js': HIT,
      'build/index.js': HIT,
      'packages/api/dist/handler.js': HIT,
      '.output/server/index.mjs': HIT,
      '.open-next/server-functions/default/index.mjs': HIT,
      'cdk.out/asset.123/index.js': HIT,
      '.serverless/build/handler.js': HIT,
      '.aws-sam/build/Fn/app.js': HIT,
      '.aws-sam/cache/x.js': HIT,
      '.next/standalone/server.js': HIT,
      '.vercel/output/functions/api.func/index.js': HIT,
      '.netlify/functions/f.js': HIT,
      '.aws-sam/build/Fn/node_modules/dep/package.json': '{"name":"dep","version":"1.0.0"}',
      '.aws-sam/build/Fn/node_modules/dep/index.js': HIT,
      'node_modules/lib/package.json': '{"name":"lib","version":"2.0.0"}',
      'node_modules/lib/dist/index.js': HIT,
      'node_modules/lib/build/index.js': HIT,
    });
    expect(summary(await scan(root))).toEqual([
      ['.aws-sam/build/Fn/app.js', 'build-output', null],
      ['.aws-sam/build/Fn/node_modules/dep/index.js', 'dependency', 'dep@1.0.0'],
      ['.aws-sam/cache/x.js', 'project', null],
      ['.netlify/functions/f.js', 'build-output', null],
      ['.next/standalone/server.js', 'build-output', null],
      ['.open-next/server-functions/default/index.mjs', 'build-output', null],
      ['.output/server/index.mjs', 'build-output', null],
      ['.serverless/build/handler.js', 'build-output', null],
      ['.vercel/output/functions/api.func/index.js', 'build-output', null],
      ['build/index.js', 'build-output', null],
      ['cdk.out/asset.123/index.js', 'build-output', null],
      ['dist/index.js', 'build-output', null],
      ['node_modules/lib/build/index.js', 'dependency', 'lib@2.0.0'],
      ['node_modules/lib/dist/index.js', 'dependency', 'lib@2.0.0'],
      ['packages/api/dist/handler.js', 'build-output', null],
      ['src/a.ts', 'project', null],
    ]);
  });

  it('applies .gitignore (root, nested, negation, .git/info/exclude) to project files only', async () => {
    const root = tree({
      '.gitignore': 'node_modules\ndist/\n*.gen.ts\n.aws-sam\n.next/\nlocal/\n!keep.gen.ts\n',
      '.git/info/exclude': 'scratch.ts\n',
      '.git/hooks/pre-commit.js': HIT,
      'scratch.ts': HIT,
      'src/a.ts': HIT,
      'src/b.gen.ts': HIT,
      'src/keep.gen.ts': HIT,
      'src/sub/.gitignore': 'secret.ts\n!b.gen.ts\n',
      'src/sub/secret.ts': HIT,
      'src/sub/b.gen.ts': HIT,
      'local/x.ts': HIT,
      'local/dist/y.js': HIT,
      'dist/index.js': HIT,
      'dist/.gitignore': '*\n',
      'node_modules/lib/package.json': '{"name":"lib","version":"2.0.0"}',
      'node_modules/lib/index.js': HIT,
      'node_modules/lib/.gitignore': 'index.js\n',
      '.aws-sam/build/Fn/app.js': HIT,
      '.aws-sam/cache/c.js': HIT,
      '.next/standalone/server.js': HIT,
      '.next/server/chunk.js': HIT,
      '.stream-doctor-cache/x.js': HIT,
    });
    expect((await scan(root)).candidates.map((c) => c.rel)).toEqual([
      '.aws-sam/build/Fn/app.js',
      '.next/standalone/server.js',
      'dist/index.js',
      'node_modules/lib/index.js',
      'src/a.ts',
      'src/keep.gen.ts',
      'src/sub/b.gen.ts',
    ]);
  });
});

describe('include, exclude, --no-deps', () => {
  const spec: Spec = {
    'src/a.ts': HIT,
    'src/a.test.ts': HIT,
    'src/deep/b.js': HIT,
    'test/fixtures/f.js': HIT,
    'lib/c.js': HIT,
    'dist/d.js': HIT,
    'node_modules/lib/package.json': '{"name":"lib","version":"2.0.0"}',
    'node_modules/lib/index.js': HIT,
    'node_modules/lib/node_modules/inner/package.json': '{"name":"inner","version":"0.1.0"}',
    'node_modules/lib/node_modules/inner/index.js': HIT,
    'dist/node_modules/bundled/index.js': HIT,
  };

  it('include keeps only matching files; exclude drops files and prunes directories', async () => {
    const root = tree(spec);
    const inc = await scan(root, { include: ['src/**/*.ts', 'lib/*.js'] });
    expect(inc.candidates.map((c) => c.rel)).toEqual(['lib/c.js', 'src/a.test.ts', 'src/a.ts']);
    expect(inc.filesWalked).toBe(3);
    const exc = await scan(root, { exclude: ['**/*.test.ts', 'test/fixtures', 'node_modules/lib/node_modules/**'] });
    expect(exc.candidates.map((c) => c.rel)).toEqual([
      'dist/d.js',
      'dist/node_modules/bundled/index.js',
      'lib/c.js',
      'node_modules/lib/index.js',
      'src/a.ts',
      'src/deep/b.js',
    ]);
    const both = await scan(root, { include: ['**/*.js'], exclude: ['dist/**'] });
    expect(both.candidates.map((c) => c.rel)).toEqual([
      'lib/c.js',
      'node_modules/lib/index.js',
      'node_modules/lib/node_modules/inner/index.js',
      'src/deep/b.js',
      'test/fixtures/f.js',
    ]);
  });

  it('includeDeps: false skips every node_modules directory and reports no packages', async () => {
    const root = tree(spec);
    const r = await scan(root, { includeDeps: false });
    expect(r.candidates.map((c) => c.rel)).toEqual(['dist/d.js', 'lib/c.js', 'src/a.test.ts', 'src/a.ts', 'src/deep/b.js', 'test/fixtures/f.js']);
    expect(r.packages).toBeUndefined();
    const withDeps = await scan(root);
    expect(withDeps.packages!.map((p) => `${p.name}@${p.version} ${p.dir} ${p.manifest}`)).toEqual([
      'lib@2.0.0 node_modules/lib node_modules/lib/package.json',
      'inner@0.1.0 node_modules/lib/node_modules/inner node_modules/lib/node_modules/inner/package.json',
    ]);
  });
});

describe('package attribution', () => {
  it('uses the nearest package.json with name and version, across dist package.json files and scopes', async () => {
    const root = tree({
      'node_modules/@scope/pkg/package.json': '{"name":"@scope/pkg","version":"1.2.3"}',
      'node_modules/@scope/pkg/dist/esm/package.json': '{"type":"module"}',
      'node_modules/@scope/pkg/dist/esm/index.js': HIT,
      'node_modules/@scope/pkg/sub/package.json': '{"name":"@scope/pkg-sub","version":"9.9.9"}',
      'node_modules/@scope/pkg/sub/index.js': HIT,
      'node_modules/noversion/package.json': '{"name":"noversion"}',
      'node_modules/noversion/index.js': HIT,
      'node_modules/broken/package.json': '{"name": "broken", ',
      'node_modules/broken/index.js': HIT,
      'node_modules/loose.js': HIT,
      'node_modules/.prisma/client/index.js': HIT,
      'node_modules/.cache/babel/x.js': HIT,
    });
    const r = await scan(root);
    expect(summary(r)).toEqual([
      ['node_modules/.prisma/client/index.js', 'dependency', null],
      ['node_modules/@scope/pkg/dist/esm/index.js', 'dependency', '@scope/pkg@1.2.3'],
      ['node_modules/@scope/pkg/sub/index.js', 'dependency', '@scope/pkg-sub@9.9.9'],
      ['node_modules/broken/index.js', 'dependency', null],
      ['node_modules/loose.js', 'dependency', null],
      ['node_modules/noversion/index.js', 'dependency', null],
    ]);
    expect(r.skipped.map((s) => s.file)).toEqual(['node_modules/broken/package.json']);
    expect(r.skipped[0]!.reason).toMatch(/^invalid package\.json \(/);
  });
});

describe('symbolic links', () => {
  /** A pnpm install: real packages in .pnpm, links at the top level and between store entries. */
  const pnpm: Spec = {
    'src/app.ts': MISS,
    'node_modules/.pnpm/hono@4.6.0/node_modules/hono/package.json': '{"name":"hono","version":"4.6.0"}',
    'node_modules/.pnpm/hono@4.6.0/node_modules/hono/dist/adapter/aws-lambda/handler.js': HIT,
    'node_modules/.pnpm/hono@4.6.0/node_modules/hono/dist/cjs/package.json': '{"type":"commonjs"}',
    'node_modules/.pnpm/hono@4.6.0/node_modules/hono/dist/cjs/handler.js': HIT,
    'node_modules/.pnpm/@middy+core@5.0.0/node_modules/@middy/core/package.json': '{"name":"@middy/core","version":"5.0.0"}',
    'node_modules/.pnpm/@middy+core@5.0.0/node_modules/@middy/core/index.js': HIT,
    'node_modules/.pnpm/@middy+core@5.0.0/node_modules/hono': { link: '../../hono@4.6.0/node_modules/hono' },
    'node_modules/.pnpm/node_modules/hono': { link: '../hono@4.6.0/node_modules/hono' },
    'node_modules/hono': { link: '.pnpm/hono@4.6.0/node_modules/hono' },
    'node_modules/@middy/core': { link: '../.pnpm/@middy+core@5.0.0/node_modules/@middy/core' },
    'node_modules/.bin/hono': { link: '../hono/dist/cjs/handler.js' },
  };

  it('scans a pnpm layout once per real file, at the real path, with the right package', async () => {
    const root = tree(pnpm);
    const r = await scan(root);
    expect(summary(r)).toEqual([
      ['node_modules/.pnpm/@middy+core@5.0.0/node_modules/@middy/core/index.js', 'dependency', '@middy/core@5.0.0'],
      ['node_modules/.pnpm/hono@4.6.0/node_modules/hono/dist/adapter/aws-lambda/handler.js', 'dependency', 'hono@4.6.0'],
      ['node_modules/.pnpm/hono@4.6.0/node_modules/hono/dist/cjs/handler.js', 'dependency', 'hono@4.6.0'],
    ]);
    expect(r.filesWalked).toBe(4);
    expect(r.skipped).toEqual([]);
    expect(r.packages!.map((p) => `${p.name}@${p.version} ${p.dir}`)).toEqual([
      '@middy/core@5.0.0 node_modules/.pnpm/@middy+core@5.0.0/node_modules/@middy/core',
      'hono@4.6.0 node_modules/.pnpm/hono@4.6.0/node_modules/hono',
    ]);
  });

  it('keeps a workspace package linked into node_modules a project file', async () => {
    const root = tree({
      'packages/lib/package.json': '{"name":"@org/lib","version":"0.0.0"}',
      'packages/lib/src/index.ts': HIT,
      'node_modules/@org/lib': { link: '../../packages/lib' },
    });
    expect(summary(await scan(root))).toEqual([['packages/lib/src/index.ts', 'project', null]]);
  });

  it('survives symlink cycles and loops, and notes loops and broken links', async () => {
    const root = tree({
      'src/a.ts': HIT,
      'src/up': { link: '..' },
      'src/self': { link: 'self' },
      'src/ping': { link: 'pong' },
      'src/pong': { link: 'ping' },
      'src/gone.js': { link: 'nowhere.js' },
      'node_modules/x/package.json': '{"name":"x","version":"1.0.0"}',
      'node_modules/x/node_modules/x': { link: '../../x' },
      'node_modules/x/index.js': HIT,
    });
    const r = await scan(root);
    expect(summary(r)).toEqual([
      ['node_modules/x/index.js', 'dependency', 'x@1.0.0'],
      ['src/a.ts', 'project', null],
    ]);
    expect(r.skipped).toEqual([
      { file: 'src/gone.js', reason: 'broken symlink' },
      { file: 'src/ping', reason: 'symlink loop' },
      { file: 'src/pong', reason: 'symlink loop' },
      { file: 'src/self', reason: 'symlink loop' },
    ]);
  });

  it('follows links out of the root only at node_modules package positions, once, under the link path', async () => {
    const outside = tree({
      'store/ext/package.json': '{"name":"ext","version":"3.0.0"}',
      'store/ext/index.js': HIT,
      'store/ext/node_modules/dep': { link: '../../dep' },
      'store/ext/node_modules/back': { link: '../../ext' },
      'store/dep/package.json': '{"name":"dep","version":"1.0.0"}',
      'store/dep/lib/index.js': HIT,
      'shared/util.ts': HIT,
      'shared/file.js': HIT,
    });
    const root = tree({
      'src/a.ts': MISS,
      'node_modules/ext': { link: path.join(outside, 'store/ext') },
      'node_modules/ext-again': { link: path.join(outside, 'store/ext') },
      'node_modules/@s/dep': { link: path.join(outside, 'store/dep') },
      'node_modules/lib/package.json': '{"name":"lib","version":"1.0.0"}',
      'node_modules/lib/vendored': { link: path.join(outside, 'store/dep') },
      'src/shared': { link: path.join(outside, 'shared') },
      'src/file.js': { link: path.join(outside, 'shared/file.js') },
    });
    const r = await scan(root);
    // ext is reached twice (two links) and itself links to dep (also linked as @s/dep): each is walked once.
    const rels = summary(r);
    expect(rels).toHaveLength(2);
    expect(rels.map((x) => x[2])).toEqual(expect.arrayContaining(['ext@3.0.0', 'dep@1.0.0']));
    expect(r.candidates.map((c) => c.abs).sort()).toEqual([path.join(outside, 'store/dep/lib/index.js'), path.join(outside, 'store/ext/index.js')]);
    expect(r.candidates.every((c) => c.origin === 'dependency' && c.rel.startsWith('node_modules/'))).toBe(true);
    expect(r.skipped).toEqual([
      { file: 'node_modules/lib/vendored', reason: 'symlink to a directory outside the scanned root (not followed)' },
      { file: 'src/file.js', reason: 'symlink to a file outside the scanned root (not followed)' },
      { file: 'src/shared', reason: 'symlink to a directory outside the scanned root (not followed)' },
    ]);
  });
});

describe('unreadable files and directories', () => {
  const spec: Spec = { 'src/ok.ts': HIT, 'src/locked.ts': HIT, 'src/closed/inner.ts': HIT };
  const expected = [
    { file: 'src/closed', reason: 'unreadable directory (EACCES)' },
    { file: 'src/locked.ts', reason: 'unreadable (EACCES)' },
  ];

  it.skipIf(isRoot)('notes EACCES and walks on', async () => {
    const root = tree(spec);
    fs.chmodSync(path.join(root, 'src/locked.ts'), 0o000);
    fs.chmodSync(path.join(root, 'src/closed'), 0o000);
    try {
      const r = await scan(root);
      expect(r.candidates.map((c) => c.rel)).toEqual(['src/ok.ts']);
      expect(r.skipped).toEqual(expected);
    } finally {
      fs.chmodSync(path.join(root, 'src/closed'), 0o755);
    }
  });

  // Root reads everything regardless of mode bits, so as root the same check runs in a child process with
  // the uid of "nobody", against the built walker (dist/code/walk.js, built by `npm test`). The checkout may
  // sit in a folder "nobody" cannot traverse (a fresh `mktemp -d` is 0700), so the walker, its modules and the two
  // packages it requires are copied into a traversable temp folder of their own first.
  const built = path.resolve(import.meta.dirname, '../../dist/code/walk.js');
  it.skipIf(!isRoot || !fs.existsSync(built))('notes EACCES and walks on (as root: checked as uid 65534)', () => {
    const root = tree(spec);
    fs.chmodSync(root, 0o755);
    for (const d of ['src', 'src/closed']) fs.chmodSync(path.join(root, d), 0o755);
    for (const f of ['src/ok.ts', 'src/closed/inner.ts']) fs.chmodSync(path.join(root, f), 0o644);
    fs.chmodSync(path.join(root, 'src/locked.ts'), 0o000);
    fs.chmodSync(path.join(root, 'src/closed'), 0o000);
    const walker = traversableCopyOfWalker(built);
    const script = `const { collectCandidates } = await import(${JSON.stringify(walker)});
const r = await collectCandidates({ root: ${JSON.stringify(root)}, includeDeps: true, tokens: ['awslambda'], workers: 0 });
process.stdout.write(JSON.stringify({ candidates: r.candidates.map((c) => c.rel), skipped: r.skipped }));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
    fs.chmodSync(path.join(root, 'src/closed'), 0o755);
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({ candidates: ['src/ok.ts'], skipped: expected });
  });
});

/** dist/code/walk.js with the packages it requires (ignore, picomatch), in a folder every user can read. */
function traversableCopyOfWalker(built: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sd-walker-')));
  const target = path.join(dir, 'dist/code/walk.js');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(built, target);
  // The walker's own module imports: the lockfile names and the lazy picomatch loader.
  for (const imported of ['code/lockfiles/names.js', 'util/picomatch.js']) {
    const to = path.join(dir, 'dist', imported);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(path.dirname(built), '..', imported), to);
  }
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
  for (const pkg of ['ignore', 'picomatch']) {
    fs.cpSync(path.dirname(createRequire(built).resolve(`${pkg}/package.json`)), path.join(dir, 'node_modules', pkg), { recursive: true });
  }
  for (const entry of [dir, ...fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((rel) => path.join(dir, rel))]) {
    fs.chmodSync(entry, fs.statSync(entry).isDirectory() ? 0o755 : 0o644);
  }
  return target;
}

describe('worker threads', () => {
  it('give the same result as the calling thread alone, also when started automatically', async () => {
    const spec: Spec = {};
    for (let i = 0; i < 900; i++) spec[`node_modules/p${i % 30}/f${i}.js`] = i % 97 === 0 ? HIT : i === 500 ? 'awslambda\0' : MISS;
    for (let i = 0; i < 30; i++) spec[`node_modules/p${i}/package.json`] = `{"name":"p${i}","version":"1.0.${i}"}`;
    spec['node_modules/p1/big.js'] = 'awslambda'.padEnd(300_000, ' ');
    const root = tree(spec);
    const single = await scan(root, { workers: 0, maxFileBytes: 200_000 });
    expect(single.candidates).toHaveLength(10);
    expect(single.skipped).toEqual([
      { file: 'node_modules/p1/big.js', reason: 'too large (0.3 MB)' },
      { file: 'node_modules/p20/f500.js', reason: 'binary (NUL byte in the first 8 KB)' },
    ]);
    for (const workers of [1, 2, undefined]) {
      const r = await collectCandidates({ root, includeDeps: true, tokens: TOKENS, maxFileBytes: 200_000, ...(workers === undefined ? {} : { workers }) });
      expect(r).toEqual(single);
    }
  });
});

describe('the pre-filter worker', () => {
  it.each([[[] as string[]], [['--input-type=module']]])('claims published chunks through the shared counter and reports each, then a final message (execArgv %j)', async (execArgv) => {
    const root = tree({ 'a.js': HIT, 'b.js': MISS, 'c.js': 'awslambda\0', 'd.js': HIT, 'e.js': ONLY_AWSLAMBDA });
    const ctrl = new Int32Array(new SharedArrayBuffer(16));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl: ctrl.buffer, port: port2, plan: planAnchors(TOKENS), dependencyPlan: planAnchors(TOKENS.filter((t) => t !== 'awslambda')), maxBytes: 1 << 20 },
      transferList: [port2],
      execArgv,
    });
    const messages: unknown[] = [];
    const finished = new Promise<void>((resolve, reject) => {
      port1.on('message', (m: { k: number }) => {
        messages.push(m);
        if (m.k < 0) resolve();
      });
      worker.once('error', reject);
    });
    port1.postMessage({ k: 0, files: [path.join(root, 'a.js'), path.join(root, 'b.js')], dependency: new Uint8Array(2) });
    port1.postMessage({ k: 1, files: [path.join(root, 'c.js'), path.join(root, 'd.js'), path.join(root, 'missing.js')], dependency: new Uint8Array(3) });
    // The same file as a project file (selected by `awslambda`), then as a dependency's (not: dependencyPlan).
    port1.postMessage({ k: 2, files: [path.join(root, 'e.js'), path.join(root, 'e.js')], dependency: Uint8Array.of(0, 1) });
    Atomics.store(ctrl, 1, 3); // published
    Atomics.store(ctrl, 2, 1); // walk done
    Atomics.notify(ctrl, 1);
    await finished;
    port1.close();
    await worker.terminate();
    expect(messages).toEqual([
      { k: 0, out: [[0, HIT]] },
      { k: 1, out: [[0, ['binary (NUL byte in the first 8 KB)']], [1, HIT], [2, ['unreadable (ENOENT)']]] },
      { k: 2, out: [[0, ONLY_AWSLAMBDA]] },
      { k: -1, out: [] },
    ]);
    expect(Atomics.load(ctrl, 3)).toBe(3); // candidates, for progress
  });
});

describe('progress', () => {
  it('reports the final counts last', async () => {
    const root = tree({ 'a.js': HIT, 'b.js': MISS, 'c.js': HIT });
    const calls: Array<[number, number]> = [];
    await scan(root, { onProgress: (w, c) => calls.push([w, c]) });
    expect(calls.at(-1)).toEqual([3, 2]);
  });
});

describe('the root', () => {
  it('must exist and be an absolute directory', async () => {
    await expect(scan('relative/dir')).rejects.toThrow('walk root must be absolute: relative/dir');
    await expect(scan(path.join(os.tmpdir(), 'sd-walk-does-not-exist'))).rejects.toThrow(/ENOENT/);
  });

  it('may itself be reached through a symlink', async () => {
    const real = tree({ 'a.js': HIT, 'node_modules/x/package.json': '{"name":"x","version":"1.0.0"}', 'node_modules/x/i.js': HIT });
    const linkDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sd-walk-link-'));
    made.push(linkDir);
    fs.symlinkSync(real, path.join(linkDir, 'root'));
    const r = await scan(path.join(linkDir, 'root'));
    expect(summary(r)).toEqual([
      ['a.js', 'project', null],
      ['node_modules/x/i.js', 'dependency', 'x@1.0.0'],
    ]);
    expect(r.candidates[0]!.abs).toBe(path.join(real, 'a.js'));
  });
});
