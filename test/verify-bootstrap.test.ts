/**
 * `stream-doctor verify --bootstrap` and `--exec-wrapper` (seed 003: a Runtime API proxy layer).
 *
 * - test/fixtures/verify-bootstrap/runtimes/*.mjs: small custom runtimes written for this test, each speaking
 *   the streaming protocol right or wrong in one way (buffered with Content-Length, no response-mode header,
 *   two responses for one id, a trailer body that is not base64 JSON, a pretty-printed NDJSON record);
 * - test/fixtures/verify-bootstrap/wrapped: seed 003's NDJSON handler under the real aws-lambda-ric (test/.tmp/ric,
 *   shared with test/verify.test.ts), started through exec wrappers that run a Runtime API proxy in front of it:
 *   streaming-aware (`pass`), seed 003's naive buffering of /response bodies (`buffer`), and one that keeps the
 *   headers but holds the body until the end (`hold`).
 */
import { chmodSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyHandler, verdictWord, type VerifyOptions, type VerifyOutcome } from '../src/commands/verify.js';
import { ensureRic } from '../src/verify/install.js';
import { errorBodyProblem, malformedNdjsonLine } from '../src/verify/protocol.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'verify-bootstrap');
const RUNTIMES = join(FIXTURES, 'runtimes');
const WRAPPED = join(FIXTURES, 'wrapped');
const CACHE = join(ROOT, 'test', '.tmp', 'ric');
const TIMEOUT = '1500ms';
const env = { ...process.env, STREAM_DOCTOR_RIC_CACHE: CACHE };

async function verify(extra: Partial<VerifyOptions>): Promise<VerifyOutcome> {
  let out = '';
  const outcome = await verifyHandler(
    { handler: 'index.handler', root: RUNTIMES, runtime: 'both', events: [], only: ['GET', 'POST'], timeout: TIMEOUT, passEnv: [], format: 'json', failOn: 'error', color: false, verbose: false, ...extra },
    { stdout: (t) => (out += t), stderr: () => {}, progressEnabled: false, cwd: ROOT, env },
  );
  JSON.parse(out);
  return outcome;
}

const bootstrap = (script: string) => verify({ bootstrap: `"${process.execPath}" ${script}` });

function ruleIds(outcome: VerifyOutcome): string[] {
  return [...new Set(outcome.report.findings.map((f) => f.ruleId))].sort();
}

function verdicts(outcome: VerifyOutcome): string[] {
  return outcome.runs.map((r) => `${r.lineage} ${r.event}: ${verdictWord(r.diagnosis)}`);
}

function alive(marker: string): number {
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(marker)).length;
}

describe('verify --bootstrap: a custom runtime against the recording Runtime API', () => {
  it('a correct streaming runtime completes without protocol findings; its mid-stream error trailers decode into handler-rejected', async () => {
    const outcome = await verify({ bootstrap: `"${process.execPath}" correct.mjs`, only: ['GET'], events: [join(FIXTURES, 'fail.json')] });
    expect(verdicts(outcome)).toEqual(['bootstrap GET: completed', 'bootstrap fail: failed']);
    const get = outcome.runs[0]!.diagnosis;
    expect(get.client).toMatchObject({ status: 200, headers: { 'content-type': 'application/x-ndjson' }, source: 'prelude' });
    expect(outcome.runs[1]!.diagnosis.functionError).toEqual({ type: 'Upstream.Failed', message: 'upstream went away', via: 'trailers' });
    // The failed invocation is the function's error, not a protocol problem.
    expect(outcome.report.findings.map((f) => [f.field, f.ruleId, f.messageId])).toEqual([['bootstrap fail', 'handler-rejected', 'afterFirstWrite']]);
    expect(outcome.report.findings[0]!.message).toMatch(/with Upstream\.Failed: upstream went away/);
    expect(outcome.exitCode).toBe(1);
    expect(alive(join(RUNTIMES, 'correct.mjs'))).toBe(0);
  }, 30_000);

  // bad-trailer.mjs fails every invocation mid-stream: the function error (handler-rejected) besides the protocol problem.
  const cases: Array<[string, string, RegExp, string?]> = [
    ['buffered.mjs', 'protocol-not-chunked', /Content-Length: \d+ instead of Transfer-Encoding: chunked/],
    ['no-mode.mjs', 'protocol-response-mode', /without Lambda-Runtime-Function-Response-Mode: streaming \(chunked\)/],
    ['two-responses.mjs', 'protocol-duplicate-response', /posted 2 responses for invocation verify-bootstrap-GET/],
    ['bad-trailer.mjs', 'protocol-error-trailers', /malformed error trailers: Lambda-Runtime-Function-Error-Body is not base64/, 'handler-rejected'],
    ['broken-ndjson.mjs', 'protocol-ndjson-malformed', /declared the body application\/x-ndjson but line 2 is not one JSON text/],
  ];
  for (const [script, rule, message, also] of cases) {
    it(`${script}: ${rule}`, async () => {
      const outcome = await bootstrap(script);
      const verdict = also ? 'failed' : 'completed';
      expect(verdicts(outcome)).toEqual([`bootstrap GET: ${verdict}`, `bootstrap POST: ${verdict}`]);
      expect(ruleIds(outcome)).toEqual([rule, ...(also ? [also] : [])].sort());
      const findings = outcome.report.findings.filter((f) => f.ruleId === rule);
      expect(findings.map((f) => f.field)).toEqual(['bootstrap GET', 'bootstrap POST']);
      expect(findings.every((f) => f.file === script && f.severity === 'error')).toBe(true);
      expect(findings[0]!.message).toMatch(message);
      expect(outcome.exitCode).toBe(1);
    }, 30_000);
  }

  it('the CLI: --bootstrap with sh -c, JSON out, exit 1; bootstrap and exec wrapper are exclusive', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin', 'stream-doctor.js'), 'verify', 'index.handler', '--root', RUNTIMES, ...args], { encoding: 'utf8', env, timeout: 30_000 });
    const res = cli('--bootstrap', `exec "${process.execPath}" no-mode.mjs`, '--timeout', TIMEOUT, '--format', 'json');
    expect(res.status, res.stderr).toBe(1);
    const json = JSON.parse(res.stdout) as { findings: Array<{ ruleId: string; field: string }> };
    expect(new Set(json.findings.map((f) => f.ruleId))).toEqual(new Set(['protocol-response-mode']));
    expect(json.findings).toHaveLength(6);
    const both = cli('--bootstrap', 'true', '--exec-wrapper', join(WRAPPED, 'wrapper-pass'));
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/cannot be combined/);
    expect(cli('--exec-wrapper', join(WRAPPED, 'nope')).stderr).toMatch(/--exec-wrapper not found/);
  }, 60_000);

  it('protocol helpers: NDJSON lines and the error body', () => {
    expect(malformedNdjsonLine(Buffer.from('{"a":1}\n{"b":2}\n'), false)).toBeUndefined();
    expect(malformedNdjsonLine(Buffer.from('{"a":1}\n{"b":'), true)).toBeUndefined();
    expect(malformedNdjsonLine(Buffer.from('{"a":1}\n{"b":'), false)?.line).toBe(2);
    expect(malformedNdjsonLine(Buffer.from('{"a":1}\n\n{"b":2}\n'), false)?.reason).toBe('an empty line');
    const good = Buffer.from(JSON.stringify({ errorType: 'E', errorMessage: 'm' })).toString('base64');
    expect(errorBodyProblem(good)).toBeUndefined();
    expect(errorBodyProblem(undefined)).toMatch(/no Lambda-Runtime-Function-Error-Body/);
    expect(errorBodyProblem(Buffer.from('nope').toString('base64'))).toMatch(/not of JSON/);
    expect(errorBodyProblem(Buffer.from('{"errorType":"E"}').toString('base64'))).toMatch(/no string errorMessage/);
  });
});

describe('verify --exec-wrapper: seed 003 Runtime API proxies in front of aws-lambda-ric', () => {
  beforeAll(async () => {
    // Git keeps the exec bit, but a copy may not: Lambda runs the wrapper directly.
    for (const name of readdirSync(WRAPPED)) if (name.startsWith('wrapper-')) chmodSync(join(WRAPPED, name), 0o755);
    for (const lineage of ['3.x', '4.x'] as const) await ensureRic(lineage, CACHE, { env, progress: () => {} });
  }, 600_000);

  const wrapped = (wrapper: string, extra: Partial<VerifyOptions> = {}) => verify({ root: WRAPPED, execWrapper: join(WRAPPED, wrapper), only: ['GET'], ...extra });

  it('a streaming-aware proxy changes nothing: only the handler\'s own failure on 3.x and 4.x', async () => {
    const outcome = await wrapped('wrapper-pass', { events: [join(FIXTURES, 'fail.json')] });
    expect(verdicts(outcome)).toEqual(['3.x GET: completed', '3.x fail: failed', '4.x GET: completed', '4.x fail: failed']);
    expect(outcome.report.findings.map((f) => [f.field, f.ruleId])).toEqual([
      ['3.x fail', 'handler-rejected'],
      ['4.x fail', 'handler-rejected'],
    ]);
    expect(outcome.runs.find((r) => r.event === 'fail')!.diagnosis.functionError?.via).toBe('trailers');
    expect(alive(join(WRAPPED, 'proxy.mjs'))).toBe(0);
  }, 60_000);

  it('seed 003 buffering /response bodies: exec-wrapper-proxies-runtime-api (mode header dropped, Content-Length, one burst, trailers lost)', async () => {
    const outcome = await wrapped('wrapper-buffer', { events: [join(FIXTURES, 'fail.json')] });
    expect(verdicts(outcome)).toEqual(['3.x GET: completed', '3.x fail: completed', '4.x GET: completed', '4.x fail: completed']);
    expect(ruleIds(outcome)).toEqual(['exec-wrapper-proxies-runtime-api']);
    const [get, fail] = outcome.report.findings.filter((f) => f.field?.startsWith('3.x'));
    expect(get!.message).toMatch(/without Lambda-Runtime-Function-Response-Mode: streaming \(Content-Length: \d+\)/);
    expect(get!.message).toMatch(/in one burst .* arrived over \d+ ms/);
    expect(fail!.message).toMatch(/dropped the error trailers: .*Error-Type: Error/);
    expect(outcome.report.findings.every((f) => f.file === 'index.mjs' && f.severity === 'error')).toBe(true);
    expect(outcome.report.findings[0]!.evidence).toMatch(/^Observed under aws-lambda-ric 3\.3\.0 behind .*wrapper-buffer/);
    expect(outcome.exitCode).toBe(1);
    expect(alive(join(WRAPPED, 'proxy.mjs'))).toBe(0);
  }, 60_000);

  it('a proxy that keeps the headers but holds the body: exec-wrapper-proxies-runtime-api from the timing alone', async () => {
    const outcome = await wrapped('wrapper-hold');
    expect(ruleIds(outcome)).toEqual(['exec-wrapper-proxies-runtime-api']);
    expect(outcome.report.findings).toHaveLength(2);
    for (const f of outcome.report.findings) {
      expect(f.message).toMatch(/in one burst/);
      expect(f.message).not.toMatch(/Response-Mode/);
    }
  }, 60_000);
});
