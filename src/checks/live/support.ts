/** Shared reading of live facts for the live-function rules. */
import type { LiveContext } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { isRuntime4x } from '../../code/scan-code.js';
import { streamNeverEnded } from '../code/stream-never-ended.js';
import { drainWaitWithoutClose } from '../code/drain-wait-without-close.js';
import { endCallbackDropped } from '../code/end-callback-dropped.js';
import { unawaitedStreamPump } from '../code/unawaited-stream-pump.js';
import { eventLoopKeepsInvocationAlive } from '../code/event-loop-keeps-invocation-alive.js';
import { writeAfterEnd } from '../code/write-after-end.js';
import { streamDestroyCrashes } from '../code/stream-destroy-crashes.js';
import { pipeWithoutErrorPropagation } from '../code/pipe-without-error-propagation.js';

/** At least this many invocations before durations say anything. */
export const MIN_INVOCATIONS = 3;
/** Share of invocations at the timeout that is a pattern, not an accident. */
export const PINNED_SHARE = 0.2;

/** Code rules whose bug makes an invocation run to its timeout (stream-flow findings in the deployed code). */
export const HANG_RULES: ReadonlySet<string> = idsOf([streamNeverEnded, drainWaitWithoutClose, endCallbackDropped, unawaitedStreamPump, eventLoopKeepsInvocationAlive]);
/** Code rules whose bug makes the runtime process exit. */
export const CRASH_RULES: ReadonlySet<string> = idsOf([writeAfterEnd, streamDestroyCrashes, pipeWithoutErrorPropagation]);

/** Built from the rule objects, not written out: a rule that is renamed or removed fails to compile here. */
function idsOf(rules: ReadonlyArray<{ meta: { id: string } }>): ReadonlySet<string> {
  return new Set(rules.map((rule) => rule.meta.id));
}

export function timeoutOf(context: LiveContext): number | undefined {
  const t = context.deployment.timeout;
  return isResolved(t) ? t.value : undefined;
}

export function runtimeOf(context: LiveContext): string | undefined {
  const r = context.deployment.runtime;
  return isResolved(r) ? r.value : undefined;
}

/** nodejs18.x/20.x/22.x: the 3.x runtime, which waits for an empty event loop after a streaming response. */
export function waitsForEmptyEventLoop(context: LiveContext): boolean {
  const runtime = runtimeOf(context);
  return !!runtime && runtime.startsWith('nodejs') && !isRuntime4x(runtime) && !context.deployment.managedInstances;
}

/** The durations are pinned at the timeout: enough invocations, and a real share of them at the limit. */
export function pinnedAtTimeout(context: LiveContext): { count: number; of: number; share: number } | null {
  const logs = context.logs;
  if (!logs || logs.invocations < MIN_INVOCATIONS) return null;
  const { count, share } = logs.atTimeout;
  if (count < 2 || share < PINNED_SHARE) return null;
  return { count, of: logs.invocations, share };
}

export function seconds(value: number): string {
  return Number.isInteger(value) ? `${value} s` : `${value.toFixed(1)} s`;
}

/** `arn:…:function:chat/index.mjs` -> `index.mjs`: a deployed package's file reads better in a sentence. */
export function packagePath(file: string): string {
  const slash = file.indexOf('/');
  return file.startsWith('arn:') && slash > 0 ? file.slice(slash + 1) : file;
}
