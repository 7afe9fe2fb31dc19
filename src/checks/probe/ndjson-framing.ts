import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor probe`: an NDJSON / JSON Lines body with a line that is not one JSON text. */
export const ndjsonFraming = defineObservedRule({
  meta: {
    id: 'ndjson-framing',
    surface: 'probe',
    category: 'live',
    severity: 'error',
    title: 'An NDJSON / JSON Lines body with a line that is not one JSON text',
    consequence: 'Readers that parse line by line throw or drop the record.',
    evidence: 'ndjson-spec / jsonlines.org: one JSON text per line (docs/probe.md).',
    fixable: false,
  },
  messages: {
    /** `problems`: one clause per kind of problem, its first line and how many more. */
    malformed: '{{problems}}.',
    /** The body started with a leaked prelude: line numbers count from after it. */
    malformedAfterPrelude: '{{problems}} (lines counted after the leaked prelude).',
  },
});
