/**
 * From one recorded invocation to a verdict (completed / failed / hung / crashed / init-failed), the response the
 * client would get (the prelude parsed), and findings under the static rules' ids where the wire proves the same
 * bug, or under verify's own rules (src/checks/verify) where only a run shows it.
 */
import { observe, type Observation } from '../checks/observations.js';
import { handlerInitFailed } from '../checks/verify/handler-init-failed.js';
import { handlerRejected } from '../checks/verify/handler-rejected.js';
import type { Lineage } from './install.js';
import { verifyObservations } from './observations.js';
import type { RunResult } from './run.js';

export const INTEGRATION_TYPE = 'application/vnd.awslambda.http-integration-response';
const DELIMITER = Buffer.alloc(8);

/**
 * `completed`: the runtime asked for the next event (or, with `keptRunning`, the response was complete but it did
 * not ask in time); `failed`: like completed, but the invocation ended with a function error (error trailers or
 * `…/error`); `hung`: the stream was not ended in time; `still-streaming`: not ended in time either, but body
 * bytes were still arriving in the second half of the wait (a slow stream, not a hang: nothing is concluded);
 * `crashed`: the runtime process exited during the invocation; `init-failed`: the runtime never asked for an
 * event (the handler could not be loaded).
 */
export type Verdict = 'completed' | 'failed' | 'hung' | 'still-streaming' | 'crashed' | 'init-failed';

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

/** Why no event reached the handler: the `/init/error` post, an exit during init, or an init that never finished. */
export type InitFailure =
  | { kind: 'error'; type: string; message: string }
  | { kind: 'exit'; exit: string }
  | { kind: 'unfinished'; afterMs: number };

export interface Diagnosis {
  verdict: Verdict;
  /** The stream was ended (body complete, with or without error trailers). */
  streamEnded: boolean;
  /** The response was complete but the runtime did not ask for the next event within the timeout (3.x: open handles). */
  keptRunning: boolean;
  ttfbMs?: number;
  totalMs?: number;
  client?: ClientView;
  preludeState: 'sent' | 'missing-empty' | 'missing-with-body' | 'not-integration' | 'none';
  functionError?: { type: string; message: string; via: 'trailers' | '/error' };
  exit?: { code: number | null; signal: string | null; afterEnd: boolean };
  /** Set exactly when the verdict is `init-failed`. */
  initFailure?: InitFailure;
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

/**
 * The body kept arriving over the wait: its last bytes came in the second half, and its first came at least a
 * quarter of the wait before them (one burst that arrived late on a loaded machine is not a stream in progress).
 */
function stillArriving(response: RunResult['record']['response'], delivered: number | undefined, timeoutMs: number): boolean {
  if (!response?.streaming || delivered === undefined || response.lastChunkMs === undefined) return false;
  const first = response.chunks[0]?.atMs;
  return first !== undefined && response.lastChunkMs - delivered >= timeoutMs / 2 && response.lastChunkMs - first >= timeoutMs / 4;
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
  if (delivered === undefined || initError) verdict = 'init-failed';
  else if (run.exit && record.nextAfterMs === undefined) verdict = 'crashed';
  else if (record.nextAfterMs !== undefined) verdict = 'completed';
  else if (streamEnded || (invocationError && !response)) {
    verdict = 'completed';
    keptRunning = true;
  } else if (stillArriving(response, delivered, timeoutMs)) {
    // Seen on AWS's own SAM template (a write, then a 1 s sleep, four times): under a 3 s --timeout it is still
    // writing when the wait ends. A body still arriving late in the wait is a slow stream, not a hang.
    verdict = 'still-streaming';
  } else verdict = 'hung';
  // A crash right after the runtime asked for the next event (the grace window) is still a crash.
  if (verdict === 'completed' && run.exit && (run.exit.code !== 0 || run.exit.signal)) verdict = 'crashed';

  const d: Diagnosis = { verdict, streamEnded, keptRunning, preludeState: 'none', problems };
  if (verdict === 'init-failed') {
    const decoded = decodeErrorBody(initError?.body);
    d.initFailure = initError
      ? { kind: 'error', type: decoded.type ?? initError.errorType ?? 'Error', message: decoded.message ?? '' }
      : run.exit
        ? { kind: 'exit', exit: exitText(run.exit) }
        : { kind: 'unfinished', afterMs: run.endedMs };
  }
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
  // The runtime finished the invocation, but with a function error: not a success.
  if (verdict === 'completed' && d.functionError) verdict = d.verdict = 'failed';

  const seconds = Number((timeoutMs / 1000).toFixed(3));
  const runtime = runtimeName(lineage);
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
  const tooLate = d.functionError !== undefined && /Cannot set content-type, too late/i.test(d.functionError.message);
  if (d.functionError && tooLate) {
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
  if (verdict === 'failed' && d.functionError && !tooLate) {
    const error = errorText(d.functionError);
    const fix =
      'Handle the failure before the first write (validate input, open upstreams first) and answer with a status of your own; once streaming has started, let the error end the stream but make the client able to tell a truncated body (a final event or record it waits for).';
    problems.push(
      d.functionError.via === '/error' || !response
        ? observe(handlerRejected, { messageId: 'errorPost', data: { runtime, error }, severity: 'error', fix })
        : response.bodyBytes === 0
          ? observe(handlerRejected, { messageId: 'beforeAnyOutput', data: { runtime, error }, severity: 'error', fix })
          : observe(handlerRejected, {
              messageId: 'afterFirstWrite',
              data: { runtime, error, status: d.client?.status ?? 200, bytes: bytes(d.client?.bodyBytes ?? response.bodyBytes) },
              severity: 'error',
              fix,
            }),
    );
  }
  if (verdict === 'crashed') {
    const exit = run.exit ? exitText(run.exit) : 'no exit status';
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

function exitText(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** "Type: message", on one line and shortened: a function error quoted in a finding. */
export function errorText(error: { type: string; message: string }): string {
  const message = error.message.replace(/\s+/g, ' ').trim();
  const text = message ? `${error.type}: ${message}` : error.type;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The runtime a run used, as the messages name it. */
export function runtimeName(lineage: Lineage | 'bootstrap'): string {
  return lineage === 'bootstrap' ? 'the custom runtime (--bootstrap)' : lineage === '3.x' ? 'the 3.x runtime (nodejs18.x/20.x/22.x)' : 'the 4.x runtime (nodejs24.x)';
}

const INIT_FIXES: Array<[RegExp, string]> = [
  [/SyntaxError/, 'Fix the syntax error: the deployed module must parse on the runtime\'s Node.js version (check the build output, not only the sources).'],
  [/Cannot find (package|module)|ERR_MODULE_NOT_FOUND|ImportModuleError/, 'Ship the missing package with the function: bundle it, or install it into the deployment package (or a layer under /opt/nodejs/node_modules).'],
  [/HandlerNotFound|MalformedHandlerName/, 'Make the handler string match the module and its export (module/path.export), and export the handler under that name.'],
];

/**
 * The problem for the runs of one runtime in which no event reached the handler (one finding per runtime, not per
 * event): `handler-init-failed`, or `callback-handler-on-nodejs24` when 4.x refused a callback handler.
 */
export function initProblem(failure: InitFailure, lineage: Lineage | 'bootstrap', events: string): Observation {
  const runtime = runtimeName(lineage);
  if (failure.kind === 'exit') {
    return observe(handlerInitFailed, { messageId: 'exitedDuringInit', data: { runtime, exit: failure.exit, events }, severity: 'error', fix: 'Do not exit the process while the module loads (process.exit at module scope, a fatal native addon error): let the handler run.' });
  }
  if (failure.kind === 'unfinished') {
    return observe(handlerInitFailed, {
      messageId: 'initDidNotFinish',
      data: { runtime, seconds: Number((failure.afterMs / 1000).toFixed(1)), events },
      severity: 'error',
      fix: 'Do not wait at module scope for something that may never come (a top-level await on a connection, a lock): connect lazily in the handler, with a timeout.',
    });
  }
  const error = errorText(failure);
  if (failure.type === 'Runtime.CallbackHandlerDeprecated') {
    return verifyObservations.observe('callback-handler-on-nodejs24', {
      messageId: 'refusedAtInit',
      data: { runtime, error, events },
      severity: 'error',
      fix: 'Make the handler async and return (or stream) the result instead of calling callback(err, result), or stay on nodejs22.x until it is migrated.',
    });
  }
  const fix = INIT_FIXES.find(([pattern]) => pattern.test(`${failure.type}: ${failure.message}`))?.[1] ?? 'Do not throw while the module loads: read configuration and open connections in the handler (or catch and report there), so a missing setting fails one request with a clear error instead of every cold start.';
  return observe(handlerInitFailed, { messageId: 'initError', data: { runtime, error, events }, severity: 'error', fix });
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
