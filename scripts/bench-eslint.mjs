#!/usr/bin/env node
/**
 * Per-file cost of the ESLint plugin (docs/performance.md, "ESLint plugin"): ESLint's `Linter` in-process on
 * framework adapter files (fetched with `npm pack` into test/.tmp/bench-eslint/, cached) and one handler
 * fixture, under
 *   - `@eslint/js` recommended (a typical rule set),
 *   - `stream-doctor/eslint` recommended alone,
 *   - both (what a user adds the plugin to),
 * each file linted under a new name every round, so the plugin's per-file cache never hits (in a real run
 * every file is linted once), plus the plugin's own analysis without ESLint (analysis and the fixes of the
 * problems recommended reports). Prints the median CPU time (user + system, this process) per file and config:
 * on a shared machine wall time mostly measures the neighbours. Needs `npm run build` first.
 *
 *   node scripts/bench-eslint.mjs [rounds=40]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Linter } from 'eslint';
import js from '@eslint/js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 40);
const cacheDir = path.join(repo, 'test/.tmp/bench-eslint');

const PACKAGES = [
  ['hono@4.13.19', 'package/dist/adapter/aws-lambda/handler.js'],
  ['@h4ad/serverless-adapter@2.17.0', 'package/lib/handlers/aws/aws-stream.handler.js'],
  ['@middy/core@7.9.2', 'package/executionModeStreamifyResponse.js'],
  ['@trpc/server@11.25.2', 'package/dist/adapters/aws-lambda/index.mjs'],
  ['@aws-lambda-powertools/event-handler@2.35.0', 'package/lib/esm/http/Router.js'],
  // No streaming marker: the plugin's prefilter returns before parsing.
  ['@hono/node-server@1.19.9', 'package/dist/index.mjs'],
];

function fetchFile(spec, file) {
  const dir = path.join(cacheDir, spec.replace(/[@/]/g, '_'));
  const target = path.join(dir, file);
  if (!existsSync(target)) {
    mkdirSync(dir, { recursive: true });
    const tgz = execFileSync('npm', ['pack', '--silent', spec], { cwd: dir, encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['xzf', tgz], { cwd: dir });
  }
  return target;
}

const { default: plugin } = await import(path.join(repo, 'dist/eslint/index.js'));
const { analysisFor } = await import(path.join(repo, 'dist/eslint/analysis.js'));

const files = PACKAGES.map(([spec, file]) => ({ name: `${spec} ${path.basename(file)}`, path: fetchFile(spec, file) }));
files.push({ name: 'fixture: stream-never-ended/invalid-catch-swallows.mjs', path: path.join(repo, 'test/fixtures/rules/stream-never-ended/invalid-catch-swallows.mjs') });

const base = { languageOptions: { ecmaVersion: 'latest', sourceType: 'module' } };
const configs = {
  '@eslint/js recommended': [base, js.configs.recommended],
  'stream-doctor recommended': [base, plugin.configs.recommended],
  'both': [base, js.configs.recommended, plugin.configs.recommended],
};

const linter = new Linter();
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let n = 0;
const rows = [];
for (const file of files) {
  const text = readFileSync(file.path, 'utf8');
  const ext = path.extname(file.path);
  const times = Object.fromEntries([...Object.keys(configs), 'analysis alone'].map((k) => [k, []]));
  for (let round = 0; round < rounds + 3; round++) {
    // Interleaved, so load from other processes hits every config alike.
    for (const [label, config] of Object.entries(configs)) {
      const filename = `bench-${n++}${ext}`;
      const started = cpu();
      const messages = linter.verify(text, config, { filename });
      const took = cpu() - started;
      if (messages.some((m) => m.fatal)) throw new Error(`${file.name}: ${messages.find((m) => m.fatal).message}`);
      if (round >= 3) times[label].push(took);
    }
    const started = cpu();
    const analysis = analysisFor(`alone-${n++}${ext}`, text, repo);
    for (const [id, problems] of analysis.byRule) {
      if (plugin.configs.recommended.rules[`stream-doctor/${id}`] === 'off') continue;
      for (const problem of problems) if (problem.severity !== 'info') problem.fix();
    }
    if (round >= 3) times['analysis alone'].push(cpu() - started);
  }
  const found = linter.verify(text, configs['stream-doctor recommended'], { filename: `count-${n++}${ext}` }).length;
  rows.push({ file: file.name, kb: (text.length / 1024).toFixed(1), ...Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v).toFixed(2)])), findings: found });
}
console.log(`Node ${process.version}, ESLint ${Linter.version}, ${rounds} rounds, median CPU ms per file`);
console.table(rows);
