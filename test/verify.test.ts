/**
 * `stream-doctor verify` against the real runtime: aws-lambda-ric 3.3.0 and 4.0.2, installed on first use
 * into test/.tmp/ric (git-ignored; the first build takes about two minutes), each fixture handler in
 * test/fixtures/verify/<case>/index.mjs reproducing one behaviour of docs/runtime-behaviour.md. Asserts the
 * verdict per runtime × event, the rule ids, and that `scan` reports the same rule ids on the fixture.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyHandler, verdictWord, type VerifyOptions, type VerifyOutcome } from '../src/commands/verify.js';
import { ensureRic, missingTools } from '../src/verify/install.js';
import { parsePrelude } from '../src/verify/analyze.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'verify');
const CACHE = join(ROOT, 'test', '.tmp', 'ric');
const TIMEOUT = '1500ms';
const EVENTS = ['GET', 'HEAD', '204', '304', 'redirect', 'POST'];

const env = { ...process.env, STREAM_DOCTOR_RIC_CACHE: CACHE };
mkdirSync(join(ROOT, 'test', '.tmp'), { recursive: true });

async function verify(fixture: string, extra: Partial<VerifyOptions> = {}): Promise<VerifyOutcome> {
  let out = '';
  const outcome = await verifyHandler(
    { handler: 'index.handler', root: join(FIXTURES, fixture), runtime: 'both', events: [], timeout: TIMEOUT, passEnv: [], format: 'json', failOn: 'error', color: false, verbose: false, ...extra },
    { stdout: (t) => (out += t), stderr: () => {}, progressEnabled: false, cwd: ROOT, env },
  );
  JSON.parse(out);
  return outcome;
}

function verdicts(outcome: VerifyOutcome, lineage: '3.x' | '4.x'): Record<string, string> {
  return Object.fromEntries(outcome.runs.filter((r) => r.lineage === lineage).map((r) => [r.event, verdictWord(r.diagnosis)]));
}

function all(word: string): Record<string, string> {
  return Object.fromEntries(EVENTS.map((e) => [e, word]));
}

function ruleIds(outcome: VerifyOutcome): string[] {
  return [...new Set(outcome.report.findings.map((f) => f.ruleId))].sort();
}

function scanRuleIds(fixture: string): string[] {
  const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'stream-doctor.js'), 'scan', join(FIXTURES, fixture), '--format', 'json', '--fail-on', 'none'], { encoding: 'utf8' });
  const json = JSON.parse(out) as { findings: Array<{ ruleId: string }> };
  return [...new Set(json.findings.map((f) => f.ruleId))].sort();
}

/** Runtime processes of this file's fixtures still alive (other test files run handlers at the same time). */
function runtimeAlive(): number {
  const ps = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.stdout
    .split('\n')
    .filter((l) => l.includes(CACHE))
    .filter((l) => {
      try {
        return readlinkSync(`/proc/${l.trim().split(/\s+/)[0]}/cwd`).startsWith(FIXTURES);
      } catch {
        return false; // exited since ps ran
      }
    }).length;
}

describe('verify under aws-lambda-ric', () => {
  beforeAll(async () => {
    // Shared cache: a no-op once built. CI machines need cmake make g++ python3 autoconf automake libtool.
    for (const lineage of ['3.x', '4.x'] as const) await ensureRic(lineage, CACHE, { env, progress: () => {} });
  }, 600_000);

  it('a correct handler completes on both runtimes with its status, headers and cookies', async () => {
    const outcome = await verify('correct');
    expect(verdicts(outcome, '3.x')).toEqual(all('completed'));
    expect(verdicts(outcome, '4.x')).toEqual(all('completed'));
    expect(ruleIds(outcome)).toEqual([]);
    expect(scanRuleIds('correct')).toEqual([]);
    const get = outcome.runs.find((r) => r.lineage === '4.x' && r.event === 'GET')!.diagnosis;
    expect(get.client).toMatchObject({ status: 200, cookies: ['sid=1'], source: 'prelude' });
    expect(get.ttfbMs).toBeGreaterThanOrEqual(0);
    const redirect = outcome.runs.find((r) => r.lineage === '3.x' && r.event === 'redirect')!.diagnosis;
    expect(redirect.client).toMatchObject({ status: 302, headers: { location: '/' }, bodyBytes: 0 });
    expect(outcome.exitCode).toBe(0);
  }, 60_000);

  it('a body-less path that never ends hangs on both runtimes: stream-never-ended', async () => {
    const outcome = await verify('hang');
    const expected = { GET: 'completed', HEAD: 'hung', '204': 'hung', '304': 'hung', redirect: 'hung', POST: 'completed' };
    expect(verdicts(outcome, '3.x')).toEqual(expected);
    expect(verdicts(outcome, '4.x')).toEqual(expected);
    expect(ruleIds(outcome)).toEqual(['stream-never-ended']);
    expect(outcome.report.findings.map((f) => f.field).sort()).toEqual(['3.x 204', '3.x 304', '3.x HEAD', '3.x redirect', '4.x 204', '4.x 304', '4.x HEAD', '4.x redirect']);
    expect(outcome.report.findings.every((f) => f.file === 'index.mjs')).toBe(true);
    expect(scanRuleIds('hang')).toEqual(ruleIds(outcome));
    expect(outcome.exitCode).toBe(1);
    expect(runtimeAlive()).toBe(0);
  }, 60_000);

  it('a slow stream still writing when the wait ends is "still streaming", not a hang: no finding, never a pass', async () => {
    const outcome = await verify('slow-stream', { runtime: '4.x', only: ['GET'] });
    expect(verdicts(outcome, '4.x')).toEqual({ GET: 'still streaming' });
    expect(outcome.report.findings).toEqual([]);
    expect(outcome.report.inconclusive).toBe('Nothing was verified to end: 1 invocation still streaming when --timeout 1.5 s passed; raise --timeout');
    expect(outcome.exitCode).toBe(1);
    // Given the time, the same handler completes.
    expect(verdicts(await verify('slow-stream', { runtime: '4.x', only: ['GET'], timeout: '6s' }), '4.x')).toEqual({ GET: 'completed' });
  }, 60_000);

  it('one late burst of body and no end() is still a hang: stream-never-ended', async () => {
    const outcome = await verify('late-burst', { runtime: '4.x', only: ['GET'] });
    expect(verdicts(outcome, '4.x')).toEqual({ GET: 'hung' });
    expect(outcome.report.findings.map((f) => `${f.ruleId}/${f.messageId}`)).toEqual(['stream-never-ended/neverEndedAfterBody']);
  }, 60_000);

  it('from() then end() without write completes without a prelude: prelude-not-flushed', async () => {
    const outcome = await verify('lost-prelude');
    expect(verdicts(outcome, '3.x')).toEqual(all('completed'));
    expect(verdicts(outcome, '4.x')).toEqual(all('completed'));
    expect(ruleIds(outcome)).toEqual(['prelude-not-flushed']);
    const redirect = outcome.runs.find((r) => r.event === 'redirect')!.diagnosis;
    expect(redirect.client).toMatchObject({ status: 200, source: 'no-prelude' });
    expect(scanRuleIds('lost-prelude')).toEqual(ruleIds(outcome));
  }, 60_000);

  it('write after end crashes the runtime on both lineages: write-after-end', async () => {
    const outcome = await verify('write-after-end');
    expect(verdicts(outcome, '3.x')).toEqual(all('crashed'));
    expect(verdicts(outcome, '4.x')).toEqual(all('crashed'));
    const v3 = outcome.runs.find((r) => r.lineage === '3.x' && r.event === 'GET')!.diagnosis;
    const v4 = outcome.runs.find((r) => r.lineage === '4.x' && r.event === 'GET')!.diagnosis;
    expect(v3.exit?.code).toBe(128);
    expect(v3.functionError?.type).toBe('Runtime.UnhandledPromiseRejection');
    expect(v4.exit?.code).toBe(1);
    expect(ruleIds(outcome)).toEqual(['write-after-end']);
    expect(scanRuleIds('write-after-end')).toEqual(ruleIds(outcome));
  }, 60_000);

  it('a module-scope interval keeps 3.x running after the response; 4.x completes: event-loop-keeps-invocation-alive', async () => {
    const outcome = await verify('event-loop', { only: ['GET', 'redirect'] });
    expect(verdicts(outcome, '3.x')).toEqual({ GET: 'completed, kept running', redirect: 'completed, kept running' });
    expect(verdicts(outcome, '4.x')).toEqual({ GET: 'completed', redirect: 'completed' });
    expect(ruleIds(outcome)).toEqual(['event-loop-keeps-invocation-alive']);
    expect(outcome.report.findings.every((f) => f.field?.startsWith('3.x ') && f.severity === 'warning')).toBe(true);
    expect(outcome.exitCode).toBe(0);
    expect(scanRuleIds('event-loop')).toEqual(ruleIds(outcome));
    expect(runtimeAlive()).toBe(0);
  }, 60_000);

  it('end(data, cb) on 3.x never calls back, so the invocation keeps running; 4.x completes: end-callback-dropped', async () => {
    const outcome = await verify('end-callback', { only: ['GET', '204'] });
    expect(verdicts(outcome, '3.x')).toEqual({ GET: 'completed, kept running', '204': 'completed, kept running' });
    expect(verdicts(outcome, '4.x')).toEqual({ GET: 'completed', '204': 'completed' });
    expect(ruleIds(outcome)).toEqual(['end-callback-dropped']);
    expect(scanRuleIds('end-callback')).toEqual(ruleIds(outcome));
  }, 60_000);

  it('--event files, --runtime and the CLI: JSON report, exit codes', () => {
    const dir = mkdtempSync(join(ROOT, 'test', '.tmp', 'verify-'));
    const eventFile = join(dir, 'custom.json');
    writeFileSync(eventFile, JSON.stringify({ version: '2.0', rawPath: '/redirect', headers: {}, requestContext: { http: { method: 'GET' } } }));
    const res = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'stream-doctor.js'), 'verify', 'index.handler', '--root', join(FIXTURES, 'lost-prelude'), '--runtime', '4.x', '--event', eventFile, '--timeout', TIMEOUT, '--format', 'json'],
      { encoding: 'utf8', env, timeout: 60_000 },
    );
    expect(res.status).toBe(1);
    const json = JSON.parse(res.stdout) as { findings: Array<{ ruleId: string; field: string; file: string }> };
    expect(json.findings.map((f) => f.field)).toContain('4.x custom');
    expect(json.findings.every((f) => f.ruleId === 'prelude-not-flushed' && f.file === 'index.mjs')).toBe(true);
  }, 60_000);
});

describe('verify: cannot run', () => {
  it('names the missing build tools in one line and exits 2', () => {
    const emptyCache = mkdtempSync(join(ROOT, 'test', '.tmp', 'ric-empty-'));
    const bin = join(emptyCache, 'bin');
    mkdirSync(bin);
    const res = spawnSync(process.execPath, [join(ROOT, 'bin', 'stream-doctor.js'), 'verify', 'index.handler', '--root', join(FIXTURES, 'correct'), '--runtime', '3.x'], {
      encoding: 'utf8',
      env: { ...process.env, STREAM_DOCTOR_RIC_CACHE: emptyCache, PATH: bin },
      timeout: 30_000,
    });
    expect(res.status).toBe(2);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stream-doctor: cannot build aws-lambda-ric@3\.3\.0 .*missing npm, cmake, make, g\+\+, python3, autoreconf/);
    expect(missingTools('4.x', { PATH: bin })).not.toContain('autoreconf');
  });

  it('rejects a handler it cannot find and a timeout out of bounds', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'stream-doctor.js'), 'verify', ...args], { encoding: 'utf8', env, timeout: 30_000 });
    const missing = run('nope.handler', '--root', join(FIXTURES, 'correct'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/handler module not found: nope/);
    expect(run('index.handler', '--root', join(FIXTURES, 'correct'), '--timeout', '10m').status).toBe(2);
    expect(run('index', '--root', join(FIXTURES, 'correct')).status).toBe(2);
  });

  it('parses a prelude and its NUL delimiter', () => {
    const body = Buffer.concat([Buffer.from('{"statusCode":302,"headers":{"location":"/"}}'), Buffer.alloc(8), Buffer.from('x')]);
    expect(parsePrelude(body)?.json.statusCode).toBe(302);
    expect(parsePrelude(Buffer.from('plain body'))).toBeUndefined();
  });
});
