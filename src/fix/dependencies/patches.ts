/**
 * Patches for bugs in installed packages that no released version fixes: the code fixers run on the
 * dependency's file (read from node_modules, never written there), and the accepted edits become a patch
 * file that the package manager applies on every install:
 * - npm, Yarn 1, no lockfile: patch-package (`patches/<name>+<version>.patch`, paths `node_modules/<name>/…`,
 *   applied by a `postinstall` script);
 * - pnpm: its own patches (`patches/<name>@<version>.patch`, paths relative to the package, registered in
 *   `patchedDependencies`: package.json's "pnpm" field up to pnpm 10, pnpm-workspace.yaml from pnpm 10);
 * - Yarn 2+ (`patch:` protocol) and bun (`bun patch`): advice with the diff, their commands create the patch.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import semver from '../../util/semver.js';
import { parseDocument } from 'yaml';
import type { InstalledPackage } from '../../code/inventory.js';
import { analyzeSource } from '../../code/analyze.js';
import type { Finding } from '../../model/finding.js';
import type { CodeRule } from '../../model/rule.js';
import { codeFixersById } from '../code/index.js';
import { fixSource, type AppliedFix, type FileFix, type FixSuggestion } from '../engine.js';
import { setTopLevelKey, type ProjectManifest } from './manifest.js';
import { describeManager, devInstallText, installText, type PackageManager } from './package-manager.js';
import { gitDiff, needsQuoting, patchPackageFileName, patchPackageNames, pnpmPatchFileName, type DiffFile } from './patch-format.js';

export type PatchFormat = 'patch-package' | 'pnpm';

export interface PatchInfo {
  name: string;
  version: string;
  /** The patch file, relative to the root. */
  file: string;
  format: PatchFormat;
  /** Rule ids the patch fixes. */
  rules: string[];
}

export interface PatchPlan {
  files: FileFix[];
  advice: string[];
  patches: PatchInfo[];
}

export interface PatchInput {
  root: string;
  pm: PackageManager;
  manifest: ProjectManifest;
  packages: InstalledPackage[];
  /** Dependency findings (with `package`) to patch, already filtered by --rule. */
  findings: Finding[];
  /** Texts of the scanned files by root-relative path. */
  texts: Map<string, string>;
  rules: readonly CodeRule[];
  only?: ReadonlySet<string>;
}

/** A dependency file the fixers changed. */
interface FixedFile {
  pkg: InstalledPackage;
  /** Root-relative path of the file in node_modules. */
  rel: string;
  /** Path inside the package. */
  inner: string;
  result: FileFix;
  mode: string;
}

/** The installed copy a file belongs to: same name and version, the longest directory containing it. */
function owner(packages: InstalledPackage[], finding: Finding): InstalledPackage | undefined {
  const ref = finding.package!;
  return packages
    .filter((p) => p.name === ref.name && p.version === ref.version && finding.file.startsWith(`${p.dir}/`))
    .sort((a, b) => b.dir.length - a.dir.length)[0];
}

function readText(root: string, rel: string, texts: Map<string, string>): string | undefined {
  const known = texts.get(rel);
  if (known !== undefined) return known;
  try {
    return readFileSync(path.join(root, rel), 'utf8');
  } catch {
    return undefined;
  }
}

function gitMode(abs: string): string {
  try {
    return statSync(abs).mode & 0o111 ? '100755' : '100644';
  } catch {
    return '100644';
  }
}

function countByRule(items: Array<{ ruleId: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { ruleId } of items) counts.set(ruleId, (counts.get(ruleId) ?? 0) + 1);
  return counts;
}

/**
 * The fixed text must pass the rules it was patched for: re-analysed, a rule that was fixed reports at
 * most what was left as a suggestion. (The engine checks this per edit; this checks the whole result.)
 */
function verified(root: string, file: FixedFile, rules: readonly CodeRule[]): string | undefined {
  const after = analyzeSource({ rel: file.rel, text: file.result.fixed, origin: 'dependency', abs: path.join(root, file.rel), root }, rules);
  if (after.skipped) return `the patched file could not be analysed (${after.skipped.reason})`;
  const left = countByRule(file.result.suggestions);
  const now = countByRule(after.findings);
  for (const ruleId of new Set(file.result.applied.map((a) => a.ruleId))) {
    if ((now.get(ruleId) ?? 0) > (left.get(ruleId) ?? 0)) return `${ruleId} still reports the patched file`;
  }
  return undefined;
}

function suggestionAdvice(rel: string, suggestion: FixSuggestion): string {
  return `${rel}:${suggestion.line} ${suggestion.ruleId}: not patched automatically. ${suggestion.suggestion}`;
}

/** Indents a diff so that it reads as part of one advice entry. */
function indentDiff(diff: string): string {
  return diff
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** The value when it is a plain object. */
function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Where pnpm reads `patchedDependencies`: only package.json's "pnpm" field up to pnpm 9, only
 * pnpm-workspace.yaml from pnpm 11; pnpm 10 reads package.json when it has a "pnpm" field (and then ignores
 * the workspace file's settings), else pnpm-workspace.yaml.
 */
export function pnpmSettingsFile(pm: PackageManager, manifest: ProjectManifest): 'package.json' | 'pnpm-workspace.yaml' {
  if ((pm.major ?? 0) >= 11) return 'pnpm-workspace.yaml';
  if (pm.major !== undefined && pm.major <= 9) return 'package.json';
  // pnpm 10, or a version not known: follow where the project keeps its pnpm settings.
  if (asRecord(manifest.json?.pnpm)) return 'package.json';
  return pm.pnpmWorkspaceFile ? 'pnpm-workspace.yaml' : 'package.json';
}

export function planPatches(input: PatchInput): PatchPlan {
  const { root, pm, manifest, packages, rules, only } = input;
  const plan: PatchPlan = { files: [], advice: [], patches: [] };

  // 1. Fix each dependency file in memory.
  const byFile = new Map<string, InstalledPackage>();
  for (const finding of input.findings) {
    if (byFile.has(finding.file)) continue;
    const pkg = owner(packages, finding);
    if (pkg) byFile.set(finding.file, pkg);
  }
  const fixed: FixedFile[] = [];
  for (const [rel, pkg] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const text = readText(root, rel, input.texts);
    if (text === undefined) continue;
    const abs = path.join(root, rel);
    const options = { rules, fixers: codeFixersById, ...(only ? { only } : {}) };
    const result = fixSource({ rel, text, abs, root, origin: 'dependency' }, options);
    if (result.problem) {
      plan.advice.push(`${rel}: not patched (${result.problem}).`);
      continue;
    }
    for (const suggestion of result.suggestions) plan.advice.push(suggestionAdvice(rel, suggestion));
    if (result.applied.length === 0) continue;
    const file: FixedFile = { pkg, rel, inner: rel.slice(pkg.dir.length + 1), result, mode: gitMode(abs) };
    const problem = verified(root, file, rules);
    if (problem) {
      plan.advice.push(`${rel}: not patched (${problem}).`);
      continue;
    }
    fixed.push(file);
  }
  if (fixed.length === 0) return plan;

  // 2. One patch per installed package version.
  const groups = new Map<string, FixedFile[]>();
  for (const file of fixed) {
    const key = pm.name === 'pnpm' ? `${file.pkg.name}@${file.pkg.version}` : file.pkg.dir;
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  const pnpmEntries: Array<[key: string, file: string]> = [];
  const patchPackageFiles: string[] = [];
  for (const files of groups.values()) {
    const { pkg } = files[0];
    const label = `${pkg.name}@${pkg.version}`;
    const ruleIds = [...new Set(files.flatMap((f) => f.result.applied.map((a) => a.ruleId)))].sort();
    const unsafe = files.find((f) => needsQuoting(f.rel));
    if (unsafe) {
      plan.advice.push(`${label}: no patch written: the path ${unsafe.rel} would need quoting in a patch.`);
      continue;
    }
    const innerDiff = () => gitDiff(files.map((f) => ({ path: f.inner, original: f.result.original, fixed: f.result.fixed, mode: f.mode })), { fullIndex: true });

    if (pm.name === 'yarn' && pm.berry) {
      plan.advice.push(
        `${label} (${pkg.dir}): no released version fixes ${ruleIds.join(', ')}. Yarn 2+ applies patches through its patch: protocol, which stream-doctor does not write: ` +
          `run \`yarn patch ${label}\`, apply this diff in the folder it prints (\`git apply\`), then \`yarn patch-commit -s <folder>\`:\n${indentDiff(innerDiff())}`,
      );
      continue;
    }
    if (pm.name === 'bun') {
      plan.advice.push(
        `${label} (${pkg.dir}): no released version fixes ${ruleIds.join(', ')}. bun applies patches listed in "patchedDependencies": ` +
          `run \`bun patch ${label}\`, apply this diff in ${pkg.dir} (\`git apply\`), then \`bun patch --commit ${pkg.dir}\`:\n${indentDiff(innerDiff())}`,
      );
      continue;
    }

    const format: PatchFormat = pm.name === 'pnpm' ? 'pnpm' : 'patch-package';
    const names = format === 'patch-package' ? patchPackageNames(pkg.dir) : undefined;
    if (format === 'patch-package' && !names) {
      plan.advice.push(
        `${label} (${pkg.dir}): patch-package only patches packages installed as node_modules/<name> (or nested node_modules/<a>/node_modules/<b>); fix ${ruleIds.join(', ')} where this copy comes from.`,
      );
      continue;
    }
    const patchRel = names ? patchPackageFileName(names, pkg.version) : pnpmPatchFileName(pkg.name, pkg.version);
    const diffFiles: DiffFile[] = files.map((f) => ({ path: format === 'pnpm' ? f.inner : f.rel, original: f.result.original, fixed: f.result.fixed, mode: f.mode }));
    const text = gitDiff(diffFiles, { fullIndex: format === 'pnpm' });
    const written = readExisting(path.join(root, patchRel));
    const record = () => plan.patches.push({ name: pkg.name, version: pkg.version, file: patchRel, format, rules: ruleIds });

    if (format === 'pnpm') {
      const settings = pnpmSettingsFile(pm, manifest);
      const existing = settings === 'package.json' ? asRecord(asRecord(manifest.json?.pnpm)?.patchedDependencies) : readWorkspacePatched(root);
      const registered = existing && Object.keys(existing).find((key) => patchKeyCovers(key, pkg));
      if (written === text) {
        // Written by an earlier run: register it if that has not happened yet.
        record();
        if (!registered) pnpmEntries.push([label, patchRel]);
        else plan.advice.push(`${patchRel} already holds this fix: run \`${installText(pm)}\` to apply it.`);
        continue;
      }
      if (registered) {
        plan.advice.push(
          `${label}: ${settings} already lists a patch for ${registered} (node_modules holds the patched files): extend it with \`pnpm patch ${label}\`, apply this diff in the folder it prints, then \`pnpm patch-commit <folder>\`:\n${indentDiff(text)}`,
        );
        continue;
      }
    } else {
      const existing = patchPackageFilesFor(root, names!, pkg.version);
      if (written === text) {
        record();
        plan.advice.push(`${patchRel} already holds this fix: run \`npx patch-package\` (or reinstall) to apply it.`);
        continue;
      }
      if (existing.length > 0) {
        plan.advice.push(
          `${label}: ${existing[0]} already patches it (node_modules holds the patched files): apply this diff from the project root (\`git apply\`) and run \`npx patch-package ${names!.join('/')}\` to regenerate the patch:\n${indentDiff(text)}`,
        );
        continue;
      }
    }
    if (written !== undefined || existsSync(path.join(root, patchRel))) {
      plan.advice.push(`${label}: ${patchRel} already exists with other changes; not overwritten:\n${indentDiff(text)}`);
      continue;
    }
    plan.files.push({ rel: patchRel, original: '', fixed: text, applied: appliedIn(text, files, format), suggestions: [], created: true });
    record();
    if (format === 'pnpm') pnpmEntries.push([label, patchRel]);
    else patchPackageFiles.push(patchRel);
  }

  // 3. Registration and how the patches get applied.
  if (pnpmEntries.length > 0) registerPnpmPatches(root, pm, manifest, pnpmEntries, plan);
  if (patchPackageFiles.length > 0) plan.advice.push(patchPackageAdvice(pm, manifest, patchPackageFiles));
  return plan;
}

/**
 * The patch-package files in patches/ for one installed copy (`<name>+<version>.patch`, `.dev.patch`, or a
 * sequence `<name>+<version>+001+label.patch`), root-relative; scoped packages' legacy files sit one level
 * down (patches/@scope/name+1.0.0.patch).
 */
function patchPackageFilesFor(root: string, names: string[], version: string): string[] {
  const prefix = path.basename(patchPackageFileName(names, version), '.patch');
  const list = (at: string) => {
    try {
      return readdirSync(path.join(root, at));
    } catch {
      return [];
    }
  };
  const candidates = list('patches').flatMap((entry) =>
    entry.startsWith('@') && isDirectory(path.join(root, 'patches', entry))
      ? list(`patches/${entry}`).map((inner) => ({ name: `${entry}+${inner}`, rel: `patches/${entry}/${inner}` }))
      : [{ name: entry, rel: `patches/${entry}` }],
  );
  return candidates.filter(({ name }) => name === `${prefix}.patch` || name === `${prefix}.dev.patch` || name.startsWith(`${prefix}+`)).map(({ rel }) => rel);
}

/** A patch the project already has for this installed copy (its path), whatever it changes. */
export function existingPatchFor(root: string, pm: PackageManager, manifest: ProjectManifest, pkg: InstalledPackage): string | undefined {
  if (pm.name === 'pnpm') {
    const settings = pnpmSettingsFile(pm, manifest);
    const registered = settings === 'package.json' ? asRecord(asRecord(manifest.json?.pnpm)?.patchedDependencies) : readWorkspacePatched(root);
    const key = registered && Object.keys(registered).find((k) => patchKeyCovers(k, pkg));
    return key ? String(registered[key]) : undefined;
  }
  if (pm.name === 'bun') {
    const registered = asRecord(manifest.json?.patchedDependencies);
    const key = registered && Object.keys(registered).find((k) => patchKeyCovers(k, pkg));
    return key ? String(registered[key]) : undefined;
  }
  const names = patchPackageNames(pkg.dir);
  return names ? patchPackageFilesFor(root, names, pkg.version)[0] : undefined;
}

/** The applied fixes, each pointing at the hunk of the patch that holds it and naming the dependency file. */
function appliedIn(patchText: string, files: FixedFile[], format: PatchFormat): AppliedFix[] {
  const lines = patchText.split('\n');
  const out: AppliedFix[] = [];
  for (const file of files) {
    const shown = format === 'pnpm' ? file.inner : file.rel;
    const header = lines.indexOf(`diff --git a/${shown} b/${shown}`);
    const hunks: Array<{ index: number; newStart: number }> = [];
    for (let i = header + 1; i < lines.length && !lines[i].startsWith('diff --git '); i++) {
      const match = /^@@ -\d+(?:,\d+)? \+(\d+)/.exec(lines[i]);
      if (match) hunks.push({ index: i, newStart: Number(match[1]) });
    }
    for (const applied of file.result.applied) {
      // The report's line is in the text the edit was made to: close to the fixed text's numbering.
      const hunk = hunks.filter((h) => h.newStart <= applied.line).at(-1) ?? hunks[0];
      out.push({ ruleId: applied.ruleId, title: `${applied.title} in ${file.rel}:${applied.line}`, line: (hunk ? hunk.index : Math.max(header, 0)) + 1 });
    }
  }
  return out;
}

/** Whether a `patchedDependencies` key (`name`, `name@version` or `name@range`) applies to the installed version. */
function patchKeyCovers(key: string, pkg: InstalledPackage): boolean {
  if (key === pkg.name) return true;
  if (!key.startsWith(`${pkg.name}@`)) return false;
  const range = key.slice(pkg.name.length + 1);
  return range === pkg.version || (semver.validRange(range) !== null && semver.satisfies(pkg.version, range, { includePrerelease: true }));
}

function isDirectory(abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

function readExisting(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readWorkspacePatched(root: string): Record<string, unknown> | undefined {
  try {
    const doc = parseDocument(readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8'));
    return asRecord((doc.toJS() as Record<string, unknown> | null)?.patchedDependencies);
  } catch {
    return undefined;
  }
}

/** `patchedDependencies` entries for the new pnpm patches: an edit of package.json or pnpm-workspace.yaml. */
function registerPnpmPatches(root: string, pm: PackageManager, manifest: ProjectManifest, entries: Array<[string, string]>, plan: PatchPlan): void {
  const settings = pnpmSettingsFile(pm, manifest);
  const list = entries.map(([, file]) => file).join(', ');
  const apply = `pnpm applies ${list} on every install: run \`${installText(pm)}\` now (it records the patches in pnpm-lock.yaml; commit it with them).`;
  if (settings === 'package.json') {
    if (!manifest.json) {
      plan.advice.push(`Register ${list} in "pnpm": { "patchedDependencies": … } of package.json (package.json could not be read). ${apply}`);
      return;
    }
    const pnpm = { ...asRecord(manifest.json.pnpm) };
    const patched = { ...asRecord(pnpm.patchedDependencies) };
    for (const [key, file] of entries) patched[key] = file;
    pnpm.patchedDependencies = patched;
    plan.files.push({ rel: 'package.json', original: manifest.text, fixed: setTopLevelKey(manifest.text, manifest.json, 'pnpm', pnpm), applied: [], suggestions: [] });
    plan.advice.push(`${apply} ("pnpm"."patchedDependencies" in package.json is read up to pnpm 10; pnpm 11 reads it from pnpm-workspace.yaml.)`);
    return;
  }
  const file = path.join(root, 'pnpm-workspace.yaml');
  const original = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const doc = parseDocument(original);
  for (const [key, patchFile] of entries) doc.setIn(['patchedDependencies', key], patchFile);
  plan.files.push({ rel: 'pnpm-workspace.yaml', original, fixed: doc.toString(), applied: [], suggestions: [], ...(original === '' && !existsSync(file) ? { created: true } : {}) });
  plan.advice.push(apply);
}

function patchPackageAdvice(pm: PackageManager, manifest: ProjectManifest, files: string[]): string {
  const scripts = asRecord(manifest.json?.scripts);
  const postinstall = typeof scripts?.postinstall === 'string' ? scripts.postinstall : undefined;
  const declared = ['dependencies', 'devDependencies'].some((field) => asRecord(manifest.json?.[field])?.['patch-package'] !== undefined);
  const steps: string[] = [];
  if (!postinstall) steps.push('add "postinstall": "patch-package" to "scripts" in package.json');
  else if (!postinstall.includes('patch-package')) steps.push(`append " && patch-package" to the "postinstall" script of package.json`);
  if (!declared) {
    // Yarn 1 runs postinstall after add/install but not after remove; postinstall-postinstall covers that.
    const names = pm.name === 'yarn' ? ['patch-package', 'postinstall-postinstall'] : ['patch-package'];
    steps.push(`add patch-package as a dev dependency (\`${devInstallText(pm, names)}\`)`);
  }
  const setup = steps.length > 0 ? `To apply ${files.length === 1 ? 'it' : 'them'} on every install, ${steps.join(' and ')}. ` : '';
  return `${files.join(', ')}: patch-package format (${describeManager(pm)} has no patch mechanism of its own). ${setup}Run \`npx patch-package\` once to apply ${files.length === 1 ? 'it' : 'them'} to node_modules now; every install then applies ${files.length === 1 ? 'it' : 'them'} again.`;
}
