/**
 * Parses the CloudWatch Logs events of a Lambda function into invocation records, for both log formats
 * (aws.md §4.2 text, §4.3 JSON). Logs Insights rows and FilterLogEvents events both end up here, so the
 * statistics do not depend on which API read them.
 *
 * Nothing in here throws on input: a line we cannot read is counted in `unparsed` and skipped, because log
 * groups hold whatever the function printed and one odd line must not cost the whole diagnosis.
 */

export interface LogEvent {
  message: string;
  timestamp?: number;
  logStream?: string;
}

export interface InvocationReport {
  requestId: string;
  timestamp?: number;
  logStream?: string;
  format: 'text' | 'json';
  durationMs: number;
  billedDurationMs?: number;
  memorySizeMB?: number;
  maxMemoryUsedMB?: number;
  initDurationMs?: number;
  /** From `Status:` / `record.status`; also 'timeout' when a legacy "Task timed out after N seconds" line exists for the request. */
  status?: 'success' | 'failure' | 'error' | 'timeout' | string;
  errorType?: string;
}

export interface InitReport {
  timestamp?: number;
  durationMs: number;
  phase?: string;
  status?: string;
  errorType?: string;
}

export interface RuntimeDone {
  requestId: string;
  status?: string;
  producedBytes?: number;
  runtimeOverheadMs?: number;
}

/**
 * A "Runtime exited …" platform line. `reason` is what follows "Runtime exited with error: " ("exit status 106",
 * "signal: killed"), or the rest of the sentence otherwise ("without providing a reason").
 */
export interface RuntimeExit {
  requestId?: string;
  timestamp?: number;
  reason: string;
  exitStatus?: number;
}

export interface ParsedLogs {
  reports: InvocationReport[];
  initReports: InitReport[];
  runtimeDone: RuntimeDone[];
  runtimeExits: RuntimeExit[];
  /** Distinct request ids with a legacy "Task timed out after N seconds" line. */
  legacyTimeouts: number;
  /** Events that are neither a platform line we know nor an application line. */
  unparsed: number;
}

/** One event read: a record, a line we know and skip on purpose, or a line we could not read. */
type Line =
  | { kind: 'report'; report: InvocationReport }
  | { kind: 'initReport'; initReport: InitReport }
  | { kind: 'runtimeDone'; runtimeDone: RuntimeDone }
  | { kind: 'runtimeExit'; exit: RuntimeExit }
  | { kind: 'legacyTimeout'; requestId: string }
  | { kind: 'ignored' }
  | { kind: 'unparsed' };

const IGNORED: Line = { kind: 'ignored' };
const UNPARSED: Line = { kind: 'unparsed' };

export function parseLogEvents(events: Iterable<LogEvent>): ParsedLogs {
  const reports = new Map<string, InvocationReport>();
  const runtimeDone = new Map<string, RuntimeDone>();
  const initReports: InitReport[] = [];
  const runtimeExits: RuntimeExit[] = [];
  const timedOut = new Set<string>();
  const seenEvents = new Set<string>();
  const seenExits = new Set<string>();
  let unparsed = 0;

  for (const event of events) {
    // The same event can come back on two FilterLogEvents pages; identical (time, stream, text) is one event.
    const identity = eventIdentity(event);
    if (identity !== undefined) {
      if (seenEvents.has(identity)) continue;
      seenEvents.add(identity);
    }
    const line = readEvent(event);
    switch (line.kind) {
      case 'report':
        // First one wins: a request has exactly one REPORT, a second is a copy.
        if (!reports.has(line.report.requestId)) reports.set(line.report.requestId, line.report);
        break;
      case 'initReport':
        initReports.push(line.initReport);
        break;
      case 'runtimeDone':
        if (!runtimeDone.has(line.runtimeDone.requestId)) runtimeDone.set(line.runtimeDone.requestId, line.runtimeDone);
        break;
      case 'runtimeExit': {
        const key = line.exit.requestId === undefined ? undefined : `${line.exit.requestId}\u0000${line.exit.reason}`;
        if (key !== undefined && seenExits.has(key)) break;
        if (key !== undefined) seenExits.add(key);
        runtimeExits.push(line.exit);
        break;
      }
      case 'legacyTimeout':
        timedOut.add(line.requestId);
        break;
      case 'unparsed':
        unparsed++;
        break;
      case 'ignored':
        break;
    }
  }

  // The "Task timed out" line and its REPORT can come in either order (Insights returns newest first), so
  // the timeout is applied once everything is read.
  for (const requestId of timedOut) {
    const report = reports.get(requestId);
    if (report) report.status = 'timeout';
  }

  return {
    reports: [...reports.values()],
    initReports,
    runtimeDone: [...runtimeDone.values()],
    runtimeExits,
    legacyTimeouts: timedOut.size,
    unparsed,
  };
}

/** Without a timestamp two equal lines may be two real events (two INIT_REPORTs), so only timed events are deduplicated. */
function eventIdentity(event: LogEvent): string | undefined {
  if (event.timestamp === undefined) return undefined;
  return `${event.timestamp}\u0000${event.logStream ?? ''}\u0000${event.message}`;
}

function readEvent(event: LogEvent): Line {
  const message = typeof event.message === 'string' ? event.message : '';
  const trimmed = message.trim();
  if (trimmed === '') return IGNORED;
  if (trimmed.startsWith('{')) return readJsonEvent(trimmed, event);
  return readTextEvent(trimmed, event);
}

// ------------------------------------------------------------------------------------------------ text format

/**
 * Text platform lines that carry nothing the statistics use (aws.md §4.2). The word is followed by a space
 * or, for the extension lines (`EXTENSION\tName: …`), a tab.
 */
const IGNORED_PLATFORM_LINE = /^(?:START|END|INIT_START|XRAY|EXTENSION|TELEMETRY|LOGS|RESTORE_START|RESTORE_REPORT)[ \t]/;

/** `2023-10-20T16:28:17.840Z <uuid> Task timed out after 31.01 seconds`: single spaces, the request id right before the text. */
const LEGACY_TIMEOUT = /^(?:\S+ +)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) +Task timed out after [\d.]+ seconds/i;
/**
 * `RequestId: <uuid> Error: Runtime exited with error: exit status 106`, `… signal: killed`,
 * `Runtime exited without providing a reason`. Anchored so an application line quoting the text is not one.
 */
const RUNTIME_EXIT = /^(?:RequestId: *(\S+) +)?(?:Error: *)?Runtime exited (.*)$/;
/** The Node runtime's text application lines: `<ISO8601>\t<requestId>\t<LEVEL>\t<message>` (src/LogPatch.js). */
const NODE_APP_LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t\S*\t[A-Z]+\t/;

function readTextEvent(message: string, event: LogEvent): Line {
  // A REPORT event may carry its XRAY line after a newline; only the first line is the platform record.
  const first = message.split(/\r?\n/, 1)[0].trim();
  if (first.startsWith('REPORT ')) return readTextReport(first, event);
  if (first.startsWith('INIT_REPORT ')) return readTextInitReport(first, event);
  if (IGNORED_PLATFORM_LINE.test(first)) return IGNORED;
  if (NODE_APP_LINE.test(first)) return IGNORED;
  const timeout = LEGACY_TIMEOUT.exec(first);
  if (timeout) return { kind: 'legacyTimeout', requestId: timeout[1] };
  const exit = RUNTIME_EXIT.exec(first);
  if (exit) return readRuntimeExit(exit[1], exit[2], event);
  return UNPARSED;
}

/**
 * `Key: value` pairs of a tab-separated platform line, keys as written. Splitting on tabs instead of matching
 * a positional regex keeps working when AWS adds or reorders fields (the emulator writes Init Duration first,
 * 2018 lines have a space before the tab, newer ones end with a tab).
 */
function keyValues(fields: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const field of fields.split('\t')) {
    const match = /^([A-Za-z][A-Za-z ]*?):\s*(.*)$/.exec(field.trim());
    if (match && !pairs.has(match[1])) pairs.set(match[1], match[2].trim());
  }
  return pairs;
}

/** "2592.97 ms", "128 MB" → the number; anything else → undefined. */
function measure(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(?:\s*[A-Za-z]+)?$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

function readTextReport(line: string, event: LogEvent): Line {
  const pairs = keyValues(line.slice('REPORT '.length));
  const requestId = pairs.get('RequestId');
  const durationMs = measure(pairs.get('Duration'));
  if (!requestId || durationMs === undefined) return UNPARSED;
  const report: InvocationReport = { requestId, ...where(event), format: 'text', durationMs };
  setIfDefined(report, 'billedDurationMs', measure(pairs.get('Billed Duration')));
  setIfDefined(report, 'memorySizeMB', measure(pairs.get('Memory Size')));
  setIfDefined(report, 'maxMemoryUsedMB', measure(pairs.get('Max Memory Used')));
  setIfDefined(report, 'initDurationMs', measure(pairs.get('Init Duration')));
  const status = pairs.get('Status');
  if (status) report.status = status;
  const errorType = pairs.get('Error Type');
  if (errorType) report.errorType = errorType;
  return { kind: 'report', report };
}

function readTextInitReport(line: string, event: LogEvent): Line {
  const pairs = keyValues(line.slice('INIT_REPORT '.length));
  const durationMs = measure(pairs.get('Init Duration'));
  if (durationMs === undefined) return UNPARSED;
  const initReport: InitReport = { ...timestampOf(event), durationMs };
  setIfDefined(initReport, 'phase', pairs.get('Phase'));
  setIfDefined(initReport, 'status', pairs.get('Status'));
  setIfDefined(initReport, 'errorType', pairs.get('Error Type'));
  return { kind: 'initReport', initReport };
}

/**
 * The reason is the part a reader compares across exits: "exit status 106", "signal: killed", "without
 * providing a reason". A trailing `Runtime.ExitError` token, which some lines repeat on the same line, is
 * not part of it.
 */
function readRuntimeExit(requestId: string | undefined, rest: string, event: LogEvent): Line {
  const reason = rest
    .replace(/^with error: */, '')
    .replace(/\s+Runtime\.\w+$/, '')
    .trim();
  if (reason === '') return UNPARSED;
  const exit: RuntimeExit = { ...timestampOf(event), reason };
  if (requestId) exit.requestId = requestId;
  const status = /exit status (\d+)/.exec(reason)?.[1];
  if (status !== undefined) exit.exitStatus = Number(status);
  return { kind: 'runtimeExit', exit };
}

// ------------------------------------------------------------------------------------------------ JSON format

type JsonObject = Record<string, unknown>;

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readJsonEvent(message: string, event: LogEvent): Line {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return UNPARSED;
  }
  const object = asObject(parsed);
  if (!object) return UNPARSED;
  const type = asString(object.type);
  // Application logs (`{"timestamp","level","requestId","message"}`) and anything without a platform type.
  if (!type?.startsWith('platform.')) return IGNORED;
  const record = asObject(object.record);
  if (!record) return UNPARSED;
  const at = { ...where(event), ...jsonTime(object, event) };
  switch (type) {
    case 'platform.report':
      return readJsonReport(record, at);
    case 'platform.initReport':
      return readJsonInitReport(record, at.timestamp);
    case 'platform.runtimeDone':
      return readJsonRuntimeDone(record);
    default:
      // platform.start, platform.initStart, platform.initRuntimeDone, platform.extension, …
      return IGNORED;
  }
}

/** The CloudWatch event time is the reference; the record's own `time` only fills in when it is missing. */
function jsonTime(object: JsonObject, event: LogEvent): { timestamp?: number } {
  const fromEvent = timestampOf(event);
  if (fromEvent.timestamp !== undefined) return fromEvent;
  const time = asString(object.time);
  const parsed = time === undefined ? NaN : Date.parse(time);
  return Number.isNaN(parsed) ? {} : { timestamp: parsed };
}

function readJsonReport(record: JsonObject, at: { timestamp?: number; logStream?: string }): Line {
  const requestId = asString(record.requestId);
  const metrics = asObject(record.metrics);
  const durationMs = asNumber(metrics?.durationMs);
  if (!requestId || durationMs === undefined) return UNPARSED;
  const report: InvocationReport = { requestId, ...at, format: 'json', durationMs };
  setIfDefined(report, 'billedDurationMs', asNumber(metrics?.billedDurationMs));
  setIfDefined(report, 'memorySizeMB', asNumber(metrics?.memorySizeMB));
  setIfDefined(report, 'maxMemoryUsedMB', asNumber(metrics?.maxMemoryUsedMB));
  setIfDefined(report, 'initDurationMs', asNumber(metrics?.initDurationMs));
  // 2022 records have no status at all; leave it unset rather than guessing success.
  setIfDefined(report, 'status', asString(record.status));
  setIfDefined(report, 'errorType', asString(record.errorType));
  return { kind: 'report', report };
}

function readJsonInitReport(record: JsonObject, timestamp: number | undefined): Line {
  const durationMs = asNumber(asObject(record.metrics)?.durationMs);
  if (durationMs === undefined) return UNPARSED;
  const initReport: InitReport = { ...(timestamp === undefined ? {} : { timestamp }), durationMs };
  setIfDefined(initReport, 'phase', asString(record.phase));
  setIfDefined(initReport, 'status', asString(record.status));
  setIfDefined(initReport, 'errorType', asString(record.errorType));
  return { kind: 'initReport', initReport };
}

function readJsonRuntimeDone(record: JsonObject): Line {
  const requestId = asString(record.requestId);
  if (!requestId) return UNPARSED;
  const runtimeDone: RuntimeDone = { requestId };
  setIfDefined(runtimeDone, 'status', asString(record.status));
  setIfDefined(runtimeDone, 'producedBytes', asNumber(asObject(record.metrics)?.producedBytes));
  setIfDefined(runtimeDone, 'runtimeOverheadMs', runtimeOverhead(record.spans));
  return { kind: 'runtimeDone', runtimeDone };
}

/** `spans[name=runtimeOverhead].durationMs`: time from the response to the runtime asking for the next event (aws.md §4.3). */
function runtimeOverhead(spans: unknown): number | undefined {
  if (!Array.isArray(spans)) return undefined;
  for (const span of spans) {
    const object = asObject(span);
    if (object?.name === 'runtimeOverhead') return asNumber(object.durationMs);
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------ helpers

function timestampOf(event: LogEvent): { timestamp?: number } {
  return typeof event.timestamp === 'number' && Number.isFinite(event.timestamp) ? { timestamp: event.timestamp } : {};
}

function where(event: LogEvent): { timestamp?: number; logStream?: string } {
  return { ...timestampOf(event), ...(event.logStream ? { logStream: event.logStream } : {}) };
}

/** Optional fields stay absent (not `undefined`) so records compare and serialise cleanly. */
function setIfDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
