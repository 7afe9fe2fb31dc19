import { defineObservedRule } from '../../model/rule.js';

/**
 * Seen by `stream-doctor verify`: the invocation ended with a function error (the handler's promise rejected, or it
 * threw): the error trailers of the streamed response, or a `POST …/{id}/error`. A runtime crash is
 * `runtime-exits` / `write-after-end`; "Cannot set content-type, too late." is `metadata-after-write`.
 *
 * Common data: `runtime` names what ran; `error` is "Type: message" (shortened).
 */
export const handlerRejected = defineObservedRule({
  meta: {
    id: 'handler-rejected',
    surface: 'verify',
    category: 'lifecycle',
    severity: 'error',
    title: 'The handler rejected during an invocation: the runtime reported a function error',
    consequence:
      'After the first write the status and headers are already on the wire: the client keeps them and a truncated body, ended by error trailers it never sees as an error. Before any output the client gets no response of yours. Either way Lambda counts a function error.',
    evidence:
      'aws-lambda-ric opens the streamed /response POST before calling a streaming handler and, when its promise rejects, ends it with the Lambda-Runtime-Function-Error-Type/-Body trailers (3.3.0 src/ResponseStream.js, 4.0.2 index.mjs); a buffered handler\'s error is posted to …/{id}/error (run on both lineages; docs/verify.md).',
    fixable: false,
  },
  messages: {
    /** `status`: the status the prelude sent (or 200 without one); `bytes`: "12 body bytes". */
    afterFirstWrite:
      'Under {{runtime}} the handler rejected after the response had started (status {{status}}, {{bytes}}) with {{error}}: the runtime ended the stream with error trailers, so the client keeps the {{status}} and a truncated body, and Lambda counts a function error.',
    beforeAnyOutput:
      'Under {{runtime}} the handler rejected before writing anything, with {{error}}: the runtime ended the empty stream with error trailers, so the client gets none of your status, headers or body (what the Function URL answers instead is not documented), and Lambda counts a function error.',
    errorPost:
      'Under {{runtime}} the invocation failed with {{error}}, reported through POST …/error without a streamed response: the client gets an error instead of a response, and Lambda counts a function error.',
  },
});
