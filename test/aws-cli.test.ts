/**
 * `stream-doctor aws` as a user meets it: the built CLI in a child process, the real AWS SDK v3 clients
 * talking HTTP to a local server that speaks the Lambda and CloudWatch Logs wire protocols, reached through
 * AWS_ENDPOINT_URL_* exactly as a user would point the SDK at an endpoint.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_NAMES } from '../src/report/format-names.js';
import { startFakeAws } from './support/fake-aws.mjs';
// @ts-expect-error -- plain ESM test support without type declarations
import { ACCOUNT, REGION, SECRETS, jsonReportLines, reportLines, seedScenario } from './support/aws-seeds.mjs';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'sd-aws-home-'));

interface Fake {
  url: string;
  env: Record<string, string>;
  stats: { ops: Record<string, { requests: number; successes: number; throttles: number; errors: number }>; requests: Array<{ op: string }> };
  close(): Promise<void>;
}

interface JsonFinding {
  ruleId: string;
  severity: string;
  file: string;
  field?: string;
  line: number;
  message: string;
}

interface JsonReport {
  root: string;
  findings: JsonFinding[];
  skipped: Array<{ file: string; reason: string }>;
  subjects: Array<{ id: string; title: string; facts: Array<{ label: string; value: string }>; notes: string[] }>;
}

/** No AWS settings of the machine leak in: no profile, no shared config, a fresh HOME. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('AWS_')) env[key] = value;
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    CI: 'true',
    NO_COLOR: '1',
    ...extra,
  };
}

/** Async, so the fake server in this process keeps answering while the CLI runs. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'aws', ...args], { cwd: repo, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const arn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

function ids(report: JsonReport, name: string): string[] {
  return report.findings
    .filter((f) => f.file === arn(name) || f.file.startsWith(`${arn(name)}/`))
    .map((f) => `${f.ruleId}@${f.file.slice(arn(name).length) || f.field}`)
    .sort();
}

describe('aws: the seed scenarios end to end', () => {
  let fake: Fake;
  let report: JsonReport;
  let exit: number | null;
  beforeAll(async () => {
    fake = await startFakeAws(seedScenario(), { rateLimits: true });
    const result = await run(['--all', '--format', 'json'], fake.env);
    exit = result.code;
    report = JSON.parse(result.stdout) as JsonReport;
  }, 60_000);
  afterAll(() => fake.close());

  it('exits 1 with one subject per function', () => {
    expect(exit).toBe(1);
    expect(report.root).toBe(`aws:${REGION}`);
    expect(report.subjects.map((s) => s.id)).toEqual([arn('nitro-chat'), arn('express-chat'), arn('fastapi-dashboard')]);
  });

  it('seed 000: durations pinned at the 20 s timeout, explained by the body-less path of the deployed nitro preset, and reserved concurrency 10', () => {
    expect(ids(report, 'nitro-chat')).toEqual([
      'concurrency-exhausted-by-hangs@Concurrency.ReservedConcurrentExecutions',
      'durations-pinned-at-timeout@Configuration.Timeout',
      'event-loop-keeps-invocation-alive@/lambda.mjs',
      'prelude-not-flushed@/lambda.mjs',
      'stream-never-ended@/lambda.mjs',
      'streaming-timeout-too-short@Configuration.Timeout',
      'write-without-backpressure@/lambda.mjs',
    ]);
    const pinned = report.findings.find((f) => f.ruleId === 'durations-pinned-at-timeout')!;
    expect(pinned.severity).toBe('error');
    expect(pinned.message).toContain('17 of 20 invocations');
    expect(pinned.message).toContain('20 s timeout');
    expect(pinned.message).toContain('stream-never-ended at lambda.mjs:18');
    const throttled = report.findings.find((f) => f.ruleId === 'concurrency-exhausted-by-hangs')!;
    expect(throttled.message).toContain('its reserved concurrency is 10');
    expect(throttled.message).toContain('0.50 requests per second');
    expect(report.findings.find((f) => f.ruleId === 'concurrency-exhausted-by-hangs')!.field).toBe('Concurrency.ReservedConcurrentExecutions');
    const never = report.findings.find((f) => f.ruleId === 'stream-never-ended')!;
    expect(never.line).toBe(18);
  });

  it('seed 001: BUFFERED URL in front of a streamified Express handler, URL CORS plus cors(), AuthType NONE', () => {
    expect(ids(report, 'express-chat')).toEqual([
      'duplicate-cors@FunctionUrlConfig($LATEST).Cors',
      'event-loop-keeps-invocation-alive@/lambda.js',
      'metadata-after-write@/lambda.js',
      'nonexistent-stream-api@/lambda.js',
      'public-function-url@FunctionUrlConfig($LATEST).AuthType',
      'streaming-handler-behind-buffered-url@FunctionUrlConfig($LATEST)',
    ]);
    const buffered = report.findings.find((f) => f.ruleId === 'streaming-handler-behind-buffered-url')!;
    expect(buffered.message).toContain('has no invoke mode, so it is BUFFERED');
  });

  it('seed 002: the web adapter without AWS_LWA_INVOKE_MODE behind a RESPONSE_STREAM URL', () => {
    expect(ids(report, 'fastapi-dashboard')).toEqual(['web-adapter-mode-mismatch@Configuration.Layers[0]']);
    const facts = report.subjects[2].facts.map((f) => `${f.label}: ${f.value}`);
    expect(facts).toContain('web adapter: layer, AWS_LWA_INVOKE_MODE not set (buffered)');
  });

  it('the chart names the facts, with environment keys only', () => {
    const nitro = Object.fromEntries(report.subjects[0].facts.map((f) => [f.label, f.value]));
    expect(nitro.runtime).toBe('nodejs20.x (x86_64)');
    expect(nitro.concurrency).toBe('reserved 10');
    expect(nitro['URL $LATEST']).toBe('RESPONSE_STREAM, auth AWS_IAM');
    expect(nitro.environment).toBe('2 variables (values not shown): DATABASE_URL, NODE_ENV');
    expect(nitro['logs (24 h)']).toMatch(/^20 invocations; duration p50 20\.0 s.*; 17 at the timeout/);
  });

  it('reads the code once per function and the logs through one Insights query each', () => {
    const ops = fake.stats.ops;
    expect(ops.CodeDownload.successes).toBe(3);
    expect(ops.StartQuery.successes).toBe(3);
    expect(ops.FilterLogEvents?.requests ?? 0).toBe(0);
    for (const op of Object.values(ops)) expect(op.throttles).toBe(0);
  });
});

describe('aws: secrets never reach the output', () => {
  let fake: Fake;
  beforeAll(async () => {
    fake = await startFakeAws(seedScenario());
  });
  afterAll(() => fake.close());

  for (const format of FORMAT_NAMES) {
    it(`--format ${format} --verbose shows no environment value and no presigned URL`, async () => {
      const result = await run(['--all', '--format', format, '--verbose'], fake.env);
      expect(result.code).toBe(1);
      const output = result.stdout + result.stderr;
      expect(output.length).toBeGreaterThan(500);
      for (const secret of SECRETS as string[]) expect(output).not.toContain(secret);
      expect(output).not.toContain('X-Amz-');
      expect(output).not.toContain('/snapshots/');
      if (format === 'sarif') {
        const sarif = JSON.parse(result.stdout) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } }> }> }> };
        const uris = sarif.runs[0].results.map((r) => r.locations[0].physicalLocation.artifactLocation);
        expect(uris.every((u) => u.uri.startsWith('arn:aws:lambda:') && u.uriBaseId === undefined)).toBe(true);
      }
    }, 30_000);
  }
});

describe('aws: partial access and bad input', () => {
  let fake: Fake;
  beforeAll(async () => {
    const scenario = seedScenario();
    // express-chat: the caller may not read its policy nor run Insights queries on its logs.
    scenario.functions[1].deny = ['GetPolicy', 'StartQuery'];
    // nitro-chat: GetFunction denied -> configuration via GetFunctionConfiguration, no code.
    scenario.functions[0].deny = ['GetFunction'];
    fake = await startFakeAws(scenario);
  });
  afterAll(() => fake.close());

  it('a denied call degrades its own check with a note; the rest of the report stands', async () => {
    const result = await run(['--function', 'express-chat', '--format', 'json'], fake.env);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.subjects[0].notes).toEqual([
      'resource policy not checked: not authorized for lambda:GetPolicy',
      'Logs Insights not allowed (logs:StartQuery): read with FilterLogEvents instead',
    ]);
    expect(ids(report, 'express-chat')).toContain('streaming-handler-behind-buffered-url@FunctionUrlConfig($LATEST)');
    expect(report.subjects[0].facts.find((f) => f.label === 'logs (24 h)')?.value).toMatch(/^12 invocations/);
    expect(fake.stats.ops.FilterLogEvents.successes).toBeGreaterThan(0);
  }, 30_000);

  it('without GetFunction the configuration still checks, the code does not', async () => {
    const result = await run(['--function', 'nitro-chat', '--format', 'json'], fake.env);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.subjects[0].notes[0]).toBe('deployed code not checked: not authorized for lambda:GetFunction');
    const pinned = report.findings.find((f) => f.ruleId === 'durations-pinned-at-timeout')!;
    expect(pinned.message).toContain('the deployed code was not checked');
    expect(report.findings.some((f) => f.file.includes('/lambda.mjs'))).toBe(false);
  }, 30_000);

  it('a function that does not exist exits 2 with one line; the others are still reported', async () => {
    const result = await run(['--function', 'express-chat', '--function', 'nope', '--format', 'json'], fake.env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('stream-doctor: function nope: function not found: nope');
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.subjects.map((s) => s.title)).toEqual(['function express-chat (us-east-1)', 'function nope']);
  }, 30_000);

  it('accepts an ARN and NAME:ALIAS, and refuses what is neither', async () => {
    const byArn = await run(['--function', arn('express-chat'), '--format', 'json', '--no-code', '--no-logs'], fake.env);
    expect((JSON.parse(byArn.stdout) as JsonReport).subjects[0].id).toBe(arn('express-chat'));
    const bad = await run(['--function', 'not a function!'], fake.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('stream-doctor: not a Lambda function name or ARN: "not a function!"');
    const otherRegion = await run(['--function', 'arn:aws:lambda:eu-west-1:123456789012:function:x'], fake.env);
    expect(otherRegion.code).toBe(2);
    expect(otherRegion.stderr).toContain('pass --region eu-west-1');
  }, 30_000);

  it('usage errors exit 2 with one line and no stack', async () => {
    for (const [args, message] of [
      [[], 'name a function with --function NAME'],
      [['--all', '--function', 'x'], 'use either --function or --all'],
      [['--all', '--since', 'yesterday'], '--since must look like 30m, 24h or 7d'],
    ] as const) {
      const result = await run([...args], fake.env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 30_000);

  it('--profile reads region and credentials from the shared config files, as every AWS tool does', async () => {
    const { AWS_REGION: _region, AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...env } = fake.env;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-aws-profile-'));
    writeFileSync(path.join(dir, 'config'), '[profile ci]\nregion = us-east-1\n');
    writeFileSync(path.join(dir, 'credentials'), '[ci]\naws_access_key_id = AKIAPROFILEPROFILE01\naws_secret_access_key = fake\n');
    const result = await run(['--function', 'express-chat', '--profile', 'ci', '--format', 'json', '--no-code', '--no-logs'], {
      ...env,
      AWS_CONFIG_FILE: path.join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'credentials'),
    });
    expect(result.stderr).toBe('');
    expect((JSON.parse(result.stdout) as JsonReport).root).toBe('aws:us-east-1');
  }, 30_000);

  it('no region anywhere: exit 2, one line', async () => {
    const { AWS_REGION: _region, ...env } = fake.env;
    const result = await run(['--all'], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('stream-doctor: no AWS region: pass --region or set AWS_REGION (or a region in the profile)');
  }, 30_000);

  it('no credentials anywhere: exit 2, one line', async () => {
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...env } = fake.env;
    const result = await run(['--all'], { ...env, AWS_EC2_METADATA_DISABLED: 'true' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^stream-doctor: no AWS credentials found/);
  }, 30_000);
});

describe('aws: JSON log format', () => {
  it('reads platform.report / runtimeDone records: response sent, runtime kept waiting', async () => {
    const now = Date.now();
    const fake: Fake = await startFakeAws({
      region: REGION,
      accountId: ACCOUNT,
      account: { ConcurrentExecutions: 1000 },
      functions: [
        {
          configuration: { FunctionName: 'json-fn', Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 15, LoggingConfig: { LogFormat: 'JSON', LogGroup: '/custom/json-fn' } },
          logs: jsonReportLines({ now, count: 10, timeouts: 6, timeoutSeconds: 15 }),
        },
      ],
    });
    try {
      const result = await run(['--function', 'json-fn', '--format', 'json', '--no-code'], fake.env);
      const report = JSON.parse(result.stdout) as JsonReport;
      const pinned = report.findings.find((f) => f.ruleId === 'durations-pinned-at-timeout')!;
      expect(pinned.message).toBe(
        '6 of 10 invocations of function `json-fn` in the last 24 h lasted the full 15 s timeout (6 with Status: timeout): 6 of them had already sent response bytes (platform.runtimeDone): the runtime kept waiting after the response, the signature of an event loop that never empties on nodejs22.x.',
      );
      expect(report.subjects[0].facts.find((f) => f.label === 'logs (24 h)')?.value).toBe('10 invocations; duration p50 15.0 s, p99 15.0 s, max 15.0 s; 6 at the timeout');
    } finally {
      await fake.close();
    }
  }, 30_000);
});

describe('aws: a public URL without the October 2025 permission', () => {
  it('reports 403 for every request when the policy grants only lambda:InvokeFunctionUrl', async () => {
    const fake: Fake = await startFakeAws({
      region: REGION,
      accountId: ACCOUNT,
      functions: [
        {
          configuration: { FunctionName: 'legacy-public', Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 30 },
          urls: [{ AuthType: 'NONE', InvokeMode: 'BUFFERED' }],
          policy: { Version: '2012-10-17', Statement: [{ Sid: 'FunctionURLAllowPublicAccess', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl', Resource: arn('legacy-public'), Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } }] },
        },
      ],
    });
    try {
      const result = await run(['--function', 'legacy-public', '--format', 'json', '--no-code', '--no-logs'], fake.env);
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout) as JsonReport;
      expect(report.findings.map((f) => `${f.ruleId}@${f.field}`).sort()).toEqual([
        'function-url-missing-invoke-permission@FunctionUrlConfig($LATEST).AuthType',
        'public-function-url@FunctionUrlConfig($LATEST).AuthType',
      ]);
    } finally {
      await fake.close();
    }
  }, 30_000);
});

describe('aws --all under the control-plane limits', () => {
  it('paces 40 functions without a single throttling error', async () => {
    const now = Date.now();
    const functions = Array.from({ length: 40 }, (_, i) => ({
      configuration: { FunctionName: `fn-${i}`, Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 30 },
      urls: i % 2 ? [{ AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' }] : [],
      logs: reportLines({ now, count: 3, timeouts: 0, timeoutSeconds: 30 }),
    }));
    const fake: Fake = await startFakeAws({ region: REGION, accountId: ACCOUNT, functions }, { rateLimits: true });
    try {
      const result = await run(['--all', '--format', 'json', '--no-code', '--no-logs'], fake.env);
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as JsonReport).subjects).toHaveLength(40);
      const ops = fake.stats.ops;
      expect(ops.ListFunctionUrlConfigs.successes).toBe(40);
      expect(ops.GetFunction.successes).toBe(40);
      for (const op of Object.values(ops)) expect(op.throttles).toBe(0);
    } finally {
      await fake.close();
    }
  }, 60_000);
});
