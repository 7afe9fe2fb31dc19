import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor probe`: lines of a text/event-stream body that EventSource cannot parse. */
export const sseFraming = defineObservedRule({
  meta: {
    id: 'sse-framing',
    surface: 'probe',
    category: 'live',
    severity: 'error',
    title: 'A text/event-stream body that EventSource cannot parse as sent',
    consequence: 'Lines that are not SSE fields are ignored and an unterminated last event is discarded: the client silently loses data.',
    evidence: 'WHATWG HTML, server-sent events, "Interpreting an event stream" (docs/probe.md).',
    fixable: false,
  },
  messages: {
    /** `problems`: one clause per kind of problem, its first line and how many more. */
    malformed: '{{problems}}.',
    /** The body started with a leaked prelude: line numbers count from after it. */
    malformedAfterPrelude: '{{problems}} (lines counted after the leaked prelude).',
  },
});
