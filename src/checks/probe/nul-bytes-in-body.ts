import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor probe`: NUL bytes in a textual body (after a leaked prelude, if any). */
export const nulBytesInBody = defineObservedRule({
  meta: {
    id: 'nul-bytes-in-body',
    surface: 'probe',
    category: 'live',
    severity: 'warning',
    title: 'NUL bytes inside a text body',
    consequence:
      'Filler NULs written to force the prelude out, or a prelude delimiter, reach the client: parsers of JSON, SSE and HTML choke or show junk.',
    evidence: 'Runtime behaviour: write("") flushes the prelude without body bytes (docs/runtime-behaviour.md; docs/probe.md).',
    fixable: false,
  },
  messages: {
    /** `nulBytes`: "1 NUL byte", "3 NUL bytes". */
    nulInTextBody:
      '{{nulBytes}} in a {{media}} body (first at byte {{first}}): filler written to force the prelude out, or a hand-written prelude delimiter, reaches the client.',
  },
});
