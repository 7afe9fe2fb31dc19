#!/usr/bin/env node
// `npm run bench`: the performance figures of docs/performance.md, measured on this machine.
//
// First the small projects (scripts/bench-small.mjs). Then installs (once) the benchmark tree with ../shared/bench/setup.sh, then measures WARM (one warm-up run
// each, then the median of 5, runs interleaved so that load from other processes hits all of them alike):
//   a) the reference: rg -l -uu 'streamifyResponse|HttpResponseStream' DIR/node_modules
//   b) the walk + byte pre-filter alone: collectCandidates() from dist/code/walk.js, in a child process
//   c) the full CLI: node bin/stream-doctor.js scan DIR --format json (skipped, with the reason, if the CLI
//      cannot scan yet)
// with wall time and peak RSS of each child (/usr/bin/time -f %M, else polling VmHWM in /proc/<pid>/status),
// and compares them with the targets: at most 1.5x ripgrep's wall time (issue 17), at most 250 MB peak RSS.
// Exit code: 0 targets met, 1 a target missed, 2 could not measure.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_RATIO = 1.5; // issue 17 (was 2)
const TARGET_RSS_MB = 250;
// The scan's own pre-filter tokens (src/code/markers.ts: STREAMING_MARKERS; DEPENDENCY_MARKERS in node_modules).
const TOKENS = ['streamifyResponse', 'HttpResponseStream', 'http-integration-response', 'awslambda', 'responseStream'];
const DEPENDENCY_TOKENS = TOKENS.filter((token) => token !== 'responseStream');

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// 0. Small projects first (scripts/bench-small.mjs: start-up, examples, one Terraform file, footprint,
// npx cold), so that they are reported even where the benchmark tree cannot be installed.
// BENCH_SKIP_SMALL=1 skips them.
let smallStatus = 0;
if (process.env.BENCH_SKIP_SMALL !== '1') {
  smallStatus = spawnSync(process.execPath, [path.join(repo, 'scripts/bench-small.mjs')], { stdio: 'inherit' }).status ?? 2;
}

// 1. The benchmark tree.
const setup = path.resolve(repo, '../shared/bench/setup.sh');
if (!fs.existsSync(setup)) fail(`cannot measure: ${path.relative(repo, setup)} is missing (the benchmark tree's installer)`);
process.stderr.write('bench: installing or checking the benchmark tree (the first time takes a few minutes)…\n');
const installed = spawnSync('bash', [setup], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (installed.status !== 0) fail(`setup.sh failed with exit code ${installed.status}`);
const dir = installed.stdout.trim().split('\n').pop();
if (!dir || !fs.existsSync(path.join(dir, 'node_modules'))) fail(`setup.sh did not produce a node_modules tree (got "${dir}")`);

// 1b. An infrastructure-heavy project next to the dependencies (generated, never committed): a SAM
// template with many functions and Function URLs, a CDK app with its synthesized cdk.out, and a handler.
// It measures what the deployment checks add to a full scan (target: at most +10 %).
const IAC_FUNCTIONS = 100;
function writeIacProject(base) {
  const iac = path.join(base, 'iac-heavy');
  fs.mkdirSync(path.join(iac, 'src'), { recursive: true });
  fs.mkdirSync(path.join(iac, 'cdk', 'lib'), { recursive: true });
  fs.mkdirSync(path.join(iac, 'cdk', 'cdk.out'), { recursive: true });
  fs.writeFileSync(
    path.join(iac, 'src', 'handler.mjs'),
    'export const handler = awslambda.streamifyResponse(async (event, stream) => {\n  const w = awslambda.HttpResponseStream.from(stream, { statusCode: 200 });\n  w.write("");\n  w.end();\n});\n',
  );
  let sam = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: nodejs20.x\n    Timeout: 60\nResources:\n';
  for (let i = 0; i < IAC_FUNCTIONS; i++) {
    sam += `  Fn${i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n      Handler: handler.handler\n      MemorySize: 512\n      Environment:\n        Variables:\n          TABLE: table-${i}\n      FunctionUrlConfig:\n        AuthType: AWS_IAM\n        InvokeMode: ${i % 2 ? 'RESPONSE_STREAM' : 'BUFFERED'}\n`;
  }
  fs.writeFileSync(path.join(iac, 'template.yaml'), sam);
  fs.writeFileSync(path.join(iac, 'cdk', 'cdk.json'), '{ "app": "npx ts-node lib/app.ts" }\n');
  let cdk = "import * as cdk from 'aws-cdk-lib';\nimport * as lambda from 'aws-cdk-lib/aws-lambda';\nexport class Stack extends cdk.Stack {\n  constructor(scope: cdk.App, id: string) {\n    super(scope, id);\n";
  for (let i = 0; i < 50; i++) {
    cdk += `    const f${i} = new lambda.Function(this, 'F${i}', { runtime: lambda.Runtime.NODEJS_20_X, handler: 'handler.handler', code: lambda.Code.fromAsset('../src'), timeout: cdk.Duration.seconds(60) });\n    f${i}.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM, invokeMode: lambda.InvokeMode.RESPONSE_STREAM });\n`;
  }
  fs.writeFileSync(path.join(iac, 'cdk', 'lib', 'stack.ts'), `${cdk}  }\n}\n`);
  const resources = {};
  for (let i = 0; i < 50; i++) {
    resources[`F${i}`] = { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs20.x', Handler: 'handler.handler', Timeout: 60 } };
    resources[`F${i}Url`] = { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM', TargetFunctionArn: { 'Fn::GetAtt': [`F${i}`, 'Arn'] } } };
  }
  fs.writeFileSync(path.join(iac, 'cdk', 'cdk.out', 'Stack.template.json'), JSON.stringify({ Resources: resources }, null, 1));
}
// Measured in a second phase, so the main target stays about the benchmark tree as defined.
fs.rmSync(path.join(dir, 'iac-heavy'), { recursive: true, force: true });

// 2. ripgrep, the reference.
function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
if (!has('rg')) {
  if (process.getuid && process.getuid() === 0) {
    process.stderr.write('bench: installing ripgrep (apt-get install -y ripgrep)…\n');
    spawnSync('apt-get', ['install', '-y', 'ripgrep'], { stdio: 'ignore' });
  }
  if (!has('rg')) fail('cannot measure: ripgrep (rg) is not installed and could not be installed (needs root: apt-get install -y ripgrep)');
}

// 3. What to measure.
const walkJs = path.join(repo, 'dist/code/walk.js');
if (!fs.existsSync(walkJs)) fail('cannot measure: dist/code/walk.js is missing (run npm run build)');
const walkScript = `
const { collectCandidates } = await import(${JSON.stringify(walkJs)});
const r = await collectCandidates({ root: ${JSON.stringify(dir)}, includeDeps: true, tokens: ${JSON.stringify(TOKENS)}, dependencyTokens: ${JSON.stringify(DEPENDENCY_TOKENS)} });
process.stdout.write(JSON.stringify({ filesWalked: r.filesWalked, candidates: r.candidates.length, skipped: r.skipped.length, packages: r.packages?.length ?? 0 }));
`;
const subjects = [
  { key: 'rg', label: `rg -l -uu 'streamifyResponse|HttpResponseStream' node_modules`, cmd: 'rg', args: ['-l', '-uu', 'streamifyResponse|HttpResponseStream', path.join(dir, 'node_modules')], okCodes: [0, 1] },
  { key: 'walk', label: `collectCandidates (walk + pre-filter, ${TOKENS.length} tokens)`, cmd: process.execPath, args: ['--input-type=module', '-e', walkScript], okCodes: [0] },
];
const cli = path.join(repo, 'bin/stream-doctor.js');
const cliSubject = { key: 'cli', label: 'stream-doctor scan DIR --format json', cmd: process.execPath, args: [cli, 'scan', dir, '--format', 'json'], okCodes: [0, 1] };
const cliIacSubject = { key: 'cli-iac', label: '  same + IaC-heavy project (deployment checks)', cmd: process.execPath, args: [cli, 'scan', dir, '--format', 'json'], okCodes: [0, 1] };
const cliNoIacSubject = { key: 'cli-no-iac', label: '  same + IaC-heavy project, --no-deployment', cmd: process.execPath, args: [cli, 'scan', dir, '--format', 'json', '--no-deployment'], okCodes: [0, 1] };
let cliNote = '';
if (!fs.existsSync(cli) || !fs.existsSync(path.join(repo, 'dist/bundle/cli.js'))) {
  cliNote = 'full CLI not measured: bin/stream-doctor.js or dist/bundle/cli.js is missing';
} else {
  const probe = spawnSync(cliSubject.cmd, cliSubject.args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (!cliSubject.okCodes.includes(probe.status ?? -1)) {
    const why = (probe.stderr || probe.stdout || '').trim().split('\n')[0] ?? '';
    cliNote = `full CLI not measured: "scan --format json" exited with ${probe.status}${why ? ` (${why.slice(0, 160)})` : ''}`;
  } else {
    subjects.push(cliSubject);
  }
}

// 4. Measure.
// BENCH_NO_TIME=1 forces the /proc polling fallback (to test it where /usr/bin/time exists).
const timeBin = !process.env.BENCH_NO_TIME && fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

function readHwmKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** One run: wall ms, peak RSS in MB (the measured child's own, not /usr/bin/time's). */
function runOnce(s) {
  return new Promise((resolve, reject) => {
    const rssFile = path.join(os.tmpdir(), `stream-doctor-bench-${process.pid}.rss`);
    const [cmd, args] = timeBin ? [timeBin, ['-f', '%M', '-o', rssFile, s.cmd, ...s.args]] : [s.cmd, s.args];
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      if (out.length < 4096) out += d;
    });
    child.stderr.on('data', (d) => {
      if (err.length < 4096) err += d;
    });
    let hwm = 0;
    const poll = timeBin ? null : setInterval(() => (hwm = Math.max(hwm, readHwmKb(child.pid))), 5);
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (poll) clearInterval(poll);
      let kb = hwm;
      if (timeBin) {
        try {
          kb = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
          fs.rmSync(rssFile, { force: true });
        } catch {
          kb = 0;
        }
      }
      // /usr/bin/time reports the child's exit status as its own.
      if (!s.okCodes.includes(code ?? -1)) reject(new Error(`${s.label} exited with ${code}: ${err.trim().split('\n')[0] ?? ''}`));
      else resolve({ ms, mb: kb / 1024, out });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = new Map();
async function measure(phase) {
  for (const s of phase) results.set(s.key, { ms: [], mb: [], out: '' });
  for (const s of phase) await runOnce(s); // warm-up: page cache, node's compile cache
  for (let i = 0; i < RUNS; i++) {
    for (const s of phase) {
      const r = await runOnce(s);
      const acc = results.get(s.key);
      acc.ms.push(r.ms);
      acc.mb.push(r.mb);
      acc.out = r.out;
    }
  }
}
try {
  await measure(subjects);
  if (subjects.includes(cliSubject)) {
    writeIacProject(dir);
    try {
      await measure([cliIacSubject, cliNoIacSubject]);
      subjects.push(cliIacSubject, cliNoIacSubject);
    } finally {
      fs.rmSync(path.join(dir, 'iac-heavy'), { recursive: true, force: true });
    }
  }
} catch (e) {
  fail(`a run failed: ${e.message}`);
}

// 5. Report.
const rgMs = median(results.get('rg').ms);
const rows = subjects.map((s) => {
  const r = results.get(s.key);
  return { s, ms: median(r.ms), min: Math.min(...r.ms), mb: Math.max(...r.mb), ratio: median(r.ms) / rgMs };
});
const files = (() => {
  try {
    return JSON.parse(results.get('walk').out);
  } catch {
    return null;
  }
})();
const pad = (x, n) => String(x).padEnd(n);
const lpad = (x, n) => String(x).padStart(n);
console.log(`\nstream-doctor benchmark: ${dir} (warm; median of ${RUNS} after 1 warm-up; ${os.availableParallelism()} CPUs, Node ${process.version}, load ${os.loadavg()[0].toFixed(1)})`);
if (files) console.log(`tree: ${files.filesWalked} source files walked, ${files.candidates} candidates, ${files.packages} packages, ${files.skipped} skip notes`);
console.log('');
console.log(`${pad('measured', 58)} ${lpad('median ms', 10)} ${lpad('min ms', 8)} ${lpad('peak RSS', 10)} ${lpad('x rg', 6)}`);
for (const r of rows) {
  console.log(`${pad(r.s.label, 58)} ${lpad(r.ms.toFixed(0), 10)} ${lpad(r.min.toFixed(0), 8)} ${lpad(r.mb.toFixed(0) + ' MB', 10)} ${lpad(r.ratio.toFixed(2), 6)}`);
}
if (cliNote) console.log(`\n${cliNote}; the targets are checked against the walk + pre-filter instead.`);
const judged = rows.find((r) => r.s.key === 'cli') ?? rows.find((r) => r.s.key === 'walk');
const timeOk = judged.ratio <= TARGET_RATIO;
const rssOk = judged.mb <= TARGET_RSS_MB;
console.log(
  `\ntargets (${judged.s.key === 'cli' ? 'full CLI' : 'walk + pre-filter'}): time ≤ ${TARGET_RATIO}x ripgrep: ${judged.ratio.toFixed(2)}x ${timeOk ? 'met' : 'MISSED'}; ` +
    `peak RSS ≤ ${TARGET_RSS_MB} MB: ${judged.mb.toFixed(0)} MB ${rssOk ? 'met' : 'MISSED'}`,
);
const withIac = rows.find((r) => r.s.key === 'cli-iac');
const withoutIac = rows.find((r) => r.s.key === 'cli-no-iac');
if (withIac && withoutIac) {
  const cost = (withIac.ms / withoutIac.ms - 1) * 100;
  console.log(
    `deployment checks (${IAC_FUNCTIONS}-function SAM template, 50-function CDK app + cdk.out): +${(withIac.ms - withoutIac.ms).toFixed(0)} ms, ${cost >= 0 ? '+' : ''}${cost.toFixed(1)} % of the full scan (target ≤ 10 %): ${cost <= 10 ? 'met' : 'MISSED'}`,
  );
}
if (os.loadavg()[0] > os.availableParallelism()) console.log('note: the machine was busy (load above the CPU count); figures are noisy.');
process.exitCode = timeOk && rssOk ? (smallStatus === 0 ? 0 : smallStatus) : 1;

// 3. `stream-doctor aws --all` over 1,000 functions against a local server enforcing Lambda's limits
// (scripts/bench-aws.mjs; BENCH_SKIP_AWS=1 skips it). Its own target decides its own exit code.
if (process.env.BENCH_SKIP_AWS !== '1') {
  const aws = spawnSync(process.execPath, [path.join(repo, 'scripts/bench-aws.mjs')], { stdio: 'inherit' });
  if (aws.status !== 0) process.exitCode = aws.status === 1 ? 1 : (process.exitCode ?? 2);
}
