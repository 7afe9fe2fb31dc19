#!/usr/bin/env node
/**
 * The ecosystem check (like Ruff's): scans a local copy of the public projects listed in
 * test/ecosystem/corpus.json with the built CLI and scores the findings against the hand triage.
 *
 *   npm run ecosystem -- --corpus <dir>                 score (text tables)
 *   npm run ecosystem -- --corpus <dir> --markdown      the tables for docs/accuracy.md
 *   npm run ecosystem -- --corpus <dir> --json          every project's matches, for tooling
 *   npm run ecosystem -- --corpus <dir> --details       list every miss and every false alarm
 *   npm run ecosystem -- --corpus <dir> --materialize --mirrors <dir>
 *       first extract each project at its pinned commit from bare git mirrors (<mirrors>/<owner>+<name>/repo,
 *       as the session tool `fetch` leaves them) into <corpus>/<owner>+<name>[+<folder>]
 *   --manifest <f>  score another manifest (test/ecosystem/holdout.json: projects triaged after the analysis work)
 *   --tool <bin>    score another build (e.g. an older checkout's bin/stream-doctor.js) for before/after
 *   --only <text>   only projects whose repo or folder contains the text
 *
 * Scoring (docs/accuracy.md): findings at error or warning severity count, except the security rule
 * public-function-url. A finding is a true positive when it matches an expected entry (same rule and file,
 * line inside the entry's `lines` span or equal to its `line`); a finding matching an `unsure` entry is not
 * counted either way; any other finding is a false alarm (and one matching a `silent` entry is a false alarm
 * on an idiom known to be correct). An expected entry is found when some counted finding matches it.
 * The third-party code is never committed: only the manifest is.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const EXCLUDED_RULES = new Set(['public-function-url']);
const COUNTED = new Set(['error', 'warning']);

function parseArgs(argv) {
  const args = { corpus: undefined, manifest: path.join(repoRoot, 'test/ecosystem/corpus.json'), mirrors: undefined, tool: path.join(repoRoot, 'bin/stream-doctor.js'), only: undefined, format: 'text', materialize: false, details: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--corpus') args.corpus = path.resolve(value());
    else if (a === '--manifest') args.manifest = path.resolve(value());
    else if (a === '--mirrors') args.mirrors = path.resolve(value());
    else if (a === '--tool') args.tool = path.resolve(value());
    else if (a === '--only') args.only = value();
    else if (a === '--json') args.format = 'json';
    else if (a === '--markdown') args.format = 'markdown';
    else if (a === '--materialize') args.materialize = true;
    else if (a === '--details') args.details = true;
    else fail(`unknown argument ${a}`);
  }
  if (!args.corpus) fail('--corpus <dir> is required (a local copy of the corpus; see --materialize)');
  return args;
}

function fail(message) {
  process.stderr.write(`ecosystem: ${message}\n`);
  process.exit(2);
}

/** The folder of one corpus entry inside the corpus copy. */
export function entryDir(corpus, project) {
  const base = project.repo.replace('/', '+');
  return path.join(corpus, project.scan ? `${base}+${project.scan.replace(/[\\/]/g, '-')}` : base);
}

function materialize(args, projects) {
  if (!args.mirrors) fail('--materialize needs --mirrors <dir>');
  for (const project of projects) {
    const dir = entryDir(args.corpus, project);
    const stamp = path.join(dir, '.corpus-commit');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === project.commit) continue;
    const gitDir = path.join(args.mirrors, project.repo.replace('/', '+'), 'repo');
    if (!existsSync(gitDir)) {
      process.stderr.write(`ecosystem: no mirror for ${project.repo} (fetch github:${project.repo} first)\n`);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // Only what the entry scans: a folder of a large repository, or the whole tree. A snapshot may lack
    // large blobs (git archive then refuses): those files are left out, file by file.
    const archive = spawnSync('git', ['--git-dir', gitDir, 'archive', '--format=tar', project.commit, ...(project.scan ? [project.scan] : [])], { maxBuffer: 1 << 30 });
    if (archive.status === 0) execFileSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    else if (!extractBlobByBlob(gitDir, project.commit, project.scan, dir)) {
      process.stderr.write(`ecosystem: cannot extract ${project.repo}@${project.commit.slice(0, 7)}\n`);
      continue;
    }
    writeFileSync(stamp, `${project.commit}\n`);
  }
}

/** Extracts every blob of the commit (under `folder`) that the snapshot has; false when none could be read. */
function extractBlobByBlob(gitDir, commit, folder, dir) {
  const list = spawnSync('git', ['--git-dir', gitDir, 'ls-tree', '-r', '-z', commit, ...(folder ? [folder] : [])], { maxBuffer: 1 << 28 });
  if (list.status !== 0) return false;
  const entries = list.stdout
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta, file] = line.split('\t');
      const [mode, type, object] = meta.split(' ');
      return { mode, type, object, file };
    })
    .filter((e) => e.type === 'blob' && e.mode !== '120000');
  let written = 0;
  for (const entry of entries) {
    const blob = spawnSync('git', ['--git-dir', gitDir, 'cat-file', 'blob', entry.object], { maxBuffer: 1 << 28 });
    if (blob.status !== 0) continue;
    const target = path.join(dir, entry.file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, blob.stdout);
    written++;
  }
  return written > 0;
}

function scan(args, project) {
  const dir = entryDir(args.corpus, project);
  const root = project.scan ? path.join(dir, project.scan) : dir;
  if (!existsSync(root)) return { error: `not in the corpus copy: ${path.relative(process.cwd(), root)}` };
  const run = spawnSync(process.execPath, [args.tool, 'scan', root, '--format', 'json', '--fail-on', 'none', '--no-color'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, CI: 'true' },
  });
  if (run.status !== 0 && run.status !== 1) return { error: (run.stderr || `exit ${run.status}`).trim().split('\n')[0] };
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    return { error: `no JSON report (exit ${run.status}${run.signal ? `, ${run.signal}` : ''}): ${(run.stderr || run.stdout).trim().split('\n')[0] ?? ''}` };
  }
  const prefix = project.scan ? `${project.scan.replace(/\/+$/, '')}/` : '';
  return {
    findings: report.findings.map((f) => ({ ...f, file: prefix + f.file })),
    skipped: report.skipped.map((s) => ({ ...s, file: prefix + s.file })),
  };
}

function spanOf(entry) {
  return entry.lines ?? [entry.line, entry.line];
}

function matches(entry, finding) {
  const [from, to] = spanOf(entry);
  return entry.rule === finding.ruleId && entry.file === finding.file && finding.line >= from && finding.line <= to;
}

/**
 * The infrastructure format a file is written in, from its name (code files are "code"): the per-format
 * figures of docs/accuracy.md.
 */
export function formatOf(file, text = '') {
  const name = path.posix.basename(file);
  if (/^Dockerfile|\.dockerfile$/i.test(name)) return 'dockerfile';
  if (/\.tf(\.json)?$/.test(name)) return 'terraform';
  // a SAM/CloudFormation template named serverless.yml (no `service:`) is a template, as the reader decides
  if (/^serverless\.(ya?ml|json)$/.test(name) && /^(?:AWSTemplateFormatVersion|Transform)\s*:/m.test(text) && !/^service\s*:/m.test(text)) return /AWS::Serverless/.test(text) ? 'sam' : 'cloudformation';
  if (/^serverless\.(ya?ml|ts|js|json)$/.test(name)) return 'serverless';
  if (/^sst\.config\.[cm]?[jt]s$/.test(name)) return 'sst';
  if (/\.(ya?ml|json)$/.test(name)) return /AWS::Serverless/.test(text) ? 'sam' : 'cloudformation';
  if (/\.[cm]?[jt]sx?$/.test(name)) {
    if (/\bsst\.aws\./.test(text)) return 'sst';
    if (/aws-cdk-lib|@aws-cdk\//.test(text)) return 'cdk';
    return 'code';
  }
  if (/\.py$/.test(name)) return 'code';
  return 'other';
}

function score(args, projects) {
  const perProject = [];
  for (const project of projects) {
    const result = scan(args, project);
    if (result.error) {
      perProject.push({ project, error: result.error });
      continue;
    }
    const counted = result.findings.filter((f) => COUNTED.has(f.severity) && !EXCLUDED_RULES.has(f.ruleId));
    const unsure = project.unsure ?? [];
    const silent = project.silent ?? [];
    const considered = counted.filter((f) => !unsure.some((u) => matches(u, f)));
    const truePositives = considered.filter((f) => project.expected.some((e) => matches(e, f)));
    const falseAlarms = considered
      .filter((f) => !project.expected.some((e) => matches(e, f)))
      .map((f) => ({ finding: f, silent: silent.find((s) => matches(s, f)) }));
    const found = project.expected.filter((e) => considered.some((f) => matches(e, f)));
    const missed = project.expected.filter((e) => !considered.some((f) => matches(e, f)));
    const skippedTriaged = result.skipped.filter((s) => project.files.includes(s.file));
    perProject.push({ project, findings: considered, truePositives, falseAlarms, found, missed, skippedTriaged });
  }
  return perProject;
}

function textOf(project, file) {
  try {
    return readFileSync(path.join(entryDir(project.corpus, project.project), file), 'utf8');
  } catch {
    return '';
  }
}

function aggregate(perProject, corpus, keyOfFinding, keyOfEntry) {
  const rows = new Map();
  const row = (key) => {
    if (!rows.has(key)) rows.set(key, { key, tp: 0, fp: 0, found: 0, expected: 0 });
    return rows.get(key);
  };
  for (const p of perProject) {
    if (p.error) continue;
    const ctx = { corpus, project: p.project };
    for (const f of p.truePositives) row(keyOfFinding(f, ctx)).tp++;
    for (const { finding } of p.falseAlarms) row(keyOfFinding(finding, ctx)).fp++;
    for (const e of p.project.expected) {
      const r = row(keyOfEntry(e, ctx));
      r.expected++;
      if (p.found.includes(e)) r.found++;
    }
  }
  return [...rows.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

function pct(n, d) {
  return d === 0 ? '—' : `${((100 * n) / d).toFixed(1)} %`;
}

function totals(rows) {
  return rows.reduce((t, r) => ({ key: 'overall', tp: t.tp + r.tp, fp: t.fp + r.fp, found: t.found + r.found, expected: t.expected + r.expected }), { key: 'overall', tp: 0, fp: 0, found: 0, expected: 0 });
}

function table(title, rows, markdown) {
  const all = [...rows, totals(rows)];
  const header = ['', 'findings', 'true', 'false alarms', 'precision', 'expected', 'found', 'recall'];
  const lines = all.map((r) => [r.key, r.tp + r.fp, r.tp, r.fp, pct(r.tp, r.tp + r.fp), r.expected, r.found, pct(r.found, r.expected)].map(String));
  if (markdown) {
    return [`### ${title}`, '', `| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`), ''].join('\n');
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [title, fmt(header), ...lines.map(fmt), ''].join('\n');
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const manifest = JSON.parse(readFileSync(args.manifest, 'utf8'));
  let projects = manifest.projects;
  if (args.only) projects = projects.filter((p) => `${p.repo} ${p.scan ?? ''}`.includes(args.only));
  if (args.materialize) materialize(args, projects);
  if (!existsSync(args.tool)) fail(`no CLI at ${args.tool} (run npm run build)`);
  const perProject = score(args, projects);
  const corpus = args.corpus;
  const byRule = aggregate(perProject, corpus, (f) => f.ruleId, (e) => e.rule);
  const formatKey = (file, ctx) => formatOf(file, textOf(ctx, file));
  const byFormat = aggregate(perProject, corpus, (f, ctx) => formatKey(f.file, ctx), (e, ctx) => formatKey(e.file, ctx));
  const errors = perProject.filter((p) => p.error);

  if (args.format === 'json') {
    process.stdout.write(
      `${JSON.stringify(
        {
          overall: totals(byRule),
          byRule,
          byFormat,
          projects: perProject.map((p) => ({
            repo: p.project.repo,
            scan: p.project.scan,
            error: p.error,
            truePositives: p.truePositives?.map(brief),
            falseAlarms: p.falseAlarms?.map((x) => ({ ...brief(x.finding), silent: x.silent?.reason })),
            missed: p.missed?.map((e) => ({ rule: e.rule, file: e.file, line: e.line, reason: e.reason })),
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const md = args.format === 'markdown';
    const scored = perProject.length - errors.length;
    process.stdout.write(`${scored} projects scored (${projects.length} in the manifest); error+warning, ${[...EXCLUDED_RULES].join(', ')} aside\n\n`);
    process.stdout.write(table('By rule', byRule, md));
    process.stdout.write('\n');
    process.stdout.write(table('By format', byFormat, md));
    if (args.details) {
      for (const p of perProject) {
        if (p.error) continue;
        const lines = [
          ...p.missed.map((e) => `  missed  ${e.rule} ${e.file}:${e.line}  ${e.reason}`),
          ...p.falseAlarms.map(({ finding: f, silent }) => `  false   ${f.ruleId} ${f.file}:${f.line}  ${silent ? `(known correct: ${silent.reason})` : f.message.slice(0, 160)}`),
          ...p.skippedTriaged.map((s) => `  skipped ${s.file}  ${s.reason}`),
        ];
        if (lines.length > 0) process.stdout.write(`\n${p.project.repo}${p.project.scan ? ` (${p.project.scan})` : ''}\n${lines.join('\n')}\n`);
      }
    }
  }
  for (const p of errors) process.stderr.write(`ecosystem: ${p.project.repo}${p.project.scan ? ` (${p.project.scan})` : ''}: ${p.error}\n`);
  process.exit(errors.length > 0 ? 2 : 0);
}

function brief(f) {
  return { rule: f.ruleId, severity: f.severity, file: f.file, line: f.line };
}

main();
