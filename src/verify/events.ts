/**
 * The probe events: Function URL requests (API Gateway v2 / payload format 2.0, which is what a Function
 * URL sends), one per response shape that breaks streaming handlers differently: a GET with a body, HEAD,
 * a 204, a conditional GET answered 304, a redirect and a POST. Plus the user's own `--event` files.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../commands/errors.js';

export interface ProbeEvent {
  /** Shown as the finding's `field`. */
  name: string;
  /** What the request is meant to provoke. */
  description: string;
  event: unknown;
}

interface UrlRequest {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
}

const TIME = '24/Nov/2026:09:00:00 +0000';

export function functionUrlEvent(request: UrlRequest): Record<string, unknown> {
  const headers: Record<string, string> = {
    host: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws',
    'user-agent': 'stream-doctor-verify',
    accept: '*/*',
    'x-forwarded-proto': 'https',
    'x-forwarded-port': '443',
    'x-forwarded-for': '203.0.113.7',
    ...request.headers,
  };
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(request.query ?? '')) queryStringParameters[k] = v;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query ?? '',
    headers,
    ...(request.query ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abcdefghijklmnopqrstuvwxyz012345',
      domainName: headers.host,
      domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: headers['user-agent'] },
      requestId: 'stream-doctor-verify',
      routeKey: '$default',
      stage: '$default',
      time: TIME,
      timeEpoch: Date.parse('2026-11-24T09:00:00Z'),
    },
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

export const PROBE_EVENTS: ProbeEvent[] = [
  { name: 'GET', description: 'GET / (a response with a body)', event: functionUrlEvent({ method: 'GET', path: '/' }) },
  { name: 'HEAD', description: 'HEAD / (no body may be sent)', event: functionUrlEvent({ method: 'HEAD', path: '/' }) },
  { name: '204', description: 'GET /no-content (a 204 without a body)', event: functionUrlEvent({ method: 'GET', path: '/no-content' }) },
  {
    name: '304',
    description: 'GET / with If-None-Match (a 304 without a body)',
    event: functionUrlEvent({ method: 'GET', path: '/', headers: { 'if-none-match': '"stream-doctor"' } }),
  },
  { name: 'redirect', description: 'GET /redirect (a 3xx with Location and no body)', event: functionUrlEvent({ method: 'GET', path: '/redirect' }) },
  {
    name: 'POST',
    description: 'POST /echo with a JSON body',
    event: functionUrlEvent({ method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: '{"hello":"stream-doctor"}' }),
  },
];

export function loadEventFile(file: string): ProbeEvent {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--event ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--event ${file}: not valid JSON (${(error as Error).message})`);
  }
  return { name: basename(file).replace(/\.json$/i, ''), description: `event from ${file}`, event };
}
