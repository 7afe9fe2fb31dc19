/** The pre-commit hook (.pre-commit-hooks.yaml): its fields, its file filter, and its entry run as pre-commit runs it. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempProject } from './support/temp-project.js';

const repo = path.resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

interface Hook {
  id: string;
  name: string;
  description: string;
  entry: string;
  language: string;
  pass_filenames?: boolean;
  require_serial?: boolean;
  files?: string;
  args?: string[];
  minimum_pre_commit_version?: string;
}

const hooks = parse(readFileSync(path.join(repo, '.pre-commit-hooks.yaml'), 'utf8')) as Hook[];
const hook = hooks.find((h) => h.id === 'stream-doctor')!;

/** The entry as pre-commit runs it (pass_filenames false: entry + args, no file names), the bin resolved to this checkout. */
function runEntry(cwd: string, args: string[] = []) {
  const [command, ...rest] = hook.entry.split(/\s+/);
  const bin = path.join(repo, manifest.bin[command!]!);
  const result = spawnSync(process.execPath, [bin, ...rest, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const project = (files: Record<string, string>): string => tempProject('sd-pre-commit-', files);

const HANGING = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
  const res = await fetch(event.url);
  if (res.body) {
    const w = awslambda.HttpResponseStream.from(stream, { statusCode: res.status });
    w.write("x");
    w.end();
  }
});
`;

describe('.pre-commit-hooks.yaml', () => {
  it('declares one node hook that scans the project, not the staged file names', () => {
    expect(hooks).toHaveLength(1);
    expect(hook).toMatchObject({ id: 'stream-doctor', name: 'stream-doctor', language: 'node', entry: 'stream-doctor scan', pass_filenames: false, require_serial: true });
    expect(hook.description.length).toBeGreaterThan(20);
    expect(hook.args).toBeUndefined();
    // The entry's command is this package's bin, which pre-commit installs with npm from the git tag.
    expect(Object.keys(manifest.bin)).toContain(hook.entry.split(' ')[0]);
  });

  it('installs from a release tag with npm: no `prepare` script (npm would run it with no dev dependencies), and an unbuilt commit says so', () => {
    // `npm install -g git+…` (pre-commit 4.6.2+) prepares a git dependency with its `prepare` script only,
    // and in global mode, without its dev dependencies: a build there fails (tsc not found). Release tags
    // carry dist/ instead, and `prepack` builds for npm pack and publish only.
    expect(manifest.scripts.prepare).toBeUndefined();
    expect(manifest.scripts.prepack).toBe('npm run build');
    expect(hook.minimum_pre_commit_version).toBe('4.6.2');
    const unbuilt = mkdtempSync(path.join(os.tmpdir(), 'sd-unbuilt-'));
    mkdirSync(path.join(unbuilt, 'bin'));
    writeFileSync(path.join(unbuilt, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(path.join(unbuilt, 'bin/stream-doctor.js'), readFileSync(path.join(repo, 'bin/stream-doctor.js')));
    const result = spawnSync(process.execPath, [path.join(unbuilt, 'bin/stream-doctor.js'), 'scan'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('stream-doctor: dist/bundle/cli.js is missing: run `npm run build` in this checkout, or install a release (npm, or a release tag of the repository)\n');
  });

  it('runs when a commit touches code, templates, Terraform, Dockerfiles or lockfiles, not for docs or images', () => {
    // pre-commit matches `files` with Python's re.search; this pattern means the same in JavaScript.
    const files = new RegExp(hook.files!);
    for (const file of [
      'src/handler.mjs', 'src/handler.ts', 'lib/a.cjs', 'lib/a.cts', 'lib/a.mts', 'web/App.tsx', 'app.py',
      'template.yaml', 'serverless.yml', 'cdk.out/Stack.template.json', 'package.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock',
      'infra/main.tf', 'infra/prod.tfvars', 'Dockerfile', 'services/api/Dockerfile.lambda', 'Containerfile', 'sst.config.ts',
    ]) {
      expect(files.test(file), file).toBe(true);
    }
    for (const file of ['README.md', 'docs/ci.md', 'logo.png', '.gitignore', 'LICENSE', 'src/styles.css']) expect(files.test(file), file).toBe(false);
  });

  it('fails on errors and passes otherwise; args and the configuration adjust the threshold', () => {
    expect(runEntry(project({ 'src/handler.mjs': HANGING })).code).toBe(1);
    expect(runEntry(project({ 'src/ok.mjs': 'export const handler = async () => ({ statusCode: 204 });\n' })).code).toBe(0);
    const warningOnly = project({ 'src/handler.mjs': HANGING, 'stream-doctor.config.json': JSON.stringify({ rules: { 'stream-never-ended': 'warning' } }) });
    const passed = runEntry(warningOnly);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toContain('stream-never-ended');
    expect(runEntry(warningOnly, ['--fail-on', 'warning']).code).toBe(1);
    const strict = project({ 'src/handler.mjs': HANGING, 'stream-doctor.config.json': JSON.stringify({ rules: { 'stream-never-ended': 'warning' }, failOn: 'warning' }) });
    expect(runEntry(strict).code).toBe(1);
  });
});
