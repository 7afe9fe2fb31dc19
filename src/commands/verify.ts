/**
 * `stream-doctor verify <handler>`: run the handler under AWS's own runtime interface client
 * (`aws-lambda-ric` 3.3.0 = nodejs18/20/22.x, 4.0.2 = nodejs24.x) against a Runtime API of our own on
 * 127.0.0.1, send it Function URL events, and report what the runtime really did: completed, hung or
 * crashed; the response the client would get; findings under the static rules' ids (docs/verify.md).
 */
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { coverageOf, coverageOfFiles, executed, lineStartOffsets, lineStatus, offsetAt } from '../verify/coverage.js';
import { writeSandbox } from '../verify/sandbox.js';
import type { Finding, Report, Severity, Subject } from '../model/finding.js';
import { failingFindings } from '../model/finding.js';
import { formatReport, type FormatName } from '../report/index.js';
import { toJsonReport } from '../report/json.js';
import { createProgress } from '../report/progress.js';
import { findingOf } from '../checks/runner.js';
import { codeRules } from '../checks/code/index.js';
import { analyzeSource } from '../code/analyze.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { UsageError } from './errors.js';
import { PROBE_EVENTS, loadEventFile, type ProbeEvent } from '../verify/events.js';
import { MAX_CODE_EVENTS, eventsFromCode } from '../verify/code-events.js';
import { RIC_VERSIONS, ensureRicOrFail, ricCacheRoot, type Lineage } from '../verify/install.js';
import { runInvocation, type Launch, type RunResult } from '../verify/run.js';
import { diagnose, errorText, initProblem, type Diagnosis, type InitFailure } from '../verify/analyze.js';
import { plural } from '../report/json.js';
import { checkBehindWrapper, checkProtocol } from '../verify/protocol.js';
import { verifyObservations } from '../verify/observations.js';
import { parseTimeout } from './probe.js';

import { mapPool } from '../util/pool.js';
export interface VerifyOptions {
  handler: string;
  /** The function's code root (LAMBDA_TASK_ROOT); default: the current directory. */
  root?: string;
  runtime: '3.x' | '4.x' | 'both';
  /** `--event` files (repeatable). */
  events: string[];
  /** Tests and scripts: only these built-in probe events (by name); default all. */
  only?: string[];
  /** Run with V8 coverage and say, per static finding of the handler module, whether some event ran its line. */
  coverage?: boolean;
  /** Also send the events mined from the handler's code (routes, methods): the CLI's default, `--no-code-events` turns it off. */
  codeEvents?: boolean;
  timeout: string;
  /** Environment variable names passed to the handler (AWS_* credentials are never passed otherwise). */
  passEnv: string[];
  /** A custom runtime's command line (run with `sh -c` in --root) instead of aws-lambda-ric. */
  bootstrap?: string;
  /** An AWS_LAMBDA_EXEC_WRAPPER script started in front of aws-lambda-ric (each run is compared with a run without it). */
  execWrapper?: string;
  format: FormatName;
  failOn: Severity | 'none';
  color: boolean;
  /** `--docs-url`: the rule pages' base for the Markdown summaries (report/markdown.ts `ruleDocsUrl`). */
  docsUrl?: string;
  verbose: boolean;
  /** `scan --verify`: print nothing (the scan prints one merged report). */
  silent?: boolean;
  /** With `coverage`: modules replaced by a file while the handler runs (module specifier -> absolute file; `scan --verify --stub`). */
  stubs?: Record<string, string>;
  /** With `coverage`: connections and lookups off the loopback fail (src/verify/sandbox.ts; `scan --verify`). */
  offline?: boolean;
  /** With `coverage`: also collect the coverage of these files (absolute paths: the modules the handler imports). */
  coverageFiles?: string[];
}

export interface VerifyIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progressEnabled: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** What ran: an aws-lambda-ric lineage, or the `--bootstrap` command. */
export type Runner = Lineage | 'bootstrap';

export interface VerifyRun {
  lineage: Runner;
  event: string;
  diagnosis: Diagnosis;
  stderr: string;
  /** --coverage: the handler module's V8 coverage snapshots of this run. */
  coverage?: ReturnType<typeof coverageOf>;
  /** --coverage with `coverageFiles`: each of those files' snapshots (absent: the run never loaded it). */
  coverageByFile?: Map<string, ReturnType<typeof coverageOf>>;
}

export interface VerifyOutcome {
  report: Report;
  runs: VerifyRun[];
  /** The events sent (defaults, --event files, the ones mined from the code). */
  events: ProbeEvent[];
  /** --coverage: each static finding of the handler module against the runs. */
  staticRuns: StaticRun[];
  exitCode: number;
}

/** The longest --timeout verify takes (scan --verify's --verify-timeout too). */
export const MAX_TIMEOUT_MS = 60_000;
/** Invocations run at once (each is its own server and runtime process). */
const CONCURRENCY = 2;
const EXTENSIONS = ['.js', '.mjs', '.cjs'];

/** `dist/index.handler` → module `dist/index`, export `handler` (the runtime's own split: last "/", then first "."). */
export function splitHandler(handler: string): { modulePath: string; exportPath: string } {
  const slash = handler.lastIndexOf('/');
  const dir = slash === -1 ? '' : handler.slice(0, slash + 1);
  const rest = handler.slice(slash + 1);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) throw new UsageError(`handler must look like path/to/module.export, e.g. dist/index.handler (got "${handler}")`);
  return { modulePath: `${dir}${rest.slice(0, dot)}`, exportPath: rest.slice(dot + 1) };
}

function findModule(root: string, modulePath: string): string | undefined {
  for (const ext of EXTENSIONS) {
    const candidate = resolve(root, `${modulePath}${ext}`);
    if (existsSync(candidate)) return candidate;
  }
  const bare = resolve(root, modulePath);
  return existsSync(bare) && statSync(bare).isFile() ? bare : undefined;
}

/** Only what the user names; never credentials by default. */
export function passedEnv(names: string[], env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of names) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

/** Static rules on the handler module that explain a 3.x-only wait better than open handles do. */
function staticHints(file: string, abs: string, root: string): Set<string> {
  try {
    const text = readFileSync(abs, 'utf8');
    const rules = codeRules.filter((r) => r.meta.id === 'end-callback-dropped');
    return new Set(analyzeSource({ rel: file, text, origin: 'project', abs, root }, rules).findings.map((f) => f.ruleId));
  } catch {
    return new Set();
  }
}

export async function verifyHandler(options: VerifyOptions, io: VerifyIo): Promise<VerifyOutcome> {
  const started = Date.now();
  const timeoutMs = parseTimeout(options.timeout);
  if (timeoutMs > MAX_TIMEOUT_MS) throw new UsageError(`--timeout must be at most ${MAX_TIMEOUT_MS / 1000}s for verify (got "${options.timeout}")`);
  const root = resolve(io.cwd, options.root ?? '.');
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`--root is not a directory: ${options.root ?? '.'}`);
  if (options.bootstrap !== undefined && options.execWrapper !== undefined) throw new UsageError('--bootstrap and --exec-wrapper cannot be combined (a wrapper runs in front of aws-lambda-ric)');
  if (options.bootstrap !== undefined && options.bootstrap.trim() === '') throw new UsageError('--bootstrap needs a command line');
  const execWrapper = options.execWrapper !== undefined ? checkWrapper(resolve(io.cwd, options.execWrapper), options.execWrapper) : undefined;
  let file: string;
  let abs: string | undefined;
  if (options.bootstrap !== undefined) {
    // The custom runtime interprets _HANDLER itself: no module to find. Findings point at its program.
    file = bootstrapFile(options.bootstrap, root);
  } else {
    const { modulePath } = splitHandler(options.handler);
    abs = findModule(root, modulePath);
    if (!abs) throw new UsageError(`handler module not found: ${modulePath}{${EXTENSIONS.join(',')}} under ${root}`);
    file = relative(root, abs).split('\\').join('/');
  }
  const lineages: Runner[] = options.bootstrap !== undefined ? ['bootstrap'] : options.runtime === 'both' ? ['3.x', '4.x'] : [options.runtime];
  const runnerName = (l: Runner) => (l === 'bootstrap' ? `--bootstrap ${options.bootstrap}` : `aws-lambda-ric ${RIC_VERSIONS[l]}${execWrapper ? ` behind ${options.execWrapper}` : ''}`);

  let events: ProbeEvent[] = PROBE_EVENTS;
  if (options.only && options.only.length > 0) {
    const unknown = options.only.filter((name) => !PROBE_EVENTS.some((e) => e.name === name));
    if (unknown.length > 0) throw new UsageError(`unknown probe event ${unknown.join(', ')} (expected: ${PROBE_EVENTS.map((e) => e.name).join(', ')})`);
    events = PROBE_EVENTS.filter((e) => options.only!.includes(e.name));
  }
  events = [...events, ...options.events.map((f) => loadEventFile(resolve(io.cwd, f)))];
  // Events mined from the handler's code (routes, methods): a bug on a route of its own is run too.
  const mined = options.codeEvents && abs ? eventsFromCode(abs, root) : { events: [], dropped: [] };
  events = [...events, ...mined.events.filter((e) => !events.some((o) => o.name === e.name))];

  const progress = createProgress({ enabled: io.progressEnabled });
  const cacheRoot = ricCacheRoot(io.env);
  const ricDirs = new Map<Lineage, string>();
  const runs: VerifyRun[] = [];
  let coverageWork: string | undefined;
  try {
    for (const lineage of lineages) {
      if (lineage === 'bootstrap') continue;
      // A runtime build takes minutes: a spinner on a terminal, plain lines in CI logs, nothing with JSON/SARIF.
      const log = !io.progressEnabled && options.format === 'text' ? (line: string) => io.stderr(`stream-doctor: ${line}\n`) : undefined;
      ricDirs.set(lineage, await ensureRicOrFail(lineage, cacheRoot, { env: io.env, progress: (text) => progress.update(text), ...(log ? { log } : {}) }));
    }
    const jobs = lineages.flatMap((lineage) => events.map((event) => ({ lineage, event })));
    let done = 0;
    const extra = passedEnv(options.passEnv, io.env);
    // --coverage: each aws-lambda-ric run (not a wrapper's or a custom runtime's) writes V8 coverage to its own folder.
    const coverageOn = options.coverage === true && options.bootstrap === undefined && !execWrapper && abs !== undefined;
    if (coverageOn) coverageWork = mkdtempSync(join(tmpdir(), 'stream-doctor-coverage-'));
    await mapPool(jobs, CONCURRENCY, async ({ lineage, event }) => {
      progress.update(`running ${file} under ${runnerName(lineage)} (${done}/${jobs.length})…`);
      // Mined events are named by their request (`GET /x`): not something a URL path may hold as is.
      const requestId = `verify-${lineage.replace('.', '')}-${event.name.replace(/[^A-Za-z0-9-]+/g, '_')}`;
      const once = (launch: Launch): Promise<RunResult> =>
        runInvocation({ launch, taskRoot: root, handler: options.handler, event: event.event, requestId, timeoutMs, env: coverageOn ? { ...extra, ...coverageEnv(coverageWork!, requestId, options.stubs ?? {}, options.offline ?? false) } : extra });
      let result: RunResult;
      let protocol: Diagnosis['problems'] = [];
      if (lineage === 'bootstrap') {
        result = await once({ kind: 'bootstrap', command: options.bootstrap! });
        protocol = checkProtocol(result, 'The custom runtime');
      } else if (execWrapper) {
        const baseline = await once({ kind: 'ric', lineage, ricDir: ricDirs.get(lineage)! });
        result = await once({ kind: 'ric', lineage, ricDir: ricDirs.get(lineage)!, execWrapper });
        protocol = checkBehindWrapper(result, baseline);
      } else {
        result = await once({ kind: 'ric', lineage, ricDir: ricDirs.get(lineage)! });
      }
      const diagnosis = diagnose(result, lineage, timeoutMs);
      diagnosis.problems.push(...protocol);
      const v8 = coverageOn ? join(coverageWork!, requestId, 'v8') : undefined;
      const coverageByFile = v8 && options.coverageFiles ? coverageOfFiles(v8, options.coverageFiles) : undefined;
      runs.push({ lineage, event: event.name, diagnosis, stderr: result.stderr, ...(v8 ? { coverage: coverageOf(v8, abs!) } : {}), ...(coverageByFile ? { coverageByFile } : {}) });
      done += 1;
    });
  } finally {
    progress.stop();
    if (coverageWork) rmSync(coverageWork, { recursive: true, force: true });
  }
  const order = (r: VerifyRun) => lineages.indexOf(r.lineage) * 1000 + events.findIndex((e) => e.name === r.event);
  runs.sort((a, b) => order(a) - order(b));

  const hints = abs ? staticHints(file, abs, root) : new Set<string>();
  const findings: Finding[] = [];
  const subjects: Subject[] = [];
  const evidenceOf = (lineage: Runner, p: Diagnosis['problems'][number]) => `Observed under ${runnerName(lineage)}; ${p.meta.evidence}`;
  // No event reached the handler: one finding per runtime (and cause), not one per event.
  for (const lineage of lineages) {
    const all = runs.filter((r) => r.lineage === lineage);
    const groups = new Map<string, { failure: InitFailure; events: string[] }>();
    for (const run of all) {
      const failure = run.diagnosis.initFailure;
      if (!failure) continue;
      const cause = failure.kind === 'error' ? `${failure.type}: ${failure.message}` : failure.kind;
      const group = groups.get(cause) ?? { failure, events: [] };
      group.events.push(run.event);
      groups.set(cause, group);
    }
    for (const [cause, { failure, events: names }] of groups) {
      const p = initProblem(failure, lineage, notReached(names, all.length));
      findings.push(
        findingOf(p.meta, p, { file, line: 1, column: 1, field: `${lineage} init` }, { origin: 'project', fixable: false, evidence: evidenceOf(lineage, p) }, `verify:${lineage}:init:${groups.size > 1 ? cause : ''}`),
      );
    }
  }
  for (const run of runs) {
    const d = run.diagnosis;
    const problems = [...d.problems];
    if (d.keptRunning && run.lineage === '3.x') {
      const dropped = hints.has('end-callback-dropped');
      const data = { timeout: timeoutMs / 1000 };
      problems.push(
        dropped
          ? verifyObservations.observe('end-callback-dropped', {
              messageId: 'callbackNeverFired',
              data,
              severity: 'warning',
              fix: 'Do not pass a callback to end() (or await the "finish" event); set context.callbackWaitsForEmptyEventLoop = false.',
            })
          : verifyObservations.observe('event-loop-keeps-invocation-alive', {
              messageId: 'openHandlesKeepRunning',
              data,
              severity: 'warning',
              fix: 'Set context.callbackWaitsForEmptyEventLoop = false at the top of the streamified handler, or close/unref the handle.',
            }),
      );
    }
    for (const p of problems) {
      findings.push(
        findingOf(
          p.meta,
          p,
          { file, line: 1, column: 1, field: `${run.lineage} ${run.event}` },
          { origin: 'project', fixable: false, evidence: evidenceOf(run.lineage, p) },
          `verify:${run.lineage}:${run.event}`,
        ),
      );
    }
    subjects.push(subjectOf(run, runnerName(run.lineage), events.find((e) => e.name === run.event)!, timeoutMs, options.verbose));
  }
  // A run still streaming when the wait ended says nothing about how it ends: never a pass on its own.
  const streaming = runs.filter((r) => r.diagnosis.verdict === 'still-streaming');
  const unfinished = runs.length > 0 && runs.every((r) => r.diagnosis.verdict === 'still-streaming' || r.diagnosis.verdict === 'init-failed') && streaming.length > 0;
  const staticRuns = options.coverage && abs ? staticCoverage(file, abs, root, runs, findings) : [];
  if (staticRuns.length > 0) {
    subjects.push({
      id: `${file} static findings`,
      title: `static findings of ${file}, against the runs (V8 coverage)`,
      facts: staticRuns.map((s) => ({ label: `line ${s.line} ${s.ruleId}`, value: s.status === 'confirmed' ? `confirmed by run (${s.events.join(', ')})` : s.status === 'ran-correctly' ? `ran, behaved correctly (${s.events.join(', ')}): a candidate false positive` : s.status === 'ran-unobservable' ? `ran (${s.events.join(', ')}); a run cannot show this rule's bug, so it neither confirms nor refutes it` : s.status === 'not-reached' ? 'not reached by any event: add --event with a request that takes this path' : 'no coverage (the module did not load)' })),
      notes: [],
    });
  }
  subjects.push({
    id: file,
    title: `verify ${options.handler} (${file})`,
    facts: lineages.map((lineage) => ({
      label: `${lineage} (${runnerName(lineage)})`,
      value: runs
        .filter((r) => r.lineage === lineage)
        .map((r) => `${r.event}: ${verdictWord(r.diagnosis)}`)
        .join(', '),
    })),
    notes: [
      ...(options.bootstrap !== undefined ? [] : [`runtime cache: ${cacheRoot}`, ...(execWrapper ? [`each run behind ${options.execWrapper} is compared with the same run without it`] : [])]),
      ...(mined.events.length > 0 ? [`events from the code (sent): ${mined.events.map((e) => e.name).join(', ')}`] : options.codeEvents && abs ? ['events from the code: none found (no route or method literal in the handler module)'] : []),
      ...(mined.dropped.length > 0 ? [`not sent (over the budget of ${MAX_CODE_EVENTS}): ${mined.dropped.join(', ')}; send them with --event`] : []),
      ...(streaming.length > 0 && !unfinished ? [`${plural(streaming.length, 'invocation')} still streaming when --timeout ${timeoutMs / 1000} s passed (${streaming.map((r) => `${r.lineage} ${r.event}`).join(', ')}): not verified to end; raise --timeout`] : []),
    ],
  });

  // Where the runtime never asked for an event, nothing about the handler's responses was verified: say so.
  const unreached = lineages.filter((lineage) => runs.some((r) => r.lineage === lineage) && runs.every((r) => r.lineage !== lineage || r.diagnosis.verdict === 'init-failed'));
  const noEvent = unreached.length > 0 ? `no event reached the handler under ${unreached.map(runnerName).join(' and ')}: it failed to load` : '';
  const report: Report = {
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    root,
    subjects,
    coverage: `${runs.length} invocation${runs.length === 1 ? '' : 's'} of ${options.handler} under ${lineages.map(runnerName).join(' and ')}${noEvent ? `; ${noEvent}` : ''}`,
    ...(runs.length > 0 && unreached.length === lineages.length
      ? { inconclusive: `Nothing was verified: ${noEvent} (${plural(runs.length, 'invocation')}, every one an init failure)` }
      : unfinished
        ? { inconclusive: `Nothing was verified to end: ${plural(streaming.length, 'invocation')} still streaming when --timeout ${timeoutMs / 1000} s passed; raise --timeout` }
        : {}),
    findings,
    suppressed: [],
    skipped: [],
    stats: { filesWalked: 1, filesPrefiltered: 0, filesParsed: 1, packagesInventoried: 0, filesSkipped: 0, durationMs: Date.now() - started },
  };
  if (options.silent) {
    // scan --verify merges this into its own report
  } else if (options.format === 'json') {
    const json = {
      ...toJsonReport(report),
      invocations: runs.map((run) => invocationJson(run, events.find((e) => e.name === run.event)!)),
      ...(options.coverage ? { staticFindings: staticRuns } : {}),
    };
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.stdout(formatReport(report, options.format, { color: options.color, verbose: options.verbose, cwd: root, stepSummaryPath: io.env.GITHUB_STEP_SUMMARY, docsBaseUrl: options.docsUrl }));
  }
  const failing = failingFindings(findings, options.failOn).length > 0;
  // A run in which no event reached the handler is never a pass, whatever --fail-on says.
  return { report, runs, events, staticRuns, exitCode: failing || report.inconclusive !== undefined ? 1 : 0 };
}

/** An exec wrapper must be an executable file, as Lambda runs it directly. */
function checkWrapper(abs: string, given: string): string {
  if (!existsSync(abs) || !statSync(abs).isFile()) throw new UsageError(`--exec-wrapper not found: ${given}`);
  try {
    accessSync(abs, constants.X_OK);
  } catch {
    throw new UsageError(`--exec-wrapper is not executable: ${given} (chmod +x it; Lambda runs it directly)`);
  }
  return abs;
}

/** The file a bootstrap command runs: the first word naming a file under --root (`node runtime.mjs` → runtime.mjs), else the first word. */
function bootstrapFile(command: string, root: string): string {
  const words = command.trim().split(/\s+/);
  for (const word of words) {
    const candidate = resolve(root, word.replace(/^['"]|['"]$/g, ''));
    if (candidate.startsWith(root) && existsSync(candidate) && statSync(candidate).isFile()) return relative(root, candidate).split('\\').join('/');
  }
  return words[0]!;
}

/** The verdict in the text report and in tests: `completed`, `completed, kept running`, `failed`, `failed, kept running`, `hung`, `still streaming`, `crashed`, `init failed`. */
export function verdictWord(d: Diagnosis): string {
  if (d.verdict === 'completed' || d.verdict === 'failed') return d.keptRunning ? `${d.verdict}, kept running` : d.verdict;
  if (d.verdict === 'init-failed') return 'init failed';
  if (d.verdict === 'still-streaming') return 'still streaming';
  return d.verdict;
}

/** The verdict in `--format json` (docs/json-output.md): `kept-running` is a completed response whose invocation did not finish. */
export type JsonVerdict = 'completed' | 'kept-running' | 'failed' | 'hung' | 'still-streaming' | 'crashed' | 'init-failed';

export function jsonVerdict(d: Diagnosis): JsonVerdict {
  return d.verdict === 'completed' && d.keptRunning ? 'kept-running' : d.verdict;
}

/** Cookie values are session secrets: the name is enough for a diagnosis (`sid=<redacted>`). */
function redactCookie(cookie: string): string {
  return `${cookie.split('=')[0]!.trim()}=<redacted>`;
}

/** The prelude's headers as shown: every value as sent, except the cookies of `set-cookie`. */
function shownHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  // A joined Set-Cookie list splits before each `name=` (not at the comma inside an Expires date).
  for (const [name, value] of Object.entries(headers)) out[name] = name === 'set-cookie' ? value.split(/,(?=\s*[^;,=\s]+=)/).map(redactCookie).join(', ') : value;
  return out;
}

/** One invocation as data (`--format json`, `invocations[]`): every key always present, `null` where it does not apply. */
export function invocationJson(run: VerifyRun, event: ProbeEvent) {
  const d = run.diagnosis;
  const c = d.client;
  const init = d.initFailure;
  return {
    id: `${run.lineage} ${run.event}`,
    runtime: run.lineage,
    ricVersion: run.lineage === 'bootstrap' ? null : RIC_VERSIONS[run.lineage],
    event: event.name,
    verdict: jsonVerdict(d),
    status: c ? c.status : null,
    headers: c ? shownHeaders(c.headers) : {},
    cookies: c ? c.cookies.map(redactCookie) : [],
    bodyBytes: c ? c.bodyBytes : null,
    firstByteMs: d.ttfbMs ?? null,
    endMs: d.totalMs ?? null,
    functionError: d.functionError
      ? { ...d.functionError }
      : init?.kind === 'error'
        ? { type: init.type, message: init.message, via: '/init/error' as const }
        : null,
    exit: d.exit ? { code: d.exit.code, signal: d.exit.signal } : null,
  };
}

/** The events of one runtime that did not reach the handler, as the subject of "… reached the handler". */
function notReached(names: string[], total: number): string {
  if (names.length < total) return `${names.length} of the ${total} events (${names.join(', ')}) never`;
  return names.length === 1 ? `no event (${names[0]})` : `none of the ${names.length} events (${names.join(', ')})`;
}

function initText(failure: InitFailure): string {
  if (failure.kind === 'error') return `${errorText(failure)} (POST …/init/error)`;
  if (failure.kind === 'exit') return `the runtime exited (${failure.exit}) before it asked for an event`;
  return `the runtime had not asked for an event after ${(failure.afterMs / 1000).toFixed(1)} s`;
}

function subjectOf(run: VerifyRun, version: string, event: ProbeEvent, timeoutMs: number, verbose: boolean): Subject {
  const d = run.diagnosis;
  const facts: Subject['facts'] = [];
  const kept = d.keptRunning ? `, then kept running: no next /next within --timeout ${timeoutMs / 1000} s` : '';
  const verdict =
    d.verdict === 'hung'
      ? `hung: no end of the response within --timeout ${timeoutMs / 1000} s`
      : d.verdict === 'still-streaming'
        ? `still streaming: the body was still arriving when --timeout ${timeoutMs / 1000} s passed (a slow stream, not a hang; raise --timeout to see it end)`
      : d.verdict === 'crashed'
        ? `crashed: ${d.exit ? (d.exit.signal ? `signal ${d.exit.signal}` : `exit code ${d.exit.code}`) : 'runtime process died'}`
        : d.verdict === 'init-failed'
          ? `init failed: ${initText(d.initFailure!)}; the event never reached the handler`
          : d.verdict === 'failed'
            ? `failed: the handler rejected with ${errorText(d.functionError!)} (${d.functionError!.via === 'trailers' ? 'error trailers' : 'POST …/error'})${kept}`
            : `completed${kept}`;
  facts.push({ label: 'verdict', value: verdict });
  if (d.client) {
    const c = d.client;
    const headers = Object.entries(shownHeaders(c.headers)).map(([k, v]) => `${k}: ${v}`);
    const how = c.source === 'prelude' ? 'from the prelude' : c.source === 'buffered' ? 'buffered result' : 'no prelude: metadata lost';
    facts.push({ label: 'client gets', value: `${c.status}${headers.length ? ` | ${headers.join(' | ')}` : ''} (${how})` });
    if (c.cookies.length > 0) facts.push({ label: 'cookies', value: c.cookies.map(redactCookie).join(', ') });
    facts.push({ label: 'body', value: c.bodyBytes === 0 ? 'none' : `${c.bodyBytes} B${verbose ? `: ${c.bodyPreview}` : ''}` });
  } else {
    facts.push({ label: 'client gets', value: 'nothing: the runtime never posted a response' });
  }
  const timing: string[] = [];
  if (d.ttfbMs !== undefined) timing.push(`first byte ${d.ttfbMs} ms`);
  if (d.totalMs !== undefined) timing.push(`ended ${d.totalMs} ms`);
  if (timing.length) facts.push({ label: 'timing', value: timing.join(', ') });
  if (d.functionError && d.verdict !== 'failed') facts.push({ label: 'function error', value: `${d.functionError.type}${d.functionError.message ? `: ${d.functionError.message}` : ''} (${d.functionError.via})` });
  const notes: string[] = [];
  if (d.keptRunning && run.lineage === '4.x') notes.push('the response was complete but the runtime did not ask for the next event: the handler\'s promise never settled');
  if (verbose && run.stderr.trim()) notes.push(`stderr: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return { id: `${run.lineage} ${run.event}`, title: `${run.lineage} (${version}) ${event.description}`, facts, notes };
}

/** The preload that takes V8 coverage while the handler runs (network and modules untouched), one folder per run. */
function coverageEnv(work: string, requestId: string, stubs: Record<string, string>, offline: boolean): NodeJS.ProcessEnv {
  return writeSandbox(join(work, requestId, 'preload'), { stubs, overrides: {}, offline, coverageEveryMs: 50 }, join(work, requestId, 'v8'));
}

export interface StaticRun {
  ruleId: string;
  line: number;
  /**
   * `confirmed`: an event ran the line and verify reported the same rule for it; `ran-correctly`: events ran it and
   * none showed the bug; `ran-unobservable`: events ran it, but no run can show this rule's bug.
   */
  status: 'confirmed' | 'ran-correctly' | 'ran-unobservable' | 'not-reached' | 'no-coverage';
  /** The runs (`4.x GET /x`) that executed the line. */
  events: string[];
}

/** Each static finding of the handler module against the runs: did some event execute its line, and did that run show the bug? */
function staticCoverage(file: string, abs: string, root: string, runs: VerifyRun[], findings: Finding[]): StaticRun[] {
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch {
    return [];
  }
  const found = analyzeSource({ rel: file, text, origin: 'project', abs, root }, codeRules).findings;
  const starts = lineStartOffsets(text);
  const loaded = runs.some((r) => (r.coverage ?? []).length > 0);
  return found.map((f) => {
    const offset = offsetAt(starts, f.line, f.column);
    if (!loaded) return { ruleId: f.ruleId, line: f.line, status: 'no-coverage' as const, events: [] };
    const ran = runs.filter((r) => r.coverage && executed(r.coverage, offset));
    const { status, runs: shown } = lineStatus(f.ruleId, ran, (r) => findings.some((v) => v.ruleId === f.ruleId && v.field === `${r.lineage} ${r.event}`));
    return { ruleId: f.ruleId, line: f.line, status, events: shown.map((r) => `${r.lineage} ${r.event}`) };
  });
}
