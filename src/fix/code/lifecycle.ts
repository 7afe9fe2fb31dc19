import type { CodeFixer } from '../../model/fix.js';
import { endCallbackDroppedFixer } from './end-callback-dropped.js';
import { eventLoopKeepsInvocationAliveFixer } from './event-loop-keeps-invocation-alive.js';
import { nonAsyncStreamingHandlerFixer } from './non-async-streaming-handler.js';
import { nonexistentStreamApiFixer } from './nonexistent-stream-api.js';
import { pipeWithoutErrorPropagationFixer } from './pipe-without-error-propagation.js';
import { streamNeverEndedFixer } from './stream-never-ended.js';
import { unawaitedStreamPumpFixer } from './unawaited-stream-pump.js';
import { wrappedStreamifiedHandlerFixer } from './wrapped-streamified-handler.js';

/**
 * Fixers of the stream-lifecycle rules (one file per rule, named after it). write-after-end and
 * drain-wait-without-close have none: their fixes are restructurings (see their rule pages).
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
];
