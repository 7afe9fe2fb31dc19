/** The CLI as a user meets it: the built bin, real files, exit codes, output that parses. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempProject } from './support/temp-project.js';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');

function run(args: string[], cwd = repo, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const HANGING = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
  const res = await fetch(event.url);
  if (res.body) {
    const w = awslambda.HttpResponseStream.from(stream, { statusCode: res.status });
    w.write("x");
    w.end();
  }
});
`;

const CORRECT = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
  const w = awslambda.HttpResponseStream.from(stream, { statusCode: 204 });
  w.write("");
  w.end();
});
`;

const project = (files: Record<string, string | Buffer>): string => tempProject('sd-cli-', files);

describe('scan exit codes and formats', () => {
  it('exits 1 with an error finding, and the JSON names rule, file, line and column', () => {
    const dir = project({ 'src/handler.mjs': HANGING });
    const { code, stdout } = run(['scan', dir, '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.tool.name).toBe('stream-doctor');
    expect(report.findings.map((f: { ruleId: string; file: string; line: number; column: number; severity: string }) => [f.ruleId, f.file, f.line, f.column, f.severity])).toEqual([
      ['stream-never-ended', 'src/handler.mjs', 3, 3, 'error'],
    ]);
    expect(report.summary.error).toBe(1);
  });

  it('exits 0 on a correct handler', () => {
    const dir = project({ 'handler.mjs': CORRECT });
    const { code, stdout } = run(['scan', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('No problems found');
  });

  it('--fail-on none exits 0 even with errors; --fail-on info fails on info', () => {
    const dir = project({ 'handler.mjs': HANGING });
    expect(run(['scan', dir, '--fail-on', 'none']).code).toBe(0);
  });

  it('SARIF output has the rule, level and a repo-relative location', () => {
    const dir = project({ 'src/handler.mjs': HANGING });
    const { stdout } = run(['scan', dir, '--format', 'sarif']);
    const sarif = JSON.parse(stdout);
    const result = sarif.runs[0].results[0];
    expect(sarif.version).toBe('2.1.0');
    expect(result.ruleId).toBe('stream-never-ended');
    expect(result.level).toBe('error');
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('src/handler.mjs');
    expect(result.locations[0].physicalLocation.region.startLine).toBe(3);
  });

  it('github format prints a workflow annotation', () => {
    const dir = project({ 'handler.mjs': HANGING });
    const { stdout } = run(['scan', dir, '--format', 'github']);
    expect(stdout).toMatch(/^::error file=.*handler\.mjs,line=3,/m);
  });

  it('markdown format prints the pull request summary with rule links, and leaves the step summary alone', () => {
    const dir = project({ 'src/handler.mjs': HANGING });
    const summary = path.join(dir, 'step-summary.md');
    const { code, stdout } = run(['scan', '.', '--format', 'markdown', '--docs-url', 'https://example.com/sd/'], dir, { GITHUB_STEP_SUMMARY: summary });
    expect(code).toBe(1);
    expect(stdout.startsWith('## stream-doctor\n\n**1 problem** (1 error, 0 warnings, 0 info)')).toBe(true);
    expect(stdout).toContain('| error | [`stream-never-ended`](https://example.com/sd/docs/rules/stream-never-ended.md) | `src/handler.mjs:3` |');
    expect(existsSync(summary)).toBe(false);
    expect(run(['scan', '.', '--format', 'markdown', '--fail-on', 'none'], dir).code).toBe(0);
  });

  it('github format writes the same Markdown to $GITHUB_STEP_SUMMARY', () => {
    const dir = project({ 'src/handler.mjs': HANGING });
    const summary = path.join(dir, 'step-summary.md');
    const github = run(['scan', '.', '--format', 'github', '--docs-url', ''], dir, { GITHUB_STEP_SUMMARY: summary });
    expect(github.code).toBe(1);
    expect(readFileSync(summary, 'utf8')).toBe(run(['scan', '.', '--format', 'markdown', '--docs-url', ''], dir).stdout);
    expect(readFileSync(summary, 'utf8')).toContain('[`stream-never-ended`](docs/rules/stream-never-ended.md)');
  });

  it('gitlab format prints a Code Quality report with repository-relative paths and the JSON fingerprints', () => {
    const dir = project({ 'src/handler.mjs': HANGING });
    const parent = path.dirname(dir);
    const { code, stdout } = run(['scan', path.basename(dir), '--format', 'gitlab'], parent);
    expect(code).toBe(1);
    const json = JSON.parse(run(['scan', dir, '--format', 'json'], parent).stdout);
    expect(JSON.parse(stdout)).toEqual([
      {
        description: json.findings[0].message,
        check_name: 'stream-never-ended',
        fingerprint: json.findings[0].fingerprint,
        severity: 'critical',
        location: { path: `${path.basename(dir)}/src/handler.mjs`, lines: { begin: 3 } },
      },
    ]);
    const clean = project({ 'handler.mjs': CORRECT });
    expect(run(['scan', clean, '--format', 'gitlab'])).toMatchObject({ code: 0, stdout: '[]\n' });
  });

  it('exits 2 with one line for a missing path, a bad option, and a broken config', () => {
    const missing = run(['scan', '/nonexistent/stream-doctor-path']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(run(['scan', '--format', 'xml']).code).toBe(2);
    const dir = project({ 'handler.mjs': CORRECT, 'stream-doctor.config.json': '{ not json' });
    const broken = run(['scan', dir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/stream-doctor\.config\.json/);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('configuration, suppressions and baseline', () => {
  it('config can turn a rule off', () => {
    const dir = project({ 'handler.mjs': HANGING, 'stream-doctor.config.json': JSON.stringify({ rules: { 'stream-never-ended': 'off' } }) });
    expect(run(['scan', dir]).code).toBe(0);
  });

  it('an inline directive with a reason suppresses; one without a reason does not', () => {
    const suppressed = HANGING.replace('  if (res.body)', '  // stream-doctor-disable-next-line stream-never-ended -- body is never null here\n  if (res.body)');
    const dir = project({ 'a.mjs': suppressed });
    const report = JSON.parse(run(['scan', dir, '--format', 'json']).stdout);
    expect(report.findings).toEqual([]);
    expect(report.suppressed.map((f: { ruleId: string }) => f.ruleId)).toEqual(['stream-never-ended']);
    const noReason = HANGING.replace('  if (res.body)', '  // stream-doctor-disable-next-line stream-never-ended\n  if (res.body)');
    const dir2 = project({ 'a.mjs': noReason });
    expect(run(['scan', dir2]).code).toBe(1);
    // A directive that suppresses nothing is noted (listed with --verbose).
    const unused = CORRECT.replace('  w.end();', '  // stream-doctor-disable-next-line write-after-end -- double end is fine\n  w.end();');
    const dir3 = project({ 'c.mjs': unused });
    const report3 = JSON.parse(run(['scan', dir3, '--format', 'json']).stdout);
    expect(report3.skipped).toEqual([{ file: 'c.mjs', reason: 'line 4: unused stream-doctor-disable directive for write-after-end' }]);
  });

  it('a baseline hides known findings and fails only on new ones', () => {
    const dir = project({ 'a.mjs': HANGING });
    expect(run(['scan', dir, '--update-baseline']).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, '.stream-doctor-baseline.json'), 'utf8')).findings).toHaveLength(1);
    expect(run(['scan', dir, '--baseline', '.stream-doctor-baseline.json']).code).toBe(0);
    writeFileSync(path.join(dir, 'b.mjs'), HANGING);
    const again = run(['scan', dir, '--baseline', '.stream-doctor-baseline.json', '--format', 'json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).findings.map((f: { file: string }) => f.file)).toEqual(['b.mjs']);
  });
});

describe('helpers imported from other modules', () => {
  it('follows a relative import to prove a path, and stays quiet when the module cannot be read', () => {
    const dir = project({
      'src/send.ts': 'export async function sendBody(stream: any, body: string) {\n  const w = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });\n  w.write(body);\n  w.end();\n}\n',
      'src/handler.ts': [
        'import { sendBody } from "./send.js";',
        'import { missing } from "./does-not-exist.js";',
        'export const a = awslambda.streamifyResponse(async (event: any, responseStream: any) => {',
        '  const body = await load(event);',
        '  if (body) await sendBody(responseStream, body);',
        '});',
        'export const b = awslambda.streamifyResponse(async (event: any, responseStream: any) => {',
        '  await missing(responseStream);',
        '});',
        '',
      ].join('\n'),
    });
    const report = JSON.parse(run(['scan', dir, '--format', 'json']).stdout);
    expect(report.findings.map((f: { ruleId: string; file: string; line: number }) => `${f.file}:${f.line} ${f.ruleId}`)).toEqual([
      'src/handler.ts:5 stream-never-ended',
    ]);
  });
});

describe('code findings that depend on the runtime version', () => {
  const handler = `import pg from "pg";\nconst pool = new pg.Pool();\nexport const handler = awslambda.streamifyResponse(async (event, stream) => {\n  const w = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });\n  w.write(String(await pool.query("select 1")));\n  w.end();\n});\n`;
  const template = (runtime: string) =>
    `Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: handler.handler\n      Runtime: ${runtime}\n      Timeout: 60\n`;
  it('keeps event-loop-keeps-invocation-alive on nodejs20.x and drops it when the handler only runs on nodejs24.x', () => {
    const ids = (runtime: string) =>
      JSON.parse(run(['scan', project({ 'src/handler.mjs': handler, 'template.yaml': template(runtime) }), '--format', 'json', '--fail-on', 'none']).stdout).findings.map(
        (f: { ruleId: string }) => f.ruleId,
      );
    expect(ids('nodejs20.x')).toContain('event-loop-keeps-invocation-alive');
    expect(ids('nodejs24.x')).not.toContain('event-loop-keeps-invocation-alive');
  });
});

describe('Lambda Managed Instances', () => {
  it('reports module-scope state shared by concurrent invocations, at CapacityProviderConfig', () => {
    const report = JSON.parse(run(['scan', path.join(repo, 'test/fixtures/deploy-mi'), '--format', 'json', '--fail-on', 'none']).stdout);
    expect(report.findings.map((f: { ruleId: string; file: string; line: number }) => `${f.file}:${f.line} ${f.ruleId}`)).toEqual([
      'template.yaml:10 managed-instances-shared-state',
    ]);
    expect(report.findings[0].message).toContain('`currentUser` (src/index.mjs:1), `seen` (src/index.mjs:2)');
  });
});

describe('known-bad versions before npm install (a lockfile, no node_modules)', () => {
  const lock = readFileSync(path.join(repo, 'test/fixtures/lockfiles/npm-v3/package-lock.json'), 'utf8');
  const manifest = readFileSync(path.join(repo, 'test/fixtures/lockfiles/npm-v3/package.json'), 'utf8');
  type JsonFinding = { ruleId: string; severity: string; file: string; line: number; package?: { name: string; version: string }; message: string };

  it('reports an affected hono at its package-lock.json line as an error when the project imports streamHandle', () => {
    const dir = project({
      'package.json': manifest,
      'package-lock.json': lock,
      'src/index.ts': "import { Hono } from 'hono';\nimport { streamHandle } from 'hono/aws-lambda';\n\nconst app = new Hono();\nexport const handler = streamHandle(app);\n",
    });
    const { code, stdout } = run(['scan', dir, '--format', 'json']);
    expect(code).toBe(1);
    const hono = (JSON.parse(stdout).findings as JsonFinding[]).filter((f) => f.package?.name === 'hono');
    expect(hono.map((f) => [f.ruleId, f.severity, f.file, f.line])).toEqual([['known-bad-version', 'error', 'package-lock.json', 118]]);
    expect(lock.split('\n')[117]).toBe('    "node_modules/hono": {');
    expect(hono[0]!.message).toContain('src/index.ts:2 imports streamHandle from hono/aws-lambda');

    const text = run(['scan', dir]);
    expect(text.stdout).toContain('118:1  error    hono@4.1.4 is affected by hono-bodyless-metadata-skipped');
  });

  it('reports it as info and exits 0 at --fail-on error when nothing in the project streams', () => {
    const dir = project({
      'package.json': manifest,
      'package-lock.json': lock,
      'src/index.ts': "import { Hono } from 'hono';\nimport { handle } from 'hono/aws-lambda';\n\nexport const handler = handle(new Hono());\n",
    });
    const { code, stdout } = run(['scan', dir, '--format', 'json', '--fail-on', 'error']);
    expect(code).toBe(0);
    const known = (JSON.parse(stdout).findings as JsonFinding[]).filter((f) => f.ruleId === 'known-bad-version');
    expect(known.map((f) => [f.package?.name, f.severity, f.file, f.line])).toEqual([
      ['@middy/core', 'info', 'package-lock.json', 26],
      ['hono', 'info', 'package-lock.json', 118],
    ]);
    expect(run(['scan', dir, '--fail-on', 'info']).code).toBe(1);
  });

  it('notes a binary bun.lockb it cannot read', () => {
    const dir = project({ 'package.json': manifest, 'bun.lockb': Buffer.from([0x23, 0x21, 0x2f, 0x00, 0x01]), 'src/index.ts': 'export const a = 1;\n' });
    const { code, stdout } = run(['scan', dir, '--format', 'json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).skipped).toContainEqual({ file: 'bun.lockb', reason: expect.stringMatching(/^binary bun\.lockb is not readable/) });
  });
});

describe('bad input never stops the scan', () => {
  it('skips binary and looping input with notes, reports a streaming module that does not parse, and still reports the rest', () => {
    const dir = project({
      'good.mjs': HANGING,
      'broken.mjs': 'export const handler = awslambda.streamifyResponse(async (e, s) => { if (',
      'binary.js': 'awslambda.streamifyResponse\u0000\u0001\u0002',
      'nested.mjs': `export const h = awslambda.streamifyResponse(async (e, s) => { ${'if (e) { '.repeat(3000)}s.end();${' }'.repeat(3000)} });`,
      'loops.mjs': `export const h = awslambda.streamifyResponse(async (e, s) => { ${'for (const a of e) { let f = a; if (a) { s.write(a); f = false } else continue; '.repeat(40)}${'}'.repeat(40)} s.end(); });`,
      'bad-utf8.js': Buffer.concat([Buffer.from('export const h = awslambda.streamifyResponse(async (e, s) => { s.write("'), Buffer.from([0xff, 0xfe]), Buffer.from('"); s.end(); });')]),
    });
    symlinkSync(dir, path.join(dir, 'loop'));
    const { code, stdout } = run(['scan', dir, '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    // a streaming module of the project that does not parse cannot load on Lambda either: a finding, not a note
    expect(report.findings.map((f: { file: string; ruleId: string }) => `${f.ruleId} ${f.file}`).sort()).toEqual(['handler-syntax-error broken.mjs', 'stream-never-ended good.mjs']);
    const skipped = report.skipped.map((s: { file: string }) => s.file);
    expect(skipped).not.toContain('broken.mjs');
    expect(skipped).toContain('binary.js');
    const reasons = Object.fromEntries(report.skipped.map((s: { file: string; reason: string }) => [s.file, s.reason]));
    expect(reasons['nested.mjs']).toBe('too deeply nested to analyse');
    expect(reasons['loops.mjs']).toBe('too complex to analyse within bounds');
    expect(skipped).not.toContain('bad-utf8.js');
  });
});

describe('rules and explain', () => {
  it('lists every rule and explains one', () => {
    const list = run(['rules', '--format', 'json']);
    expect(list.code).toBe(0);
    const ids = JSON.parse(list.stdout).map((r: { id: string }) => r.id);
    expect(ids).toContain('stream-never-ended');
    expect(ids).toContain('known-bad-version');
    const explained = run(['explain', 'stream-never-ended']);
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(/stream-never-ended/);
    expect(run(['explain', 'no-such-rule']).code).toBe(2);
  });

  it('explains the rules only probe and verify report', () => {
    const ids = JSON.parse(run(['rules', '--format', 'json']).stdout).map((r: { id: string }) => r.id);
    for (const id of ['protocol-not-chunked', 'stream-still-open']) {
      expect(ids).toContain(id);
      const explained = run(['explain', id]);
      expect(explained.code, explained.stderr).toBe(0);
      expect(explained.stdout.startsWith(`# ${id}\n`)).toBe(true);
    }
  });
});

describe('the bundled examples', () => {
  it('reproduce the seed scenarios', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-examples-'));
    cpSync(path.join(repo, 'examples'), dir, { recursive: true });
    const report = JSON.parse(run(['scan', dir, '--format', 'json', '--no-deps']).stdout);
    const got = report.findings
      .filter((f: { severity: string }) => f.severity !== 'info')
      .map((f: { ruleId: string; file: string; line: number }) => `${f.file}:${f.line} ${f.ruleId}`);
    expect(got).toEqual([
      'express-chat-streaming/lambda.js:10 event-loop-keeps-invocation-alive',
      'express-chat-streaming/lambda.js:30 metadata-after-write',
      'express-chat-streaming/lambda.js:33 nonexistent-stream-api',
      // seed 001's template: default 3 s timeout, public URL, and URL CORS on top of Express's cors()
      'express-chat-streaming/template.yaml:6 streaming-timeout-too-short',
      'express-chat-streaming/template.yaml:18 public-function-url',
      'express-chat-streaming/template.yaml:20 duplicate-cors',
      // seed 002: the Dockerfile's adapter has no AWS_LWA_INVOKE_MODE while Terraform's URL streams
      'fastapi-lwa-terraform/Dockerfile:2 web-adapter-mode-mismatch',
      // seed 002's Mangum dashboard: the app streams SSE, Mangum buffers it
      'fastapi-lwa-terraform/main.tf:25 app-stream-buffered-by-adapter',
      'nitro-bodyless-hang/lambda.mjs:8 event-loop-keeps-invocation-alive',
      'nitro-bodyless-hang/lambda.mjs:18 stream-never-ended',
    ]);
    // seed 003: the exec wrapper in front of a streaming function is an info note
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toContain('exec-wrapper-proxies-runtime-api');
    // environment values from the template never reach the output, not even in the text report's code frames
    expect(JSON.stringify(report)).not.toMatch(/secret@db|hf_not_a_real_key/);
    const text = run(['scan', dir, '--no-deps', '--fail-on', 'none']).stdout;
    expect(text).toContain('duplicate-cors');
    expect(text).not.toMatch(/secret@db|hf_not_a_real_key|127\.0\.0\.1:9009/);
  });
});
