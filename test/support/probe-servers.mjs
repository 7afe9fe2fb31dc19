/**
 * Local HTTP endpoints on 127.0.0.1 for `stream-doctor probe` tests, one path per behaviour a streaming
 * URL shows on the wire: proper streaming, a buffered path, a leaked prelude (the shape of a BUFFERED
 * Function URL in front of a streamified handler: JSON metadata, 8 NUL bytes, the body), duplicated and
 * comma-joined Access-Control-Allow-Origin, a hang after the headers, a body-less 200 octet-stream,
 * valid and broken SSE, broken NDJSON, resets, and a SigV4 check that recomputes the signature with the
 * fake secret the test put in the environment.
 */
import { createHash, createHmac } from 'node:crypto';
import http from 'node:http';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The prelude HttpResponseStream.from() writes, then the 8-NUL delimiter, then the body. */
export function preludeBytes(metadata, body) {
  return Buffer.concat([Buffer.from(JSON.stringify(metadata), 'utf8'), Buffer.alloc(8), Buffer.from(body, 'utf8')]);
}

const SSE_EVENTS = Array.from({ length: 6 }, (_, i) => `data: {"n":${i},"text":"${'x'.repeat(40)}"}\n\n`);
const LAMBDA_HEADERS = { 'x-amzn-RequestId': '8a1d6c1e-0000-4000-8000-000000000000', 'X-Amzn-Trace-Id': 'Root=1-00000000-000000000000000000000000' };

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it (unreserved characters kept). */
function encode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Recomputes the SigV4 signature of a request from the AWS specification; returns a reason when it is wrong. */
export function verifySigV4(req, body, secret) {
  const auth = req.headers.authorization;
  if (!auth) return 'no Authorization header';
  const m = /^AWS4-HMAC-SHA256 Credential=(AKIA[0-9A-Z]{16})\/(\d{8})\/([a-z0-9-]+)\/lambda\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return `malformed Authorization: ${auth}`;
  const [, , date, region, signedHeaders, signature] = m;
  const amzDate = req.headers['x-amz-date'];
  if (!amzDate || !String(amzDate).startsWith(date)) return 'x-amz-date missing or not the credential date';
  const names = signedHeaders.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return `SignedHeaders lacks host or x-amz-date: ${signedHeaders}`;
  const url = new URL(req.url, 'http://placeholder');
  // Non-S3 services: every path segment URI-encoded once more.
  const canonicalUri = url.pathname.split('/').map((segment) => encode(segment)).join('/') || '/';
  const query = [...url.searchParams].map(([k, v]) => [encode(k), encode(v)]).sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  const canonicalQuery = query.map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalHeaders = names.map((name) => `${name}:${String(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = req.headers['x-amz-content-sha256'] ?? sha256(body);
  if (payloadHash !== sha256(body)) return 'x-amz-content-sha256 does not match the body';
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/lambda/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 'lambda'), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  if (expected !== signature) return 'signature mismatch';
  return undefined;
}

/**
 * Starts the endpoints. `secret`: the fake secret access key the SigV4 check verifies against.
 * Returns the base URL, the log of requests received, and close().
 */
export async function startProbeServers({ secret = 'fake-secret' } = {}) {
  const requests = [];
  const hits = new Map();
  const pending = new Set();

  const handlers = {
    // Six SSE events, 50 ms apart, then the end: streaming as it should be.
    async '/stream'(req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'access-control-allow-origin': '*', ...LAMBDA_HEADERS });
      if (req.method === 'HEAD') return res.end();
      for (const event of SSE_EVENTS) {
        res.write(event);
        await sleep(50);
      }
      res.end();
    },
    // The same events, held back: headers and body together after 700 ms, with a Content-Length.
    async '/buffered'(req, res) {
      await sleep(700);
      const body = SSE_EVENTS.join('');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-length': Buffer.byteLength(body), ...LAMBDA_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    // Buffered on the first request only (a cold start), streamed afterwards.
    async '/cold'(req, res, hit) {
      if (req.method === 'GET' && hit === 1) return handlers['/buffered'](req, res);
      return handlers['/stream'](req, res);
    },
    // A BUFFERED Function URL in front of a streamified handler: prelude + 8 NULs + body, as application/json.
    '/prelude'(req, res) {
      const body = preludeBytes({ statusCode: 200, headers: { 'content-type': 'text/event-stream' }, cookies: [] }, 'data: hello\n\n');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, ...LAMBDA_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    // setContentType() after from() on a streaming URL: the prelude streams out first, under the overridden type.
    async '/prelude-streamed'(req, res) {
      res.writeHead(200, { 'content-type': 'text/plain', ...LAMBDA_HEADERS });
      if (req.method === 'HEAD') return res.end();
      res.write(preludeBytes({ statusCode: 200, headers: { 'content-type': 'text/plain' } }, ''));
      for (const part of ['one\n', 'two\n', 'three\n']) {
        await sleep(70);
        res.write(part);
      }
      res.end();
    },
    // CORS configured on the URL and in the app: two header lines.
    '/cors-dup'(req, res) {
      res.writeHead(200, ['Content-Type', 'text/plain', 'Access-Control-Allow-Origin', 'https://example.com', 'access-control-allow-origin', 'https://example.com', 'Vary', 'Origin']);
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    },
    // The same duplicate after a proxy joined the lines.
    '/cors-joined'(req, res) {
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': 'https://example.com, https://example.com' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    },
    // Headers, then nothing, forever (until the client gives up): a stream that is never ended.
    '/hang'(req, res) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'access-control-allow-origin': '*' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', ...LAMBDA_HEADERS });
      res.flushHeaders();
      if (req.method === 'HEAD') return res.end();
      pending.add(res);
    },
    // One event, then silence.
    '/stalled'(req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', ...LAMBDA_HEADERS });
      if (req.method !== 'GET') return res.end();
      res.write(SSE_EVENTS[0]);
      pending.add(res);
    },
    // An event every 100 ms, forever.
    '/still-open'(req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (req.method !== 'GET') return res.end();
      const timer = setInterval(() => res.write(': tick\n\n'), 100);
      res.on('close', () => clearInterval(timer));
      pending.add(res);
    },
    // Never a status line.
    '/no-status'(req, res) {
      if (req.method !== 'GET') {
        res.writeHead(204);
        return res.end();
      }
      pending.add(res);
    },
    // Part of the body, then the connection is cut (a crash mid-stream).
    async '/reset'(req, res) {
      res.writeHead(200, { 'content-type': 'text/plain', ...LAMBDA_HEADERS });
      if (req.method !== 'GET') return res.end();
      res.write('partial ');
      await sleep(50);
      res.socket?.destroy();
    },
    // from() then end() with no write(): 200 application/octet-stream, nothing else.
    '/empty-octet'(req, res) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...LAMBDA_HEADERS });
      res.end();
    },
    // A JSON content type and no body.
    '/empty-json'(req, res) {
      res.writeHead(200, { 'content-type': 'application/json', ...LAMBDA_HEADERS });
      res.end();
    },
    // Pretty-printed JSON spilling out of data: lines, and a last event with no blank line.
    async '/sse-broken'(req, res) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      if (req.method === 'HEAD') return res.end();
      res.write('data: {"n":0}\n\n');
      await sleep(20);
      res.write(`data: ${JSON.stringify({ n: 1, items: [1, 2] }, null, 2)}\n\n`);
      await sleep(20);
      res.end('data: {"n":2}\n');
    },
    // Valid NDJSON except one cut line.
    async '/ndjson-broken'(req, res) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      if (req.method === 'HEAD') return res.end();
      res.write('{"n":0}\n');
      await sleep(20);
      res.write('{"n":1,"text":"abc\n');
      await sleep(20);
      res.end('{"n":2}\n');
    },
    '/ndjson-ok'(req, res) {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(req.method === 'HEAD' ? undefined : '{"n":0}\n\n{"n":1}\r\n{"n":2}');
    },
    // An AWS_IAM URL: 200 only with a valid SigV4 signature for service lambda.
    '/signed'(req, res, _hit, body) {
      const problem = verifySigV4(req, body, secret);
      if (problem) {
        res.writeHead(403, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'AccessDeniedException', 'x-probe-auth': problem, ...LAMBDA_HEADERS });
        return res.end(req.method === 'HEAD' ? undefined : JSON.stringify({ Message: 'Forbidden' }));
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-probe-auth': 'ok', ...LAMBDA_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : 'signed ok');
    },
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(req.url, 'http://placeholder').pathname;
      const key = `${req.method} ${path}`;
      const hit = (hits.get(key) ?? 0) + 1;
      hits.set(key, hit);
      requests.push({ method: req.method, path, headers: req.headers, body: body.toString('utf8') });
      const handler = handlers[path];
      // Preflights are answered like a Function URL with Cors configured: once, without the function.
      if (req.method === 'OPTIONS' && handler && path !== '/signed') {
        res.writeHead(204, { 'access-control-allow-origin': req.headers.origin ?? '*', 'access-control-allow-methods': 'GET, POST', 'access-control-max-age': '300' });
        return res.end();
      }
      if (!handler) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
      }
      Promise.resolve(handler(req, res, hit, body)).catch(() => res.destroy());
    });
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async close() {
      for (const res of pending) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
