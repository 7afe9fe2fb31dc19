/*
 * fake-aws: a local stand-in for the AWS Lambda control plane, CloudWatch Logs and the presigned S3 URL of
 * a function's code, speaking the wire protocols the AWS SDK v3 clients use. Tests, `scripts/*.mjs`
 * benchmarks and examples point the SDK (or a child-process CLI) at it with the standard endpoint
 * variables in `fake.env`; nothing in the client needs to know it is not AWS.
 *
 *   const fake = await startFakeAws(scenario, { rateLimits: true });
 *   spawn('node', ['bin/stream-doctor.js', 'aws', '--function', 'chat'], { env: { ...process.env, ...fake.env } });
 *   await fake.close();
 *
 * Wire formats (read from @aws-sdk/client-lambda 3.1164 and client-cloudwatch-logs 3.1169):
 * - Lambda, restJson1: `GET /2015-03-31/functions[/{FunctionName}[/configuration|/policy|/aliases]]`,
 *   `/2019-09-30/functions/{FunctionName}/concurrency`, `/2021-10-31/functions/{FunctionName}/url[s]`,
 *   `/2016-08-19/account-settings`; query `Qualifier`, `Marker`, `MaxItems`, `FunctionVersion`. Errors carry
 *   the `x-amzn-errortype` header plus a JSON body (`{Type, Message}`; throttling `{Reason, Type, message}`
 *   with `Retry-After`). AccessDeniedException is not in Lambda's model: the SDK raises its base
 *   LambdaServiceException with `name` = 'AccessDeniedException'.
 * - CloudWatch Logs, awsJson1_1: `POST /`, `X-Amz-Target: Logs_20140328.<Op>`, errors `{__type, message}`
 *   with status 400.
 * - Code: `GET /awslambda-<region>-tasks/snapshots/<account>/<name>-<uuid>?versionId=…&X-Amz-…` (a presigned
 *   S3 URL, 10 min) returns the zip; bad signature or expired => 403 with S3's XML error body.
 *
 * Emulated: ListFunctions, GetFunction, GetFunctionConfiguration, GetFunctionConcurrency,
 * ListFunctionUrlConfigs, GetFunctionUrlConfig, GetAccountSettings, GetPolicy, ListAliases; FilterLogEvents,
 * StartQuery, GetQueryResults, StopQuery, DescribeLogGroups; the code download. Rate limits (token buckets,
 * burst = 1 s of tokens), per-request latency, account-wide and per-function AccessDenied.
 * Not emulated: SigV4 verification (any credentials pass), writes of any kind, versions other than
 * `$LATEST` (a numeric qualifier resolves only if an alias points at it; its configuration is $LATEST's),
 * per-alias resource policies (GetPolicy returns the function's policy for any qualifier), Tags,
 * GetQueryResults pagination, partially filled or empty FilterLogEvents pages, cross-account log groups.
 *
 * Scenario notes (typedef `Scenario` below): `configuration` is partial, the rest is filled in like a real
 * function (ARN, Role, CodeSize/CodeSha256 of the actual zip, LastModified, RevisionId, State 'Active', …);
 * a Zip function without `code` gets a one-file default handler; `aliases` point at version '1' unless given
 * as `{ Name, FunctionVersion }`; a function's log group (LoggingConfig.LogGroup, else /aws/lambda/NAME)
 * exists only if it has `logs` (`logs: []` = an empty group); `logGroups: { name: [events] }` adds other
 * groups; `deny` on a function also covers FilterLogEvents/StartQuery on its log group; `callerArn`
 * (default arn:aws:iam::ACCOUNT:user/ci) appears in AccessDenied messages; `account` takes AccountLimit
 * fields flat (or `{ AccountLimit, AccountUsage }`), UnreservedConcurrentExecutions defaults to
 * ConcurrentExecutions minus the reserved sum. ListFunctions returns functions in scenario order.
 *
 * FilterLogEvents filterPattern subset: terms (`"quoted text"` or bare words) that must all occur,
 * `?"a" ?"b"` alternatives (at least one must occur), `-"term"` exclusions, `%regex%`, and JSON patterns
 * `{ $.a.b = "x" && $.c >= 5 || … }` with `= != > < >= <=` on strings (`*` wildcard), numbers, true/false/null.
 * Space-delimited `[…]` patterns are rejected with InvalidParameterException.
 *
 * Logs Insights subset (anything else => MalformedQueryException naming the part):
 *   commands separated by `|`; `#` comment lines ignored
 *   fields F, F, …            plain field names only (no `as`, no functions)
 *   filter COND               COND: `F like /REGEX/flags`, `F like "text"`, `F not like …`, `F =~ /REGEX/`,
 *                             `F = "str"`, `F != "str"`, `F >= 123` (also `<`, `>`, `<=`), combined with
 *                             `and`, `or`, `not` and parentheses
 *   sort @timestamp asc|desc  (`sort @timestamp` alone: desc; no sort command: ascending by timestamp)
 *   limit N                   (and StartQuery's `limit`; the smaller wins; default 10,000)
 * Fields: @timestamp, @message, @logStream, @log, @ptr; @type (`REPORT`, `START`, `END`, `INIT_START`,
 * `INIT_REPORT`, `XRAY` for those text lines), @requestId, @duration, @billedDuration, @initDuration (from
 * text REPORT lines); other names are looked up as dotted paths in JSON messages (`type`, `record.status`).
 * Results rows: `{field, value}` strings, `@timestamp` as `YYYY-MM-DD HH:mm:ss.SSS` (UTC), `@ptr` last; a
 * field without a value is left out of its row, as Insights does. StartQuery times are epoch SECONDS and
 * events outside [startTime*1000, endTime*1000] are excluded. The first `options.queryPolls` (default 1)
 * GetQueryResults calls answer `Running` with no rows, then `Complete`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams } from 'node:url';
import yazl from 'yazl';

/**
 * @typedef {{ timestamp: number, message: string, logStream?: string, ingestionTime?: number }} LogEventSpec
 * @typedef {{ qualifier?: string, AuthType?: string, InvokeMode?: string, Cors?: Record<string, unknown> }} UrlSpec
 *   AuthType 'NONE' (default) | 'AWS_IAM'; InvokeMode 'BUFFERED' | 'RESPONSE_STREAM' | absent (then absent in responses)
 * @typedef {string | { Name: string, FunctionVersion?: string, Description?: string, RoutingConfig?: unknown }} AliasSpec
 * @typedef {{
 *   configuration: Record<string, any> & { FunctionName: string },
 *   reservedConcurrency?: number,
 *   aliases?: AliasSpec[],
 *   urls?: UrlSpec[],
 *   policy?: Record<string, unknown>,
 *   code?: { files: Record<string, string> } | { zipBase64: string },
 *   imageUri?: string,
 *   logs?: LogEventSpec[],
 *   deny?: string[],
 * }} FunctionSpec
 * @typedef {{
 *   region?: string,
 *   accountId?: string,
 *   callerArn?: string,
 *   account?: Record<string, any>,
 *   deny?: string[],
 *   functions?: FunctionSpec[],
 *   logGroups?: Record<string, LogEventSpec[]>,
 * }} Scenario
 * @typedef {{ shared?: number, getFunction?: number, getPolicy?: number,
 *             filterLogEvents?: number, startQuery?: number, getQueryResults?: number }} RateLimits
 * @typedef {{ rateLimits?: boolean | RateLimits, latencyMs?: number, queryPolls?: number }} FakeAwsOptions
 * @typedef {{ requests: number, successes: number, throttles: number, errors: number }} OpStats
 * @typedef {{ requests: number, successes: number, throttles: number, first?: number, last?: number }} BucketStats
 * @typedef {{
 *   ops: Record<string, OpStats>, buckets: Record<string, BucketStats>,
 *   requests: Array<{ op: string, path: string, query: Record<string, string> }>,
 *   rate(bucket: string): number, reset(): void,
 * }} FakeAwsStats
 * @typedef {{ url: string, env: Record<string, string>, stats: FakeAwsStats,
 *             close(): Promise<void>, setScenario(s: Scenario): Promise<void> }} FakeAws
 */

/** AWS's documented per-account limits (requests per second), aws.md §7. */
export const DEFAULT_RATE_LIMITS = Object.freeze({
  getFunction: 100, getPolicy: 15, shared: 15, filterLogEvents: 5, startQuery: 5, getQueryResults: 10,
});

/** Which bucket an operation counts against; operations not listed are never throttled. */
const BUCKET_OF = {
  GetFunction: 'getFunction', GetPolicy: 'getPolicy',
  ListFunctions: 'shared', GetFunctionConfiguration: 'shared', GetFunctionConcurrency: 'shared',
  ListFunctionUrlConfigs: 'shared', GetFunctionUrlConfig: 'shared', GetAccountSettings: 'shared', ListAliases: 'shared',
  FilterLogEvents: 'filterLogEvents', StartQuery: 'startQuery', GetQueryResults: 'getQueryResults',
};

/** @type {Array<[RegExp, string]>} */
const LAMBDA_ROUTES = [
  [/^\/2015-03-31\/functions\/?$/, 'ListFunctions'],
  [/^\/2015-03-31\/functions\/([^/]+)\/?$/, 'GetFunction'],
  [/^\/2015-03-31\/functions\/([^/]+)\/configuration\/?$/, 'GetFunctionConfiguration'],
  [/^\/2015-03-31\/functions\/([^/]+)\/policy\/?$/, 'GetPolicy'],
  [/^\/2015-03-31\/functions\/([^/]+)\/aliases\/?$/, 'ListAliases'],
  [/^\/2019-09-30\/functions\/([^/]+)\/concurrency\/?$/, 'GetFunctionConcurrency'],
  [/^\/2021-10-31\/functions\/([^/]+)\/urls\/?$/, 'ListFunctionUrlConfigs'],
  [/^\/2021-10-31\/functions\/([^/]+)\/url\/?$/, 'GetFunctionUrlConfig'],
  [/^\/2016-08-19\/account-settings\/?$/, 'GetAccountSettings'],
];

const LOGS_TARGET = 'Logs_20140328.';
/** Fixed "deployment" time so that configurations (and CodeSha256) are deterministic. */
const DEPLOYED_AT = Date.UTC(2026, 10, 20, 9, 30, 0);
const ZIP_MTIME = new Date(DEPLOYED_AT);
const DEFAULT_HANDLER = 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n';

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code  error type (x-amzn-errortype / __type)
   * @param {Record<string, unknown>} body  JSON body (Lambda) or extra members (Logs)
   * @param {Record<string, string>} [headers]
   */
  constructor(status, code, body, headers = {}) {
    super(code);
    this.status = status;
    this.code = code;
    this.body = body;
    this.headers = headers;
  }
}

// ---------------------------------------------------------------------------------------------- helpers

const sha256 = (/** @type {string | Buffer} */ data) => crypto.createHash('sha256').update(data).digest();
const hex = (/** @type {string} */ s) => sha256(s).toString('hex');
/** A deterministic UUID-shaped id. */
const uuidOf = (/** @type {string} */ s) => hex(s).slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
/** Lambda's LastModified: `2026-11-20T09:30:00.000+0000`. */
const lambdaDate = (/** @type {number} */ ms) => new Date(ms).toISOString().replace('Z', '+0000');
/** Function URL timestamps: `2026-11-20T09:30:00.000000Z`. */
const microsDate = (/** @type {number} */ ms) => new Date(ms).toISOString().replace('Z', '000Z');
/** Logs Insights: `2026-11-24 10:00:00.000` (UTC). */
const insightsDate = (/** @type {number} */ ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
const encodeToken = (/** @type {string} */ kind, /** @type {unknown} */ value) =>
  Buffer.from(JSON.stringify([kind, value])).toString('base64url');
/** @returns {any} */
function decodeToken(/** @type {string} */ kind, /** @type {string} */ token, /** @type {() => ApiError} */ invalid) {
  try {
    const [k, value] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (k === kind) return value;
  } catch {
    // fall through
  }
  throw invalid();
}

/** Zip bytes for a function's `code` (files or base64), built once per distinct content. */
async function zipOf(/** @type {FunctionSpec['code']} */ code, /** @type {Map<string, Promise<Buffer>>} */ cache) {
  if (code && 'zipBase64' in code) return Buffer.from(code.zipBase64, 'base64');
  const files = code && 'files' in code ? code.files : { 'index.mjs': DEFAULT_HANDLER };
  const key = JSON.stringify(files);
  let zip = cache.get(key);
  if (!zip) {
    zip = new Promise((resolve, reject) => {
      const zf = new yazl.ZipFile();
      for (const [name, content] of Object.entries(files)) zf.addBuffer(Buffer.from(content), name, { mtime: ZIP_MTIME });
      zf.end();
      /** @type {Buffer[]} */
      const chunks = [];
      zf.outputStream.on('data', (c) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
    });
    cache.set(key, zip);
  }
  return zip;
}

// ---------------------------------------------------------------------------------------------- state

/**
 * The scenario turned into lookup tables: functions by name (O(1)), code by S3 key, log groups by name.
 * @param {Scenario} scenario
 * @param {Map<string, Promise<Buffer>>} zipCache
 */
async function buildState(scenario, zipCache) {
  const region = scenario.region ?? 'us-east-1';
  const accountId = scenario.accountId ?? '123456789012';
  const callerArn = scenario.callerArn ?? `arn:aws:iam::${accountId}:user/ci`;
  /** @type {Map<string, any>} */
  const functions = new Map();
  /** @type {Map<string, any>} */
  const codeByKey = new Map();
  /** @type {Map<string, { name: string, events: any[], deny: Set<string>, createdAt: number }>} */
  const logGroups = new Map();

  const addLogGroup = (/** @type {string} */ name, /** @type {LogEventSpec[]} */ events, /** @type {string[]} */ deny, /** @type {string} */ fallbackStream) => {
    let group = logGroups.get(name);
    if (!group) logGroups.set(name, (group = { name, events: [], deny: new Set(), createdAt: DEPLOYED_AT }));
    for (const op of deny) group.deny.add(op);
    for (const e of events) {
      group.events.push({ logStreamName: e.logStream ?? fallbackStream, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime ?? e.timestamp + 250 });
    }
  };

  const specs = scenario.functions ?? [];
  const built = await Promise.all(specs.map(async (spec) => {
    const c = spec.configuration ?? {};
    const name = c.FunctionName;
    if (!name) throw new Error('fake-aws: every function needs configuration.FunctionName');
    const arn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
    const image = c.PackageType === 'Image' || spec.imageUri !== undefined;
    const zip = image ? undefined : await zipOf(spec.code, zipCache);
    const imageDigest = image ? hex(`image:${spec.imageUri}`) : undefined;
    /** @type {Record<string, any>} */
    const defaults = {
      FunctionName: name,
      FunctionArn: arn,
      ...(image ? {} : { Runtime: 'nodejs20.x' }),
      Role: `arn:aws:iam::${accountId}:role/service-role/${name}-role`,
      ...(image ? {} : { Handler: 'index.handler' }),
      CodeSize: zip ? zip.length : 0,
      Description: '',
      Timeout: 3,
      MemorySize: 128,
      LastModified: lambdaDate(DEPLOYED_AT),
      CodeSha256: zip ? sha256(zip).toString('base64') : imageDigest,
      Version: '$LATEST',
      TracingConfig: { Mode: 'PassThrough' },
      RevisionId: uuidOf(`revision:${name}`),
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: image ? 'Image' : 'Zip',
      Architectures: ['x86_64'],
      EphemeralStorage: { Size: 512 },
      SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
      ...(image ? {} : { RuntimeVersionConfig: { RuntimeVersionArn: `arn:aws:lambda:${region}::runtime:${hex(`runtime:${c.Runtime ?? 'nodejs20.x'}`)}` } }),
    };
    /** @type {Record<string, any>} */
    const configuration = {
      ...defaults,
      ...c,
      FunctionArn: arn,
      LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}`, ...c.LoggingConfig },
      ...(c.Layers ? { Layers: c.Layers.map((/** @type {any} */ l) => ({ CodeSize: 1_048_576, ...l })) } : {}),
    };
    // ListFunctions leaves these out (SDK doc).
    const { State: _s, StateReason: _sr, StateReasonCode: _src, LastUpdateStatus: _l, LastUpdateStatusReason: _lr,
      LastUpdateStatusReasonCode: _lrc, RuntimeVersionConfig: _rv, ...listed } = configuration;

    const aliases = new Map((spec.aliases ?? []).map((a) => {
      const alias = typeof a === 'string' ? { Name: a } : a;
      return [alias.Name, {
        AliasArn: `${arn}:${alias.Name}`, Name: alias.Name, FunctionVersion: alias.FunctionVersion ?? '1',
        Description: alias.Description ?? '', ...(alias.RoutingConfig ? { RoutingConfig: alias.RoutingConfig } : {}),
        RevisionId: uuidOf(`alias:${name}:${alias.Name}`),
      }];
    }));
    const urls = (spec.urls ?? []).map((u) => {
      const qualifier = u.qualifier === '$LATEST' ? undefined : u.qualifier;
      return {
        qualifier,
        config: {
          FunctionUrl: `https://${hex(`url:${name}:${qualifier ?? ''}`).slice(0, 32)}.lambda-url.${region}.on.aws/`,
          FunctionArn: qualifier ? `${arn}:${qualifier}` : arn,
          AuthType: u.AuthType ?? 'NONE',
          ...(u.Cors ? { Cors: u.Cors } : {}),
          CreationTime: microsDate(DEPLOYED_AT),
          LastModifiedTime: microsDate(DEPLOYED_AT),
          ...(u.InvokeMode ? { InvokeMode: u.InvokeMode } : {}),
        },
      };
    });
    const codeKey = `${name}-${uuidOf(`code:${name}:${configuration.CodeSha256}`)}`;
    const fn = {
      name, arn, spec, configuration, listed, aliases, urls, zip, codeKey,
      image: image ? { uri: spec.imageUri ?? c.ImageUri ?? '', digest: imageDigest } : undefined,
      policy: spec.policy ? JSON.stringify(spec.policy) : undefined,
      deny: new Set(spec.deny ?? []),
    };
    if (spec.logs) {
      const stream = `${new Date(DEPLOYED_AT).toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${hex(`stream:${name}`).slice(0, 32)}`;
      addLogGroup(configuration.LoggingConfig.LogGroup, spec.logs, spec.deny ?? [], stream);
    }
    return fn;
  }));
  for (const fn of built) {
    if (functions.has(fn.name)) throw new Error(`fake-aws: duplicate function ${fn.name}`);
    functions.set(fn.name, fn);
    if (fn.zip) codeByKey.set(fn.codeKey, fn);
  }
  for (const [name, events] of Object.entries(scenario.logGroups ?? {})) addLogGroup(name, events, [], `2026/11/24/[$LATEST]${hex(name).slice(0, 32)}`);
  for (const group of logGroups.values()) {
    group.events.sort((a, b) => a.timestamp - b.timestamp);
    group.events.forEach((e, i) => {
      e.eventId = BigInt(`0x${hex(`${group.name}:${i}`).slice(0, 44)}`).toString().padStart(56, '3').slice(-56);
    });
  }

  const reserved = built.reduce((sum, fn) => sum + (fn.spec.reservedConcurrency ?? 0), 0);
  const { AccountLimit, AccountUsage, ...flat } = scenario.account ?? {};
  const limit = { ...flat, ...AccountLimit };
  const concurrent = limit.ConcurrentExecutions ?? 1000;
  const accountSettings = {
    AccountLimit: {
      TotalCodeSize: 80_530_636_800, CodeSizeUnzipped: 262_144_000, CodeSizeZipped: 52_428_800,
      ConcurrentExecutions: concurrent, UnreservedConcurrentExecutions: concurrent - reserved, ...limit,
    },
    AccountUsage: {
      TotalCodeSize: built.reduce((sum, fn) => sum + (fn.configuration.CodeSize ?? 0), 0), FunctionCount: built.length,
      ...AccountUsage,
    },
  };
  return { region, accountId, callerArn, functions, order: built, codeByKey, logGroups, accountDeny: new Set(scenario.deny ?? []), accountSettings };
}

// ---------------------------------------------------------------------------------------------- rate limits

class TokenBucket {
  /** @param {number} rate requests per second; burst = 1 s of tokens */
  constructor(rate) {
    this.rate = rate;
    this.tokens = rate;
    this.at = performance.now();
  }

  /** @returns {number} 0 when admitted, else the seconds until a token is available */
  take() {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.rate;
  }
}

// ---------------------------------------------------------------------------------------------- filters

/** FilterLogEvents `filterPattern` (subset, see the header) => predicate on the message. */
function compileFilterPattern(/** @type {string | undefined} */ pattern) {
  const p = (pattern ?? '').trim();
  if (!p) return () => true;
  const invalid = (/** @type {string} */ why) => new ApiError(400, 'InvalidParameterException', { message: `Invalid filter pattern: ${why}` });
  if (p.startsWith('[')) throw invalid('space-delimited patterns are not emulated by fake-aws');
  if (p.startsWith('{')) {
    if (!p.endsWith('}')) throw invalid('unterminated JSON pattern');
    const body = p.slice(1, -1).trim();
    if (/[()]/.test(body)) throw invalid('parentheses in JSON patterns are not emulated by fake-aws');
    const ors = body.split('||').map((alt) => alt.split('&&').map((clause) => {
      const m = /^\s*\$\.([\w.$[\]]+)\s*(=|!=|>=|<=|>|<)\s*(.+?)\s*$/.exec(clause);
      if (!m) throw invalid(`cannot read "${clause.trim()}"`);
      const [, path, op, raw] = m;
      /** @type {unknown} */
      let value = raw;
      if (/^".*"$/.test(raw)) value = raw.slice(1, -1);
      else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
      else if (raw === 'true' || raw === 'false') value = raw === 'true';
      else if (raw === 'null') value = null;
      return (/** @type {any} */ doc) => {
        const actual = path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), doc);
        if (typeof value === 'number') {
          const n = typeof actual === 'number' ? actual : NaN;
          return op === '=' ? n === value : op === '!=' ? n !== value : op === '>' ? n > value : op === '<' ? n < value : op === '>=' ? n >= value : n <= value;
        }
        if (op !== '=' && op !== '!=') return false;
        let eq;
        if (typeof value === 'string' && value.includes('*')) {
          eq = typeof actual === 'string' && new RegExp(`^${value.split('*').map(escapeRegex).join('.*')}$`).test(actual);
        } else eq = actual === value;
        return op === '=' ? eq : !eq;
      };
    }));
    return (/** @type {string} */ message) => {
      let doc;
      try {
        doc = JSON.parse(message);
      } catch {
        return false;
      }
      return ors.some((ands) => ands.every((test) => test(doc)));
    };
  }
  if (p.startsWith('%')) {
    if (!p.endsWith('%') || p.length < 3) throw invalid('unterminated %regex%');
    const re = new RegExp(p.slice(1, -1));
    return (/** @type {string} */ message) => re.test(message);
  }
  /** @type {string[]} */ const all = [];
  /** @type {string[]} */ const any = [];
  /** @type {string[]} */ const none = [];
  for (const m of p.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    (m[1] === '?' ? any : m[1] === '-' ? none : all).push(term);
  }
  return (/** @type {string} */ message) =>
    all.every((t) => message.includes(t)) && !none.some((t) => message.includes(t)) && (any.length === 0 || any.some((t) => message.includes(t)));
}

const escapeRegex = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Insights field value of one event (undefined = the field does not exist for it). */
function fieldOf(/** @type {any} */ e, /** @type {string} */ name, /** @type {string} */ group, /** @type {string} */ accountId) {
  const msg = /** @type {string} */ (e.message);
  switch (name) {
    case '@timestamp': return e.timestamp;
    case '@message': return msg;
    case '@logStream': return e.logStreamName;
    case '@log': return `${accountId}:${group}`;
    case '@ingestionTime': return e.ingestionTime;
    case '@type': return /^(START|END|REPORT|INIT_START|INIT_REPORT|XRAY) /.exec(msg)?.[1];
    case '@requestId':
      return /^(?:START|END|REPORT) RequestId: ([0-9a-f-]{36})/.exec(msg)?.[1] ?? /^\S+\t([0-9a-f-]{36})\t/.exec(msg)?.[1];
    case '@duration': return reportNumber(msg, 'Duration');
    case '@billedDuration': return reportNumber(msg, 'Billed Duration');
    case '@initDuration': return reportNumber(msg, 'Init Duration');
    default: {
      if (name.startsWith('@')) return undefined;
      if (e.json === undefined) {
        try {
          e.json = msg.trimStart().startsWith('{') ? JSON.parse(msg) : null;
        } catch {
          e.json = null;
        }
      }
      const v = name.split('.').reduce((o, k) => (o == null ? undefined : o[k]), e.json);
      return v === null || typeof v === 'object' ? undefined : v;
    }
  }
}

function reportNumber(/** @type {string} */ msg, /** @type {string} */ key) {
  if (!msg.startsWith('REPORT ')) return undefined;
  const m = new RegExp(`(?:^|\\t)${key}: ([\\d.]+) ms`).exec(msg);
  return m ? Number(m[1]) : undefined;
}

/** Splits on `|` outside quotes and /regex/ literals. */
function splitPipes(/** @type {string} */ query) {
  /** @type {string[]} */ const parts = [];
  let cur = '';
  /** @type {string | null} */ let quote = null;
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (quote) {
      cur += ch;
      if (ch === '\\' && i + 1 < query.length) cur += query[++i];
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'" || ch === '/' || ch === '`') {
      quote = ch;
      cur += ch;
    } else if (ch === '|') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((s) => s.trim()).filter(Boolean);
}

/**
 * Compiles the Insights subset (see the header) into { fields, test, order, limit }.
 * @param {string} queryString
 */
function compileQuery(queryString) {
  const malformed = (/** @type {string} */ why) => new ApiError(400, 'MalformedQueryException', { message: `fake-aws emulates only part of Logs Insights: ${why}` });
  const text = queryString.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
  /** @type {string[] | undefined} */ let fields;
  /** @type {Array<(e: any) => boolean>} */ const tests = [];
  let order = 'asc';
  let limit = Infinity;
  for (const part of splitPipes(text)) {
    const m = /^(\w+)\s+([\s\S]*)$/.exec(part);
    const command = m?.[1].toLowerCase();
    const rest = m?.[2].trim() ?? '';
    if (command === 'fields') {
      const names = rest.split(',').map((f) => f.trim());
      if (names.some((f) => !/^@?[\w.]+$/.test(f))) throw malformed(`only plain field names are supported in "fields ${rest}"`);
      fields = [...(fields ?? []), ...names];
    } else if (command === 'filter') {
      tests.push(compileCondition(rest, malformed));
    } else if (command === 'sort') {
      const s = /^@timestamp(?:\s+(asc|desc))?$/i.exec(rest);
      if (!s) throw malformed(`only "sort @timestamp asc|desc" is supported, not "sort ${rest}"`);
      order = (s[1] ?? 'desc').toLowerCase();
    } else if (command === 'limit') {
      if (!/^\d+$/.test(rest)) throw malformed(`bad limit "${rest}"`);
      limit = Math.min(limit, Number(rest));
    } else {
      throw malformed(`unsupported command "${part.split(/\s/)[0]}"`);
    }
  }
  return { fields: fields ?? ['@timestamp', '@message', '@logStream'], test: (/** @type {any} */ e) => tests.every((t) => t(e)), order, limit };
}

/** `filter` expression: comparisons joined by and/or/not with parentheses. */
function compileCondition(/** @type {string} */ src, /** @type {(why: string) => ApiError} */ malformed) {
  const tokenRe = /\s*(\/(?:\\.|[^\\/])*\/[a-z]*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\(|\)|!=|=~|<=|>=|=|<|>|-?\d+(?:\.\d+)?\b|[@\w.]+)/y;
  /** @type {string[]} */ const tokens = [];
  let pos = 0;
  while (pos < src.length) {
    tokenRe.lastIndex = pos;
    const m = tokenRe.exec(src);
    if (!m) {
      if (!src.slice(pos).trim()) break;
      throw malformed(`cannot read filter "${src}" at "${src.slice(pos).trim()}"`);
    }
    tokens.push(m[1]);
    pos = tokenRe.lastIndex;
  }
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const literal = (/** @type {string} */ t) => {
    if (t === undefined) throw malformed(`incomplete filter "${src}"`);
    if (/^["']/.test(t)) return { kind: 'string', value: t.slice(1, -1).replace(/\\(.)/g, '$1') };
    if (t.startsWith('/')) {
      const end = t.lastIndexOf('/');
      return { kind: 'regex', value: new RegExp(t.slice(1, end), t.slice(end + 1)) };
    }
    if (/^-?\d/.test(t)) return { kind: 'number', value: Number(t) };
    throw malformed(`expected a value, got "${t}" in "${src}"`);
  };
  /** @returns {(e: any) => boolean} */
  const comparison = () => {
    const field = tokens[i++];
    if (!field || !/^@?[\w.]+$/.test(field)) throw malformed(`expected a field in "${src}"`);
    let negate = false;
    let op = peek();
    if (op === 'not' && tokens[i + 1]?.toLowerCase() === 'like') {
      negate = true;
      i++;
      op = 'like';
    }
    i++;
    const v = literal(tokens[i++]);
    /** @type {(actual: any) => boolean} */
    let test;
    if (op === 'like' || op === '=~') {
      test = v.kind === 'regex' ? (a) => a !== undefined && /** @type {RegExp} */ (v.value).test(String(a)) : (a) => a !== undefined && String(a).includes(String(v.value));
    } else if (['=', '!=', '<', '>', '<=', '>='].includes(op)) {
      if (v.kind === 'regex') throw malformed(`a regex needs "like" in "${src}"`);
      test = (a) => {
        if (a === undefined) return false;
        const [x, y] = v.kind === 'number' ? [Number(a), v.value] : [String(a), v.value];
        return op === '=' ? x === y : op === '!=' ? x !== y : op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
      };
    } else throw malformed(`unsupported operator "${op}" in "${src}"`);
    return (e) => test(e.value(field)) !== negate;
  };
  /** @returns {(e: any) => boolean} */
  const unary = () => {
    if (peek() === 'not') {
      i++;
      const inner = unary();
      return (e) => !inner(e);
    }
    if (peek() === '(') {
      i++;
      const inner = or();
      if (tokens[i++] !== ')') throw malformed(`missing ")" in "${src}"`);
      return inner;
    }
    return comparison();
  };
  const and = () => {
    const parts = [unary()];
    while (peek() === 'and') {
      i++;
      parts.push(unary());
    }
    return (/** @type {any} */ e) => parts.every((p) => p(e));
  };
  const or = () => {
    const parts = [and()];
    while (peek() === 'or') {
      i++;
      parts.push(and());
    }
    return (/** @type {any} */ e) => parts.some((p) => p(e));
  };
  const expr = or();
  if (i < tokens.length) throw malformed(`unexpected "${tokens[i]}" in "${src}"`);
  return expr;
}

// ---------------------------------------------------------------------------------------------- server

/**
 * Starts the fake on 127.0.0.1 (random port).
 * @param {Scenario} scenario
 * @param {FakeAwsOptions} [options]
 * @returns {Promise<FakeAws>}
 */
export async function startFakeAws(scenario, options = {}) {
  const zipCache = new Map();
  let state = await buildState(scenario, zipCache);
  const latencyMs = options.latencyMs ?? 0;
  const queryPolls = options.queryPolls ?? 1;
  const limits = options.rateLimits ? { ...DEFAULT_RATE_LIMITS, ...(options.rateLimits === true ? {} : options.rateLimits) } : null;
  /** @type {Map<string, TokenBucket>} */
  const buckets = new Map(limits ? Object.entries(limits).map(([k, rate]) => [k, new TokenBucket(rate)]) : []);
  /** @type {Map<string, any>} */
  const queries = new Map();
  const signingKey = crypto.randomBytes(32);
  let url = '';

  /** @type {FakeAwsStats} */
  const stats = {
    ops: {},
    buckets: {},
    requests: [],
    rate(bucket) {
      const b = stats.buckets[bucket];
      if (!b || b.first === undefined || b.last === undefined || b.successes === 0) return 0;
      return b.successes / Math.max((b.last - b.first) / 1000, 0.001);
    },
    reset() {
      stats.ops = {};
      stats.buckets = {};
      stats.requests = [];
    },
  };
  const opStats = (/** @type {string} */ op) => (stats.ops[op] ??= { requests: 0, successes: 0, throttles: 0, errors: 0 });
  const bucketStats = (/** @type {string} */ name) => (stats.buckets[name] ??= { requests: 0, successes: 0, throttles: 0 });

  // ---- Lambda

  const notFound = (/** @type {string} */ what) => new ApiError(404, 'ResourceNotFoundException', { Type: 'User', Message: what });
  const invalidValue = (/** @type {string} */ message) => new ApiError(400, 'InvalidParameterValueException', { Type: 'User', message });
  const lambdaDenied = (/** @type {string} */ op, /** @type {string} */ resource) => new ApiError(403, 'AccessDeniedException', {
    Message: `User: ${state.callerArn} is not authorized to perform: lambda:${op} on resource: ${resource} because no identity-based policy allows the lambda:${op} action`,
  });

  /**
   * Name / ARN / partial ARN / name:qualifier (+ ?Qualifier) => { fn, qualifier, arn }. Throws 404.
   * @param {string} op
   * @param {string} raw
   * @param {string | undefined} qualifierParam
   */
  function resolve(op, raw, qualifierParam) {
    const parts = raw.split(':');
    let name;
    let q;
    let region = state.region;
    let account = state.accountId;
    if (raw.startsWith('arn:')) {
      if (parts.length < 7 || parts[2] !== 'lambda' || parts[5] !== 'function') throw invalidValue(`1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint`);
      [region, account, , name, q] = parts.slice(3);
    } else if (/^\d{12}:function:/.test(raw)) {
      [account, , name, q] = parts;
    } else {
      [name, q] = parts;
    }
    if (q !== undefined && qualifierParam !== undefined && q !== qualifierParam) {
      throw invalidValue('The derived qualifier from the function name does not match the specified qualifier.');
    }
    const qualifier = q ?? qualifierParam;
    const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
    const qualifiedArn = qualifier ? `${arn}:${qualifier}` : arn;
    if (state.accountDeny.has(op)) throw lambdaDenied(op, qualifiedArn);
    const fn = region === state.region && account === state.accountId ? state.functions.get(name) : undefined;
    if (!fn) throw notFound(`Function not found: ${qualifiedArn}`);
    if (fn.deny.has(op)) throw lambdaDenied(op, qualifiedArn);
    let version = '$LATEST';
    if (qualifier && qualifier !== '$LATEST') {
      const alias = fn.aliases.get(qualifier);
      const known = alias || [...fn.aliases.values()].some((a) => a.FunctionVersion === qualifier);
      if (!known) throw notFound(`Function not found: ${qualifiedArn}`);
      version = alias ? alias.FunctionVersion : qualifier;
    }
    return { fn, qualifier, qualifiedArn, version };
  }

  const configFor = (/** @type {ReturnType<typeof resolve>} */ r) =>
    r.qualifier ? { ...r.fn.configuration, FunctionArn: r.qualifiedArn, Version: r.version } : r.fn.configuration;

  /** Marker/MaxItems pagination over a list. */
  function page(/** @type {string} */ kind, /** @type {any[]} */ items, /** @type {Record<string, string>} */ query, /** @type {number} */ cap) {
    const start = query.Marker ? decodeToken(kind, query.Marker, () => invalidValue('Invalid Marker')) : 0;
    const size = Math.min(query.MaxItems ? Number(query.MaxItems) : cap, cap);
    if (!(size >= 1)) throw invalidValue("1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
    const slice = items.slice(start, start + size);
    return { slice, next: start + size < items.length ? encodeToken(kind, start + size) : undefined };
  }

  /** Code.Location: a presigned-S3-looking URL that points back here. */
  function codeLocation(/** @type {any} */ fn) {
    const now = new Date();
    const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const params = new URLSearchParams({
      versionId: hex(`version:${fn.codeKey}`).slice(0, 32),
      'X-Amz-Security-Token': `FAKE${Buffer.from(`session:${fn.name}`).toString('base64')}`,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': amzDate,
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Expires': '600',
      'X-Amz-Credential': `ASIAFAKEFAKEFAKEFAKE/${amzDate.slice(0, 8)}/${state.region}/s3/aws4_request`,
    });
    const path = `/awslambda-${state.region}-tasks/snapshots/${state.accountId}/${fn.codeKey}`;
    params.set('X-Amz-Signature', crypto.createHmac('sha256', signingKey).update(`${path}?${params}`).digest('hex'));
    return `${url}${path}?${params}`;
  }

  /** @type {Record<string, (name: string | undefined, query: Record<string, string>) => unknown>} */
  const lambda = {
    ListFunctions(_name, query) {
      if (state.accountDeny.has('ListFunctions')) throw lambdaDenied('ListFunctions', '*');
      const { slice, next } = page('ListFunctions', state.order, query, 50);
      return { Functions: slice.map((fn) => fn.listed), ...(next ? { NextMarker: next } : {}) };
    },
    GetFunction(name, query) {
      const r = resolve('GetFunction', /** @type {string} */ (name), query.Qualifier);
      const fn = r.fn;
      const Code = fn.image
        ? { RepositoryType: 'ECR', ImageUri: fn.image.uri, ResolvedImageUri: `${fn.image.uri.replace(/[:@][^/]*$/, '')}@sha256:${fn.image.digest}` }
        : { RepositoryType: 'S3', Location: codeLocation(fn) };
      const reserved = fn.spec.reservedConcurrency;
      return { Configuration: configFor(r), Code, ...(reserved !== undefined ? { Concurrency: { ReservedConcurrentExecutions: reserved } } : {}) };
    },
    GetFunctionConfiguration(name, query) {
      return configFor(resolve('GetFunctionConfiguration', /** @type {string} */ (name), query.Qualifier));
    },
    GetFunctionConcurrency(name) {
      const reserved = resolve('GetFunctionConcurrency', /** @type {string} */ (name), undefined).fn.spec.reservedConcurrency;
      return reserved !== undefined ? { ReservedConcurrentExecutions: reserved } : {};
    },
    ListFunctionUrlConfigs(name, query) {
      const { fn } = resolve('ListFunctionUrlConfigs', /** @type {string} */ (name), undefined);
      const { slice, next } = page('ListFunctionUrlConfigs', fn.urls, query, 50);
      return { FunctionUrlConfigs: slice.map((/** @type {any} */ u) => u.config), ...(next ? { NextMarker: next } : {}) };
    },
    GetFunctionUrlConfig(name, query) {
      const r = resolve('GetFunctionUrlConfig', /** @type {string} */ (name), query.Qualifier);
      const q = r.qualifier === '$LATEST' ? undefined : r.qualifier;
      const found = r.fn.urls.find((/** @type {any} */ u) => u.qualifier === q);
      if (!found) throw notFound('The resource you requested does not exist.');
      const { FunctionUrl, FunctionArn, AuthType, Cors, CreationTime, LastModifiedTime, InvokeMode } = found.config;
      return { FunctionUrl, FunctionArn, AuthType, Cors, CreationTime, LastModifiedTime, InvokeMode };
    },
    GetAccountSettings() {
      if (state.accountDeny.has('GetAccountSettings')) throw lambdaDenied('GetAccountSettings', '*');
      return state.accountSettings;
    },
    GetPolicy(name, query) {
      const r = resolve('GetPolicy', /** @type {string} */ (name), query.Qualifier);
      if (!r.fn.policy) throw notFound('The resource you requested does not exist.');
      return { Policy: r.fn.policy, RevisionId: r.fn.configuration.RevisionId };
    },
    ListAliases(name, query) {
      const { fn } = resolve('ListAliases', /** @type {string} */ (name), undefined);
      let aliases = [...fn.aliases.values()];
      if (query.FunctionVersion) aliases = aliases.filter((a) => a.FunctionVersion === query.FunctionVersion);
      const { slice, next } = page('ListAliases', aliases, query, 10_000);
      return { Aliases: slice, ...(next ? { NextMarker: next } : {}) };
    },
  };

  // ---- CloudWatch Logs

  const logsError = (/** @type {string} */ code, /** @type {string} */ message) => new ApiError(400, code, { message });
  const groupArn = (/** @type {string} */ name) => `arn:aws:logs:${state.region}:${state.accountId}:log-group:${name}`;

  /** A log group by name or ARN, with the caller's permission for `op` checked. */
  function logGroup(/** @type {string} */ op, /** @type {string} */ nameOrArn) {
    const name = nameOrArn.startsWith('arn:') ? nameOrArn.split(':').slice(6).join(':').replace(/:\*$/, '') : nameOrArn;
    const denied = state.accountDeny.has(op) || state.logGroups.get(name)?.deny.has(op);
    if (denied) {
      throw logsError('AccessDeniedException', `User: ${state.callerArn} is not authorized to perform: logs:${op} on resource: ${groupArn(name)}:* because no identity-based policy allows the logs:${op} action`);
    }
    const group = state.logGroups.get(name);
    if (!group) throw logsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return group;
  }

  const accountOp = (/** @type {string} */ op) => {
    if (state.accountDeny.has(op)) {
      throw logsError('AccessDeniedException', `User: ${state.callerArn} is not authorized to perform: logs:${op} because no identity-based policy allows the logs:${op} action`);
    }
  };

  /** @type {Record<string, (input: any) => unknown>} */
  const logs = {
    FilterLogEvents(input) {
      if (!input.logGroupName === !input.logGroupIdentifier) {
        throw logsError('InvalidParameterException', 'Exactly one of logGroupName or logGroupIdentifier must be specified');
      }
      if (input.logStreamNames && input.logStreamNamePrefix) {
        throw logsError('InvalidParameterException', 'logStreamNames and logStreamNamePrefix are mutually exclusive');
      }
      const group = logGroup('FilterLogEvents', input.logGroupName ?? input.logGroupIdentifier);
      const matches = compileFilterPattern(input.filterPattern);
      const limit = input.limit ?? 10_000;
      if (!(limit >= 1 && limit <= 10_000)) throw logsError('InvalidParameterException', 'limit must be between 1 and 10000');
      const streams = input.logStreamNames ? new Set(input.logStreamNames) : null;
      const start = input.nextToken ? decodeToken('FilterLogEvents', input.nextToken, () => logsError('InvalidParameterException', 'The specified nextToken is invalid.')) : 0;
      /** @type {any[]} */ const events = [];
      /** @type {number | undefined} */ let next;
      for (let i = start; i < group.events.length; i++) {
        const e = group.events[i];
        if (input.startTime !== undefined && e.timestamp < input.startTime) continue;
        if (input.endTime !== undefined && e.timestamp > input.endTime) break;
        if (streams && !streams.has(e.logStreamName)) continue;
        if (input.logStreamNamePrefix && !e.logStreamName.startsWith(input.logStreamNamePrefix)) continue;
        if (!matches(e.message)) continue;
        if (events.length === limit) {
          next = i; // the token points at the next match, so the last page is never empty
          break;
        }
        events.push({ logStreamName: e.logStreamName, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId });
      }
      return { events, searchedLogStreams: [], ...(next !== undefined ? { nextToken: encodeToken('FilterLogEvents', next) } : {}) };
    },
    StartQuery(input) {
      const sources = [input.logGroupName, input.logGroupNames, input.logGroupIdentifiers].filter((s) => s !== undefined);
      if (sources.length !== 1) {
        throw logsError('InvalidParameterException', 'Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified');
      }
      const names = [sources[0]].flat();
      if (names.length === 0 || names.length > 50) throw logsError('InvalidParameterException', 'Between 1 and 50 log groups must be specified');
      if (typeof input.startTime !== 'number' || typeof input.endTime !== 'number' || input.endTime < input.startTime) {
        throw logsError('InvalidParameterException', 'endTime must be greater than or equal to startTime');
      }
      const groups = names.map((n) => logGroup('StartQuery', n));
      const q = compileQuery(String(input.queryString ?? ''));
      const running = [...queries.values()].filter((x) => x.status === 'Running').length;
      if (running >= 100) throw logsError('LimitExceededException', 'Account maximum query concurrency limit of [100] reached.');
      const from = input.startTime * 1000;
      const to = input.endTime * 1000;
      /** @type {any[]} */ const matched = [];
      let scanned = 0;
      let bytes = 0;
      for (const group of groups) {
        group.events.forEach((e, index) => {
          if (e.timestamp < from || e.timestamp > to) return;
          scanned++;
          bytes += Buffer.byteLength(e.message);
          const view = { ...e, value: (/** @type {string} */ f) => fieldOf(e, f, group.name, state.accountId) };
          if (q.test(view)) matched.push({ e, view, ptr: Buffer.from(`${state.accountId}:${group.name}\0${index}`).toString('base64') });
        });
      }
      matched.sort((a, b) => (q.order === 'desc' ? b.e.timestamp - a.e.timestamp : a.e.timestamp - b.e.timestamp));
      const limit = Math.min(q.limit, input.limit ?? 10_000);
      const results = matched.slice(0, limit).map(({ view, ptr }) => {
        const row = [];
        for (const f of q.fields) {
          const v = view.value(f);
          if (v !== undefined) row.push({ field: f, value: f === '@timestamp' ? insightsDate(/** @type {number} */ (v)) : String(v) });
        }
        row.push({ field: '@ptr', value: ptr });
        return row;
      });
      const queryId = crypto.randomUUID();
      queries.set(queryId, {
        status: 'Running', polls: 0, results,
        statistics: { recordsMatched: matched.length, recordsScanned: scanned, bytesScanned: bytes },
      });
      return { queryId };
    },
    GetQueryResults(input) {
      accountOp('GetQueryResults');
      const q = queries.get(input.queryId);
      if (!q) throw logsError('ResourceNotFoundException', 'Query does not exist.');
      if (q.status === 'Running' && q.polls++ >= queryPolls) q.status = 'Complete';
      const done = q.status === 'Complete';
      return {
        queryLanguage: 'CWLI',
        results: done ? q.results : [],
        statistics: done ? q.statistics : { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
        status: q.status,
      };
    },
    StopQuery(input) {
      accountOp('StopQuery');
      const q = queries.get(input.queryId);
      if (!q) throw logsError('ResourceNotFoundException', 'Query does not exist.');
      if (q.status !== 'Running') return { success: false };
      q.status = 'Cancelled';
      return { success: true };
    },
    DescribeLogGroups(input) {
      accountOp('DescribeLogGroups');
      if (input.logGroupNamePrefix && input.logGroupNamePattern) {
        throw logsError('InvalidParameterException', 'logGroupNamePrefix and logGroupNamePattern are mutually exclusive');
      }
      const pattern = input.logGroupNamePattern?.toLowerCase();
      const all = [...state.logGroups.values()]
        .filter((g) => (!input.logGroupNamePrefix || g.name.startsWith(input.logGroupNamePrefix)) && (!pattern || g.name.toLowerCase().includes(pattern)))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const start = input.nextToken ? decodeToken('DescribeLogGroups', input.nextToken, () => logsError('InvalidParameterException', 'The specified nextToken is invalid.')) : 0;
      const limit = Math.min(input.limit ?? 50, 50);
      const slice = all.slice(start, start + limit);
      return {
        logGroups: slice.map((g) => ({
          logGroupName: g.name, creationTime: g.createdAt, metricFilterCount: 0, arn: `${groupArn(g.name)}:*`,
          storedBytes: g.events.reduce((n, e) => n + Buffer.byteLength(e.message), 0), logGroupClass: 'STANDARD', logGroupArn: groupArn(g.name),
        })),
        ...(start + limit < all.length ? { nextToken: encodeToken('DescribeLogGroups', start + limit) } : {}),
      };
    },
  };

  // ---- the code download (S3)

  function s3Error(/** @type {number} */ status, /** @type {string} */ code, /** @type {string} */ message) {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${crypto.randomBytes(8).toString('hex').toUpperCase()}</RequestId><HostId>${crypto.randomBytes(24).toString('base64')}</HostId></Error>`;
    return new ApiError(status, code, { xml });
  }

  function download(/** @type {URL} */ u) {
    const key = u.pathname.split('/').pop() ?? '';
    const params = new URLSearchParams(u.search);
    const signature = params.get('X-Amz-Signature') ?? '';
    params.delete('X-Amz-Signature');
    const expected = crypto.createHmac('sha256', signingKey).update(`${u.pathname}?${params}`).digest('hex');
    if (signature.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
      throw s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
    const date = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(params.get('X-Amz-Date') ?? '');
    const signedAt = date ? Date.UTC(+date[1], +date[2] - 1, +date[3], +date[4], +date[5], +date[6]) : 0;
    if (Date.now() > signedAt + Number(params.get('X-Amz-Expires') ?? 0) * 1000) throw s3Error(403, 'AccessDenied', 'Request has expired');
    const fn = state.codeByKey.get(key);
    if (!fn) throw s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    return fn.zip;
  }

  // ---- HTTP

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  async function handle(req, res) {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(u.searchParams);
    const target = String(req.headers['x-amz-target'] ?? '');
    /** @type {'lambda' | 'logs' | 's3'} */
    let service = 'lambda';
    let op = 'Unknown';
    /** @type {string | undefined} */
    let fnName;
    if (req.method === 'POST' && target.startsWith(LOGS_TARGET)) {
      service = 'logs';
      op = target.slice(LOGS_TARGET.length);
    } else if (req.method === 'GET' && u.pathname.startsWith('/awslambda-')) {
      service = 's3';
      op = 'CodeDownload';
    } else if (req.method === 'GET') {
      for (const [re, name] of LAMBDA_ROUTES) {
        const m = re.exec(u.pathname);
        if (m) {
          op = /** @type {string} */ (name);
          fnName = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
          break;
        }
      }
    }
    const requestId = crypto.randomUUID();
    stats.requests.push({ op, path: u.pathname, query });
    const counts = opStats(op);
    counts.requests++;
    const bucketName = BUCKET_OF[/** @type {keyof typeof BUCKET_OF} */ (op)];
    const bucket = bucketName ? bucketStats(bucketName) : undefined;
    if (bucket) {
      const now = Date.now();
      bucket.requests++;
      bucket.first ??= now;
      bucket.last = now;
    }

    /** @type {Buffer[]} */
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    if (latencyMs > 0) await sleep(latencyMs);

    const send = (/** @type {number} */ status, /** @type {Record<string, string>} */ headers, /** @type {string | Buffer} */ body) => {
      res.writeHead(status, { 'x-amzn-requestid': requestId, 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    const jsonType = service === 'logs' ? 'application/x-amz-json-1.1' : 'application/json';

    try {
      const wait = bucketName ? buckets.get(bucketName)?.take() ?? 0 : 0;
      if (wait > 0) {
        counts.throttles++;
        if (bucket) bucket.throttles++;
        if (service === 'logs') throw logsError('ThrottlingException', 'Rate exceeded');
        throw new ApiError(429, 'TooManyRequestsException', { Reason: 'CallerRateLimitExceeded', Type: 'User', message: 'Rate exceeded' }, { 'Retry-After': String(Math.max(1, Math.ceil(wait))) });
      }
      let result;
      if (service === 's3') {
        const zip = download(u);
        counts.successes++;
        send(200, { 'content-type': 'application/zip', etag: `"${hex(zip.toString('base64')).slice(0, 32)}"` }, zip);
        return;
      } else if (service === 'logs') {
        const handler = Object.hasOwn(logs, op) ? logs[op] : undefined;
        if (!handler) throw new ApiError(400, 'UnknownOperationException', { message: `fake-aws does not emulate ${op}` });
        let input;
        try {
          input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
        } catch {
          throw new ApiError(400, 'SerializationException', { message: 'Invalid JSON' });
        }
        result = handler(input);
      } else {
        const handler = Object.hasOwn(lambda, op) ? lambda[op] : undefined;
        if (!handler) throw new ApiError(404, 'UnknownOperationException', { Type: 'User', message: `fake-aws does not emulate ${req.method} ${u.pathname}` });
        result = handler(fnName, query);
      }
      counts.successes++;
      if (bucket) bucket.successes++;
      send(200, { 'content-type': jsonType }, JSON.stringify(result));
    } catch (error) {
      if (!(error instanceof ApiError)) {
        counts.errors++;
        send(500, { 'content-type': jsonType, 'x-amzn-errortype': 'ServiceException' }, JSON.stringify({ Type: 'Service', Message: String(error) }));
        return;
      }
      if (error.code !== 'TooManyRequestsException' && error.code !== 'ThrottlingException') counts.errors++;
      if (service === 's3') send(error.status, { 'content-type': 'application/xml' }, String(error.body.xml));
      else if (service === 'logs') send(error.status, { 'content-type': jsonType }, JSON.stringify({ __type: error.code, ...error.body }));
      else send(error.status, { 'content-type': jsonType, 'x-amzn-errortype': error.code, ...error.headers }, JSON.stringify(error.body));
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    url,
    env: {
      AWS_ENDPOINT_URL_LAMBDA: url,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: url,
      AWS_REGION: state.region,
      AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE',
      AWS_SECRET_ACCESS_KEY: 'fake',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stats,
    async setScenario(s) {
      state = await buildState(s, zipCache);
      queries.clear();
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
