/** Shared reading of a Deployment's effective settings, with the platform defaults, for deployment rules. */
import type { AuthType, Deployment, InvokeMode, SourceLocation } from '../model/deployment.js';
import { isResolved } from '../model/deployment.js';
import type { DeploymentContext } from '../model/rule.js';

/** The URL's invoke mode as deployed: missing means BUFFERED; unresolved gives null (no finding). */
export function urlInvokeMode(d: Deployment): { mode: InvokeMode; at: SourceLocation; written?: string } | null {
  if (!d.url) return null;
  const field = d.url.invokeMode;
  if (field === undefined) return { mode: 'BUFFERED', at: d.url.at };
  if (!isResolved(field)) return null;
  const written = String(field.value);
  // Only the exact enum value streams; anything else deploys (or is rejected as) BUFFERED.
  return { mode: written === 'RESPONSE_STREAM' ? 'RESPONSE_STREAM' : 'BUFFERED', at: field.at, written };
}

/** The Lambda Web Adapter's mode: AWS_LWA_INVOKE_MODE, case-insensitive, default and unknown values buffered. */
export function webAdapterMode(d: Deployment): { mode: 'buffered' | 'response_stream'; at: SourceLocation; explicit: boolean; written?: string } | null {
  if (!d.webAdapter) return null;
  const env = d.streamingEnvironment.AWS_LWA_INVOKE_MODE;
  if (!env) return { mode: 'buffered', at: d.webAdapter.at, explicit: false };
  if ('unresolved' in env) return null;
  const written = env.value;
  return { mode: written.toLowerCase() === 'response_stream' ? 'response_stream' : 'buffered', at: env.at, explicit: true, written };
}

/** The handler streams its response: streamified code, or the web adapter in response_stream mode. */
export function streams(context: DeploymentContext): { how: string } | null {
  if (context.handler?.streaming) return { how: `${context.handler.file} uses ${context.handler.streaming.how}` };
  const lwa = webAdapterMode(context.deployment);
  if (lwa?.mode === 'response_stream') return { how: 'the Lambda Web Adapter runs with AWS_LWA_INVOKE_MODE=response_stream' };
  return null;
}

/**
 * Streams, or is expected to: the code or the web adapter streams, or its Function URL is RESPONSE_STREAM
 * and the handler is not known to buffer (that mismatch is buffered-handler-behind-streaming-url's finding).
 */
export function streamsOrStreamingUrl(context: DeploymentContext): { how: string } | null {
  const streaming = streams(context);
  if (streaming) return streaming;
  return urlInvokeMode(context.deployment)?.mode === 'RESPONSE_STREAM' && !context.handler?.bufferedAdapter
    ? { how: 'its Function URL is RESPONSE_STREAM; callers of a RESPONSE_STREAM URL expect a stream' }
    : null;
}

/** Effective timeout in seconds: the value, or the source's default when missing; null when unresolved. */
export function timeoutSeconds(d: Deployment): { seconds: number; at: SourceLocation; isDefault: boolean } | null {
  if (d.timeout === undefined) return { seconds: d.defaultTimeoutSeconds, at: d.at, isDefault: true };
  if (!isResolved(d.timeout)) return null;
  return { seconds: d.timeout.value, at: d.timeout.at, isDefault: false };
}

export function describe(d: Deployment): string {
  return `function \`${d.name}\``;
}

/** The URL's auth type, with the defaults of sources whose `url: true` is public (SST, serverless). */
export function urlAuthType(d: Deployment): { value: AuthType; at: SourceLocation; isDefault: boolean } | null {
  if (!d.url) return null;
  const field = d.url.authType;
  if (field === undefined) {
    return d.source === 'sst' || d.source === 'serverless' ? { value: 'NONE', at: d.url.at, isDefault: true } : null;
  }
  return isResolved(field) ? { value: field.value, at: field.at, isDefault: false } : null;
}

/** CORS configured on the URL: explicitly (any origin, method or header), or by SST's default `cors: true`. */
export function urlCors(d: Deployment): { at: SourceLocation; isDefault: boolean } | null {
  if (!d.url) return null;
  const field = d.url.cors;
  if (field === undefined) return d.source === 'sst' ? { at: d.url.at, isDefault: true } : null;
  if (!isResolved(field)) return null;
  const c = field.value;
  const configured = c.enabled || !!c.allowOrigins?.length || !!c.allowMethods?.length || !!c.allowHeaders?.length;
  return configured ? { at: field.at, isDefault: false } : null;
}

export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
