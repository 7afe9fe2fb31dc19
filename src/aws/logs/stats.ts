/**
 * Turns parsed platform log records into the few numbers the live rules reason about: how long invocations
 * take, how many sit at the configured timeout, cold starts that follow a timeout, crashes and errors.
 */
import type { InitReport, InvocationReport, ParsedLogs, RuntimeDone } from './parse.js';

export interface LogStats {
  invocations: number;
  /** Nearest-rank percentiles of REPORT durations (see `nearestRank`); null without any REPORT. */
  durationMs: { p50: number; p90: number; p99: number; max: number } | null;
  /** Invocations whose duration is within 1 % of the configured timeout (min 50 ms), or status timeout. */
  atTimeout: { count: number; share: number };
  /** Status timeout (incl. legacy "Task timed out" lines). */
  timeouts: number;
  /** Init Duration of the REPORTs, i.e. cold starts that served a request. */
  initDurationMs: { count: number; p50: number; max: number } | null;
  /** Cold starts (Init Duration) on invocations that came right after a timeout in the same log stream or at all — the environment reset after a timeout. */
  coldStartsAfterTimeout: number;
  /** Error Type / errorType of reports with status error/failure, plus INIT_REPORT errors. */
  errorsByType: Record<string, number>;
  /** Runtime exit reason ("exit status 106", "signal: killed") -> count. */
  runtimeExits: Record<string, number>;
  /** JSON runtimeDone with status timeout and producedBytes > 0: "response sent, runtime kept waiting". */
  producedBytesBeforeTimeout: number;
  /** Min/max timestamp of the records read. */
  window?: { from: number; to: number };
}

/** Key for errors that carry no error type, so they are still counted. */
const UNKNOWN_ERROR_TYPE = 'unknown';
/** Statuses the Lambda Telemetry API uses for a failed invocation or init (aws.md §4.2). */
const ERROR_STATUSES = new Set(['error', 'failure']);

export function summarize(parsed: ParsedLogs, options: { timeoutSeconds?: number }): LogStats {
  const reports = parsed.reports;
  const thresholdMs = timeoutThresholdMs(options.timeoutSeconds);
  const atTimeout = reports.filter((report) => isTimeout(report) || (thresholdMs !== undefined && report.durationMs >= thresholdMs)).length;
  const window = timeWindow(parsed);
  return {
    invocations: reports.length,
    durationMs: durationPercentiles(reports),
    atTimeout: { count: atTimeout, share: reports.length === 0 ? 0 : atTimeout / reports.length },
    timeouts: reports.filter(isTimeout).length,
    initDurationMs: initDurations(reports),
    coldStartsAfterTimeout: coldStartsAfterTimeout(reports),
    errorsByType: errorsByType(reports, parsed.initReports),
    runtimeExits: countBy(parsed.runtimeExits, (exit) => exit.reason),
    producedBytesBeforeTimeout: parsed.runtimeDone.filter(sentThenTimedOut).length,
    ...(window ? { window } : {}),
  };
}

/**
 * Durations from this value up count as "at the timeout" (aws.md §4.2): within 1 % of the limit, but at
 * least 50 ms, because current timeouts report exactly `Timeout*1000` and legacy ones a little more, while a
 * handler that merely ran long stays visibly below. Billed Duration is never used: it includes billed Init
 * and so can exceed the limit on an invocation that did not time out.
 */
function timeoutThresholdMs(timeoutSeconds: number | undefined): number | undefined {
  if (timeoutSeconds === undefined || !Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) return undefined;
  const limitMs = timeoutSeconds * 1000;
  return limitMs - Math.max(50, limitMs / 100);
}

/** `status` already includes the legacy "Task timed out" line: the parser applies it to the request's REPORT. */
function isTimeout(report: InvocationReport): boolean {
  return report.status === 'timeout';
}

/**
 * Nearest-rank percentile of ascending `sorted` (non-empty): the value at rank ⌈p/100 · n⌉ (1-based), i.e.
 * the smallest duration with at least p % of the invocations at or below it. No interpolation, so every
 * figure shown is a duration some invocation really had; with few invocations p99 is simply the maximum.
 */
function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function ascending(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function durationPercentiles(reports: readonly InvocationReport[]): LogStats['durationMs'] {
  if (reports.length === 0) return null;
  const sorted = ascending(reports.map((report) => report.durationMs));
  return { p50: nearestRank(sorted, 50), p90: nearestRank(sorted, 90), p99: nearestRank(sorted, 99), max: sorted[sorted.length - 1] };
}

/**
 * Only the REPORT's Init Duration counts: JSON logs also write a `platform.initReport` for the same cold
 * start, and INIT_REPORT text lines describe failed or suppressed inits, so counting them would double count.
 */
function initDurations(reports: readonly InvocationReport[]): LogStats['initDurationMs'] {
  const values = reports.flatMap((report) => (report.initDurationMs === undefined ? [] : [report.initDurationMs]));
  if (values.length === 0) return null;
  const sorted = ascending(values);
  return { count: sorted.length, p50: nearestRank(sorted, 50), max: sorted[sorted.length - 1] };
}

/**
 * After a timeout Lambda resets the execution environment, so the next invocation on it re-runs Init
 * (aws.md §4.2). Whether the new environment keeps the log stream is not confirmed, so a cold start is
 * compared with the previous invocation of its own log stream when it has one, and otherwise (first
 * invocation of a stream, or no stream known) with the previous invocation overall.
 */
function coldStartsAfterTimeout(reports: readonly InvocationReport[]): number {
  const lastInStream = new Map<string, InvocationReport>();
  let lastOverall: InvocationReport | undefined;
  let count = 0;
  for (const report of chronological(reports)) {
    const previous = (report.logStream === undefined ? undefined : lastInStream.get(report.logStream)) ?? lastOverall;
    if (report.initDurationMs !== undefined && previous !== undefined && isTimeout(previous)) count++;
    if (report.logStream !== undefined) lastInStream.set(report.logStream, report);
    lastOverall = report;
  }
  return count;
}

/**
 * Oldest first. Insights returns newest first, so order must come from the timestamps; reports without one
 * go first, in the order given (callers without timestamps pass them oldest first).
 */
function chronological(reports: readonly InvocationReport[]): InvocationReport[] {
  return reports
    .map((report, index) => ({ report, index }))
    .sort((a, b) => (a.report.timestamp ?? -Infinity) - (b.report.timestamp ?? -Infinity) || a.index - b.index)
    .map(({ report }) => report);
}

function errorsByType(reports: readonly InvocationReport[], initReports: readonly InitReport[]): Record<string, number> {
  const failed = [...reports, ...initReports].filter((record) => record.status !== undefined && ERROR_STATUSES.has(record.status));
  return countBy(failed, (record) => record.errorType ?? UNKNOWN_ERROR_TYPE);
}

/** The runtime had already produced response bytes when the invocation timed out: it kept waiting after answering (aws.md §4.3, §8). */
function sentThenTimedOut(done: RuntimeDone): boolean {
  return done.status === 'timeout' && (done.producedBytes ?? 0) > 0;
}

/** Via a Map and `Object.fromEntries` so a key read from a log line ("__proto__") stays a plain own key. */
function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return Object.fromEntries(counts);
}

function timeWindow(parsed: ParsedLogs): LogStats['window'] {
  const stamps = [...parsed.reports, ...parsed.initReports, ...parsed.runtimeExits].flatMap((record) => (record.timestamp === undefined ? [] : [record.timestamp]));
  if (stamps.length === 0) return undefined;
  // A loop, not Math.min(...stamps): tens of thousands of arguments can overflow the call stack.
  let from = stamps[0];
  let to = stamps[0];
  for (const stamp of stamps) {
    if (stamp < from) from = stamp;
    if (stamp > to) to = stamp;
  }
  return { from, to };
}
