/**
 * Installed-package inventory: the cheapest fact source (no file contents beyond package.json).
 *
 * It shares the walker of src/code/walk.ts, so it reaches exactly the `node_modules` directories a scan
 * reaches (and prunes the same way: `.git`, git-ignored project directories, never node_modules or build
 * output), but it reads no source files: only the package.json of each package directory (a directory
 * directly in a `node_modules` directory or in its `@scope`, including pnpm's
 * `.pnpm/<pkg>@<ver>/node_modules/<pkg>`). It still lists every directory inside packages, because
 * packages vendor dependencies in `node_modules` directories at any depth (`nf3/dist/node_modules/glob`):
 * ~100 ms warm for the 680 packages / 5.6k directories of the benchmark tree, most of it readdir. `collectCandidates` returns the same list in `WalkResult.packages` from
 * its own walk (the package.json of every package directory is read there anyway for attribution), so a
 * scan that walks node_modules does not need a second pass; call this when only the inventory is needed.
 */

import type { LockfileFormat } from './lockfiles/index.js';

export interface InstalledPackage {
  name: string;
  version: string;
  /** Relative to root, "/" separators. Inside the root this is the real location (pnpm: the .pnpm path). */
  dir: string;
  /** Relative path of the package.json, or of the lockfile for a locked version (`lockfile` set). */
  manifest: string;
  /** 1-based line of the package's entry in `manifest` (lockfiles); a package.json is pointed at line 1. */
  line?: number;
  /**
   * Set when the version comes from a lockfile because nothing is installed beside it (src/code/lockfiles/):
   * its format. `dir` is then the lockfile's directory ('' for the root).
   */
  lockfile?: LockfileFormat;
}

/*
 * inventoryPackages(root: string): Promise<{ packages: InstalledPackage[]; skipped: SkipNote[]; lockfiles: string[] }>
 *
 * Lists the packages installed under `root` (absolute): top-level and scoped packages, nested
 * `node_modules` inside packages (also vendored ones below dist/), workspaces' `node_modules`, build output such as
 * `.aws-sam/build/Fn/node_modules`, and pnpm's `.pnpm/<pkg>@<ver>/node_modules/<pkg>`. Packages are
 * deduped by real path (a pnpm link and its store directory are one package); a link out of the root at a
 * package position (npm link, pnpm global store) is listed under the link's path. package.json files
 * without a name or version are left out; unreadable or invalid ones are SkipNotes. Sorted by dir. `lockfiles`
 * lists the lockfiles in project directories (read by `lockedPackages` in src/code/lockfiles/ when nothing is
 * installed beside them).
 * It lives in walk.ts (it is a mode of the same walker) and is exported from both modules.
 */
export { inventoryPackages } from './walk.js';
