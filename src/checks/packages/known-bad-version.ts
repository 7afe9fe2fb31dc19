import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from '../../util/semver.js';
import { SEVERITY_RANK, type Finding, type Severity } from '../../model/finding.js';
import { defineObservedRule, observed, type Problem } from '../../model/rule.js';
import type { InstalledPackage } from '../../code/inventory.js';
import { findingOf } from '../runner.js';
import type { EntryPoint, ProjectUse, UseSite } from './entry-points.js';

export const knownBadVersion = defineObservedRule({
  meta: {
    id: 'known-bad-version',
    surface: 'package',
    category: 'package',
    severity: 'error',
    title: 'An installed or locked dependency version is known to break Lambda response streaming',
    consequence: 'The installed (or locked) version ships a streaming bug (see the entry in data/known-bad-packages.json); upgrading fixes it.',
    evidence:
      'data/known-bad-packages.json: every entry was checked in the published tarballs of the last bad and first fixed versions, and links the issue and fix (docs/known-bad-packages.md).',
    fixable: true,
  },
  messages: {
    affected: '{{package}}@{{version}} is affected by {{bugs}}.',
    used: '{{package}}@{{version}} is affected by {{bugs}}. The project uses the affected code: {{use}}.',
    notUsed:
      '{{package}}@{{version}} is affected by {{bugs}}. The project streams Lambda responses ({{streaming}}), but no use of the affected code was found ({{entryPoints}}).',
    noStreaming: '{{package}}@{{version}} is affected by {{bugs}}. Nothing in the project streams Lambda responses, so it cannot break one today: reported as info.',
    runtimeUnknown:
      '{{package}}@{{version}} is affected by {{bugs}}. This breaks only on {{runtimes}}, and no deployment in the scan says which runtime runs {{use}}: reported one step lower.',
    onRuntime: '{{package}}@{{version}} is affected by {{bugs}}. {{use}} is deployed on {{runtime}}.',
  },
});

/** What an entry's `onlyRuntime` covers, for messages. */
export const RUNTIME_LABELS: Record<'3.x' | '4.x', string> = {
  '4.x': 'nodejs24.x and later, and every Node.js runtime on Lambda Managed Instances (runtime interface client 4.x)',
  '3.x': 'nodejs18.x, nodejs20.x and nodejs22.x outside Managed Instances (runtime interface client 3.x)',
};

export interface KnownBadEntry {
  id: string;
  package: string;
  affected: string;
  fixed: string | null;
  ruleId: string;
  severity: Severity;
  summary: string;
  file?: string;
  /** How a project reaches the affected code (src/checks/packages/entry-points.ts). */
  entryPoints?: EntryPoint[];
  evidence: string[];
  /**
   * The bug exists only on this runtime lineage (`4.x`: nodejs24.x and later, and Managed Instances; `3.x`:
   * nodejs18.x-22.x), like a rule's `meta.onlyRuntime`. Such an entry is reported as its own finding, one step
   * lower while the runtime that runs the code using it is unknown; `withoutRuntimeSpecific` (src/code/scan-code.ts)
   * restores its severity when a deployment of that code is on the runtime, and drops it when none is.
   */
  onlyRuntime?: '3.x' | '4.x';
}

/**
 * A runtime-conditional finding (`KnownBadEntry.onlyRuntime`) and how to settle it once the runtimes are known:
 * `files` are the project files that use the affected code; `resolve` returns the finding for code deployed on
 * `runtimes` (those of the entry's lineage).
 */
export interface RuntimeCondition {
  onlyRuntime: '3.x' | '4.x';
  files: string[];
  resolve: (runtimes: string[]) => Finding;
}

const runtimeConditions = new WeakMap<Finding, RuntimeCondition>();

/** The runtime condition of a finding made by `checkKnownBadVersions`, if it has one. */
export function runtimeConditionOf(finding: Finding): RuntimeCondition | undefined {
  return runtimeConditions.get(finding);
}

/** An installed package, or a locked version (`lockfile` set, pointing at its lockfile line). */
export type InstalledPackageInfo = InstalledPackage;

let cached: KnownBadEntry[] | null = null;

/** The bundled database (data/known-bad-packages.json, shipped in the npm package). */
export function loadKnownBad(): KnownBadEntry[] {
  if (!cached) {
    const file = fileURLToPath(new URL('../../../data/known-bad-packages.json', import.meta.url));
    cached = (JSON.parse(readFileSync(file, 'utf8')) as { entries: KnownBadEntry[] }).entries;
  }
  return cached;
}

export function entryMatches(entry: KnownBadEntry, name: string, version: string): boolean {
  return entry.package === name && semver.valid(version) !== null && semver.satisfies(version, entry.affected, { includePrerelease: true });
}

/** The database entries that affect this version of the package. */
export function entriesFor(pkg: { name: string; version: string }, entries: readonly KnownBadEntry[]): KnownBadEntry[] {
  return entries.filter((entry) => entryMatches(entry, pkg.name, pkg.version));
}

/**
 * The smallest version that fixes every entry in `fixedEntries`: the highest of their `fixed` versions, raised
 * again while that version itself falls in another entry of `scoped` (same package) that has a fix. Shared
 * with `stream-doctor fix`, so the report and the upgrade name the same version.
 */
export function targetVersion(name: string, fixedEntries: readonly KnownBadEntry[], scoped: readonly KnownBadEntry[]): string {
  let target = fixedEntries.map((e) => e.fixed!).sort(semver.compare).at(-1)!;
  for (let i = 0; i < scoped.length; i++) {
    const next = scoped.filter((e) => e.fixed && entryMatches(e, name, target) && semver.gt(e.fixed, target)).map((e) => e.fixed!);
    if (next.length === 0) break;
    target = next.sort(semver.compare).at(-1)!;
  }
  return target;
}

/** How much an entry matters to this project (no `use`: not known, the entry's own severity). */
export type Relevance = { level: 'used'; site: UseSite } | { level: 'unused'; streaming: UseSite } | { level: 'noStreaming' } | { level: 'unknown' };

/**
 * A package is used only by the code that resolves it: the files under the directory whose `node_modules` holds
 * it (or whose lockfile pins it). `apps/web/node_modules/hono` is not imported by `apps/api`; a package in the
 * root's `node_modules` can be imported from anywhere. Whether the project streams is asked of it as a whole
 * (infrastructure code usually lives beside the functions, not in them).
 */
export function packageRoot(pkg: Pick<InstalledPackageInfo, 'dir' | 'lockfile'>): string {
  if (pkg.lockfile) return pkg.dir;
  const at = pkg.dir === 'node_modules' || pkg.dir.startsWith('node_modules/') ? 0 : pkg.dir.indexOf('/node_modules/');
  return at <= 0 ? '' : pkg.dir.slice(0, at);
}

export function relevanceOf(entry: KnownBadEntry, use: ProjectUse | undefined, root = ''): Relevance {
  if (!use) return { level: 'unknown' };
  const site = use.entries.get(entry.id)?.find((s) => root === '' || s.file.startsWith(`${root}/`));
  if (site) return { level: 'used', site };
  if (!use.streaming) return { level: 'noStreaming' };
  // An entry that names no entry point cannot be told apart: it counts as used wherever the project streams.
  if (!entry.entryPoints || entry.entryPoints.length === 0) return { level: 'used', site: use.streaming };
  return { level: 'unused', streaming: use.streaming };
}

/**
 * The entry's severity for this project: its own when used; one step down when the project streams through
 * other code (an error entry is a warning, a warning entry a note: the affected code is installed but not the
 * code the project deploys); info without streaming.
 */
export function gradedSeverity(entry: KnownBadEntry, relevance: Relevance): Severity {
  switch (relevance.level) {
    case 'used':
    case 'unknown':
      return entry.severity;
    case 'unused':
      return entry.severity === 'error' ? 'warning' : 'info';
    case 'noStreaming':
      return 'info';
  }
}

function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

export interface KnownBadOptions {
  /** The database; data/known-bad-packages.json by default. */
  entries?: readonly KnownBadEntry[];
  /** Where the project streams and uses each entry's entry points; without it every entry keeps its severity. */
  use?: ProjectUse;
}

/**
 * Matches installed and locked packages against the database and returns the findings with the known-bad
 * ones joined in; its input is not changed.
 * - One finding per package copy (name, version, location): every entry that applies is cited, and the fix
 *   names the smallest version that fixes all of them.
 * - When a code rule already reported an entry's bug class inside that package's files, that code finding
 *   carries the entry instead (one finding per cause): a copy of it with the upgrade, both evidences, and the
 *   higher of the two severities.
 * - Each entry's severity is graded by `options.use`: its own when the project uses the affected entry point,
 *   one step down when it streams only through other code, info when nothing streams.
 */
export function checkKnownBadVersions(packages: readonly InstalledPackageInfo[], codeFindings: readonly Finding[], options: KnownBadOptions = {}): Finding[] {
  const entries = options.entries ?? loadKnownBad();
  const merged = new Map<Finding, Finding>();
  const added: Finding[] = [];
  for (const pkg of packages) {
    const all = entriesFor(pkg, entries);
    // Runtime-conditional entries are their own finding (settled later against the deployments' runtimes); the
    // others' upgrade is computed without them.
    const conditional = all.filter((e) => e.onlyRuntime);
    const hits = all.filter((e) => !e.onlyRuntime);
    for (const onlyRuntime of new Set(conditional.map((e) => e.onlyRuntime!))) {
      added.push(runtimeConditional(pkg, conditional.filter((e) => e.onlyRuntime === onlyRuntime), entries, onlyRuntime, options.use));
    }
    if (hits.length === 0) continue;
    const upgrade = upgradeAdvice(pkg, hits, entries.filter((e) => !e.onlyRuntime));
    const root = packageRoot(pkg);
    const graded = hits.map((entry) => {
      const relevance = relevanceOf(entry, options.use, root);
      return { entry, relevance, severity: gradedSeverity(entry, relevance) };
    });

    const remaining: typeof graded = [];
    for (const item of graded) {
      const same = pkg.lockfile
        ? []
        : codeFindings.filter(
            (f) => f.ruleId === item.entry.ruleId && f.package?.name === pkg.name && f.package.version === pkg.version && f.file.startsWith(`${pkg.dir}/`),
          );
      if (same.length === 0) {
        remaining.push(item);
        continue;
      }
      for (const original of same) {
        const current = merged.get(original) ?? { ...original, fix: `${upgrade.text} ${original.fix ?? ''}`.trim() };
        merged.set(original, {
          ...current,
          severity: maxSeverity(current.severity, item.severity),
          evidence: `${current.evidence ?? ''} Known issue ${item.entry.id} (${pkg.name} ${item.entry.affected}): ${item.entry.evidence.join(', ')}`.trim(),
        });
      }
    }
    if (remaining.length === 0) continue;

    const bugs = remaining.map(({ entry }) => `${entry.id} (${entry.ruleId}): ${entry.summary.replace(/\.$/, '')}`).join('; ');
    const severity = remaining.map((r) => r.severity).reduce(maxSeverity);
    const base = { package: pkg.name, version: pkg.version, bugs };
    const used = remaining.find((r) => r.relevance.level === 'used');
    const unused = remaining.find((r) => r.relevance.level === 'unused');
    const problem = used?.relevance.level === 'used'
      ? observed(knownBadVersion, { messageId: 'used', data: { ...base, use: describe(used.relevance.site) }, severity, fix: upgrade.text })
      : unused?.relevance.level === 'unused'
        ? observed(knownBadVersion, {
            messageId: 'notUsed',
            data: { ...base, streaming: describe(unused.relevance.streaming), entryPoints: entryPointList(remaining.map((r) => r.entry)) },
            severity,
            fix: upgrade.text,
          })
        : remaining.some((r) => r.relevance.level === 'noStreaming')
          ? observed(knownBadVersion, { messageId: 'noStreaming', data: base, severity, fix: upgrade.text })
          : observed(knownBadVersion, { messageId: 'affected', data: base, severity, fix: upgrade.text });
    added.push(
      findingOf(
        knownBadVersion.meta,
        problem,
        { file: pkg.manifest, line: pkg.line ?? 1, column: 1 },
        {
          origin: 'dependency',
          package: { name: pkg.name, version: pkg.version },
          // `stream-doctor fix` upgrades installed copies; a locked version is upgraded by hand.
          fixable: upgrade.target !== null && !pkg.lockfile,
          evidence: remaining.map(({ entry }) => `${entry.id}: ${entry.evidence.join(', ')}`).join('; '),
        },
        `${pkg.name}@${pkg.version}`,
      ),
    );
  }
  return [...codeFindings.map((f) => merged.get(f) ?? f), ...added];
}

/**
 * The finding for a package copy's entries that hold on one runtime lineage only. Graded by use like the
 * others; when the project uses the affected code, one step lower until `withoutRuntimeSpecific` knows which
 * runtime runs that code (its `RuntimeCondition`).
 */
function runtimeConditional(
  pkg: InstalledPackageInfo,
  hits: readonly KnownBadEntry[],
  entries: readonly KnownBadEntry[],
  onlyRuntime: '3.x' | '4.x',
  use: ProjectUse | undefined,
): Finding {
  const upgrade = upgradeAdvice(pkg, hits, entries);
  const root = packageRoot(pkg);
  const graded = hits.map((entry) => ({ entry, relevance: relevanceOf(entry, use, root) }));
  const bugs = hits.map((entry) => `${entry.id} (${entry.ruleId}): ${entry.summary.replace(/\.$/, '')}`).join('; ');
  const base = { package: pkg.name, version: pkg.version, bugs };
  const runtimes = RUNTIME_LABELS[onlyRuntime];
  const used = graded.filter((g) => g.relevance.level === 'used' || g.relevance.level === 'unknown');
  const place = { file: pkg.manifest, line: pkg.line ?? 1, column: 1 };
  const make = (problem: Problem): Finding =>
    findingOf(
      knownBadVersion.meta,
      problem,
      place,
      {
        origin: 'dependency',
        package: { name: pkg.name, version: pkg.version },
        fixable: upgrade.target !== null && !pkg.lockfile,
        evidence: hits.map((entry) => `${entry.id}: ${entry.evidence.join(', ')}`).join('; '),
      },
      `${pkg.name}@${pkg.version} on ${onlyRuntime}`,
    );
  if (used.length === 0) {
    // Not used here (or nothing streams): graded as any entry, whatever the runtime.
    const graded0 = graded.map((g) => gradedSeverity(g.entry, g.relevance)).reduce(maxSeverity);
    const unused = graded.find((g) => g.relevance.level === 'unused');
    return make(
      unused?.relevance.level === 'unused'
        ? observed(knownBadVersion, { messageId: 'notUsed', data: { ...base, streaming: describe(unused.relevance.streaming), entryPoints: entryPointList(hits) }, severity: graded0, fix: upgrade.text })
        : observed(knownBadVersion, { messageId: 'noStreaming', data: base, severity: graded0, fix: upgrade.text }),
    );
  }
  const severity = used.map((g) => g.entry.severity).reduce(maxSeverity);
  const sites = used.flatMap((g) => (g.relevance.level === 'used' ? [g.relevance.site] : []));
  const useText = sites.length > 0 ? describe(sites[0]!) : 'the code that uses it';
  const finding = make(
    observed(knownBadVersion, { messageId: 'runtimeUnknown', data: { ...base, runtimes, use: useText }, severity: stepDown(severity), fix: upgrade.text }),
  );
  // Every file that uses the affected code under this copy's root, not only the first.
  const files = [
    ...new Set(used.flatMap((g) => (use?.entries.get(g.entry.id) ?? []).filter((s) => root === '' || s.file.startsWith(`${root}/`)).map((s) => s.file))),
  ];
  if (files.length > 0) {
    runtimeConditions.set(finding, {
      onlyRuntime,
      files,
      resolve: (on) =>
        make(observed(knownBadVersion, { messageId: 'onRuntime', data: { ...base, use: useText, runtime: on.join(', ') }, severity, fix: upgrade.text })),
    });
  }
  return finding;
}

function stepDown(severity: Severity): Severity {
  return severity === 'error' ? 'warning' : 'info';
}

/** The upgrade sentence for a package copy and every entry that applies to it. */
function upgradeAdvice(pkg: InstalledPackageInfo, hits: readonly KnownBadEntry[], entries: readonly KnownBadEntry[]): { text: string; target: string | null } {
  const fixed = hits.filter((e) => e.fixed !== null);
  const unfixed = hits.filter((e) => e.fixed === null);
  const parts: string[] = [];
  let target: string | null = null;
  if (fixed.length > 0) {
    target = targetVersion(pkg.name, fixed, entries.filter((e) => e.package === pkg.name));
    const first = fixed.map((e) => e.fixed!).sort(semver.compare).at(-1)!;
    const between = first === target ? [] : entries.filter((e) => entryMatches(e, pkg.name, first));
    const where = pkg.lockfile ? ` (${pkg.manifest} pins ${pkg.version}: update it with your package manager, or force it with overrides/resolutions when it is a dependency of a dependency)` : '';
    const why = between.length > 0 ? ` (${first} fixes ${fixed.length > 1 ? 'them' : 'it'} but has ${between.map((e) => e.id).join(', ')})` : '';
    parts.push(`Upgrade ${pkg.name} to ${target} or later${where}: it fixes ${fixed.map((e) => e.id).join(', ')}${why}.`);
    const still = entries.filter((e) => e.fixed === null && entryMatches(e, pkg.name, target!));
    if (still.length > 0 && unfixed.length === 0) parts.push(`${target} is still affected by ${still.map((e) => e.id).join(', ')}.`);
  }
  if (unfixed.length > 0) {
    parts.push(
      `No released ${pkg.name} fixes ${unfixed.map((e) => e.id).join(', ')}: patch it (patch-package or your package manager's patch command) or replace it.`,
    );
  }
  return { text: parts.join(' '), target };
}

function describe(site: UseSite): string {
  return `${site.file}:${site.line} ${site.what}`;
}

function entryPointList(entries: readonly KnownBadEntry[]): string {
  const labels = new Set<string>();
  for (const entry of entries) {
    for (const point of entry.entryPoints ?? []) {
      labels.add(point.label ?? (point.import ? `${point.names ? `${point.names.join(' or ')} from ` : ''}${point.import}` : (point.config ?? []).join(', ')));
    }
  }
  return [...labels].join('; ') || 'no entry point known';
}
