/**
 * `stream-doctor verify` never reports green for what did not work (issue 12, "No false green"), under the real
 * aws-lambda-ric 3.3.0 and 4.0.2 (test/.tmp/ric, shared with test/verify.test.ts):
 *
 * - a handler that cannot load (a missing package, a throw at import, a syntax error, a callback handler on 4.x)
 *   is an error finding, exit 1, and the text says that no event reached the handler; a run in which no event
 *   reached the handler never exits 0, whatever --fail-on says (test/fixtures/verify/init-failure);
 * - a handler that rejects, before or after the first write, is a finding from the error trailers, not
 *   "completed" (test/fixtures/verify/rejects, test/fixtures/verify/too-late);
 * - `--format json` gives every invocation as data (test/fixtures/verify/verdicts: one verdict per event).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyHandler, verdictWord, type VerifyOptions, type VerifyOutcome } from '../src/commands/verify.js';
import { ensureRic } from '../src/verify/install.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'stream-doctor.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'verify');
const CACHE = join(ROOT, 'test', '.tmp', 'ric');
const TIMEOUT = '1500ms';
const env = { ...process.env, STREAM_DOCTOR_RIC_CACHE: CACHE, NO_COLOR: '1' };

async function verify(fixture: string, extra: Partial<VerifyOptions> = {}): Promise<VerifyOutcome & { out: string }> {
  let out = '';
  const outcome = await verifyHandler(
    { handler: 'index.handler', root: join(FIXTURES, fixture), runtime: 'both', events: [], timeout: TIMEOUT, passEnv: [], format: 'text', failOn: 'error', color: false, verbose: false, ...extra },
    { stdout: (t) => (out += t), stderr: () => {}, progressEnabled: false, cwd: ROOT, env },
  );
  return { ...outcome, out };
}

function verdicts(outcome: VerifyOutcome): Record<string, string> {
  return Object.fromEntries(outcome.runs.map((r) => [`${r.lineage} ${r.event}`, verdictWord(r.diagnosis)]));
}

function ruleIds(outcome: VerifyOutcome): string[] {
  return [...new Set(outcome.report.findings.map((f) => f.ruleId))].sort();
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, 'verify', ...args, '--timeout', TIMEOUT], { encoding: 'utf8', env, timeout: 120_000 });
}

describe('verify: no false green', () => {
  beforeAll(async () => {
    for (const lineage of ['3.x', '4.x'] as const) await ensureRic(lineage, CACHE, { env, progress: () => {} });
  }, 600_000);

  const initCases: Array<[string, RegExp]> = [
    ['missing-package', /Cannot find package 'pg-not-installed-stream-doctor'/],
    ['throws', /Error: UPSTREAM_URL is not set/],
    ['syntax', /Runtime\.UserCodeSyntaxError: SyntaxError: missing \) after argument list/],
  ];
  for (const [module, error] of initCases) {
    it(`a handler that cannot load (${module}) is handler-init-failed on both runtimes, once per runtime, exit 1`, async () => {
      const outcome = await verify('init-failure', { handler: `${module}.handler`, only: ['GET', 'HEAD', '204'] });
      expect(Object.values(verdicts(outcome))).toEqual(Array(6).fill('init failed'));
      expect(ruleIds(outcome)).toEqual(['handler-init-failed']);
      const findings = outcome.report.findings;
      expect(findings.map((f) => f.field).sort()).toEqual(['3.x init', '4.x init']);
      for (const f of findings) {
        expect(f.severity).toBe('error');
        expect(f.file).toBe(`${module}.mjs`);
        expect(f.message).toMatch(error);
        expect(f.message).toMatch(/none of the 3 events \(GET, HEAD, 204\) reached the handler/);
      }
      expect(outcome.exitCode).toBe(1);
      expect(outcome.out).not.toContain('No problems found');
      expect(outcome.out).toMatch(/no event reached the handler/);
      expect(outcome.out).not.toMatch(/crashed/);
    }, 60_000);
  }

  it('a callback handler loads on 3.x and fails at init on 4.x: callback-handler-on-nodejs24 under 4.x only', async () => {
    const outcome = await verify('init-failure', { handler: 'callback.handler', only: ['GET'] });
    expect(verdicts(outcome)).toEqual({ '3.x GET': 'completed', '4.x GET': 'init failed' });
    expect(outcome.report.findings.map((f) => [f.ruleId, f.field])).toEqual([['callback-handler-on-nodejs24', '4.x init']]);
    expect(outcome.report.findings[0]!.message).toMatch(/Runtime\.CallbackHandlerDeprecated/);
    expect(outcome.out).toMatch(/no event reached the handler under aws-lambda-ric 4\.0\.2/);
    expect(outcome.exitCode).toBe(1);
  }, 60_000);

  it('the CLI never exits 0 and never says "No problems found" when no event reached the handler, even with --fail-on none', () => {
    for (const failOn of ['error', 'warning', 'none']) {
      const res = cli('throws.handler', '--root', join(FIXTURES, 'init-failure'), '--runtime', '4.x', '--fail-on', failOn);
      expect(res.status, `${failOn}: ${res.stderr}`).toBe(1);
      expect(res.stdout).not.toContain('No problems found');
      expect(res.stdout).toMatch(/no event reached the handler/);
      expect(res.stdout).toMatch(/handler-init-failed/);
    }
  }, 120_000);

  it('a handler that rejects after the first write, or before any output, is handler-rejected, not "completed"', async () => {
    const outcome = await verify('rejects', { only: ['GET', '204'] });
    expect(verdicts(outcome)).toEqual({ '3.x GET': 'failed', '3.x 204': 'failed', '4.x GET': 'failed', '4.x 204': 'failed' });
    expect(ruleIds(outcome)).toEqual(['handler-rejected']);
    const byField = Object.fromEntries(outcome.report.findings.map((f) => [f.field, f]));
    expect(Object.keys(byField).sort()).toEqual(['3.x 204', '3.x GET', '4.x 204', '4.x GET']);
    for (const lineage of ['3.x', '4.x']) {
      expect(byField[`${lineage} GET`]!.messageId).toBe('afterFirstWrite');
      expect(byField[`${lineage} GET`]!.message).toMatch(/rejected after the response had started \(status 200, \d+ body bytes\) with Error: upstream went away/);
      expect(byField[`${lineage} 204`]!.messageId).toBe('beforeAnyOutput');
      expect(byField[`${lineage} 204`]!.message).toMatch(/rejected before writing anything, with Error: no route for \/no-content/);
      expect(byField[`${lineage} GET`]!.severity).toBe('error');
    }
    const get = outcome.runs.find((r) => r.lineage === '4.x' && r.event === 'GET')!.diagnosis;
    expect(get.functionError).toEqual({ type: 'Error', message: 'upstream went away', via: 'trailers' });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.out).toMatch(/failed: the handler rejected with Error: upstream went away \(error trailers\)/);
    expect(outcome.out).not.toMatch(/verdict\s+completed/);
  }, 60_000);

  it('from() again after the first write ("too late") is metadata-after-write, as scan says, and not "completed"', async () => {
    const outcome = await verify('too-late', { only: ['GET'] });
    expect(verdicts(outcome)).toEqual({ '3.x GET': 'failed', '4.x GET': 'failed' });
    expect(ruleIds(outcome)).toEqual(['metadata-after-write']);
    expect(outcome.report.findings.map((f) => f.messageId)).toEqual(['tooLateAfterPrelude', 'tooLateAfterPrelude']);
    const scan = execFileSync(process.execPath, [BIN, 'scan', join(FIXTURES, 'too-late'), '--format', 'json', '--fail-on', 'none'], { encoding: 'utf8' });
    expect((JSON.parse(scan) as { findings: Array<{ ruleId: string }> }).findings.map((f) => f.ruleId)).toContain('metadata-after-write');
    expect(outcome.exitCode).toBe(1);
  }, 60_000);

  it('--format json: every invocation as data, with its verdict, and no header or cookie value', () => {
    const res = cli('index.handler', '--root', join(FIXTURES, 'verdicts'), '--format', 'json');
    expect(res.status, res.stderr).toBe(1);
    const json = JSON.parse(res.stdout) as { invocations: Array<Record<string, unknown>>; findings: Array<{ field: string; ruleId: string }> };
    const keys = ['id', 'runtime', 'ricVersion', 'event', 'verdict', 'status', 'headers', 'cookies', 'bodyBytes', 'firstByteMs', 'endMs', 'functionError', 'exit'];
    expect(json.invocations).toHaveLength(12);
    for (const inv of json.invocations) expect(Object.keys(inv)).toEqual(keys);
    const byId = Object.fromEntries(json.invocations.map((inv) => [inv.id, inv]));
    const verdictOf = (id: string) => byId[id]!.verdict;
    for (const lineage of ['3.x', '4.x']) {
      expect(verdictOf(`${lineage} GET`)).toBe('completed');
      expect(verdictOf(`${lineage} POST`)).toBe('completed');
      expect(verdictOf(`${lineage} HEAD`)).toBe('hung');
      expect(verdictOf(`${lineage} 204`)).toBe('failed');
      expect(verdictOf(`${lineage} 304`)).toBe('crashed');
    }
    expect(verdictOf('3.x redirect')).toBe('kept-running');
    expect(verdictOf('4.x redirect')).toBe('completed');
    const get = byId['4.x GET']!;
    expect(get).toMatchObject({ runtime: '4.x', ricVersion: '4.0.2', event: 'GET', status: 200, cookies: ['sid=<redacted>'], bodyBytes: 22, functionError: null, exit: null });
    expect(get.headers).toEqual({ 'content-type': 'text/plain', 'set-cookie': 'theme=<redacted>' });
    expect(typeof get.firstByteMs).toBe('number');
    expect(typeof get.endMs).toBe('number');
    expect(byId['3.x GET']!.ricVersion).toBe('3.3.0');
    // HEAD returns without ending the stream: not a byte was posted.
    expect(byId['4.x HEAD']).toMatchObject({ status: null, headers: {}, cookies: [], bodyBytes: null, firstByteMs: null, endMs: null, functionError: null, exit: null });
    expect(byId['4.x 204']).toMatchObject({ functionError: { type: 'Error', message: 'no route for /no-content', via: 'trailers' } });
    expect(byId['4.x 304']!.exit).toEqual({ code: 1, signal: null });
    expect(res.stdout).not.toContain('s3cr3t');
    // Every finding points at one of the invocations.
    for (const f of json.findings) expect(Object.keys(byId)).toContain(f.field);

    const init = cli('syntax.handler', '--root', join(FIXTURES, 'init-failure'), '--runtime', '3.x', '--format', 'json');
    expect(init.status).toBe(1);
    const initJson = JSON.parse(init.stdout) as { invocations: Array<Record<string, unknown>> };
    expect(initJson.invocations).toHaveLength(6);
    for (const inv of initJson.invocations) {
      expect(inv).toMatchObject({ runtime: '3.x', ricVersion: '3.3.0', verdict: 'init-failed', status: null, headers: {}, cookies: [], bodyBytes: null, firstByteMs: null, endMs: null });
      expect(inv.functionError).toMatchObject({ type: 'Runtime.UserCodeSyntaxError', via: '/init/error' });
    }
  }, 120_000);
});
