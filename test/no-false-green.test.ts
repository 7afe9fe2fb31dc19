/**
 * Results a CI gate can trust (issue 12): a scan that looked at nothing never says "No problems found" and
 * never exits 0; a single infrastructure file is read as the deployment it is; the project's configuration
 * is found above the scanned folder; filters apply to infrastructure files; a rule that throws is an
 * internal error that fails the gate without hiding the other rules' findings. Each case failed before.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSource } from '../src/code/analyze.js';
import { codeRules } from '../src/checks/code/index.js';
import { defineCodeRule } from '../src/model/rule.js';
import type { CodeRule } from '../src/model/rule.js';
import { tempProject } from './support/temp-project.js';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');
const deployFixtures = path.join(repo, 'test/fixtures/deploy');

function run(args: string[], cwd = repo) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const project = (files: Record<string, string>): string => tempProject('sd-green-', files);

const HANGING = `export const handler = awslambda.streamifyResponse(async (event, stream) => {
  const res = await fetch(event.url);
  if (res.body) {
    const w = awslambda.HttpResponseStream.from(stream, { statusCode: res.status });
    w.write("x");
    w.end();
  }
});
`;

interface JsonFinding {
  ruleId: string;
  file: string;
  line: number;
}

function findings(stdout: string): Array<[string, string, number]> {
  return (JSON.parse(stdout).findings as JsonFinding[]).map((f) => [f.ruleId, f.file, f.line]);
}

describe('a scan that looked at nothing fails', () => {
  it('exits 2 with one line for a folder with no source and no infrastructure file', () => {
    const dir = project({ 'README.md': '# nothing here\n', 'notes.txt': 'hello\n' });
    const { code, stdout, stderr } = run(['scan', dir]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/nothing to scan in .*: no JavaScript, TypeScript or Python source and no infrastructure file/);
  });

  it('exits 2 when the include globs match nothing', () => {
    const dir = project({ 'src/handler.mjs': HANGING });
    const { code, stderr } = run(['scan', dir, '--include', 'lib/**']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/nothing to scan .*after --include\/--exclude/);
  });

  it('exits 2 when every source file was skipped (size or parse errors)', () => {
    // (a streaming module of the project that does not parse is a handler-syntax-error finding, not a skip)
    const dir = project({ 'a.mjs': 'export const handler = awslambda.streamifyResponse\u0000 binary', 'big.mjs': `// awslambda\n${'x'.repeat(2 * 1024 * 1024)}\n` });
    const { code, stdout, stderr } = run(['scan', dir, '--max-file-size', '1']);
    expect(code).toBe(2);
    expect(stdout).not.toContain('No problems found');
    expect(stderr).toMatch(/nothing was analysed in .*: every source file was skipped/);
  });

  it('still says "No problems found" for a project whose sources simply do not stream', () => {
    const dir = project({ 'index.mjs': 'export const handler = async () => ({ statusCode: 200, body: "ok" });\n' });
    const { code, stdout } = run(['scan', dir]);
    expect(code).toBe(0);
    expect(stdout).toContain('No problems found');
  });
});

describe('a single infrastructure file is scanned as the deployment it is', () => {
  it.each([
    ['duplicate-cors/sam-invalid', 'template.yaml', ['duplicate-cors', 'template.yaml', 17]],
    ['duplicate-cors/serverless-invalid', 'serverless.yml', null],
    ['duplicate-cors/terraform-invalid', 'main.tf', null],
  ] as const)('%s: %s', (fixture, file, expected) => {
    const dir = path.join(deployFixtures, fixture);
    const whole = run(['scan', dir, '--format', 'json', '--fail-on', 'none']);
    const single = run(['scan', path.join(dir, file), '--format', 'json', '--fail-on', 'none']);
    expect(single.code).toBe(0);
    const ofFile = findings(whole.stdout).filter(([, f]) => f === file);
    expect(ofFile.length).toBeGreaterThan(0);
    expect(findings(single.stdout)).toEqual(ofFile);
    if (expected) expect(findings(single.stdout)).toContainEqual(expected);
    expect(JSON.parse(single.stdout).summary.infrastructureFiles).toBeGreaterThan(0);
  });

  it('reads a Dockerfile with the Terraform module beside it', () => {
    const dir = path.join(repo, 'examples/fastapi-lwa-terraform');
    const single = run(['scan', path.join(dir, 'main.tf'), '--format', 'json', '--fail-on', 'none']);
    expect(findings(single.stdout).map(([rule]) => rule)).toContain('web-adapter-mode-mismatch');
  });
});

describe('the configuration is found above the scanned path', () => {
  const files = {
    '.git/HEAD': 'ref: refs/heads/main\n',
    'stream-doctor.config.json': JSON.stringify({ rules: { 'stream-never-ended': 'warning' }, exclude: ['src/legacy/**'] }),
    'src/handler.mjs': HANGING,
    'src/legacy/old.mjs': HANGING,
  };

  it.each([
    ['scan src', ['scan', 'src'], '.'],
    ['scan src/handler.mjs', ['scan', 'src/handler.mjs'], '.'],
    ['cd src && scan', ['scan'], 'src'],
  ])('%s applies the project config (severity override and exclude)', (_name, args, cwd) => {
    const dir = project(files);
    const { code, stdout } = run([...args, '--format', 'json'], path.join(dir, cwd));
    expect(code).toBe(0); // the override made it a warning
    const report = JSON.parse(stdout);
    expect(report.findings.map((f: JsonFinding & { severity: string }) => [f.ruleId, f.severity, path.basename(f.file)])).toEqual([['stream-never-ended', 'warning', 'handler.mjs']]);
  });

  it('stops at the repository root', () => {
    const outer = project({ 'stream-doctor.config.json': JSON.stringify({ rules: { 'stream-never-ended': 'off' } }) });
    const inner = path.join(outer, 'repo');
    cpSync(project({ '.git/HEAD': 'x\n', 'handler.mjs': HANGING }), inner, { recursive: true });
    expect(run(['scan', inner]).code).toBe(1);
  });
});

describe('filters apply to infrastructure files', () => {
  it('an excluded legacy/template.yaml does not fail the gate (--exclude and the config)', () => {
    const src = path.join(deployFixtures, 'duplicate-cors/sam-invalid');
    const dir = project({ 'app/ok.mjs': 'export const x = 1;\n' });
    cpSync(src, path.join(dir, 'legacy'), { recursive: true });
    expect(run(['scan', dir]).code).toBe(1);
    expect(run(['scan', dir, '--exclude', 'legacy/**']).code).toBe(0);
    writeFileSync(path.join(dir, 'stream-doctor.config.json'), JSON.stringify({ exclude: ['legacy/**'] }));
    expect(run(['scan', dir]).code).toBe(0);
  });
});

describe('a rule that throws', () => {
  const broken: CodeRule = defineCodeRule({
    meta: { id: 'always-throws', category: 'lifecycle', severity: 'error', title: 't', consequence: 'c', evidence: 'e', fixable: false, triggers: ['streamifyResponse'] },
    messages: { never: 'never' },
    check() {
      throw new Error('boom');
    },
  });

  it('does not hide the other rules\' findings, and is reported as an internal error with its id', () => {
    const result = analyzeSource({ rel: 'h.mjs', text: HANGING, origin: 'project' }, [broken, ...codeRules]);
    expect(result.findings.map((f) => [f.ruleId, f.line])).toEqual([['stream-never-ended', 3]]);
    expect(result.internalErrors).toEqual([{ ruleId: 'always-throws', file: 'h.mjs', message: 'boom' }]);
  });
});
