/**
 * `stream-doctor scan [path]`: sources -> facts -> rules -> one report.
 * Orchestration only: walking lives in code/walk, analysis in code/analyze, rules in checks/,
 * output in report/.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding, Report, Severity, SkipNote } from '../model/finding.js';
import { SEVERITY_RANK } from '../model/finding.js';
import { codeRules } from '../checks/code/index.js';
import { checkKnownBadVersions } from '../checks/packages/known-bad-version.js';
import { analyzeSource } from '../code/analyze.js';
import { collectCandidates } from '../code/walk.js';
import { inventoryPackages } from '../code/inventory.js';
import { applyConfig, loadConfig } from '../config/config.js';
import { applySuppressions } from '../config/suppressions.js';
import { applyBaseline, readBaseline, writeBaseline } from '../config/baseline.js';
import { formatReport, type FormatName } from '../report/index.js';
import { createProgress } from '../report/progress.js';
import { UsageError } from './errors.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { checkDeployments } from '../iac/index.js';
import { redactEnvironmentValues } from '../iac/redact.js';

const STREAMING_MARKERS = ['streamifyResponse', 'HttpResponseStream', 'http-integration-response', 'awslambda'];

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
  /** Files larger than this are skipped with a note (parsing costs ~150 MB of memory per MB of bundle). */
  maxFileBytes?: number;
  /** Read the project's infrastructure code and run the deployment rules (default true). */
  deployment?: boolean;
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

  const { config } = await loadConfig(root, options.config);
  const include = isFile ? [path.basename(target)] : (options.include ?? config.include);
  const exclude = options.exclude ?? config.exclude;
  // Every code rule needs a streaming context (a streamified handler or response metadata), so the
  // walker keeps only files with a streaming marker; each rule's own triggers then select within them.
  // Generic triggers such as "drain" or ".pipe(" alone matched ~600 dependency files (docs/performance.md).
  const tokens = STREAMING_MARKERS;

  const progress = createProgress({ enabled: io.progressEnabled });
  progress.update('Scanning…');
  const walked = await collectCandidates({
    root,
    includeDeps: options.deps,
    include,
    exclude,
    tokens,
    ...(options.maxFileBytes ? { maxFileBytes: options.maxFileBytes } : {}),
    onProgress: (walkedCount, candidates) => progress.update(`Scanning… ${walkedCount} files, ${candidates} to analyse`),
  });

  const skipped: SkipNote[] = [...walked.skipped];
  const texts = new Map<string, string>();
  let findings: Finding[] = [];
  let parsed = 0;
  for (const candidate of walked.candidates) {
    progress.update(`Analysing ${candidate.rel}`);
    texts.set(candidate.rel, candidate.text);
    const result = analyzeSource(
      { rel: candidate.rel, text: candidate.text, origin: candidate.origin, package: candidate.package, abs: candidate.abs, root },
      codeRules,
    );
    if (result.parsed) parsed++;
    if (result.skipped) skipped.push(result.skipped);
    findings.push(...result.findings);
  }

  let packagesInventoried = 0;
  if (options.deps) {
    // The walk already inventoried installed packages; a second walk only when it could not.
    let packages = walked.packages;
    if (!packages) {
      const inventory = await inventoryPackages(root);
      packages = inventory.packages;
      skipped.push(...inventory.skipped);
    }
    packagesInventoried = packages.length;
    findings.push(...checkKnownBadVersions(packages, findings));
  }
  if (options.deployment !== false && !isFile) {
    progress.update('Checking deployment configuration…');
    const deployment = await checkDeployments(root);
    findings = withoutRuntimeSpecific(findings, deployment.runtimesByHandler);
    findings.push(...deployment.findings);
    skipped.push(...deployment.skipped);
  }
  progress.stop();

  findings = applyConfig(findings, config);
  // Files that carry directives are checked too, so a directive that suppresses nothing is noted.
  const withDirectives = [...texts].filter(([, text]) => text.includes('stream-doctor-disable')).map(([file]) => file);
  // Infrastructure files are not in `texts` (they are not code candidates): read them for their # directives
  // and code frames, with environment variable values masked (secrets never reach the output).
  const textOf = (file: string) => {
    const text = texts.get(file);
    if (text !== undefined) return text;
    const raw = readTextSafely(path.join(root, file));
    return raw === undefined ? undefined : redactEnvironmentValues(raw);
  };
  const inline = applySuppressions(findings, textOf, { files: withDirectives });
  let kept = inline.kept;
  const suppressed = [...inline.suppressed];
  for (const problem of inline.problems) skipped.push({ file: problem.file, reason: `line ${problem.line}: ${problem.message}` });
  for (const unused of inline.unusedDirectives) {
    skipped.push({ file: unused.file, reason: `line ${unused.line}: unused stream-doctor-disable directive for ${unused.rule}` });
  }

  const baselinePath = options.baseline ?? config.baseline;
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
    stats: {
      filesWalked: walked.filesWalked,
      filesPrefiltered: walked.candidates.length,
      filesParsed: parsed,
      packagesInventoried,
      filesSkipped: skipped.length,
      durationMs: Date.now() - started,
    },
  };
  const failOn = options.failOnExplicit ? options.failOn : (config.failOn ?? options.failOn);
  const threshold = failOn === 'none' ? Infinity : SEVERITY_RANK[failOn];
  const failing = options.updateBaseline ? [] : kept.filter((f) => SEVERITY_RANK[f.severity] >= threshold);
  io.stdout(
    formatReport(report, options.format, {
      color: options.color,
      verbose: options.verbose,
      cwd: io.cwd,
      sourceText: textOf,
      stepSummaryPath: io.env.GITHUB_STEP_SUMMARY,
    }),
  );
  return { report, exitCode: failing.length > 0 ? 1 : 0 };
}

function readTextSafely(file: string): string | undefined {
  try {
    return statSync(file).size <= 4 * 1024 * 1024 ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Rules whose bug exists only in the 3.x runtime (nodejs18.x/20.x/22.x, `meta.onlyRuntime`): when the
 * infrastructure deploys a handler module only on nodejs24.x or later (the 4.x runtime), their findings
 * in that module are not bugs.
 */
const RUNTIME_3X_ONLY = new Set(codeRules.filter((rule) => rule.meta.onlyRuntime === '3.x').map((rule) => rule.meta.id));

function withoutRuntimeSpecific(findings: Finding[], runtimes: Map<string, string[]>): Finding[] {
  return findings.filter((f) => {
    if (!RUNTIME_3X_ONLY.has(f.ruleId)) return true;
    const deployedOn = runtimes.get(f.file);
    return !deployedOn || deployedOn.some((r) => !/^nodejs(2[4-9]|[3-9]\d)\.x$/.test(r));
  });
}
