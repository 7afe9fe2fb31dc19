/**
 * A Runtime API of our own on 127.0.0.1 for exactly one runtime process and one invocation: the first
 * `GET …/invocation/next` gets the event, every later one is held (its arrival is what tells us the
 * runtime considered the invocation finished). Everything the runtime sends is recorded: the response
 * POST's headers, each body chunk with its arrival time, the trailers, `/error` and `/init/error` posts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const PREFIX = '/2018-06-01/runtime';
/** Body bytes kept per response; the rest is only counted. */
export const BODY_KEEP_BYTES = 1024 * 1024;
const MAX_CHUNKS = 200;

export interface ErrorPost {
  /** `invocation` (`…/{id}/error`) or `init` (`…/init/error`). */
  kind: 'invocation' | 'init';
  /** The invocation id in the path (`invocation` posts). */
  requestId?: string;
  atMs: number;
  errorType?: string;
  body: string;
}

export interface ResponseRecord {
  /** The invocation id in the POST's path. */
  requestId: string;
  startMs: number;
  /** Lower-cased request headers as the runtime sent them. */
  headers: Record<string, string>;
  streaming: boolean;
  /** `Transfer-Encoding: chunked` (else the body was framed by Content-Length). */
  chunked: boolean;
  contentType: string;
  chunks: Array<{ atMs: number; bytes: number }>;
  /** When the last body bytes arrived (kept past the chunk list's cap). */
  lastChunkMs?: number;
  body: Buffer;
  bodyBytes: number;
  /** Set when the request body ended (the stream was ended, possibly with error trailers). */
  endMs?: number;
  /** The connection closed before the body ended. */
  abortedMs?: number;
  trailers: Record<string, string>;
}

export interface InvocationRecord {
  requestId: string;
  /** When the event was handed out (ms since the server started). */
  deliveredMs?: number;
  /** The next `/next` after the event: the runtime is done with this invocation. */
  nextAfterMs?: number;
  /** The first response POST for this invocation. */
  response?: ResponseRecord;
  /** Every response POST, in arrival order (for any id: a second one for the same id is a protocol error). */
  responses: ResponseRecord[];
  errors: ErrorPost[];
}

export interface RuntimeApi {
  /** `127.0.0.1:port`, the value for AWS_LAMBDA_RUNTIME_API. */
  address: string;
  record: InvocationRecord;
  /** Milliseconds since the server started. */
  now(): number;
  /** Resolves at the next recorded change (a chunk, an end, a post, a `/next`). */
  changed(): Promise<void>;
  close(): Promise<void>;
}

export interface InvocationInput {
  requestId: string;
  event: unknown;
  deadlineMs: number;
  functionArn: string;
}

function idOf(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export async function startRuntimeApi(input: InvocationInput): Promise<RuntimeApi> {
  const started = performance.now();
  const now = () => Math.round((performance.now() - started) * 10) / 10;
  const record: InvocationRecord = { requestId: input.requestId, responses: [], errors: [] };
  let waiters: Array<() => void> = [];
  const notify = () => {
    const current = waiters;
    waiters = [];
    for (const wake of current) wake();
  };
  const held: ServerResponse[] = [];

  const readAll = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve) => {
      const parts: Buffer[] = [];
      req.on('data', (chunk: Buffer) => parts.push(chunk));
      req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      req.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
    });

  const accepted = (res: ServerResponse) => {
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end('{"status":"OK"}');
  };

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    const path = url.startsWith(PREFIX) ? url.slice(PREFIX.length) : url;
    if (req.method === 'GET' && path === '/invocation/next') {
      if (record.deliveredMs === undefined) {
        record.deliveredMs = now();
        res.writeHead(200, {
          'content-type': 'application/json',
          'lambda-runtime-aws-request-id': input.requestId,
          'lambda-runtime-deadline-ms': String(input.deadlineMs),
          'lambda-runtime-invoked-function-arn': input.functionArn,
          'lambda-runtime-trace-id': 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0',
        });
        res.end(JSON.stringify(input.event));
        notify();
        return;
      }
      record.nextAfterMs ??= now();
      held.push(res);
      notify();
      return;
    }
    const response = /^\/invocation\/([^/]+)\/response$/.exec(path);
    if (req.method === 'POST' && response) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
      const rec: ResponseRecord = {
        requestId: idOf(response[1]!),
        startMs: now(),
        headers,
        streaming: (headers['lambda-runtime-function-response-mode'] ?? '').toLowerCase() === 'streaming',
        chunked: /\bchunked\b/i.test(headers['transfer-encoding'] ?? ''),
        contentType: headers['content-type'] ?? '',
        chunks: [],
        body: Buffer.alloc(0),
        bodyBytes: 0,
        trailers: {},
      };
      // Lambda accepts one response per invocation; a later one for the same id is recorded and refused.
      const duplicate = record.responses.some((r) => r.requestId === rec.requestId);
      record.response ??= rec;
      record.responses.push(rec);
      const kept: Buffer[] = [];
      let keptBytes = 0;
      notify();
      req.on('data', (chunk: Buffer) => {
        if (rec.chunks.length < MAX_CHUNKS) rec.chunks.push({ atMs: now(), bytes: chunk.length });
        rec.lastChunkMs = now();
        rec.bodyBytes += chunk.length;
        if (keptBytes < BODY_KEEP_BYTES) {
          const part = chunk.subarray(0, BODY_KEEP_BYTES - keptBytes);
          kept.push(part);
          keptBytes += part.length;
          rec.body = Buffer.concat(kept);
        }
        notify();
      });
      req.on('end', () => {
        rec.endMs = now();
        for (const [name, value] of Object.entries(req.trailers)) rec.trailers[name] = String(value);
        if (duplicate) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end('{"errorType":"InvalidStateTransition","errorMessage":"a response was already posted for this invocation (stream-doctor recorder)"}');
        } else accepted(res);
        notify();
      });
      req.on('close', () => {
        if (rec.endMs === undefined) {
          rec.abortedMs = now();
          notify();
        }
      });
      return;
    }
    const error = /^\/invocation\/([^/]+)\/error$/.exec(path);
    if (req.method === 'POST' && (error || path === '/init/error')) {
      const at = now();
      void readAll(req).then((body) => {
        const type = req.headers['lambda-runtime-function-error-type'];
        record.errors.push({ kind: error ? 'invocation' : 'init', ...(error ? { requestId: idOf(error[1]!) } : {}), atMs: at, ...(type ? { errorType: String(type) } : {}), body });
        accepted(res);
        notify();
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    address: `127.0.0.1:${port}`,
    record,
    now,
    changed: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
