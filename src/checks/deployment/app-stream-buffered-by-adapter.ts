import { defineDeploymentRule } from '../../model/rule.js';
import { capitalized, describe, urlInvokeMode } from '../../iac/deployment-support.js';

export const appStreamBufferedByAdapter = defineDeploymentRule({
  meta: {
    id: 'app-stream-buffered-by-adapter',
    category: 'deployment',
    severity: 'warning',
    title: 'The app streams (SSE, StreamingResponse) but a buffered adapter delivers it all at once',
    consequence:
      'Mangum, serverless-wsgi, serverless-http, serverless-express, hono handle() and similar adapters collect the whole response before returning it: server-sent events and token streams reach the client in one piece at the end (or time out), whatever the app does.',
    evidence:
      'Mangum has no response streaming (Kludex/mangum #299, #341; aws.md §5); Python managed runtimes have no native streaming (aws.md §2.2); serverless-http, serverless-express and hono handle() return a buffered {statusCode, headers, body}; user reports (a FastAPI SSE dashboard behind Mangum, an Express SSE API behind serverless-http).',
    fixable: false,
  },
  messages: {
    appStreamsThroughBufferedAdapter:
      "{{subject}}'s app streams ({{how}}, {{appFile}}:{{appLine}}), but its handler is {{adapter}} ({{handlerFile}}:{{adapterLine}}), which buffers: the events reach the client all at once when the response is complete.",
  },
  check({ deployment: d, handler }, report) {
    if (!handler?.bufferedAdapter || !handler.appStreams || d.webAdapter) return;
    // Behind a RESPONSE_STREAM URL buffered-handler-behind-streaming-url already reports it (one finding per cause).
    if (urlInvokeMode(d)?.mode === 'RESPONSE_STREAM') return;
    report({
      messageId: 'appStreamsThroughBufferedAdapter',
      data: {
        subject: capitalized(describe(d)),
        how: handler.appStreams.how,
        appFile: handler.appStreams.file,
        appLine: handler.appStreams.line,
        adapter: handler.bufferedAdapter.name,
        handlerFile: handler.file,
        adapterLine: handler.bufferedAdapter.line,
      },
      at: d.handler && 'at' in d.handler ? d.handler.at : d.at,
      fix: 'Run the app behind the Lambda Web Adapter with AWS_LWA_INVOKE_MODE=response_stream and a RESPONSE_STREAM Function URL (Python has no native Lambda streaming; Node can also use awslambda.streamifyResponse or hono streamHandle()), or stop streaming in this app.',
      key: `${d.name}:app-stream-buffered`,
    });
  },
});
