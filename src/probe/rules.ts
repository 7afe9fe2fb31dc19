/**
 * The rules `stream-doctor probe` reports. Five reuse a static rule's id because the wire shows the same
 * bug the static rule predicts from code or configuration; the rest exist only for the probe and are
 * documented in docs/probe.md, with their thresholds. Shaped as RuleMeta so that the rule registry can
 * list them (category `live`, no triggers: they never run on source files).
 */
import type { RuleMeta } from '../model/rule.js';

const DOC = 'docs/probe.md';

function meta(id: string, severity: RuleMeta['severity'], title: string, consequence: string, evidence: string): RuleMeta {
  return { id, surface: 'probe', category: 'live', severity, title, consequence, evidence, fixable: false, triggers: [] };
}

/** Static rules the probe can prove on the wire (their docs pages live in docs/rules/). */
export const REUSED_RULE_IDS = ['streaming-handler-behind-buffered-url', 'set-content-type-after-from', 'duplicate-cors', 'stream-never-ended', 'prelude-not-flushed'] as const;

export const probeOnlyRules: RuleMeta[] = [
  meta(
    'response-buffered',
    'warning',
    'The body arrived in one burst at the end of a long wait',
    'The client waited for the whole body: no time-to-first-byte benefit from streaming. A BUFFERED Function URL, a proxy, or the app (reading everything before writing) holds the bytes back.',
    `Probe timing, confirmed on a second request (${DOC}).`,
  ),
  meta(
    'sse-framing',
    'error',
    'A text/event-stream body that EventSource cannot parse as sent',
    'Lines that are not SSE fields are ignored and an unterminated last event is discarded: the client silently loses data.',
    `WHATWG HTML, server-sent events, "Interpreting an event stream" (${DOC}).`,
  ),
  meta(
    'ndjson-framing',
    'error',
    'An NDJSON / JSON Lines body with a line that is not one JSON text',
    'Readers that parse line by line throw or drop the record.',
    `ndjson-spec / jsonlines.org: one JSON text per line (${DOC}).`,
  ),
  meta(
    'empty-body',
    'warning',
    'A 2xx response that declares a content type but carries no body',
    'The client gets nothing to render or parse; with streaming handlers this is usually a write that never happened or a mode mismatch.',
    `Probe observation; aws-lambda-web-adapter #499, aws-lambda-rust-runtime #805 (${DOC}).`,
  ),
  meta(
    'nul-bytes-in-body',
    'warning',
    'NUL bytes inside a text body',
    'Filler NULs written to force the prelude out, or a prelude delimiter, reach the client: parsers of JSON, SSE and HTML choke or show junk.',
    `Runtime behaviour: write("") flushes the prelude without body bytes (docs/runtime-behaviour.md; ${DOC}).`,
  ),
  meta(
    'no-response',
    'warning',
    'No status line within --timeout',
    'A streaming handler that never writes and never ends sends nothing until the function timeout; so does a very slow cold start.',
    `Probe timing (${DOC}).`,
  ),
  meta(
    'response-aborted',
    'warning',
    'The connection closed before the response ended',
    'The client gets a truncated body: the function crashed or errored mid-stream, or something in the path cut the connection.',
    `Probe observation; runtime behaviour: a failing pipeline() or destroy() exits the runtime mid-response (${DOC}).`,
  ),
  meta(
    'stream-still-open',
    'info',
    'The response was still streaming when --timeout expired',
    'Not a hang: bytes kept arriving. Rerun with a longer --timeout to see it end.',
    `Probe timing (${DOC}).`,
  ),
];

export const PROBE_RULE_IDS: readonly string[] = [...REUSED_RULE_IDS, ...probeOnlyRules.map((rule) => rule.id)];

export function probeEvidence(ruleId: string): string {
  const own = probeOnlyRules.find((rule) => rule.id === ruleId);
  if (own) return own.evidence;
  return `Observed on the wire by stream-doctor probe; the bug and its fix: docs/rules/${ruleId}.md.`;
}
