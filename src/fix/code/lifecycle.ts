import type { CodeFixer } from '../../model/fix.js';
import { endCallbackDroppedFixer } from './end-callback-dropped.js';
import { eventLoopKeepsInvocationAliveFixer } from './event-loop-keeps-invocation-alive.js';
import { nonAsyncStreamingHandlerFixer } from './non-async-streaming-handler.js';
import { nonexistentStreamApiFixer } from './nonexistent-stream-api.js';
import { pipeWithoutErrorPropagationFixer } from './pipe-without-error-propagation.js';
import { streamNeverEndedFixer } from './stream-never-ended.js';
import { unawaitedStreamPumpFixer } from './unawaited-stream-pump.js';
import { wrappedStreamifiedHandlerFixer } from './wrapped-streamified-handler.js';
import { writeAfterEndFixer } from './write-after-end.js';

/**
 * Fixers of the stream-lifecycle rules (one file per rule, named after it). write-after-end is fixed in
 * straight-line code only; drain-wait-without-close has none: its fix is a restructuring (see its rule page).
 */
export const lifecycleFixers: CodeFixer[] = [
  streamNeverEndedFixer,
  endCallbackDroppedFixer,
  unawaitedStreamPumpFixer,
  pipeWithoutErrorPropagationFixer,
  eventLoopKeepsInvocationAliveFixer,
  nonAsyncStreamingHandlerFixer,
  wrappedStreamifiedHandlerFixer,
  nonexistentStreamApiFixer,
  writeAfterEndFixer,
];
