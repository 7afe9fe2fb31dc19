/**
 * Locked package versions, for the known-bad check before `npm install` (CI gates often run before it).
 *
 * Each reader turns one lockfile into `LockedPackage`s: the package's real name (aliases resolved), the locked
 * version, and the 1-based line of its entry, so a finding points at the lockfile line. Workspace and link
 * entries (the project's own code) are left out; the same name@version is listed once per lockfile (pnpm's
 * peer variants, npm's nested copies), at its first line.
 *
 * Formats: package-lock.json and npm-shrinkwrap.json (lockfileVersion 1, 2 and 3), pnpm-lock.yaml (5.x, 6.x
 * and 9.x layouts), yarn.lock (Yarn 1 "classic" and Yarn 2+ "berry", told apart by `__metadata`), bun.lock
 * (bun >= 1.2, JSONC). bun.lockb is binary and is reported as not readable.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SkipNote } from '../../model/finding.js';
import type { InstalledPackage } from '../inventory.js';
import { LOCKFILE_NAMES } from './names.js';
import { isObject, keyLines, parseLocatedJson, type JsonObject, type JsonValue } from './json.js';
import { parseLocatedYaml } from './yaml.js';
import { readBlockEntries, type BlockEntry, type BlockRead } from './block-entries.js';
import { parseYarnClassic } from './yarn-classic.js';

export type LockfileFormat = 'npm' | 'pnpm' | 'yarn-classic' | 'yarn-berry' | 'bun';

export interface LockedPackage {
  name: string;
  version: string;
  /** 1-based line of the entry in the lockfile. */
  line: number;
}

export interface LockfileRead {
  format: LockfileFormat;
  packages: LockedPackage[];
}

export { LOCKFILE_NAMES };

/** Lockfiles larger than this are skipped with a note (the largest in the corpus: 1.7 MB). */
const MAX_LOCKFILE_BYTES = 64 * 1024 * 1024;

/**
 * The locked versions of the lockfiles `rels` (relative to root, as the walk lists them) as InstalledPackages
 * pointing at their lockfile line, for the directories where nothing is installed:
 * - a lockfile whose directory has installed packages (`<dir>/node_modules/...` in `installed`) is not read:
 *   what is installed is the truth;
 * - a name@version that is installed anywhere in the scan is not listed again (one finding per package);
 * - several lockfiles in one directory list a name@version once (the first in LOCKFILE_NAMES order);
 * - bun.lockb (binary) and lockfiles that cannot be read are SkipNotes; bun.lockb beside a bun.lock is ignored.
 */
export function lockedPackages(root: string, rels: readonly string[], installed: readonly InstalledPackage[]): { packages: InstalledPackage[]; skipped: SkipNote[] } {
  const packages: InstalledPackage[] = [];
  const skipped: SkipNote[] = [];
  const installedKeys = new Set(installed.map((p) => `${p.name}@${p.version}`));
  const byDir = new Map<string, string[]>();
  for (const rel of rels) {
    const dir = path.posix.dirname(rel);
    const key = dir === '.' ? '' : dir;
    byDir.set(key, [...(byDir.get(key) ?? []), path.posix.basename(rel)]);
  }
  for (const [dir, names] of [...byDir].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const nodeModules = dir === '' ? 'node_modules/' : `${dir}/node_modules/`;
    if (installed.some((p) => p.dir.startsWith(nodeModules))) continue;
    const seen = new Set<string>();
    for (const name of LOCKFILE_NAMES) {
      if (!names.includes(name)) continue;
      if (name === 'bun.lockb' && names.includes('bun.lock')) continue;
      const rel = dir === '' ? name : `${dir}/${name}`;
      let read: LockfileRead;
      try {
        const abs = path.join(root, rel);
        const size = statSync(abs).size;
        if (size > MAX_LOCKFILE_BYTES) throw new LockfileError(`too large (${(size / 1048576).toFixed(1)} MB)`);
        read = parseLockfile(name, name === 'bun.lockb' ? '' : readFileSync(abs, 'utf8'));
      } catch (error) {
        const message = (error as Error).message.split('\n')[0];
        skipped.push({ file: rel, reason: error instanceof LockfileError ? message : `unreadable lockfile (${message})` });
        continue;
      }
      for (const locked of read.packages) {
        const key = `${locked.name}@${locked.version}`;
        if (installedKeys.has(key) || seen.has(key)) continue;
        seen.add(key);
        packages.push({ name: locked.name, version: locked.version, dir, manifest: rel, line: locked.line, lockfile: read.format });
      }
    }
  }
  return { packages, skipped };
}

export class LockfileError extends Error {}

/**
 * Reads one lockfile's text by its file name. Throws LockfileError (unreadable format) or a parser's error.
 * `lineReader: false` reads pnpm and Yarn 2+ lockfiles with the YAML parser only (for tests: both agree).
 */
export function parseLockfile(fileName: string, text: string, options: { lineReader?: boolean } = {}): LockfileRead {
  const lineReader = options.lineReader ?? true;
  switch (fileName) {
    case 'package-lock.json':
    case 'npm-shrinkwrap.json':
      return { format: 'npm', packages: dedupe(readNpm(text)) };
    case 'pnpm-lock.yaml':
      return { format: 'pnpm', packages: dedupe(readPnpm(text, lineReader)) };
    case 'yarn.lock':
      if (/^__metadata:/m.test(text)) return { format: 'yarn-berry', packages: dedupe(readYarnBerry(text, lineReader)) };
      return { format: 'yarn-classic', packages: dedupe(readYarnClassic(text)) };
    case 'bun.lock':
      return { format: 'bun', packages: dedupe(readBun(text)) };
    case 'bun.lockb':
      throw new LockfileError('binary bun.lockb is not readable: write the text lockfile with `bun install --save-text-lockfile` (bun.lock, the default since bun 1.2)');
    default:
      throw new LockfileError(`not a lockfile: ${fileName}`);
  }
}

function dedupe(list: LockedPackage[]): LockedPackage[] {
  const seen = new Map<string, LockedPackage>();
  for (const pkg of list) {
    const key = `${pkg.name}@${pkg.version}`;
    const previous = seen.get(key);
    if (!previous || pkg.line < previous.line) seen.set(key, pkg);
  }
  return [...seen.values()].sort((a, b) => a.line - b.line);
}

/** `name@version` or `@scope/name@version` split at the version's `@`. */
export function splitAt(spec: string): { name: string; rest: string } | null {
  const at = spec.indexOf('@', 1);
  if (at <= 0) return null;
  return { name: spec.slice(0, at), rest: spec.slice(at + 1) };
}

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

// ------------------------------------------------------------------------------------------------
// npm: package-lock.json / npm-shrinkwrap.json

function readNpm(text: string): LockedPackage[] {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    parsed = parseLocatedJson(text).value; // throws with the line
  }
  if (!isObject(parsed)) throw new LockfileError('not a package-lock object');
  const packages = parsed.packages;
  if (isObject(packages)) {
    // lockfileVersion 2 and 3: keys are install paths ("node_modules/a/node_modules/@s/b"), each named once in the
    // document, so their lines come from a scan of the text.
    const paths = Object.keys(packages).filter((key) => key.includes('node_modules/'));
    const lines = keyLines(text, new Set(paths));
    return readNpmPackages(packages, (key) => lines.get(key));
  }
  const { value, lineOf } = parseLocatedJson(text);
  return readNpmV1(value as JsonObject, lineOf);
}

function readNpmPackages(packages: JsonObject, lineOf: (key: string) => number | undefined): LockedPackage[] {
  const out: LockedPackage[] = [];
  for (const [key, entry] of Object.entries(packages)) {
    if (!isObject(entry) || entry.link === true) continue;
    const at = key.lastIndexOf('node_modules/');
    if (at === -1) continue; // the root and workspace folders: the project's own code
    const name = str(entry.name) ?? key.slice(at + 'node_modules/'.length);
    const version = str(entry.version);
    if (!name || !version) continue;
    out.push({ name, version, line: lineOf(key) ?? 1 });
  }
  return out;
}

/** lockfileVersion 1: nested `dependencies`, the same name at several depths. */
function readNpmV1(value: JsonObject, lineOf: (object: JsonObject, key: string) => number | undefined): LockedPackage[] {
  const out: LockedPackage[] = [];
  const walk = (deps: JsonObject, depth: number) => {
    if (depth > 64) return;
    for (const [key, entry] of Object.entries(deps)) {
      if (!isObject(entry)) continue;
      let name = key;
      let version = str(entry.version);
      if (version?.startsWith('npm:')) {
        // An alias: "version": "npm:hono@4.4.5".
        const real = splitAt(version.slice(4));
        if (real) {
          name = real.name;
          version = real.rest;
        }
      }
      if (version && !version.startsWith('file:') && !version.startsWith('link:')) out.push({ name, version, line: lineOf(deps, key) ?? 1 });
      if (isObject(entry.dependencies)) walk(entry.dependencies, depth + 1);
    }
  };
  if (isObject(value.dependencies)) walk(value.dependencies, 0);
  return out;
}

// ------------------------------------------------------------------------------------------------
// pnpm-lock.yaml

/**
 * Package keys by layout:
 * - 9.x: `name@version` in `packages` (peer variants only in `snapshots`);
 * - 6.x: `/name@version(peer@1.0.0)`;
 * - 5.x: `/name/version_peer@1.0.0`.
 * Non-registry packages (tarballs, git) have other keys and carry `name` and `version` fields.
 */
function readPnpm(text: string, lineReader: boolean): LockedPackage[] {
  const read = (lineReader ? readBlockEntries(text, 'packages', ['name', 'version']) : null) ?? pnpmFromYaml(text);
  const major = Number.parseInt(read.top.get('lockfileVersion') ?? '', 10);
  const out: LockedPackage[] = [];
  for (const { key, line, fields } of read.entries) {
    let name = fields.get('name');
    let version = fields.get('version');
    if (!name || !version) {
      const parsed = major >= 6 || Number.isNaN(major) ? pnpmKeyV6(key) : pnpmKeyV5(key);
      if (!parsed) continue;
      name ??= parsed.name;
      version ??= parsed.version;
    }
    if (version.startsWith('link:') || version.startsWith('file:')) continue;
    out.push({ name, version: version.replace(/\(.*$/, ''), line });
  }
  return out;
}

/** The same entries as readBlockEntries gives, from the YAML parser (any YAML the line reader does not know). */
function pnpmFromYaml(text: string): BlockRead {
  const { value, lineOf } = parseLocatedYaml(text);
  if (!isObject(value)) throw new LockfileError('not a pnpm lockfile');
  const top = new Map<string, string>();
  if (typeof value.lockfileVersion === 'string') top.set('lockfileVersion', value.lockfileVersion);
  const packages = value.packages;
  const entries: BlockEntry[] = [];
  if (isObject(packages)) {
    for (const [key, entry] of Object.entries(packages)) entries.push({ key, line: lineOf(packages, key) ?? 1, fields: scalarFields(entry, ['name', 'version']) });
  }
  return { top, entries };
}

function scalarFields(entry: JsonValue, names: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  if (!isObject(entry)) return fields;
  for (const name of names) {
    const value = entry[name];
    if (typeof value === 'string') fields.set(name, value);
  }
  return fields;
}

function pnpmKeyV6(key: string): { name: string; version: string } | null {
  const bare = key.replace(/^\//, '').replace(/\(.*$/, '');
  const split = splitAt(bare);
  return split && split.rest ? { name: split.name, version: split.rest } : null;
}

function pnpmKeyV5(key: string): { name: string; version: string } | null {
  const bare = key.replace(/^\//, '');
  const slash = bare.lastIndexOf('/');
  if (slash <= 0) return null;
  const name = bare.slice(0, slash);
  if (name.startsWith('@') && !name.includes('/')) return null;
  return { name, version: bare.slice(slash + 1).replace(/_.*$/, '') };
}

// ------------------------------------------------------------------------------------------------
// yarn.lock

/**
 * Yarn 2+: YAML; each entry's key lists its descriptors (`"hono@npm:^4.0.0, hono@npm:4.4.5"`), and
 * `resolution` says what was locked (`hono@npm:4.4.5`, also for aliases), `version` the version.
 * Workspaces, links and portals are the project's own code.
 */
function readYarnBerry(text: string, lineReader: boolean): LockedPackage[] {
  const entries = (lineReader ? readBlockEntries(text, null, ['version', 'resolution'])?.entries : null) ?? berryFromYaml(text);
  const out: LockedPackage[] = [];
  for (const { key, line, fields } of entries) {
    const resolution = fields.get('resolution');
    const version = fields.get('version');
    if (key === '__metadata' || !resolution || !version) continue;
    const split = splitAt(resolution);
    if (!split) continue;
    if (/^(?:workspace|link|portal|file):/.test(split.rest)) continue;
    out.push({ name: split.name, version, line });
  }
  return out;
}

function berryFromYaml(text: string): BlockEntry[] {
  const { value, lineOf } = parseLocatedYaml(text);
  if (!isObject(value)) throw new LockfileError('not a yarn lockfile');
  return Object.entries(value).map(([key, entry]) => ({ key, line: lineOf(value, key) ?? 1, fields: scalarFields(entry, ['version', 'resolution']) }));
}

/** Yarn 1: its own indented format (src/code/lockfiles/yarn-classic.ts). */
function readYarnClassic(text: string): LockedPackage[] {
  const out: LockedPackage[] = [];
  for (const entry of parseYarnClassic(text)) {
    const version = entry.fields.get('version');
    const first = entry.descriptors[0];
    if (!version || !first) continue;
    const split = splitAt(first);
    if (!split) continue;
    let name = split.name;
    // An alias: `h@npm:hono@^4.0.0` installs hono under the name h.
    if (split.rest.startsWith('npm:')) {
      const real = splitAt(split.rest.slice(4));
      name = real ? real.name : split.rest.slice(4);
    }
    if (/^(?:file|link|portal|workspace):/.test(split.rest)) continue;
    out.push({ name, version, line: entry.line });
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// bun.lock

/**
 * bun >= 1.2 (JSONC with trailing commas). `packages` maps an install path (`hono`, `a/hono` for a nested
 * copy) to `["hono@4.4.5", registry, { dependencies }, integrity]`; workspace packages are
 * `["app@workspace:packages/app"]`.
 */
function readBun(text: string): LockedPackage[] {
  const { value, lineOf } = parseLocatedJson(text);
  if (!isObject(value)) throw new LockfileError('not a bun lockfile');
  const packages = value.packages;
  const out: LockedPackage[] = [];
  if (!isObject(packages)) return out;
  for (const [key, entry] of Object.entries(packages)) {
    if (!Array.isArray(entry)) continue;
    const spec = str(entry[0]);
    const split = spec ? splitAt(spec) : null;
    if (!split) continue;
    let { name, rest: version } = split;
    if (version.startsWith('npm:')) {
      // An alias: ["hono@npm:hono@4.4.5", ...] under the alias's key.
      const real = splitAt(version.slice(4));
      if (!real) continue;
      name = real.name;
      version = real.rest;
    }
    if (/^(?:workspace|link|file|root):/.test(version)) continue;
    out.push({ name, version, line: lineOf(packages, key) ?? 1 });
  }
  return out;
}
