/**
 * `stream-doctor scan [path]`: sources -> facts -> rules -> one report.
 * Orchestration only: walking lives in code/walk, analysis in code/analyze, rules in checks/,
 * output in report/.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Report, Severity, SkipNote } from '../model/finding.js';
import { gateExitCode } from '../model/finding.js';
import { startCodeWalk } from '../code/code-walk.js';
import { applyConfig, loadConfig, rebaseGlobs } from '../config/config.js';
import { formatsFor } from '../iac/formats.js';
import { applySuppressions } from '../config/suppressions.js';
import { applyBaseline, readBaseline, writeBaseline } from '../config/baseline.js';
import type { FormatName } from '../report/format-names.js';
import { createProgress } from '../report/progress.js';
import { UsageError } from './errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { redactEnvironmentValues } from '../iac/redact.js';

export interface ScanOptions {
  path: string;
  format: FormatName;
  failOn: Severity | 'none';
  failOnExplicit: boolean;
  deps: boolean;
  include?: string[];
  exclude?: string[];
  config?: string;
  baseline?: string;
  updateBaseline?: boolean;
  verbose: boolean;
  color: boolean;
  /** `--docs-url`: the rule pages' base for the Markdown summaries (report/markdown.ts `ruleDocsUrl`). */
  docsUrl?: string;
  /** Files larger than this are skipped with a note (parsing costs ~150 MB of memory per MB of bundle). */
  maxFileBytes?: number;
  /** Read the project's infrastructure code and run the deployment rules (default true). */
  deployment?: boolean;
  /** `--verify`: also run the project's handlers under aws-lambda-ric and merge the runs into the report (src/verify/scan-verify.ts). */
  verify?: boolean;
  /** `--verify-timeout`: how long one verify invocation may run (default 5s). */
  verifyTimeout?: string;
  /** `--stub <module>=<file>` (with --verify): modules replaced by a file while handlers run, beside the config's `stubs`. */
  stubs?: string[];
  /** `--pass-env <name>` (with --verify): environment variables passed to the handlers. */
  passEnv?: string[];
}

export interface ScanIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progressEnabled: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface ScanOutcome {
  report: Report;
  exitCode: number;
}

/** Runs a scan and returns the report; throws UsageError when the scan cannot run. */
export async function scanProject(options: ScanOptions, io: ScanIo): Promise<ScanOutcome> {
  const started = Date.now();
  const target = path.resolve(io.cwd, options.path);
  if (!existsSync(target)) throw new UsageError(`path not found: ${options.path}`);
  const isFile = statSync(target).isFile();
  const root = isFile ? path.dirname(target) : target;

  const { config, source: configSource } = await loadConfig(root, options.config);
  // The config's paths are relative to its own folder (which may be above the scanned one).
  const configDir = configSource ? path.dirname(configSource) : root;
  const configGlobs = (globs: string[] | undefined) => (globs ? rebaseGlobs(globs, configDir, root) : undefined);
  const include = isFile ? [path.basename(target)] : (options.include ?? configGlobs(config.include));
  const exclude = options.exclude ?? configGlobs(config.exclude);
  const progress = createProgress({ enabled: io.progressEnabled });
  progress.update('Scanning…');
  // The walk starts before the analysis and the formatters are loaded: they load while it runs (between its
  // slices), instead of delaying it and the pre-filter worker it starts (docs/performance.md, "Fourth pass").
  const analysis = import('../code/scan-code.js');
  const reporting = import('../report/index.js');
  reporting.catch(() => undefined); // awaited at the end: not an unhandled rejection before then
  const codeOptions = {
    root,
    deps: options.deps,
    include,
    exclude,
    ...(options.maxFileBytes ? { maxFileBytes: options.maxFileBytes } : {}),
    onWalk: (walkedCount: number, candidates: number) => progress.update(`Scanning… ${walkedCount} files, ${candidates} to analyse`),
    onFile: (rel: string) => progress.update(`Analysing ${rel}`),
  };
  const walk = startCodeWalk(codeOptions);
  // A single file is read as the deployment it is when a format takes it (joined to the handlers beside it).
  const deploymentTarget = options.deployment !== false && (!isFile || formatsFor(path.basename(target)).length > 0);
  // The deployment checks do not depend on the code scan: they run while it does (between the walk's slices and
  // the pre-filter's chunks, as the worker reads on), not after it. Loaded only here: --no-deployment (and a scan
  // of one source file) never loads the readers, the deployment rules or the handler-facts modules.
  const deploymentCheck = deploymentTarget
    ? import('../iac/index.js').then(({ checkDeployments }) => checkDeployments(root, isFile ? { only: path.basename(target) } : { include, exclude }))
    : undefined;
  deploymentCheck?.catch(() => undefined); // awaited below: not an unhandled rejection before then
  const { scanCode, withoutRuntimeSpecific } = await analysis;
  const code = await scanCode({ ...codeOptions, walk });
  const skipped: SkipNote[] = code.skipped;
  const internalErrors = [...code.internalErrors];
  const texts = code.texts;
  let findings: Finding[] = code.findings;
  let infrastructureFiles = 0;
  let runtimesByHandler: ReadonlyMap<string, string[]> = new Map();
  if (deploymentCheck) {
    progress.update('Checking deployment configuration…');
    const deployment = await deploymentCheck;
    infrastructureFiles = deployment.filesRead;
    runtimesByHandler = deployment.runtimesByHandler;
    findings = withoutRuntimeSpecific(findings, (file) => deployment.runtimesByHandler.get(file));
    findings.push(...deployment.findings);
    skipped.push(...deployment.skipped);
    internalErrors.push(...deployment.internalErrors);
  }
  progress.stop();
  nothingScanned(options, code, infrastructureFiles, skipped);

  let verification: Awaited<ReturnType<typeof import('../verify/scan-verify.js').verifyScan>> | undefined;
  if (options.verify) {
    // Loaded only with --verify: the runtime client, the sandbox and the verify command stay out of a plain scan.
    const { verifyScan } = await import('../verify/scan-verify.js');
    const { resolveStubs } = await import('../verify/stubs.js');
    const stubs = resolveStubs(options.stubs ?? [], io.cwd, config.stubs ?? {}, configSource);
    verification = await verifyScan(
      { root, findings, texts, runtimesByHandler, timeout: options.verifyTimeout ?? '5s', stubs, passEnv: options.passEnv ?? [], format: options.format === 'text' ? 'text' : 'other' },
      io,
    );
    findings = verification.findings;
  }

  findings = applyConfig(findings, config);
  // Files that carry directives are checked too, so a directive that suppresses nothing is noted.
  const withDirectives = [...texts].filter(([, text]) => text.includes('stream-doctor-disable')).map(([file]) => file);
  // Infrastructure files are not in `texts` (they are not code candidates): read them for their # directives
  // and code frames, with environment variable values masked (secrets never reach the output).
  // Read and redacted once per file: every finding in a template asks for it again (directives, code frames).
  const infraTexts = new Map<string, string | undefined>();
  const textOf = (file: string) => {
    const text = texts.get(file);
    if (text !== undefined) return text;
    if (infraTexts.has(file)) return infraTexts.get(file);
    const raw = readTextSafely(path.join(root, file));
    const redacted = raw === undefined ? undefined : redactEnvironmentValues(raw);
    infraTexts.set(file, redacted);
    return redacted;
  };
  const inline = applySuppressions(findings, textOf, { files: withDirectives });
  let kept = inline.kept;
  const suppressed = [...inline.suppressed];
  for (const problem of inline.problems) skipped.push({ file: problem.file, reason: `line ${problem.line}: ${problem.message}` });
  for (const unused of inline.unusedDirectives) {
    skipped.push({ file: unused.file, reason: `line ${unused.line}: unused stream-doctor-disable directive for ${unused.rule}` });
  }

  const baselinePath = options.baseline ?? (config.baseline ? path.resolve(configDir, config.baseline) : undefined);
  if (options.updateBaseline) {
    const file = path.resolve(root, baselinePath ?? '.stream-doctor-baseline.json');
    await writeBaseline(file, kept);
    io.stderr(`stream-doctor: wrote ${kept.length} finding(s) to ${path.relative(io.cwd, file) || file}\n`);
  } else if (baselinePath) {
    const baseline = await readBaseline(path.resolve(root, baselinePath));
    const applied = applyBaseline(kept, baseline);
    kept = applied.kept;
    suppressed.push(...applied.suppressed);
  }

  const report: Report = {
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    root,
    findings: kept,
    suppressed,
    skipped,
    internalErrors,
    ...(verification ? { verification: verification.summary } : {}),
    ...(verification?.inconclusive ? { inconclusive: verification.inconclusive } : {}),
    stats: {
      filesWalked: code.filesWalked,
      filesPrefiltered: code.filesPrefiltered,
      filesParsed: code.filesParsed,
      packagesInventoried: code.packagesInventoried,
      infrastructureFiles,
      filesSkipped: skipped.length,
      durationMs: Date.now() - started,
    },
  };
  const failOn = options.failOnExplicit ? options.failOn : (config.failOn ?? options.failOn);
  const gate = options.updateBaseline ? 0 : gateExitCode(report, failOn);
  // --verify that ran nothing is never a pass (as `verify` with no event reaching the handler).
  const exitCode = report.inconclusive !== undefined && gate === 0 ? 1 : gate;
  const { formatReport } = await reporting;
  io.stdout(
    formatReport(report, options.format, {
      color: options.color,
      verbose: options.verbose,
      cwd: io.cwd,
      sourceText: textOf,
      stepSummaryPath: io.env.GITHUB_STEP_SUMMARY,
      docsBaseUrl: options.docsUrl,
    }),
  );
  if (exitCode === 2) io.stderr(`stream-doctor: ${internalErrors.length} rule failure(s): findings may be missing, so the check cannot pass (see the report)\n`);
  return { report, exitCode };
}

/**
 * A scan that looked at nothing must not say "No problems found" (like ESLint's "No files matching"): no
 * source, infrastructure or package at all, or every candidate source skipped and nothing else read.
 */
function nothingScanned(options: ScanOptions, code: { filesWalked: number; filesParsed: number; sourcesSkipped: number; packagesInventoried: number }, infrastructureFiles: number, skipped: SkipNote[]): void {
  if (infrastructureFiles > 0 || code.packagesInventoried > 0 || code.filesParsed > 0) return;
  const filtered = options.include || options.exclude ? ' (after --include/--exclude)' : '';
  if (code.filesWalked === 0 && code.sourcesSkipped === 0) {
    throw new UsageError(`nothing to scan in ${options.path}: no JavaScript, TypeScript or Python source and no infrastructure file${filtered}`);
  }
  if (code.sourcesSkipped > 0 && code.sourcesSkipped >= code.filesWalked) {
    const first = skipped[0];
    throw new UsageError(`nothing was analysed in ${options.path}: every source file was skipped${first ? ` (${first.file}: ${first.reason})` : ''}`);
  }
}

function readTextSafely(file: string): string | undefined {
  try {
    return statSync(file).size <= 4 * 1024 * 1024 ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}
