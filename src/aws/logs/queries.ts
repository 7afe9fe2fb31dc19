/**
 * The CloudWatch Logs inputs stream-doctor sends to read a function's platform lines. Both return raw
 * lines that `parseLogEvents` reads, so the Insights path and the FilterLogEvents fallback share one parser.
 */

/** Insights' `limit` command accepts at most 10,000 rows (aws.md §4.4). */
const INSIGHTS_MAX_LIMIT = 10_000;

/**
 * The platform lines the parser reads, as one Insights regex alternation (aws.md §4.2, §4.3):
 * text REPORT and INIT_REPORT (anchored: they start the message), the legacy "Task timed out after" line,
 * "Runtime exited" lines, and the three JSON platform events by their exact `"type":"…"` member (Lambda
 * writes compact JSON, and an application line quoting the text has its quotes escaped, so it cannot match).
 * START/END/platform.start are left out on purpose: they carry nothing the statistics use and would
 * triple the rows under the limit. No groups, lookarounds or flags, to stay within what Insights and the
 * test fake both accept; `/` never occurs, so nothing needs escaping for the literal.
 */
const PLATFORM_LINE_ALTERNATIVES = [
  '^REPORT RequestId: ',
  '^INIT_REPORT ',
  'Task timed out after ',
  'Runtime exited ',
  '"type":"platform\\.report"',
  '"type":"platform\\.initReport"',
  '"type":"platform\\.runtimeDone"',
];

/** Logs Insights query returning the raw platform lines (parsed client side by parseLogEvents, one parser for both paths). */
export function insightsQuery(limit: number): string {
  return [
    'fields @timestamp, @message, @logStream',
    `| filter @message like /${PLATFORM_LINE_ALTERNATIVES.join('|')}/`,
    // Newest first, so a window with more lines than the limit keeps the most recent ones.
    '| sort @timestamp desc',
    `| limit ${insightsLimit(limit)}`,
  ].join('\n');
}

/** A whole number in 1..10,000: Insights rejects anything else with MalformedQueryException. */
function insightsLimit(limit: number): number {
  if (!Number.isFinite(limit)) return INSIGHTS_MAX_LIMIT;
  return Math.min(INSIGHTS_MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

/** Text terms: each platform line the parser reads contains one of them (aws.md §4.4 filter-pattern syntax). */
const TEXT_TERMS = ['REPORT RequestId', 'Task timed out', 'INIT_REPORT', 'Runtime exited'];
const JSON_PLATFORM_TYPES = ['platform.report', 'platform.initReport', 'platform.runtimeDone'];

/**
 * FilterLogEvents pattern matching the same lines (fallback when Insights is denied).
 *
 * - `Text`: any of the text terms (`?"a" ?"b"` = at least one occurs).
 * - `JSON`: a JSON pattern on `$.type`. A JSON-format function writes its platform events only as JSON
 *   objects (aws.md §4.3 lists no text platform line for it), so nothing the parser reads is lost, and
 *   application JSON lines that merely mention a type name are not returned.
 * - unknown (LoggingConfig not readable or a value we do not know): one term pattern that matches both
 *   formats, the text terms plus the JSON type names as terms. A filter pattern cannot mix a JSON pattern
 *   with terms, but a quoted term matches the raw text of any event, JSON ones included. It is slightly
 *   wider than the JSON pattern (an application line quoting "platform.report" also matches); the parser
 *   ignores such lines, so that only costs bytes.
 */
export function filterPattern(format: 'Text' | 'JSON' | undefined): string {
  if (format === 'JSON') return `{ ${JSON_PLATFORM_TYPES.map((type) => `$.type = "${type}"`).join(' || ')} }`;
  const terms = format === 'Text' ? TEXT_TERMS : [...TEXT_TERMS, ...JSON_PLATFORM_TYPES];
  return terms.map((term) => `?"${term}"`).join(' ');
}

/**
 * `LoggingConfig.LogGroup` when set, otherwise `/aws/lambda/<function name>` (aws.md §4.1). A function ARN
 * (full or partial, with or without qualifier) is reduced to its name: the log group never contains the
 * account, region or version.
 */
export function defaultLogGroup(functionName: string, loggingConfigLogGroup?: string): string {
  const configured = loggingConfigLogGroup?.trim();
  if (configured) return configured;
  return `/aws/lambda/${bareFunctionName(functionName.trim())}`;
}

function bareFunctionName(nameOrArn: string): string {
  const fromArn = /(?:^|:)function:([^:]+)/.exec(nameOrArn);
  return fromArn ? fromArn[1] : nameOrArn;
}
