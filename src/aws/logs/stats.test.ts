import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLogEvents, type InvocationReport, type LogEvent, type ParsedLogs } from './parse.js';
import { summarize } from './stats.js';

/** One CloudWatch event per fixture line (see fixtures/README.md), timed from `start` on, one ms apart. */
function fixture(name: string, start: number, logStream: string): LogEvent[] {
  const lines = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').split('\n').slice(0, -1);
  return lines.map((line, index) => ({ message: line, timestamp: start + index, logStream }));
}

function parsedOf(reports: InvocationReport[], extra: Partial<ParsedLogs> = {}): ParsedLogs {
  return { reports, initReports: [], runtimeDone: [], runtimeExits: [], legacyTimeouts: 0, unparsed: 0, ...extra };
}

let nextId = 0;
function report(durationMs: number, extra: Partial<InvocationReport> = {}): InvocationReport {
  return { requestId: `r${nextId++}`, format: 'text', durationMs, ...extra };
}

describe('summarize: every sample together', () => {
  const events = [
    ...fixture('text-success.log', 1_000, 'a'),
    ...fixture('text-timeout-legacy.log', 2_000, 'a'),
    ...fixture('text-timeout-status.log', 3_000, 'b'),
    ...fixture('text-timeout-status-with-init.log', 4_000, 'b'),
    ...fixture('text-report-error-oom-xray.log', 5_000, 'c'),
    ...fixture('text-init-report-error.log', 6_000, 'c'),
    ...fixture('json-success.ndjson', 7_000, 'd'),
    ...fixture('json-timeout.ndjson', 8_000, 'd'),
  ];

  it('counts, timeouts, cold starts, errors', () => {
    const stats = summarize(parseLogEvents(events), {});
    expect(stats).toEqual({
      invocations: 7,
      // Sorted: 11.642, 2592.97, 5000 (text), 5000 (json), 10935.7, 31012.52, 180000.
      durationMs: { p50: 5000, p90: 180000, p99: 180000, max: 180000 },
      // Without a configured timeout only the statuses count: legacy, two Status: timeout, JSON timeout.
      atTimeout: { count: 4, share: 4 / 7 },
      timeouts: 4,
      initDurationMs: { count: 2, p50: 174.055, max: 578.07 },
      // Stream b: the 180 s timeout, then the 5 s timeout with Init Duration.
      coldStartsAfterTimeout: 1,
      errorsByType: { 'Runtime.OutOfMemory': 1, 'Runtime.ExitError': 2 },
      runtimeExits: {},
      // The JSON timeout sample produced 0 bytes.
      producedBytesBeforeTimeout: 0,
      window: { from: 1_002, to: 8_001 },
    });
  });

  it('the same order newest first (as Insights returns it) gives the same statistics', () => {
    const forward = summarize(parseLogEvents(events), { timeoutSeconds: 5 });
    const backward = summarize(parseLogEvents([...events].reverse()), { timeoutSeconds: 5 });
    expect(backward).toEqual(forward);
  });
});

describe('summarize: duration percentiles (nearest rank)', () => {
  it('1..100 shuffled: p50 50, p90 90, p99 99, max 100', () => {
    const durations = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    expect(new Set(durations).size).toBe(100);
    expect(summarize(parsedOf(durations.map((d) => report(d))), {}).durationMs).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('10 values: rank ⌈p·n⌉, no interpolation', () => {
    const durations = [100, 10, 90, 20, 80, 30, 70, 40, 60, 50];
    // p50 → rank 5, p90 → rank 9, p99 → rank ⌈9.9⌉ = 10.
    expect(summarize(parsedOf(durations.map((d) => report(d))), {}).durationMs).toEqual({ p50: 50, p90: 90, p99: 100, max: 100 });
  });

  it('one value is every percentile; none is null', () => {
    expect(summarize(parsedOf([report(12.5)]), {}).durationMs).toEqual({ p50: 12.5, p90: 12.5, p99: 12.5, max: 12.5 });
    expect(summarize(parsedOf([]), {})).toEqual({
      invocations: 0,
      durationMs: null,
      atTimeout: { count: 0, share: 0 },
      timeouts: 0,
      initDurationMs: null,
      coldStartsAfterTimeout: 0,
      errorsByType: {},
      runtimeExits: {},
      producedBytesBeforeTimeout: 0,
    });
  });

  it('Init Duration: count, p50, max of the REPORTs that have one', () => {
    const parsed = parsedOf([report(1, { initDurationMs: 300 }), report(1), report(1, { initDurationMs: 100 }), report(1, { initDurationMs: 200 })]);
    expect(summarize(parsed, {}).initDurationMs).toEqual({ count: 3, p50: 200, max: 300 });
  });
});

describe('summarize: at the timeout (aws.md §4.2)', () => {
  it('Timeout 20 s: within 1 % (200 ms) counts, 19800 does, 19799.99 and 19700 do not', () => {
    const stats = summarize(parsedOf([report(19_800), report(19_799.99), report(19_700), report(20_000), report(20_013.4)]), { timeoutSeconds: 20 });
    expect(stats.atTimeout).toEqual({ count: 3, share: 3 / 5 });
    // Durations alone are not a timeout status.
    expect(stats.timeouts).toBe(0);
  });

  it('Timeout 3 s: the margin is at least 50 ms (2950 counts, 2949 does not)', () => {
    expect(summarize(parsedOf([report(2_950), report(2_949)]), { timeoutSeconds: 3 }).atTimeout).toEqual({ count: 1, share: 0.5 });
  });

  it('Billed Duration is never used', () => {
    // Billed Init makes Billed Duration exceed the limit on an invocation that finished early.
    const stats = summarize(parsedOf([report(1_000, { billedDurationMs: 20_000, initDurationMs: 19_000 })]), { timeoutSeconds: 20 });
    expect(stats.atTimeout.count).toBe(0);
  });

  it('status timeout counts whatever the duration; a missing or invalid timeout only disables the duration rule', () => {
    const parsed = parsedOf([report(10, { status: 'timeout' }), report(19_900)]);
    expect(summarize(parsed, { timeoutSeconds: 20 }).atTimeout.count).toBe(2);
    expect(summarize(parsed, {}).atTimeout.count).toBe(1);
    expect(summarize(parsed, { timeoutSeconds: 0 }).atTimeout.count).toBe(1);
    expect(summarize(parsed, { timeoutSeconds: Number.NaN }).atTimeout.count).toBe(1);
    expect(summarize(parsed, {}).timeouts).toBe(1);
  });

  it('a legacy "Task timed out" line is a timeout', () => {
    const stats = summarize(parseLogEvents(fixture('text-timeout-legacy.log', 0, 'a')), {});
    expect(stats).toMatchObject({ timeouts: 1, atTimeout: { count: 1, share: 1 } });
  });
});

describe('summarize: cold starts after a timeout', () => {
  it('same stream: the next invocation after a timeout re-runs Init', () => {
    const parsed = parsedOf([
      report(20_000, { status: 'timeout', timestamp: 1, logStream: 'a' }),
      report(300, { initDurationMs: 400, timestamp: 2, logStream: 'a' }),
      // Cold start after a success in its own stream: not after a timeout.
      report(20_000, { status: 'timeout', timestamp: 3, logStream: 'b' }),
      report(300, { timestamp: 4, logStream: 'a' }),
      report(300, { initDurationMs: 400, timestamp: 5, logStream: 'a' }),
    ]);
    expect(summarize(parsed, {}).coldStartsAfterTimeout).toBe(1);
  });

  it('a new stream: its first invocation is compared with the previous one overall', () => {
    const parsed = parsedOf([
      report(20_000, { status: 'timeout', timestamp: 1, logStream: 'a' }),
      report(300, { initDurationMs: 400, timestamp: 2, logStream: 'b' }),
      report(300, { initDurationMs: 400, timestamp: 3, logStream: 'c' }),
    ]);
    expect(summarize(parsed, {}).coldStartsAfterTimeout).toBe(1);
  });

  it('order comes from timestamps, not from the input (Insights sorts newest first)', () => {
    const parsed = parsedOf([
      report(300, { initDurationMs: 400, timestamp: 2, logStream: 'a' }),
      report(20_000, { status: 'timeout', timestamp: 1, logStream: 'a' }),
    ]);
    expect(summarize(parsed, {}).coldStartsAfterTimeout).toBe(1);
  });

  it('without streams or timestamps: input order', () => {
    const parsed = parsedOf([report(20_000, { status: 'timeout' }), report(300, { initDurationMs: 400 }), report(300, { initDurationMs: 400 })]);
    expect(summarize(parsed, {}).coldStartsAfterTimeout).toBe(1);
  });
});

describe('summarize: errors, exits, bytes before the timeout, window', () => {
  it('error/failure reports and INIT_REPORT errors by type; timeouts and successes are not errors', () => {
    const parsed = parsedOf(
      [
        report(1, { status: 'error', errorType: 'Runtime.OutOfMemory' }),
        report(1, { status: 'failure' }),
        report(1, { status: 'error', errorType: 'Runtime.OutOfMemory' }),
        report(1, { status: 'timeout', errorType: 'Sandbox.Timedout' }),
        report(1, { status: 'success' }),
      ],
      { initReports: [{ durationMs: 1, status: 'error', errorType: 'Runtime.ExitError' }, { durationMs: 1, status: 'success' }] },
    );
    expect(summarize(parsed, {}).errorsByType).toEqual({ 'Runtime.OutOfMemory': 2, unknown: 1, 'Runtime.ExitError': 1 });
  });

  it('an error type read from a log line is a plain key', () => {
    const stats = summarize(parsedOf([report(1, { status: 'error', errorType: '__proto__' })]), {});
    expect(Object.keys(stats.errorsByType)).toEqual(['__proto__']);
    expect(stats.errorsByType['__proto__']).toBe(1);
  });

  it('runtime exits by reason', () => {
    const parsed = parseLogEvents([
      { message: 'RequestId: 6a1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: exit status 106', timestamp: 40 },
      { message: 'RequestId: 7a1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: exit status 106', timestamp: 20 },
      { message: 'RequestId: 8a1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: signal: killed', timestamp: 30 },
    ]);
    const stats = summarize(parsed, {});
    expect(stats.runtimeExits).toEqual({ 'exit status 106': 2, 'signal: killed': 1 });
    expect(stats.window).toEqual({ from: 20, to: 40 });
  });

  it('runtimeDone timeout with produced bytes: the response was sent and the runtime kept waiting', () => {
    const parsed = parsedOf([], {
      runtimeDone: [
        { requestId: 'a', status: 'timeout', producedBytes: 512 },
        { requestId: 'b', status: 'timeout', producedBytes: 0 },
        { requestId: 'c', status: 'timeout' },
        { requestId: 'd', status: 'success', producedBytes: 40 },
      ],
    });
    expect(summarize(parsed, {}).producedBytesBeforeTimeout).toBe(1);
  });
});
