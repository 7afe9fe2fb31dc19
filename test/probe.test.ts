/**
 * `stream-doctor probe` against local servers that reproduce each behaviour on the wire (see
 * support/probe-servers.mjs): the CLI in-process (exit codes, JSON that parses, one-line errors), the
 * probe function directly where a test must resolve a Function URL host name to 127.0.0.1, and the
 * pure parts (prelude, framing) on their own.
 */
import type { LookupFunction } from 'node:net';
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli.js';
import { probeUrl, parseTimeout, type ProbeOptions } from '../src/commands/probe.js';
import { findLeakedPrelude } from '../src/probe/prelude.js';
import { checkNdjson, checkSse } from '../src/probe/framing.js';
import { functionUrlRegion } from '../src/probe/sign.js';
import { PROBE_RULE_IDS } from '../src/probe/observations.js';
// @ts-expect-error -- plain ESM test support without type declarations
import { preludeBytes, startProbeServers } from './support/probe-servers.mjs';

interface ServerRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Servers {
  url: string;
  port: number;
  requests: ServerRequest[];
  close(): Promise<void>;
}

interface JsonFinding {
  ruleId: string;
  severity: string;
  message: string;
  file: string;
  field?: string;
}

interface JsonProbeRequest {
  label: string;
  method: string;
  outcome: string;
  status?: number;
  headers: Array<[string, string]>;
  ttfbMs?: number;
  totalMs: number;
  chunkCount: number;
  chunks: Array<{ atMs: number; bytes: number }>;
  bodyBytes: number;
  signed: boolean;
}

interface JsonReport {
  findings: JsonFinding[];
  summary: { error: number; warning: number; info: number };
  subjects: Array<{ id: string; facts: Array<{ label: string; value: string }>; notes: string[] }>;
  probe: { url: string; signing: { signed: boolean; detail: string }; timeoutMs: number; requests: JsonProbeRequest[] };
}

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';

let servers: Servers;
const savedEnv = { ...process.env };

beforeAll(async () => {
  servers = await startProbeServers({ secret: SECRET });
  // No AWS settings of this machine leak in; no spinner, no colour.
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  Object.assign(process.env, { CI: 'true', NO_COLOR: '1', AWS_CONFIG_FILE: '/nonexistent/config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_EC2_METADATA_DISABLED: 'true' });
});

afterAll(async () => {
  await servers.close();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

afterEach(() => {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
});

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const started = Date.now();
  try {
    const code = await main(['node', 'stream-doctor', 'probe', ...args]);
    return { code, stdout, stderr, ms: Date.now() - started };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

async function probeJson(path: string, extra: string[] = []): Promise<{ code: number; report: JsonReport; ms: number }> {
  const { code, stdout, stderr, ms } = await cli([`${servers.url}${path}`, '--format', 'json', '--timeout', '1s', ...extra]);
  expect(stderr).toBe('');
  return { code, report: JSON.parse(stdout) as JsonReport, ms };
}

const ids = (report: JsonReport) => report.findings.map((f) => f.ruleId).sort();
const hits = (method: string, path: string) => servers.requests.filter((r) => r.method === method && r.path === path).length;

describe('probe: what streams and what does not', () => {
  it('a proper stream: no findings, chunks spread over time, early first byte', async () => {
    const { code, report } = await probeJson('/stream');
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    const get = report.probe.requests[0]!;
    expect(get.label).toBe('GET');
    expect(get.outcome).toBe('complete');
    expect(get.status).toBe(200);
    expect(get.bodyBytes).toBe(390);
    expect(get.chunkCount).toBeGreaterThanOrEqual(4);
    expect(get.chunks.at(-1)!.atMs - get.chunks[0]!.atMs).toBeGreaterThanOrEqual(150);
    expect(get.ttfbMs!).toBeLessThan(0.5 * get.totalMs);
    expect(report.probe.requests.map((r) => r.label)).toEqual(['GET', 'HEAD', 'OPTIONS']);
    expect(report.probe.signing.signed).toBe(false);
    expect(report.subjects[0]!.facts.find((f) => f.label === 'signing')!.value).toMatch(/^unsigned: not a Function URL host/);
  });

  it('a buffered path: response-buffered, confirmed by one repeated GET', async () => {
    const before = hits('GET', '/buffered');
    const { code, report } = await probeJson('/buffered');
    expect(ids(report)).toEqual(['response-buffered']);
    expect(report.findings[0]!.severity).toBe('warning');
    expect(report.findings[0]!.field).toBe('GET');
    expect(report.findings[0]!.file).toBe(`${servers.url}/buffered`);
    expect(code).toBe(0);
    expect(hits('GET', '/buffered') - before).toBe(2);
    expect(report.probe.requests.map((r) => r.label)).toEqual(['GET', 'HEAD', 'OPTIONS', 'GET (repeat)']);
    expect((await probeJson('/buffered', ['--fail-on', 'warning'])).code).toBe(1);
  });

  it('buffered once, streamed on the repeat: a cold start, no finding', async () => {
    const { code, report } = await probeJson('/cold');
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
    expect(report.subjects[0]!.notes.join('\n')).toContain('cold start');
  });

  it('a leaked prelude (JSON metadata + 8 NULs + body): streaming-handler-behind-buffered-url, exit 1', async () => {
    const { code, report } = await probeJson('/prelude');
    expect(ids(report)).toEqual(['streaming-handler-behind-buffered-url']);
    expect(report.findings[0]!.severity).toBe('error');
    expect(code).toBe(1);
  });

  it('a prelude streamed out under an overridden content type: set-content-type-after-from', async () => {
    const { report } = await probeJson('/prelude-streamed');
    expect(ids(report)).toEqual(['set-content-type-after-from']);
  });
});

describe('probe: CORS', () => {
  it('two Access-Control-Allow-Origin lines: duplicate-cors on GET and HEAD (the preflight is answered once)', async () => {
    const { code, report } = await probeJson('/cors-dup');
    expect(ids(report)).toEqual(['duplicate-cors']);
    expect(report.findings[0]!.field).toBe('GET, HEAD');
    expect(report.findings[0]!.severity).toBe('error');
    expect(code).toBe(1);
    // The raw header lines are reported as received, both of them.
    const acao = report.probe.requests[0]!.headers.filter(([name]) => name.toLowerCase() === 'access-control-allow-origin');
    expect(acao).toHaveLength(2);
  });

  it('comma-joined values in one header: duplicate-cors', async () => {
    const { report } = await probeJson('/cors-joined');
    expect(ids(report)).toEqual(['duplicate-cors']);
    expect(report.findings[0]!.message).toContain('comma-joined');
  });

  it('sends Origin on every request and a real preflight', async () => {
    const { code } = await cli([`${servers.url}/stream`, '--origin', 'https://app.example.org', '--header', 'x-api-key: k1', '-H', 'X-Trace: t 2', '--format', 'json']);
    expect(code).toBe(0);
    const preflight = servers.requests.filter((r) => r.path === '/stream' && r.method === 'OPTIONS').at(-1)!;
    expect(preflight.headers.origin).toBe('https://app.example.org');
    expect(preflight.headers['access-control-request-method']).toBe('GET');
    expect(preflight.headers['access-control-request-headers']).toBe('x-api-key,x-trace');
    expect(preflight.headers['x-api-key']).toBeUndefined();
    const get = servers.requests.filter((r) => r.path === '/stream' && r.method === 'GET').at(-1)!;
    expect(get.headers.origin).toBe('https://app.example.org');
    expect(get.headers['x-api-key']).toBe('k1');
    expect(get.headers['x-trace']).toBe('t 2');
  });
});

describe('probe: responses that do not end', () => {
  it('headers then nothing: stream-never-ended, bounded by --timeout', async () => {
    const { code, report, ms } = await probeJson('/hang');
    expect(ids(report)).toEqual(['stream-never-ended']);
    expect(report.findings[0]!.severity).toBe('error');
    expect(report.findings[0]!.field).toBe('GET');
    expect(report.probe.requests[0]!.outcome).toBe('timeout');
    expect(report.probe.requests[0]!.totalMs).toBeGreaterThanOrEqual(990);
    expect(report.probe.requests[0]!.totalMs).toBeLessThan(1500);
    expect(ms).toBeLessThan(3000);
    expect(code).toBe(1);
  });

  it('one event then silence: stream-never-ended as a warning (sparse events look the same)', async () => {
    const { report } = await probeJson('/stalled');
    expect(ids(report)).toEqual(['stream-never-ended']);
    expect(report.findings[0]!.severity).toBe('warning');
  });

  it('still sending at the deadline: stream-still-open (info), not a hang', async () => {
    const { code, report } = await probeJson('/still-open');
    expect(ids(report)).toEqual(['stream-still-open']);
    expect(report.findings[0]!.severity).toBe('info');
    expect(code).toBe(0);
  });

  it('no status line at all: no-response', async () => {
    const { report } = await probeJson('/no-status');
    expect(ids(report)).toEqual(['no-response']);
  });

  it('connection cut mid-body: response-aborted', async () => {
    const { report } = await probeJson('/reset');
    expect(ids(report)).toEqual(['response-aborted']);
    expect(report.probe.requests[0]!.outcome).toBe('aborted');
  });
});

describe('probe: bodies', () => {
  it('200 application/octet-stream with no body from Lambda: prelude-not-flushed (warning)', async () => {
    const { report } = await probeJson('/empty-octet');
    expect(ids(report)).toEqual(['prelude-not-flushed']);
    expect(report.findings[0]!.severity).toBe('warning');
  });

  it('200 application/json with no body: empty-body', async () => {
    const { report } = await probeJson('/empty-json');
    expect(ids(report)).toEqual(['empty-body']);
  });

  it('broken SSE (pretty-printed JSON, unterminated last event): sse-framing', async () => {
    const { code, report } = await probeJson('/sse-broken');
    expect(ids(report)).toEqual(['sse-framing']);
    expect(report.findings[0]!.message).toContain('Line 4');
    expect(report.findings[0]!.message).toContain('not followed by a blank line');
    expect(code).toBe(1);
  });

  it('NDJSON with a cut line: ndjson-framing; valid NDJSON (blank line, CRLF, no final newline): none', async () => {
    const broken = await probeJson('/ndjson-broken');
    expect(ids(broken.report)).toEqual(['ndjson-framing']);
    expect(broken.report.findings[0]!.message).toContain('Line 2');
    const ok = await probeJson('/ndjson-ok');
    expect(ok.report.findings).toEqual([]);
  });

  it('--data sends a POST with the body and a POST preflight', async () => {
    const { report } = await probeJson('/stream', ['--data', '{"prompt":"hi"}']);
    expect(report.probe.requests[0]!.label).toBe('POST');
    const post = servers.requests.filter((r) => r.path === '/stream' && r.method === 'POST').at(-1)!;
    expect(post.body).toBe('{"prompt":"hi"}');
    expect(post.headers['content-type']).toBe('application/json');
    const preflight = servers.requests.filter((r) => r.path === '/stream' && r.method === 'OPTIONS').at(-1)!;
    expect(preflight.headers['access-control-request-method']).toBe('POST');
    expect(preflight.headers['access-control-request-headers']).toBe('content-type');
  });
});

describe('probe: output and exit codes', () => {
  it('text output names the request, the rule and the fix', async () => {
    const { code, stdout } = await cli([`${servers.url}/prelude`, '--timeout', '1s']);
    expect(code).toBe(1);
    expect(stdout).toContain(`probe ${servers.url}/prelude`);
    expect(stdout).toMatch(/GET\s+error\s+The body starts with the streaming prelude/);
    expect(stdout).toContain('streaming-handler-behind-buffered-url');
    expect(stdout).toContain('fix: Set the Function URL');
    expect(stdout).toContain('1 problem (1 error');
  });

  it('--fail-on none exits 0 even with errors', async () => {
    const { code } = await cli([`${servers.url}/prelude`, '--fail-on', 'none', '--format', 'json']);
    expect(code).toBe(0);
  });

  it('connection refused: exit 2, one line, no stack', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const { code, stdout, stderr } = await cli([`http://127.0.0.1:${port}/`, '--format', 'json']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`stream-doctor: connection refused by 127.0.0.1:${port}\n`);
  });

  it('an unresolvable host: exit 2, one line', async () => {
    const { code, stderr } = await cli(['http://no-such-host.invalid/', '--timeout', '2s']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^stream-doctor: (cannot resolve no-such-host\.invalid|cannot connect to no-such-host\.invalid)/);
  });

  it('invalid URL, header or timeout: exit 2', async () => {
    expect((await cli(['ftp://example.com/'])).code).toBe(2);
    expect((await cli(['http://[::1'])).code).toBe(2);
    expect((await cli([`${servers.url}/stream`, '--header', 'no colon'])).code).toBe(2);
    const bad = await cli([`${servers.url}/stream`, '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout must look like');
  });

  it('every rule id the probe reports is documented in docs/probe.md', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../docs/probe.md', import.meta.url), 'utf8');
    for (const id of PROBE_RULE_IDS) expect(doc).toContain(`\`${id}\``);
  });
});

describe('probe: SigV4', () => {
  const lookup: LookupFunction = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  }) as unknown as LookupFunction;

  const options = (url: string, extra: Partial<ProbeOptions> = {}): ProbeOptions => ({
    url,
    headers: [],
    timeout: '2s',
    format: 'json',
    failOn: 'error',
    color: false,
    verbose: false,
    ...extra,
  });

  async function direct(opts: ProbeOptions, io: Partial<Parameters<typeof probeUrl>[1]> = {}) {
    let stdout = '';
    const outcome = await probeUrl(opts, { stdout: (t) => (stdout += t), stderr: () => {}, progressEnabled: false, env: process.env, lookup, ...io });
    return { ...outcome, json: JSON.parse(stdout) as JsonReport };
  }

  it('--sign: a well-formed AWS4-HMAC-SHA256 Authorization for service lambda, verified by the server', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET });
    const { code, report } = await probeJson('/signed?b=2&a=1', ['--sign', '--region', 'eu-west-1', '--data', 'hello']);
    expect(code).toBe(0);
    expect(report.probe.signing.signed).toBe(true);
    expect(report.probe.requests.map((r) => [r.label, r.status, r.signed])).toEqual([
      ['POST', 200, true],
      ['HEAD', 200, true],
      ['OPTIONS', 200, true],
    ]);
    const post = servers.requests.filter((r) => r.path === '/signed' && r.method === 'POST').at(-1)!;
    expect(post.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIA[0-9A-Z]{16}\/\d{8}\/eu-west-1\/lambda\/aws4_request, ?SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, ?Signature=[0-9a-f]{64}$/);
    expect(report.probe.requests[0]!.headers).toContainEqual(['x-probe-auth', 'ok']);
  });

  it('--sign without credentials: exit 2, one line', async () => {
    const { code, stderr } = await cli([`${servers.url}/signed`, '--sign', '--region', 'us-east-1']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^stream-doctor: --sign: no AWS credentials/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('unsigned request to the IAM endpoint: 403, explained in a note', async () => {
    const { report } = await probeJson('/signed');
    expect(report.probe.requests[0]!.status).toBe(403);
    expect(report.subjects[0]!.notes.join('\n')).toContain('GET, HEAD, OPTIONS: 403 on an unsigned request');
  });

  it('a Function URL host signs by default when credentials resolve, with the region from the host', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET });
    const { json, exitCode } = await direct(options(`http://abcdefghijklmnop.lambda-url.ap-southeast-2.on.aws:${servers.port}/signed`));
    expect(exitCode).toBe(0);
    expect(json.probe.signing.signed).toBe(true);
    expect(json.probe.signing.detail).toContain('region ap-southeast-2');
    expect(json.probe.requests[0]!.status).toBe(200);
    const get = servers.requests.filter((r) => r.path === '/signed' && r.method === 'GET').at(-1)!;
    expect(get.headers.authorization).toContain('/ap-southeast-2/lambda/aws4_request');
    expect(get.headers.host).toBe(`abcdefghijklmnop.lambda-url.ap-southeast-2.on.aws:${servers.port}`);
  });

  it('a Function URL host without credentials goes unsigned and says why', async () => {
    const { json } = await direct(options(`http://abcdefghijklmnop.lambda-url.us-east-1.on.aws:${servers.port}/signed`), {
      credentials: async () => ({ ok: false, reason: 'Could not load credentials from any providers' }),
    });
    expect(json.probe.signing.signed).toBe(false);
    expect(json.probe.signing.detail).toMatch(/^unsigned: a Function URL, but no AWS credentials resolved/);
    expect(json.probe.requests[0]!.status).toBe(403);
  });

  it('--no-sign never signs, even with credentials', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET });
    const { json } = await direct(options(`http://abcdefghijklmnop.lambda-url.us-east-1.on.aws:${servers.port}/signed`, { sign: false }));
    expect(json.probe.signing.detail).toBe('unsigned (--no-sign)');
    expect(json.probe.requests[0]!.status).toBe(403);
  });
});

describe('probe: pure parts', () => {
  it('finds the prelude in the sample shape, and nothing in ordinary JSON', () => {
    const sample = preludeBytes({ statusCode: 200, headers: { 'content-type': 'text/event-stream' }, cookies: [] }, 'data: hello\n\n') as Buffer;
    expect(sample.length).toBe(99);
    const prelude = findLeakedPrelude(sample)!;
    expect(prelude.jsonBytes).toBe(78);
    expect(prelude.bodyOffset).toBe(86);
    expect(sample.subarray(prelude.bodyOffset).toString()).toBe('data: hello\n\n');
    expect(findLeakedPrelude(Buffer.from('{"statusCode":200}'))).toBeUndefined();
    expect(findLeakedPrelude(Buffer.concat([Buffer.from('{"statusCode":200}'), Buffer.alloc(7), Buffer.from('x')]))).toBeUndefined();
    expect(findLeakedPrelude(Buffer.concat([Buffer.from('{"items":[1]}'), Buffer.alloc(8)]))).toBeUndefined();
    expect(findLeakedPrelude(Buffer.concat([Buffer.from('{"statusCode":302,"headers":{"x":"a}b\\"c"}}'), Buffer.alloc(8)]))?.metadata.statusCode).toBe(302);
  });

  it('SSE: comments, CRLF, retry and multi-line data are fine; an unfinished stream is not judged on its cut line', () => {
    expect(checkSse(': hi\r\nevent: a\r\ndata: 1\r\ndata: 2\r\nretry: 100\r\n\r\n', true)).toEqual({ records: 1, problems: [] });
    expect(checkSse('data: 1\n\ndata: partial', false)).toEqual({ records: 1, problems: [] });
    expect(checkSse('data: 1\n\nhello\n\n', true).problems.map((p) => p.kind)).toEqual(['unknown-field']);
    expect(checkSse('data: 1\n\nretry: soon\n\n', true).problems.map((p) => p.kind)).toEqual(['bad-retry']);
    expect(checkSse('data: 1\n', true).problems.map((p) => p.kind)).toEqual(['unterminated-event']);
  });

  it('NDJSON: a cut last line of an ended stream is a cut record; of a running one, not judged', () => {
    expect(checkNdjson('{"a":1}\n{"a":', true).problems.map((p) => p.kind)).toEqual(['cut-record']);
    expect(checkNdjson('{"a":1}\n{"a":', false)).toEqual({ records: 1, problems: [] });
  });

  it('Function URL hosts and timeouts', () => {
    expect(functionUrlRegion('abc123xyz.lambda-url.eu-central-1.on.aws')).toBe('eu-central-1');
    expect(functionUrlRegion('example.com')).toBeUndefined();
    expect(functionUrlRegion('abc.lambda-url.eu-central-1.on.aws.evil.com')).toBeUndefined();
    expect(parseTimeout('10s')).toBe(10_000);
    expect(parseTimeout('500ms')).toBe(500);
    expect(parseTimeout('2m')).toBe(120_000);
    expect(parseTimeout('3')).toBe(3000);
    expect(() => parseTimeout('0s')).toThrow(/between/);
  });
});
