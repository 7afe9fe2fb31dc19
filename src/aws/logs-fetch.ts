/**
 * Reads a function's platform log lines (REPORT, INIT_REPORT, timeouts, runtime exits) for a window.
 * One Logs Insights query per function (StartQuery + GetQueryResults polls) instead of paging raw events:
 * FilterLogEvents is limited to 5 TPS per account and is "designed for human interaction" (aws.md §4.4).
 * The query returns the raw lines and they are parsed here, so both paths share one parser. When Insights
 * is not allowed, FilterLogEvents with a tight pattern and the same window is the fallback.
 */
import { FilterLogEventsCommand, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { AwsClients } from './clients.js';
import { awsErrorLine, isAccessDenied, isNotFound } from './clients.js';
import type { LogEvent } from './logs/parse.js';
import { filterPattern, insightsQuery } from './logs/queries.js';

/** Lines read at most per function: plenty for statistics, bounded in time and memory. */
export const MAX_LOG_LINES = 10_000;
/** How long to wait for one Insights query before giving up on it. */
const QUERY_DEADLINE_MS = 60_000;

export interface LogFetch {
  events: LogEvent[];
  via: 'insights' | 'filter' | 'none';
  /** Why the logs are missing or partial, one line. */
  note?: string;
  truncated: boolean;
}

export interface LogFetchOptions {
  logGroup: string;
  logFormat?: 'Text' | 'JSON';
  fromMs: number;
  toMs: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function fetchPlatformLogs(clients: AwsClients, options: LogFetchOptions): Promise<LogFetch> {
  try {
    return await viaInsights(clients, options);
  } catch (error) {
    if (isNotFound(error)) return noLogs(`no logs: log group ${options.logGroup} does not exist (the function has not run yet, or it logs elsewhere)`);
    if (!isAccessDenied(error)) return noLogs(`logs not read: ${awsErrorLine(error)}`);
  }
  try {
    const fetched = await viaFilter(clients, options);
    return { ...fetched, note: 'Logs Insights not allowed (logs:StartQuery): read with FilterLogEvents instead' };
  } catch (error) {
    if (isNotFound(error)) return noLogs(`no logs: log group ${options.logGroup} does not exist (the function has not run yet, or it logs elsewhere)`);
    if (isAccessDenied(error)) return noLogs('logs not read: not authorized for logs:StartQuery nor logs:FilterLogEvents');
    return noLogs(`logs not read: ${awsErrorLine(error)}`);
  }
}

function noLogs(note: string): LogFetch {
  return { events: [], via: 'none', note, truncated: false };
}

async function viaInsights(clients: AwsClients, options: LogFetchOptions): Promise<LogFetch> {
  const sleep = options.sleep ?? defaultSleep;
  const started = await clients.logs.send(
    new StartQueryCommand({
      logGroupName: options.logGroup,
      // Insights takes seconds, inclusive.
      startTime: Math.floor(options.fromMs / 1000),
      endTime: Math.ceil(options.toMs / 1000),
      queryString: insightsQuery(MAX_LOG_LINES),
      limit: MAX_LOG_LINES,
    }),
  );
  const queryId = started.queryId;
  if (!queryId) throw new Error('StartQuery returned no query id');
  const deadline = Date.now() + QUERY_DEADLINE_MS;
  let wait = 250;
  for (;;) {
    const out = await clients.logs.send(new GetQueryResultsCommand({ queryId }));
    const status = out.status ?? 'Unknown';
    if (status === 'Complete') {
      const events = (out.results ?? []).map(rowToEvent).filter((e): e is LogEvent => e !== null);
      return { events, via: 'insights', truncated: events.length >= MAX_LOG_LINES };
    }
    if (status === 'Failed' || status === 'Cancelled' || status === 'Timeout' || status === 'Unknown') {
      return noLogs(`logs not read: the Logs Insights query ended with status ${status}`);
    }
    if (Date.now() > deadline) {
      await clients.logs.send(new StopQueryCommand({ queryId })).catch(() => undefined);
      return noLogs(`logs not read: the Logs Insights query did not finish within ${QUERY_DEADLINE_MS / 1000} s`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 2_000);
  }
}

function rowToEvent(row: Array<{ field?: string; value?: string }>): LogEvent | null {
  const get = (name: string) => row.find((cell) => cell.field === name)?.value;
  const message = get('@message');
  if (message === undefined) return null;
  const stamp = get('@timestamp');
  // Insights prints `2026-11-24 08:00:00.000` in UTC.
  const timestamp = stamp ? Date.parse(`${stamp.replace(' ', 'T')}Z`) : undefined;
  const logStream = get('@logStream');
  return { message, ...(timestamp !== undefined && !Number.isNaN(timestamp) ? { timestamp } : {}), ...(logStream ? { logStream } : {}) };
}

async function viaFilter(clients: AwsClients, options: LogFetchOptions): Promise<LogFetch> {
  const events: LogEvent[] = [];
  let nextToken: string | undefined;
  do {
    const out = await clients.logs.send(
      new FilterLogEventsCommand({
        logGroupName: options.logGroup,
        startTime: options.fromMs,
        endTime: options.toMs,
        filterPattern: filterPattern(options.logFormat),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const e of out.events ?? []) {
      if (e.message !== undefined) events.push({ message: e.message, ...(e.timestamp !== undefined ? { timestamp: e.timestamp } : {}), ...(e.logStreamName ? { logStream: e.logStreamName } : {}) });
    }
    // Pages may be partial or empty before the end: only a missing token ends it (aws.md §4.4).
    nextToken = out.nextToken;
  } while (nextToken && events.length < MAX_LOG_LINES);
  return { events: events.slice(0, MAX_LOG_LINES), via: 'filter', truncated: events.length >= MAX_LOG_LINES };
}
