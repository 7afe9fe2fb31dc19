/** File names of lockfiles, in the order of preference when one directory has several (npm's own order first). */
export const LOCKFILE_NAMES: readonly string[] = ['npm-shrinkwrap.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'];
