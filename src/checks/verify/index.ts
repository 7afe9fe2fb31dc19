import type { ObservedRule } from '../../model/rule.js';
import { protocolContentType } from './protocol-content-type.js';
import { protocolDuplicateResponse } from './protocol-duplicate-response.js';
import { protocolErrorTrailers } from './protocol-error-trailers.js';
import { protocolNdjsonMalformed } from './protocol-ndjson-malformed.js';
import { protocolNotChunked } from './protocol-not-chunked.js';
import { protocolResponseMode } from './protocol-response-mode.js';

/**
 * The streaming protocol of the Runtime API, checked by `stream-doctor verify` on what a custom runtime
 * (`--bootstrap`) or a Runtime API proxy (`--exec-wrapper`) posted (docs/verify.md). Verify also reports under
 * static rules' ids (src/verify/observations.ts).
 */
export const verifyRules = [
  protocolResponseMode,
  protocolNotChunked,
  protocolContentType,
  protocolErrorTrailers,
  protocolDuplicateResponse,
  protocolNdjsonMalformed,
] as const satisfies readonly ObservedRule[];
