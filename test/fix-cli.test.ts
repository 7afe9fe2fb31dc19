/** `stream-doctor fix` as a user meets it: the built CLI on a temporary project, and the safe writer. */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FixRefused, writeAll } from '../src/fix/write.js';
import { tempProject } from './support/temp-project.js';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');

function run(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const project = (files: Record<string, string>): string => tempProject('sd-fix-', files);

const REDIRECT = `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 302, headers: { location: "/login" } });
  stream.end();
});
`;

describe('fix: diff, --write, idempotence, re-scan', () => {
  it('shows a diff and changes nothing without --write', () => {
    const dir = project({ 'src/handler.mjs': REDIRECT });
    const result = run(['fix', '.'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--- a/src/handler.mjs\n+++ b/src/handler.mjs\n@@');
    expect(result.stdout).toContain('+  responseStream.write("");');
    expect(result.stdout).toContain('1 fix would apply in 1 file');
    expect(readFileSync(path.join(dir, 'src/handler.mjs'), 'utf8')).toBe(REDIRECT);
  });

  it('--write applies it, scan no longer reports it, a second --write changes nothing', () => {
    const dir = project({ 'src/handler.mjs': REDIRECT });
    chmodSync(path.join(dir, 'src/handler.mjs'), 0o640);
    expect(JSON.parse(run(['scan', '.', '--format', 'json'], dir).stdout).findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(['prelude-not-flushed']);
    const write = run(['fix', '.', '--write'], dir);
    expect(write.code).toBe(0);
    expect(write.stderr).toBe('stream-doctor: wrote 1 fix to 1 file\n');
    const fixed = readFileSync(path.join(dir, 'src/handler.mjs'), 'utf8');
    expect(fixed).toBe(REDIRECT.replace('stream.end();', 'responseStream.write("");\n  stream.end();'));
    expect(statSync(path.join(dir, 'src/handler.mjs')).mode & 0o777).toBe(0o640);
    expect(readdirSync(path.join(dir, 'src'))).toEqual(['handler.mjs']); // no temp file left behind
    const rescan = run(['scan', '.', '--format', 'json'], dir);
    expect(rescan.code).toBe(0);
    expect(JSON.parse(rescan.stdout).findings).toEqual([]);
    const again = run(['fix', '.', '--write'], dir);
    expect(again.stdout).toContain('Nothing to fix');
    expect(readFileSync(path.join(dir, 'src/handler.mjs'), 'utf8')).toBe(fixed);
  });

  it('--rule limits the fixes; JSON output parses', () => {
    const dir = project({ 'src/handler.mjs': REDIRECT });
    const other = JSON.parse(run(['fix', '.', '--rule', 'stream-never-ended', '--format', 'json'], dir).stdout);
    expect(other.files).toEqual([]);
    const json = JSON.parse(run(['fix', '.', '--format', 'json'], dir).stdout);
    expect(json.files[0]).toMatchObject({ file: 'src/handler.mjs', changed: true, applied: [{ ruleId: 'prelude-not-flushed', line: 3 }] });
    expect(json.written).toBe(false);
  });

  it('never edits dependencies or build output in place, and respects inline suppressions', () => {
    const suppressed = REDIRECT.replace('  stream.end();', '  // stream-doctor-disable-next-line prelude-not-flushed -- the proxy adds the status\n  stream.end();');
    const dir = project({ 'node_modules/lib/index.mjs': REDIRECT, 'node_modules/lib/package.json': '{"name":"lib","version":"1.0.0"}', 'dist/handler.mjs': REDIRECT, 'src/ok.mjs': suppressed });
    const result = run(['fix', '.', '--write', '--no-deps'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Nothing to fix');
    expect(readFileSync(path.join(dir, 'node_modules/lib/index.mjs'), 'utf8')).toBe(REDIRECT);
    expect(readFileSync(path.join(dir, 'dist/handler.mjs'), 'utf8')).toBe(REDIRECT);
  });

  it('usage errors exit 2 with one line', () => {
    const dir = project({ 'src/handler.mjs': REDIRECT, 'empty/README.md': '# nothing here\n' });
    for (const [args, message] of [
      [['fix', '.', '--rule', 'no-such-rule'], 'unknown rule "no-such-rule" (see `stream-doctor rules`)'],
      [['fix', '.', '--upgrade'], '--upgrade changes package.json and the lockfile: use it with --write'],
      [['fix', 'missing-dir'], 'path not found: missing-dir'],
      // like scan: a fix that looked at nothing never says "Nothing to fix"
      [['fix', 'empty'], 'nothing to fix in empty: no JavaScript, TypeScript or Python source and no infrastructure file'],
    ] as const) {
      const result = run([...args], dir);
      expect(result.code).toBe(2);
      expect(result.stderr.trim()).toBe(`stream-doctor: ${message}`);
    }
  });
});

describe('fix: the bundled examples end to end', () => {
  it('fix --write removes every finding that has a mechanical fix; what is left is what needs a decision', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-fix-examples-'));
    cpSync(path.join(repo, 'examples'), dir, { recursive: true });
    const ruleIds = () =>
      (JSON.parse(run(['scan', '.', '--format', 'json'], dir).stdout).findings as Array<{ ruleId: string; file: string }>).map((f) => `${f.ruleId} ${f.file}`).sort();
    expect(ruleIds()).toContain('stream-never-ended nitro-bodyless-hang/lambda.mjs');
    const write = run(['fix', '.', '--write'], dir);
    expect(write.code).toBe(0);
    expect(write.stderr).toBe('stream-doctor: wrote 7 fixes to 4 files\n');
    expect(ruleIds()).toEqual([
      'app-stream-buffered-by-adapter fastapi-lwa-terraform/main.tf',
      'exec-wrapper-proxies-runtime-api runtime-api-proxy-layer/template.yaml',
      'metadata-after-write express-chat-streaming/lambda.js',
      'public-function-url express-chat-streaming/template.yaml',
      'streaming-timeout-too-short express-chat-streaming/template.yaml',
      'write-without-backpressure nitro-bodyless-hang/lambda.mjs',
      'write-without-backpressure runtime-api-proxy-layer/handler.mjs',
    ]);
    // the Nitro example: the body-less path now sends the prelude and ends; the pool no longer holds the invocation
    const nitro = readFileSync(path.join(dir, 'nitro-bodyless-hang/lambda.mjs'), 'utf8');
    expect(nitro).toContain('context.callbackWaitsForEmptyEventLoop = false;');
    expect(nitro).toContain('  } else {\n    awslambda.HttpResponseStream.from(responseStream, httpResponseMetadata);\n    responseStream.write("");\n    responseStream.end();');
    // seed 001: the URL keeps no CORS of its own; seed 002: the adapter streams
    expect(readFileSync(path.join(dir, 'express-chat-streaming/template.yaml'), 'utf8')).not.toMatch(/^\s+Cors:/m);
    expect(readFileSync(path.join(dir, 'fastapi-lwa-terraform/Dockerfile'), 'utf8')).toContain('ENV AWS_LWA_INVOKE_MODE=response_stream');
    const again = run(['fix', '.', '--write'], dir);
    expect(again.stdout).toContain('0 fixes applied in 0 files');
    expect(again.stderr).toBe('');
  });
});

describe('the safe writer', () => {
  it('refuses a symlink, a path outside the project, a file changed since it was read, and writes nothing then', () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'sd-outside-'));
    writeFileSync(path.join(outside, 'target.js'), 'outside\n');
    const dir = project({ 'a.js': 'a\n', 'b.js': 'b\n' });
    symlinkSync(path.join(outside, 'target.js'), path.join(dir, 'link.js'));
    symlinkSync(outside, path.join(dir, 'outdir'));
    const cases: Array<[Parameters<typeof writeAll>[1], string]> = [
      [[{ rel: 'a.js', original: 'a\n', text: 'A\n' }, { rel: 'link.js', original: 'outside\n', text: 'pwned\n' }], 'refusing to write link.js: it is a symbolic link'],
      [[{ rel: 'a.js', original: 'a\n', text: 'A\n' }, { rel: '../escape.js', original: null, text: 'x\n' }], 'refusing to write ../escape.js: outside the project'],
      [[{ rel: 'a.js', original: 'a\n', text: 'A\n' }, { rel: 'outdir/new.patch', original: null, text: 'x\n' }], 'refusing to write outdir/new.patch: its directory resolves outside the project'],
      [[{ rel: 'a.js', original: 'a\n', text: 'A\n' }, { rel: 'b.js', original: 'b before the user edited it\n', text: 'B\n' }], 'refusing to write b.js: it changed since it was read (unsaved edits?); run fix again'],
    ];
    for (const [plans, message] of cases) {
      expect(() => writeAll(dir, plans)).toThrow(new FixRefused(message));
      expect(readFileSync(path.join(dir, 'a.js'), 'utf8')).toBe('a\n');
    }
    expect(readFileSync(path.join(outside, 'target.js'), 'utf8')).toBe('outside\n');
    expect(readdirSync(outside)).toEqual(['target.js']);
  });

  it('creates new files inside the project and refuses to overwrite one that appeared', () => {
    const dir = project({ 'a.js': 'a\n' });
    writeAll(dir, [{ rel: 'patches/lib+1.0.0.patch', original: null, text: 'diff\n' }]);
    expect(readFileSync(path.join(dir, 'patches/lib+1.0.0.patch'), 'utf8')).toBe('diff\n');
    expect(() => writeAll(dir, [{ rel: 'patches/lib+1.0.0.patch', original: null, text: 'other\n' }])).toThrow('refusing to create patches/lib+1.0.0.patch: it already exists');
  });
});
