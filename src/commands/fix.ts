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
import { STREAMING_MARKERS } from '../code/scan-code.js';

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
}

export interface FixIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  progressEnabled: boolean;
  cwd: string;
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

  const { config } = await loadConfig(root, options.config);
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
  const dependencyManifest = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock'].some((name) => existsSync(path.join(root, name)));
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
    const result = fixSource(
      { rel: candidate.rel, text: candidate.text, abs: candidate.abs, root },
      { rules, fixers: codeFixersById, ...(only ? { only } : {}), suppressed },
    );
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
  if (options.format === 'json') io.stdout(`${JSON.stringify(toJson(root, files, dependencies, options.write), null, 2)}\n`);
  else io.stdout(formatText(files, dependencies, options));

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

function formatText(files: FileFix[], dependencies: DependencyPlan, options: FixCommandOptions): string {
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

function toJson(root: string, files: FileFix[], dependencies: DependencyPlan, written: boolean) {
  return {
    schemaVersion: 1,
    root,
    written,
    files: files.map((f) => ({
      file: f.rel,
      changed: f.fixed !== f.original,
      applied: f.applied,
      suggestions: f.suggestions.map((s: FixSuggestion) => ({ ruleId: s.ruleId, line: s.line, suggestion: s.suggestion })),
      ...(f.fixed !== f.original ? { diff: createTwoFilesPatch(`a/${f.rel}`, `b/${f.rel}`, isCreated(f) ? '' : f.original, f.fixed) } : {}),
      ...(f.problem ? { problem: f.problem } : {}),
      ...(f.internalErrors?.length ? { internalErrors: f.internalErrors } : {}),
    })),
    upgrades: dependencies.upgrades,
    advice: dependencies.advice,
  };
}
