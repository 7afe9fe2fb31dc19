import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLogEvents, type LogEvent } from './parse.js';

/**
 * One CloudWatch event per fixture line (the published samples, see fixtures/README.md). Text messages end
 * with "\n" as Lambda writes them; `timestamp`/`logStream` are added only when asked for.
 */
function fixture(name: string, at?: { start: number; logStream?: string }): LogEvent[] {
  const text = readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  const lines = text.split('\n').slice(0, -1);
  const newline = name.endsWith('.log') ? '\n' : '';
  return lines.map((line, index) => ({
    message: line + newline,
    ...(at ? { timestamp: at.start + index, ...(at.logStream ? { logStream: at.logStream } : {}) } : {}),
  }));
}

describe('parseLogEvents: text format samples', () => {
  it('success REPORT (trailing tab, START/END skipped)', () => {
    expect(parseLogEvents(fixture('text-success.log'))).toEqual({
      reports: [
        {
          requestId: '533dca35-3ef3-4824-8632-ea4846bcd532',
          format: 'text',
          durationMs: 2592.97,
          billedDurationMs: 2593,
          memorySizeMB: 128,
          maxMemoryUsedMB: 93,
        },
      ],
      initReports: [],
      runtimeDone: [],
      runtimeExits: [],
      legacyTimeouts: 0,
      unparsed: 0,
    });
  });

  it('legacy "Task timed out" line marks the REPORT without Status as timeout', () => {
    const parsed = parseLogEvents(fixture('text-timeout-legacy.log', { start: 1_000, logStream: '2023/10/20/[$LATEST]abc' }));
    expect(parsed.reports).toEqual([
      {
        requestId: '4299ee26-8d1d-4ea9-bd43-77b85ed96cfe',
        timestamp: 1_004,
        logStream: '2023/10/20/[$LATEST]abc',
        format: 'text',
        durationMs: 31012.52,
        billedDurationMs: 31000,
        memorySizeMB: 128,
        maxMemoryUsedMB: 109,
        status: 'timeout',
      },
    ]);
    expect(parsed.legacyTimeouts).toBe(1);
    // The blank line in the sample is not garbage.
    expect(parsed.unparsed).toBe(0);
  });

  it('legacy timeout line after its REPORT (Insights returns newest first) still applies', () => {
    const parsed = parseLogEvents(fixture('text-timeout-legacy.log').reverse());
    expect(parsed.reports.map((r) => r.status)).toEqual(['timeout']);
    expect(parsed.legacyTimeouts).toBe(1);
  });

  it('a legacy timeout line whose REPORT is outside the window is still counted', () => {
    const parsed = parseLogEvents([{ message: '2023-10-20T16:28:17.840Z 4299ee26-8d1d-4ea9-bd43-77b85ed96cfe Task timed out after 31.01 seconds\n' }]);
    expect(parsed).toMatchObject({ reports: [], legacyTimeouts: 1, unparsed: 0 });
  });

  it('Status: timeout', () => {
    expect(parseLogEvents(fixture('text-timeout-status.log')).reports).toEqual([
      {
        requestId: '4725a167-21a7-5731-99c2-c3d0e3dfd770',
        format: 'text',
        durationMs: 180000,
        billedDurationMs: 180000,
        memorySizeMB: 1280,
        maxMemoryUsedMB: 1201,
        status: 'timeout',
      },
    ]);
  });

  it('Status: timeout with Init Duration before Status (Billed > Duration)', () => {
    const parsed = parseLogEvents(fixture('text-timeout-status-with-init.log'));
    expect(parsed.reports).toEqual([
      {
        requestId: '595492f6-5916-4b98-94e5-a1079dfab87b',
        format: 'text',
        durationMs: 5000,
        billedDurationMs: 5579,
        memorySizeMB: 3008,
        maxMemoryUsedMB: 113,
        initDurationMs: 578.07,
        status: 'timeout',
      },
    ]);
    expect(parsed.legacyTimeouts).toBe(0);
  });

  const oom = {
    requestId: '276ff3b9-1609-4ee7-a288-db3752630767',
    format: 'text',
    durationMs: 10935.7,
    billedDurationMs: 10936,
    memorySizeMB: 1024,
    maxMemoryUsedMB: 1024,
    status: 'error',
    errorType: 'Runtime.OutOfMemory',
  };

  it('OOM error with an XRAY line as its own event', () => {
    const parsed = parseLogEvents(fixture('text-report-error-oom-xray.log'));
    expect(parsed.reports).toEqual([oom]);
    expect(parsed.unparsed).toBe(0);
  });

  it('OOM error with the XRAY line appended to the REPORT message', () => {
    const [report, xray] = fixture('text-report-error-oom-xray.log');
    const parsed = parseLogEvents([{ message: report.message + xray.message }]);
    expect(parsed.reports).toEqual([oom]);
    expect(parsed.unparsed).toBe(0);
  });

  it('INIT_REPORT errors, init and invoke phase', () => {
    const parsed = parseLogEvents(fixture('text-init-report-error.log', { start: 50 }));
    expect(parsed.initReports).toEqual([
      { timestamp: 50, durationMs: 154.03, phase: 'init', status: 'error', errorType: 'Runtime.ExitError' },
      { timestamp: 51, durationMs: 99.65, phase: 'invoke', status: 'error', errorType: 'Runtime.ExitError' },
    ]);
    expect(parsed.reports).toEqual([]);
    expect(parsed.unparsed).toBe(0);
  });
});

describe('parseLogEvents: REPORT field variants (forms from aws.md §4.2)', () => {
  it('2018 form: a space before the tab', () => {
    const message = 'REPORT RequestId: 0b7f5e0c-1111-4222-8333-944445555666\tDuration: 17899.99 ms\tBilled Duration: 18000 ms \tMemory Size: 512 MB\tMax Memory Used: 60 MB\t\n';
    expect(parseLogEvents([{ message }]).reports).toEqual([
      { requestId: '0b7f5e0c-1111-4222-8333-944445555666', format: 'text', durationMs: 17899.99, billedDurationMs: 18000, memorySizeMB: 512, maxMemoryUsedMB: 60 },
    ]);
  });

  it('emulator order (Init Duration first), unknown keys, trailing spaces and tabs', () => {
    const message = 'REPORT RequestId: 0b7f5e0c-1111-4222-8333-944445555666\tInit Duration: 1.52 ms\tDuration: 2.5 ms\tBilled Duration: 3 ms\tMemory Size: 3008 MB\tMax Memory Used: 3008 MB\tRestore Duration: 7.00 ms\tSome Future Key: x \t \t\n';
    expect(parseLogEvents([{ message }]).reports).toEqual([
      { requestId: '0b7f5e0c-1111-4222-8333-944445555666', format: 'text', durationMs: 2.5, billedDurationMs: 3, memorySizeMB: 3008, maxMemoryUsedMB: 3008, initDurationMs: 1.52 },
    ]);
  });
});

describe('parseLogEvents: JSON format samples', () => {
  it('success: report, initReport, runtimeDone; platform.start/initStart and application lines skipped', () => {
    expect(parseLogEvents(fixture('json-success.ndjson'))).toEqual({
      reports: [
        {
          requestId: '4b142fc3-17b8-4cdb-a46b-a8dbe7918715',
          // No CloudWatch timestamp given: the record's own `time`.
          timestamp: Date.parse('2024-05-20T16:29:45.022Z'),
          format: 'json',
          durationMs: 11.642,
          billedDurationMs: 12,
          memorySizeMB: 128,
          maxMemoryUsedMB: 67,
          initDurationMs: 174.055,
          status: 'success',
        },
      ],
      initReports: [{ timestamp: Date.parse('2024-05-20T16:29:45.007Z'), durationMs: 173.778, phase: 'init', status: 'success' }],
      runtimeDone: [{ requestId: '4b142fc3-17b8-4cdb-a46b-a8dbe7918715', status: 'success', producedBytes: 40, runtimeOverheadMs: 8.686 }],
      runtimeExits: [],
      legacyTimeouts: 0,
      unparsed: 0,
    });
  });

  it('timeout: status after metrics, runtimeDone without spans', () => {
    const parsed = parseLogEvents(fixture('json-timeout.ndjson', { start: 7, logStream: 's' }));
    expect(parsed.reports).toEqual([
      {
        requestId: 'aec7a529-47f9-4090-be01-c9ed91bf83cf',
        timestamp: 8,
        logStream: 's',
        format: 'json',
        durationMs: 5000,
        billedDurationMs: 5000,
        memorySizeMB: 128,
        maxMemoryUsedMB: 94,
        status: 'timeout',
      },
    ]);
    expect(parsed.runtimeDone).toEqual([{ requestId: 'aec7a529-47f9-4090-be01-c9ed91bf83cf', status: 'timeout', producedBytes: 0 }]);
  });

  it('2022 record without status and with an errorType', () => {
    const message = JSON.stringify({ time: '2022-01-01T00:00:00.000Z', type: 'platform.report', record: { requestId: 'r1', metrics: { durationMs: 3 }, errorType: 'Runtime.Unknown' } });
    expect(parseLogEvents([{ message, timestamp: 99 }]).reports).toEqual([{ requestId: 'r1', timestamp: 99, format: 'json', durationMs: 3, errorType: 'Runtime.Unknown' }]);
  });
});

describe('parseLogEvents: runtime exits (forms from aws.md §4.2 and runtime.md)', () => {
  it('exit status, signal and no reason', () => {
    const parsed = parseLogEvents([
      { message: 'RequestId: 6a1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: exit status 106\n', timestamp: 10 },
      { message: 'RequestId: 7b1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: signal: killed\nRuntime.ExitError\n', timestamp: 11 },
      { message: 'RequestId: 8c1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: exit status 128 Runtime.ExitError\n' },
      { message: 'Runtime exited without providing a reason\n' },
    ]);
    expect(parsed.runtimeExits).toEqual([
      { requestId: '6a1f2b3c-1111-4222-8333-944445555666', timestamp: 10, reason: 'exit status 106', exitStatus: 106 },
      { requestId: '7b1f2b3c-1111-4222-8333-944445555666', timestamp: 11, reason: 'signal: killed' },
      { requestId: '8c1f2b3c-1111-4222-8333-944445555666', reason: 'exit status 128', exitStatus: 128 },
      { reason: 'without providing a reason' },
    ]);
    expect(parsed.unparsed).toBe(0);
  });
});

describe('parseLogEvents: garbage and application lines', () => {
  it('never throws; garbage is counted, application lines and blanks are not', () => {
    const garbage: LogEvent[] = [
      { message: 'hello world' },
      { message: '{not json' },
      { message: '[1,2]' },
      { message: '{"type":"platform.report"}' },
      { message: '{"type":"platform.report","record":{"requestId":"x"}}' },
      { message: '{"type":"platform.runtimeDone","record":{}}' },
      { message: '{"type":"platform.initReport","record":{"metrics":{"durationMs":"fast"}}}' },
      { message: 'REPORT RequestId: x\tDuration: abc ms' },
      { message: 'REPORT garbage' },
      { message: 'INIT_REPORT nothing here' },
      { message: 'Task timed out after 3.00 seconds' },
      { message: 'Runtime exited ' },
      { message: '\u0000\uffff\t\t' },
    ];
    const ignored: LogEvent[] = [
      { message: '' },
      { message: ' \n' },
      { message: '{"timestamp":"2024-05-20T16:29:45.009Z","level":"INFO","requestId":"4b142fc3-17b8-4cdb-a46b-a8dbe7918715","message":"REPORT RequestId: fake"}' },
      { message: '2024-05-20T16:29:45.009Z\t4b142fc3-17b8-4cdb-a46b-a8dbe7918715\tERROR\tTask timed out after 3.00 seconds\n' },
      { message: '2024-05-20T16:29:45.009Z\t4b142fc3-17b8-4cdb-a46b-a8dbe7918715\tINFO\tRuntime exited with error: exit status 1\n' },
      { message: '{"type":"platform.logsDropped","record":{"reason":"x"}}' },
      { message: 'EXTENSION\tName: otel\tState: Ready\tEvents: [INVOKE, SHUTDOWN]\n' },
      { message: 42 as unknown as string },
    ];
    const parsed = parseLogEvents([...garbage, ...ignored]);
    expect(parsed).toEqual({ reports: [], initReports: [], runtimeDone: [], runtimeExits: [], legacyTimeouts: 0, unparsed: garbage.length });
  });
});

describe('parseLogEvents: duplicates', () => {
  it('the same REPORT twice (two pages) is one report, even with different timestamps', () => {
    const [report] = fixture('text-timeout-status.log').filter((e) => e.message.startsWith('REPORT'));
    const parsed = parseLogEvents([
      { ...report, timestamp: 5, logStream: 'a' },
      { ...report, timestamp: 5, logStream: 'a' },
      { ...report, timestamp: 6, logStream: 'a' },
    ]);
    expect(parsed.reports).toHaveLength(1);
    expect(parsed.reports[0]).toMatchObject({ requestId: '4725a167-21a7-5731-99c2-c3d0e3dfd770', timestamp: 5 });
  });

  it('identical timed events are dropped; untimed INIT_REPORTs are kept (they may be two real events)', () => {
    const [init] = fixture('text-init-report-error.log');
    expect(parseLogEvents([{ ...init, timestamp: 1 }, { ...init, timestamp: 1 }]).initReports).toHaveLength(1);
    expect(parseLogEvents([init, init]).initReports).toHaveLength(2);
  });

  it('JSON runtimeDone and runtime exits are deduplicated by request id', () => {
    const events = [...fixture('json-timeout.ndjson'), ...fixture('json-timeout.ndjson')];
    const exit = { message: 'RequestId: 6a1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: exit status 106\n' };
    const parsed = parseLogEvents([...events, exit, exit]);
    expect(parsed.reports).toHaveLength(1);
    expect(parsed.runtimeDone).toHaveLength(1);
    expect(parsed.runtimeExits).toHaveLength(1);
  });
});
