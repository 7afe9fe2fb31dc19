/**
 * The runtime interface client is not a dependency of stream-doctor: `verify` installs the versions it
 * needs on first use into a cache folder, one folder per version, with npm. The package builds a native
 * addon (libcurl + aws-lambda-cpp), so the build tools are checked first and a missing one is named.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { killProcessGroup, onInterrupt } from '../util/interrupt.js';
import { UsageError } from '../commands/errors.js';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export type Lineage = '3.x' | '4.x';

/** 3.x: the lineage behind nodejs18.x/20.x/22.x; 4.x: nodejs24.x and Managed Instances. */
export const RIC_VERSIONS: Record<Lineage, string> = { '3.x': '3.3.0', '4.x': '4.0.2' };

const MARKER = '.stream-doctor-installed';

export class RuntimeInstallError extends Error {}

export function ricCacheRoot(env: NodeJS.ProcessEnv): string {
  // Absolute: the runtime is started with cwd = --root, so a relative cache path would not resolve there.
  if (env.STREAM_DOCTOR_RIC_CACHE) return resolve(env.STREAM_DOCTOR_RIC_CACHE);
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'stream-doctor', 'ric');
}

export function ricPackageDir(cacheRoot: string, version: string): string {
  return join(cacheRoot, version, 'node_modules', 'aws-lambda-ric');
}

export function isInstalled(cacheRoot: string, version: string): boolean {
  return existsSync(join(cacheRoot, version, MARKER)) && existsSync(join(ricPackageDir(cacheRoot, version), 'package.json'));
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return true;
  }
  return false;
}

/** The build tools a version needs that are not on PATH. */
export function missingTools(lineage: Lineage, env: NodeJS.ProcessEnv): string[] {
  const needed = ['npm', 'cmake', 'make', 'g++', 'python3', ...(lineage === '3.x' ? ['autoreconf', 'libtoolize', 'automake'] : [])];
  return needed.filter((tool) => !onPath(tool, env));
}

function installHint(missing: string[]): string {
  const debian = new Set<string>();
  for (const tool of missing) {
    if (tool === 'autoreconf') debian.add('autoconf');
    else if (tool === 'libtoolize') debian.add('libtool');
    else if (tool === 'python3') debian.add('python3');
    else if (tool !== 'npm') debian.add(tool === 'g++' ? 'g++' : tool);
  }
  return debian.size > 0 ? ` (Debian/Ubuntu: apt-get install ${[...debian].join(' ')})` : '';
}

/** Node headers: node-gyp downloads them unless a `nodedir` is configured; say so when neither is possible. */
export function nodeHeadersNote(env: NodeJS.ProcessEnv): string | undefined {
  if (env.npm_config_nodedir || env.NPM_CONFIG_NODEDIR) return undefined;
  const probe = spawnSync('npm', ['config', 'get', 'nodedir'], { env, encoding: 'utf8', timeout: 10_000 });
  const value = (probe.stdout ?? '').trim();
  if (value && value !== 'undefined' && value !== 'null') return undefined;
  return existsSync('/usr/include/node/node_api.h') ? 'node-gyp will download Node headers; offline, set `nodedir=/usr` in ~/.npmrc' : undefined;
}

export interface InstallIo {
  env: NodeJS.ProcessEnv;
  /** Progress text (a spinner on a TTY). */
  progress: (text: string) => void;
  /** A plain progress line, every few seconds, where there is no spinner (CI logs, a pipe). */
  log?: (line: string) => void;
  /** Milliseconds between plain progress lines (default 10 s). */
  logEveryMs?: number;
}

/** How long a build may take before another process waiting for it gives up (a hung build). */
const WAIT_FOR_OTHER_BUILD_MS = 20 * 60_000;

/**
 * The build phases npm prints (`--foreground-scripts`): the native addon builds libcurl, then
 * aws-lambda-cpp, then the addon itself with node-gyp.
 */
function phaseOf(line: string, current: string): string {
  if (/curl/i.test(line) && /configure|checking/i.test(line)) return 'configuring libcurl';
  if (/curl/i.test(line) && /make|CC |libtool/i.test(line)) return 'building libcurl';
  if (/aws-lambda-cpp|aws-lambda-runtime/i.test(line)) return 'building aws-lambda-cpp';
  if (/cmake/i.test(line)) return 'building aws-lambda-cpp';
  if (/node-gyp|gyp info|CXX\(target\)/i.test(line)) return 'building the Node addon';
  if (/added \d+ package/.test(line)) return 'finishing';
  return current;
}

function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Whether a process with this pid is alive (a lock held by a dead process is stale). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One build per version at a time, across processes: `<version>.lock` holds the builder's pid. A second
 * `verify` waits for it (and then uses its result); a lock whose process died is taken over, and the
 * dead builder's partial folders are removed. Returns the release function, or null when the version got
 * installed while waiting.
 */
async function lockBuild(cacheRoot: string, version: string, io: InstallIo): Promise<(() => void) | null> {
  const lock = join(cacheRoot, `${version}.lock`);
  const started = Date.now();
  let lastLog = 0;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readTextOr(lock, ''), 10);
    if (!Number.isInteger(holder) || !alive(holder)) {
      rmSync(lock, { force: true });
      removeStalePartials(cacheRoot, version);
      continue;
    }
    if (isInstalled(cacheRoot, version)) return null;
    const waited = Date.now() - started;
    if (waited > WAIT_FOR_OTHER_BUILD_MS) throw new RuntimeInstallError(`another stream-doctor (pid ${holder}) has been building aws-lambda-ric@${version} for ${elapsed(waited)}; stop it or remove ${lock}`);
    const text = `waiting for another stream-doctor (pid ${holder}) to finish building aws-lambda-ric@${version} (${elapsed(waited)})`;
    io.progress(`${text}…`);
    if (io.log && Date.now() - lastLog >= (io.logEveryMs ?? 10_000)) {
      io.log(text);
      lastLog = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (isInstalled(cacheRoot, version)) return null;
  }
}

function readTextOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** `<version>.partial-<pid>` folders of builders that are gone (killed before they could clean up). */
function removeStalePartials(cacheRoot: string, version: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(cacheRoot);
  } catch {
    return;
  }
  for (const name of names) {
    const match = new RegExp(`^${version.replace(/\./g, '\\.')}\\.partial-(\\d+)$`).exec(name);
    if (match && !alive(Number(match[1]))) rmSync(join(cacheRoot, name), { recursive: true, force: true });
  }
}

/**
 * Installs `aws-lambda-ric@<version>` into the cache unless it is there; returns the package directory.
 * Throws RuntimeInstallError with one line when the build cannot run or fails.
 */
/** `ensureRic` for a command: a runtime that cannot be built is the command failing (exit 2, one line), not a handler. */
export async function ensureRicOrFail(...args: Parameters<typeof ensureRic>): Promise<string> {
  try {
    return await ensureRic(...args);
  } catch (error) {
    if (error instanceof RuntimeInstallError) throw new UsageError(error.message);
    throw error;
  }
}

export async function ensureRic(lineage: Lineage, cacheRoot: string, io: InstallIo): Promise<string> {
  const version = RIC_VERSIONS[lineage];
  if (isInstalled(cacheRoot, version)) return ricPackageDir(cacheRoot, version);
  const missing = missingTools(lineage, io.env);
  if (missing.length > 0) {
    throw new RuntimeInstallError(
      `cannot build aws-lambda-ric@${version} (the ${lineage} runtime): missing ${missing.join(', ')}${installHint(missing)}`,
    );
  }
  mkdirSync(cacheRoot, { recursive: true });
  const unlock = await lockBuild(cacheRoot, version, io);
  if (!unlock) return ricPackageDir(cacheRoot, version);
  try {
    if (isInstalled(cacheRoot, version)) return ricPackageDir(cacheRoot, version);
    return await build(lineage, version, cacheRoot, io);
  } finally {
    unlock();
  }
}

async function build(lineage: Lineage, version: string, cacheRoot: string, io: InstallIo): Promise<string> {
  const staging = join(cacheRoot, `${version}.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'package.json'), '{"name":"stream-doctor-ric-cache","private":true}\n');
  const title = `installing aws-lambda-ric@${version} (the ${lineage} runtime; it builds a native addon, a few minutes)`;
  io.progress(`${title}…`);
  io.log?.(title);
  const log: string[] = [];
  const started = Date.now();
  let phase = 'downloading';
  const code = await new Promise<number | null>((resolve) => {
    // Registered before the child exists: an interruption at any moment from here on kills what was started.
    const build: { child?: ReturnType<typeof spawn> } = {};
    const release = onInterrupt(() => {
      killProcessGroup(build.child?.pid);
      rmSync(staging, { recursive: true, force: true });
      rmSync(join(cacheRoot, `${version}.lock`), { force: true });
    });
    const child = spawn(
      'npm',
      ['install', `aws-lambda-ric@${version}`, '--prefix', staging, '--no-audit', '--no-fund', '--no-save', '--loglevel=error', '--foreground-scripts'],
      // its own process group: an interruption kills npm and every compiler it started
      { env: io.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    build.child = child;
    const show = () => io.progress(`${title}: ${phase} (${elapsed(Date.now() - started)})…`);
    const ticker = setInterval(() => {
      show();
      io.log?.(`aws-lambda-ric@${version}: ${phase} (${elapsed(Date.now() - started)})`);
    }, io.logEveryMs ?? 10_000);
    const keep = (d: Buffer) => {
      const text = d.toString('utf8');
      for (const line of text.split('\n')) phase = phaseOf(line, phase);
      log.push(text);
      if (log.length > 400) log.splice(0, log.length - 400);
      show();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const done = (exitCode: number | null) => {
      clearInterval(ticker);
      release();
      resolve(exitCode);
    };
    child.on('error', (error) => {
      log.push(error.message);
      done(null);
    });
    child.on('exit', (exitCode) => done(exitCode));
  });
  const target = join(cacheRoot, version);
  if (code !== 0 || !existsSync(join(staging, 'node_modules', 'aws-lambda-ric', 'package.json'))) {
    const logFile = join(cacheRoot, `${version}.install.log`);
    writeFileSync(logFile, log.join(''));
    rmSync(staging, { recursive: true, force: true });
    const reason = lastMeaningfulLine(log.join(''));
    const headers = nodeHeadersNote(io.env);
    throw new RuntimeInstallError(
      `npm install aws-lambda-ric@${version} failed (exit ${code ?? 'error'})${reason ? `: ${reason}` : ''}${headers ? `; ${headers}` : ''}; full log: ${logFile}`,
    );
  }
  writeFileSync(join(staging, MARKER), `${version}\n`);
  rmSync(target, { recursive: true, force: true });
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another process finished first: use its copy.
    rmSync(staging, { recursive: true, force: true });
    if (!isInstalled(cacheRoot, version)) throw new RuntimeInstallError(`could not move the installed runtime into ${target}: ${(error as Error).message}`);
  }
  return ricPackageDir(cacheRoot, version);
}

function lastMeaningfulLine(text: string): string | undefined {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim())
    .filter((l) => l && !/^(code|path|command|A complete log|cwd|signal)\b/.test(l) && !/Unknown user config/.test(l));
  return lines.find((l) => /not found|No such file|error:/i.test(l)) ?? lines.at(-1);
}
