/**
 * The project's own package manager, detected from its lockfile, and the commands it takes. Upgrades go
 * through it so that package.json and the lockfile change together; stream-doctor never edits either by
 * hand for an upgrade, and never edits node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from '../../util/semver.js';

export type PackageManagerName = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface PackageManager {
  name: PackageManagerName;
  /** Yarn 2+ ("berry": `.yarnrc.yml`, or `__metadata` in yarn.lock); Yarn 1 otherwise. */
  berry: boolean;
  /** The lockfile the detection rests on, relative to the project root ("../../pnpm-lock.yaml" in a workspace member); absent when there is none. */
  lockfile?: string;
  /** Major version when it is known (`packageManager` field, pnpm lockfile format). */
  major?: number;
  /** The project root is a workspace root (pnpm-workspace.yaml, or `workspaces` in package.json). */
  workspaceRoot: boolean;
  /** pnpm: the workspace file at the project root holds settings (pnpm 10+). */
  pnpmWorkspaceFile: boolean;
  /** Why the choice may be wrong (several lockfiles): shown as advice. */
  notes: string[];
}

/** Lockfiles in the order they are preferred when several are present and nothing else decides. */
const LOCKFILES: Array<[file: string, manager: PackageManagerName]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

/** How far up a workspace member looks for the workspace root's lockfile. */
const MAX_ANCESTORS = 8;

export function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function lockfilesIn(dir: string): Array<[string, PackageManagerName]> {
  return LOCKFILES.filter(([file]) => existsSync(path.join(dir, file)));
}

function isWorkspaceRoot(dir: string, manifest?: Record<string, unknown>): boolean {
  return existsSync(path.join(dir, 'pnpm-workspace.yaml')) || (manifest ?? readJson(path.join(dir, 'package.json')))?.workspaces !== undefined;
}

/** `"packageManager": "pnpm@9.15.0+sha512..."` (Corepack). */
function declaredManager(manifest: Record<string, unknown> | undefined): { name: PackageManagerName; major?: number } | undefined {
  const value = manifest?.packageManager;
  if (typeof value !== 'string') return undefined;
  const match = /^(npm|pnpm|yarn|bun)@([^+\s]+)/.exec(value.trim());
  if (!match) return undefined;
  const version = semver.coerce(match[2]);
  return { name: match[1] as PackageManagerName, ...(version ? { major: version.major } : {}) };
}

/**
 * package-lock.json / npm-shrinkwrap.json -> npm, pnpm-lock.yaml -> pnpm, yarn.lock -> yarn (berry when
 * `.yarnrc.yml` exists or the lockfile has `__metadata`), bun.lock / bun.lockb -> bun; no lockfile -> the
 * `packageManager` field, else npm. A workspace member without a lockfile uses its workspace root's.
 * Several lockfiles: the `packageManager` field decides when it names one of them.
 */
export function detectPackageManager(root: string): PackageManager {
  const manifest = readJson(path.join(root, 'package.json'));
  const declared = declaredManager(manifest);
  let dir = root;
  let found = lockfilesIn(root);
  if (found.length === 0) {
    let current = root;
    for (let i = 0; i < MAX_ANCESTORS; i++) {
      const parent = path.dirname(current);
      if (parent === current) break;
      current = parent;
      const here = lockfilesIn(current);
      if (here.length > 0 && isWorkspaceRoot(current)) {
        dir = current;
        found = here;
        break;
      }
      if (existsSync(path.join(current, '.git'))) break;
    }
  }
  const notes: string[] = [];
  let name: PackageManagerName = declared?.name ?? 'npm';
  let lockfile: string | undefined;
  if (found.length > 0) {
    const chosen = (declared && found.find(([, manager]) => manager === declared.name)) || found[0];
    name = chosen[1];
    lockfile = path.relative(root, path.join(dir, chosen[0])).split(path.sep).join('/');
    const others = found.filter(([file]) => file !== chosen[0] && !(chosen[1] === 'bun' && file.startsWith('bun.lock')));
    if (others.some(([, manager]) => manager !== name)) {
      notes.push(
        `Several lockfiles (${found.map(([file]) => file).join(', ')}): upgrades use ${name} (${chosen[0]}${declared?.name === name ? ', as "packageManager" in package.json says' : ''}); delete the lockfile of the package manager you do not use.`,
      );
    }
  }
  const lockDir = dir;
  let berry = false;
  let major = declared?.name === name ? declared.major : undefined;
  if (name === 'yarn') {
    berry = (major !== undefined && major >= 2) || existsSync(path.join(lockDir, '.yarnrc.yml')) || lockfileHas(path.join(lockDir, 'yarn.lock'), /^__metadata:/m);
  }
  if (name === 'pnpm' && major === undefined && lockfile) {
    // lockfileVersion 5.x is pnpm 7, 6.0 pnpm 8; 9.0 is written by pnpm 9 and later (no finer information).
    const lockVersion = /^lockfileVersion:\s*'?(\d+)/m.exec(head(path.join(lockDir, 'pnpm-lock.yaml')))?.[1];
    if (lockVersion === '5') major = 7;
    else if (lockVersion === '6') major = 8;
  }
  return {
    name,
    berry,
    ...(lockfile ? { lockfile } : {}),
    ...(major !== undefined ? { major } : {}),
    workspaceRoot: isWorkspaceRoot(root, manifest),
    pnpmWorkspaceFile: existsSync(path.join(root, 'pnpm-workspace.yaml')),
    notes,
  };
}

function head(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(0, 4096);
  } catch {
    return '';
  }
}

function lockfileHas(file: string, pattern: RegExp): boolean {
  return pattern.test(head(file));
}

export function describeManager(pm: PackageManager): string {
  if (pm.name === 'yarn') return pm.berry ? 'Yarn 2+' : 'Yarn 1';
  return pm.name;
}

export type DependencyField = 'dependencies' | 'devDependencies' | 'optionalDependencies';

export interface AddRequest {
  name: string;
  /** The version range to save (`^1.2.3`, `~1.2.3`) or the exact version (with `exact`). */
  range: string;
  exact: boolean;
  field: DependencyField;
}

/** The argv of an `add`/`install` into `field`, without the package specs. */
function addPrefix(pm: PackageManager, field: DependencyField, exact: boolean): string[] {
  switch (pm.name) {
    case 'npm': {
      const flags = { dependencies: [], devDependencies: ['--save-dev'], optionalDependencies: ['--save-optional'] }[field];
      return ['npm', 'install', ...flags, ...(exact ? ['--save-exact'] : [])];
    }
    case 'pnpm': {
      const flags = { dependencies: [], devDependencies: ['--save-dev'], optionalDependencies: ['--save-optional'] }[field];
      // At a workspace root pnpm refuses `add` without -w (it would not know which project is meant).
      return ['pnpm', 'add', ...flags, ...(exact ? ['--save-exact'] : []), ...(pm.workspaceRoot ? ['--workspace-root'] : [])];
    }
    case 'yarn': {
      const flags = { dependencies: [], devDependencies: ['--dev'], optionalDependencies: ['--optional'] }[field];
      // Yarn 1 refuses `add` at a workspace root without -W.
      return ['yarn', 'add', ...flags, ...(exact ? ['--exact'] : []), ...(!pm.berry && pm.workspaceRoot ? ['--ignore-workspace-root-check'] : [])];
    }
    case 'bun': {
      const flags = { dependencies: [], devDependencies: ['--dev'], optionalDependencies: ['--optional'] }[field];
      return ['bun', 'add', ...flags, ...(exact ? ['--exact'] : [])];
    }
  }
}

/**
 * The argv that upgrades a direct dependency in place, keeping it in the same section of package.json
 * (prod, dev, optional) and keeping an exact pin exact.
 */
export function addCommand(pm: PackageManager, request: AddRequest): string[] {
  return [...addPrefix(pm, request.field, request.exact), `${request.name}@${request.range}`];
}

/** The command a user runs to add dev dependencies such as patch-package (shown in advice, never run). */
export function devInstallText(pm: PackageManager, names: string[]): string {
  return [...addPrefix(pm, 'devDependencies', false), ...names].join(' ');
}

/** The install command that applies patches and refreshes the lockfile (advice text). */
export function installText(pm: PackageManager): string {
  return `${pm.name} install`;
}

/** Where this package manager lets a project force a transitive dependency's version (advice text). */
export function overrideAdvice(pm: PackageManager, name: string, range: string): string {
  const entry = `${JSON.stringify(name)}: ${JSON.stringify(range)}`;
  switch (pm.name) {
    case 'npm':
      return `force it with "overrides": { ${entry} } in package.json, then run npm install`;
    case 'pnpm':
      return pm.pnpmWorkspaceFile || (pm.major ?? 0) >= 10
        ? `force it with overrides: { ${entry} } in pnpm-workspace.yaml (pnpm 10+; "pnpm": { "overrides": … } in package.json before), then run pnpm install`
        : `force it with "pnpm": { "overrides": { ${entry} } } in package.json, then run pnpm install`;
    case 'yarn':
      return `force it with "resolutions": { ${entry} } in package.json, then run yarn install`;
    case 'bun':
      return `force it with "overrides": { ${entry} } in package.json, then run bun install`;
  }
}
