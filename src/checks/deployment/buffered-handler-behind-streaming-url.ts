import { defineDeploymentRule } from '../../model/rule.js';
import { describe, urlInvokeMode } from '../../iac/deployment-support.js';

export const bufferedHandlerBehindStreamingUrl = defineDeploymentRule({
  meta: {
    id: 'buffered-handler-behind-streaming-url',
    category: 'deployment',
    severity: 'error',
    title: 'A buffered handler (serverless-http, Mangum, a plain returned object) sits behind a RESPONSE_STREAM Function URL',
    consequence:
      'In RESPONSE_STREAM mode the URL expects the handler to stream. A buffered handler\'s return value is not an HTTP response there: the client gets the raw JSON envelope ({"statusCode":…,"body":…}) or nothing streams.',
    evidence:
      'AWS docs (configuration-response-streaming): streaming needs streamifyResponse or a streaming-capable runtime; Mangum has no streaming support (Kludex/mangum #299, #341); bug class "non-streaming handler behind RESPONSE_STREAM" (a Function URL InvokeMode write-up in the code corpus).',
    fixable: false,
  },
  messages: {
    bufferedAdapter:
      'The Function URL of {{function}} is RESPONSE_STREAM, but its handler ({{file}}:{{line}}) is the buffered adapter {{adapter}}: clients may get the raw {statusCode, headers, body} envelope instead of the response, and nothing streams.',
    bufferedAdapterCollectsAppStream:
      'The Function URL of {{function}} is RESPONSE_STREAM, but its handler ({{file}}:{{line}}) is the buffered adapter {{adapter}}, which collects what the app streams ({{how}}, {{appFile}}:{{appLine}}): clients may get the raw {statusCode, headers, body} envelope instead of the response, and nothing streams.',
  },
  check({ deployment: d, handler }, report) {
    const mode = urlInvokeMode(d);
    if (!mode || mode.mode !== 'RESPONSE_STREAM' || !handler || handler.streaming || d.webAdapter) return;
    if (!handler.bufferedAdapter) return;
    const data = { function: describe(d), file: handler.file, line: handler.bufferedAdapter.line, adapter: handler.bufferedAdapter.name };
    const common = {
      at: mode.at,
      fix: 'Either switch the URL to BUFFERED, or stream: wrap the handler with awslambda.streamifyResponse (hono: streamHandle), or run the app behind the Lambda Web Adapter with AWS_LWA_INVOKE_MODE=response_stream.',
      key: `${d.name}:url-stream-buffered-handler`,
    };
    if (handler.appStreams) {
      const { how, file: appFile, line: appLine } = handler.appStreams;
      report({ ...common, messageId: 'bufferedAdapterCollectsAppStream', data: { ...data, how, appFile, appLine } });
    } else {
      report({ ...common, messageId: 'bufferedAdapter', data });
    }
  },
});
