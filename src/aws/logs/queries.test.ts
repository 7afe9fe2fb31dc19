import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLogEvents } from './parse.js';
import { defaultLogGroup, filterPattern, insightsQuery } from './queries.js';

function fixtureLines(name: string): string[] {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8').split('\n').slice(0, -1);
}

const SAMPLES = [
  'text-success.log',
  'text-timeout-legacy.log',
  'text-timeout-status.log',
  'text-timeout-status-with-init.log',
  'text-report-error-oom-xray.log',
  'text-init-report-error.log',
  'json-success.ndjson',
  'json-timeout.ndjson',
];
const sampleLines = SAMPLES.flatMap(fixtureLines);

/** Runtime exit lines in the documented forms (aws.md §4.2); no published sample is in the fixtures. */
const EXIT_LINES = [
  'RequestId: 6a1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: exit status 106',
  'RequestId: 7b1f2b3c-1111-4222-8333-944445555666 Error: Runtime exited with error: signal: killed',
  'Runtime exited without providing a reason',
];

/** A line the parser turns into a record: exactly the lines the query must return. */
function isPlatformRecord(line: string): boolean {
  const parsed = parseLogEvents([{ message: line }]);
  return parsed.reports.length + parsed.initReports.length + parsed.runtimeDone.length + parsed.runtimeExits.length + parsed.legacyTimeouts > 0;
}

/** The regex literal of the query's filter, compiled as the test fake does (JavaScript semantics). */
function queryRegex(query: string): RegExp {
  const literal = /^\| filter @message like \/(.*)\/$/m.exec(query);
  if (!literal) throw new Error(`no "filter @message like /…/" in ${query}`);
  return new RegExp(literal[1]);
}

describe('insightsQuery', () => {
  it('is exactly fields | filter like /regex/ | sort desc | limit', () => {
    expect(insightsQuery(10_000)).toBe(
      [
        'fields @timestamp, @message, @logStream',
        '| filter @message like /^REPORT RequestId: |^INIT_REPORT |Task timed out after |Runtime exited |"type":"platform\\.report"|"type":"platform\\.initReport"|"type":"platform\\.runtimeDone"/',
        '| sort @timestamp desc',
        '| limit 10000',
      ].join('\n'),
    );
  });

  it('limit is a whole number in 1..10000', () => {
    const limitOf = (n: number) => /\| limit (\d+)$/.exec(insightsQuery(n))?.[1];
    expect([limitOf(200), limitOf(50_000), limitOf(0), limitOf(-3), limitOf(2.7), limitOf(Number.NaN)]).toEqual(['200', '10000', '1', '1', '2', '10000']);
  });

  it('its regex matches every sample platform line the parser reads', () => {
    const re = queryRegex(insightsQuery(100));
    const platform = [...sampleLines, ...EXIT_LINES].filter(isPlatformRecord);
    // 7 REPORT, 1 legacy timeout, 2 INIT_REPORT, 2 runtimeDone, 1 initReport, 3 exits.
    expect(platform).toHaveLength(16);
    expect(platform.filter((line) => !re.test(line))).toEqual([]);
  });

  it('its regex matches no application line and none of the platform lines the parser skips', () => {
    const re = queryRegex(insightsQuery(100));
    const skipped = sampleLines.filter((line) => !isPlatformRecord(line));
    // START/END ×3 samples (6), the blank line (1), XRAY (1), platform.initStart/initRuntimeDone/start (3), one application line (1).
    expect(skipped).toHaveLength(12);
    const application = [
      '{"timestamp":"2024-05-20T16:29:45.009Z","level":"INFO","requestId":"4b142fc3-17b8-4cdb-a46b-a8dbe7918715","message":"ENV 2024-05-20T16:29:42.891Z"}',
      '{"timestamp":"2024-05-20T16:29:45.009Z","level":"INFO","requestId":"4b142fc3-17b8-4cdb-a46b-a8dbe7918715","message":"{\\"type\\":\\"platform.report\\"} REPORT RequestId: x"}',
      '2024-05-20T16:29:45.009Z\t4b142fc3-17b8-4cdb-a46b-a8dbe7918715\tINFO\trequest completed',
      '2024-05-20T16:29:45.009Z\t4b142fc3-17b8-4cdb-a46b-a8dbe7918715\tINFO\tREPORT RequestId: not a platform line',
    ];
    expect([...skipped, ...application].filter((line) => re.test(line))).toEqual([]);
  });

  it('an application line quoting "Task timed out after" is returned, and the parser drops it', () => {
    const line = '2024-05-20T16:29:45.009Z\t4b142fc3-17b8-4cdb-a46b-a8dbe7918715\tERROR\tTask timed out after 3.00 seconds';
    expect(queryRegex(insightsQuery(100)).test(line)).toBe(true);
    expect(parseLogEvents([{ message: line }])).toMatchObject({ legacyTimeouts: 0, unparsed: 0 });
  });
});

describe('filterPattern', () => {
  it('Text: any of the four terms', () => {
    expect(filterPattern('Text')).toBe('?"REPORT RequestId" ?"Task timed out" ?"INIT_REPORT" ?"Runtime exited"');
  });

  it('JSON: a JSON pattern on $.type', () => {
    expect(filterPattern('JSON')).toBe('{ $.type = "platform.report" || $.type = "platform.initReport" || $.type = "platform.runtimeDone" }');
  });

  it('unknown: text terms plus the JSON type names as terms, matching both formats', () => {
    expect(filterPattern(undefined)).toBe(
      '?"REPORT RequestId" ?"Task timed out" ?"INIT_REPORT" ?"Runtime exited" ?"platform.report" ?"platform.initReport" ?"platform.runtimeDone"',
    );
  });

  it('the term patterns cover every platform line the parser reads', () => {
    const terms = (pattern: string) => [...pattern.matchAll(/\?"([^"]+)"/g)].map((m) => m[1]);
    const matches = (pattern: string, line: string) => terms(pattern).some((term) => line.includes(term));
    const text = [...SAMPLES.filter((s) => s.endsWith('.log')).flatMap(fixtureLines), ...EXIT_LINES].filter(isPlatformRecord);
    const json = SAMPLES.filter((s) => s.endsWith('.ndjson')).flatMap(fixtureLines).filter(isPlatformRecord);
    expect(text.filter((line) => !matches(filterPattern('Text'), line))).toEqual([]);
    expect([...text, ...json].filter((line) => !matches(filterPattern(undefined), line))).toEqual([]);
  });
});

describe('defaultLogGroup', () => {
  it('LoggingConfig.LogGroup wins', () => {
    expect(defaultLogGroup('chat', '/custom/chat-logs')).toBe('/custom/chat-logs');
  });

  it('otherwise /aws/lambda/<name>, also from an ARN', () => {
    expect(defaultLogGroup('chat')).toBe('/aws/lambda/chat');
    expect(defaultLogGroup('chat', '  ')).toBe('/aws/lambda/chat');
    expect(defaultLogGroup('arn:aws:lambda:eu-west-1:123456789012:function:chat:live')).toBe('/aws/lambda/chat');
    expect(defaultLogGroup('123456789012:function:chat')).toBe('/aws/lambda/chat');
  });
});
