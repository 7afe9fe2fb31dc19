/**
 * Diagnoses from measured exchanges. Pure: the same exchanges always give the same findings. Every
 * threshold is a named constant below and is stated in docs/probe.md; a rule only fires on the evidence
 * it names, and weaker evidence lowers the severity rather than inventing certainty.
 */
import type { Severity } from '../model/finding.js';
import { observe, type Observation } from '../checks/observations.js';
import { emptyBody } from '../checks/probe/empty-body.js';
import { ndjsonFraming } from '../checks/probe/ndjson-framing.js';
import { noResponse } from '../checks/probe/no-response.js';
import { nulBytesInBody } from '../checks/probe/nul-bytes-in-body.js';
import { responseAborted } from '../checks/probe/response-aborted.js';
import { responseBuffered } from '../checks/probe/response-buffered.js';
import { sseFraming } from '../checks/probe/sse-framing.js';
import { streamStillOpen } from '../checks/probe/stream-still-open.js';
import { probeObservations } from './observations.js';
import { checkNdjson, checkSse, isNdjson, isSse, shorten, type FramingProblem, type FramingResult } from './framing.js';
import { findLeakedPrelude, INTEGRATION_CONTENT_TYPE, type LeakedPrelude } from './prelude.js';
import { headerValue, headerValues, mediaType, type Exchange } from './types.js';

/** response-buffered: the server-side wait before the first body byte must be at least this long… */
export const BUFFERED_MIN_WAIT_MS = 500;
/** …and at least this share of the whole exchange (the rest is the burst). */
export const BUFFERED_MIN_SHARE = 0.9;
/** …and the body must be worth streaming: this many bytes, or BUFFERED_MIN_RECORDS events / lines. */
export const BUFFERED_MIN_BYTES = 1024;
export const BUFFERED_MIN_RECORDS = 2;
/** stream-never-ended: silent for at least this share of --timeout when it expired. */
export const HANG_MIN_IDLE_SHARE = 0.5;
/** set-content-type-after-from instead of a BUFFERED URL: the leaked body was visibly streamed over this many ms. */
export const STREAMED_MIN_SPREAD_MS = 100;

/** An observation on the wire: the rule's problem (message rendered, metadata attached) and where it was seen. */
export interface ProbeFinding extends Observation {
  /** The request labels it was seen on (`GET`, `OPTIONS`…). */
  requests: string[];
  /** Logical key for the fingerprint: stable across runs (no timings). */
  key: string;
}

function seenOn(observation: Observation, requests: string[], key: string): ProbeFinding {
  return { ...observation, requests, key };
}

export interface AnalysisContext {
  timeoutMs: number;
  /** The URL is a Lambda Function URL host. */
  functionUrl: boolean;
}

export interface Analysis {
  findings: ProbeFinding[];
  notes: string[];
  /** Per request label: what the body turned out to be, for the facts. */
  bodies: Map<string, BodyFacts>;
}

export interface BodyFacts {
  prelude?: LeakedPrelude;
  framing?: { kind: 'sse' | 'ndjson'; result: FramingResult };
}

const TEXTUAL = /^(text\/|application\/(json|[\w.+-]*\+json|x-ndjson|ndjson|jsonl|x-jsonl|jsonlines|x-jsonlines|json-lines|xml|[\w.+-]*\+xml|javascript|x-www-form-urlencoded)$)/;

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function seconds(value: number): string {
  return `${Number((value / 1000).toFixed(3))} s`;
}

function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

function isLambda(exchange: Exchange, ctx: AnalysisContext): boolean {
  return ctx.functionUrl || headerValue(exchange, 'x-amzn-requestid') !== undefined;
}

function is2xx(exchange: Exchange): boolean {
  return exchange.status !== undefined && exchange.status >= 200 && exchange.status < 300;
}

/**
 * The timing half of response-buffered: a long server-side wait, then the whole body at once. Measured
 * from the connection being ready, so DNS and TLS do not count as waiting.
 */
export function burstAfterWait(exchange: Exchange): { waitMs: number; burstMs: number } | undefined {
  if (exchange.outcome !== 'complete' || exchange.method === 'HEAD' || !is2xx(exchange)) return undefined;
  if (exchange.firstByteMs === undefined) return undefined;
  const origin = exchange.connectMs ?? 0;
  const waitMs = exchange.firstByteMs - origin;
  const totalMs = exchange.totalMs - origin;
  if (waitMs < BUFFERED_MIN_WAIT_MS || totalMs <= 0 || waitMs < BUFFERED_MIN_SHARE * totalMs) return undefined;
  return { waitMs, burstMs: exchange.totalMs - exchange.firstByteMs };
}

/** The body facts of one exchange: a leaked prelude, and the framing of what follows it. */
export function bodyFacts(exchange: Exchange): BodyFacts {
  const facts: BodyFacts = {};
  const prelude = findLeakedPrelude(exchange.body);
  if (prelude) facts.prelude = prelude;
  const media = mediaType(exchange);
  const ended = exchange.outcome === 'complete' && !exchange.bodyCapped;
  const text = () => exchange.body.subarray(prelude?.bodyOffset ?? 0).toString('utf8');
  // A leaked prelude carries the content type the handler meant; the framing is judged by it.
  const declared = prelude ? preludeMediaType(prelude) ?? media : media;
  if (isSse(declared)) facts.framing = { kind: 'sse', result: checkSse(text(), ended) };
  else if (isNdjson(declared)) facts.framing = { kind: 'ndjson', result: checkNdjson(text(), ended) };
  return facts;
}

function preludeMediaType(prelude: LeakedPrelude): string | undefined {
  const headers = prelude.metadata.headers;
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() === 'content-type' && typeof value === 'string') return value.split(';')[0]!.trim().toLowerCase();
  }
  return undefined;
}

/**
 * `main` is the GET (or POST with --data) whose body is judged; `repeat` the same request sent again
 * when `main` looked buffered (a cold start can look the same once); `others` HEAD and OPTIONS.
 */
export function analyze(exchanges: { main: Exchange; repeat?: Exchange; others: Exchange[] }, ctx: AnalysisContext): Analysis {
  const findings: ProbeFinding[] = [];
  const notes: string[] = [];
  const bodies = new Map<string, BodyFacts>();
  const all = [exchanges.main, ...exchanges.others, ...(exchanges.repeat ? [exchanges.repeat] : [])];

  for (const exchange of all) {
    findings.push(...corsDuplicates(exchange));
    findings.push(...completion(exchange, ctx));
  }

  const main = exchanges.main;
  const body = bodyFacts(main);
  bodies.set(main.label, body);
  findings.push(...bodyFindings(main, body, ctx));
  const buffered = bufferedFinding(main, exchanges.repeat, body, notes);
  if (buffered) findings.push(buffered);

  notes.push(...statusNotes(all, ctx));
  return { findings: mergeAcrossRequests(findings), notes, bodies };
}

// ---- CORS ----------------------------------------------------------------------------------------

/** Headers a browser requires to hold exactly one value. */
const SINGLE_VALUED = new Set(['access-control-allow-origin', 'access-control-allow-credentials']);

function corsDuplicates(exchange: Exchange): ProbeFinding[] {
  const byName = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of exchange.rawHeaders) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('access-control-')) continue;
    const entry = byName.get(lower);
    if (entry) entry.values.push(value);
    else byName.set(lower, { name, values: [value] });
  }
  const problems: Array<{ severity: Severity; text: string; key: string }> = [];
  for (const [lower, { name, values }] of byName) {
    const shown = values.map((v) => `"${shorten(v, 40)}"`).join(' and ');
    if (SINGLE_VALUED.has(lower)) {
      if (values.length > 1) problems.push({ severity: 'error', text: `${name} is sent ${values.length} times (${shown})`, key: `${lower}x${values.length}` });
      else if (values[0]!.includes(',')) problems.push({ severity: 'error', text: `${name} holds comma-joined values (${shown})`, key: `${lower},` });
    } else if (values.length > 1) {
      problems.push({ severity: 'info', text: `${name} is sent ${values.length} times (${shown})`, key: `${lower}x${values.length}` });
    }
  }
  if (problems.length === 0) return [];
  const severity: Severity = problems.some((p) => p.severity === 'error') ? 'error' : 'info';
  // Different origins in one header is a list of allowed origins, not two layers adding the same one.
  const origins = [...byName.entries()].filter(([lower]) => lower === 'access-control-allow-origin').flatMap(([, { values }]) => values.flatMap((v) => v.split(',').map((o) => o.trim())));
  const list = new Set(origins).size > 1;
  // A list needs two values in Access-Control-Allow-Origin, which is single-valued: always an error.
  const messageId = list ? 'originList' : severity === 'error' ? 'setTwiceRejected' : 'setTwiceMerged';
  const observation = probeObservations.observe('duplicate-cors', {
    messageId,
    data: { problems: problems.map((p) => p.text).join('; ') },
    severity,
    fix: list
      ? 'Echo the one allowed origin that matches the request (the Function URL Cors AllowOrigins does this), never a comma-separated list.'
      : 'Keep CORS in one place: remove the Function URL Cors configuration, or the app\'s CORS middleware/headers.',
  });
  return [seenOn(observation, [exchange.label], problems.map((p) => p.key).sort().join('|'))];
}

// ---- completion: hangs, resets, timeouts ----------------------------------------------------------

function completion(exchange: Exchange, ctx: AnalysisContext): ProbeFinding[] {
  const label = exchange.label;
  const timeout = seconds(ctx.timeoutMs);
  if (exchange.outcome === 'timeout' && exchange.headersMs === undefined && exchange.connectMs !== undefined) {
    const observation = observe(noResponse, {
      messageId: 'noStatusLine',
      data: { timeout, connectedAt: ms(exchange.connectMs) },
      severity: 'warning',
      fix: 'Rerun with a longer --timeout; if it still hangs, run `stream-doctor scan` on the handler and check its end() on every path.',
    });
    return [seenOn(observation, [label], 'no-status')];
  }
  if (exchange.outcome === 'timeout' && exchange.headersMs !== undefined) {
    const lastActivity = exchange.lastByteMs ?? exchange.headersMs;
    const idle = exchange.totalMs - lastActivity;
    const status = `status ${exchange.status ?? '?'} at ${ms(exchange.headersMs)}`;
    if (idle < HANG_MIN_IDLE_SHARE * ctx.timeoutMs) {
      const observation = observe(streamStillOpen, {
        messageId: 'stillStreaming',
        data: { timeout, status, size: bytes(exchange.bodyBytes), chunks: exchange.chunkCount, idle: ms(idle) },
        severity: 'info',
        fix: 'Rerun with a longer --timeout to see the response end.',
      });
      return [seenOn(observation, [label], 'still-open')];
    }
    if (exchange.bodyBytes === 0) {
      const observation = probeObservations.observe('stream-never-ended', {
        messageId: 'noBodyNoEnd',
        data: { status, idle: ms(idle), timeout },
        severity: 'error',
        fix: 'End the stream on every path (`responseStream.end()`, after `write("")` when metadata was set); `stream-doctor scan` finds the path.',
      });
      return [seenOn(observation, [label], 'no-body-no-end')];
    }
    const observation = probeObservations.observe('stream-never-ended', {
      messageId: 'stalled',
      data: { status, size: bytes(exchange.bodyBytes), lastActivity: ms(lastActivity), idle: ms(idle), timeout },
      severity: 'warning',
      fix: 'Rerun with a longer --timeout; if it never ends, end the stream on every path (`stream-doctor scan` finds the path).',
    });
    return [seenOn(observation, [label], 'stalled')];
  }
  if (exchange.outcome === 'aborted') {
    const observation = observe(responseAborted, {
      messageId: 'closedEarly',
      data: { size: bytes(exchange.bodyBytes), at: ms(exchange.totalMs), error: exchange.error ?? exchange.errorCode ?? 'reset' },
      severity: 'warning',
      fix: 'Check the function\'s logs for a crash at that time (`stream-doctor aws --function NAME` reads them).',
    });
    return [seenOn(observation, [label], 'aborted')];
  }
  return [];
}

// ---- body ------------------------------------------------------------------------------------------

function bodyFindings(exchange: Exchange, body: BodyFacts, ctx: AnalysisContext): ProbeFinding[] {
  if (exchange.status === undefined || exchange.method === 'HEAD') return [];
  const out: ProbeFinding[] = [];
  const label = exchange.label;
  const media = mediaType(exchange);

  const integrationType = headerValues(exchange, 'content-type').some((v) => v.toLowerCase().includes(INTEGRATION_CONTENT_TYPE));
  if (body.prelude || integrationType) {
    out.push(preludeLeak(exchange, body.prelude, integrationType));
  }

  const scanFrom = body.prelude?.bodyOffset ?? 0;
  if (media && TEXTUAL.test(media) && !/charset\s*=\s*"?utf-?(16|32)/i.test(headerValue(exchange, 'content-type') ?? '')) {
    const rest = exchange.body.subarray(scanFrom);
    const first = rest.indexOf(0);
    if (first !== -1) {
      let count = 0;
      for (const byte of rest) if (byte === 0) count++;
      const observation = observe(nulBytesInBody, {
        messageId: 'nulInTextBody',
        data: { nulBytes: `${count} NUL byte${count === 1 ? '' : 's'}`, media, first: scanFrom + first },
        severity: 'warning',
        fix: 'Flush the prelude with `write("")` instead of writing NUL or filler bytes (see junk-bytes-for-empty-body, manual-prelude).',
      });
      out.push(seenOn(observation, [label], `nul:${media}`));
    }
  }

  if (body.framing && body.framing.result.problems.length > 0) {
    const { kind, result } = body.framing;
    const problem = {
      messageId: body.prelude ? ('malformedAfterPrelude' as const) : ('malformed' as const),
      data: { problems: describeProblems(result.problems) },
      severity: 'error' as const,
    };
    const observation =
      kind === 'sse'
        ? observe(sseFraming, { ...problem, fix: 'Write each event as `data: <one line>\\n` lines followed by a blank line (`\\n\\n`); JSON.stringify without indentation.' })
        : observe(ndjsonFraming, { ...problem, fix: 'Write exactly one JSON.stringify(record) (no indentation) followed by "\\n" per record.' });
    out.push(seenOn(observation, [label], `${kind}:${[...new Set(result.problems.map((p) => p.kind))].sort().join(',')}`));
  }

  if (exchange.outcome === 'complete' && exchange.bodyBytes === 0 && exchange.status === 200 && media === 'application/octet-stream' && isLambda(exchange, ctx) && headerValue(exchange, 'content-disposition') === undefined) {
    const observation = probeObservations.observe('prelude-not-flushed', {
      messageId: 'emptyOctetStream',
      data: {},
      severity: 'warning',
      fix: 'Call `stream.write("")` right after HttpResponseStream.from() (`stream-doctor scan` finds the spot).',
    });
    out.push(seenOn(observation, [label], 'octet-stream-empty'));
  } else if (
    exchange.outcome === 'complete' &&
    exchange.bodyBytes === 0 &&
    is2xx(exchange) &&
    exchange.status !== 204 &&
    exchange.status !== 205 &&
    media !== undefined &&
    media !== 'application/octet-stream'
  ) {
    const observation = observe(emptyBody, {
      messageId: 'declaredButEmpty',
      data: { status: exchange.status, media },
      severity: 'warning',
      fix: 'Check that every path writes the body before end(), and that the URL\'s InvokeMode matches the handler (`stream-doctor aws --function NAME`).',
    });
    out.push(seenOn(observation, [label], `empty:${media}`));
  }
  return out;
}

/** One clause per kind of problem, in order of first appearance: its first line, then how many more. */
function describeProblems(problems: FramingProblem[]): string {
  const byKind = new Map<string, FramingProblem[]>();
  for (const problem of problems) {
    const list = byKind.get(problem.kind);
    if (list) list.push(problem);
    else byKind.set(problem.kind, [problem]);
  }
  const clauses = [...byKind.values()].map(([first, ...more]) => {
    const others = more.length ? ` (${more.length} more like it: line ${more.slice(0, 5).map((p) => p.line).join(', ')}${more.length > 5 ? ', …' : ''})` : '';
    return `line ${first!.line} \`${first!.text}\`: ${first!.reason}${others}`;
  });
  const text = clauses.join('; ');
  return text[0]!.toUpperCase() + text.slice(1);
}

function preludeLeak(exchange: Exchange, prelude: LeakedPrelude | undefined, integrationType: boolean): ProbeFinding {
  const described = prelude
    ? `${prelude.jsonBytes} bytes of JSON metadata${typeof prelude.metadata.statusCode === 'number' ? `, statusCode ${prelude.metadata.statusCode}` : ''}`
    : undefined;
  const spread = exchange.firstByteMs !== undefined && exchange.lastByteMs !== undefined ? exchange.lastByteMs - exchange.firstByteMs : 0;
  const media = mediaType(exchange);
  const streamed = exchange.chunkCount > 1 && spread >= STREAMED_MIN_SPREAD_MS;
  if (prelude && streamed && !integrationType && media !== undefined && media !== 'application/json') {
    // A BUFFERED URL cannot deliver bytes over time: the path streams, so the handler mislabelled its own stream.
    const observation = probeObservations.observe('set-content-type-after-from', {
      messageId: 'preludeStreamed',
      data: { prelude: described!, spread: ms(spread), media },
      severity: 'warning',
      fix: 'Remove setContentType() and put `content-type` in the headers passed to HttpResponseStream.from().',
    });
    return seenOn(observation, [exchange.label], 'prelude-streamed');
  }
  const fix = 'Set the Function URL\'s InvokeMode to RESPONSE_STREAM (and redeploy); keep BUFFERED only with a buffered handler.';
  const observation = described
    ? probeObservations.observe('streaming-handler-behind-buffered-url', { messageId: 'preludeInBody', data: { prelude: described }, severity: 'error', fix })
    : probeObservations.observe('streaming-handler-behind-buffered-url', { messageId: 'integrationContentType', data: {}, severity: 'error', fix });
  return seenOn(observation, [exchange.label], integrationType && !prelude ? 'integration-content-type' : 'prelude-in-body');
}

// ---- timing ----------------------------------------------------------------------------------------

const STREAMING_MEDIA = (media: string | undefined) => isSse(media) || isNdjson(media);

/** The main request looks buffered on its own (timing and size); the repeat decides whether to believe it. */
export function bufferedCandidate(main: Exchange, body: BodyFacts = bodyFacts(main)): { waitMs: number; burstMs: number } | undefined {
  const burst = burstAfterWait(main);
  if (!burst) return undefined;
  if (body.prelude) return undefined; // already explained: a BUFFERED URL in front of a streaming handler
  const records = body.framing?.result.records ?? 0;
  if (main.bodyBytes < BUFFERED_MIN_BYTES && records < BUFFERED_MIN_RECORDS) return undefined;
  return burst;
}

function bufferedFinding(main: Exchange, repeat: Exchange | undefined, body: BodyFacts, notes: string[]): ProbeFinding | undefined {
  const burst = bufferedCandidate(main, body);
  if (!burst) return undefined;
  const records = body.framing?.result.records ?? 0;
  const media = mediaType(main);
  let severity: Severity = STREAMING_MEDIA(media) ? 'warning' : 'info';
  let repeatWait: string | undefined;
  if (repeat) {
    const again = burstAfterWait(repeat);
    if (!again) {
      notes.push(`${main.label} arrived in one burst after ${ms(burst.waitMs)}, but the repeated request did not: a cold start, not buffering.`);
      return undefined;
    }
    repeatWait = ms(again.waitMs);
  } else {
    severity = 'info';
  }
  const headersEarly = main.headersMs !== undefined && main.firstByteMs !== undefined && main.firstByteMs - main.headersMs >= BUFFERED_MIN_WAIT_MS / 2;
  const size = records >= BUFFERED_MIN_RECORDS ? `${records} ${body.framing?.kind === 'sse' ? 'events' : 'records'}, ${bytes(main.bodyBytes)}` : bytes(main.bodyBytes);
  const data = { size, wait: ms(burst.waitMs), burst: burst.burstMs < 1 ? 'in one piece' : `all within ${Math.round(burst.burstMs)} ms` };
  // Who holds the body back (the app when the headers came early), whether the repeat confirmed it, and
  // whether the content type is one that may well be meant to arrive at once.
  const maybeFine = severity === 'info' && !STREAMING_MEDIA(media);
  const fix = 'On a Function URL set InvokeMode RESPONSE_STREAM; in the handler, write each piece as it is produced (pipeline() from the source, no await res.text()).';
  let observation: Observation<'response-buffered'>;
  if (repeatWait !== undefined) {
    const confirmed = { ...data, repeatWait };
    observation = headersEarly
      ? observe(responseBuffered, { messageId: maybeFine ? 'appBuffersMaybeFine' : 'appBuffers', data: { ...confirmed, headersAt: ms(main.headersMs!) }, severity, fix })
      : observe(responseBuffered, { messageId: maybeFine ? 'pathBuffersMaybeFine' : 'pathBuffers', data: confirmed, severity, fix });
  } else {
    observation = headersEarly
      ? observe(responseBuffered, { messageId: maybeFine ? 'appBuffersUnrepeatedMaybeFine' : 'appBuffersUnrepeated', data: { ...data, headersAt: ms(main.headersMs!) }, severity, fix })
      : observe(responseBuffered, { messageId: maybeFine ? 'pathBuffersUnrepeatedMaybeFine' : 'pathBuffersUnrepeated', data, severity, fix });
  }
  return seenOn(observation, [main.label], 'burst');
}

// ---- notes -----------------------------------------------------------------------------------------

function statusNotes(exchanges: Exchange[], ctx: AnalysisContext): string[] {
  // The same explanation for several requests is one note naming them all.
  const labelsByNote = new Map<string, string[]>();
  const main = exchanges[0];
  const notes: string[] = [];
  if (main?.status !== undefined && main.status >= 400) {
    notes.push(`${main.label} answered ${main.status}: the streaming checks below ran on an error response; get a 2xx first for a meaningful diagnosis.`);
  }
  for (const exchange of exchanges) {
    if (exchange.status === undefined || !isLambda(exchange, ctx)) continue;
    const errorType = headerValue(exchange, 'x-amzn-errortype');
    const suffix = errorType ? ` (x-amzn-ErrorType: ${shorten(errorType, 60)})` : '';
    let note: string | undefined;
    if (exchange.status === 403 && !exchange.signed) {
      note = `403 on an unsigned request${suffix}: an AWS_IAM URL needs SigV4 (--sign, with credentials), or the resource policy does not allow public access.`;
    } else if (exchange.status === 403) {
      note = `403 on a signed request${suffix}: the caller lacks lambda:InvokeFunctionUrl (URLs created since October 2025 also need lambda:InvokeFunction), or the signing region is wrong.`;
    } else if (exchange.status === 502) {
      note = `502${suffix}: the function failed, or sent a malformed response (end(data) before any write(): end-data-bypasses-prelude).`;
    } else if (exchange.status === 429) {
      note = `429${suffix}: throttled (reserved concurrency reached, or held by hanging invocations).`;
    }
    if (!note) continue;
    const labels = labelsByNote.get(note);
    if (labels) labels.push(exchange.label);
    else labelsByNote.set(note, [exchange.label]);
  }
  for (const [note, labels] of labelsByNote) notes.push(`${labels.join(', ')}: ${note}`);
  return notes;
}

/** duplicate-cors seen identically on several requests is one finding naming them all. */
function mergeAcrossRequests(findings: ProbeFinding[]): ProbeFinding[] {
  const out: ProbeFinding[] = [];
  const byKey = new Map<string, ProbeFinding>();
  for (const finding of findings) {
    if (finding.ruleId !== 'duplicate-cors') {
      out.push(finding);
      continue;
    }
    const key = `${finding.ruleId}\u0000${finding.key}`;
    const existing = byKey.get(key);
    if (existing) {
      existing.requests.push(...finding.requests);
    } else {
      const copy = { ...finding, requests: [...finding.requests] };
      byKey.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}
