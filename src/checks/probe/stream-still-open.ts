import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor probe`: bytes were still arriving when --timeout expired (not a hang). */
export const streamStillOpen = defineObservedRule({
  meta: {
    id: 'stream-still-open',
    surface: 'probe',
    category: 'live',
    severity: 'info',
    title: 'The response was still streaming when --timeout expired',
    consequence: 'Not a hang: bytes kept arriving. Rerun with a longer --timeout to see it end.',
    evidence: 'Probe timing (docs/probe.md).',
    fixable: false,
  },
  messages: {
    /** `status`: "status 200 at 85 ms". */
    stillStreaming:
      'Still streaming when --timeout {{timeout}} expired ({{status}}, {{size}} in {{chunks}} chunks, the last {{idle}} before the deadline): not a hang.',
  },
});
