import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor verify --bootstrap` / `--exec-wrapper` on the recorded `/response` POST. */
export const protocolContentType = defineObservedRule({
  meta: {
    id: 'protocol-content-type',
    surface: 'verify',
    category: 'protocol',
    severity: 'error',
    title: 'A streamed /response POST without a Content-Type, or with an HTTP prelude under another content type',
    consequence:
      'The prelude (JSON metadata + 8 NUL bytes) is only parsed under application/vnd.awslambda.http-integration-response: under another type, or none, it leaks into the body and the status, headers and cookies are lost. A body without any Content-Type gets whatever default the front end picks.',
    evidence:
      'aws-lambda-ric src/HttpResponseStream.js sets application/vnd.awslambda.http-integration-response before writing the prelude, src/ResponseStream.js defaults to application/octet-stream (aws.md §2.3, §2.4; docs/verify.md).',
    fixable: false,
  },
  messages: {
    missing: '{{who}} posted the response without a Content-Type: the client gets whatever default the front end picks.',
    missingWithPrelude:
      '{{who}} posted the response without a Content-Type although the body starts with an HTTP prelude (JSON + 8 NULs): the prelude is not parsed and leaks into the body.',
    /** `prelude`: the prelude's JSON, shortened. */
    preludeUnderOtherType:
      '{{who}} sent an HTTP prelude ({{prelude}} + 8 NULs) under Content-Type: {{contentType}}, not application/vnd.awslambda.http-integration-response: the prelude is not parsed, its JSON and NUL bytes leak into the body and the status, headers and cookies are lost.',
  },
});
