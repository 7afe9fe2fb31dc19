import type { LiveRule } from '../../model/rule.js';
import { concurrencyExhaustedByHangs } from './concurrency-exhausted-by-hangs.js';
import { durationsPinnedAtTimeout } from './durations-pinned-at-timeout.js';
import { runtimeExits } from './runtime-exits.js';

/** Rules about a live function's behaviour: its platform log statistics joined with its code and configuration. */
export const liveRules = [durationsPinnedAtTimeout, concurrencyExhaustedByHangs, runtimeExits] as const satisfies readonly LiveRule[];
