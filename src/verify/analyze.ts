/**
 * From one recorded invocation to a verdict (completed / hung / crashed), the response the client would
 * get (the prelude parsed), and findings under the static rules' ids where the wire proves the same bug.
 */
import type { Observation } from '../checks/observations.js';
import type { Lineage } from './install.js';
import { verifyObservations } from './observations.js';
import type { RunResult } from './run.js';

export const INTEGRATION_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

export type Verdict = 'completed' | 'hung' | 'crashed';

export interface ClientView {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  /** Body bytes after the prelude (or the whole body without one). */
  bodyBytes: number;
  bodyPreview: string;
  /** How the view was derived. */
  source: 'prelude' | 'no-prelude' | 'buffered';
}

export interface Diagnosis {
  verdict: Verdict;
  /** The stream was ended (body complete, with or without error trailers). */
  streamEnded: boolean;
  /** 3.x: the response was complete but the runtime did not ask for the next event within the timeout. */
  keptRunning: boolean;
  ttfbMs?: number;
  totalMs?: number;
  client?: ClientView;
  preludeState: 'sent' | 'missing-empty' | 'missing-with-body' | 'not-integration' | 'none';
  functionError?: { type: string; message: string; via: 'trailers' | '/error' };
  exit?: { code: number | null; signal: string | null; afterEnd: boolean };
  initError?: string;
  problems: Observation[];
}

export interface Prelude {
  json: Record<string, unknown>;
  rest: Buffer;
}

export function parsePrelude(body: Buffer): Prelude | undefined {
  const at = body.indexOf(DELIMITER);
  if (at <= 0) return undefined;
  try {
    const json: unknown = JSON.parse(body.subarray(0, at).toString('utf8'));
    if (!json || typeof json !== 'object' || Array.isArray(json)) return undefined;
    return { json: json as Record<string, unknown>, rest: body.subarray(at + DELIMITER.length) };
  } catch {
    return undefined;
  }
}

function stringHeaders(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out[k.toLowerCase()] = String(v);
  return out;
}

function preview(buf: Buffer): string {
  const text = buf.subarray(0, 120).toString('utf8').replace(/\0/g, '\\0').replace(/\r?\n/g, '\\n');
  return buf.length > 120 ? `${text}…` : text;
}

function decodeErrorBody(raw: string | undefined): { type?: string; message?: string } {
  if (!raw) return {};
  for (const text of [raw, Buffer.from(raw, 'base64').toString('utf8')]) {
    try {
      const json = JSON.parse(text) as { errorType?: string; errorMessage?: string };
      return { ...(json.errorType ? { type: json.errorType } : {}), ...(json.errorMessage ? { message: json.errorMessage } : {}) };
    } catch {
      // try the next decoding
    }
  }
  return {};
}

export function diagnose(run: RunResult, lineage: Lineage | 'bootstrap', timeoutMs: number): Diagnosis {
  const { record } = run;
  const response = record.response;
  const delivered = record.deliveredMs;
  const streamEnded = response?.endMs !== undefined;
  const problems: Diagnosis['problems'] = [];
  const initError = record.errors.find((e) => e.kind === 'init');
  const invocationError = record.errors.find((e) => e.kind === 'invocation');

  let verdict: Verdict;
  let keptRunning = false;
  if (delivered === undefined || initError) verdict = 'crashed';
  else if (run.exit && record.nextAfterMs === undefined) verdict = 'crashed';
  else if (record.nextAfterMs !== undefined) verdict = 'completed';
  else if (streamEnded || (invocationError && !response)) {
    verdict = 'completed';
    keptRunning = true;
  } else verdict = 'hung';
  // A crash right after the runtime asked for the next event (the grace window) is still a crash.
  if (verdict === 'completed' && run.exit && (run.exit.code !== 0 || run.exit.signal)) verdict = 'crashed';

  const d: Diagnosis = { verdict, streamEnded, keptRunning, preludeState: 'none', problems };
  if (initError) d.initError = `${decodeErrorBody(initError.body).type ?? initError.errorType ?? 'Error'}: ${decodeErrorBody(initError.body).message ?? ''}`.trim();
  if (run.exit) d.exit = { code: run.exit.code, signal: run.exit.signal, afterEnd: streamEnded && response!.endMs! <= run.exit.atMs };

  if (response && delivered !== undefined) {
    const first = response.chunks[0];
    if (first) d.ttfbMs = Math.round(first.atMs - delivered);
    if (response.endMs !== undefined) d.totalMs = Math.round(response.endMs - delivered);
    const trailerType = response.trailers['lambda-runtime-function-error-type'];
    if (trailerType) {
      const decoded = decodeErrorBody(response.trailers['lambda-runtime-function-error-body']);
      d.functionError = { type: decoded.type ?? trailerType, message: decoded.message ?? '', via: 'trailers' };
    }
    const integration = response.contentType.split(';')[0]!.trim().toLowerCase() === INTEGRATION_TYPE;
    if (!response.streaming) {
      d.client = clientFromBuffered(response.body);
      d.preludeState = 'not-integration';
    } else if (integration) {
      const prelude = parsePrelude(response.body);
      if (prelude) {
        d.preludeState = 'sent';
        const status = Number(prelude.json.statusCode ?? 200);
        const cookies = Array.isArray(prelude.json.cookies) ? prelude.json.cookies.map(String) : [];
        d.client = { status, headers: stringHeaders(prelude.json.headers), cookies, bodyBytes: response.bodyBytes - (response.body.length - prelude.rest.length), bodyPreview: preview(prelude.rest), source: 'prelude' };
      } else {
        d.preludeState = response.bodyBytes === 0 ? 'missing-empty' : 'missing-with-body';
        d.client = { status: 200, headers: { 'content-type': 'application/octet-stream' }, cookies: [], bodyBytes: response.bodyBytes, bodyPreview: preview(response.body), source: 'no-prelude' };
      }
    } else {
      d.preludeState = 'not-integration';
      d.client = { status: 200, headers: { 'content-type': response.contentType || 'application/octet-stream' }, cookies: [], bodyBytes: response.bodyBytes, bodyPreview: preview(response.body), source: 'no-prelude' };
    }
  }
  if (!d.functionError && invocationError) {
    const decoded = decodeErrorBody(invocationError.body);
    d.functionError = { type: decoded.type ?? invocationError.errorType ?? 'Error', message: decoded.message ?? '', via: '/error' };
  }

  const seconds = Number((timeoutMs / 1000).toFixed(3));
  const runtime = lineage === 'bootstrap' ? 'the custom runtime (--bootstrap)' : lineage === '3.x' ? 'the 3.x runtime (nodejs18.x/20.x/22.x)' : 'the 4.x runtime (nodejs24.x)';
  const bytes = (count: number) => `${count} body byte${count === 1 ? '' : 's'}`;
  if (verdict === 'hung' && response?.streaming !== false) {
    const fix = 'End the stream on every path: HttpResponseStream.from(), write(""), then end() (in a finally block).';
    problems.push(
      response
        ? verifyObservations.observe('stream-never-ended', { messageId: 'neverEndedAfterBody', data: { runtime, bytes: bytes(response.bodyBytes), timeout: seconds }, severity: 'error', fix })
        : verifyObservations.observe('stream-never-ended', { messageId: 'neverEndedSilent', data: { runtime, timeout: seconds }, severity: 'error', fix }),
    );
  }
  if (streamEnded && d.preludeState === 'missing-empty') {
    problems.push(
      verifyObservations.observe('prelude-not-flushed', {
        messageId: 'endedWithoutPrelude',
        data: { runtime },
        severity: 'error',
        fix: 'Call write("") right after HttpResponseStream.from() so the prelude is sent even without a body.',
      }),
    );
  }
  if (d.preludeState === 'missing-with-body') {
    problems.push(
      verifyObservations.observe('end-data-bypasses-prelude', {
        messageId: 'bodyWithoutPrelude',
        data: { runtime },
        severity: 'error',
        fix: 'write() the first chunk (or write("")) before end(data), so the runtime sends the prelude first.',
      }),
    );
  }
  if (d.functionError && /Cannot set content-type, too late/i.test(d.functionError.message)) {
    // setContentType() (which from() calls) after the first write: the handler failed, the runtime reported it.
    const errorType = d.functionError.type;
    const fix = 'Decide the status and headers before the first write; do not fall back to a buffered response once streaming has started.';
    problems.push(
      !response
        ? verifyObservations.observe('metadata-after-write', { messageId: 'tooLateNoResponse', data: { runtime, errorType }, severity: 'error', fix })
        : d.preludeState === 'sent'
          ? verifyObservations.observe('metadata-after-write', {
              messageId: 'tooLateAfterPrelude',
              data: { runtime, bytes: bytes(response.bodyBytes), errorType, status: d.client?.status ?? 200 },
              severity: 'error',
              fix,
            })
          : verifyObservations.observe('metadata-after-write', { messageId: 'tooLateWithoutPrelude', data: { runtime, bytes: bytes(response.bodyBytes), errorType }, severity: 'error', fix }),
    );
  }
  if (verdict === 'crashed' && !d.initError) {
    const exit = run.exit ? (run.exit.signal ? `signal ${run.exit.signal}` : `exit code ${run.exit.code}`) : 'no exit status';
    const cause = d.functionError?.message ? ` (${d.functionError.type}: ${d.functionError.message})` : '';
    const writeAfterEnd = /write after end|ERR_STREAM_WRITE_AFTER_END/i.test(`${d.functionError?.message ?? ''}\n${run.stderr}`);
    // No response POST at all means the stream was not ended either.
    const messageId = !response ? 'exitedWithoutResponse' : streamEnded ? 'exitedAfterEnd' : 'exitedBeforeEnd';
    const data = { runtime, exit, cause };
    problems.push(
      writeAfterEnd
        ? verifyObservations.observe('write-after-end', {
            messageId,
            data,
            severity: 'error',
            fix: 'Never write() or end(data) after end(): end the stream exactly once, as the last output on every path.',
          })
        : verifyObservations.observe('runtime-exits', { messageId, data, severity: 'error' }),
    );
  }
  return d;
}

function clientFromBuffered(body: Buffer): ClientView {
  try {
    const json = JSON.parse(body.toString('utf8')) as { statusCode?: number; headers?: unknown; cookies?: unknown; body?: unknown };
    if (json && typeof json === 'object' && typeof json.statusCode === 'number') {
      const text = typeof json.body === 'string' ? json.body : '';
      return { status: json.statusCode, headers: stringHeaders(json.headers), cookies: Array.isArray(json.cookies) ? json.cookies.map(String) : [], bodyBytes: Buffer.byteLength(text), bodyPreview: preview(Buffer.from(text)), source: 'buffered' };
    }
  } catch {
    // Not an API Gateway shaped result: Function URLs return it as a JSON body.
  }
  return { status: 200, headers: { 'content-type': 'application/json' }, cookies: [], bodyBytes: body.length, bodyPreview: preview(body), source: 'buffered' };
}
