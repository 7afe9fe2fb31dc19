/**
 * `stream-doctor probe <url>`: send a few real requests to a Function URL (or any streaming endpoint) and
 * diagnose what comes back on the wire: raw status and headers, time to first byte against the total, the
 * chunk arrival timeline, leaked preludes, broken event-stream framing, responses that never end.
 * Requests, one after the other, each bounded by --timeout: the main GET (POST with --data), HEAD, an
 * OPTIONS preflight with Origin, and a repeat of the GET only when the first one looked buffered.
 * Measurement in probe/http, diagnoses in probe/analyze (thresholds in docs/probe.md), the shared report
 * model for the output, and the same exit codes as `scan`.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { LookupFunction } from 'node:net';
import type { Finding, Report, Severity, Subject } from '../model/finding.js';
import { failingFindings } from '../model/finding.js';
import { toJsonReport } from '../report/json.js';
import { formatReport } from '../report/index.js';
import { createProgress } from '../report/progress.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { UsageError } from './errors.js';
import { performExchange, isUnreachable, unreachableLine, MAX_CHUNKS_KEPT } from '../probe/http.js';
import { analyze, bufferedCandidate, burstAfterWait, type BodyFacts } from '../probe/analyze.js';
import { functionUrlRegion, resolveCredentials, signHeaders, type CredentialsResult } from '../probe/sign.js';
import { findingOf } from '../checks/runner.js';
import type { RuleMeta } from '../model/rule.js';
import { mediaType, type Exchange } from '../probe/types.js';

export const PROBE_FORMATS = ['text', 'json'] as const;
export type ProbeFormat = (typeof PROBE_FORMATS)[number];

/** Body bytes kept per response for the analysis; the rest is counted only. */
export const BODY_CAP_BYTES = 10 * 1024 * 1024;
export const DEFAULT_ORIGIN = 'https://example.com';
/** Chunk arrivals shown in the text timeline. */
const TIMELINE_SHOWN = 12;

export interface ProbeOptions {
  url: string;
  data?: string;
  /** `name: value`, repeatable. */
  headers: string[];
  origin?: string;
  /** true: always SigV4; false: never; undefined: when the host is a Function URL and credentials resolve. */
  sign?: boolean;
  region?: string;
  profile?: string;
  /** Per request: `10s`, `500ms`, `1m`, or seconds. */
  timeout: string;
  format: ProbeFormat;
  failOn: Severity | 'none';
  color: boolean;
  verbose: boolean;
}

export interface ProbeIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progressEnabled: boolean;
  env: NodeJS.ProcessEnv;
  /** Tests: resolve host names to a local address. */
  lookup?: LookupFunction;
  /** Tests: replace the SDK credential chain. */
  credentials?: (profile: string | undefined) => Promise<CredentialsResult>;
}

export interface ProbeOutcome {
  report: Report;
  exchanges: Exchange[];
  exitCode: number;
}

/** The endpoint could not be probed at all (invalid URL, DNS, refused, TLS): one line, exit 2. */
export class ProbeError extends UsageError {}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/;

/** `option`: the flag the value came from, as the error names it. */
export function parseTimeout(value: string, option = '--timeout'): number {
  const m = DURATION.exec(value.trim());
  if (!m) throw new UsageError(`${option} must look like 10s, 500ms or 2m (got "${value}")`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit === 'm' ? n * 60_000 : n * 1000;
  if (ms < 100 || ms > 900_000) throw new UsageError(`${option} must be between 100ms and 15m (got "${value}")`);
  return Math.round(ms);
}

export function parseUrl(value: string): URL {
  const given = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new ProbeError(`not a valid URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProbeError(`only http and https URLs can be probed (got "${url.protocol}")`);
  if (url.username || url.password) throw new ProbeError('credentials in the URL are not supported: use --header or --sign');
  return url;
}

export function parseHeaders(lines: string[]): Array<[string, string]> {
  return lines.map((line) => {
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon).trim();
    const value = colon === -1 ? '' : line.slice(colon + 1).trim();
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      throw new UsageError(`--header must look like 'name: value' with a valid name and value (got "${line}")`);
    }
    return [name.toLowerCase(), value];
  });
}

interface Signing {
  /** Present when requests are signed. */
  sign?: (method: string, headers: Record<string, string>, body?: Buffer) => Promise<Record<string, string>>;
  fact: string;
  notes: string[];
}

async function decideSigning(url: URL, options: ProbeOptions, io: ProbeIo): Promise<Signing> {
  const urlRegion = functionUrlRegion(url.hostname);
  const resolve = io.credentials ?? resolveCredentials;
  if (options.sign === false) return { fact: 'unsigned (--no-sign)', notes: [] };
  const notes: string[] = [];
  if (options.region && urlRegion && options.region !== urlRegion) notes.push(`--region ${options.region} differs from the URL's region ${urlRegion}: the signature uses ${options.region}`);
  const region = options.region ?? urlRegion ?? (options.sign ? io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION : undefined);
  if (options.sign === true) {
    if (!region) throw new ProbeError('--sign needs a region: the host is not a Function URL (<id>.lambda-url.<region>.on.aws); pass --region');
    const creds = await resolve(options.profile);
    if (!creds.ok) throw new ProbeError(`--sign: no AWS credentials (${creds.reason}): run \`aws configure\`, set AWS_PROFILE or pass --profile`);
    return { sign: signerFor(url, creds, region), fact: `SigV4, service lambda, region ${region}, credentials from ${creds.source} (--sign)`, notes };
  }
  if (!urlRegion) return { fact: 'unsigned: not a Function URL host (--sign signs anyway)', notes };
  const creds = await resolve(options.profile);
  if (!creds.ok) return { fact: `unsigned: a Function URL, but no AWS credentials resolved (${creds.reason})`, notes };
  return { sign: signerFor(url, creds, region!), fact: `SigV4, service lambda, region ${region}, credentials from ${creds.source} (a Function URL; --no-sign to send unsigned)`, notes };
}

function signerFor(url: URL, creds: Extract<CredentialsResult, { ok: true }>, region: string): Signing['sign'] {
  return (method, headers, body) => signHeaders({ method, url, headers, ...(body ? { body } : {}) }, creds.credentials, region);
}

interface Plan {
  label: string;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Headers a browser may send without a preflight naming them. */
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language', 'origin', 'host', 'user-agent']);

function plans(url: URL, options: ProbeOptions, userHeaders: Array<[string, string]>): { main: Plan; head: Plan; options: Plan } {
  const origin = options.origin ?? DEFAULT_ORIGIN;
  const base: Record<string, string> = { host: url.host, 'user-agent': `${TOOL_NAME}/${TOOL_VERSION} (probe)`, accept: '*/*', origin };
  for (const [name, value] of userHeaders) base[name] = value;
  const body = options.data !== undefined ? Buffer.from(options.data, 'utf8') : undefined;
  const method = body ? 'POST' : 'GET';
  const mainHeaders = { ...base };
  if (body) {
    mainHeaders['content-type'] ??= looksLikeJson(options.data!) ? 'application/json' : 'text/plain; charset=utf-8';
    mainHeaders['content-length'] = String(body.length);
  }
  const requested = Object.keys(mainHeaders).filter((name) => !SAFELISTED.has(name) && name !== 'content-length');
  const preflight: Record<string, string> = {
    host: url.host,
    'user-agent': base['user-agent']!,
    accept: '*/*',
    origin: base.origin!,
    'access-control-request-method': method,
  };
  if (requested.length) preflight['access-control-request-headers'] = requested.sort().join(',');
  return {
    main: { label: method, method, headers: mainHeaders, ...(body ? { body } : {}) },
    head: { label: 'HEAD', method: 'HEAD', headers: { ...base } },
    options: { label: 'OPTIONS', method: 'OPTIONS', headers: preflight },
  };
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return /^\s*[[{]/.test(text);
  } catch {
    return false;
  }
}

export async function probeUrl(options: ProbeOptions, io: ProbeIo): Promise<ProbeOutcome> {
  const started = Date.now();
  const url = parseUrl(options.url);
  const timeoutMs = parseTimeout(options.timeout);
  const userHeaders = parseHeaders(options.headers);
  if (options.origin !== undefined) {
    try {
      validateHeaderValue('origin', options.origin);
    } catch {
      throw new UsageError(`--origin is not a valid header value: "${options.origin}"`);
    }
  }
  const signing = await decideSigning(url, options, io);
  const progress = createProgress({ enabled: io.progressEnabled });

  const send = async (plan: Plan): Promise<Exchange> => {
    progress.update(`${plan.label} ${url.href}…`);
    const headers = signing.sign ? await signing.sign(plan.method, plan.headers, plan.body) : plan.headers;
    return performExchange({
      label: plan.label,
      method: plan.method,
      url,
      headers,
      ...(plan.body ? { body: plan.body } : {}),
      timeoutMs,
      bodyCapBytes: BODY_CAP_BYTES,
      signed: !!signing.sign,
      ...(io.lookup ? { lookup: io.lookup } : {}),
    });
  };

  const planned = plans(url, options, userHeaders);
  const exchanges: Exchange[] = [];
  let repeat: Exchange | undefined;
  const others: Exchange[] = [];
  let main: Exchange;
  try {
    main = await send(planned.main);
    exchanges.push(main);
    if (isUnreachable(main)) throw new ProbeError(unreachableLine(main, url));
    for (const plan of [planned.head, planned.options]) {
      const exchange = await send(plan);
      exchanges.push(exchange);
      others.push(exchange);
    }
    // Once more, only when the first answer looked buffered: a cold start can look the same once.
    // Never for a POST: it may not be safe to send twice.
    if (main.method === 'GET' && bufferedCandidate(main)) {
      repeat = await send({ ...planned.main, label: 'GET (repeat)' });
      exchanges.push(repeat);
    }
  } finally {
    progress.stop();
  }

  const analysis = analyze({ main, others, ...(repeat ? { repeat } : {}) }, { timeoutMs, functionUrl: functionUrlRegion(url.hostname) !== undefined });
  const notes = [...signing.notes];
  for (const exchange of exchanges) {
    if (exchange !== main && isUnreachable(exchange)) notes.push(`${exchange.label}: ${unreachableLine(exchange, url)}`);
  }
  notes.push(...analysis.notes);
  if (options.origin === undefined) notes.push(`Origin sent: ${DEFAULT_ORIGIN} (pass --origin with your site's origin to test its CORS answer)`);

  const file = url.href;
  const findings: Finding[] = analysis.findings.map((f) =>
    findingOf(f.meta, f, { file, line: 1, column: 1, field: f.requests.join(', ') }, { origin: 'project', fixable: false, evidence: probeEvidence(f.meta) }, `${f.requests[0]}:${f.key}`),
  );

  const subject: Subject = {
    id: file,
    title: `probe ${file}`,
    facts: [{ label: 'signing', value: signing.fact }, ...exchanges.flatMap((e) => exchangeFacts(e, analysis.bodies.get(e.label), timeoutMs))],
    notes,
  };
  const report: Report = {
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    root: file,
    subjects: [subject],
    coverage: `${exchanges.length} request${exchanges.length === 1 ? '' : 's'} sent (rules and thresholds: docs/probe.md)`,
    findings,
    suppressed: [],
    skipped: [],
    stats: { filesWalked: 0, filesPrefiltered: 0, filesParsed: 0, packagesInventoried: 0, filesSkipped: 0, durationMs: Date.now() - started },
  };

  if (options.format === 'json') {
    const json = { ...toJsonReport(report), probe: probeJson(url, signing, timeoutMs, exchanges, analysis.bodies) };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.stdout(formatReport(report, 'text', { color: options.color, verbose: options.verbose }));
  }
  const failing = failingFindings(findings, options.failOn).length > 0;
  return { report, exchanges, exitCode: failing ? 1 : 0 };
}

// ---- facts -------------------------------------------------------------------------------------------

/** The probe's own rules state how the probe sees them; a static rule's id points at its page for the bug. */
function probeEvidence(meta: RuleMeta): string {
  if (meta.surface === 'probe') return meta.evidence;
  return `Observed on the wire by stream-doctor probe; the bug and its fix: docs/rules/${meta.id}.md.`;
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function size(value: number): string {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

/** Set-Cookie values are session secrets: the name and attributes are enough for a diagnosis. */
function shownHeaders(exchange: Exchange): Array<[string, string]> {
  return exchange.rawHeaders.map(([name, value]) => {
    if (name.toLowerCase() !== 'set-cookie') return [name, value];
    const [pair = '', ...attributes] = value.split(';');
    const cookieName = pair.split('=')[0]!.trim();
    return [name, [`${cookieName}=<redacted>`, ...attributes.map((a) => a.trim())].join('; ')];
  });
}

function exchangeFacts(exchange: Exchange, body: BodyFacts | undefined, timeoutMs: number): Subject['facts'] {
  const facts: Subject['facts'] = [];
  const label = exchange.label;
  if (exchange.outcome === 'failed') {
    facts.push({ label, value: `no response: ${exchange.error ?? exchange.errorCode ?? 'connection error'}` });
    return facts;
  }
  const parts: string[] = [];
  if (exchange.status !== undefined) parts.push(`${exchange.status}${exchange.statusText ? ` ${exchange.statusText}` : ''}`);
  const media = mediaType(exchange);
  if (media) parts.push(media);
  const timing: string[] = [];
  if (exchange.connectMs !== undefined) timing.push(`connected ${ms(exchange.connectMs)}`);
  if (exchange.headersMs !== undefined) timing.push(`headers ${ms(exchange.headersMs)}`);
  if (exchange.firstByteMs !== undefined) timing.push(`first byte ${ms(exchange.firstByteMs)}`);
  const end =
    exchange.outcome === 'complete'
      ? `total ${ms(exchange.totalMs)}`
      : exchange.outcome === 'timeout'
        ? `no end: gave up at --timeout ${Number((timeoutMs / 1000).toFixed(3))} s`
        : `connection closed at ${ms(exchange.totalMs)} before the end`;
  timing.push(end);
  parts.push(timing.join(', '));
  if (exchange.method !== 'HEAD') {
    let delivery = exchange.bodyBytes === 0 ? 'no body' : `${size(exchange.bodyBytes)} in ${exchange.chunkCount} chunk${exchange.chunkCount === 1 ? '' : 's'}`;
    if (exchange.chunkCount > 1 && exchange.firstByteMs !== undefined && exchange.lastByteMs !== undefined) {
      delivery += ` over ${ms(exchange.lastByteMs - exchange.firstByteMs)}`;
    }
    if (burstAfterWait(exchange) && exchange.bodyBytes > 0) delivery += ', one burst after the wait';
    if (exchange.bodyCapped) delivery += ` (first ${size(BODY_CAP_BYTES)} kept)`;
    parts.push(delivery);
  }
  if (exchange.signed) parts.push('signed');
  facts.push({ label, value: parts.join('; ') });

  if (exchange.chunkCount > 0 && exchange.method !== 'HEAD') {
    const shown = exchange.chunks.slice(0, TIMELINE_SHOWN).map((c) => `+${ms(c.atMs)} ${size(c.bytes)}`);
    const more = exchange.chunkCount - Math.min(exchange.chunkCount, TIMELINE_SHOWN);
    facts.push({ label: `${label} chunks`, value: `${shown.join(', ')}${more > 0 ? `, … ${more} more` : ''}` });
  }
  if (body?.prelude) facts.push({ label: `${label} body`, value: `starts with a ${body.prelude.jsonBytes}-byte JSON prelude and 8 NUL bytes` });
  if (body?.framing) {
    const { kind, result } = body.framing;
    facts.push({ label: `${label} framing`, value: `${kind === 'sse' ? 'SSE' : 'NDJSON'}: ${result.records} ${kind === 'sse' ? 'event' : 'record'}${result.records === 1 ? '' : 's'}, ${result.problems.length} problem line${result.problems.length === 1 ? '' : 's'}` });
  }
  const headers = shownHeaders(exchange);
  if (headers.length > 0) facts.push({ label: `${label} headers`, value: headers.map(([n, v]) => `${n}: ${v}`).join(' | ') });
  return facts;
}

// ---- JSON --------------------------------------------------------------------------------------------

function probeJson(url: URL, signing: Signing, timeoutMs: number, exchanges: Exchange[], bodies: Map<string, BodyFacts>) {
  return {
    url: url.href,
    signing: { signed: !!signing.sign, detail: signing.fact },
    timeoutMs,
    requests: exchanges.map((e) => {
      const body = bodies.get(e.label);
      return {
        label: e.label,
        method: e.method,
        outcome: e.outcome,
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.status !== undefined ? { status: e.status } : {}),
        ...(e.statusText ? { statusText: e.statusText } : {}),
        ...(e.httpVersion ? { httpVersion: e.httpVersion } : {}),
        headers: shownHeaders(e),
        ...(e.connectMs !== undefined ? { connectMs: e.connectMs } : {}),
        ...(e.headersMs !== undefined ? { headersMs: e.headersMs } : {}),
        ...(e.firstByteMs !== undefined ? { ttfbMs: e.firstByteMs } : {}),
        ...(e.lastByteMs !== undefined ? { lastByteMs: e.lastByteMs } : {}),
        totalMs: e.totalMs,
        bodyBytes: e.bodyBytes,
        bodyCapped: e.bodyCapped,
        chunkCount: e.chunkCount,
        chunks: e.chunks.slice(0, MAX_CHUNKS_KEPT),
        signed: e.signed,
        ...(body?.prelude ? { prelude: preludeJson(body.prelude) } : {}),
        ...(body?.framing ? { framing: { kind: body.framing.kind, records: body.framing.result.records, problems: body.framing.result.problems } } : {}),
      };
    }),
  };
}

/** What the leaked prelude meant, without header values or cookies (they may hold secrets). */
function preludeJson(prelude: NonNullable<BodyFacts['prelude']>) {
  const { statusCode, headers, cookies } = prelude.metadata;
  return {
    jsonBytes: prelude.jsonBytes,
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
    headerNames: headers && typeof headers === 'object' ? Object.keys(headers) : [],
    cookies: Array.isArray(cookies) ? cookies.length : 0,
  };
}
