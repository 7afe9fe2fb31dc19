/**
 * The runtime build as a user meets it when two `verify` runs start together, when one is killed, and in
 * CI: one build per version (a lock in the cache), a stale lock and its partial folder taken over, an
 * interruption that kills the build's whole process group and removes its partial folder, and plain
 * progress lines when there is no spinner. npm is a fake on PATH that "builds" slowly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureRic, isInstalled, RIC_VERSIONS } from './install.js';

const VERSION = RIC_VERSIONS['4.x'];

/** A PATH with the build tools as no-ops and an npm that sleeps, records its pid (and a child's), then installs. */
function fakeToolchain(sleepSeconds: number): { env: NodeJS.ProcessEnv; calls: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-fake-npm-'));
  const calls = path.join(dir, 'calls');
  for (const tool of ['cmake', 'make', 'g++', 'python3']) {
    writeFileSync(path.join(dir, tool), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(dir, tool), 0o755);
  }
  // npm install <pkg> --prefix <dir> …: a grandchild (the "compiler") keeps running while npm sleeps.
  writeFileSync(
    path.join(dir, 'npm'),
    `#!/bin/sh
prefix="$4"
sleep ${sleepSeconds * 10} &
echo "$$ $!" >> "${calls}"
echo "checking for curl... configure"
sleep ${sleepSeconds}
mkdir -p "$prefix/node_modules/aws-lambda-ric"
echo '{"name":"aws-lambda-ric"}' > "$prefix/node_modules/aws-lambda-ric/package.json"
kill $! 2>/dev/null
echo "added 1 package"
`,
  );
  chmodSync(path.join(dir, 'npm'), 0o755);
  return { env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` }, calls };
}

/** Running (a zombie left for a container's init to reap is not running). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('ensureRic across processes', () => {
  it('builds once when two runs start together; the second waits and uses the first build', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'sd-ric-'));
    const { env, calls } = fakeToolchain(1);
    const waits: string[] = [];
    const io = { env, progress: (t: string) => waits.push(t) };
    const [a, b] = await Promise.all([ensureRic('4.x', cache, io), ensureRic('4.x', cache, io)]);
    expect(a).toBe(b);
    expect(isInstalled(cache, VERSION)).toBe(true);
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(waits.some((t) => /waiting for another stream-doctor \(pid \d+\) to finish building aws-lambda-ric@4\.0\.2/.test(t))).toBe(true);
    expect(readdirSync(cache).sort()).toEqual([VERSION]);
  });

  it('takes over a lock whose process is gone, and removes that process\'s partial folder', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'sd-ric-'));
    const dead = spawnSync('/bin/sh', ['-c', 'echo $$']).stdout.toString().trim();
    writeFileSync(path.join(cache, `${VERSION}.lock`), `${dead}\n`);
    mkdirSync(path.join(cache, `${VERSION}.partial-${dead}`, 'node_modules'), { recursive: true });
    const { env } = fakeToolchain(0);
    await ensureRic('4.x', cache, { env, progress: () => {} });
    expect(readdirSync(cache).sort()).toEqual([VERSION]);
  });

  it('writes a plain progress line every few seconds where there is no spinner', async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'sd-ric-'));
    const { env } = fakeToolchain(1);
    const lines: string[] = [];
    await ensureRic('4.x', cache, { env, progress: () => {}, log: (l) => lines.push(l), logEveryMs: 300 });
    expect(lines[0]).toMatch(/^installing aws-lambda-ric@4\.0\.2/);
    expect(lines.slice(1).some((l) => /^aws-lambda-ric@4\.0\.2: (configuring libcurl|downloading) \(\d+ s\)$/.test(l))).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s kills the build\'s process group and removes the partial folder and the lock', async (signal) => {
    const cache = mkdtempSync(path.join(os.tmpdir(), 'sd-ric-'));
    const { env, calls } = fakeToolchain(30);
    const installJs = path.resolve(import.meta.dirname, '../../dist/verify/install.js');
    const script = `const { ensureRic } = await import(${JSON.stringify(installJs)}); await ensureRic('4.x', ${JSON.stringify(cache)}, { env: process.env, progress: () => {} });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (!existsSync(calls) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const [npmPid, compilerPid] = readFileSync(calls, 'utf8').trim().split(' ').map(Number);
    expect(alive(compilerPid!)).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // let a loaded machine schedule the parent once more
    child.kill(signal);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(signal === 'SIGTERM' ? 143 : 130);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(npmPid!)).toBe(false);
    expect(alive(compilerPid!)).toBe(false);
    expect(readdirSync(cache)).toEqual([]);
  });
});
