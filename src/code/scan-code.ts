/**
 * The code half of a scan: walk a directory, pre-filter on streaming markers, run the code rules and
 * the known-bad-version check. Shared by `scan` (a project) and `aws` (a downloaded deployment package).
 */
import type { Finding, InternalError, SkipNote } from '../model/finding.js';
import { codeRules } from '../checks/code/index.js';
import { checkKnownBadVersions, entryMatches, loadKnownBad, runtimeConditionOf, type KnownBadEntry } from '../checks/packages/known-bad-version.js';
import { entryPointNeedles, findProjectUse, isEntryPointConfig, type ProjectText } from '../checks/packages/entry-points.js';
import { analyzeSource } from './analyze.js';
import path from 'node:path';
import semver from '../util/semver.js';
import { readFileSync, statSync } from 'node:fs';
import { type CandidateFile, isSourceFileName, type ProjectFile } from './walk.js';
import { type CodeWalk, type CodeWalkOptions, startCodeWalk } from './code-walk.js';
import { inventoryPackages } from './inventory.js';
import { lockedPackages } from './lockfiles/index.js';

export { STREAMING_MARKERS } from './markers.js';

/** What to walk (CodeWalkOptions), and what to report as each candidate is analysed. */
export interface CodeScanOptions extends CodeWalkOptions {
  onFile?: (rel: string) => void;
  /** The walk of `root` with these options, if the caller started it already (startCodeWalk). */
  walk?: CodeWalk;
}

export interface CodeScan {
  findings: Finding[];
  skipped: SkipNote[];
  /** Rules that threw on some file (their findings there may be missing). */
  internalErrors: InternalError[];
  /** Candidate sources by root-relative path (for suppression directives and code frames). */
  texts: Map<string, string>;
  filesWalked: number;
  filesPrefiltered: number;
  filesParsed: number;
  /** Source files not looked at: too large, binary, unreadable, or not parsable/analysable. */
  sourcesSkipped: number;
  packagesInventoried: number;
}

export async function scanCode(options: CodeScanOptions): Promise<CodeScan> {
  const { root } = options;
  const analyse = (candidate: CandidateFile) =>
    analyzeSource({ rel: candidate.rel, text: candidate.text, origin: candidate.origin, package: candidate.package, abs: candidate.abs, root }, codeRules);
  // Candidates are analysed as the pre-filter finds them, while its workers still read (each file's analysis
  // depends on that file alone); the results are then taken in path order below, as if analysed there.
  const early = new Map<string, ReturnType<typeof analyse>>();
  const walk = options.walk ?? startCodeWalk(options);
  walk.onCandidate((candidate) => {
    options.onFile?.(candidate.rel);
    early.set(candidate.rel, analyse(candidate));
  });
  const walked = await walk.result;
  const skipped: SkipNote[] = [...walked.skipped];
  const texts = new Map<string, string>();
  const findings: Finding[] = [];
  const internalErrors: InternalError[] = [];
  let parsed = 0;
  let sourcesSkipped = walked.skipped.filter((note) => isSourceFileName(path.posix.basename(note.file))).length;
  const streamifiedElsewhere = new Set<string>();
  const queue: CandidateFile[] = [...walked.candidates];
  const queued = new Set(queue.map((candidate) => candidate.rel));
  const extraLimit = Math.max(FOLLOWED_MODULES_MIN, walked.candidates.length);
  let extras = 0;
  for (let candidate = queue.shift(); candidate; candidate = queue.shift()) {
    texts.set(candidate.rel, candidate.text);
    let result = early.get(candidate.rel);
    if (!result) {
      options.onFile?.(candidate.rel);
      result = analyse(candidate);
    }
    if (result.parsed) parsed++;
    if (result.skipped) {
      skipped.push(result.skipped);
      sourcesSkipped++;
    }
    internalErrors.push(...result.internalErrors);
    findings.push(...result.findings);
    for (const { file, exportName } of result.streamifiedElsewhere ?? []) streamifiedElsewhere.add(`${file}\0${exportName}`);
    // Project modules the analysis followed that the pre-filter left out (a helper handed the stream under
    // another name): analysed like candidates, a bounded number of them.
    for (const rel of result.followedModules ?? []) {
      if (queued.has(rel) || extras >= extraLimit || rel.split('/').includes('node_modules')) continue;
      queued.add(rel);
      const followed = readFollowedModule(root, rel, options.maxFileBytes);
      if (!followed) continue;
      extras++;
      queue.push(followed);
    }
  }

  // A raw streaming handler another module streamifies (`import { handler as raw } …; streamifyResponse(raw)`)
  // is streamified after all.
  const kept = findings.filter((f) => f.ruleId !== 'streaming-handler-not-streamified' || !streamifiedElsewhere.has(`${f.file}\0${f.data?.name}`));
  findings.length = 0;
  findings.push(...kept);

  let packagesInventoried = 0;
  let all = findings;
  if (options.deps) {
    // The walk already inventoried installed packages; a second walk only when it could not.
    let packages = walked.packages;
    let lockfiles = walked.lockfiles ?? [];
    if (!packages) {
      const inventory = await inventoryPackages(root);
      packages = inventory.packages;
      lockfiles = inventory.lockfiles;
      skipped.push(...inventory.skipped);
    }
    // Lockfiles where nothing is installed beside them (CI gates that run before `npm install`).
    const locked = lockedPackages(root, lockfiles, packages);
    skipped.push(...locked.skipped);
    const inventory = [...packages, ...locked.packages];
    packagesInventoried = inventory.length;
    const entries = loadKnownBad();
    const retagging = withoutFixedWrappers(findings, inventory, entries);
    findings.length = 0;
    findings.push(...retagging);
    const affected = entries.filter((entry) => inventory.some((pkg) => entryMatches(entry, pkg.name, pkg.version)));
    if (affected.length > 0) {
      // Every entry's entry points tell whether the project streams; only the affected entries are graded.
      const use = findProjectUse(projectTexts(walked.projectFiles ?? [], texts, entries, options.maxFileBytes), entries);
      all = checkKnownBadVersions(inventory, findings, { entries, use });
    }
  }
  return {
    findings: all,
    skipped,
    internalErrors,
    texts,
    filesWalked: walked.filesWalked,
    filesPrefiltered: walked.candidates.length,
    filesParsed: parsed,
    sourcesSkipped,
    packagesInventoried,
  };
}

/** At least this many followed modules are analysed beyond the pre-filter's candidates (more on big projects). */
const FOLLOWED_MODULES_MIN = 64;

function readFollowedModule(root: string, rel: string, maxFileBytes = 8 * 1024 * 1024): CandidateFile | null {
  const abs = path.join(root, ...rel.split('/'));
  try {
    if (statSync(abs).size > maxFileBytes) return null;
    return { abs, rel, origin: 'project', text: readFileSync(abs, 'utf8') };
  } catch {
    return null; // it was read a moment ago by the analysis; gone now: nothing to add
  }
}

/**
 * The project's own files and build output, as the entry-point search reads them: candidates already in
 * memory, other files read only when they contain one of the search's needles or are configuration files it
 * reads. Files above the size limit are left out (the walk noted the candidates among them already).
 */
function* projectTexts(files: readonly ProjectFile[], texts: ReadonlyMap<string, string>, entries: readonly KnownBadEntry[], maxFileBytes = 8 * 1024 * 1024): Generator<ProjectText> {
  const needles = entryPointNeedles(entries).map((needle) => Buffer.from(needle));
  for (const file of files) {
    let text = texts.get(file.rel);
    if (text === undefined) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(file.abs);
      } catch {
        continue;
      }
      if (bytes.length > maxFileBytes) continue;
      if (!needles.some((needle) => bytes.includes(needle)) && !isEntryPointConfig(file.rel, entries)) continue;
      text = bytes.toString('utf8');
    }
    yield { rel: file.rel, text, origin: file.origin };
  }
}

/**
 * `wrapped-streamified-handler` is not a bug when the wrapper's package re-tags streaming handlers: the
 * known-bad entries of that class name the version that does (Sentry 10.8.0, New Relic 12.16.0, Lumigo 1.106.0,
 * Datadog 6.89.0). A finding whose wrapper comes from such a package is dropped when every installed (or
 * locked) copy of it is at or above that version and none is in an affected range; without an inventory, or
 * for packages the database does not know, the finding stays.
 */
export function withoutFixedWrappers(findings: Finding[], inventory: ReadonlyArray<{ name: string; version: string }>, entries: readonly KnownBadEntry[]): Finding[] {
  return findings.filter((f) => {
    if (f.ruleId !== 'wrapped-streamified-handler') return true;
    const pkg = / \(from (.+)\)$/.exec(String(f.data?.wrapperPackage ?? ''))?.[1];
    if (!pkg) return true;
    const tagEntries = entries.filter((e) => e.package === pkg && e.ruleId === 'wrapped-streamified-handler' && e.fixed);
    const copies = inventory.filter((p) => p.name === pkg && semver.valid(p.version));
    if (tagEntries.length === 0 || copies.length === 0) return true;
    const fixedAll = copies.every((p) => tagEntries.every((e) => !entryMatches(e, p.name, p.version) && semver.gte(p.version, e.fixed!)));
    return !fixedAll;
  });
}

/**
 * Rules whose bug exists only in the 3.x runtime (nodejs18.x/20.x/22.x, `meta.onlyRuntime`): when a handler
 * module is deployed only on nodejs24.x or later (the 4.x runtime), their findings in it are not bugs. And the
 * reverse for 4.x-only findings (`onlyRuntime: '4.x'`, limited to `onlyRuntimeMessages` when given).
 */
const RUNTIME_3X_ONLY = new Set<string>(codeRules.filter((rule) => rule.meta.onlyRuntime === '3.x').map((rule) => rule.meta.id));
const RUNTIME_4X_ONLY = new Map<string, ReadonlySet<string> | null>(
  codeRules.filter((rule) => rule.meta.onlyRuntime === '4.x').map((rule) => [rule.meta.id, rule.meta.onlyRuntimeMessages ? new Set(rule.meta.onlyRuntimeMessages) : null]),
);

/** nodejs24.x and later, and any Node runtime on Managed Instances (`nodejs22.x (Managed Instances)`, src/iac/index.ts). */
export function isRuntime4x(runtime: string): boolean {
  return /^nodejs(2[4-9]|[3-9]\d)\.x$/.test(runtime) || /^nodejs\d+\.x \(Managed Instances\)$/.test(runtime);
}

/**
 * Drops 3.x-only findings in modules that every known deployment runs on the 4.x runtime, and 4.x-only findings in
 * modules deployed only on 3.x. Runtime-conditional known-bad findings (`onlyRuntime` entries) are settled by the
 * runtimes of the files that use the affected code: reported at the entry's severity when one of them is deployed on
 * the entry's runtime, dropped when every one of them is deployed and none is, left as they are otherwise.
 */
export function withoutRuntimeSpecific(findings: Finding[], runtimesByFile: (file: string) => string[] | undefined): Finding[] {
  return findings.flatMap((f) => {
    const condition = runtimeConditionOf(f);
    if (!condition) return keepForRuntime(f, runtimesByFile) ? [f] : [];
    const byFile = condition.files.map((file) => runtimesByFile(file));
    const known = byFile.flatMap((r) => r ?? []);
    const matching = [...new Set(known.filter((r) => isRuntime4x(r) === (condition.onlyRuntime === '4.x')))];
    if (matching.length > 0) return [condition.resolve(matching)];
    return byFile.every((r) => r && r.length > 0) ? [] : [f];
  });
}

function keepForRuntime(f: Finding, runtimesByFile: (file: string) => string[] | undefined): boolean {
  const only4x = RUNTIME_4X_ONLY.get(f.ruleId);
  if (only4x !== undefined && (only4x === null || only4x.has(f.messageId ?? ''))) {
    const deployedOn = runtimesByFile(f.file);
    return !deployedOn || deployedOn.some((r) => isRuntime4x(r));
  }
  if (!RUNTIME_3X_ONLY.has(f.ruleId)) return true;
  const deployedOn = runtimesByFile(f.file);
  return !deployedOn || deployedOn.some((r) => !isRuntime4x(r));
}
