/**
 * `scan --verify`: after the static scan, run the project's streaming handlers under aws-lambda-ric (the
 * `verify` command, with V8 coverage and the events mined from the code) and merge both into one report.
 * Each static finding in the project's code says whether a run executed its line and showed the bug
 * (`confirmed`), executed it and behaved correctly (`ran-correctly`: a candidate false positive), loaded the
 * module without reaching the line (`not-reached`), or was not run at all (`not-run`, with the reason). Bugs
 * only a run showed are added once per handler and rule (`observed`). Which handlers ran, and which could
 * not (TypeScript source, dependencies not installed, over the budget), is in `report.verification`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SEVERITY_RANK, type Finding, type FindingVerification, type VerificationSummary } from '../model/finding.js';
import { RUNNABLE, exportedHandlers, notVerifiable } from '../fix/verify.js';
import { UsageError } from '../commands/errors.js';
import { MAX_TIMEOUT_MS, verifyHandler, verdictWord, type VerifyRun } from '../commands/verify.js';
import { RIC_VERSIONS, ensureRicOrFail, ricCacheRoot, type Lineage } from './install.js';
import { executed, lineStartOffsets, lineStatus, offsetAt } from './coverage.js';
import { errorText } from './analyze.js';
import { fingerprintOf } from '../config/fingerprint.js';
import { isRuntime4x } from '../code/scan-code.js';
import { parseTimeout } from '../commands/probe.js';

/** Handlers run per scan: each costs (6 + mined events) × runtimes invocations. */
export const MAX_VERIFIED_HANDLERS = 4;
const CODE = /\.(?:[cm]?[jt]sx?)$/;

export interface ScanVerifyInput {
  root: string;
  findings: Finding[];
  /** Source texts the scan read (root-relative path -> text). */
  texts: ReadonlyMap<string, string>;
  /** Handler module -> the runtimes its deployments name (from the infrastructure code). */
  runtimesByHandler: ReadonlyMap<string, string[]>;
  timeout: string;
  /** Module specifier -> absolute file served in its place while handlers run (`--stub`, the config's `stubs`). */
  stubs: Record<string, string>;
  /** Environment variable names passed to the handlers (`--pass-env`; none by default, credentials never). */
  passEnv: string[];
  format: 'text' | 'other';
}

export interface ScanVerifyIo {
  stderr: (text: string) => void;
  progressEnabled: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ScanVerifyResult {
  findings: Finding[];
  summary: VerificationSummary;
  /** Set when no handler could be run: the verification part of the job was not done. */
  inconclusive?: string;
}

interface HandlerRun {
  handler: string;
  file: string;
  runs: VerifyRun[];
  verifyFindings: Finding[];
  /** The handler's own verify report was inconclusive (why). */
  inconclusive?: string;
}

/** The aws-lambda-ric lineages a handler's deployments run on (both when the deployment is not known). */
export function lineagesFor(runtimes: readonly string[] | undefined): '3.x' | '4.x' | 'both' {
  const lineages = new Set<Lineage>((runtimes ?? []).filter((r) => r.startsWith('nodejs')).map((r) => (isRuntime4x(r) ? '4.x' : '3.x')));
  return lineages.size === 1 ? [...lineages][0]! : 'both';
}

/** The handler modules to run: the deployed ones first, then the project files with findings that export a handler. */
function candidates(input: ScanVerifyInput): { handlers: Array<{ file: string; handler: string }>; notVerified: VerificationSummary['notVerified'] } {
  const files = [...input.runtimesByHandler.keys()];
  const add = (file: string) => {
    if (CODE.test(file) && !/(?:^|\/)node_modules\//.test(file) && !files.includes(file)) files.push(file);
  };
  for (const f of input.findings) if (f.origin === 'project') add(f.file);
  // Streamified handlers without a static finding run too: a bug only a run shows is still a bug.
  for (const [file, text] of input.texts) if (text.includes('streamifyResponse')) add(file);
  const handlers: Array<{ file: string; handler: string }> = [];
  const notVerified: VerificationSummary['notVerified'] = [];
  for (const file of files) {
    const abs = path.join(input.root, file);
    const text = input.texts.get(file) ?? readText(abs);
    if (text === undefined) continue;
    const exports = exportedHandlers(input.root, abs, text);
    // A module without an exported handler is a helper: the runs of the handlers that import it cover it.
    if (exports.length === 0) continue;
    // The same gate as fix --verify: TypeScript, and modules it imports that are not installed (nor stubbed).
    const runnable = notVerifiable(input.root, abs, text, text, input.stubs, exports);
    if ('reason' in runnable) notVerified.push({ file, reason: runnable.reason });
    else for (const handler of runnable.handlers) handlers.push({ file, handler });
  }
  for (const extra of handlers.slice(MAX_VERIFIED_HANDLERS)) {
    notVerified.push({ file: extra.file, reason: `${extra.handler} not run: over the budget of ${MAX_VERIFIED_HANDLERS} handlers per scan (run \`stream-doctor verify ${extra.handler}\`)` });
  }
  return { handlers: handlers.slice(0, MAX_VERIFIED_HANDLERS), notVerified };
}

function readText(abs: string): string | undefined {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}

export async function verifyScan(input: ScanVerifyInput, io: ScanVerifyIo): Promise<ScanVerifyResult> {
  // A bad --verify-timeout is the command line's fault, not one handler's: checked before anything runs.
  if (parseTimeout(input.timeout, '--verify-timeout') > MAX_TIMEOUT_MS) throw new UsageError(`--verify-timeout must be at most ${MAX_TIMEOUT_MS / 1000}s (got "${input.timeout}")`);
  const { handlers, notVerified } = candidates(input);
  const summary: VerificationSummary = { handlers: [], notVerified };
  if (handlers.length === 0) {
    const why = notVerified.length > 0 ? notVerified.map((n) => `${n.file}: ${n.reason}`).join('; ') : 'no JavaScript module in the project exports a handler';
    return { findings: notRunAll(input.findings, notVerified), summary, inconclusive: `--verify ran nothing: ${why}` };
  }
  // The runtimes are built once, up front: a build that fails is the command failing, not a handler.
  const cacheRoot = ricCacheRoot(io.env);
  const wanted = new Set<Lineage>(handlers.flatMap(({ file }) => {
    const l = lineagesFor(input.runtimesByHandler.get(file));
    return l === 'both' ? (['3.x', '4.x'] as const) : [l];
  }));
  for (const lineage of wanted) {
    const log = !io.progressEnabled && input.format === 'text' ? (line: string) => io.stderr(`stream-doctor: ${line}\n`) : undefined;
    await ensureRicOrFail(lineage, cacheRoot, { env: io.env, progress: () => {}, ...(log ? { log } : {}) });
  }

  const codeFiles = [...new Set(input.findings.filter((f) => f.origin === 'project' && RUNNABLE.has(path.extname(f.file))).map((f) => path.join(input.root, f.file)))];
  const done: HandlerRun[] = [];
  for (const { file, handler } of handlers) {
    try {
      const outcome = await verifyHandler(
        {
          handler,
          root: input.root,
          runtime: lineagesFor(input.runtimesByHandler.get(file)),
          events: [],
          codeEvents: true,
          coverage: true,
          coverageFiles: codeFiles,
          stubs: input.stubs,
          // As in fix --verify: calls to AWS or a model API fail at once instead of waiting on credentials (the SDK's
          // provider chain can take seconds, which read as a hang) or reaching a live service from CI.
          offline: true,
          timeout: input.timeout,
          passEnv: input.passEnv,
          format: 'json',
          failOn: 'none',
          color: false,
          verbose: false,
          silent: true,
        },
        { stdout: () => {}, stderr: io.stderr, progressEnabled: io.progressEnabled, cwd: io.cwd, env: io.env },
      );
      done.push({ handler, file, runs: outcome.runs, verifyFindings: outcome.report.findings, ...(outcome.report.inconclusive ? { inconclusive: outcome.report.inconclusive } : {}) });
      const verdicts: Record<string, number> = {};
      for (const run of outcome.runs) verdicts[verdictWord(run.diagnosis)] = (verdicts[verdictWord(run.diagnosis)] ?? 0) + 1;
      const runtimes = [...new Set(outcome.runs.map((r) => r.lineage))].map((l) => (l === 'bootstrap' ? l : `aws-lambda-ric ${RIC_VERSIONS[l]}`));
      const errors = [...new Set(outcome.runs.flatMap((r) => runError(r)))].slice(0, 3);
      summary.handlers.push({ handler, runtimes, events: outcome.events.map((e) => e.name), invocations: outcome.runs.length, verdicts, errors });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      notVerified.push({ file, reason: error.message });
    }
  }
  if (done.length === 0) {
    return { findings: notRunAll(input.findings, notVerified), summary, inconclusive: `--verify ran nothing: ${notVerified.map((n) => `${n.file}: ${n.reason}`).join('; ')}` };
  }
  const merged = merge(input, done, notVerified);
  // Every handler's own verify report inconclusive (init failures, or still streaming when the wait ended): nothing was verified.
  const concluded = done.filter((h) => h.inconclusive === undefined);
  return {
    findings: merged,
    summary,
    ...(concluded.length === 0 ? { inconclusive: `--verify verified no handler: ${done.map((h) => `${h.handler}: ${h.inconclusive}`).join('; ')}` } : {}),
  };
}

/**
 * Rules whose runs say more about this machine than about the code: a handler that fails to load or rejects
 * here usually lacks the deployment's environment variables, credentials or network (seen on a public OpenAI
 * streamer: "The OPENAI_API_KEY environment variable is missing"). Their errors go to the summary, not the findings.
 */
const ENVIRONMENT_RULES = new Set(['handler-init-failed', 'handler-rejected']);

function runError(run: VerifyRun): string[] {
  const d = run.diagnosis;
  if (d.initFailure?.kind === 'error') return [errorText(d.initFailure)];
  return d.functionError ? [errorText(d.functionError)] : [];
}

function notRunAll(findings: Finding[], notVerified: VerificationSummary['notVerified']): Finding[] {
  return findings.map((f) =>
    f.origin === 'project' && CODE.test(f.file) ? { ...f, verification: { status: 'not-run', runs: [], reason: notVerified.find((n) => n.file === f.file)?.reason ?? 'no handler was run' } } : f,
  );
}

/** Each static finding against the runs, and the bugs only a run showed, once per handler and rule. */
function merge(input: ScanVerifyInput, done: HandlerRun[], notVerified: VerificationSummary['notVerified']): Finding[] {
  const several = done.length > 1;
  const label = (h: HandlerRun, run: VerifyRun) => `${several ? `${h.handler} ` : ''}${run.lineage} ${run.event}`;
  const used = new Set<Finding>();
  const lineStarts = new Map<string, number[] | undefined>();
  const offsetOf = (f: Finding): number | undefined => {
    if (!lineStarts.has(f.file)) {
      const text = input.texts.get(f.file) ?? readText(path.join(input.root, f.file));
      lineStarts.set(f.file, text === undefined ? undefined : lineStartOffsets(text));
    }
    const starts = lineStarts.get(f.file);
    return starts ? offsetAt(starts, f.line, f.column) : undefined;
  };

  const out = input.findings.map((f): Finding => {
    if (f.origin !== 'project' || !CODE.test(f.file)) return f;
    const abs = path.join(input.root, f.file);
    const offset = offsetOf(f);
    const loaded = done.flatMap((h) => h.runs.filter((r) => (r.coverageByFile?.get(abs)?.length ?? 0) > 0).map((run) => ({ h, run })));
    let verification: FindingVerification;
    if (loaded.length === 0 || offset === undefined) {
      const own = notVerified.find((n) => n.file === f.file);
      verification = { status: 'not-run', runs: [], reason: own?.reason ?? (RUNNABLE.has(path.extname(f.file)) ? 'no verified handler loaded this module' : `${path.extname(f.file)} source: Node does not run it as is`) };
    } else {
      const ran = loaded.filter(({ run }) => executed(run.coverageByFile!.get(abs)!, offset));
      const shownIn = ({ h, run }: (typeof ran)[number]) => h.verifyFindings.filter((v) => v.ruleId === f.ruleId && v.field === `${run.lineage} ${run.event}`);
      const { status, runs } = lineStatus(f.ruleId, ran.map((r) => ({ ...r, diagnosis: r.run.diagnosis })), (r) => shownIn(r).length > 0);
      if (status === 'confirmed') for (const r of runs) for (const v of shownIn(r)) used.add(v);
      const cutOff = status === 'not-reached' && ran.length > 0;
      verification = {
        status,
        runs: runs.map(({ h, run }) => label(h, run)),
        ...(cutOff ? { reason: `only ${ran.length === 1 ? 'a run' : `${ran.length} runs`} that did not finish (${[...new Set(ran.map(({ run }) => verdictWord(run.diagnosis)))].join(', ')}) may have reached it` } : {}),
      };
    }
    return { ...f, verification };
  });

  // What only a run showed: one finding per handler, rule and message (the runs named), at the strongest severity.
  for (const h of done) {
    const groups = new Map<string, Finding[]>();
    for (const v of h.verifyFindings) {
      if (used.has(v) || ENVIRONMENT_RULES.has(v.ruleId)) continue;
      const key = `${v.ruleId}\0${v.messageId ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), v]);
    }
    for (const group of groups.values()) {
      const first = group[0]!;
      const severity = group.map((v) => v.severity).reduce((a, b) => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a));
      const runs = group.map((v) => `${several ? `${h.handler} ` : ''}${v.field ?? ''}`.trim());
      out.push({
        ...first,
        severity,
        fingerprint: fingerprintOf(first.ruleId, first.file, `verify:${h.handler}:${first.messageId ?? ''}`),
        verification: { status: 'observed', runs },
      });
    }
  }
  return out;
}
