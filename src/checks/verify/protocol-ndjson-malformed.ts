import { defineObservedRule } from '../../model/rule.js';

/** Seen by `stream-doctor verify --bootstrap` / `--exec-wrapper` in the body of the recorded `/response` POST. */
export const protocolNdjsonMalformed = defineObservedRule({
  meta: {
    id: 'protocol-ndjson-malformed',
    surface: 'verify',
    category: 'protocol',
    severity: 'error',
    title: 'A body declared application/x-ndjson with a line that is not one JSON text',
    consequence: 'NDJSON consumers read line by line: a line that is not one JSON text (an empty line, a record split across lines) makes them fail or drop the record.',
    evidence: 'ndjson-spec / jsonlines.org: one JSON text per line, each terminated by "\\n" (docs/verify.md).',
    fixable: false,
  },
  messages: {
    /** `declared`: the declared media type; `reason`: the parser's error or "an empty line"; `text`: the line, shortened. */
    malformedLine:
      '{{who}} declared the body {{declared}} but line {{line}} is not one JSON text ({{reason}}): "{{text}}". NDJSON consumers reading line by line fail or drop the record.',
  },
});
