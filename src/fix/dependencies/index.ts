/**
 * Fixes for bugs inside installed dependencies. `node_modules` is never edited in place (pnpm hard-links
 * into a shared store; a reinstall undoes it): a fixed version is an upgrade through the project's own
 * package manager; otherwise a patch file the package manager applies on install.
 *
 * - Upgrades (upgrades.ts): installed versions in an affected range of data/known-bad-packages.json whose
 *   entry names a fixed version; the command comes from the package manager detected from the lockfile
 *   (package-manager.ts) and keeps the dependency's section and pin style. Dependencies of dependencies get
 *   advice (where to force the version) instead of an invented command.
 * - Patches (patches.ts): the code rules' findings in dependency files whose package has no fixed version;
 *   the code fixers run on the file's text and the validated edits become a patch file.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { codeRules } from '../../checks/code/index.js';
import { knownBadVersion, loadKnownBad, type KnownBadEntry } from '../../checks/packages/known-bad-version.js';
import { inventoryPackages } from '../../code/inventory.js';
import { scanCode } from '../../code/scan-code.js';
import type { CodeRule } from '../../model/rule.js';
import type { FileFix } from '../engine.js';
import { readProjectManifest } from './manifest.js';
import { detectPackageManager, type PackageManagerName } from './package-manager.js';
import { existingPatchFor, planPatches, type PatchInfo, type PatchPlan } from './patches.js';
import { planUpgrades } from './upgrades.js';

export type { PatchInfo } from './patches.js';

export interface DependencyFixOptions {
  only?: ReadonlySet<string>;
  /** The code rules to fix with (rules turned off in the configuration left out); all code rules by default. */
  rules?: readonly CodeRule[];
  /** The known-bad versions database; data/known-bad-packages.json by default. */
  knownBad?: KnownBadEntry[];
}

export interface DependencyPlan {
  /** Files to create or change (patches under patches/, package.json for pnpm's patchedDependencies...). */
  files: FileFix[];
  /** Upgrades: what to run, with the package manager detected from the lockfile. */
  upgrades: Array<{ name: string; from: string; to: string; command: string[] }>;
  /** Lines for the user (how a patch is applied, why no fix exists). */
  advice: string[];
  /** The package manager the commands and patches are for, and the lockfile it was detected from. */
  packageManager?: { name: PackageManagerName; berry: boolean; lockfile?: string };
  /** The patch files in `files`, by package. */
  patches?: PatchInfo[];
}

export async function planDependencyFixes(rootPath: string, options: DependencyFixOptions): Promise<DependencyPlan> {
  const root = path.resolve(rootPath);
  const only = options.only;
  const rules = options.rules ?? codeRules;
  const entries = options.knownBad ?? loadKnownBad();
  const pm = detectPackageManager(root);
  const plan: DependencyPlan = {
    files: [],
    upgrades: [],
    advice: [],
    packageManager: { name: pm.name, berry: pm.berry, ...(pm.lockfile ? { lockfile: pm.lockfile } : {}) },
    patches: [],
  };

  const { packages } = await inventoryPackages(root);
  if (packages.length === 0) {
    if (existsSync(path.join(root, '.pnp.cjs'))) {
      plan.advice.push('Yarn Plug\'n\'Play installs no node_modules: installed dependency versions and files could not be checked (set nodeLinker: node-modules to check them).');
    }
    return plan;
  }
  const manifest = readProjectManifest(root);

  const upgrades = planUpgrades(root, pm, manifest, packages, entries, only);
  plan.upgrades = upgrades.upgrades;

  // Code findings inside installed packages that no upgrade covers: patch candidates.
  const enabled = new Set(rules.map((rule) => rule.meta.id));
  const wanted = (ruleId: string) => ruleId !== knownBadVersion.meta.id && (!only || only.has(ruleId));
  const needsCode = !only || [...only].some((id) => id !== knownBadVersion.meta.id);
  let patchPlan: PatchPlan | undefined;
  if (needsCode) {
    const scan = await scanCode({ root, deps: true });
    const findings = scan.findings.filter(
      (f) => f.origin === 'dependency' && f.package && wanted(f.ruleId) && enabled.has(f.ruleId) && !upgrades.covered.has(`${f.package.name}@${f.package.version}`),
    );
    patchPlan = planPatches({ root, pm, manifest, packages, findings, texts: scan.texts, rules, ...(only ? { only } : {}) });
  }

  if (upgrades.upgrades.length > 0 || (patchPlan && patchPlan.files.length > 0)) plan.advice.push(...pm.notes);
  plan.advice.push(...upgrades.advice);
  if (patchPlan) {
    plan.files.push(...patchPlan.files);
    plan.patches = patchPlan.patches;
    plan.advice.push(...patchPlan.advice);
  }

  // Known bugs with no released fix: say whether a patch covers them.
  const said = new Set<string>();
  for (const { pkg, entries: unfixed } of upgrades.unfixed) {
    for (const entry of unfixed) {
      const label = `${pkg.name}@${pkg.version}`;
      if (said.has(`${entry.id}\0${label}`)) continue;
      said.add(`${entry.id}\0${label}`);
      const patch = patchPlan?.patches.find((p) => p.name === pkg.name && p.version === pkg.version && p.rules.includes(entry.ruleId));
      const existing = patch ? undefined : existingPatchFor(root, pm, manifest, pkg);
      const link = entry.evidence.find((e) => e.startsWith('https://'));
      const head = `${label} is affected by ${entry.id} (${entry.ruleId}); no released version fixes it`;
      if (patch) plan.advice.push(`${head}: patched by ${patch.file}.`);
      else if (existing) plan.advice.push(`${head}: ${existing} patches this version; check that it covers this bug (${link ?? entry.id}).`);
      else {
        plan.advice.push(
          `${head} and stream-doctor could not write a patch for it. ${entry.summary.replace(/\.?$/, '.')}${link ? ` See ${link}.` : ''} Patch it by hand with your package manager's patch mechanism, or replace the package.`,
        );
      }
    }
  }
  return plan;
}
