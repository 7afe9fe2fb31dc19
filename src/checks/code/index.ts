import type { CodeRule } from '../../model/rule.js';
import { bodyInPrelude } from './body-in-prelude.js';
import { bufferedNotStreamed } from './buffered-not-streamed.js';
import { clientDisconnectUnobservable } from './client-disconnect-unobservable.js';
import { drainWaitWithoutClose } from './drain-wait-without-close.js';
import { endCallbackDropped } from './end-callback-dropped.js';
import { endDataBypassesPrelude } from './end-data-bypasses-prelude.js';
import { errorAfterHeadersMasked } from './error-after-headers-masked.js';
import { eventLoopKeepsInvocationAlive } from './event-loop-keeps-invocation-alive.js';
import { forcedContentEncoding } from './forced-content-encoding.js';
import { hopByHopHeaderInPrelude } from './hop-by-hop-header-in-prelude.js';
import { junkBytesForEmptyBody } from './junk-bytes-for-empty-body.js';
import { manualPrelude } from './manual-prelude.js';
import { metadataAfterWrite } from './metadata-after-write.js';
import { metadataSetTwice } from './metadata-set-twice.js';
import { metadataSkippedOnPath } from './metadata-skipped-on-path.js';
import { missingMetadata } from './missing-metadata.js';
import { nonAsyncStreamingHandler } from './non-async-streaming-handler.js';
import { nonBufferChunk } from './non-buffer-chunk.js';
import { nonexistentStreamApi } from './nonexistent-stream-api.js';
import { pipeWithoutErrorPropagation } from './pipe-without-error-propagation.js';
import { pipelineSourceErrorCrashes } from './pipeline-source-error-crashes.js';
import { preludeNotFlushed } from './prelude-not-flushed.js';
import { setContentTypeAfterFrom } from './set-content-type-after-from.js';
import { setCookieCollapsed } from './set-cookie-collapsed.js';
import { setCookieDropped } from './set-cookie-dropped.js';
import { setCookieDuplicated } from './set-cookie-duplicated.js';
import { streamDestroyCrashes } from './stream-destroy-crashes.js';
import { streamNeverEnded } from './stream-never-ended.js';
import { streamingHandlerNotStreamified } from './streaming-handler-not-streamified.js';
import { unawaitedStreamPump } from './unawaited-stream-pump.js';
import { unawaitedWorkAfterStream } from './unawaited-work-after-stream.js';
import { wrappedStreamifiedHandler } from './wrapped-streamified-handler.js';
import { writeAfterEnd } from './write-after-end.js';
import { writeWithoutBackpressure } from './write-without-backpressure.js';

/** All code rules, one per file; the order is the order of `stream-doctor rules`. */
export const codeRules = [
  // stream lifecycle
  streamNeverEnded,
  preludeNotFlushed,
  metadataSkippedOnPath,
  endDataBypassesPrelude,
  writeAfterEnd,
  metadataAfterWrite,
  metadataSetTwice,
  errorAfterHeadersMasked,
  pipeWithoutErrorPropagation,
  pipelineSourceErrorCrashes,
  unawaitedStreamPump,
  writeWithoutBackpressure,
  drainWaitWithoutClose,
  eventLoopKeepsInvocationAlive,
  unawaitedWorkAfterStream,
  clientDisconnectUnobservable,
  nonexistentStreamApi,
  wrappedStreamifiedHandler,
  nonAsyncStreamingHandler,
  endCallbackDropped,
  streamDestroyCrashes,
  streamingHandlerNotStreamified,
  // metadata (the prelude)
  setCookieCollapsed,
  setCookieDropped,
  setCookieDuplicated,
  hopByHopHeaderInPrelude,
  bodyInPrelude,
  manualPrelude,
  setContentTypeAfterFrom,
  missingMetadata,
  junkBytesForEmptyBody,
  nonBufferChunk,
  forcedContentEncoding,
  bufferedNotStreamed,
] as const satisfies readonly CodeRule[];
