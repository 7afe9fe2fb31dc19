import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor probe`: connected, but no status line before --timeout. */
export const noResponse = defineObservedRule({
  meta: {
    id: 'no-response',
    surface: 'probe',
    category: 'live',
    severity: 'warning',
    title: 'No status line within --timeout',
    consequence: 'A streaming handler that never writes and never ends sends nothing until the function timeout; so does a very slow cold start.',
    evidence: 'Probe timing (docs/probe.md).',
    fixable: false,
  },
  messages: {
    noStatusLine:
      'No status line within --timeout {{timeout}} (connected at {{connectedAt}}): a streaming handler that never writes and never ends looks like this until the function timeout (stream-never-ended), so does a slow cold start.',
  },
});
