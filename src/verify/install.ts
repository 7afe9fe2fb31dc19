/**
 * The runtime interface client is not a dependency of stream-doctor: `verify` installs the versions it
 * needs on first use into a cache folder, one folder per version, with npm. The package builds a native
 * addon (libcurl + aws-lambda-cpp), so the build tools are checked first and a missing one is named.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
}

/**
 * Installs `aws-lambda-ric@<version>` into the cache unless it is there; returns the package directory.
 * Throws RuntimeInstallError with one line when the build cannot run or fails.
 */
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
  const staging = join(cacheRoot, `${version}.partial-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, 'package.json'), '{"name":"stream-doctor-ric-cache","private":true}\n');
  io.progress(`installing aws-lambda-ric@${version} (the ${lineage} runtime; it builds a native addon, about a minute)…`);
  const log: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npm', ['install', `aws-lambda-ric@${version}`, '--prefix', staging, '--no-audit', '--no-fund', '--no-save', '--loglevel=error'], {
      env: io.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      log.push(d.toString('utf8'));
      if (log.length > 400) log.splice(0, log.length - 400);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => {
      log.push(error.message);
      resolve(null);
    });
    child.on('exit', (exitCode) => resolve(exitCode));
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
