/**
 * What `stream-doctor probe` says when the wire shows the bug a static rule predicts from code or configuration:
 * the rule's id, the probe's wording (the static rule's own messages describe code). The probe's own rules
 * (response-buffered, sse-framing, …) keep their messages in src/checks/probe/.
 */
import type { RuleId } from '../checks/index.js';
import { defineObservations } from '../checks/observations.js';
import { probeRules } from '../checks/probe/index.js';

/** The static rules the probe can prove on the wire (their docs pages live in docs/rules/), with its wording. */
export const probeObservations = defineObservations({
  'streaming-handler-behind-buffered-url': {
    /** `prelude`: "57 bytes of JSON metadata, statusCode 200" (the status code when the prelude has one). */
    preludeInBody:
      'The body starts with the streaming prelude ({{prelude}}) and 8 NUL bytes: a streamified handler answered through a path that does not read the prelude (a Function URL with InvokeMode BUFFERED, the default, or the Invoke API), so the client gets the metadata as body and nothing streams.',
    integrationContentType:
      'The response carries the content type application/vnd.awslambda.http-integration-response: a streamified handler answered through a path that does not read the prelude (a Function URL with InvokeMode BUFFERED, the default, or the Invoke API), so the client gets the metadata as body and nothing streams.',
  },
  'set-content-type-after-from': {
    preludeStreamed:
      'The body starts with the streaming prelude ({{prelude}}) and 8 NUL bytes, streamed over {{spread}} as {{media}}: the path streams, so the handler overrides the content type after HttpResponseStream.from() and the prelude goes out as body.',
  },
  'duplicate-cors': {
    /** `problems`: each header sent twice or comma-joined, "; "-separated. */
    setTwiceRejected:
      '{{problems}}: browsers reject the response ("contains multiple values … but only one is allowed"). CORS is set twice, typically in the Function URL\'s Cors configuration and in the app.',
    setTwiceMerged: '{{problems}}: browsers merge these lists, but two places set CORS. CORS is set twice, typically in the Function URL\'s Cors configuration and in the app.',
    originList:
      '{{problems}}: browsers reject the response ("contains multiple values … but only one is allowed"). Access-Control-Allow-Origin holds one origin: answer with the request\'s Origin when it is allowed (and Vary: Origin), not a list.',
  },
  'stream-never-ended': {
    /** `status`: "status 200 at 85 ms". */
    noBodyNoEnd:
      'The response never ended: {{status}}, then no body byte and no end for {{idle}} until --timeout {{timeout}}. A streamified handler that resolves without ending the stream holds the invocation until the function timeout.',
    stalled:
      'The response stalled: {{status}}, {{size}} until {{lastActivity}}, then nothing for {{idle}} until --timeout {{timeout}}. Either the stream is never ended (the invocation runs to the function timeout) or the endpoint sends sparse events.',
  },
  'prelude-not-flushed': {
    emptyOctetStream:
      '200 application/octet-stream with an empty body from Lambda: exactly what a streamified handler sends when it calls HttpResponseStream.from() and then end() without a write(); the status code, headers and cookies it meant (a redirect, a 204) were lost.',
  },
});

/** Every id the probe reports: the static rules it proves on the wire, then its own (docs/probe.md). */
export const PROBE_RULE_IDS: readonly RuleId[] = [...(Object.keys(probeObservations.messages) as RuleId[]), ...probeRules.map((rule) => rule.meta.id)];
