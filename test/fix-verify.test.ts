/**
 * `fix --verify`: the handlers a code fix touches run under aws-lambda-ric (the builds in test/.tmp/ric) before
 * and after the edit. Kept short: one runtime and one or two events per case (each run costs about a second).
 * - test/fixtures/fix-verify/bedrock-error-helper: the issue 13 regression where static analysis cannot see it
 *   (the catch's from() is in a helper of another module): prelude-not-flushed's write("") is refused, with
 *   the before/after difference (500 JSON → failed 200 with an empty body);
 * - test/fixtures/fix-verify/redirect: a good fix, kept and shown as verified (200 → 302);
 * - not verifiable: a dependency that is not installed, a handler calling the network at import.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixProject, type FixCommandOptions } from '../src/commands/fix.js';
import { ensureRic, missingTools } from '../src/verify/install.js';
import { functionUrlEvent } from '../src/verify/events.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'fix-verify');
const CACHE = path.join(ROOT, 'test', '.tmp', 'ric');
const env = { ...process.env, STREAM_DOCTOR_RIC_CACHE: CACHE };

function copy(fixture: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-fix-verify-'));
  cpSync(path.join(FIXTURES, fixture), dir, { recursive: true });
  return dir;
}

async function fix(dir: string, extra: Partial<FixCommandOptions> = {}) {
  let stdout = '';
  let stderr = '';
  const outcome = await fixProject(
    { path: '.', write: false, upgrade: false, deployment: false, deps: false, format: 'text', color: false, runtime: '4.x', timeout: '2s', verifyEvents: ['POST'], ...extra },
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), progressEnabled: false, cwd: dir, env },
  );
  return { outcome, stdout, stderr };
}

describe('fix --verify under aws-lambda-ric', () => {
  beforeAll(async () => {
    // Shared with test/verify.test.ts: a no-op once built.
    if (missingTools('4.x', env).length === 0) await ensureRic('4.x', CACHE, { env, progress: () => {} });
  }, 600_000);

  it('refuses the write("") that turns every bad request into a 200 with an empty body, with the before/after difference', async () => {
    const dir = copy('bedrock-error-helper');
    const prompt = path.join(dir, 'prompt.json');
    writeFileSync(prompt, JSON.stringify(functionUrlEvent({ method: 'POST', path: '/', body: '{"prompt":"hi"}' })));
    const original = readFileSync(path.join(dir, 'index.mjs'), 'utf8');
    const text = await fix(dir, { write: true, verify: true, stubs: ['@aws-sdk/client-bedrock-runtime=stubs/bedrock.mjs'], events: ['prompt.json'] });
    expect(text.outcome.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'index.mjs'), 'utf8')).toBe(original);
    expect(text.stdout).toContain('✖ index.mjs:22 prelude-not-flushed');
    expect(text.stdout).toMatch(/4\.x +POST +completed 500 application\/json 30 B +→ +failed 200 text\/plain 0 B \(Runtime\.InvalidStreamingOperation: Cannot set content-type, too late\.\) +completed → failed; status 500 → 200/);
    // The request with a prompt (the stubbed model answers) is not worse, so it is not in the table.
    expect(text.stdout).not.toMatch(/4\.x +prompt/);
    expect(text.stdout).toContain('(No automatic edit: running it made 4.x POST worse: completed 500 application/json 30 B → failed 200');

    const json = await fix(dir, { format: 'json', verify: true, stubs: ['@aws-sdk/client-bedrock-runtime=stubs/bedrock.mjs'], events: ['prompt.json'] });
    const file = (JSON.parse(json.stdout) as { files: Array<{ file: string; applied: unknown[]; refused: Array<{ ruleId: string; rows: Array<{ event: string; before: { status: number; verdict: string; bodyBytes: number }; after: { status: number; verdict: string; bodyBytes: number; error: string }; worse: string[] }> }> }> }).files.find((f) => f.file === 'index.mjs')!;
    expect(file.applied).toEqual([]);
    expect(file.refused.map((r) => r.ruleId)).toEqual(['prelude-not-flushed']);
    const rows = Object.fromEntries(file.refused[0]!.rows.map((r) => [r.event, r]));
    expect(rows.POST!.before).toMatchObject({ verdict: 'completed', status: 500, bodyBytes: 30 });
    expect(rows.POST!.after).toMatchObject({ verdict: 'failed', status: 200, bodyBytes: 0, error: 'Runtime.InvalidStreamingOperation: Cannot set content-type, too late.' });
    expect(rows.prompt!.before).toMatchObject({ verdict: 'completed', status: 200, bodyBytes: 12 });
    expect(rows.prompt!.worse).toEqual([]);
  }, 60_000);

  it('keeps a good fix and says it was verified (on by default with --write when the runtime cache has a build)', async () => {
    const dir = copy('redirect');
    const { outcome, stdout } = await fix(dir, { write: true, verifyEvents: ['GET'] });
    expect(outcome.exitCode).toBe(0);
    expect(readFileSync(path.join(dir, 'index.mjs'), 'utf8')).toContain("responseStream.write('');");
    expect(stdout).toContain('✔ index.mjs: verified: 1 invocation, none worse, 1 changed:');
    expect(stdout).toMatch(/4\.x +GET +completed 200 0 B +→ +completed 302 location \/login 0 B/);
  }, 60_000);

  it('--no-verify runs nothing; without --write verify is off unless asked for', async () => {
    const dir = copy('redirect');
    expect((await fix(dir, { write: false })).stdout).not.toContain('verified');
    const { stdout } = await fix(dir, { write: true, verify: false });
    expect(stdout).not.toContain('Run under');
    expect(readFileSync(path.join(dir, 'index.mjs'), 'utf8')).toContain("responseStream.write('');");
  });

  it('says "not verifiable" with the reason, never "verified": a dependency that is not installed, the network at import', async () => {
    const missing = copy('bedrock-error-helper');
    const a = await fix(missing, { verify: true });
    expect(a.stdout).toContain('? index.mjs: not verifiable: dependencies not installed: @aws-sdk/client-bedrock-runtime (install them, or --stub <module>=<file>)');
    expect(a.stdout).not.toContain('✔');

    const network = copy('redirect');
    const handler = readFileSync(path.join(network, 'index.mjs'), 'utf8');
    writeFileSync(path.join(network, 'index.mjs'), `const config = await fetch('https://config.example.com/settings').then((r) => r.json());\n${handler}`);
    const b = await fix(network, { verify: true });
    expect(b.stdout).toMatch(/\? index\.mjs: not verifiable: it calls the network at import \(config\.example\.com/);
    expect(b.stdout).not.toContain('✔');
  }, 60_000);

  it('a --stub that does not exist, or without "=", is a usage error', async () => {
    const dir = copy('redirect');
    await expect(fix(dir, { verify: true, stubs: ['x'] })).rejects.toThrow('--stub must look like <module>=<file>');
    await expect(fix(dir, { verify: true, stubs: ['x=missing.mjs'] })).rejects.toThrow('stub for x not found');
  });

  it('the stubs configuration key is read relative to the configuration file', async () => {
    const dir = copy('bedrock-error-helper');
    mkdirSync(path.join(dir, 'conf'));
    writeFileSync(path.join(dir, 'stream-doctor.config.json'), JSON.stringify({ stubs: { '@aws-sdk/client-bedrock-runtime': 'stubs/bedrock.mjs' } }));
    const { stdout } = await fix(dir, { verify: true });
    expect(stdout).toContain('✖ index.mjs:22 prelude-not-flushed');
  }, 60_000);
});

describe('every fixer proven by running: the before/after fixtures under aws-lambda-ric 4.x', () => {
  it('no runnable fixture gets worse for any event; the ones that cannot run say why', async () => {
    const { verifyEdit, notVerifiable } = await import('../src/fix/verify.js');
    const { PROBE_EVENTS } = await import('../src/verify/events.js');
    const { readdirSync } = await import('node:fs');
    const fixDir = path.join(ROOT, 'test', 'fixtures', 'fix');
    const settings = {
      root: '',
      ricDirs: new Map([['4.x' as const, path.join(CACHE, '4.0.2', 'node_modules', 'aws-lambda-ric')]]),
      events: PROBE_EVENTS.filter((e) => e.name === 'GET'),
      timeoutMs: 1500,
      stubs: {},
    };
    const outcomes: Record<string, string> = {};
    for (const rule of readdirSync(fixDir).sort()) {
      for (const name of readdirSync(path.join(fixDir, rule)).filter((n) => /\.before\.(m|c)?js$/.test(n))) {
        const ext = path.extname(name);
        const before = readFileSync(path.join(fixDir, rule, name), 'utf8');
        const after = readFileSync(path.join(fixDir, rule, name.replace('.before.', '.after.')), 'utf8');
        const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-fixer-run-'));
        writeFileSync(path.join(dir, `index${ext}`), before);
        const gate = notVerifiable(dir, path.join(dir, `index${ext}`), before, after, {});
        const result = 'reason' in gate ? { state: 'not-verifiable' as const, reason: gate.reason } : await verifyEdit({ ...settings, root: dir }, path.join(dir, `index${ext}`), gate.handlers, before, after);
        outcomes[`${rule}/${name}`] = result.state === 'worse' ? `worse: ${JSON.stringify(result.rows.filter((r) => r.worse.length))}` : result.state;
      }
    }
    const worse = Object.entries(outcomes).filter(([, v]) => v.startsWith('worse'));
    expect(worse).toEqual([]);
    // Most fixtures run as they are (the others import packages or modules the fixture does not ship).
    expect(Object.values(outcomes).filter((v) => v === 'verified').length).toBeGreaterThanOrEqual(10);
  }, 180_000);
});
