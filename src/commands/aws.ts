/**
 * `stream-doctor aws --function NAME | --all`: diagnose live functions from their configuration, their
 * deployed code and their platform logs. Orchestration only: collectors in aws/, the model mapping in
 * aws/to-deployment, the same deployment rules the IaC readers feed, the live rules in checks/live, and
 * the same report formats and exit codes as `scan`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Finding, InternalError, Report, Severity, SkipNote, Subject } from '../model/finding.js';
import { gateExitCode } from '../model/finding.js';
import type { Deployment } from '../model/deployment.js';
import { isResolved } from '../model/deployment.js';
import type { LiveContext } from '../model/rule.js';
import type { HandlerFacts } from '../code/handler-facts.js';
import { deploymentRules } from '../checks/deployment/index.js';
import { liveRules } from '../checks/live/index.js';
import { scanCode, withoutRuntimeSpecific } from '../code/scan-code.js';
import { locatedFinding, resolveHandlerFacts } from '../iac/index.js';
import { runRules } from '../checks/runner.js';
import { urlInvokeMode, webAdapterMode } from '../iac/deployment-support.js';
import { fingerprintOf } from '../config/fingerprint.js';
import { formatReport, type FormatName } from '../report/index.js';
import { createProgress } from '../report/progress.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { UsageError } from './errors.js';
import { mapPool } from '../util/pool.js';
import { awsErrorLine, awsErrorName, createClients, type AwsClients } from '../aws/clients.js';
import { collectAccountLimit, collectFunction, FunctionNotFound, listFunctionNames, parseFunctionRef, type FunctionRef, type LiveFunction } from '../aws/collect.js';
import { functionArnOf, toDeployments } from '../aws/to-deployment.js';
import { fetchPlatformLogs } from '../aws/logs-fetch.js';
import { parseLogEvents } from '../aws/logs/parse.js';
import { summarize, type LogStats } from '../aws/logs/stats.js';
import { defaultLogGroup } from '../aws/logs/queries.js';
import { CodeDownloadError, downloadAndExtract } from '../aws/deployed-code.js';

export interface AwsOptions {
  functions: string[];
  all: boolean;
  region?: string;
  profile?: string;
  /** Log window: `30m`, `24h`, `7d`. */
  since: string;
  code: boolean;
  logs: boolean;
  format: FormatName;
  failOn: Severity | 'none';
  verbose: boolean;
  color: boolean;
  /** `--docs-url`: the rule pages' base for the Markdown summaries (report/markdown.ts `ruleDocsUrl`). */
  docsUrl?: string;
  /** Functions checked at the same time (the rate limiter paces the calls anyway). */
  concurrency: number;
}

export interface AwsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progressEnabled: boolean;
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

export interface AwsOutcome {
  report: Report;
  exitCode: number;
}

/** One function's diagnosis, before it joins the report. */
interface Diagnosis {
  subject: Subject;
  findings: Finding[];
  skipped: SkipNote[];
  internalErrors: InternalError[];
  filesWalked: number;
  filesParsed: number;
  packages: number;
  /** The function could not be checked at all. */
  failed: boolean;
}

const WINDOW = /^(\d+)\s*(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const UNIT_WORD = { m: 'min', h: 'h', d: 'd' } as const;
/** CloudWatch Logs Insights can look back this far at most in one query window worth asking for. */
const MAX_WINDOW_MS = 30 * UNIT_MS.d;

export function parseWindow(since: string): { ms: number; label: string } {
  const m = WINDOW.exec(since.trim());
  if (!m) throw new UsageError(`--since must look like 30m, 24h or 7d (got "${since}")`);
  const n = Number(m[1]);
  const unit = m[2] as keyof typeof UNIT_MS;
  const ms = n * UNIT_MS[unit];
  if (ms <= 0 || ms > MAX_WINDOW_MS) throw new UsageError(`--since must be between 1m and 30d (got "${since}")`);
  return { ms, label: `${n} ${UNIT_WORD[unit]}` };
}

/** An AWS failure that stops the whole command (no region, no credentials): one line, exit 2. */
export class AwsCommandError extends UsageError {}

export async function diagnoseFunctions(options: AwsOptions, io: AwsIo): Promise<AwsOutcome> {
  const started = Date.now();
  if (options.all && options.functions.length > 0) throw new UsageError('use either --function or --all, not both');
  if (!options.all && options.functions.length === 0) throw new UsageError('name a function with --function NAME (a name, an ARN or NAME:ALIAS), or pass --all');
  const refs: FunctionRef[] = [];
  for (const given of options.functions) {
    const ref = parseFunctionRef(given);
    if (!ref) throw new UsageError(`not a Lambda function name or ARN: "${given}"`);
    refs.push(ref);
  }
  const window = parseWindow(options.since);
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1 || options.concurrency > 64) {
    throw new UsageError('--concurrency must be an integer from 1 to 64');
  }

  const clients = createClients({ region: options.region, profile: options.profile });
  const progress = createProgress({ enabled: io.progressEnabled });
  const tmpRoot = options.code ? await mkdtemp(path.join(os.tmpdir(), 'stream-doctor-aws-')) : undefined;
  try {
    const region = await resolveRegion(clients);
    for (const ref of refs) {
      if (ref.region && ref.region !== region) throw new UsageError(`${ref.given} is in ${ref.region} but the region is ${region}: pass --region ${ref.region}`);
    }
    progress.update('Reading account settings…');
    const account = await fatalOnSetup(() => collectAccountLimit(clients));
    if (options.all) {
      progress.update('Listing functions…');
      for await (const name of listFunctionNames(clients)) refs.push({ given: name, functionName: name });
    }

    const now = io.now?.() ?? Date.now();
    let done = 0;
    const diagnoses = await mapPool(refs, options.concurrency, async (ref) => {
      const diagnosis = await diagnoseOne(clients, ref, {
        options,
        window: { fromMs: now - window.ms, toMs: now, label: window.label },
        accountConcurrency: account.limit?.ConcurrentExecutions,
        tmpRoot,
      });
      done++;
      progress.update(`Checked ${done} of ${refs.length} function${refs.length === 1 ? '' : 's'}…`);
      return diagnosis;
    });
    progress.stop();

    const skipped: SkipNote[] = diagnoses.flatMap((d) => d.skipped);
    if (account.note) skipped.push({ file: `aws:${region}`, reason: account.note });
    const findings = diagnoses.flatMap((d) => d.findings);
    const internalErrors = diagnoses.flatMap((d) => d.internalErrors);
    const report: Report = {
      tool: { name: TOOL_NAME, version: TOOL_VERSION },
      root: `aws:${region}`,
      subjects: diagnoses.map((d) => d.subject),
      coverage: `${diagnoses.length} function${diagnoses.length === 1 ? '' : 's'} checked; deployed code: ${sum(diagnoses, (d) => d.filesWalked)} files scanned, ${sum(diagnoses, (d) => d.filesParsed)} parsed, ${sum(diagnoses, (d) => d.packages)} packages inventoried`,
      findings,
      suppressed: [],
      skipped,
      internalErrors,
      stats: {
        filesWalked: sum(diagnoses, (d) => d.filesWalked),
        filesPrefiltered: 0,
        filesParsed: sum(diagnoses, (d) => d.filesParsed),
        packagesInventoried: sum(diagnoses, (d) => d.packages),
        filesSkipped: skipped.length,
        durationMs: Date.now() - started,
      },
    };
    const gate = gateExitCode(report, options.failOn);
    io.stdout(formatReport(report, options.format, { color: options.color, verbose: options.verbose, stepSummaryPath: io.env.GITHUB_STEP_SUMMARY, docsBaseUrl: options.docsUrl }));
    const failed = diagnoses.filter((d) => d.failed);
    for (const d of failed) io.stderr(`stream-doctor: ${d.subject.title}: ${d.subject.notes[0] ?? 'could not be checked'}\n`);
    return { report, exitCode: failed.length > 0 ? 2 : gate };
  } finally {
    progress.stop();
    clients.destroy();
    if (tmpRoot) await rm(tmpRoot, { recursive: true, force: true });
  }
}

async function resolveRegion(clients: AwsClients): Promise<string> {
  try {
    const region = await clients.lambda.config.region();
    if (region) return region;
  } catch {
    // the SDK throws "Region is missing"
  }
  throw new AwsCommandError('no AWS region: pass --region or set AWS_REGION (or a region in the profile)');
}

/** The first call fails for reasons that will fail every call: no credentials, an unreachable endpoint. */
async function fatalOnSetup<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'CredentialsProviderError' || /credential/i.test(String((error as Error)?.message))) {
      throw new AwsCommandError('no AWS credentials found (environment, --profile, SSO or instance role): run `aws configure` or set AWS_PROFILE');
    }
    if (name === 'UnrecognizedClientException' || name === 'InvalidSignatureException' || name === 'ExpiredTokenException') {
      throw new AwsCommandError(`AWS rejected the credentials: ${awsErrorLine(error)}`);
    }
    throw new AwsCommandError(`cannot reach the Lambda API: ${awsErrorLine(error)}`);
  }
}

interface DiagnoseContext {
  options: AwsOptions;
  window: { fromMs: number; toMs: number; label: string };
  accountConcurrency?: number;
  tmpRoot?: string;
}

async function diagnoseOne(clients: AwsClients, ref: FunctionRef, ctx: DiagnoseContext): Promise<Diagnosis> {
  let fn: LiveFunction;
  try {
    fn = await collectFunction(clients, ref);
  } catch (error) {
    const reason = error instanceof FunctionNotFound ? error.message : `could not be read: ${awsErrorLine(error)}`;
    return {
      subject: { id: ref.given, title: `function ${ref.given}`, facts: [], notes: [reason] },
      findings: [],
      skipped: [{ file: ref.given, reason }],
      internalErrors: [],
      filesWalked: 0,
      filesParsed: 0,
      packages: 0,
      failed: true,
    };
  }
  const arn = functionArnOf(fn);
  const notes = [...fn.notes];
  const skipped: SkipNote[] = [];

  // Deployed code: the code rules on the package, and the handler facts the deployment rules need.
  const code = await checkDeployedCode(fn, arn, ctx, notes, skipped);
  const deployments = toDeployments(fn, code.root);
  const runtime = isResolved(deployments[0].runtime) ? deployments[0].runtime.value : undefined;
  const codeFindings = runtime ? withoutRuntimeSpecific(code.findings, () => [runtime]) : code.findings;

  const findings: Finding[] = [...codeFindings];
  const internalErrors: InternalError[] = [...code.internalErrors];
  for (const deployment of deployments) {
    const run = runRules(deploymentRules, { deployment, handler: code.handler }, arn);
    internalErrors.push(...run.failures);
    for (const { rule, problem } of run.results) findings.push(locatedFinding(rule.meta, problem, true));
  }

  let logs: LogStats | null = null;
  if (ctx.options.logs) logs = await readLogs(clients, fn, ctx, notes);
  const liveContext: LiveContext = {
    deployment: deployments[0],
    handler: code.handler,
    codeFindings,
    codeChecked: code.root !== undefined,
    logs,
    deployments,
    policy: fn.policy,
    window: ctx.window.label,
    ...(ctx.accountConcurrency !== undefined ? { accountConcurrency: ctx.accountConcurrency } : {}),
  };
  const live = runRules(liveRules, liveContext, arn);
  internalErrors.push(...live.failures);
  for (const { rule, problem } of live.results) findings.push(locatedFinding(rule.meta, problem, true));

  return {
    subject: {
      id: arn,
      title: `function ${fn.configuration.FunctionName ?? ref.given}${ref.qualifier ? `:${ref.qualifier}` : ''} (${arn.split(':')[3] ?? ''})`,
      facts: factsOf(fn, deployments, code, logs, ctx),
      notes,
    },
    findings,
    skipped,
    internalErrors,
    filesWalked: code.filesWalked,
    filesParsed: code.filesParsed,
    packages: code.packages,
    failed: false,
  };
}

interface DeployedCode {
  /** Where the package was extracted (removed after the run); undefined when not checked. */
  root?: string;
  findings: Finding[];
  internalErrors: InternalError[];
  handler: HandlerFacts | null;
  filesWalked: number;
  filesParsed: number;
  packages: number;
  summary: string;
}

async function checkDeployedCode(fn: LiveFunction, arn: string, ctx: DiagnoseContext, notes: string[], skipped: SkipNote[]): Promise<DeployedCode> {
  const none = (summary: string): DeployedCode => ({ findings: [], internalErrors: [], handler: null, filesWalked: 0, filesParsed: 0, packages: 0, summary });
  if (!ctx.options.code || !ctx.tmpRoot) return none('not checked (--no-code)');
  if (fn.configuration.PackageType === 'Image') {
    notes.push('container image: its code cannot be downloaded through the Lambda API; run `stream-doctor scan` on the image build context');
    return none('container image (not downloadable)');
  }
  if (!fn.code?.location) return none('not available');
  let extracted;
  try {
    // The presigned URL is a secret: it goes to the download and nowhere else.
    extracted = await downloadAndExtract(fn.code.location, path.join(ctx.tmpRoot, safeDirName(arn)));
  } catch (error) {
    const reason = error instanceof CodeDownloadError ? error.message : 'the deployment package could not be downloaded';
    notes.push(`deployed code not checked: ${reason}`);
    return none('not checked');
  }
  for (const note of extracted.skipped) skipped.push({ file: `${arn}/${note.file}`, reason: note.reason });
  const scan = await scanCode({ root: extracted.dir, deps: true });
  for (const note of scan.skipped) skipped.push({ file: `${arn}/${note.file}`, reason: note.reason });
  const findings = scan.findings.map((f) => ({ ...f, file: `${arn}/${f.file}`, fingerprint: fingerprintOf(f.ruleId, `${arn}/${f.file}`, f.fingerprint) }));
  const base = toDeployments(fn, '.')[0];
  const handler = await resolveHandlerFacts(extracted.dir, base).catch(() => null);
  const handlerText = handler ? `; handler ${handler.file}${handler.streaming ? ` (${handler.streaming.how})` : handler.bufferedAdapter ? ` (${handler.bufferedAdapter.name}, buffered)` : ''}` : '; handler module not found in the package';
  return {
    root: extracted.dir,
    findings,
    internalErrors: scan.internalErrors.map((e) => ({ ...e, file: `${arn}/${e.file}` })),
    handler,
    filesWalked: scan.filesWalked,
    filesParsed: scan.filesParsed,
    packages: scan.packagesInventoried,
    summary: `${extracted.files} files extracted, ${scan.filesParsed} analysed${handlerText}`,
  };
}

function safeDirName(arn: string): string {
  return arn.replace(/[^A-Za-z0-9_-]+/g, '_');
}

async function readLogs(clients: AwsClients, fn: LiveFunction, ctx: DiagnoseContext, notes: string[]): Promise<LogStats | null> {
  const c = fn.configuration;
  const logGroup = defaultLogGroup(c.FunctionName ?? fn.ref.functionName, c.LoggingConfig?.LogGroup);
  const format = c.LoggingConfig?.LogFormat === 'JSON' ? 'JSON' : c.LoggingConfig?.LogFormat === 'Text' ? 'Text' : undefined;
  const fetched = await fetchPlatformLogs(clients, { logGroup, fromMs: ctx.window.fromMs, toMs: ctx.window.toMs, ...(format ? { logFormat: format } : {}) });
  if (fetched.note) notes.push(fetched.note);
  if (c.LoggingConfig?.SystemLogLevel === 'WARN') notes.push('SystemLogLevel is WARN: REPORT lines may be missing, so the duration statistics may be incomplete');
  if (fetched.via === 'none') return null;
  if (fetched.truncated) notes.push(`logs: only the newest ${fetched.events.length} platform lines of the window were read`);
  return summarize(parseLogEvents(fetched.events), { ...(c.Timeout !== undefined ? { timeoutSeconds: c.Timeout } : {}) });
}

function factsOf(fn: LiveFunction, deployments: Deployment[], code: DeployedCode, logs: LogStats | null, ctx: DiagnoseContext): Subject['facts'] {
  const c = fn.configuration;
  const facts: Subject['facts'] = [];
  const add = (label: string, value: string) => facts.push({ label, value });
  add('runtime', `${c.Runtime ?? (c.PackageType === 'Image' ? 'container image' : 'unknown')}${c.Architectures?.length ? ` (${c.Architectures.join(', ')})` : ''}${c.CapacityProviderConfig ? ', Managed Instances' : ''}`);
  if (c.Handler) add('handler', c.Handler);
  add('timeout', `${c.Timeout ?? 3} s, memory ${c.MemorySize ?? 128} MB`);
  add(
    'concurrency',
    fn.reservedConcurrency === null
      ? 'not readable'
      : fn.reservedConcurrency === undefined
        ? `unreserved${ctx.accountConcurrency !== undefined ? ` (account limit ${ctx.accountConcurrency})` : ''}`
        : `reserved ${fn.reservedConcurrency}`,
  );
  if (fn.urls === null) add('function URL', 'not readable');
  else if (fn.urls.length === 0) add('function URL', 'none');
  for (const d of deployments) {
    if (!d.url) continue;
    const mode = urlInvokeMode(d);
    const auth = d.url.authType && isResolved(d.url.authType) ? d.url.authType.value : '?';
    const cors = d.url.cors && isResolved(d.url.cors) ? `, CORS ${d.url.cors.value.allowOrigins?.join(' ') ?? 'on'}` : '';
    add(`URL ${d.url.qualifier ?? '$LATEST'}`, `${mode?.mode ?? '?'}${mode && mode.written === undefined ? ' (not set: BUFFERED)' : ''}, auth ${auth}${cors}`);
  }
  const lwa = webAdapterMode(deployments[0]);
  if (lwa) add('web adapter', `layer, AWS_LWA_INVOKE_MODE ${lwa.explicit ? lwa.written : 'not set (buffered)'}`);
  const keys = Object.keys(c.Environment?.Variables ?? {});
  if (keys.length) add('environment', `${keys.length} variable${keys.length === 1 ? '' : 's'} (values not shown): ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}`);
  if (c.Layers?.length) add('layers', c.Layers.map((l) => (l.Arn ?? '').split(':').slice(-2).join(':')).join(', '));
  add('deployed code', code.summary);
  if (ctx.options.logs) add(`logs (${ctx.window.label})`, logs ? logSummary(logs) : 'not read');
  return facts;
}

function logSummary(logs: LogStats): string {
  if (logs.invocations === 0) return 'no invocations';
  const d = logs.durationMs;
  const parts = [`${logs.invocations} invocation${logs.invocations === 1 ? '' : 's'}`];
  if (d) parts.push(`duration p50 ${ms(d.p50)}, p99 ${ms(d.p99)}, max ${ms(d.max)}`);
  if (logs.atTimeout.count) parts.push(`${logs.atTimeout.count} at the timeout`);
  if (logs.initDurationMs) parts.push(`${logs.initDurationMs.count} cold start${logs.initDurationMs.count === 1 ? '' : 's'}`);
  const errors = Object.values(logs.errorsByType).reduce((a, b) => a + b, 0);
  if (errors) parts.push(`${errors} error${errors === 1 ? '' : 's'}`);
  return parts.join('; ');
}

function ms(value: number): string {
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function sum<T>(items: T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}
