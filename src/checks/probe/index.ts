import type { ObservedRule } from '../../model/rule.js';
import { emptyBody } from './empty-body.js';
import { ndjsonFraming } from './ndjson-framing.js';
import { noResponse } from './no-response.js';
import { nulBytesInBody } from './nul-bytes-in-body.js';
import { responseAborted } from './response-aborted.js';
import { responseBuffered } from './response-buffered.js';
import { sseFraming } from './sse-framing.js';
import { streamStillOpen } from './stream-still-open.js';

/**
 * Rules only `stream-doctor probe` reports: observed on the wire, never in code (docs/probe.md). The order is
 * the order of `stream-doctor rules`. The probe also reports under static rules' ids (src/probe/observations.ts).
 */
export const probeRules = [
  responseBuffered,
  sseFraming,
  ndjsonFraming,
  emptyBody,
  nulBytesInBody,
  noResponse,
  responseAborted,
  streamStillOpen,
] as const satisfies readonly ObservedRule[];
