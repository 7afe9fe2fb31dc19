/**
 * The file walker, the byte pre-filter and the package inventory.
 *
 * One synchronous directory walk (hand-written over `fs.readdirSync(..., { withFileTypes: true })`, so that
 * pruning by `.gitignore`, `--exclude`, `--no-deps` and the include globs happens per directory instead of
 * after the fact) selects source files; their bytes are then searched for the rules' trigger tokens. Only
 * files that contain a token ("candidates") are decoded and returned. See docs/performance.md for the
 * measurements behind each choice below.
 *
 * Decisions worth knowing:
 * - `.gitignore` (root, nested, and `.git/info/exclude`) applies to the project's own files only. Nothing in
 *   `node_modules` or in a build-output directory is ever filtered by it: build output is usually ignored
 *   by git and is exactly what gets deployed. Parents of two-level build dirs (`.aws-sam`, `.next`,
 *   `.vercel`) that are ignored are entered only to reach their build child.
 * - Symbolic links. The real tree under the root is always walked, so a link whose target lies inside the
 *   root is never followed: its target is scanned once at its real path (or was pruned on purpose by
 *   `.gitignore`/`--exclude`/`--no-deps`). That gives "each real file once" (dedupe by realpath) and makes
 *   symlink cycles inside the root impossible. This covers pnpm (`node_modules/<pkg>` -> `.pnpm/...`) and
 *   workspace links (`node_modules/@org/lib` -> `packages/lib`, which stays a project file).
 *   A link whose target is OUTSIDE the root is followed only when it sits at a package position in a
 *   `node_modules` directory (`node_modules/<name>`, `node_modules/@scope/<name>`): that is how
 *   `npm link`, `yarn link`/`portal:` and pnpm's global virtual store install packages, and that code is
 *   bundled and deployed. Such trees are walked under the link's path (origin 'dependency') and deduped by
 *   realpath, so two links to one store directory and cycles between store entries are visited once.
 *   Any other link out of the root (for example a project directory linked to `$HOME`) is not followed
 *   and is reported as a SkipNote, so a scan never wanders over the whole file system.
 * - Hard links are NOT deduplicated (that would need a stat per file): a file hard-linked into two package
 *   directories (pnpm's content-addressed store) is two installed modules that are loaded separately, and
 *   each belongs to a different package version, so each is scanned and attributed on its own.
 * - `node_modules/.cache` (babel-loader, terser, eslint caches) is skipped: it is not installed code.
 * - Tokens are searched as bytes. Each token is covered by a short "anchor" (a 6-byte window of the
 *   token that starts with a byte that is rare in JavaScript), anchors are searched with `Buffer#indexOf`,
 *   and only files that contain an anchor are searched for the full tokens. Searching 5 tokens this way
 *   is ~3.5x faster than searching the tokens themselves (measured, docs/performance.md).
 * - On trees with more than a few hundred source files the pre-filter runs on the main thread plus up to
 *   three worker threads, which claim chunks of the file list through a shared atomic counter while the
 *   walk is still producing them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Ignore } from 'ignore';
import type { PackageRef, SkipNote } from '../model/finding.js';
import type { InstalledPackage } from './inventory.js';
import { LOCKFILE_NAMES } from './lockfiles/names.js';
import { loadPicomatch } from '../util/picomatch.js';

export type { InstalledPackage };

export type Origin = 'project' | 'dependency' | 'build-output';

export interface WalkOptions {
  /** Absolute path of the directory to scan. */
  root: string;
  /** false with --no-deps: skip every `node_modules` directory entirely. */
  includeDeps: boolean;
  /** picomatch globs relative to root ("/" separators); if given, only matching files are scanned. */
  include?: string[];
  /** picomatch globs relative to root; a matching file is skipped, a matching directory is pruned. */
  exclude?: string[];
  /** Byte pre-filter: a file is a candidate if it contains ANY token. No tokens: no candidates. */
  tokens: string[];
  /** The tokens that select an installed dependency's file (origin 'dependency'); default: `tokens`. */
  dependencyTokens?: string[];
  /** Default 8 MiB: bigger files are skipped with a SkipNote (reason 'too large (N MB)'). */
  maxFileBytes?: number;
  /** Called at most ~10x/second, and once at the end. `walked` counts source files found so far. */
  onProgress?: (walked: number, candidates: number) => void;
  /**
   * Extra worker threads for the pre-filter. Default: automatic (up to availableParallelism - 1, at most 3,
   * started only once the walk has found more than a few hundred source files). 0 keeps everything on the
   * calling thread. Mostly for tests and benchmarks.
   */
  workers?: number;
  /**
   * Called on the calling thread with each candidate once the walk is over, as soon as the pre-filter has
   * found it, in no particular order: between the chunks the calling thread pre-filters and while it waits
   * for the workers' last ones. What the caller does there (`scan` analyses the file) overlaps the workers'
   * reading instead of following it (docs/performance.md, "The full CLI"). Every candidate is also in the result.
   */
  onCandidate?: (candidate: CandidateFile) => void;
}

export interface CandidateFile {
  abs: string;
  /** Relative to root, "/" separators. */
  rel: string;
  origin: Origin;
  /** Nearest enclosing package under node_modules (name+version from its package.json). */
  package?: PackageRef;
  /** File content decoded as UTF-8 (invalid bytes become U+FFFD). */
  text: string;
}

export interface WalkResult {
  /** Sorted by rel. */
  candidates: CandidateFile[];
  /** Sorted by file. */
  skipped: SkipNote[];
  /** Source files selected by the walk (after include/exclude/.gitignore) and handed to the pre-filter. */
  filesWalked: number;
  /**
   * Packages installed in the `node_modules` directories the walk entered (include/exclude globs apply), from
   * the same walk: the same list as inventoryPackages(root) without a second walk (the package.json of each
   * package directory costs ~8 ms for the 680 packages of the benchmark tree). Their unreadable or invalid
   * package.json files are already in `skipped`. Sorted by dir. Absent with includeDeps: false.
   */
  packages?: InstalledPackage[];
  /**
   * Lockfiles (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, bun.lock, bun.lockb) in the
   * project's own directories (not in node_modules or build output), relative to root, sorted. Absent with
   * includeDeps: false.
   */
  lockfiles?: string[];
  /**
   * Every selected source file outside node_modules (the project's and build output's), for the known-bad
   * check's entry-point search, which reads them only when an installed or locked version is affected. Absent
   * with includeDeps: false.
   */
  projectFiles?: ProjectFile[];
}

export interface ProjectFile {
  abs: string;
  /** Relative to root, "/" separators. */
  rel: string;
  origin: Exclude<Origin, 'dependency'>;
}

// `ignore` is CommonJS. Importing it as an ES module runs Node's CJS export lexer over its source (~20 ms for
// its 50 KB on every start); require() does not. Loaded only when needed, like picomatch
// (src/util/picomatch.ts). (In the bundle this `require` is esbuild's: the package is bundled and still runs
// only on the first call; scripts/build.mjs.)
const require = createRequire(import.meta.url);
let ignoreFactory: (() => Ignore) | undefined;
function newIgnore(): Ignore {
  ignoreFactory ??= require('ignore') as () => Ignore;
  return ignoreFactory();
}

const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Files per chunk handed to the pre-filter threads. */
const CHUNK_FILES = 64;
/** Source files found before worker threads are worth their ~30 ms start-up. */
const WORKER_THRESHOLD = 600;
/** This tool's own npm package (package.json "name"). */
const OWN_PACKAGE_NAME = 'stream-doctor';
const PROGRESS_INTERVAL_MS = 100;
/**
 * How long the walk runs between turns of the event loop. Short, because `scan` loads the analysis while the
 * walk runs, and a module graph loads one level of imports per turn (the files are read asynchronously).
 */
const YIELD_INTERVAL_MS = 5;

/** Directory names that are build output wherever they appear outside node_modules. */
const BUILD_DIRS = new Set(['.output', '.open-next', 'cdk.out', '.serverless', 'dist', 'build', '.netlify']);
/** Two-level build output: parent name -> build child. */
const BUILD_PARENTS: ReadonlyMap<string, string> = new Map([
  ['.aws-sam', 'build'],
  ['.next', 'standalone'],
  ['.vercel', 'output'],
]);
/** Never entered, at any depth. */
const ALWAYS_SKIPPED_DIRS = new Set(['.git', '.stream-doctor-cache']);
const LOCKFILES = new Set(LOCKFILE_NAMES);

const SOURCE_EXTENSIONS = new Set(['js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx']);

/** True for .js .mjs .cjs .jsx .ts .mts .cts .tsx, false for declaration files (.d.ts, .d.mts, .d.cts). */
export function isSourceFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return false;
  const ext = name.slice(dot + 1);
  if (!SOURCE_EXTENSIONS.has(ext)) return false;
  if (ext === 'ts' || ext === 'mts' || ext === 'cts') return !name.endsWith('.d.' + ext);
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Anchor planning for the byte pre-filter.

/**
 * Approximate frequency (per mille) of bytes in the JavaScript of a real node_modules tree (measured on the
 * benchmark tree, every 7th byte of 199 MB). `Buffer#indexOf` for needles shorter than 7 bytes runs a
 * memchr for the needle's first byte and compares at each occurrence, so its cost grows with this number.
 */
const BYTE_PER_MILLE: Record<string, number> = {
  ' ': 138, e: 78.6, t: 58.3, r: 57, o: 44.6, n: 42.5, a: 39.3, i: 39.2, s: 37.9, l: 24.8, c: 24.5, p: 23.5,
  u: 21.3, d: 20.5, '.': 18, ')': 17.7, '(': 17.7, ',': 15.4, '\n': 14.3, '"': 13.4, '=': 12.9, m: 12.8,
  f: 12.6, h: 11.1, g: 10.3, y: 8.8, ';': 7.2, b: 7.1, v: 6.8, _: 6.5, ':': 6.4, C: 6.3, '{': 6, S: 6,
  '}': 5.9, A: 5.7, k: 5.7, '0': 4.9, E: 4.8, w: 4.6, P: 4.6, T: 4.5, R: 4.5, I: 4.4, '1': 4.2, x: 4,
  F: 3.6, '/': 3.2, '&': 3.1, D: 3.1, N: 2.8, O: 2.8, '\t': 2.5, '-': 2.3, '!': 2.3, L: 2.2, M: 2.2,
  '2': 2.2, j: 2.1, B: 2, ']': 2, '[': 2, "'": 1.9, V: 1.9, '|': 1.8, U: 1.6, $: 1.5, q: 1.5, '?': 1.5,
  '3': 1.4, '*': 1.4, '+': 1.2, '4': 1.2, '6': 1.2, H: 1.1, '\\': 1.1, G: 1, '5': 1, W: 1, '`': 1, '8': 1,
  '>': 0.9, z: 0.9, '9': 0.9, Q: 0.9, '7': 0.8, K: 0.8, J: 0.5, Y: 0.5, '<': 0.4, X: 0.3, '@': 0.3, Z: 0.2,
  '#': 0.2,
};
/**
 * Extra cost for a window without an internal "boundary" (lower->upper case, letter<->non-letter): such a
 * window is usually a common word ("Respon") and matches in many files, each of which must then be searched
 * for the full token. Fitted to measurements: `yRespo` beats `Respon` for `streamifyResponse`.
 */
const WORDLIKE_PENALTY = 5;
const ANCHOR_BYTES = 6;

/** [anchor, tokens it stands for], all as latin1 strings of the tokens' UTF-8 bytes. */
export type AnchorPlan = Array<[anchor: string, tokens: string[]]>;

function isLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

function hasBoundary(w: string): boolean {
  for (let i = 1; i < w.length; i++) {
    const p = w[i - 1]!;
    const c = w[i]!;
    if (isLetter(p) !== isLetter(c)) return true;
    if (p >= 'a' && p <= 'z' && c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

/**
 * Chooses, for each token, the 6-byte window ("anchor") that is cheapest to search for: `Buffer#indexOf`
 * with a needle shorter than 7 bytes runs memchr for its first byte and compares at each occurrence, so a
 * window that starts with a byte rare in JavaScript is fast (11-26 ms over 199 MB, against 32-79 ms for the
 * full tokens). A file that contains a token contains its anchor, so searching anchors first and the full
 * tokens only on anchor hits finds exactly the files that contain a token. Tokens that contain another
 * token are dropped (the shorter one finds every such file); tokens of 6 bytes or fewer are their own anchor.
 */
export function planAnchors(tokens: string[]): AnchorPlan {
  const byteTokens = [...new Set(tokens.filter((t) => t.length > 0).map((t) => Buffer.from(t, 'utf8').toString('latin1')))];
  const minimal = byteTokens.filter((t) => !byteTokens.some((o) => o !== t && t.includes(o)));
  const plan = new Map<string, string[]>();
  for (const t of minimal) {
    const len = Math.min(ANCHOR_BYTES, t.length);
    let best = t.slice(0, len);
    let bestCost = Infinity;
    for (let i = 0; i + len <= t.length; i++) {
      const w = t.slice(i, i + len);
      const cost = (BYTE_PER_MILLE[w[0]!] ?? 0.5) + (len > 2 && !hasBoundary(w) ? WORDLIKE_PENALTY : 0);
      if (cost < bestCost) {
        best = w;
        bestCost = cost;
      }
    }
    const list = plan.get(best);
    if (list) list.push(t);
    else plan.set(best, [t]);
  }
  return [...plan];
}

// ---------------------------------------------------------------------------------------------------
// The per-file scanner. It runs on the main thread and in worker threads, whose source is built from
// these functions' text: they must reference nothing but their parameters and globals (Buffer).

/** A miss is `0`; a hit is the decoded text; a skip is `[reason]`. */
type ScanOutcome = 0 | string | [reason: string];

function createScanner(
  fsMod: typeof import('node:fs'),
  plan: AnchorPlan,
  maxBytes: number,
  dependencyPlan: AnchorPlan = plan,
): (file: string, dependency: boolean) => ScanOutcome {
  const compile = (p: AnchorPlan) =>
    p.map(([a, ts]) => ({
      anchor: Buffer.from(a, 'latin1'),
      tokens: ts.map((t) => Buffer.from(t, 'latin1')),
      self: ts.length === 1 && ts[0] === a,
    }));
  const projectAnchors = compile(plan);
  const dependencyAnchors = dependencyPlan === plan ? projectAnchors : compile(dependencyPlan);
  // One buffer per thread, reused for every file. Allocated at the default limit up front: unused pages of
  // it cost no memory, and growing it (copying) showed up in profiles.
  let buf = Buffer.allocUnsafe(Math.min(8 * 1024 * 1024, maxBytes) + 1);
  const errorCode = (e: unknown) => ((e as { code?: string }).code ?? String(e));
  return function scan(file: string, dependency: boolean): ScanOutcome {
    const anchors = dependency ? dependencyAnchors : projectAnchors;
    if (anchors.length === 0) return 0;
    let fd: number;
    try {
      fd = fsMod.openSync(file, 'r');
    } catch (e) {
      return [`unreadable (${errorCode(e)})`];
    }
    let n = 0;
    try {
      // Read to the end into a reused buffer that grows (up to maxBytes + 1) as needed; no fstat per file. A
      // read that returns less than it was asked for ends a regular file (Linux, macOS and Windows read local,
      // NFS, 9p and FUSE files in full), so it is not followed by the read that returns 0: one syscall less per
      // file, ≈ 6 % of the pre-filter (docs/performance.md, "Fourth pass"). A short read of whole 4 KB blocks,
      // which a file system that splits reads would return, is still confirmed by reading again.
      for (;;) {
        if (n === buf.length) {
          if (n > maxBytes) break;
          const bigger = Buffer.allocUnsafe(Math.min(buf.length * 4, maxBytes + 1));
          buf.copy(bigger, 0, 0, n);
          buf = bigger;
        }
        const asked = buf.length - n;
        const r = fsMod.readSync(fd, buf, n, asked, null);
        if (r === 0) break;
        n += r;
        if (r < asked && r % 4096 !== 0) break;
      }
      if (n > maxBytes) n = fsMod.fstatSync(fd).size;
    } catch (e) {
      return [`unreadable (${errorCode(e)})`];
    } finally {
      fsMod.closeSync(fd);
    }
    if (n > maxBytes) return [`too large (${(n / 1048576).toFixed(1)} MB)`];
    const data = buf.subarray(0, n);
    let hit = false;
    for (const a of anchors) {
      if (data.indexOf(a.anchor) === -1) continue;
      if (a.self) hit = true;
      else for (const t of a.tokens) if (data.indexOf(t) !== -1) { hit = true; break; }
      if (hit) break;
    }
    if (!hit) return 0;
    if (data.subarray(0, 8192).indexOf(0) !== -1) return ['binary (NUL byte in the first 8 KB)'];
    return data.toString('utf8');
  };
}

/** Chunk k as sent to workers; `dependency[i]` is 1 when files[i] lies in an installed dependency. */
interface ChunkMessage { k: number; files: string[]; dependency: Uint8Array }
/** Per-chunk result from a worker: local index -> outcome, for non-misses only. */
interface ChunkResult { k: number; out: Array<[number, string | [string]]> }

/** Control words in the shared Int32Array. */
const NEXT = 0; // next chunk index to claim
const PUBLISHED = 1; // chunks published so far
const WALK_DONE = 2; // 1 when no more chunks will be published
const HITS = 3; // candidates found so far (for progress)

function prefilterWorkerMain(
  wt: typeof import('node:worker_threads'),
  fsMod: typeof import('node:fs'),
  makeScanner: typeof createScanner,
): void {
  const data = wt.workerData as { ctrl: SharedArrayBuffer; port: MessagePort; plan: AnchorPlan; dependencyPlan: AnchorPlan; maxBytes: number };
  const ctrl = new Int32Array(data.ctrl);
  const port = data.port;
  const scan = makeScanner(fsMod, data.plan, data.maxBytes, data.dependencyPlan);
  // Every published chunk arrives here; this worker scans those it claims. Claims only increase, so
  // chunks below the current claim are dropped.
  const chunks: Array<ChunkMessage | undefined> = [];
  let low = 0;
  for (;;) {
    const k = Atomics.add(ctrl, 0, 1);
    for (; low < k; low++) chunks[low] = undefined;
    let chunk: ChunkMessage | undefined;
    for (;;) {
      for (let m = wt.receiveMessageOnPort(port); m; m = wt.receiveMessageOnPort(port)) {
        const msg = m.message as ChunkMessage;
        if (msg.k >= low) chunks[msg.k] = msg;
      }
      chunk = chunks[k];
      if (chunk) break;
      const published = Atomics.load(ctrl, 1);
      if (published > k) continue; // published but not yet delivered: drain again
      if (Atomics.load(ctrl, 2) === 1 && Atomics.load(ctrl, 1) <= k) break;
      Atomics.wait(ctrl, 1, published, 20);
    }
    if (!chunk) break;
    chunks[k] = undefined;
    const out: Array<[number, string | [string]]> = [];
    for (let i = 0; i < chunk.files.length; i++) {
      const r = scan(chunk.files[i]!, chunk.dependency[i] === 1);
      if (r === 0) continue;
      if (typeof r === 'string') Atomics.add(ctrl, 3, 1);
      out.push([i, r]);
    }
    port.postMessage({ k, out });
  }
  // Same port as the results, so it arrives after all of them.
  port.postMessage({ k: -1, out: [] });
}

/**
 * The source of the pre-filter worker (eval'd, so it needs no file of its own); exported for tests. It gets
 * its modules from process.getBuiltinModule (Node >= 20.16), not require(): a worker inherits the parent's
 * execArgv, and under --input-type=module (or --experimental-default-type=module) eval'd code is an ES
 * module without require. (Measured: with require() the worker died there and the main thread silently did
 * all the work, 60 ms slower.)
 */
export const WORKER_SOURCE = `'use strict';
const createScanner = ${createScanner.toString()};
(${prefilterWorkerMain.toString()})(process.getBuiltinModule('node:worker_threads'), process.getBuiltinModule('node:fs'), createScanner);
`;

// ---------------------------------------------------------------------------------------------------
// The walk.

type Role =
  | 'plain' // any directory without a special meaning
  | 'nm' // a node_modules directory (children are packages)
  | 'scope' // node_modules/@scope
  | 'pnpm-store' // node_modules/.pnpm
  | 'pnpm-entry'; // node_modules/.pnpm/<name>@<version>

interface IgnoreLayer {
  /** Directory (rel) the .gitignore is in; '' for the root. */
  base: string;
  ig: Ignore;
}

interface Frame {
  /** Real absolute path (what is read). */
  abs: string;
  /** Relative to root, "/" separators; '' for the root itself. */
  rel: string;
  origin: Origin;
  role: Role;
  /** .gitignore layers in force (project frames only), shallowest first. */
  ignores: IgnoreLayer[] | null;
  /** Abs path of the enclosing package directory (dependency frames). */
  pkgRoot: string | null;
  /** Set on build parents (.aws-sam, ...): the child that is build output. */
  buildChild?: string;
  /** Set when this frame is git-ignored and entered only to reach `buildChild`. */
  onlyBuildChild?: boolean;
}

/** One source file found by the walk. */
interface FileEntry {
  /** The directory it was found in (for a link out of the root: the link's directory). */
  frame: Frame;
  name: string;
  /** Set for files reached through a link out of the root: the real file. */
  realAbs?: string;
}

type Mode = 'files' | 'inventory';

interface WalkerConfig {
  root: string;
  realRoot: string;
  includeDeps: boolean;
  mode: Mode;
  include: ((rel: string) => boolean) | null;
  includeBases: string[] | null;
  exclude: ((rel: string) => boolean) | null;
}

function errCode(e: unknown): string {
  return (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));
}

function joinRel(base: string, name: string): string {
  return base === '' ? name : base + '/' + name;
}

/** Git's precedence: the deepest .gitignore that has an opinion wins; within one, the last matching rule. */
function isGitIgnored(layers: IgnoreLayer[] | null, rel: string, isDir: boolean): boolean {
  if (!layers) return false;
  for (let i = layers.length - 1; i >= 0; i--) {
    const { base, ig } = layers[i]!;
    const sub = base === '' ? rel : rel.slice(base.length + 1);
    let r: { ignored: boolean; unignored: boolean };
    try {
      r = ig.test(isDir ? sub + '/' : sub);
    } catch {
      continue; // a path the ignore library rejects: this file has no opinion on it
    }
    if (r.ignored) return true;
    if (r.unignored) return false;
  }
  return false;
}

/**
 * The walker shared by collectCandidates and inventoryPackages. It calls `onFile` for each selected source
 * file (never in inventory mode) and the `tick` given to `run` every 64 directories (its promise is awaited,
 * to keep the event loop, progress and spinners alive).
 */
class Walker {
  readonly skipped: SkipNote[] = [];
  readonly packages: InstalledPackage[] = [];
  /** Lockfiles in project directories (rel). */
  readonly lockfiles: string[] = [];
  /** Real dirs of trees outside the root that were entered through node_modules links. */
  private readonly externalDirs = new Set<string>();
  private readonly externalFiles = new Set<string>();
  /** package.json of a directory: the ref if it has name+version, else null. */
  readonly manifestCache = new Map<string, PackageRef | null>();

  constructor(
    private readonly cfg: WalkerConfig,
    private readonly onFile: (f: FileEntry) => void,
  ) {}

  note(file: string, reason: string): void {
    this.skipped.push({ file: file === '' ? '.' : file, reason });
  }

  rootFrame(): Frame {
    const layers: IgnoreLayer[] = [];
    // .git/info/exclude has the lowest precedence of the per-repository ignore files.
    try {
      const text = fs.readFileSync(path.join(this.cfg.realRoot, '.git', 'info', 'exclude'), 'utf8');
      layers.push({ base: '', ig: newIgnore().add(text) });
    } catch {
      // no repository or no exclude file
    }
    return { abs: this.cfg.realRoot, rel: '', origin: 'project', role: 'plain', ignores: layers, pkgRoot: null };
  }

  /** Walks synchronously from `start`, in chunks; `tick` is called between directories. */
  async run(start: Frame, tick: () => Promise<void> | void): Promise<void> {
    const stack: Frame[] = [start];
    let sinceTick = 0;
    while (stack.length > 0) {
      const frame = stack.pop()!;
      this.visit(frame, stack);
      if (++sinceTick >= 64) {
        sinceTick = 0;
        const p = tick();
        if (p) await p;
      }
    }
  }

  private visit(frame: Frame, stack: Frame[]): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(frame.abs, { withFileTypes: true });
    } catch (e) {
      this.note(frame.rel, `unreadable directory (${errCode(e)})`);
      return;
    }
    let layers = frame.ignores;
    if (frame.origin === 'project' && layers && !frame.onlyBuildChild) {
      for (const ent of entries) {
        if (ent.name === '.gitignore' && !ent.isDirectory()) {
          try {
            const text = fs.readFileSync(frame.abs + '/.gitignore', 'utf8');
            layers = [...layers, { base: frame.rel, ig: newIgnore().add(text) }];
          } catch (e) {
            this.note(joinRel(frame.rel, '.gitignore'), `unreadable (${errCode(e)})`);
          }
          break;
        }
      }
    }
    const inventoryOnly = this.cfg.mode === 'inventory';
    for (const ent of entries) {
      const name = ent.name;
      if (ent.isDirectory()) {
        const child = this.childDir(frame, layers, name, frame.abs + '/' + name);
        if (child) stack.push(child);
      } else if (ent.isFile()) {
        if (frame.origin === 'project' && LOCKFILES.has(name) && this.cfg.includeDeps && !frame.onlyBuildChild && this.fileSelected(frame, layers, name)) {
          this.lockfiles.push(joinRel(frame.rel, name));
          continue;
        }
        if (inventoryOnly || frame.onlyBuildChild || !isSourceFileName(name)) continue;
        if (this.fileSelected(frame, layers, name)) this.onFile({ frame, name });
      } else if (ent.isSymbolicLink()) {
        this.link(frame, layers, name);
      }
    }
  }

  private fileSelected(frame: Frame, layers: IgnoreLayer[] | null, name: string): boolean {
    const { include, exclude } = this.cfg;
    if (!include && !exclude && !layers) return true;
    const rel = joinRel(frame.rel, name);
    if (exclude && exclude(rel)) return false;
    if (include && !include(rel)) return false;
    if (frame.origin === 'project' && isGitIgnored(layers, rel, false)) return false;
    return true;
  }

  /**
   * Decides whether and how a child directory is walked. `realAbs` is where it really is (differs from
   * the parent's abs + name only for followed links).
   */
  private childDir(frame: Frame, layers: IgnoreLayer[] | null, name: string, realAbs: string): Frame | null {
    if (ALWAYS_SKIPPED_DIRS.has(name)) return null;
    if (frame.onlyBuildChild && name !== frame.buildChild) return null;
    const rel = joinRel(frame.rel, name);
    const { exclude, includeBases } = this.cfg;
    if (exclude && exclude(rel)) return null;
    if (includeBases && !includeBases.some((b) => b.startsWith(rel + '/') || b === rel || rel.startsWith(b + '/'))) return null;
    if (name === 'node_modules') {
      if (!this.cfg.includeDeps) return null;
      return { abs: realAbs, rel, origin: 'dependency', role: 'nm', ignores: null, pkgRoot: null };
    }

    if (frame.origin === 'dependency') {
      switch (frame.role) {
        case 'nm':
          if (name === '.pnpm') return { abs: realAbs, rel, origin: 'dependency', role: 'pnpm-store', ignores: null, pkgRoot: null };
          if (name.startsWith('.')) {
            // .cache is tool caches (babel-loader, terser, ...); other dot dirs (.bin, .prisma/client) are walked.
            if (name === '.cache') return null;
            return { abs: realAbs, rel, origin: 'dependency', role: 'plain', ignores: null, pkgRoot: null };
          }
          if (name.startsWith('@')) return { abs: realAbs, rel, origin: 'dependency', role: 'scope', ignores: null, pkgRoot: null };
          return this.packageDir(realAbs, rel);
        case 'scope':
          return this.packageDir(realAbs, rel);
        case 'pnpm-store':
          return { abs: realAbs, rel, origin: 'dependency', role: 'pnpm-entry', ignores: null, pkgRoot: null };
        case 'pnpm-entry':
          return null; // only its node_modules child (handled above) holds packages
        default:
          // Inside a package. The inventory walks these directories too: packages vendor their
          // dependencies in node_modules directories at any depth (nf3/dist/node_modules/glob).
          return { abs: realAbs, rel, origin: 'dependency', role: 'plain', ignores: null, pkgRoot: frame.pkgRoot };
      }
    }

    if (frame.origin === 'build-output') {
      return { abs: realAbs, rel, origin: 'build-output', role: 'plain', ignores: null, pkgRoot: null };
    }

    // A project directory.
    if (BUILD_DIRS.has(name) || frame.buildChild === name) {
      return { abs: realAbs, rel, origin: 'build-output', role: 'plain', ignores: null, pkgRoot: null };
    }
    const buildChild = BUILD_PARENTS.get(name);
    const ignored = isGitIgnored(layers, rel, true);
    if (ignored && !buildChild) return null;
    const child: Frame = { abs: realAbs, rel, origin: 'project', role: 'plain', ignores: layers, pkgRoot: null };
    if (buildChild) {
      child.buildChild = buildChild;
      if (ignored) child.onlyBuildChild = true;
    }
    return child;
  }

  private packageDir(realAbs: string, rel: string): Frame | null {
    const ref = this.readManifest(realAbs, rel, true);
    if (ref) this.packages.push({ ...ref, dir: rel, manifest: rel + '/package.json' });
    // stream-doctor installed as a devDependency: inventoried, not walked. No handler loads it, and its bundle
    // names every streaming marker (its rules' messages): scanning it parsed 15 files, ≈ 1 MB, on every run.
    if (ref?.name === OWN_PACKAGE_NAME) return null;
    return { abs: realAbs, rel, origin: 'dependency', role: 'plain', ignores: null, pkgRoot: realAbs };
  }

  /** The name+version of `dir/package.json`, cached; a broken one is noted when `noteErrors`. */
  readManifest(dir: string, rel: string, noteErrors: boolean): PackageRef | null {
    const cached = this.manifestCache.get(dir);
    if (cached !== undefined) return cached;
    let ref: PackageRef | null = null;
    let text: string | undefined;
    try {
      text = fs.readFileSync(dir + '/package.json', 'utf8');
    } catch (e) {
      const code = errCode(e);
      if (noteErrors && code !== 'ENOENT' && code !== 'ENOTDIR') this.note(rel + '/package.json', `unreadable (${code})`);
    }
    if (text !== undefined) {
      try {
        const json = JSON.parse(text) as { name?: unknown; version?: unknown } | null;
        if (json && typeof json.name === 'string' && typeof json.version === 'string' && json.name && json.version) {
          ref = { name: json.name, version: json.version };
        }
      } catch (e) {
        if (noteErrors) this.note(rel + '/package.json', `invalid package.json (${(e as Error).message})`);
      }
    }
    this.manifestCache.set(dir, ref);
    return ref;
  }

  private insideRoot(p: string): boolean {
    const realRoot = this.cfg.realRoot;
    return p === realRoot || p.startsWith(realRoot === '/' ? '/' : realRoot + '/');
  }

  /** Why a link does not resolve. */
  private noteBadLink(linkAbs: string, rel: string): void {
    let code = 'ENOENT';
    try {
      fs.realpathSync.native(linkAbs);
      fs.statSync(linkAbs);
      return; // resolves now: it changed under us
    } catch (e) {
      code = errCode(e);
    }
    if (code === 'ELOOP') this.note(rel, 'symlink loop');
    else if (code === 'ENOENT' || code === 'ENOTDIR') this.note(rel, 'broken symlink');
    else this.note(rel, `unresolvable symlink (${code})`);
  }

  private link(frame: Frame, layers: IgnoreLayer[] | null, name: string): void {
    if (frame.onlyBuildChild && name !== frame.buildChild) return;
    const rel = joinRel(frame.rel, name);
    const { exclude } = this.cfg;
    if (exclude && exclude(rel)) return;
    if (frame.origin === 'project' && isGitIgnored(layers, rel, false)) return;
    const linkAbs = frame.abs + '/' + name;
    // frame.abs is a physical path (no links in it), so the link's target resolved lexically against it is
    // where the link points, unless the target itself passes through further links. A target inside the root
    // is covered by the real walk (once), or was pruned on purpose; further links on its way out of the root
    // are links in the root's real tree and are handled when the walk meets them. readlink + access() is two
    // syscalls; realpath is one per path component (~2x slower on pnpm trees with thousands of links).
    let target: string;
    try {
      target = fs.readlinkSync(linkAbs);
    } catch (e) {
      this.note(rel, `unresolvable symlink (${errCode(e)})`);
      return;
    }
    if (this.insideRoot(path.resolve(frame.abs, target))) {
      if (!fs.existsSync(linkAbs)) this.noteBadLink(linkAbs, rel);
      return;
    }
    let real: string;
    try {
      real = fs.realpathSync.native(linkAbs);
    } catch {
      this.noteBadLink(linkAbs, rel);
      return;
    }
    if (this.insideRoot(real)) return;
    let st: fs.Stats;
    try {
      st = fs.statSync(real);
    } catch (e) {
      this.note(rel, `unresolvable symlink (${errCode(e)})`);
      return;
    }
    if (st.isDirectory()) {
      const atPackagePosition = frame.origin === 'dependency' && (frame.role === 'nm' || frame.role === 'scope');
      if (!atPackagePosition || name.startsWith('.')) {
        this.note(rel, 'symlink to a directory outside the scanned root (not followed)');
        return;
      }
      if (this.externalDirs.has(real)) return;
      this.externalDirs.add(real);
      const child = this.childDir(frame, layers, name, real);
      if (child) this.pendingExternal.push(child);
    } else if (st.isFile()) {
      if (this.cfg.mode === 'inventory' || !isSourceFileName(name)) return;
      if (frame.origin !== 'dependency') {
        this.note(rel, 'symlink to a file outside the scanned root (not followed)');
        return;
      }
      if (this.externalFiles.has(real)) return;
      this.externalFiles.add(real);
      if (this.fileSelected(frame, layers, name)) this.onFile({ frame, name, realAbs: real });
    }
  }

  /** Trees outside the root entered through node_modules links, walked after the current stack. */
  readonly pendingExternal: Frame[] = [];
}

function fileRel(f: FileEntry): string {
  return joinRel(f.frame.rel, f.name);
}

function fileAbs(f: FileEntry): string {
  return f.realAbs ?? f.frame.abs + '/' + f.name;
}

function buildConfig(opts: Pick<WalkOptions, 'root' | 'includeDeps' | 'include' | 'exclude'>, mode: Mode): WalkerConfig {
  if (!path.isAbsolute(opts.root)) throw new Error(`walk root must be absolute: ${opts.root}`);
  let realRoot: string;
  try {
    realRoot = fs.realpathSync.native(opts.root);
  } catch (e) {
    throw new Error(`cannot scan ${opts.root}: ${errCode(e)}`);
  }
  if (!fs.statSync(realRoot).isDirectory()) throw new Error(`cannot scan ${opts.root}: not a directory`);
  const include = opts.include && opts.include.length > 0 ? opts.include : null;
  const exclude = opts.exclude && opts.exclude.length > 0 ? opts.exclude : null;
  let includeBases: string[] | null = null;
  const picomatch = include || exclude ? loadPicomatch() : null;
  if (include && picomatch) {
    const bases = include.map((g) => picomatch.scan(g).base.replace(/\/+$/, ''));
    includeBases = bases.some((b) => b === '' || b === '.') ? null : bases;
  }
  return {
    root: opts.root,
    realRoot,
    includeDeps: opts.includeDeps,
    mode,
    include: include && picomatch ? picomatch(include, { dot: true }) : null,
    includeBases,
    exclude: exclude && picomatch ? picomatch(exclude, { dot: true }) : null,
  };
}

async function runWalker(walker: Walker, tick: () => Promise<void> | void): Promise<void> {
  await walker.run(walker.rootFrame(), tick);
  while (walker.pendingExternal.length > 0) await walker.run(walker.pendingExternal.pop()!, tick);
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------------
// Public API.

/**
 * Walks `root`, selects source files and returns those that contain any of `tokens`, decoded, with their
 * origin and package. Files that could not be looked at are returned as SkipNotes; the walk never stops
 * for one file or directory. Throws only when `root` itself cannot be scanned.
 */
export async function collectCandidates(opts: WalkOptions): Promise<WalkResult> {
  const cfg = buildConfig(opts, 'files');
  const maxBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const plan = planAnchors(opts.tokens);
  const dependencyPlan = opts.dependencyTokens ? planAnchors(opts.dependencyTokens) : plan;
  // No token at all: nothing is read (the scanner also returns a miss at once for a file whose plan is empty).
  const nothingToFind = plan.length === 0 && dependencyPlan.length === 0;
  const files: FileEntry[] = [];
  const outcomes = new Map<number, string | [string]>();
  // Candidates not yet handed to opts.onCandidate (file indexes), and those built already (by index).
  const undelivered: number[] = [];
  const built = new Map<number, CandidateFile>();
  let walkDone = false;

  // Pre-filter threads. Chunk k holds files [k*CHUNK_FILES, (k+1)*CHUNK_FILES).
  const ctrl = new Int32Array(new SharedArrayBuffer(16));
  const maxWorkers = opts.workers ?? Math.min(3, Math.max(0, os.availableParallelism() - 1));
  const autoStart = opts.workers === undefined;
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  let published = 0;
  let chunksDone = 0;
  const chunkDone: boolean[] = [];
  let settle: (() => void) | null = null;
  let workersAlive = 0;
  const markDone = (k: number, out: Array<[number, string | [string]]>) => {
    if (chunkDone[k]) return;
    chunkDone[k] = true;
    chunksDone++;
    const start = k * CHUNK_FILES;
    for (const [i, r] of out) {
      outcomes.set(start + i, r);
      if (opts.onCandidate && typeof r === 'string') undelivered.push(start + i);
    }
    if (settle && (chunksDone === published || (walkDone && undelivered.length > 0))) settle();
  };
  const startWorkers = () => {
    if (nothingToFind) return;
    for (let i = 0; i < maxWorkers; i++) {
      const { port1, port2 } = new MessageChannel();
      let worker: Worker;
      try {
        worker = new Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { ctrl: ctrl.buffer, port: port2, plan, dependencyPlan, maxBytes },
          transferList: [port2],
        });
      } catch {
        port1.close();
        continue; // no threads available: the main thread does it all
      }
      workersAlive++;
      let alive = true;
      const gone = () => {
        if (!alive) return;
        alive = false;
        workersAlive--;
        if (settle) settle();
      };
      port1.on('message', (m: ChunkResult) => (m.k < 0 ? gone() : markDone(m.k, m.out)));
      // A worker that fails (or cannot start) is replaced by the main thread: its unreported chunks are re-scanned.
      worker.once('error', gone);
      worker.once('exit', gone);
      ports.push(port1);
      workers.push(worker);
      // Chunks published before the worker existed.
      for (let k = 0; k < published; k++) port1.postMessage(chunkMessage(k));
    }
  };
  const isDependencyFile = (i: number) => files[i]!.frame.origin === 'dependency';
  const chunkMessage = (k: number): ChunkMessage => {
    const end = Math.min(files.length, (k + 1) * CHUNK_FILES);
    const list: string[] = [];
    const dependency = new Uint8Array(Math.max(0, end - k * CHUNK_FILES));
    for (let i = k * CHUNK_FILES; i < end; i++) {
      list.push(fileAbs(files[i]!));
      if (isDependencyFile(i)) dependency[i - k * CHUNK_FILES] = 1;
    }
    return { k, files: list, dependency };
  };
  const publish = () => {
    const msg = chunkMessage(published);
    for (const p of ports) p.postMessage(msg);
    published++;
    Atomics.store(ctrl, PUBLISHED, published);
    Atomics.notify(ctrl, PUBLISHED);
  };

  let lastProgress = performance.now();
  const progress = (force: boolean) => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = now;
    opts.onProgress(files.length, Atomics.load(ctrl, HITS));
  };
  let lastYield = performance.now();
  const tick = (): Promise<void> | void => {
    progress(false);
    const now = performance.now();
    if (now - lastYield >= YIELD_INTERVAL_MS) {
      lastYield = now;
      return yieldToEventLoop();
    }
  };

  const candidateAt = (i: number, text: string): CandidateFile => {
    let c = built.get(i);
    if (c) return c;
    const f = files[i]!;
    c = { abs: fileAbs(f), rel: fileRel(f), origin: f.frame.origin, text };
    const pkg = f.frame.pkgRoot ? attribute(walker, f) : null;
    if (pkg) c.package = pkg;
    built.set(i, c);
    return c;
  };
  /** Hands every candidate found so far to opts.onCandidate (after the walk: package attribution needs it done). */
  const deliver = () => {
    if (!opts.onCandidate || !walkDone) return;
    for (let i = undelivered.pop(); i !== undefined; i = undelivered.pop()) opts.onCandidate(candidateAt(i, outcomes.get(i) as string));
  };

  const walker = new Walker(cfg, (f) => {
    files.push(f);
    if (files.length % CHUNK_FILES === 0) {
      if (workers.length === 0 && maxWorkers > 0 && (!autoStart || files.length >= WORKER_THRESHOLD)) startWorkers();
      publish();
    }
  });
  // A root with an installed node_modules will reach the threshold: start the workers now, so that their
  // start-up (≈ 40 ms of CPU each, on another core) is over when the first chunks are published.
  const early = !autoStart || (opts.includeDeps && fs.existsSync(path.join(cfg.realRoot, 'node_modules')));
  if (maxWorkers > 0 && early) startWorkers();
  try {
    await runWalker(walker, tick);
    if (files.length % CHUNK_FILES !== 0) publish();
    Atomics.store(ctrl, WALK_DONE, 1);
    Atomics.notify(ctrl, PUBLISHED);
    walkDone = true;

    // The main thread claims chunks too, after handing over the candidates found so far (the workers'
    // results arrive as messages: with onCandidate, the loop lets them in after every chunk).
    const scanner = createScanner(fs, plan, maxBytes, dependencyPlan);
    const scan = (i: number) => (nothingToFind ? 0 : scanner(fileAbs(files[i]!), isDependencyFile(i)));
    for (;;) {
      if (opts.onCandidate && workers.length > 0) await yieldToEventLoop();
      deliver();
      const k = Atomics.add(ctrl, NEXT, 1);
      if (k >= published) break;
      const out: Array<[number, string | [string]]> = [];
      const start = k * CHUNK_FILES;
      const end = Math.min(files.length, start + CHUNK_FILES);
      for (let i = start; i < end; i++) {
        const r = scan(i);
        if (r === 0) continue;
        if (typeof r === 'string') Atomics.add(ctrl, HITS, 1);
        out.push([i - start, r]);
      }
      markDone(k, out);
      const t = tick();
      if (t) await t;
    }
    // Wait for the workers' chunks; re-scan any chunk a failed worker claimed but never reported.
    while (chunksDone < published && workersAlive > 0) {
      deliver();
      await new Promise<void>((resolve) => {
        settle = resolve;
      });
      settle = null;
    }
    for (let k = 0; k < published; k++) {
      if (chunkDone[k]) continue;
      const out: Array<[number, string | [string]]> = [];
      const start = k * CHUNK_FILES;
      const end = Math.min(files.length, start + CHUNK_FILES);
      for (let i = start; i < end; i++) {
        const r = scan(i);
        if (r !== 0) out.push([i - start, r]);
      }
      markDone(k, out);
    }
  } finally {
    for (const w of workers) void w.terminate();
    for (const p of ports) p.close();
  }

  deliver();
  const candidates: CandidateFile[] = [];
  const skipped = walker.skipped;
  for (const [i, r] of outcomes) {
    if (typeof r !== 'string') {
      skipped.push({ file: fileRel(files[i]!), reason: r[0] });
      continue;
    }
    candidates.push(candidateAt(i, r));
  }
  candidates.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.reason < b.reason ? -1 : 1));
  opts.onProgress?.(files.length, candidates.length);
  const result: WalkResult = { candidates, skipped, filesWalked: files.length };
  if (opts.includeDeps) {
    result.packages = sortPackages(walker.packages);
    result.lockfiles = walker.lockfiles.sort();
    const projectFiles: ProjectFile[] = [];
    for (const f of files) {
      const origin = f.frame.origin;
      if (origin !== 'dependency') projectFiles.push({ abs: fileAbs(f), rel: fileRel(f), origin });
    }
    // The project's own files first, then build output: a use is shown where the user wrote it.
    result.projectFiles = projectFiles.sort((a, b) => (a.origin !== b.origin ? (a.origin === 'project' ? -1 : 1) : a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }
  return result;
}

/** The nearest package.json with name+version at or above the file, without leaving its package. */
function attribute(walker: Walker, f: FileEntry): PackageRef | null {
  const pkgRoot = f.frame.pkgRoot!;
  let dir = f.frame.abs;
  let rel = f.frame.rel;
  for (;;) {
    const ref = walker.readManifest(dir, rel, false);
    if (ref) return ref;
    if (dir === pkgRoot || dir.length <= pkgRoot.length) return null;
    dir = path.dirname(dir);
    rel = rel.slice(0, Math.max(0, rel.lastIndexOf('/')));
  }
}

function sortPackages(list: InstalledPackage[]): InstalledPackage[] {
  return list.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
}

/**
 * Lists the packages installed under `root` (documented in src/code/inventory.ts, which re-exports it):
 * the same walk, directories only, and only package directories' package.json inside node_modules.
 */
export async function inventoryPackages(root: string): Promise<{ packages: InstalledPackage[]; skipped: SkipNote[]; lockfiles: string[] }> {
  const cfg = buildConfig({ root, includeDeps: true }, 'inventory');
  const walker = new Walker(cfg, () => undefined);
  await runWalker(walker, () => undefined);
  const skipped = walker.skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { packages: sortPackages(walker.packages), skipped, lockfiles: walker.lockfiles.sort() };
}
