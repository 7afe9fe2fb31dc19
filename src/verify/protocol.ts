/**
 * The streaming protocol a custom runtime or a Runtime API proxy speaks, checked on what the recorder saw
 * (aws.md §2.3, runtime.md "How streaming works"): the response POST must carry
 * `Lambda-Runtime-Function-Response-Mode: streaming`, a chunked body, a content type (the integration type
 * when the body starts with a prelude), well-formed error trailers after a mid-stream error, one response per
 * invocation id, and, when the body is declared `application/x-ndjson`, one JSON text per line.
 *
 * The aws-lambda-ric is the reference implementation, so these checks run for `--bootstrap` and
 * `--exec-wrapper` only. Behind an exec wrapper, a problem the same handler does not have without the wrapper
 * (the baseline run), or a response that arrives in one burst although the handler wrote it over time, is
 * what the static rule `exec-wrapper-proxies-runtime-api` predicts, and is reported under that id.
 *
 * The protocol rules and their messages are declared in src/checks/verify/; verify's wording of the static rule
 * is in src/verify/observations.ts.
 */
import { observe, type Observation } from '../checks/observations.js';
import { protocolContentType } from '../checks/verify/protocol-content-type.js';
import { protocolDuplicateResponse } from '../checks/verify/protocol-duplicate-response.js';
import { protocolErrorTrailers } from '../checks/verify/protocol-error-trailers.js';
import { protocolNdjsonMalformed } from '../checks/verify/protocol-ndjson-malformed.js';
import { protocolNotChunked } from '../checks/verify/protocol-not-chunked.js';
import { protocolResponseMode } from '../checks/verify/protocol-response-mode.js';
import { INTEGRATION_TYPE, parsePrelude } from './analyze.js';
import { verifyObservations } from './observations.js';
import { BODY_KEEP_BYTES, type ResponseRecord } from './runtime-api.js';
import type { RunResult } from './run.js';

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines']);
/** A handler that wrote over at least this long (baseline) is expected to stream over time behind a proxy too. */
const SPREAD_MIN_MS = 100;

function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

function spreadMs(r: ResponseRecord | undefined): number | undefined {
  if (!r || r.chunks.length === 0) return undefined;
  return r.chunks[r.chunks.length - 1]!.atMs - r.chunks[0]!.atMs;
}

function show(text: string, max = 80): string {
  const one = text.replace(/\r/g, '\\r').replace(/\0/g, '\\0');
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** The first malformed NDJSON line (1-based) of a body, if any. A truncated tail (not kept) is not judged. */
export function malformedNdjsonLine(body: Buffer, truncated: boolean): { line: number; text: string; reason: string } | undefined {
  const lines = body.toString('utf8').split('\n');
  const last = lines.pop()!;
  // An unterminated last line is still judged (when the body was kept whole).
  if (!truncated && last.length > 0) lines.push(last);
  for (let i = 0; i < lines.length; i += 1) {
    const text = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (text.trim() === '') return { line: i + 1, text, reason: 'an empty line' };
    try {
      JSON.parse(text);
    } catch (error) {
      return { line: i + 1, text, reason: (error as Error).message };
    }
  }
  return undefined;
}

/** `Lambda-Runtime-Function-Error-Body`: base64 of JSON `{errorType, errorMessage}` (strings). */
export function errorBodyProblem(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return 'no Lambda-Runtime-Function-Error-Body trailer';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw.trim()) || raw.trim().length % 4 !== 0) return `Lambda-Runtime-Function-Error-Body is not base64 ("${show(raw, 40)}")`;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return `Lambda-Runtime-Function-Error-Body is base64 but not of JSON ("${show(text, 40)}")`;
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return 'Lambda-Runtime-Function-Error-Body is not a JSON object';
  const { errorType, errorMessage } = json as { errorType?: unknown; errorMessage?: unknown };
  const missing = [typeof errorType === 'string' ? '' : 'errorType', typeof errorMessage === 'string' ? '' : 'errorMessage'].filter(Boolean);
  return missing.length > 0 ? `Lambda-Runtime-Function-Error-Body has no string ${missing.join(' or ')}` : undefined;
}

/** Protocol problems of one recorded invocation, as a custom runtime (or whatever posted) produced them. */
export function checkProtocol(run: RunResult, who: string): Observation[] {
  const { record } = run;
  const problems: Observation[] = [];
  const own = record.responses.filter((r) => r.requestId === record.requestId);
  const r = own[0];
  if (own.length > 1) {
    problems.push(
      observe(protocolDuplicateResponse, {
        messageId: 'severalResponses',
        data: { who, count: own.length, requestId: record.requestId, times: own.map((x) => `${Math.round(x.startMs)} ms`).join(', ') },
        severity: 'error',
        fix: 'Post exactly one /response (or one /error) per invocation id; track which ids are done, e.g. when a proxy correlates virtual invocations.',
      }),
    );
  }
  if (!r) return problems;

  const mode = r.headers['lambda-runtime-function-response-mode'];
  const framing = r.chunked ? 'chunked' : r.headers['content-length'] !== undefined ? `Content-Length: ${r.headers['content-length']}` : 'no chunked encoding';
  if (!r.streaming) {
    const fix = 'Send Lambda-Runtime-Function-Response-Mode: streaming on the /response POST, with Transfer-Encoding: chunked.';
    problems.push(
      mode === undefined
        ? observe(protocolResponseMode, { messageId: 'noModeHeader', data: { who, framing }, severity: 'error', fix })
        : observe(protocolResponseMode, { messageId: 'otherMode', data: { who, mode }, severity: 'error', fix }),
    );
  } else if (!r.chunked) {
    problems.push(
      observe(protocolNotChunked, {
        messageId: 'notChunked',
        data: { who, framing },
        severity: 'error',
        fix: 'Write the /response body with Transfer-Encoding: chunked as it is produced (do not collect it first).',
      }),
    );
  }

  const type = mediaType(r.contentType);
  const prelude = parsePrelude(r.body);
  const looksLikePrelude = prelude !== undefined && ('statusCode' in prelude.json || 'headers' in prelude.json || 'cookies' in prelude.json);
  if (type === '') {
    problems.push(
      looksLikePrelude
        ? observe(protocolContentType, { messageId: 'missingWithPrelude', data: { who }, severity: 'warning', fix: `Send Content-Type: ${INTEGRATION_TYPE} with a prelude.` })
        : observe(protocolContentType, { messageId: 'missing', data: { who }, severity: 'warning', fix: 'Send the body\'s Content-Type (application/octet-stream is the runtime\'s default).' }),
    );
  } else if (looksLikePrelude && type !== INTEGRATION_TYPE) {
    problems.push(
      observe(protocolContentType, {
        messageId: 'preludeUnderOtherType',
        data: { who, prelude: show(JSON.stringify(prelude.json), 60), contentType: r.contentType },
        severity: 'error',
        fix: `Send Content-Type: ${INTEGRATION_TYPE} whenever the body starts with a prelude.`,
      }),
    );
  }

  const errorType = r.trailers['lambda-runtime-function-error-type'];
  const errorBody = r.trailers['lambda-runtime-function-error-body'];
  const lateError = record.errors.find((e) => e.kind === 'invocation' && e.requestId === record.requestId && e.atMs >= r.startMs);
  if (errorType !== undefined || errorBody !== undefined) {
    const issue = errorType === undefined || errorType === '' ? 'no Lambda-Runtime-Function-Error-Type trailer' : errorBodyProblem(errorBody);
    if (issue) {
      problems.push(
        observe(protocolErrorTrailers, {
          messageId: 'malformed',
          data: { who, issue },
          severity: 'error',
          fix: 'After a mid-stream error send both trailers: Lambda-Runtime-Function-Error-Type: <type> and Lambda-Runtime-Function-Error-Body: base64(JSON {"errorType","errorMessage"}), declared in a Trailer header.',
        }),
      );
    }
  } else if (lateError) {
    problems.push(
      observe(protocolErrorTrailers, {
        messageId: 'errorPostAfterStream',
        data: { who, requestId: record.requestId, bodyBytes: r.bodyBytes },
        severity: 'error',
        fix: 'Once the /response stream has started, report an error with the Lambda-Runtime-Function-Error-Type/-Body trailers and end the stream.',
      }),
    );
  } else if (r.endMs === undefined && r.abortedMs !== undefined && !run.exit) {
    problems.push(
      observe(protocolErrorTrailers, {
        messageId: 'connectionDropped',
        data: { who, bodyBytes: r.bodyBytes },
        severity: 'error',
        fix: 'End the chunked body (with the error trailers after a mid-stream error) instead of dropping the connection.',
      }),
    );
  }

  const declared = type === INTEGRATION_TYPE && prelude ? mediaType(Object.entries((prelude.json.headers ?? {}) as Record<string, unknown>).find(([k]) => k.toLowerCase() === 'content-type')?.[1] as string | undefined) : type;
  if (NDJSON_TYPES.has(declared)) {
    const payload = type === INTEGRATION_TYPE && prelude ? prelude.rest : r.body;
    const bad = malformedNdjsonLine(payload, r.bodyBytes > BODY_KEEP_BYTES);
    if (bad) {
      problems.push(
        observe(protocolNdjsonMalformed, {
          messageId: 'malformedLine',
          data: { who, declared, line: bad.line, reason: bad.reason, text: show(bad.text) },
          severity: 'error',
          fix: 'Write each record as JSON.stringify(record) + "\\n"; never split a record across lines or write partial lines.',
        }),
      );
    }
  }
  return problems;
}

/**
 * Behind an exec wrapper: what the wrapper (a proxy in front of the Runtime API) changed, compared with the
 * same handler and event run without it. One problem (or none) under `exec-wrapper-proxies-runtime-api`, and
 * the protocol problems the baseline has too (the handler's own) under their protocol ids.
 */
export function checkBehindWrapper(wrapped: RunResult, baseline: RunResult): Observation[] {
  const theirs = new Set(checkProtocol(baseline, 'The runtime').map((p) => p.ruleId));
  const kept = checkProtocol(wrapped, 'The runtime behind the exec wrapper').filter((p) => theirs.has(p.ruleId));
  const reasons = checkProtocol(wrapped, 'The proxy')
    .filter((p) => !theirs.has(p.ruleId))
    .map((p) => p.message);
  const w = wrapped.record.response;
  const b = baseline.record.response;
  const bSpread = spreadMs(b);
  const wSpread = spreadMs(w);
  if (w && bSpread !== undefined && wSpread !== undefined && bSpread >= SPREAD_MIN_MS && wSpread < Math.max(20, bSpread * 0.2)) {
    reasons.push(`The proxy delivered the body in one burst (${w.chunks.length} chunk${w.chunks.length === 1 ? '' : 's'} within ${Math.round(wSpread)} ms) although without the wrapper the same handler's chunks arrived over ${Math.round(bSpread)} ms: the stream was held until the end.`);
  }
  const bTrailer = b?.trailers['lambda-runtime-function-error-type'];
  if (w && bTrailer && !w.trailers['lambda-runtime-function-error-type']) {
    reasons.push(`The proxy dropped the error trailers: without the wrapper the stream ended with Lambda-Runtime-Function-Error-Type: ${bTrailer}, behind it with none, so Lambda never learns the invocation failed.`);
  }
  if (b && !w && wrapped.record.deliveredMs !== undefined) reasons.push('The proxy never posted a response, although without the wrapper the same handler does.');
  if (reasons.length === 0) return kept;
  return [
    ...kept,
    verifyObservations.observe('exec-wrapper-proxies-runtime-api', {
      messageId: 'proxyNotStreamingAware',
      data: { changes: reasons.join(' ') },
      severity: 'error',
      fix: 'Make the proxy forward /response as a stream: pass Lambda-Runtime-Function-Response-Mode and Content-Type through, pipe the chunked body as it arrives (no Content-Length), and forward the trailers; or remove AWS_LAMBDA_EXEC_WRAPPER from streaming functions.',
    }),
  ];
}
