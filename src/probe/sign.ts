/**
 * SigV4 for `AWS_IAM` Function URLs: service `lambda`, the region from the host name
 * (`<url-id>.lambda-url.<region>.on.aws`) or --region, credentials from the SDK's default provider chain
 * (environment, SSO cache, web identity, shared config/credentials files with --profile, container and
 * instance metadata). The signer is the SDK's own (@smithy/signature-v4), with node:crypto for SHA-256.
 * Both SDK packages are loaded only when a request may be signed.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { AwsCredentialIdentity, Checksum, SourceData } from '@smithy/types';

const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws\.?$/i;

/** The region of a Function URL host name, or undefined when the host is not a Function URL. */
export function functionUrlRegion(hostname: string): string | undefined {
  return FUNCTION_URL_HOST.exec(hostname)?.[1]?.toLowerCase();
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** The SHA-256 / HMAC-SHA-256 the signer asks for, on node:crypto. */
class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: Uint8Array | string): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export type CredentialsResult = { ok: true; credentials: AwsCredentialIdentity; source: string } | { ok: false; reason: string };

/**
 * The default credential chain, once. Instance metadata gets a 1 s budget and no retries: on a laptop
 * without credentials the probe must not stall for seconds before sending anything.
 */
export async function resolveCredentials(profile: string | undefined): Promise<CredentialsResult> {
  // The SDK warns on stderr about future Node versions: a note for maintainers, not for this report.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    const credentials = await defaultProvider({ ...(profile ? { profile } : {}), timeout: 1000, maxRetries: 0 })();
    const source = profile ? `profile ${profile}` : process.env.AWS_ACCESS_KEY_ID ? 'environment' : process.env.AWS_PROFILE ? `profile ${process.env.AWS_PROFILE}` : 'default chain';
    return { ok: true, credentials, source };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]!.trim() : String(error);
    return { ok: false, reason: message || 'no credentials found' };
  }
}

export interface SignInput {
  method: string;
  url: URL;
  /** Lower-case names, `host` included: exactly what will be sent. */
  headers: Record<string, string>;
  body?: Buffer;
}

/** The headers to send: the given ones plus `authorization`, `x-amz-date`, `x-amz-content-sha256` and, for session credentials, `x-amz-security-token`. */
export async function signHeaders(input: SignInput, credentials: AwsCredentialIdentity, region: string): Promise<Record<string, string>> {
  const { SignatureV4 } = await import('@smithy/signature-v4');
  const signer = new SignatureV4({ service: 'lambda', region, credentials, sha256: NodeSha256 });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of input.url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const signed = await signer.sign({
    method: input.method,
    protocol: input.url.protocol,
    hostname: input.url.hostname,
    ...(input.url.port ? { port: Number(input.url.port) } : {}),
    path: input.url.pathname,
    query,
    headers: { ...input.headers },
    ...(input.body ? { body: input.body } : {}),
  });
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(signed.headers)) out[key.toLowerCase()] = String(value);
  return out;
}
