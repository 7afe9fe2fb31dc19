/**
 * The HTTP integration prelude that `awslambda.HttpResponseStream.from()` writes before the body:
 * `JSON.stringify({statusCode, headers, cookies})` then 8 NUL bytes (runtime.md; aws.md §2.4). A Function
 * URL in RESPONSE_STREAM mode consumes it; anything else (a BUFFERED URL, the Invoke API, a content type
 * overridden after from()) passes it through to the client as body bytes.
 */

export const INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
export const DELIMITER_LENGTH = 8;
/** A prelude is a few hundred bytes; do not scan further for its closing brace. */
const MAX_PRELUDE_BYTES = 64 * 1024;
const PRELUDE_KEYS = ['statusCode', 'headers', 'cookies', 'multiValueHeaders'];

export interface LeakedPrelude {
  /** The prelude's metadata as the function meant it. */
  metadata: Record<string, unknown>;
  /** Bytes of JSON. */
  jsonBytes: number;
  /** Where the real body starts (after the 8 NULs). */
  bodyOffset: number;
}

/** End of the JSON object starting at body[0] (index after its closing brace), honouring strings. */
function objectEnd(body: Buffer): number | undefined {
  let depth = 0;
  let inString = false;
  const limit = Math.min(body.length, MAX_PRELUDE_BYTES);
  for (let i = 0; i < limit; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x7b) depth++;
    else if (byte === 0x7d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/**
 * The prelude when the body starts with a JSON object that carries response metadata and is followed by
 * 8 NUL bytes; undefined otherwise. A JSON body that merely starts with an object is not a prelude: the
 * NUL delimiter and a metadata key are both required.
 */
export function findLeakedPrelude(body: Buffer): LeakedPrelude | undefined {
  if (body[0] !== 0x7b) return undefined;
  const end = objectEnd(body);
  if (end === undefined || body.length < end + DELIMITER_LENGTH) return undefined;
  for (let i = end; i < end + DELIMITER_LENGTH; i++) if (body[i] !== 0) return undefined;
  let metadata: unknown;
  try {
    metadata = JSON.parse(body.subarray(0, end).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) return undefined;
  if (!PRELUDE_KEYS.some((key) => key in (metadata as object))) return undefined;
  return { metadata: metadata as Record<string, unknown>, jsonBytes: end, bodyOffset: end + DELIMITER_LENGTH };
}
