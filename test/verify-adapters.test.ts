/**
 * `stream-doctor verify` on apps built with published adapters, under the real aws-lambda-ric 3.3.0 and
 * 4.0.2 (test/.tmp/ric, shared with test/verify.test.ts):
 *
 * - a minimal Nitro app (test/fixtures/verify-adapters/nitro-app: `GET /` answers 304 when If-None-Match
 *   matches, else 200 with a body) built with the `aws-lambda` preset and `awsLambda: { streaming: true }`
 *   by nitro@3.0.1-alpha.1 (hangs on the 304: `if (response.body)` skips from/write/end) and by
 *   3.0.1-alpha.2 (a null body becomes a stream of "", so the prelude is written and the stream ended);
 * - seed 001's Express adapter (examples/express-chat-streaming/lambda.js, with the app and upstream of
 *   test/fixtures/verify-adapters/express-chat) with express, serverless-http, cors and pg, and an LLM stand-in that
 *   fails after two tokens: the catch falls back to the buffered path, whose from() throws
 *   "Cannot set content-type, too late." after output started (metadata-after-write).
 *
 * Published packages are installed at test time with `npm install --ignore-scripts` into
 * test/.tmp/adapters/<key> (git-ignored, reused once complete; never committed). The apps are copied
 * next to their node_modules and built there on every run (about a second each). Asserts the verdict per
 * runtime × event, the rule ids, and that `scan` reports the same ids at error severity on the same code.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyHandler, verdictWord, type VerifyOptions, type VerifyOutcome } from '../src/commands/verify.js';
import { ensureRic } from '../src/verify/install.js';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'verify-adapters');
const TMP = join(ROOT, 'test', '.tmp');
const CACHE = join(TMP, 'ric');
const ADAPTERS = join(TMP, 'adapters');
const TIMEOUT = '1500ms';
/** The bundler nitro builds with (an optional peer of nitro; pinned so both versions build alike). */
const ROLLUP = 'rollup@4.55.2';

const env = { ...process.env, STREAM_DOCTOR_RIC_CACHE: CACHE };
mkdirSync(ADAPTERS, { recursive: true });

/** `npm install --ignore-scripts` of exact specs into test/.tmp/adapters/<key>, once (staged, then moved in place). */
function installOnce(key: string, specs: string[]): string {
  const dir = join(ADAPTERS, key);
  if (existsSync(join(dir, '.installed'))) return dir;
  const staging = mkdtempSync(join(ADAPTERS, `.staging-${key.replace(/[^\w.@-]/g, '_')}-`));
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ private: true, type: 'module' }, null, 2));
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--save-exact', '--loglevel', 'error', ...specs], {
    cwd: staging,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  writeFileSync(join(staging, '.installed'), `${specs.join('\n')}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

/** A fresh copy of a fixture app next to the installed node_modules (so the packages resolve from there). */
function placeApp(installDir: string, fixture: string): string {
  const app = join(installDir, 'app');
  rmSync(app, { recursive: true, force: true });
  cpSync(join(FIXTURES, fixture), app, { recursive: true });
  return app;
}

async function verify(root: string, handler: string, extra: Partial<VerifyOptions>): Promise<VerifyOutcome> {
  let out = '';
  const outcome = await verifyHandler(
    { handler, root, runtime: 'both', events: [], timeout: TIMEOUT, passEnv: [], format: 'json', failOn: 'error', color: false, verbose: false, ...extra },
    { stdout: (t) => (out += t), stderr: () => {}, progressEnabled: false, cwd: ROOT, env },
  );
  JSON.parse(out);
  return outcome;
}

function verdicts(outcome: VerifyOutcome, lineage: '3.x' | '4.x'): Record<string, string> {
  return Object.fromEntries(outcome.runs.filter((r) => r.lineage === lineage).map((r) => [r.event, verdictWord(r.diagnosis)]));
}

function ruleIds(outcome: VerifyOutcome): string[] {
  return [...new Set(outcome.report.findings.map((f) => f.ruleId))].sort();
}

function run(outcome: VerifyOutcome, lineage: '3.x' | '4.x', event: string) {
  return outcome.runs.find((r) => r.lineage === lineage && r.event === event)!.diagnosis;
}

/** `scan` of a directory: rule ids per severity for one file. */
function scanIds(dir: string, file: string, severity: string): string[] {
  const out = execFileSync(process.execPath, [join(ROOT, 'bin', 'stream-doctor.js'), 'scan', dir, '--format', 'json', '--fail-on', 'none', '--no-deps'], { encoding: 'utf8' });
  const json = JSON.parse(out) as { findings: Array<{ ruleId: string; severity: string; file: string }> };
  return [...new Set(json.findings.filter((f) => f.file === file && f.severity === severity).map((f) => f.ruleId))].sort();
}

beforeAll(async () => {
  // Shared with test/verify.test.ts: a no-op once built.
  for (const lineage of ['3.x', '4.x'] as const) await ensureRic(lineage, CACHE, { env, progress: () => {} });
}, 600_000);

describe.each([
  {
    version: '3.0.1-alpha.1',
    expected: { GET: 'completed', '304': 'hung' },
    ids: ['stream-never-ended'],
  },
  {
    version: '3.0.1-alpha.2',
    expected: { GET: 'completed', '304': 'completed' },
    ids: [],
  },
])('verify: a Nitro app built with nitro@$version (aws-lambda preset, streaming)', ({ version, expected, ids }) => {
  let server: string;

  beforeAll(() => {
    const dir = installOnce(`nitro@${version}`, [`nitro@${version}`, ROLLUP]);
    const app = placeApp(dir, 'nitro-app');
    // The nitro CLI of the installed version; the builder and preset come from the fixture's nitro.config.mjs.
    execFileSync(process.execPath, [join(dir, 'node_modules', 'nitro', 'dist', 'cli', 'index.mjs'), 'build'], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    server = join(app, '.output', 'server');
    expect(readFileSync(join(server, 'index.mjs'), 'utf8')).toContain('awslambda.streamifyResponse');
  }, 400_000);

  it(`GET / and the 304: ${Object.entries(expected).map(([e, v]) => `${e} ${v}`).join(', ')} on both runtimes`, async () => {
    // Lambda deploys .output/server with the handler index.handler.
    const outcome = await verify(server, 'index.handler', { only: ['GET', '304'] });
    expect(verdicts(outcome, '3.x')).toEqual(expected);
    expect(verdicts(outcome, '4.x')).toEqual(expected);
    expect(ruleIds(outcome)).toEqual(ids);
    for (const lineage of ['3.x', '4.x'] as const) {
      const get = run(outcome, lineage, 'GET');
      expect(get.client).toMatchObject({ status: 200, source: 'prelude', bodyPreview: 'hello from nitro\\n' });
      expect(get.client?.headers.etag).toBe('"stream-doctor"');
      const notModified = run(outcome, lineage, '304');
      if (ids.length > 0) {
        // alpha.1: not a byte posted, the invocation runs to the function timeout.
        expect(notModified.client).toBeUndefined();
        expect(notModified.streamEnded).toBe(false);
      } else {
        expect(notModified.client).toMatchObject({ status: 304, source: 'prelude', bodyBytes: 0 });
      }
    }
    expect(outcome.report.findings.map((f) => f.field).sort()).toEqual(ids.length > 0 ? ['3.x 304', '4.x 304'] : []);
    expect(outcome.report.findings.every((f) => f.file === 'index.mjs')).toBe(true);
    expect(outcome.exitCode).toBe(ids.length > 0 ? 1 : 0);
    // The same code, statically: scan's errors on the built handler are exactly what verify saw.
    expect(scanIds(server, 'index.mjs', 'error')).toEqual(ids);
  }, 120_000);
});

describe("verify: seed 001's Express adapter with a chat upstream that fails mid-stream", () => {
  let app: string;
  const chatEvent = join(FIXTURES, 'express-chat', 'events', 'chat.json');

  beforeAll(() => {
    const pkg = JSON.parse(readFileSync(join(FIXTURES, 'express-chat', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const specs = Object.entries(pkg.dependencies).map(([name, version]) => `${name}@${version}`);
    app = placeApp(installOnce(`express-chat@${specs.join('+')}`, specs), 'express-chat');
    // The handler is the seed's own, as examples/ ships it (one copy in the repository).
    cpSync(join(ROOT, 'examples', 'express-chat-streaming', 'lambda.js'), join(app, 'lambda.js'));
  }, 400_000);

  it('the buffered fallback calls from() after ": stream open" and two tokens: metadata-after-write on both runtimes', async () => {
    const outcome = await verify(app, 'lambda.handler', { only: ['GET'], events: [chatEvent] });
    // GET / goes through serverless-http only (Express answers 404): fine on both runtimes.
    expect(verdicts(outcome, '3.x')).toEqual({ GET: 'completed', chat: 'failed' });
    expect(verdicts(outcome, '4.x')).toEqual({ GET: 'completed', chat: 'failed' });
    expect(ruleIds(outcome)).toEqual(['metadata-after-write']);
    expect(outcome.report.findings.map((f) => f.field).sort()).toEqual(['3.x chat', '4.x chat']);
    expect(outcome.report.findings.every((f) => f.file === 'lambda.js' && f.severity === 'error')).toBe(true);
    for (const lineage of ['3.x', '4.x'] as const) {
      const get = run(outcome, lineage, 'GET');
      expect(get.client).toMatchObject({ status: 404, source: 'prelude' });
      expect(get.functionError).toBeUndefined();
      const chat = run(outcome, lineage, 'chat');
      // The first from()'s 200 and the streamed tokens went out; the fallback's from() threw, and the
      // runtime ended the stream with error trailers.
      expect(chat.client).toMatchObject({ status: 200, headers: { 'content-type': 'text/event-stream' }, source: 'prelude' });
      expect(chat.client?.bodyPreview).toBe(': stream open\\n\\ndata: {"token":"Hello"}\\n\\ndata: {"token":" world"}\\n\\n');
      expect(chat.functionError).toEqual({ type: 'Runtime.InvalidStreamingOperation', message: 'Cannot set content-type, too late.', via: 'trailers' });
      expect(chat.streamEnded).toBe(true);
    }
    expect(outcome.exitCode).toBe(1);
    // scan on the same code: the same error id. Its two warnings are not observable with these events:
    // the pg pool never connects (no open handle for 3.x to wait on), and responseStream.finished() only
    // throws after the buffered response was complete (an "Invoke Error" log line, nothing on the wire).
    expect(scanIds(join(ROOT, 'examples', 'express-chat-streaming'), 'lambda.js', 'error')).toEqual(ruleIds(outcome));
    expect(scanIds(join(ROOT, 'examples', 'express-chat-streaming'), 'lambda.js', 'warning')).toEqual(['event-loop-keeps-invocation-alive', 'nonexistent-stream-api']);
  }, 120_000);
});
