/**
 * Upgrades from the known-bad versions database (data/known-bad-packages.json): every installed copy of a
 * package in an affected range whose entry names a fixed version. A direct dependency is upgraded through
 * the package manager; a dependency of a dependency cannot be (no fixed version of its parent is known), so
 * the advice says where to force the version instead.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import semver from '../../util/semver.js';
import { entryMatches, targetVersion, type KnownBadEntry } from '../../checks/packages/known-bad-version.js';
import type { InstalledPackage } from '../../code/inventory.js';
import { declarationOf, rangeStyle, type ProjectManifest } from './manifest.js';
import { addCommand, overrideAdvice, readJson, type PackageManager } from './package-manager.js';

export interface Upgrade {
  name: string;
  from: string;
  to: string;
  command: string[];
}

/** One installed copy of a package and the database entries (in scope) that match its version. */
export interface AffectedCopy {
  pkg: InstalledPackage;
  /** Entries in scope (--rule) matching the installed version. */
  entries: KnownBadEntry[];
}

export interface UpgradePlan {
  upgrades: Upgrade[];
  advice: string[];
  /** `name@version` of the copies a fixed version exists for: their code findings are not patched. */
  covered: Set<string>;
  /** Copies affected by entries without a fixed version: candidates for a patch. */
  unfixed: AffectedCopy[];
}

export function inScope(entry: KnownBadEntry, only: ReadonlySet<string> | undefined): boolean {
  return !only || only.has(entry.ruleId) || only.has('known-bad-version');
}

export function matches(entry: KnownBadEntry, name: string, version: string): boolean {
  return entryMatches(entry, name, version);
}

/** The database entries (in scope) that affect each installed copy. */
export function affectedCopies(packages: InstalledPackage[], entries: KnownBadEntry[], only: ReadonlySet<string> | undefined): AffectedCopy[] {
  const out: AffectedCopy[] = [];
  for (const pkg of packages) {
    const hits = entries.filter((entry) => inScope(entry, only) && matches(entry, pkg.name, pkg.version));
    if (hits.length > 0) out.push({ pkg, entries: hits });
  }
  return out;
}

/** The lowest version that leaves every in-scope entry with a fix (the scan's known-bad findings name the same one). */
export { targetVersion };

function realpathOr(abs: string): string | undefined {
  try {
    return realpathSync(abs);
  } catch {
    return undefined;
  }
}

/** The installed packages whose manifest requires `name` with a range the bad version satisfies. */
function parentsOf(root: string, packages: InstalledPackage[], name: string, version: string): Array<{ label: string; range: string }> {
  const out = new Map<string, { label: string; range: string }>();
  for (const candidate of packages) {
    if (candidate.name === name) continue;
    const manifest = readJson(path.join(root, candidate.manifest));
    if (!manifest) continue;
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      const range = (manifest[field] as Record<string, unknown> | undefined)?.[name];
      if (typeof range !== 'string') continue;
      const satisfied = semver.validRange(range) ? semver.satisfies(version, range, { includePrerelease: true }) : true;
      const label = `${candidate.name}@${candidate.version}`;
      if (satisfied) out.set(`${label}\0${range}`, { label, range });
      break;
    }
  }
  return [...out.values()].sort((a, b) => a.label.localeCompare(b.label));
}

function entryList(entries: KnownBadEntry[]): string {
  return entries.map((e) => `${e.id} (${e.ruleId})`).join(', ');
}

export function planUpgrades(
  root: string,
  pm: PackageManager,
  manifest: ProjectManifest,
  packages: InstalledPackage[],
  entries: KnownBadEntry[],
  only: ReadonlySet<string> | undefined,
): UpgradePlan {
  const plan: UpgradePlan = { upgrades: [], advice: [], covered: new Set(), unfixed: [] };
  const scopedEntries = entries.filter((e) => inScope(e, only));
  const copies = affectedCopies(packages, entries, only);
  const upgraded = new Map<string, Upgrade>();
  for (const { pkg, entries: hits } of copies) {
    const fixedHits = hits.filter((e) => e.fixed !== null);
    const unfixedHits = hits.filter((e) => e.fixed === null);
    if (unfixedHits.length > 0) plan.unfixed.push({ pkg, entries: unfixedHits });
    if (fixedHits.length === 0) continue;
    plan.covered.add(`${pkg.name}@${pkg.version}`);
    const target = targetVersion(
      pkg.name,
      fixedHits,
      scopedEntries.filter((e) => e.package === pkg.name),
    );
    const label = `${pkg.name}@${pkg.version}`;
    const still = entries.filter((e) => matches(e, pkg.name, target));
    const stillText =
      still.length > 0
        ? ` ${target} is still affected by ${entryList(still)}${still.some((e) => e.fixed === null) ? ' with no fixed release' : ''}: run stream-doctor fix again after the upgrade${still.some((e) => e.fixed === null) ? ' to patch it' : ''}.`
        : '';

    const declaration = declarationOf(manifest, pkg.name);
    const topLevel = realpathOr(path.join(root, 'node_modules', pkg.name));
    const direct = declaration !== undefined && topLevel !== undefined && topLevel === realpathOr(path.join(root, pkg.dir));
    if (!direct) {
      const parents = parentsOf(root, packages, pkg.name, pkg.version);
      const range = `^${target}`;
      const named = parents.slice(0, 3).map((p) => `${p.label} as ${JSON.stringify(p.range)}`);
      const parentsText = parents.length > 0 ? `required by ${named.join(', ')}${parents.length > 3 ? ` and ${parents.length - 3} more` : ''}` : 'not declared in package.json';
      const incompatible = parents.filter((p) => semver.validRange(p.range) && !semver.satisfies(target, p.range, { includePrerelease: true })).map((p) => p.label);
      plan.advice.push(
        `${label} (${pkg.dir}) is affected by ${entryList(fixedHits)}, fixed in ${target}, but it is a dependency of a dependency (${parentsText}): no release of its parent known to bring the fix; ${overrideAdvice(pm, pkg.name, range)}.` +
          (incompatible.length > 0 ? ` ${incompatible.join(', ')} does not accept ${target}: test the override.` : '') +
          stillText,
      );
      continue;
    }
    const style = rangeStyle(declaration.spec);
    if (typeof style === 'object') {
      plan.advice.push(`${label} is affected by ${entryList(fixedHits)}, fixed in ${target}, but package.json ${style.unsupported}: upgrade it where it comes from.${stillText}`);
      continue;
    }
    const range = style === 'exact' ? target : `${style === 'tilde' ? '~' : '^'}${target}`;
    const previous = upgraded.get(pkg.name);
    if (previous && semver.gte(previous.to, target)) continue;
    upgraded.set(pkg.name, { name: pkg.name, from: pkg.version, to: target, command: addCommand(pm, { name: pkg.name, range, exact: style === 'exact', field: declaration.field }) });
    if (stillText) plan.advice.push(`${pkg.name}:${stillText}`);
  }
  plan.upgrades = [...upgraded.values()].sort((a, b) => a.name.localeCompare(b.name));
  return plan;
}
