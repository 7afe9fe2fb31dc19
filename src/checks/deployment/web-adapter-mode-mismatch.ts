import { defineDeploymentRule, payloadType } from '../../model/rule.js';
import type { Deployment, Located } from '../../model/deployment.js';
import type { HandlerFacts } from '../../code/handler-facts.js';
import { type UrlInvokeMode, type WebAdapterMode, capitalized, describe, urlInvokeMode, webAdapterMode } from '../../iac/deployment-support.js';

/**
 * Which side the fixer changes: the adapter's mode (the URL streams, so the app is meant to), or the URL's
 * invoke mode (AWS_LWA_INVOKE_MODE=response_stream says the app is meant to stream).
 */
export type ModeMismatchFix = { change: 'adapter'; adapter: WebAdapterMode } | { change: 'url'; url: UrlInvokeMode } | { change: 'none'; reason: string };

export const webAdapterModeMismatch = defineDeploymentRule({
  meta: {
    id: 'web-adapter-mode-mismatch',
    category: 'deployment',
    severity: 'error',
    title: 'The Lambda Web Adapter\'s AWS_LWA_INVOKE_MODE does not match the Function URL\'s invoke mode',
    consequence:
      'The adapter buffers unless AWS_LWA_INVOKE_MODE is response_stream (any other value means buffered). Behind a RESPONSE_STREAM URL a buffered adapter does not stream (SSE arrives all at once); a streaming adapter behind a BUFFERED URL leaks the prelude JSON to Invoke callers.',
    evidence:
      'aws-lambda-web-adapter docs: "AWS_LWA_INVOKE_MODE … should match your Lambda Function URL\'s invoke mode"; default buffered, unknown values buffered (src/lib.rs); issues #476, #536 (aws.md §5).',
    fixable: true,
  },
  messages: {
    adapterModeUnset:
      '{{subject}} runs the Lambda Web Adapter behind a RESPONSE_STREAM Function URL, but AWS_LWA_INVOKE_MODE is not set, so the adapter buffers: responses (SSE, chat tokens) arrive all at once at the end instead of streaming.',
    adapterModeBuffered:
      '{{subject}} runs the Lambda Web Adapter behind a RESPONSE_STREAM Function URL, but AWS_LWA_INVOKE_MODE is `{{written}}` (buffered): responses (SSE, chat tokens) arrive all at once at the end instead of streaming.',
    variableWithoutAdapter:
      '{{subject}} sets AWS_LWA_INVOKE_MODE={{written}}, but no Lambda Web Adapter is installed (no LambdaAdapterLayer among its layers) and its handler is the buffered adapter {{adapter}} ({{file}}:{{line}}): the variable configures nothing, and every response is returned whole, nothing streams.',
    urlBuffersStreamingAdapter:
      '{{subject}} runs the Lambda Web Adapter with AWS_LWA_INVOKE_MODE=response_stream, but its Function URL is BUFFERED: nothing streams and Invoke API callers get the prelude JSON and NUL bytes in the body.',
  },
  payload: payloadType<ModeMismatchFix>(),
  check({ deployment: d, handler }, report) {
    const lwa = webAdapterMode(d);
    const url = urlInvokeMode(d);
    if (!lwa) {
      const unread = variableWithoutAdapter(d, handler, url);
      if (unread) {
        report({
          messageId: 'variableWithoutAdapter',
          data: { subject: capitalized(describe(d)), written: unread.variable.value, adapter: unread.adapter.name, file: unread.file, line: unread.adapter.line },
          at: unread.variable.at,
          severity: 'warning',
          fix: 'To stream, run the app behind the Lambda Web Adapter (its layer, AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap and a start script as the handler) with a RESPONSE_STREAM Function URL, or wrap a Node handler with awslambda.streamifyResponse; otherwise remove the variable.',
          key: `${d.name}:lwa-variable-without-adapter`,
          payload: { change: 'none', reason: 'installing the Lambda Web Adapter changes how the function starts (layer, wrapper, start script), which is not one edit' },
        });
      }
      return;
    }
    if (!url) return;
    const subject = capitalized(describe(d));
    if (url.mode === 'RESPONSE_STREAM' && lwa.mode === 'buffered') {
      const common = {
        at: lwa.at,
        fix: 'Set the environment variable AWS_LWA_INVOKE_MODE=response_stream.',
        key: `${d.name}:lwa-buffered`,
        payload: { change: 'adapter', adapter: lwa } as const,
      };
      if (lwa.variable) report({ ...common, messageId: 'adapterModeBuffered', data: { subject, written: lwa.variable.value } });
      else report({ ...common, messageId: 'adapterModeUnset', data: { subject } });
      return;
    }
    if (url.mode === 'BUFFERED' && lwa.mode === 'response_stream') {
      report({
        messageId: 'urlBuffersStreamingAdapter',
        data: { subject },
        at: lwa.at,
        fix: 'Set the Function URL invoke mode to RESPONSE_STREAM (or remove AWS_LWA_INVOKE_MODE to buffer).',
        key: `${d.name}:lwa-stream-url-buffered`,
        payload: { change: 'url', url },
      });
    }
  },
});

/**
 * AWS_LWA_INVOKE_MODE=response_stream on a zip function with no adapter layer, whose handler is a buffered
 * adapter (serverless-http, Mangum): only the Lambda Web Adapter reads the variable, so nothing streams. Only
 * when every layer is a written ARN (a layer from a parameter or a variable may be the adapter), and not behind
 * a RESPONSE_STREAM URL (buffered-handler-behind-streaming-url reports that).
 */
function variableWithoutAdapter(
  d: Deployment,
  handler: HandlerFacts | null,
  url: UrlInvokeMode | null,
): { variable: Located<string>; adapter: NonNullable<HandlerFacts['bufferedAdapter']>; file: string } | null {
  const variable = d.streamingEnvironment.AWS_LWA_INVOKE_MODE;
  if (!variable || 'unresolved' in variable || variable.value.toLowerCase() !== 'response_stream') return null;
  if (d.packageType === 'image' || d.webAdapter || url?.mode === 'RESPONSE_STREAM') return null;
  if (!d.layers.every((layer) => /^arn:[\w-]+:lambda:[^:]*:[^:]*:layer:[\w-]+(:\d+)?$/.test(layer.value))) return null;
  if (!handler?.bufferedAdapter || handler.streaming) return null;
  return { variable, adapter: handler.bufferedAdapter, file: handler.file };
}
