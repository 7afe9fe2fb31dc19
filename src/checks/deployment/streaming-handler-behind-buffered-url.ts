import { defineDeploymentRule, payloadType } from '../../model/rule.js';
import { type UrlInvokeMode, describe, streams, urlInvokeMode } from '../../iac/deployment-support.js';

export const streamingHandlerBehindBufferedUrl = defineDeploymentRule({
  meta: {
    id: 'streaming-handler-behind-buffered-url',
    category: 'deployment',
    severity: 'error',
    title: 'A streaming handler sits behind a Function URL in BUFFERED mode (the default)',
    consequence:
      'The runtime streams the same bytes whatever the invoke mode; a BUFFERED URL collects them: nothing streams, callers of the Invoke API get the JSON prelude and NUL bytes in the body, and responses over 6 MB fail.',
    evidence:
      'Runtime behaviour h: the invoke mode is never visible to the runtime; RAPID copies the raw prelude+body into buffered replies (aws-lambda-runtime-interface-emulator directinvoke.go); missing InvokeMode means BUFFERED (Lambda API docs); aws-lambda-web-adapter #476; serverless #12409/#13756.',
    fixable: true,
  },
  messages: {
    noInvokeMode:
      'The Function URL of {{function}} has no invoke mode, so it is BUFFERED, but {{how}}: nothing streams, the URL buffers the whole response (6 MB cap) and Invoke API callers get the prelude JSON and NUL bytes in the body.',
    miscasedResponseStream:
      'The Function URL of {{function}} says `{{written}}`: only the exact value RESPONSE_STREAM streams (lowercase values were deployed as BUFFERED, serverless #13756), but {{how}}: nothing streams, the URL buffers the whole response (6 MB cap) and Invoke API callers get the prelude JSON and NUL bytes in the body.',
    bufferedInvokeMode:
      'The Function URL of {{function}} is `{{written}}`, but {{how}}: nothing streams, the URL buffers the whole response (6 MB cap) and Invoke API callers get the prelude JSON and NUL bytes in the body.',
  },
  /** The URL and its invoke mode as written (or missing): the fixer sets it to RESPONSE_STREAM there. */
  payload: payloadType<UrlInvokeMode>(),
  check({ deployment: d, handler }, report) {
    const mode = urlInvokeMode(d);
    const streaming = streams({ deployment: d, handler });
    if (!mode || mode.mode !== 'BUFFERED' || !streaming) return;
    // An adapter in response_stream mode behind a BUFFERED URL is web-adapter-mode-mismatch's finding.
    if (!handler?.streaming && d.webAdapter) return;
    const data = { function: describe(d), how: streaming.how };
    const common = {
      at: mode.at,
      fix: 'Set the URL invoke mode to RESPONSE_STREAM (SAM FunctionUrlConfig.InvokeMode, CDK invokeMode: InvokeMode.RESPONSE_STREAM, Terraform invoke_mode, serverless url.invokeMode).',
      key: `${d.name}:url-buffered`,
      payload: mode,
    };
    if (mode.written === undefined) report({ ...common, messageId: 'noInvokeMode', data });
    else if (mode.written.toUpperCase() === 'RESPONSE_STREAM') report({ ...common, messageId: 'miscasedResponseStream', data: { ...data, written: mode.written } });
    else report({ ...common, messageId: 'bufferedInvokeMode', data: { ...data, written: mode.written } });
  },
});
