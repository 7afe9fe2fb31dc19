import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { StreamCall } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, observationsOf, snippet, streamCallsOf } from '../../code/rule-support.js';
import { STREAM_SURFACE } from '../../code/stream-flow.js';

/** http.ServerResponse methods code calls on the response stream as if it were one (ric 4.0.2 index.mjs:646-679 has none). */
const SERVER_RESPONSE_METHODS = new Set(['writeHead', 'setHeader', 'setHeaders', 'getHeader', 'removeHeader', 'flushHeaders', 'writeContinue']);

export const nonexistentStreamApi = defineCodeRule({
  meta: {
    id: 'nonexistent-stream-api',
    category: 'lifecycle',
    severity: 'error',
    title: 'Calls a method the runtime\'s response stream does not have, or hands it to a library that needs a Node ServerResponse',
    consequence:
      'The response stream is a plain object facade, not a stream.Writable or http.ServerResponse (whatever @types/aws-lambda says): finished(), pipe(), _write(), writeHead(), setHeader() and friends throw a TypeError at run time. Libraries that take a ServerResponse (AI SDK pipe*ToResponse, MCP handleRequest(req, res)) call writeHead first: nothing is ever sent.',
    evidence: `Runtime behaviour e‴ and j4: the facade has write, end, cork, uncork, destroy, setContentType and EventEmitter methods only (${RUNTIME_EVIDENCE}; 4.0.2 index.mjs:646-679); a user report's \`await responseStream.finished()\`; ai 4.3.19 dist/index.mjs:153-176 and 7.0.185 dist/index.js:2494-2498 (writeHead/setHeaders), @modelcontextprotocol/sdk 1.17.5 streamableHttp.js (writeHead, flushHeaders), @hono/node-server 1.19.9 listener.mjs:354-377.`,
    fixable: true,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    noSuchMethod:
      '`{{call}}`: the Lambda response stream has no `{{method}}()` method, so this throws a TypeError at run time (logged as an Invoke Error; later code does not run).',
    serverResponseSink:
      '`{{call}}` hands the Lambda response stream to `{{sink}}`, which drives a Node http.ServerResponse: its first `writeHead()`/`setHeader()` throws a TypeError before any byte is written, so the client never gets this response.',
  },
  /** The call the facade cannot take: the fixer replaces it by what the method was meant to do. */
  payload: payloadType<StreamCall>(),
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts)) {
      if (STREAM_SURFACE.has(call.method)) continue;
      const replacement =
        call.method === 'finished'
          ? "use `await finished(stream)` from node:stream/promises, or wait for the 'finish' event"
          : call.method === 'pipe'
            ? 'pipe a source into it with `pipeline(source, stream)` instead'
            : SERVER_RESPONSE_METHODS.has(call.method)
              ? 'pass the status and headers to `awslambda.HttpResponseStream.from(stream, { statusCode, headers })` before the first write instead'
              : 'use write()/end() and the stream events';
      report({
        messageId: 'noSuchMethod',
        data: { call: snippet(facts, call.call), method: call.method },
        start: call.call.start,
        end: call.call.end,
        fix: `Remove the call; ${replacement}.`,
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
        payload: call,
        // ServerResponse methods throw before any byte is written (the response is lost): error. The stream
        // methods (finished, pipe, _write) usually run after output, as before: warning.
        severity: SERVER_RESPONSE_METHODS.has(call.method) ? 'error' : 'warning',
      });
    }
    for (const { fn, obs } of observationsOf(facts, 'server-response-sink')) {
      const fix =
        obs.sink === 'handleRequest'
          ? 'Use WebStandardStreamableHTTPServerTransport (MCP SDK >= 1.25.0): `const res = await transport.handleRequest(request)` returns a Web Response; then `stream = HttpResponseStream.from(responseStream, { statusCode: res.status, headers })`, `stream.write("")` and `await pipeline(Readable.fromWeb(res.body), stream)`.'
          : obs.sink === 'getRequestListener'
            ? 'Call the app with a Web Request (`const res = await app.fetch(request)`) and pipe `res.body` into `HttpResponseStream.from(responseStream, { statusCode: res.status, headers })` after `write("")`; or use hono/aws-lambda `streamHandle`.'
            : 'Use the Web Response form (`result.toTextStreamResponse()` / `toUIMessageStreamResponse()` / `toDataStreamResponse()`), then `stream = HttpResponseStream.from(responseStream, { statusCode: res.status, headers })`, `stream.write("")` and `await pipeline(Readable.fromWeb(res.body), stream)`.';
      report({
        messageId: 'serverResponseSink',
        data: { call: snippet(facts, obs.at), sink: obs.sink },
        start: obs.at.start,
        end: obs.at.end,
        fix,
        key: `${fn.name}:${snippet(facts, obs.at, 40)}`,
        payload: { call: obs.at, method: obs.sink, args: obs.at.arguments, resultUsed: true, inLoop: false },
      });
    }
  },
});
