/**
 * Infrastructure fixers (src/fix/deployment/), four ways:
 * 1. before/after fixtures: test/fixtures/fix-deployment/<rule>/<format>-<case>/ is a project; after
 *    `fixDeployments(dir, { only: <rule> })` every file must equal the `expected/` copy exactly (formatting and
 *    comments untouched). With a `case.json` `{ "suggestion": "<text>" }` the fixer must decline with that
 *    reason (the expected copy is then the unchanged project); otherwise the rule must re-scan clean with
 *    nothing new reported, and a second run must change nothing;
 * 2. property: every fixer over the deployment fixture matrix (test/fixtures/deploy/<rule>/*-invalid): the
 *    project re-scans clean for the rule with nothing new, or the fixer declined with a suggestion (listed in
 *    DECLINED with the reason);
 * 3. scope and safety: `--rule`, rules turned off, inline suppressions, CRLF files, and edits that break a
 *    file, leave the finding, add a finding or lose a function, which the validation must refuse;
 * 4. the built CLI: `fix --write` on a SAM project, then `scan` no longer reports the finding.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { diffLines } from 'diff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentRules } from '../src/checks/deployment/index.js';
import type { FileFix } from '../src/fix/engine.js';
import { deploymentFixers, fixDeployments, fixDeploymentsWith } from '../src/fix/deployment/index.js';
import type { DeploymentFixer } from '../src/fix/deployment/types.js';
import { checkDeployments, type DeploymentCheck } from '../src/iac/index.js';

const repo = path.resolve(import.meta.dirname, '..');
const fixDir = path.join(repo, 'test/fixtures/fix-deployment');
const deployDir = path.join(repo, 'test/fixtures/deploy');

/**
 * Invalid fixtures of the deployment matrix that a fixer leaves to the user on purpose, and why.
 * Key: `<rule-id>/<fixture dir>`.
 */
const NO_ONE_TIMEOUT = 'not fixable: the timeout must cover the longest stream of the route, which the code does not say';
const DECLINED: Record<string, string> = {
  'streaming-timeout-too-short/cdk-default-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/cdk-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/cloudformation-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/sam-globals-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/sam-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/serverless-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/sst-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/terraform-invalid': NO_ONE_TIMEOUT,
  'streaming-timeout-too-short/sam-bounded-loop-invalid': NO_ONE_TIMEOUT,
  'streaming-handler-behind-buffered-url/cdk-escape-hatch-invalid':
    'not fixed: an escape hatch deletes the InvokeMode the construct sets; the fixer edits construct options, never escape hatches (the edit is refused: the rule would still report it)',
  'web-adapter-mode-mismatch/sam-variable-without-adapter-invalid':
    'not fixed: installing the Lambda Web Adapter changes how the function starts (layer, wrapper, start script), which is not one edit',
  'streaming-handler-behind-buffered-url/serverless-ts-invalid': 'not fixed: a serverless.ts is a program (values may be computed, imported or shared), so it is not edited',
};

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Every file below `dir`, relative, "/" separators, sorted. */
function filesOf(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...filesOf(dir, child));
    else out.push(child);
  }
  return out.sort();
}

/** A temporary copy of a project (without the fixture's `expected/` and `case.json`). */
function copyProject(src: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-fixdep-'));
  scratch.push(dir);
  cpSync(src, dir, { recursive: true, filter: (from) => !['expected', 'case.json'].includes(path.relative(src, from)) });
  return dir;
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-fixdep-'));
  scratch.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function write(dir: string, files: FileFix[]): void {
  for (const f of files) if (f.fixed !== f.original) writeFileSync(path.join(dir, f.rel), f.fixed);
}

const applied = (files: FileFix[]) => files.flatMap((f) => f.applied);
const suggestions = (files: FileFix[]) => files.flatMap((f) => f.suggestions);
const fingerprints = (check: DeploymentCheck) => check.findings.map((f) => f.fingerprint).sort();

/** Fingerprints after that were not there before (a multiset difference). */
function added(before: DeploymentCheck, after: DeploymentCheck): string[] {
  const left = [...fingerprints(before)];
  const out: string[] = [];
  for (const f of after.findings) {
    const i = left.indexOf(f.fingerprint);
    if (i >= 0) left.splice(i, 1);
    else out.push(`${f.ruleId} ${f.file}:${f.line}`);
  }
  return out;
}

/** `# ...` / `// ...` comments of a text (the part of the line from the marker on). */
function comments(file: string, text: string): string[] {
  const marker = /\.(ts|js|mjs)$/.test(file) ? /(?:^|\s)(\/\/.*)$/ : /.json$/.test(file) ? null : /(?:^|\s)(#.*)$/;
  if (!marker) return [];
  return text.split(/\r?\n/).flatMap((line) => {
    const m = marker.exec(line);
    return m ? [m[1]] : [];
  });
}

/** Comments kept: every comment of the original is still there, except those inside entries the fix deleted whole. */
function expectCommentsKept(file: string, original: string, fixed: string): void {
  const deleted: string[] = [];
  const parts = diffLines(original, fixed);
  parts.forEach((part, i) => {
    const replaced = (i > 0 && parts[i - 1].added) || (i + 1 < parts.length && parts[i + 1].added);
    if (part.removed && !replaced) deleted.push(...comments(file, part.value));
  });
  for (const comment of comments(file, original)) {
    if (deleted.includes(comment)) continue;
    expect(fixed, `${file}: comment dropped: ${comment}`).toContain(comment);
  }
}

// ---------------------------------------------------------------------------------------------

describe('deployment fixers: before/after fixtures', () => {
  it('every fixer has fixtures, and every fixture directory is a fixer', () => {
    expect(subdirs(fixDir)).toEqual(deploymentFixers.map((f) => f.ruleId).sort());
  });

  for (const rule of subdirs(fixDir)) {
    for (const name of subdirs(path.join(fixDir, rule))) {
      const caseDir = path.join(fixDir, rule, name);
      const expectation = existsSync(path.join(caseDir, 'case.json')) ? (JSON.parse(readFileSync(path.join(caseDir, 'case.json'), 'utf8')) as { suggestion?: string }) : {};
      it(`${rule}/${name}${expectation.suggestion ? ' (suggestion)' : ''}`, async () => {
        expect(/^(sam|cloudformation|serverless|terraform|cdk|sst|dockerfile)-/.test(name), `fixture names start with the format: ${name}`).toBe(true);
        const dir = copyProject(caseDir);
        const before = await checkDeployments(dir);
        expect(before.findings.some((f) => f.ruleId === rule), `${name} must report ${rule} before the fix`).toBe(true);
        const files = await fixDeployments(dir, { only: new Set([rule]) });
        write(dir, files);

        // exact text of the whole project after the fix
        const expected = path.join(caseDir, 'expected');
        expect(filesOf(dir)).toEqual(filesOf(expected));
        for (const rel of filesOf(expected)) expect(readFileSync(path.join(dir, rel), 'utf8'), rel).toBe(readFileSync(path.join(expected, rel), 'utf8'));

        const after = await checkDeployments(dir);
        if (expectation.suggestion) {
          expect(applied(files)).toEqual([]);
          expect(suggestions(files).map((s) => s.ruleId)).toContain(rule);
          expect(suggestions(files).find((s) => s.ruleId === rule)!.suggestion).toContain(expectation.suggestion);
          expect(files.every((f) => f.fixed === f.original)).toBe(true);
          expect(fingerprints(after)).toEqual(fingerprints(before));
          return;
        }
        expect(applied(files).length).toBeGreaterThan(0);
        expect(applied(files).every((a) => a.ruleId === rule && a.title.length > 0 && a.line > 0)).toBe(true);
        expect(suggestions(files)).toEqual([]);
        expect(after.findings.filter((f) => f.ruleId === rule)).toEqual([]);
        expect(added(before, after)).toEqual([]);
        expect(after.skipped).toEqual(before.skipped);
        for (const f of files) expectCommentsKept(f.rel, f.original, f.fixed);

        // idempotence: nothing left to do
        const again = await fixDeployments(dir, { only: new Set([rule]) });
        expect(again.filter((f) => f.fixed !== f.original)).toEqual([]);
        expect(applied(again)).toEqual([]);
      });
    }
  }
});

describe('deployment fixers over the deployment fixture matrix (property)', () => {
  const keys: string[] = [];
  for (const fixer of deploymentFixers) {
    const ruleDir = path.join(deployDir, fixer.ruleId);
    for (const dir of subdirs(ruleDir).filter((d) => d.endsWith('-invalid'))) {
      const key = `${fixer.ruleId}/${dir}`;
      keys.push(key);
      it(`${key}${DECLINED[key] ? ' (declined)' : ''}`, async () => {
        const project = copyProject(path.join(ruleDir, dir));
        const before = await checkDeployments(project);
        const files = await fixDeployments(project, { only: new Set([fixer.ruleId]) });
        write(project, files);
        const after = await checkDeployments(project);
        expect(added(before, after), key).toEqual([]);
        expect(after.skipped).toEqual(before.skipped);
        if (DECLINED[key]) {
          expect(suggestions(files).filter((s) => s.ruleId === fixer.ruleId).length, key).toBeGreaterThan(0);
          expect(after.findings.some((f) => f.ruleId === fixer.ruleId)).toBe(true);
          return;
        }
        expect(suggestions(files), key).toEqual([]);
        expect(after.findings.filter((f) => f.ruleId === fixer.ruleId), key).toEqual([]);
        for (const f of files) expectCommentsKept(f.rel, f.original, f.fixed);
        const again = await fixDeployments(project, { only: new Set([fixer.ruleId]) });
        expect(again.filter((f) => f.fixed !== f.original)).toEqual([]);
      });
    }
  }
  it('lists only declines that exist', () => {
    for (const key of Object.keys(DECLINED)) expect(keys, key).toContain(key);
  });
});

// ---------------------------------------------------------------------------------------------

const STREAM_HANDLER = readFileSync(path.join(fixDir, 'streaming-handler-behind-buffered-url/sam-comments/src/handler.mjs'), 'utf8');
const SAM = `Transform: AWS::Serverless-2016-10-31
Resources:
  ChatFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: handler.handler
      Runtime: nodejs22.x
      Timeout: 120
      FunctionUrlConfig:
        AuthType: AWS_IAM
`;
const RULE = 'streaming-handler-behind-buffered-url';

/** A fixer for RULE that proposes `edit(text)` for template.yaml. */
function fakeFixer(edit: (text: string) => { start: number; end: number; text: string }): Map<string, DeploymentFixer> {
  return new Map([[RULE, { ruleId: RULE, fix: (context) => ({ title: 'fake', file: 'template.yaml', edits: [edit(context.read('template.yaml')!)] }) }]]);
}

describe('deployment fixers: scope and safety', () => {
  it('respects --rule: other rules are neither fixed nor suggested', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM });
    expect(await fixDeployments(dir, { only: new Set(['duplicate-cors']) })).toEqual([]);
    const all = await fixDeployments(dir, {});
    expect(applied(all).map((a) => a.ruleId)).toEqual([RULE]);
  });

  it('leaves rules turned off in the configuration alone', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM, 'stream-doctor.config.json': JSON.stringify({ rules: { [RULE]: 'off' } }) });
    expect(await fixDeployments(dir, {})).toEqual([]);
  });

  it('leaves findings suppressed inline alone', async () => {
    const template = SAM.replace('      FunctionUrlConfig:', '      # stream-doctor-disable-next-line streaming-handler-behind-buffered-url -- callers read the whole answer\n      FunctionUrlConfig:');
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': template });
    expect(await fixDeployments(dir, {})).toEqual([]);
  });

  it('keeps CRLF line endings', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM.replace(/\n/g, '\r\n') });
    const [file] = await fixDeployments(dir, { only: new Set([RULE]) });
    expect(file.fixed).toBe(`${SAM}        InvokeMode: RESPONSE_STREAM\n`.replace(/\n/g, '\r\n'));
  });

  it('refuses an edit that breaks the file', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM });
    const files = await fixDeploymentsWith(dir, {}, fakeFixer((text) => ({ start: text.indexOf('AuthType'), end: text.indexOf('AuthType'), text: 'InvokeMode: [RESPONSE_STREAM\n        ' })));
    expect(applied(files)).toEqual([]);
    expect(suggestions(files)[0].suggestion).toContain('would not parse');
    expect(files[0].fixed).toBe(SAM);
  });

  it('refuses an edit that leaves the finding', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM });
    const files = await fixDeploymentsWith(dir, {}, fakeFixer((text) => ({ start: text.length, end: text.length, text: '# streams?\n' })));
    expect(suggestions(files)[0].suggestion).toContain('the rule would still report it');
  });

  it('refuses an edit that makes another rule report', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM });
    // streams now, but the 120 s timeout goes: streaming-timeout-too-short would report the 3 s default
    const files = await fixDeploymentsWith(dir, {}, fakeFixer((text) => ({ start: text.indexOf('      Timeout'), end: text.length, text: '      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: RESPONSE_STREAM\n' })));
    expect(suggestions(files)[0].suggestion).toContain('would make streaming-timeout-too-short report');
  });

  it('refuses an edit that loses the function', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM });
    const files = await fixDeploymentsWith(dir, {}, fakeFixer((text) => ({ start: text.indexOf('    Type:'), end: text.indexOf('    Properties:'), text: '    Type: AWS::Serverless::Api\n' })));
    expect(suggestions(files)[0].suggestion).toContain('would change which functions');
  });

  it('reports a fixer that throws as an internal error with the rule id (the finding keeps its advice)', async () => {
    const dir = project({ 'src/handler.mjs': STREAM_HANDLER, 'template.yaml': SAM });
    const broken: DeploymentFixer = {
      ruleId: RULE,
      fix: () => {
        throw new Error('boom');
      },
    };
    const files = await fixDeploymentsWith(dir, {}, new Map([[RULE, broken]]));
    expect(suggestions(files)[0]).toMatchObject({ ruleId: RULE, line: 10 });
    expect(suggestions(files)[0].suggestion).toContain('the fixer failed');
    expect(files.flatMap((f) => f.internalErrors ?? [])).toEqual([{ ruleId: RULE, file: 'template.yaml', message: 'fixer failed: boom' }]);
  });

  it('fixable flags match the fixers: one clear fix is fixable, the timeout is not', () => {
    const fixed = new Set(deploymentFixers.map((f) => f.ruleId));
    for (const rule of deploymentRules) {
      if (rule.meta.fixable) expect(fixed.has(rule.meta.id), `${rule.meta.id} is fixable but has no fixer`).toBe(true);
    }
    for (const id of ['streaming-handler-behind-buffered-url', 'web-adapter-mode-mismatch', 'duplicate-cors']) expect(deploymentRules.find((r) => r.meta.id === id)!.meta.fixable).toBe(true);
    expect(deploymentRules.find((r) => r.meta.id === 'streaming-timeout-too-short')!.meta.fixable).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('deployment fixes through the built CLI', () => {
  // Built into its own directory: other test files run the CLI from dist/ meanwhile.
  const build = path.join(repo, 'test/.tmp', `fix-deployment-cli-${process.pid}`);
  const bin = path.join(build, 'bin/stream-doctor.js');

  beforeAll(() => {
    rmSync(build, { recursive: true, force: true });
    mkdirSync(path.join(build, 'bin'), { recursive: true });
    // `npm run build` into that directory (type errors elsewhere in src/ still emit: checked by tsc on its own)
    const result = spawnSync('npm', ['run', 'build', '--silent', '--', '--outDir', path.join(build, 'dist')], { cwd: repo, encoding: 'utf8', shell: process.platform === 'win32' });
    if (!existsSync(path.join(build, 'dist/cli.js'))) throw new Error(`npm run build failed: ${result.stdout}${result.stderr}`);
    cpSync(path.join(repo, 'bin/stream-doctor.js'), bin);
    cpSync(path.join(repo, 'package.json'), path.join(build, 'package.json'));
    symlinkSync(path.join(repo, 'data'), path.join(build, 'data'));
    symlinkSync(path.join(repo, 'docs'), path.join(build, 'docs'));
  });
  afterAll(() => rmSync(build, { recursive: true, force: true }));

  const run = (args: string[], cwd: string) => {
    const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('fix shows the diff, --write applies it, scan no longer reports it, a second run has nothing to do', () => {
    const caseDir = path.join(fixDir, RULE, 'sam-comments');
    const dir = copyProject(caseDir);
    const original = readFileSync(path.join(dir, 'template.yaml'), 'utf8');
    const scan = () => JSON.parse(run(['scan', '.', '--format', 'json', '--fail-on', 'none'], dir).stdout) as { findings: Array<{ ruleId: string }> };
    expect(scan().findings.map((f) => f.ruleId)).toContain(RULE);

    const preview = run(['fix', '.'], dir);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toContain('--- a/template.yaml\n+++ b/template.yaml\n@@');
    expect(preview.stdout).toContain('+        InvokeMode: RESPONSE_STREAM');
    expect(preview.stdout).toContain(`# template.yaml:13 ${RULE}: set the Function URL invoke mode to RESPONSE_STREAM`);
    expect(readFileSync(path.join(dir, 'template.yaml'), 'utf8')).toBe(original);

    const written = run(['fix', '.', '--write'], dir);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stderr).toBe('stream-doctor: wrote 1 fix to 1 file\n');
    expect(readFileSync(path.join(dir, 'template.yaml'), 'utf8')).toBe(readFileSync(path.join(caseDir, 'expected/template.yaml'), 'utf8'));
    expect(scan().findings.map((f) => f.ruleId)).not.toContain(RULE);
    expect(run(['fix', '.'], dir).stdout).toContain('Nothing to fix');
  });

  it('fix --rule leaves other rules, and --format json lists suggestions', () => {
    const dir = copyProject(path.join(fixDir, 'streaming-timeout-too-short', 'sam-default'));
    const json = JSON.parse(run(['fix', '.', '--format', 'json'], dir).stdout) as { files: Array<{ file: string; changed: boolean; suggestions: Array<{ ruleId: string; suggestion: string }> }> };
    expect(json.files).toHaveLength(1);
    expect(json.files[0]).toMatchObject({ file: 'template.yaml', changed: false });
    expect(json.files[0].suggestions[0].ruleId).toBe('streaming-timeout-too-short');
    expect(JSON.parse(run(['fix', '.', '--format', 'json', '--rule', RULE], dir).stdout).files).toEqual([]);
  });
});
