/**
 * `stream-doctor fix [path] [--write] [--rule id...] [--upgrade]`: the fixes for what `scan` reports.
 * Without --write it prints a unified diff and changes nothing; with --write it applies the validated
 * edits atomically (src/fix/write.ts). Handler code: codemods (src/fix/code/); infrastructure code:
 * src/fix/deployment/; dependencies: upgrades through the package manager or patch files
 * (src/fix/dependencies/), never edits in node_modules. Build output is never edited: it is regenerated.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import pc from 'picocolors';
import { codeRules } from '../checks/code/index.js';
import { collectCandidates } from '../code/walk.js';
import { loadConfig } from '../config/config.js';
import { commentStyleFor, parseDirectives } from '../config/suppressions.js';
import { codeFixersById } from '../fix/code/index.js';
import { fixSource, type FileFix, type FixSuggestion } from '../fix/engine.js';
import { fixDeployments } from '../fix/deployment/index.js';
import { planDependencyFixes, type DependencyPlan } from '../fix/dependencies/index.js';
import { FixRefused, writeAll, type PlannedWrite } from '../fix/write.js';
import { allRuleMetas } from '../checks/index.js';
import { createProgress } from '../report/progress.js';
import { UsageError } from './errors.js';
import { infrastructureFilesUnder } from '../iac/index.js';
import { LOCKFILE_NAMES } from '../code/lockfiles/names.js';
import { STREAMING_MARKERS } from '../code/scan-code.js';
import { PROBE_EVENTS, loadEventFile } from '../verify/events.js';
import { RIC_VERSIONS, ensureRic, ensureRicOrFail, isInstalled, ricCacheRoot, type Lineage } from '../verify/install.js';
import { resolveStubs } from '../verify/stubs.js';
import { describeView, notVerifiable, verifyEdit, type FixVerifySettings, type VerifyRow } from '../fix/verify.js';
import { parseTimeout } from './probe.js';

export interface FixCommandOptions {
  path: string;
  write: boolean;
  rules?: string[];
  /** With --write: run the package manager to upgrade dependencies with a fixed version. */
  upgrade: boolean;
  deployment: boolean;
  deps: boolean;
  format: 'text' | 'json';
  color: boolean;
  config?: string;
  /**
   * Run the handlers a code fix touches under aws-lambda-ric before and after it (src/fix/verify.ts). Unset:
   * on with --write when the runtime cache has a build, off otherwise; true builds a missing runtime.
   */
  verify?: boolean;
  /** Which runtimes verify runs: 3.x, 4.x or both (the default). */
  runtime?: '3.x' | '4.x' | 'both';
  /** How long one invocation may run (`5s`, `500ms`). */
  timeout?: string;
  /** `--stub <module>=<file>`: the module replaced by the file while verifying (relative to the working directory). */
  stubs?: string[];
  /** `--event <file>`: also send these events. */
  events?: string[];
  /** Tests: only these built-in verify events (by name). */
  verifyEvents?: string[];
}

export interface FixIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progressEnabled: boolean;
  cwd: string;
  /** Where the runtime cache is looked up (STREAM_DOCTOR_RIC_CACHE); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface FixOutcome {
  exitCode: number;
  files: FileFix[];
  dependencies: DependencyPlan;
}

export async function fixProject(options: FixCommandOptions, io: FixIo): Promise<FixOutcome> {
  const target = path.resolve(io.cwd, options.path);
  if (!existsSync(target)) throw new UsageError(`path not found: ${options.path}`);
  const isFile = statSync(target).isFile();
  const root = isFile ? path.dirname(target) : target;
  const known = new Set(allRuleMetas().map((m) => m.id));
  for (const id of options.rules ?? []) if (!known.has(id)) throw new UsageError(`unknown rule "${id}" (see \`stream-doctor rules\`)`);
  const only = options.rules?.length ? new Set(options.rules) : undefined;
  if (options.upgrade && !options.write) throw new UsageError('--upgrade changes package.json and the lockfile: use it with --write');

  const { config, source: configSource } = await loadConfig(root, options.config);
  const verifier = await verifierFor(options, io, root, config.stubs ?? {}, configSource);
  // Rules turned off in the configuration are not fixed either.
  const rules = codeRules.filter((rule) => config.rules?.[rule.meta.id] !== 'off');
  const progress = createProgress({ enabled: io.progressEnabled });
  progress.update('Looking for fixes…');
  const walked = await collectCandidates({
    root,
    includeDeps: false,
    include: isFile ? [path.basename(target)] : config.include,
    exclude: config.exclude,
    tokens: STREAMING_MARKERS,
  });

  // Like scan: a fix that looked at nothing (no source, no infrastructure, no dependencies) must not say "Nothing to fix".
  const dependencyManifest = ['package.json', ...LOCKFILE_NAMES].some((name) => existsSync(path.join(root, name)));
  if (!isFile && walked.filesWalked === 0 && !dependencyManifest && infrastructureFilesUnder(root, { include: config.include, exclude: config.exclude }).length === 0) {
    progress.stop();
    throw new UsageError(`nothing to fix in ${options.path}: no JavaScript, TypeScript or Python source and no infrastructure file`);
  }

  const files: FileFix[] = [];
  for (const candidate of walked.candidates) {
    if (candidate.origin !== 'project') continue; // build output is regenerated from the sources
    progress.update(`Fixing ${candidate.rel}`);
    const { directives } = parseDirectives(candidate.text, { commentStyle: commentStyleFor(candidate.rel) });
    const suppressed = (ruleId: string, line: number) => directives.some((d) => d.targetLine === line && d.rules.includes(ruleId));
    const run = (refused?: ReadonlyMap<string, string>) =>
      fixSource({ rel: candidate.rel, text: candidate.text, abs: candidate.abs, root }, { rules, fixers: codeFixersById, ...(only ? { only } : {}), suppressed, ...(refused ? { refused } : {}) });
    let result = run();
    if (verifier.settings && result.applied.length > 0) {
      progress.update(`Running ${candidate.rel} before and after its fixes…`);
      result = await verifyFileFixes(verifier.settings, candidate.abs, result, run);
    }
    if (result.applied.length > 0 || result.suggestions.length > 0 || result.problem || result.internalErrors) files.push(result);
  }
  if (options.deployment && !isFile) {
    progress.update('Looking for infrastructure fixes…');
    files.push(...(await fixDeployments(root, { ...(only ? { only } : {}), config })));
  }
  const dependencies = options.deps && !isFile ? await planDependencyFixes(root, { ...(only ? { only } : {}), rules }) : { files: [], upgrades: [], advice: [] };
  files.push(...dependencies.files);
  progress.stop();

  const changed = files.filter((f) => f.fixed !== f.original);
  if (options.format === 'json') io.stdout(`${JSON.stringify(toJson(root, files, dependencies, options.write, verifier), null, 2)}\n`);
  else io.stdout(formatText(files, dependencies, options, verifier));

  if (options.write) {
    const plans: PlannedWrite[] = changed.map((f) => ({ rel: f.rel, original: isCreated(f) ? null : f.original, text: f.fixed }));
    try {
      writeAll(root, plans);
    } catch (error) {
      if (error instanceof FixRefused) throw new UsageError(error.message);
      throw error;
    }
    if (options.upgrade) runUpgrades(root, dependencies, io);
    if (options.format === 'text' && changed.length > 0) {
      const count = changed.reduce((n, f) => n + f.applied.length, 0);
      io.stderr(`stream-doctor: wrote ${count} fix${count === 1 ? '' : 'es'} to ${changed.length} file${changed.length === 1 ? '' : 's'}\n`);
    }
  }
  const internalErrors = files.flatMap((f) => f.internalErrors ?? []);
  if (internalErrors.length > 0) {
    io.stderr(`stream-doctor: ${internalErrors.length} fixer failure(s) (${internalErrors.map((e) => `${e.ruleId} on ${e.file}`).join(', ')}): some findings were not fixed\n`);
    return { exitCode: 2, files, dependencies };
  }
  return { exitCode: 0, files, dependencies };
}

function isCreated(fix: FileFix): boolean {
  return fix.created === true;
}

function runUpgrades(root: string, plan: DependencyPlan, io: FixIo): void {
  for (const upgrade of plan.upgrades) {
    const [cmd, ...args] = upgrade.command;
    io.stderr(`stream-doctor: ${upgrade.command.join(' ')}\n`);
    const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', shell: process.platform === 'win32' });
    if (result.status !== 0) {
      const why = result.error ? result.error.message : (result.stderr ?? '').trim().split('\n').pop();
      throw new UsageError(`upgrading ${upgrade.name} failed (${upgrade.command.join(' ')}): ${why ?? `exit ${result.status}`}`);
    }
  }
}

function formatText(files: FileFix[], dependencies: DependencyPlan, options: FixCommandOptions, verifier: Verifier): string {
  const c = pc.createColors(options.color);
  const out: string[] = [];
  const changed = files.filter((f) => f.fixed !== f.original);
  for (const file of changed) {
    const patch = createTwoFilesPatch(`a/${file.rel}`, `b/${file.rel}`, isCreated(file) ? '' : file.original, file.fixed, undefined, undefined, { context: 3 });
    for (const line of patch.split('\n').slice(1)) {
      if (line.startsWith('+++') || line.startsWith('---')) out.push(c.bold(line));
      else if (line.startsWith('+')) out.push(c.green(line));
      else if (line.startsWith('-')) out.push(c.red(line));
      else if (line.startsWith('@@')) out.push(c.cyan(line));
      else out.push(line);
    }
    for (const applied of file.applied) out.push(c.dim(`# ${file.rel}:${applied.line} ${applied.ruleId}: ${applied.title}`));
    out.push('');
  }
  out.push(...verificationText(files, verifier, c));
  const suggestions = files.flatMap((f) => f.suggestions.map((s) => ({ file: f.rel, s })));
  if (suggestions.length > 0) {
    out.push(c.bold('To fix by hand:'));
    for (const { file, s } of suggestions) out.push(`  ${file}:${s.line}  ${c.dim(s.ruleId)}  ${s.suggestion}`);
    out.push('');
  }
  for (const upgrade of dependencies.upgrades) {
    out.push(`${options.write && options.upgrade ? 'Upgrading' : 'Upgrade'} ${upgrade.name} ${upgrade.from} -> ${upgrade.to}: ${c.bold(upgrade.command.join(' '))}${options.upgrade ? '' : c.dim('  (fix --write --upgrade runs it)')}`);
  }
  for (const line of dependencies.advice) out.push(line);
  for (const file of files.filter((f) => f.problem)) out.push(c.yellow(`! ${file.rel}: not fixed (${file.problem})`));
  for (const error of files.flatMap((f) => f.internalErrors ?? [])) out.push(c.red(`✖ internal error: ${error.ruleId} on ${error.file}: ${error.message}`));
  const count = changed.reduce((n, f) => n + f.applied.length, 0);
  if (count === 0 && suggestions.length === 0 && dependencies.upgrades.length === 0) out.push(c.green('✔ Nothing to fix'));
  else {
    const verb = options.write ? 'applied' : 'would apply';
    out.push(`${count} fix${count === 1 ? '' : 'es'} ${verb} in ${changed.length} file${changed.length === 1 ? '' : 's'}, ${suggestions.length} to fix by hand${options.write ? '' : c.dim(' (run with --write to apply)')}`);
  }
  return `${out.join('\n')}\n`;
}

function toJson(root: string, files: FileFix[], dependencies: DependencyPlan, written: boolean, verifier: Verifier) {
  return {
    schemaVersion: 1,
    root,
    written,
    verify: verifier.settings
      ? { runtimes: [...verifier.settings.ricDirs.keys()].map((l) => ({ runtime: l, ricVersion: RIC_VERSIONS[l] })), events: verifier.settings.events.map((e) => e.name) }
      : { skipped: verifier.skipped ?? 'not requested' },
    files: files.map((f) => ({
      file: f.rel,
      changed: f.fixed !== f.original,
      applied: f.applied.map((a) => (f.verification ? { ...a, verification: f.verification } : a)),
      ...(f.refused?.length ? { refused: f.refused } : {}),
      suggestions: f.suggestions.map((s: FixSuggestion) => ({ ruleId: s.ruleId, line: s.line, suggestion: s.suggestion })),
      ...(f.fixed !== f.original ? { diff: createTwoFilesPatch(`a/${f.rel}`, `b/${f.rel}`, isCreated(f) ? '' : f.original, f.fixed) } : {}),
      ...(f.problem ? { problem: f.problem } : {}),
      ...(f.internalErrors?.length ? { internalErrors: f.internalErrors } : {}),
    })),
    upgrades: dependencies.upgrades,
    advice: dependencies.advice,
  };
}

interface Verifier {
  settings?: FixVerifySettings;
  /** Why nothing was run (shown with --write when verify was on by default but could not be). */
  skipped?: string;
}


async function verifierFor(options: FixCommandOptions, io: FixIo, root: string, fromConfig: Record<string, string>, configSource: string | undefined): Promise<Verifier> {
  const env = io.env ?? process.env;
  if (options.verify === false) return { skipped: '--no-verify' };
  if (options.verify === undefined && !options.write) return { skipped: 'not requested (on by default with --write)' };
  const stubs = resolveStubs(options.stubs ?? [], io.cwd, fromConfig, configSource);
  const cacheRoot = ricCacheRoot(env);
  const wanted: Lineage[] = options.runtime === '3.x' ? ['3.x'] : options.runtime === '4.x' ? ['4.x'] : ['3.x', '4.x'];
  const ricDirs = new Map<Lineage, string>();
  for (const lineage of wanted) {
    if (options.verify === undefined) {
      // On by default only where a runtime is already built: --write never starts a build of minutes.
      if (isInstalled(cacheRoot, RIC_VERSIONS[lineage])) ricDirs.set(lineage, await ensureRic(lineage, cacheRoot, { env, progress: () => {} }));
      continue;
    }
    ricDirs.set(lineage, await ensureRicOrFail(lineage, cacheRoot, { env, progress: () => {}, ...(io.progressEnabled ? {} : { log: (line: string) => io.stderr(`stream-doctor: ${line}\n`) }) }));
  }
  if (ricDirs.size === 0) return { skipped: `no aws-lambda-ric build in the runtime cache (${cacheRoot}): fix --verify builds it` };
  const only = options.verifyEvents;
  const events = [...PROBE_EVENTS.filter((e) => !only || only.includes(e.name)), ...(options.events ?? []).map((file) => loadEventFile(path.resolve(io.cwd, file)))];
  return { settings: { root, ricDirs, events, timeoutMs: parseTimeout(options.timeout ?? '5s'), stubs } };
}

/** At most this many edits of one file are dropped after a run before the rest is given up as unverified. */
const MAX_REFUSALS = 4;

/**
 * Runs the file's handlers before and after its fixes. When some invocation gets worse, the fix that made it
 * worse (the first step whose run is worse than the step before it) is refused and the file fixed again
 * without it; the rest is run again.
 */
async function verifyFileFixes(settings: FixVerifySettings, abs: string | undefined, first: FileFix, again: (refused: ReadonlyMap<string, string>) => FileFix): Promise<FileFix> {
  if (!abs) return { ...first, verification: { state: 'not-verifiable', reason: 'the file has no path on disk' } };
  const gate = notVerifiable(settings.root, abs, first.original, first.fixed, settings.stubs);
  if ('reason' in gate) return { ...first, verification: { state: 'not-verifiable', reason: gate.reason } };
  const refused = new Map<string, string>();
  const dropped: NonNullable<FileFix['refused']> = [];
  let current = first;
  for (let round = 0; round <= MAX_REFUSALS && current.applied.length > 0; round++) {
    const whole = await verifyEdit(settings, abs, gate.handlers, current.original, current.fixed);
    if (whole.state !== 'worse') return { ...current, verification: whole, ...(dropped.length ? { refused: dropped } : {}) };
    const steps = current.steps ?? [];
    let culprit = steps.length - 1;
    let rows = whole.rows;
    if (steps.length > 1) {
      let previous = current.original;
      for (let k = 0; k < steps.length; k++) {
        const step = await verifyEdit(settings, abs, gate.handlers, previous, steps[k]!.text);
        if (step.state === 'worse') {
          culprit = k;
          rows = step.rows;
          break;
        }
        previous = steps[k]!.text;
      }
    }
    const worst = rows.find((r) => r.worse.length > 0)!;
    refused.set(steps[culprit]!.key, `running it made ${worst.runtime} ${worst.event} worse: ${describeView(worst.before)} → ${describeView(worst.after)}`);
    dropped.push({ ...current.applied[culprit]!, rows });
    if (round === MAX_REFUSALS) break;
    current = again(refused);
  }
  // Out of rounds, or every edit dropped: what is left is not shown as verified.
  return current.applied.length > 0
    ? { ...first, fixed: first.original, applied: [], suggestions: first.suggestions, verification: { state: 'not-verifiable', reason: 'too many edits made some invocation worse' }, refused: dropped }
    : { ...current, refused: dropped };
}

/** The before→after table: the rows that changed (every row of a refused fix's worse runs), and the counts. */
function verificationText(files: FileFix[], verifier: Verifier, c: ReturnType<typeof pc.createColors>): string[] {
  const out: string[] = [];
  const settings = verifier.settings;
  if (!settings) return out;
  const touched = files.filter((f) => f.verification || f.refused?.length);
  if (touched.length === 0) return out;
  const runtimes = [...settings.ricDirs.keys()].map((l) => `${l} (aws-lambda-ric ${RIC_VERSIONS[l]})`).join(' and ');
  out.push(c.bold(`Run under ${runtimes}, before and after each fix, with ${settings.events.map((e) => e.name).join(', ')}:`));
  for (const file of touched) {
    const v = file.verification;
    if (v?.state === 'not-verifiable') out.push(`  ${c.yellow('?')} ${file.rel}: not verifiable: ${v.reason}${file.applied.length ? ' (the fixes above are validated statically only)' : ''}`);
    else if (v && file.applied.length > 0) {
      const changed = v.rows.filter((r) => describeView(r.before) !== describeView(r.after));
      out.push(`  ${c.green('✔')} ${file.rel}: verified: ${v.rows.length} invocation${v.rows.length === 1 ? '' : 's'}, none worse${changed.length ? `, ${changed.length} changed:` : ', none changed'}`);
      out.push(...table(changed, c));
    }
    for (const refused of file.refused ?? []) {
      out.push(`  ${c.red('✖')} ${file.rel}:${refused.line} ${refused.ruleId}: ${refused.title}: refused, some invocation gets worse:`);
      out.push(...table(refused.rows.filter((r) => r.worse.length > 0), c));
    }
  }
  out.push('');
  return out;
}

function table(rows: VerifyRow[], c: ReturnType<typeof pc.createColors>): string[] {
  if (rows.length === 0) return [];
  const handlers = new Set(rows.map((r) => r.handler)).size > 1;
  // The function error is already in the after column.
  const cells = rows.map((r) => [handlers ? `${r.handler} ` : '', r.runtime, r.event, describeView(r.before), describeView(r.after), r.worse.filter((w) => !w.startsWith('function error')).join('; ')]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((row) => row[i]!.length), i === 1 ? 'runtime'.length : i === 2 ? 'event'.length : i === 3 ? 'before'.length : 0));
  const line = (row: string[], worse = '') => `      ${row[0]!.padEnd(widths[0]!)}${row[1]!.padEnd(widths[1]! + 2)}${row[2]!.padEnd(widths[2]! + 2)}${row[3]!.padEnd(widths[3]!)}  →  ${row[4]}${worse ? `  ${c.red(worse)}` : ''}`;
  return [c.dim(line(['', 'runtime', 'event', 'before', 'after'])), ...cells.map((row) => line(row, row[5]))];
}
