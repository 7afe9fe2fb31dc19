import type { DeploymentRule } from '../../model/rule.js';
import { describe, urlInvokeMode } from '../../iac/deployment-support.js';

export const bufferedHandlerBehindStreamingUrl: DeploymentRule = {
  meta: {
    id: 'buffered-handler-behind-streaming-url',
    surface: 'deployment',
    category: 'deployment',
    severity: 'error',
    title: 'A buffered handler (serverless-http, Mangum, a plain returned object) sits behind a RESPONSE_STREAM Function URL',
    consequence:
      'In RESPONSE_STREAM mode the URL expects the handler to stream. A buffered handler\'s return value is not an HTTP response there: the client gets the raw JSON envelope ({"statusCode":…,"body":…}) or nothing streams.',
    evidence:
      'AWS docs (configuration-response-streaming): streaming needs streamifyResponse or a streaming-capable runtime; Mangum has no streaming support (Kludex/mangum #299, #341); bug class "non-streaming handler behind RESPONSE_STREAM" (a Function URL InvokeMode write-up in the code corpus).',
    fixable: false,
    triggers: [],
  },
  check({ deployment: d, handler }) {
    const mode = urlInvokeMode(d);
    if (!mode || mode.mode !== 'RESPONSE_STREAM' || !handler || handler.streaming || d.webAdapter) return [];
    if (!handler.bufferedAdapter) return [];
    return [
      {
        at: mode.at,
        message: `The Function URL of ${describe(d)} is RESPONSE_STREAM, but its handler (${handler.file}:${handler.bufferedAdapter.line}) is the buffered adapter ${handler.bufferedAdapter.name}${
          handler.appStreams ? `, which collects what the app streams (${handler.appStreams.how}, ${handler.appStreams.file}:${handler.appStreams.line})` : ''
        }: clients may get the raw {statusCode, headers, body} envelope instead of the response, and nothing streams.`,
        fix: 'Either switch the URL to BUFFERED, or stream: wrap the handler with awslambda.streamifyResponse (hono: streamHandle), or run the app behind the Lambda Web Adapter with AWS_LWA_INVOKE_MODE=response_stream.',
        key: `${d.name}:url-stream-buffered-handler`,
      },
    ];
  },
};
