/** Shared reading of a Deployment's effective settings, with the platform defaults, for deployment rules. */
import type { AuthType, Deployment, FunctionUrl, InvokeMode, Located, SourceLocation, UrlCors } from '../model/deployment.js';
import { isResolved } from '../model/deployment.js';
import type { DeploymentContext } from '../model/rule.js';

/** A Function URL's invoke mode as deployed, with where it is written (or, when it is not, the URL). */
export interface UrlInvokeMode {
  mode: InvokeMode;
  /** The written value, or the URL when there is none. */
  at: SourceLocation;
  written?: string;
  url: FunctionUrl;
  /** The invoke mode as written; undefined when the URL has none (BUFFERED). */
  field?: Located<string>;
}

/** The URL's invoke mode as deployed: missing means BUFFERED; unresolved gives null (no finding). */
export function urlInvokeMode(d: Deployment): UrlInvokeMode | null {
  const url = d.url;
  if (!url) return null;
  const field = url.invokeMode;
  if (field === undefined) return { mode: 'BUFFERED', at: url.at, url };
  if (!isResolved(field)) return null;
  const written = String(field.value);
  // Only the exact enum value streams; anything else deploys (or is rejected as) BUFFERED.
  return { mode: written === 'RESPONSE_STREAM' ? 'RESPONSE_STREAM' : 'BUFFERED', at: field.at, written, url, field };
}

/** The Lambda Web Adapter's mode, with where the adapter is installed and where AWS_LWA_INVOKE_MODE is written. */
export interface WebAdapterMode {
  mode: 'buffered' | 'response_stream';
  /** The variable, or the adapter when the variable is not set. */
  at: SourceLocation;
  explicit: boolean;
  written?: string;
  /** The layer ARN or the Dockerfile line that installs the adapter. */
  adapter: Located<string>;
  /** AWS_LWA_INVOKE_MODE as written; undefined when it is not set. */
  variable?: Located<string>;
}

/** The Lambda Web Adapter's mode: AWS_LWA_INVOKE_MODE, case-insensitive, default and unknown values buffered. */
export function webAdapterMode(d: Deployment): WebAdapterMode | null {
  const adapter = d.webAdapter;
  if (!adapter) return null;
  const env = d.streamingEnvironment.AWS_LWA_INVOKE_MODE;
  if (!env) return { mode: 'buffered', at: adapter.at, explicit: false, adapter };
  if ('unresolved' in env) return null;
  const written = env.value;
  return { mode: written.toLowerCase() === 'response_stream' ? 'response_stream' : 'buffered', at: env.at, explicit: true, written, adapter, variable: env };
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
  return d.imageJoin ? `function \`${d.name}\` (${d.imageJoin})` : `function \`${d.name}\``;
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

/** CORS configured on a Function URL, with where: the written configuration, or the URL for SST's default. */
export interface UrlCorsSetting {
  at: SourceLocation;
  isDefault: boolean;
  url: FunctionUrl;
  /** The configuration as written; undefined when CORS is on by default (SST). */
  field?: Located<UrlCors>;
}

/** CORS configured on the URL: explicitly (any origin, method or header), or by SST's default `cors: true`. */
export function urlCors(d: Deployment): UrlCorsSetting | null {
  const url = d.url;
  if (!url) return null;
  const field = url.cors;
  if (field === undefined) return d.source === 'sst' ? { at: url.at, isDefault: true, url } : null;
  if (!isResolved(field)) return null;
  const c = field.value;
  const configured = c.enabled || !!c.allowOrigins?.length || !!c.allowMethods?.length || !!c.allowHeaders?.length;
  return configured ? { at: field.at, isDefault: false, url, field } : null;
}

export function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
