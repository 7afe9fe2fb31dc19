/**
 * Patch files in the git diff format that patch-package, pnpm, yarn and bun all read: a
 * `diff --git a/<path> b/<path>` header, an `index <old>..<new> <mode>` line with git blob hashes, then
 * the unified diff (`---`/`+++` and 3-line-context hunks) built with the `diff` package. The same text
 * applies with `git apply` and `patch -p1`.
 */
import { createHash } from 'node:crypto';
import { FILE_HEADERS_ONLY, applyPatch, formatPatch, structuredPatch } from 'diff';

export interface DiffFile {
  /** Path as it appears after `a/` and `b/`. */
  path: string;
  original: string;
  fixed: string;
  /** Git file mode: '100644', or '100755' for an executable file. */
  mode: string;
}

/** Git's object id of a file's content (`git hash-object`). */
export function gitBlobHash(text: string): string {
  const content = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * One patch for all files. `fullIndex`: 40-digit hashes (what pnpm writes with --full-index), otherwise
 * git's default 7-digit abbreviation (what patch-package writes).
 */
export function gitDiff(files: DiffFile[], options: { fullIndex: boolean }): string {
  const short = (text: string) => (options.fullIndex ? gitBlobHash(text) : gitBlobHash(text).slice(0, 7));
  let out = '';
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const patch = structuredPatch(`a/${file.path}`, `b/${file.path}`, file.original, file.fixed, undefined, undefined, { context: 3 });
    // The diff must reproduce the fixed text exactly, or no patch is written.
    if (applyPatch(file.original, patch) !== file.fixed) throw new Error(`the diff of ${file.path} does not reproduce the fixed file`);
    out += `diff --git a/${file.path} b/${file.path}\nindex ${short(file.original)}..${short(file.fixed)} ${file.mode}\n`;
    out += formatPatch(patch, FILE_HEADERS_ONLY);
  }
  return out;
}

/** Whether git would need to quote the path (then patch tools disagree on it: no patch is written). */
export function needsQuoting(filePath: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /["\\\s\u0000-\u001f\u007f-\uffff]/.test(filePath);
}

/**
 * The package names of a patch-package target from its directory: `node_modules/a` -> ['a'],
 * `node_modules/@s/a/node_modules/b` -> ['@s/a', 'b']; undefined where patch-package cannot reach (pnpm's
 * `.pnpm` store, a workspace's own node_modules, a package vendored below another package's dist/).
 */
export function patchPackageNames(dir: string): string[] | undefined {
  if (!dir.startsWith('node_modules/')) return undefined;
  const names = dir.slice('node_modules/'.length).split('/node_modules/');
  const valid = names.every((name) => /^(@[^/@.][^/]*\/)?[^/@.][^/]*$/.test(name));
  return valid ? names : undefined;
}

/** `patches/<a>++<@s+b>+<version>.patch`: patch-package's file name (scopes joined with "+", nesting with "++"). */
export function patchPackageFileName(names: string[], version: string): string {
  return `patches/${names.map((name) => name.replace('/', '+')).join('++')}+${version}.patch`;
}

/** `patches/<name>@<version>.patch`, a scope's "/" written "__": the file `pnpm patch-commit` writes. */
export function pnpmPatchFileName(name: string, version: string): string {
  return `patches/${name.replace('/', '__')}@${version}.patch`;
}
