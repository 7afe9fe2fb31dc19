/**
 * One HTTP request with node's http/https, measured at the level the diagnoses need: the raw header
 * lines (duplicates kept, as the browser would see them), the arrival time and size of every body chunk,
 * and what became of the response (ended, given up at --timeout, reset). No redirects are followed, no
 * decompression, a fresh connection per request (so every request pays and reports the same setup).
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Chunk, Exchange, ExchangeOutcome } from './types.js';

/** Chunk arrivals kept for the timeline; later ones are only counted. */
export const MAX_CHUNKS_KEPT = 5000;

export interface RequestSpec {
  label: string;
  method: string;
  url: URL;
  /** Lower-case names; must include `host` when the request is signed. */
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  /** Body bytes kept for analysis; more are counted, not kept. */
  bodyCapBytes: number;
  signed: boolean;
  /** Tests: resolve a name to a local address (like curl --resolve). */
  lookup?: LookupFunction;
}

export function performExchange(spec: RequestSpec): Promise<Exchange> {
  return new Promise((resolve) => {
    const started = performance.now();
    const at = () => Math.round((performance.now() - started) * 10) / 10;
    const chunks: Chunk[] = [];
    const parts: Buffer[] = [];
    let kept = 0;
    const exchange: Exchange = {
      label: spec.label,
      method: spec.method,
      outcome: 'failed',
      rawHeaders: [],
      totalMs: 0,
      chunks,
      chunkCount: 0,
      bodyBytes: 0,
      body: Buffer.alloc(0),
      bodyCapped: false,
      signed: spec.signed,
    };

    let settled = false;
    const finish = (outcome: ExchangeOutcome, error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      exchange.outcome = outcome;
      exchange.totalMs = at();
      exchange.body = Buffer.concat(parts);
      if (error !== undefined) {
        const code = (error as { code?: unknown })?.code;
        if (typeof code === 'string') exchange.errorCode = code;
        const message = error instanceof Error ? error.message : String(error);
        exchange.error = (message.split('\n')[0] ?? '').trim() || exchange.errorCode || 'connection error';
      }
      request.destroy();
      resolve(exchange);
    };

    const { url } = spec;
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(
      {
        protocol: url.protocol,
        // URL keeps IPv6 literals in brackets; the socket layer wants them bare.
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: spec.method,
        headers: spec.headers,
        agent: false,
        ...(spec.lookup ? { lookup: spec.lookup } : {}),
      },
      (response) => {
        exchange.headersMs = at();
        exchange.status = response.statusCode;
        exchange.statusText = response.statusMessage;
        exchange.httpVersion = response.httpVersion;
        const raw = response.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) exchange.rawHeaders.push([raw[i]!, raw[i + 1]!]);
        response.on('data', (data: Buffer) => {
          const t = at();
          exchange.firstByteMs ??= t;
          exchange.lastByteMs = t;
          exchange.chunkCount++;
          exchange.bodyBytes += data.length;
          if (chunks.length < MAX_CHUNKS_KEPT) chunks.push({ atMs: t, bytes: data.length });
          if (kept < spec.bodyCapBytes) {
            const part = data.subarray(0, spec.bodyCapBytes - kept);
            parts.push(part);
            kept += part.length;
            if (part.length < data.length) exchange.bodyCapped = true;
          } else {
            exchange.bodyCapped = true;
          }
        });
        response.on('end', () => finish('complete'));
        response.on('error', (error) => finish('aborted', error));
        response.on('close', () => {
          if (!response.complete) finish('aborted', Object.assign(new Error('the connection closed before the response ended'), { code: 'ECONNRESET' }));
        });
      },
    );
    request.on('socket', (socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        exchange.connectMs = at();
      });
    });
    request.on('error', (error) => finish(exchange.status === undefined ? 'failed' : 'aborted', error));
    const timer = setTimeout(() => finish('timeout'), spec.timeoutMs);
    request.end(spec.body);
  });
}

/** Errors that mean the probe could not reach the endpoint at all (exit 2), not a diagnosis. */
export function isUnreachable(exchange: Exchange): boolean {
  if (exchange.outcome === 'failed') return true;
  // Timed out before the connection was even established: a firewall, a wrong port, no route.
  return exchange.outcome === 'timeout' && exchange.connectMs === undefined;
}

/** One line for stderr: what went wrong, never a stack. */
export function unreachableLine(exchange: Exchange, url: URL): string {
  const host = url.host;
  const code = exchange.errorCode ?? '';
  if (exchange.outcome === 'timeout') return `cannot connect to ${host}: no connection within the --timeout`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve ${url.hostname} (${code})`;
  if (code === 'ECONNREFUSED') return `connection refused by ${host}`;
  if (code === 'ECONNRESET') return `${host} closed the connection before answering (${code})`;
  if (/CERT|SSL|TLS|SIGNATURE|SELF_SIGNED/.test(code)) return `TLS error with ${host}: ${exchange.error ?? code}`;
  return `cannot reach ${host}: ${exchange.error ?? (code || 'connection error')}`;
}
