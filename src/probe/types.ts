/** What one probe request measured, before any diagnosis. Times are milliseconds from the request start. */

export type ExchangeOutcome =
  /** The response ended normally. */
  | 'complete'
  /** --timeout expired; the request was aborted. */
  | 'timeout'
  /** The connection closed or reset after the status line, before the response ended. */
  | 'aborted'
  /** No response at all: DNS, connection refused, TLS, reset before the status line. */
  | 'failed';

export interface Chunk {
  /** Arrival, ms from the request start. */
  atMs: number;
  bytes: number;
}

export interface Exchange {
  /** What the report calls it: `GET`, `HEAD`, `OPTIONS`, `POST`, `GET (repeat)`. */
  label: string;
  method: string;
  outcome: ExchangeOutcome;
  /** failed/aborted: the error code and message, one line. */
  error?: string;
  errorCode?: string;
  status?: number;
  statusText?: string;
  httpVersion?: string;
  /** Header name/value pairs in wire order; duplicates kept, names as sent. */
  rawHeaders: Array<[string, string]>;
  /** TCP (and TLS) connected. */
  connectMs?: number;
  /** Status line and headers received. */
  headersMs?: number;
  /** First body byte (time to first byte of the body). */
  firstByteMs?: number;
  /** Last body byte. */
  lastByteMs?: number;
  /** The response ended, or the request was given up (timeout, reset). */
  totalMs: number;
  /** Every `data` event; only the first MAX_CHUNKS are kept in `chunks`, `chunkCount` counts all. */
  chunks: Chunk[];
  chunkCount: number;
  bodyBytes: number;
  /** The body as received, at most the body cap. */
  body: Buffer;
  /** More than the body cap arrived: `body` holds the beginning only. */
  bodyCapped: boolean;
  /** The request carried a SigV4 Authorization header. */
  signed: boolean;
}

/** First values of a header, case-insensitively, in wire order. */
export function headerValues(exchange: Pick<Exchange, 'rawHeaders'>, name: string): string[] {
  const lower = name.toLowerCase();
  return exchange.rawHeaders.filter(([key]) => key.toLowerCase() === lower).map(([, value]) => value);
}

export function headerValue(exchange: Pick<Exchange, 'rawHeaders'>, name: string): string | undefined {
  return headerValues(exchange, name)[0];
}

/** `text/event-stream; charset=utf-8` → `text/event-stream`. */
export function mediaType(exchange: Pick<Exchange, 'rawHeaders'>): string | undefined {
  const value = headerValue(exchange, 'content-type');
  if (value === undefined) return undefined;
  return value.split(';')[0]!.trim().toLowerCase() || undefined;
}
