/**
 * Framing checks for event-stream bodies, following what clients actually do with the bytes:
 * - SSE (WHATWG HTML "server-sent events" parsing): a line is a field (`data`, `event`, `id`, `retry`),
 *   a `:` comment, or blank (dispatch). Any other line is a field the browser ignores, so its content is
 *   lost; an event not followed by a blank line when the stream ends is discarded, not dispatched.
 * - NDJSON / JSON Lines: every non-blank line must be one JSON text; blank lines are tolerated (most
 *   readers skip them), a missing final newline too when the last line still parses.
 * A response that did not end (timeout, reset, body cap) is only judged on its complete lines.
 */

export interface FramingProblem {
  kind: 'unknown-field' | 'bad-retry' | 'unterminated-event' | 'not-json' | 'cut-record';
  /** 1-based line number in the body (after a leaked prelude, when there was one). */
  line: number;
  /** The offending line, shortened. */
  text: string;
  reason: string;
}

export interface FramingResult {
  /** SSE: events dispatched with data; NDJSON: JSON records parsed. */
  records: number;
  problems: FramingProblem[];
}

const SSE_FIELDS = new Set(['data', 'event', 'id', 'retry']);
const NDJSON_TYPES = new Set([
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/x-jsonl',
  'application/jsonlines',
  'application/x-jsonlines',
  'application/json-lines',
]);

export function isSse(media: string | undefined): boolean {
  return media === 'text/event-stream';
}

export function isNdjson(media: string | undefined): boolean {
  return media !== undefined && NDJSON_TYPES.has(media);
}

export function shorten(text: string, max = 60): string {
  // eslint-disable-next-line no-control-regex -- control characters must not reach a terminal
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Splits on CRLF, CR or LF; `complete` is false when the text does not end with a line terminator. */
function splitLines(text: string): { lines: string[]; terminated: boolean } {
  const lines = text.split(/\r\n|\r|\n/);
  const terminated = lines.length > 0 && lines[lines.length - 1] === '';
  if (terminated) lines.pop();
  return { lines, terminated };
}

export function checkSse(text: string, ended: boolean): FramingResult {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const { lines, terminated } = splitLines(body);
  // The last line of a stream that did not end may be cut in the middle: not judged.
  if (!ended && !terminated) lines.pop();
  const problems: FramingProblem[] = [];
  let records = 0;
  let pendingData = false;
  let pendingSince = 0;
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line === '') {
      if (pendingData) records++;
      pendingData = false;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (!SSE_FIELDS.has(field)) {
      problems.push({
        kind: 'unknown-field',
        line: lineNo,
        text: shorten(line),
        reason: 'not an SSE field (data:, event:, id:, retry:) nor a ":" comment, so EventSource ignores the line and its content is lost',
      });
      return;
    }
    if (field === 'retry') {
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (!/^\d+$/.test(value)) problems.push({ kind: 'bad-retry', line: lineNo, text: shorten(line), reason: 'retry: must be digits only; EventSource ignores it' });
    }
    if (field === 'data') {
      if (!pendingData) pendingSince = lineNo;
      pendingData = true;
    }
  });
  if (ended && pendingData) {
    problems.push({
      kind: 'unterminated-event',
      line: pendingSince,
      text: shorten(lines[pendingSince - 1] ?? ''),
      reason: terminated
        ? 'the last event is not followed by a blank line: EventSource discards an event that is not terminated when the stream ends'
        : 'the stream ends in the middle of the last event (no newline, no blank line): EventSource discards it',
    });
  }
  return { records, problems };
}

export function checkNdjson(text: string, ended: boolean): FramingResult {
  const segments = text.split('\n');
  const terminated = segments[segments.length - 1] === '';
  if (terminated || !ended) segments.pop();
  const problems: FramingProblem[] = [];
  let records = 0;
  segments.forEach((segment, index) => {
    const line = segment.endsWith('\r') ? segment.slice(0, -1) : segment;
    if (line.trim() === '') return;
    try {
      JSON.parse(line);
      records++;
    } catch (error) {
      const last = index === segments.length - 1 && !terminated;
      const why = error instanceof Error ? error.message.split('\n')[0] : 'not JSON';
      problems.push({
        kind: last ? 'cut-record' : 'not-json',
        line: index + 1,
        text: shorten(line),
        reason: last ? `the last line is not a complete JSON text (${why}): the record was cut off` : `not one JSON text (${why}): readers that parse line by line fail or drop it`,
      });
    }
  });
  return { records, problems };
}
