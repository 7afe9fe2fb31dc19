import type { ObservedRule } from '../../model/rule.js';
import { handlerInitFailed } from './handler-init-failed.js';
import { handlerRejected } from './handler-rejected.js';
import { protocolContentType } from './protocol-content-type.js';
import { protocolDuplicateResponse } from './protocol-duplicate-response.js';
import { protocolErrorTrailers } from './protocol-error-trailers.js';
import { protocolNdjsonMalformed } from './protocol-ndjson-malformed.js';
import { protocolNotChunked } from './protocol-not-chunked.js';
import { protocolResponseMode } from './protocol-response-mode.js';

/**
 * The rules only `stream-doctor verify` observes (docs/verify.md): a handler that cannot load or rejects, and the
 * streaming protocol of the Runtime API, checked on what a custom runtime (`--bootstrap`) or a Runtime API proxy
 * (`--exec-wrapper`) posted. Verify also reports under static rules' ids (src/verify/observations.ts).
 */
export const verifyRules = [
  handlerInitFailed,
  handlerRejected,
  protocolResponseMode,
  protocolNotChunked,
  protocolContentType,
  protocolErrorTrailers,
  protocolDuplicateResponse,
  protocolNdjsonMalformed,
] as const satisfies readonly ObservedRule[];
