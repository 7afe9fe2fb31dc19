import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor verify --bootstrap` / `--exec-wrapper` on the recorded `/response` POST. */
export const protocolNotChunked = defineObservedRule({
  meta: {
    id: 'protocol-not-chunked',
    surface: 'verify',
    category: 'protocol',
    severity: 'error',
    title: 'A streamed /response POST framed by Content-Length instead of Transfer-Encoding: chunked',
    consequence:
      'The body was collected before it was sent: nothing reaches the client until the end, although the response is declared streamed.',
    evidence:
      'The Runtime API streaming contract: aws-lambda-ric src/ResponseStream.js writes the body with Transfer-Encoding: chunked as it is produced (AWS docs, runtimes-custom#runtimes-custom-response-streaming; docs/verify.md).',
    fixable: false,
  },
  messages: {
    /** `framing`: "Content-Length: 42" or "no chunked encoding". */
    notChunked:
      '{{who}} declared a streamed response but sent the body with {{framing}} instead of Transfer-Encoding: chunked: the body was buffered before it was sent, so nothing reached the client until the end.',
  },
});
