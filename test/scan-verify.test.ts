/**
 * `scan --verify`: the static scan and runs under aws-lambda-ric 4.x (test/.tmp/ric) merged into one report
 * (src/verify/scan-verify.ts). The fixture test/fixtures/scan-verify/app has one finding of each kind: confirmed
 * by a run (in a helper module, on a route mined from the code), ran correctly, not reached, found only by
 * running, and a TypeScript handler that is not run. Run through the built CLI: exit codes and parsed output.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureRic, missingTools } from '../src/verify/install.js';
import { lineagesFor } from '../src/verify/scan-verify.js';
import { tempProject } from './support/temp-project.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'bin/stream-doctor.js');
const CACHE = path.join(ROOT, 'test', '.tmp', 'ric');
const APP = path.join(ROOT, 'test/fixtures/scan-verify/app');

function run(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', STREAM_DOCTOR_RIC_CACHE: CACHE } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A deployment on nodejs24.x, so only the 4.x runtime client runs. */
const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: index.handler
      Runtime: nodejs24.x
`;

const project = (files: Record<string, string>): string => tempProject('sd-scan-verify-', files);

interface JsonOut {
  findings: Array<{ file: string; line: number; ruleId: string; messageId: string; severity: string; field?: string; verification?: { status: string; runs: string[]; reason?: string } }>;
  verification?: { handlers: Array<{ handler: string; runtimes: string[]; events: string[]; invocations: number; verdicts: Record<string, number>; errors: string[] }>; notVerified: Array<{ file: string; reason: string }> };
  inconclusive?: string;
}

describe('lineagesFor: the runtime clients a handler is run under', () => {
  it('maps the deployed runtimes; both when unknown or mixed', () => {
    expect(lineagesFor(['nodejs24.x'])).toBe('4.x');
    expect(lineagesFor(['nodejs20.x', 'nodejs22.x'])).toBe('3.x');
    expect(lineagesFor(['nodejs22.x (Managed Instances)'])).toBe('4.x');
    expect(lineagesFor(['nodejs20.x', 'nodejs24.x'])).toBe('both');
    expect(lineagesFor(undefined)).toBe('both');
    expect(lineagesFor(['python3.12'])).toBe('both');
  });
});

describe('scan --verify', () => {
  beforeAll(async () => {
    if (missingTools('4.x', process.env).length === 0) await ensureRic('4.x', CACHE, { env: process.env, progress: () => {} });
  }, 600_000);

  it('says per finding what the runs showed, adds the hang only a run shows, and names what was not run', () => {
    const { code, stdout } = run(['scan', APP, '--verify', '--verify-timeout', '1500ms', '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as JsonOut;
    const code_ = report.findings.filter((f) => f.file.endsWith('.mjs')).map((f) => [`${f.file}:${f.line} ${f.ruleId}/${f.messageId}`, f.verification]);
    expect(code_).toEqual([
      ['handler.mjs:1 stream-never-ended/neverEndedSilent', { status: 'observed', runs: ['4.x GET /wait'] }],
      ['handler.mjs:12 stream-never-ended/hangsOnBranch', { status: 'not-reached', runs: [] }],
      ['handler.mjs:16 write-without-backpressure/ignoresBackpressure', { status: 'ran-unobservable', runs: ['4.x GET', '4.x HEAD', '4.x 204', '4.x 304', '4.x redirect', '4.x POST'] }],
      ['handler.mjs:17 prelude-not-flushed/emptyLoop', { status: 'ran-correctly', runs: ['4.x GET', '4.x HEAD', '4.x 204', '4.x 304', '4.x redirect', '4.x POST'] }],
      ['moved.mjs:4 prelude-not-flushed/endsWithoutWrite', { status: 'confirmed', runs: ['4.x GET /old-page'] }],
    ]);
    expect(report.findings.find((f) => f.verification?.status === 'observed')).toMatchObject({ severity: 'error', field: '4.x GET /wait' });
    // Deployment findings are not about code a run executes: no verification.
    expect(report.findings.filter((f) => f.file === 'template.yaml').every((f) => f.verification === undefined)).toBe(true);
    expect(report.verification).toEqual({
      handlers: [{ handler: 'handler.handler', runtimes: ['aws-lambda-ric 4.0.2'], events: ['GET', 'HEAD', '204', '304', 'redirect', 'POST', 'GET /old-page', 'GET /wait'], invocations: 8, verdicts: { completed: 7, hung: 1 }, errors: [] }],
      notVerified: [{ file: 'typed.ts', reason: '.ts source: Node does not run it as is (build it, then `stream-doctor verify <built handler>`)' }],
    });
    expect(report.inconclusive).toBeUndefined();
  }, 120_000);

  it('text: a verify line under each finding and the handlers in the footer', () => {
    const { code, stdout } = run(['scan', APP, '--verify', '--verify-timeout', '1500ms']);
    expect(code).toBe(1);
    expect(stdout).toContain('    verify: confirmed by a run (4.x GET /old-page)\n');
    expect(stdout).toContain('    verify: not reached by any event: send a request that takes this path with `stream-doctor verify --event`\n');
    expect(stdout).toContain('    verify: found by running (4.x GET /wait)\n');
    expect(stdout).toContain("    verify: ran (4.x GET, 4.x HEAD, 4.x 204 and 3 more); a run cannot show this rule's bug on the wire, so it neither confirms nor refutes it\n");
    expect(stdout).toContain('  verified handler.handler under aws-lambda-ric 4.0.2: 8 invocations (7 completed, 1 hung)\n');
    expect(stdout).toContain('  not verified typed.ts: .ts source: Node does not run it as is');
    expect(stdout).toContain('  verify: 1 confirmed by a run, 1 ran correctly, 1 ran (not observable), 1 not reached, 0 not run, 1 found only by running\n');
  }, 120_000);

  it('a module the handler imports that is not installed: not verified with the reason; --stub serves it and the handler runs', () => {
    const dir = project({
      'template.yaml': TEMPLATE,
      'index.mjs': `import { answer } from 'not-installed-model-client';
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
  stream.write(await answer());
});
`,
      'stub.mjs': `export const answer = async () => 'stubbed';\n`,
    });
    const without = JSON.parse(run(['scan', dir, '--verify', '--verify-timeout', '1500ms', '--format', 'json']).stdout) as JsonOut;
    expect(without.verification!.notVerified).toEqual([{ file: 'index.mjs', reason: 'dependencies not installed: not-installed-model-client (install them, or --stub <module>=<file>)' }]);
    expect(without.inconclusive).toMatch(/^--verify ran nothing: index\.mjs: dependencies not installed/);
    expect(without.findings.find((f) => f.file === 'index.mjs')!.verification).toEqual({ status: 'not-run', runs: [], reason: 'dependencies not installed: not-installed-model-client (install them, or --stub <module>=<file>)' });

    const withStub = run(['scan', dir, '--verify', '--verify-timeout', '1500ms', '--format', 'json', '--stub', `not-installed-model-client=${path.join(dir, 'stub.mjs')}`]);
    const report = JSON.parse(withStub.stdout) as JsonOut;
    expect(report.verification!.handlers.map((h) => [h.handler, h.verdicts])).toEqual([['index.handler', { hung: 6 }]]);
    const neverEnded = report.findings.find((f) => f.ruleId === 'stream-never-ended' && f.file === 'index.mjs')!;
    expect(neverEnded.verification!.status).toBe('confirmed');
  }, 120_000);

  it('runs cut off by the wait vouch for nothing: not reached (with why), and a report where no run finished is inconclusive', () => {
    const dir = project({
      'template.yaml': TEMPLATE,
      'index.mjs': `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
  for (let i = 0; i < 12; i++) {
    stream.write('line\\n');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  stream.end();
  await stream.finished();
});
`,
    });
    const { code, stdout } = run(['scan', dir, '--verify', '--verify-timeout', '1500ms', '--format', 'json', '--fail-on', 'none']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as JsonOut;
    expect(report.findings.find((f) => f.ruleId === 'nonexistent-stream-api')!.verification).toEqual({ status: 'not-reached', runs: [], reason: 'only 6 runs that did not finish (still streaming) may have reached it' });
    expect(report.verification!.handlers[0]!.verdicts).toEqual({ 'still streaming': 6 });
    expect(report.inconclusive).toBe('--verify verified no handler: index.handler: Nothing was verified to end: 6 invocations still streaming when --timeout 1.5 s passed; raise --timeout');
  }, 120_000);

  it('a handler failing for want of the deployment\'s environment is not a finding: the error is in the summary; --pass-env passes it', () => {
    const dir = project({
      'template.yaml': TEMPLATE,
      'index.mjs': `if (!process.env.MODEL_API_KEY) throw new Error('The MODEL_API_KEY environment variable is missing');
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
  stream.write('ok');
  stream.end();
});
`,
    });
    const args = ['scan', dir, '--verify', '--verify-timeout', '1500ms', '--format', 'json'];
    const without = JSON.parse(run(args).stdout) as JsonOut;
    expect(without.findings.map((f) => f.ruleId)).not.toContain('handler-init-failed');
    expect(without.verification!.handlers[0]).toMatchObject({ verdicts: { 'init failed': 6 }, errors: ['Error: The MODEL_API_KEY environment variable is missing'] });
    expect(without.inconclusive).toMatch(/^--verify verified no handler: index\.handler: Nothing was verified: no event reached the handler/);

    const result = spawnSync(process.execPath, [BIN, ...args, '--pass-env', 'MODEL_API_KEY'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', STREAM_DOCTOR_RIC_CACHE: CACHE, MODEL_API_KEY: 'test-key' } });
    const passed = JSON.parse(result.stdout) as JsonOut;
    expect(passed.verification!.handlers[0]).toMatchObject({ verdicts: { completed: 6 }, errors: [] });
    expect(passed.inconclusive).toBeUndefined();
    expect(result.status).toBe(0);
  }, 120_000);

  it('handlers run offline: a call off the loopback fails at once (no credential wait that reads as a hang, no live service)', () => {
    const dir = project({
      'template.yaml': TEMPLATE,
      'index.mjs': `import { promises as dns } from 'node:dns';
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  await dns.lookup('bedrock-runtime.us-east-1.amazonaws.com');
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
  stream.write('ok');
  stream.end();
});
`,
    });
    const report = JSON.parse(run(['scan', dir, '--verify', '--verify-timeout', '1500ms', '--format', 'json']).stdout) as JsonOut;
    expect(report.verification!.handlers[0]).toMatchObject({
      verdicts: { failed: 6 },
      errors: ['Error: stream-doctor verify: blocked network access to bedrock-runtime.us-east-1.amazonaws.com (fix --verify and scan --verify run handlers offline; stub the client with --stub)'],
    });
  }, 120_000);

  it('nothing runnable is never a pass: inconclusive, exit 1 even with --fail-on none, no "No problems found"', () => {
    const dir = project({ 'typed.ts': `export const handler = awslambda.streamifyResponse(async (_e: unknown, s: NodeJS.WritableStream) => {\n  s.write('ok');\n  s.end();\n});\n` });
    const { code, stdout } = run(['scan', dir, '--verify', '--fail-on', 'none']);
    expect(code).toBe(1);
    expect(stdout).toContain('✖ --verify ran nothing: typed.ts: .ts source: Node does not run it as is');
    expect(stdout).not.toContain('No problems found');
  });

  it('a bad --verify-timeout is a usage error (exit 2, one line)', () => {
    const { code, stdout, stderr } = run(['scan', APP, '--verify', '--verify-timeout', '90s']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual(['stream-doctor: --verify-timeout must be at most 60s (got "90s")']);
    expect(run(['scan', APP, '--verify', '--verify-timeout', 'soon']).stderr.trim()).toBe('stream-doctor: --verify-timeout must look like 10s, 500ms or 2m (got "soon")');
  });

  it('without --verify the report has no verification', () => {
    const report = JSON.parse(run(['scan', APP, '--format', 'json']).stdout) as JsonOut;
    expect(report.verification).toBeUndefined();
    expect(report.findings.every((f) => f.verification === undefined)).toBe(true);
  });
});
