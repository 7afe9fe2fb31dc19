/**
 * The GitHub Action (action.yml): its metadata (inputs, outputs, steps, every input used, no expression
 * inside a script), then its shell steps run the way a runner runs a composite action (`bash --noprofile
 * --norc -eo pipefail`, GITHUB_OUTPUT per step, `if:` conditions, outputs), against the built CLI and a
 * fake npm for the published-package path. `uses:` steps (the SARIF upload) are recorded, not run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempProject } from './support/temp-project.js';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');
const version = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string }).version;

interface Step {
  id?: string;
  name?: string;
  if?: string;
  shell?: string;
  env?: Record<string, string>;
  run?: string;
  uses?: string;
  with?: Record<string, string>;
  'continue-on-error'?: boolean;
}
interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(path.join(repo, 'action.yml'), 'utf8')) as Action;
const steps = action.runs.steps;
const step = (id: string) => {
  const found = steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
};

const INPUTS = ['path', 'fail-on', 'baseline', 'config', 'args', 'upload-sarif', 'sarif-category', 'step-summary', 'markdown-file', 'docs-url', 'version'];

describe('action.yml metadata', () => {
  it('is a composite action with the documented inputs, each described, with string defaults', () => {
    expect(action.name).toBe('stream-doctor');
    expect(action.description.length).toBeGreaterThan(20);
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs)).toEqual(INPUTS);
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description, name).toBeTruthy();
      expect(input.required ?? false, name).toBe(false);
      expect(typeof input.default, name).toBe('string');
    }
    expect(action.inputs.path!.default).toBe('.');
    expect(action.inputs['fail-on']!.default).toBe('');
    expect(action.inputs['upload-sarif']!.default).toBe('true');
    expect(action.inputs['step-summary']!.default).toBe('true');
  });

  it('uses every input, and only through env, with or if (never ${{ }} inside a script)', () => {
    const outside = (s: Step) => JSON.stringify({ if: s.if, env: s.env, with: s.with });
    for (const name of INPUTS) {
      const users = steps.filter((s) => new RegExp(`inputs\\.${name}(?![\\w-])`).test(outside(s)));
      expect(users.length, `input ${name} is never used`).toBeGreaterThan(0);
    }
    for (const s of steps) if (s.run) expect(s.run, `${s.id}: an expression in a script is an injection`).not.toContain('${{');
    // Every expression names a declared input or an earlier step's output.
    const ids = new Set<string>();
    for (const s of steps) {
      for (const [, ref] of outside(s).matchAll(/\$\{\{\s*([^}]*?)\s*\}\}/g)) {
        for (const [, name] of ref!.matchAll(/inputs\.([\w-]+)/g)) expect(INPUTS, `${s.id}: ${ref}`).toContain(name);
        for (const [, id] of ref!.matchAll(/steps\.([\w-]+)\./g)) expect(ids.has(id!), `${s.id} reads step ${id} before it runs`).toBe(true);
      }
      if (s.id) ids.add(s.id);
    }
  });

  it('runs bash steps: install, SARIF, upload (allowed to fail), pull request Markdown, then the gate', () => {
    expect(steps.map((s) => s.id)).toEqual(['setup', 'sarif', 'upload', 'markdown', 'gate']);
    for (const s of steps.filter((s) => s.run)) expect(s.shell, s.id).toBe('bash');

    const setup = step('setup').run!;
    expect(setup).toContain('"$GITHUB_ACTION_PATH/dist/bundle/cli.js"');
    expect(setup).toContain('npm ci --omit=dev --ignore-scripts');
    expect(setup).toContain('bin="$GITHUB_ACTION_PATH/bin/stream-doctor.js"');
    expect(setup).toMatch(/npm install --prefix "\$prefix" .*--ignore-scripts.* "stream-doctor@\$version"/);

    expect(step('sarif').if).toBe("${{ inputs.upload-sarif == 'true' }}");
    expect(step('sarif').run).toContain('node "$SD_BIN" "${args[@]}" --format sarif --fail-on none > "$out"');

    const upload = step('upload');
    expect(upload.uses).toBe('github/codeql-action/upload-sarif@v4');
    expect(upload['continue-on-error']).toBe(true);
    expect(upload.if).toBe("${{ inputs.upload-sarif == 'true' }}");
    expect(upload.with).toEqual({ sarif_file: '${{ steps.sarif.outputs.file }}', category: '${{ inputs.sarif-category }}' });

    expect(step('markdown').run).toContain('--format markdown --fail-on none > "$SD_MARKDOWN_FILE"');

    const gate = step('gate');
    expect(gate.if).toBeUndefined();
    expect(gate.run).toContain('node "$SD_BIN" "${args[@]}" --format github || code=$?');
    expect(gate.run).toContain('args+=(--fail-on "$SD_FAIL_ON")');
    expect(gate.run).toContain('unset GITHUB_STEP_SUMMARY');
    expect(gate.run).toMatch(/exit "\$code"\s*$/);
  });

  it('declares outputs from its steps', () => {
    expect(action.outputs).toEqual({
      'sarif-file': { description: expect.any(String), value: '${{ steps.sarif.outputs.file }}' },
      'markdown-file': { description: expect.any(String), value: '${{ steps.markdown.outputs.file }}' },
      'exit-code': { description: expect.any(String), value: '${{ steps.gate.outputs.exit-code }}' },
    });
    for (const output of Object.values(action.outputs)) expect(steps.map((s) => s.id)).toContain(/steps\.([\w-]+)\./.exec(output.value)![1]);
  });
});

describe('docs/ci.md', () => {
  const blocks = [...readFileSync(path.join(repo, 'docs/ci.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('its workflow uses the action with inputs and outputs the action has, and the permissions the upload needs', () => {
    const workflow = parse(blocks[0]!) as { permissions: Record<string, string>; jobs: Record<string, { steps: Step[] }> };
    expect(workflow.permissions).toMatchObject({ contents: 'read', 'security-events': 'write' });
    const jobSteps = Object.values(workflow.jobs)[0]!.steps;
    const uses = jobSteps.find((s) => s.uses?.startsWith('stream-doctor/stream-doctor@'))!;
    for (const input of Object.keys(uses.with ?? {})) expect(INPUTS).toContain(input);
    for (const [, output] of JSON.stringify(jobSteps).matchAll(/steps\.stream-doctor\.outputs\.([\w-]+)/g)) expect(Object.keys(action.outputs)).toContain(output);
    // The dependencies are installed before the scan (it checks them).
    expect(jobSteps.findIndex((s) => s.run?.startsWith('npm ci'))).toBeGreaterThanOrEqual(0);
    expect(jobSteps.findIndex((s) => s.run?.startsWith('npm ci'))).toBeLessThan(jobSteps.indexOf(uses));
  });

  it('its GitLab job uploads the gitlab format as the codequality report, also when the gate fails', () => {
    const gitlab = parse(blocks.find((b) => b.includes('codequality'))!) as Record<string, { script: string[]; artifacts: { when: string; reports: { codequality: string } } }>;
    const job = gitlab['stream-doctor']!;
    expect(job.script.some((line) => line.includes('scan --format gitlab > gl-code-quality-report.json'))).toBe(true);
    expect(job.artifacts).toEqual({ when: 'always', reports: { codequality: 'gl-code-quality-report.json' } });
  });

  it('its pre-commit configuration names the hook this repository declares', () => {
    const config = parse(blocks.find((b) => b.includes('.pre-commit-config.yaml'))!) as { repos: { hooks: { id: string }[] }[] };
    const hooks = parse(readFileSync(path.join(repo, '.pre-commit-hooks.yaml'), 'utf8')) as { id: string }[];
    expect(hooks.map((h) => h.id)).toContain(config.repos[0]!.hooks[0]!.id);
  });
});

// ---- the steps, run as a runner runs them ------------------------------------------------------------

interface RunResult {
  failed: boolean;
  outputs: Record<string, string>;
  /** Per step: skipped, or what it printed and how it ended. */
  steps: Record<string, { skipped: boolean; code?: number; stdout?: string; stderr?: string; with?: Record<string, string> }>;
  summary: string;
}

/** `${{ … }}` as this action uses it: an input, a step output, or one compared with a string literal. */
function evaluate(expression: string, context: { inputs: Record<string, string>; steps: Record<string, Record<string, string>> }): string | boolean {
  const m = /^(inputs\.([\w-]+)|steps\.([\w-]+)\.outputs\.([\w-]+))(?:\s*(==|!=)\s*'([^']*)')?$/.exec(expression.trim());
  if (!m) throw new Error(`expression not understood by the test runner: ${expression}`);
  const value = m[2] !== undefined ? (context.inputs[m[2]] ?? '') : (context.steps[m[3]!]?.[m[4]!] ?? '');
  if (m[5] === '==') return value === m[6];
  if (m[5] === '!=') return value !== m[6];
  return value;
}

function interpolate(text: string, context: Parameters<typeof evaluate>[1]): string {
  return text.replace(/\$\{\{([^}]*)\}\}/g, (_, expression: string) => String(evaluate(expression, context)));
}

function runAction(inputs: Record<string, string>, opts: { workspace: string; actionPath?: string; pathPrefix?: string }): RunResult {
  const temp = mkdtempSync(path.join(os.tmpdir(), 'sd-action-runner-'));
  const summaryFile = path.join(temp, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const context = {
    inputs: Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, inputs[name] ?? input.default ?? ''])),
    steps: {} as Record<string, Record<string, string>>,
  };
  const result: RunResult = { failed: false, outputs: {}, steps: {}, summary: '' };
  for (const [index, s] of steps.entries()) {
    const id = s.id ?? `step${index}`;
    const condition = s.if === undefined ? true : evaluate(s.if.replace(/^\$\{\{|\}\}$/g, ''), context);
    if (result.failed || condition !== true) {
      result.steps[id] = { skipped: true };
      continue;
    }
    if (s.uses) {
      result.steps[id] = { skipped: false, with: Object.fromEntries(Object.entries(s.with ?? {}).map(([k, v]) => [k, interpolate(v, context)])) };
      continue;
    }
    const outputFile = path.join(temp, `output-${id}`);
    writeFileSync(outputFile, '');
    const script = path.join(temp, `${id}.sh`);
    writeFileSync(script, s.run!);
    const env: Record<string, string> = {
      PATH: `${opts.pathPrefix ? `${opts.pathPrefix}${path.delimiter}` : ''}${process.env.PATH}`,
      HOME: process.env.HOME ?? temp,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION_PATH: opts.actionPath ?? repo,
      GITHUB_WORKSPACE: opts.workspace,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      RUNNER_TEMP: temp,
      ...Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, interpolate(v, context)])),
    };
    // How a runner starts `shell: bash`.
    const child = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: opts.workspace, env, encoding: 'utf8' });
    const outputs: Record<string, string> = {};
    for (const line of readFileSync(outputFile, 'utf8').split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
    }
    context.steps[id] = outputs;
    result.steps[id] = { skipped: false, code: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
    if (child.status !== 0 && !s['continue-on-error']) result.failed = true;
  }
  result.outputs = Object.fromEntries(Object.entries(action.outputs).map(([name, output]) => [name, interpolate(output.value, context)]));
  result.summary = readFileSync(summaryFile, 'utf8');
  return result;
}

const HANGING = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
  const res = await fetch(event.url);
  if (res.body) {
    const w = awslambda.HttpResponseStream.from(stream, { statusCode: res.status });
    w.write("x");
    w.end();
  }
});
`;

const workspace = (files: Record<string, string>): string => tempProject('sd-action-ws-', files);

describe('action.yml steps, run like a runner runs them', () => {
  it('with the defaults: SARIF for the upload, the job summary, annotations, and a failed gate on an error', () => {
    const ws = workspace({ 'src/handler.mjs': HANGING });
    const run = runAction({}, { workspace: ws });
    expect(run.steps.setup!.code, run.steps.setup!.stderr).toBe(0);
    expect(run.steps.setup!.stdout).toContain(`stream-doctor ${version} (${bin})`);

    const sarif = JSON.parse(readFileSync(run.outputs['sarif-file']!, 'utf8'));
    expect(sarif.runs[0].results.map((r: any) => [r.ruleId, r.locations[0].physicalLocation.artifactLocation.uri])).toEqual([['stream-never-ended', 'src/handler.mjs']]);
    expect(run.steps.upload).toEqual({ skipped: false, with: { sarif_file: run.outputs['sarif-file'], category: 'stream-doctor' } });
    expect(run.steps.markdown!.skipped).toBe(true);

    expect(run.steps.gate!.code).toBe(1);
    expect(run.steps.gate!.stdout).toMatch(/^::error file=src\/handler\.mjs,line=3,/m);
    expect(run.summary).toContain('## stream-doctor');
    expect(run.summary).toContain('`src/handler.mjs:3`');
    expect(run.outputs['exit-code']).toBe('1');
    expect(run.failed).toBe(true);
  });

  it('fail-on none passes; upload-sarif and step-summary false skip the upload and the summary; markdown-file writes the comment', () => {
    const ws = workspace({ 'src/handler.mjs': HANGING });
    const run = runAction({ 'fail-on': 'none', 'upload-sarif': 'false', 'step-summary': 'false', 'markdown-file': 'comment.md', 'docs-url': 'https://example.com/sd' }, { workspace: ws });
    expect(run.failed).toBe(false);
    expect(run.outputs['exit-code']).toBe('0');
    expect(run.steps.sarif!.skipped).toBe(true);
    expect(run.steps.upload!.skipped).toBe(true);
    expect(run.outputs['sarif-file']).toBe('');
    expect(run.summary).toBe('');
    expect(run.steps.gate!.stdout).toMatch(/^::error /m);
    expect(run.outputs['markdown-file']).toBe('comment.md');
    expect(readFileSync(path.join(ws, 'comment.md'), 'utf8')).toContain('[`stream-never-ended`](https://example.com/sd/docs/rules/stream-never-ended.md)');
  });

  it('passes path, config, baseline and args through: the baseline adopts the existing findings, a new one fails', () => {
    const ws = workspace({ 'services/my api/src/old.mjs': HANGING, 'services/my api/legacy/skip.mjs': HANGING, 'stream-doctor.config.json': '{}' });
    const baselined = spawnSync(process.execPath, [bin, 'scan', 'services/my api', '--exclude', 'legacy/**', '--update-baseline', '--baseline', '.stream-doctor-baseline.json'], { cwd: ws, encoding: 'utf8' });
    expect(baselined.status, baselined.stderr).toBe(0);
    const inputs = { path: 'services/my api', config: 'stream-doctor.config.json', baseline: '.stream-doctor-baseline.json', args: '--exclude legacy/** --no-deps', 'upload-sarif': 'false' };
    const clean = runAction(inputs, { workspace: ws });
    expect(clean.steps.gate!.stderr).toBe('');
    expect(clean.failed).toBe(false);
    expect(clean.summary).toContain('**No problems found**');
    expect(clean.summary).toContain('1 suppressed');

    writeFileSync(path.join(ws, 'services/my api/src/new.mjs'), HANGING);
    const again = runAction(inputs, { workspace: ws });
    expect(again.failed).toBe(true);
    expect(again.steps.gate!.stdout).toMatch(/^::error file=services\/my api\/src\/new\.mjs,line=3,/m);
    expect(again.steps.gate!.stdout).not.toContain('old.mjs');
    expect(again.steps.gate!.stdout).not.toContain('legacy');
  });

  it('a scan that cannot run fails the first scan step with exit 2, and nothing after it runs', () => {
    const ws = workspace({ 'src/handler.mjs': HANGING });
    const run = runAction({ config: 'missing.json' }, { workspace: ws });
    expect(run.steps.sarif!.code).toBe(2);
    expect(run.steps.sarif!.stderr).toContain('missing.json');
    expect(run.steps.upload!.skipped).toBe(true);
    expect(run.steps.gate!.skipped).toBe(true);
    expect(run.failed).toBe(true);
  });

  /** A fake `npm` that records its arguments and installs a package that runs this checkout's CLI. */
  function fakeNpm(dir: string): { pathPrefix: string; calls: () => string[][] } {
    const binDir = path.join(dir, 'fake-bin');
    mkdirSync(binDir, { recursive: true });
    const log = path.join(dir, 'npm-calls.jsonl');
    const script = `#!/usr/bin/env node
const fs = require('node:fs'); const path = require('node:path');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const prefix = args.includes('--prefix') ? args[args.indexOf('--prefix') + 1] : process.cwd();
const target = args[0] === 'install' ? path.join(prefix, 'node_modules/stream-doctor') : prefix;
fs.mkdirSync(path.join(target, 'bin'), { recursive: true });
fs.mkdirSync(path.join(target, 'node_modules'), { recursive: true });
fs.writeFileSync(path.join(target, 'bin/stream-doctor.js'), 'import(' + JSON.stringify(${JSON.stringify(`file://${bin}`)}) + ');\\n');
fs.writeFileSync(path.join(target, 'package.json'), '{"type":"module"}');
`;
    writeFileSync(path.join(binDir, 'npm'), script);
    chmodSync(path.join(binDir, 'npm'), 0o755);
    return { pathPrefix: binDir, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]) : []) };
  }

  it('from a ref without the build (a branch): installs the published package of its own version, without scripts', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'sd-action-tag-'));
    const actionPath = path.join(tmp, 'action');
    mkdirSync(actionPath);
    copyFileSync(path.join(repo, 'action.yml'), path.join(actionPath, 'action.yml'));
    writeFileSync(path.join(actionPath, 'package.json'), JSON.stringify({ name: 'stream-doctor', version: '9.8.7' }));
    const npm = fakeNpm(tmp);
    const ws = workspace({ 'src/handler.mjs': HANGING });

    const run = runAction({ 'upload-sarif': 'false' }, { workspace: ws, actionPath, pathPrefix: npm.pathPrefix });
    expect(run.steps.setup!.code, run.steps.setup!.stderr).toBe(0);
    const [call] = npm.calls();
    expect(call![0]).toBe('install');
    expect(call).toContain('--ignore-scripts');
    expect(call!.at(-1)).toBe('stream-doctor@9.8.7');
    expect(run.steps.gate!.code).toBe(1);
    expect(run.steps.gate!.stdout).toMatch(/^::error file=src\/handler\.mjs,line=3,/m);

    runAction({ 'upload-sarif': 'false', version: 'latest' }, { workspace: ws, actionPath, pathPrefix: npm.pathPrefix });
    expect(npm.calls()[1]!.at(-1)).toBe('stream-doctor@latest');
  });

  it('from a release tag (dist/ committed, no node_modules): installs its production dependencies only, without scripts', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'sd-action-built-'));
    const actionPath = path.join(tmp, 'action');
    mkdirSync(path.join(actionPath, 'dist/bundle'), { recursive: true });
    writeFileSync(path.join(actionPath, 'dist/bundle/cli.js'), '');
    const npm = fakeNpm(tmp);
    const ws = workspace({ 'src/handler.mjs': HANGING });
    const run = runAction({ 'upload-sarif': 'false', 'fail-on': 'none' }, { workspace: ws, actionPath, pathPrefix: npm.pathPrefix });
    expect(run.steps.setup!.code, run.steps.setup!.stderr).toBe(0);
    expect(npm.calls()).toEqual([['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']]);
    expect(run.failed).toBe(false);
  });
});
