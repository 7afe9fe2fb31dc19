import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor verify --bootstrap` / `--exec-wrapper` on the recorded `/response` POST. */
export const protocolResponseMode = defineObservedRule({
  meta: {
    id: 'protocol-response-mode',
    surface: 'verify',
    category: 'protocol',
    severity: 'error',
    title: 'The /response POST does not declare Lambda-Runtime-Function-Response-Mode: streaming',
    consequence:
      'Lambda takes the POST as a buffered response: a streaming Function URL gets the whole body at once at the end, and the buffered response size limit applies.',
    evidence:
      'The Runtime API streaming contract: aws-lambda-ric src/ResponseStream.js sends Lambda-Runtime-Function-Response-Mode: streaming with Transfer-Encoding: chunked (AWS docs, runtimes-custom#runtimes-custom-response-streaming; docs/verify.md).',
    fixable: false,
  },
  messages: {
    /** `framing`: "chunked", "Content-Length: 42" or "no chunked encoding". */
    noModeHeader:
      '{{who}} posted the response without Lambda-Runtime-Function-Response-Mode: streaming ({{framing}}): Lambda takes it as a buffered response, so a streaming function URL gets the whole body at once at the end (and the buffered size limit applies).',
    otherMode: '{{who}} posted the response with Lambda-Runtime-Function-Response-Mode: {{mode}} (expected "streaming"): Lambda takes it as a buffered response.',
  },
});
