/**
 * Fixes for bugs inside installed dependencies. `node_modules` is never edited in place (pnpm hard-links
 * into a shared store; a reinstall undoes it): a fixed version is an upgrade through the project's own
 * package manager; otherwise a patch file the package manager applies on install.
 */
import type { FileFix } from '../engine.js';

export interface DependencyFixOptions {
  only?: ReadonlySet<string>;
}

export interface DependencyPlan {
  /** Files to create or change (patches under patches/, package.json for pnpm's patchedDependencies...). */
  files: FileFix[];
  /** Upgrades: what to run, with the package manager detected from the lockfile. */
  upgrades: Array<{ name: string; from: string; to: string; command: string[] }>;
  /** Lines for the user (how a patch is applied, why no fix exists). */
  advice: string[];
}

export async function planDependencyFixes(_root: string, _options: DependencyFixOptions): Promise<DependencyPlan> {
  return { files: [], upgrades: [], advice: [] };
}
