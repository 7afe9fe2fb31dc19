import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor verify --bootstrap` / `--exec-wrapper` on the recorded `/response` POST and `/error` posts. */
export const protocolErrorTrailers = defineObservedRule({
  meta: {
    id: 'protocol-error-trailers',
    surface: 'verify',
    category: 'protocol',
    severity: 'error',
    title: 'A mid-stream error not reported with well-formed error trailers',
    consequence:
      'Lambda cannot report the function error (errorType, errorMessage) for the invocation; a connection dropped without the terminating chunk also leaves the client a truncated body.',
    evidence:
      'The Runtime API streaming contract: after a mid-stream error aws-lambda-ric src/ResponseStream.js sends the trailers Lambda-Runtime-Function-Error-Type and Lambda-Runtime-Function-Error-Body (base64 of JSON {errorType, errorMessage}) and ends the request (aws.md §2.3; docs/verify.md).',
    fixable: false,
  },
  messages: {
    /** `issue`: which trailer is missing or how its body is malformed. */
    malformed:
      '{{who}} ended the stream with malformed error trailers: {{issue}}. Lambda cannot report the function error (errorType, errorMessage) for this invocation.',
    errorPostAfterStream:
      '{{who}} reported an error through POST …/{{requestId}}/error after the streamed response had started ({{bodyBytes}} body bytes), instead of error trailers on the stream: Lambda already has a response for this invocation.',
    connectionDropped:
      '{{who}} closed the /response connection after {{bodyBytes}} body bytes without the terminating chunk or error trailers: the client gets a truncated body and Lambda no function error.',
  },
});
