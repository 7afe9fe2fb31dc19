import { defineObservedRule } from '../../model/rule.js';

/**
 * Seen by `stream-doctor probe`: the body came in one burst after a long wait. The message names who holds it
 * (the app, when the headers came early; otherwise the path), whether the repeated request confirmed it, and
 * (`…MaybeFine`) that a content type which is not a stream may be meant to be buffered.
 */
export const responseBuffered = defineObservedRule({
  meta: {
    id: 'response-buffered',
    surface: 'probe',
    category: 'live',
    severity: 'warning',
    title: 'The body arrived in one burst at the end of a long wait',
    consequence:
      'The client waited for the whole body: no time-to-first-byte benefit from streaming. A BUFFERED Function URL, a proxy, or the app (reading everything before writing) holds the bytes back.',
    evidence: 'Probe timing, confirmed on a second request (docs/probe.md).',
    fixable: false,
  },
  messages: {
    pathBuffers:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); the repeat did the same ({{repeatWait}} wait). Headers and body came together: a Function URL in BUFFERED mode, a proxy, or the app holds the response back.',
    pathBuffersMaybeFine:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); the repeat did the same ({{repeatWait}} wait). Headers and body came together: a Function URL in BUFFERED mode, a proxy, or the app holds the response back. Fine if this endpoint is not meant to stream.',
    appBuffers:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); the repeat did the same ({{repeatWait}} wait). The headers came at {{headersAt}}, so the path streams: the app produced the body at once (it reads everything before writing: buffered-not-streamed).',
    appBuffersMaybeFine:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); the repeat did the same ({{repeatWait}} wait). The headers came at {{headersAt}}, so the path streams: the app produced the body at once (it reads everything before writing: buffered-not-streamed). Fine if this endpoint is not meant to stream.',
    pathBuffersUnrepeated:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); not repeated (the request has a body), so a cold start is not ruled out. Headers and body came together: a Function URL in BUFFERED mode, a proxy, or the app holds the response back.',
    pathBuffersUnrepeatedMaybeFine:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); not repeated (the request has a body), so a cold start is not ruled out. Headers and body came together: a Function URL in BUFFERED mode, a proxy, or the app holds the response back. Fine if this endpoint is not meant to stream.',
    appBuffersUnrepeated:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); not repeated (the request has a body), so a cold start is not ruled out. The headers came at {{headersAt}}, so the path streams: the app produced the body at once (it reads everything before writing: buffered-not-streamed).',
    appBuffersUnrepeatedMaybeFine:
      'The body ({{size}}) arrived all at once after a {{wait}} wait ({{burst}}); not repeated (the request has a body), so a cold start is not ruled out. The headers came at {{headersAt}}, so the path streams: the app produced the body at once (it reads everything before writing: buffered-not-streamed). Fine if this endpoint is not meant to stream.',
  },
});
