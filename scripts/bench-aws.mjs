#!/usr/bin/env node
// `npm run bench:aws` (and the last phase of `npm run bench`): `stream-doctor aws --all` over 1,000
// functions against the local fake AWS server with Lambda's control-plane limits enforced (token buckets:
// GetFunction 100 req/s, GetPolicy 15 req/s, every other Lambda read 15 req/s shared).
//
// Target (issue "stream-doctor aws"): the run reaches at least 90 % of the allowed rate of its bottleneck
// bucket, and no throttling error reaches the user (exit code 0, no error in the output). The bottleneck is
// the shared 15 req/s bucket: ListFunctions (20 pages of 50), GetAccountSettings and one
// ListFunctionUrlConfigs per function. The allowed minimum time is requests / 15 s.
//
// The deployed code is downloaded and scanned (the default); logs are off, because StartQuery has its own
// quota (5 TPS) and would measure the Logs limit instead: BENCH_AWS_LOGS=1 adds them.
// Exit code: 0 target met, 1 missed, 2 could not measure.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAws } from '../test/support/fake-aws.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FUNCTIONS = Number(process.env.BENCH_AWS_FUNCTIONS ?? 1000);
const SHARED_RATE = 15;
const TARGET_SHARE = 0.9;
const withLogs = process.env.BENCH_AWS_LOGS === '1';

const now = Date.now();
const functions = Array.from({ length: FUNCTIONS }, (_, i) => ({
  configuration: { FunctionName: `bench-fn-${String(i).padStart(4, '0')}`, Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 30, MemorySize: 512 },
  urls: i % 3 === 0 ? [{ AuthType: 'AWS_IAM', InvokeMode: i % 2 ? 'RESPONSE_STREAM' : 'BUFFERED' }] : [],
  ...(withLogs ? { logs: [{ timestamp: now - 60_000, message: `REPORT RequestId: ${i}\tDuration: 12.00 ms\tBilled Duration: 13 ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\t\n` }] } : {}),
}));

const fake = await startFakeAws({ region: 'us-east-1', accountId: '123456789012', account: { ConcurrentExecutions: 1000 }, functions }, { rateLimits: true });
process.stderr.write(`bench-aws: ${FUNCTIONS} functions, limits enforced by the local server; this takes about ${Math.round(FUNCTIONS / SHARED_RATE)} s…\n`);

const started = performance.now();
const args = [path.join(repo, 'bin/stream-doctor.js'), 'aws', '--all', '--format', 'json', '--fail-on', 'none', ...(withLogs ? [] : ['--no-logs'])];
const child = spawn(process.execPath, args, { env: { ...process.env, ...fake.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
let stderr = '';
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', (d) => (stderr += d));
const code = await new Promise((resolve) => child.on('close', resolve));
const seconds = (performance.now() - started) / 1000;
await fake.close();

if (code !== 0) {
  process.stderr.write(`bench-aws: the CLI exited ${code}: ${stderr.trim().split('\n')[0] ?? ''}\n`);
  process.exit(2);
}
let subjects = 0;
try {
  subjects = JSON.parse(stdout).subjects.length;
} catch {
  process.stderr.write('bench-aws: the CLI output is not JSON\n');
  process.exit(2);
}

const ops = fake.stats.ops;
const count = (op) => ops[op]?.successes ?? 0;
const throttles = Object.values(ops).reduce((n, op) => n + op.throttles, 0);
const shared = count('ListFunctions') + count('GetAccountSettings') + count('ListFunctionUrlConfigs') + count('GetFunctionConfiguration') + count('GetFunctionConcurrency');
const allowedSeconds = shared / SHARED_RATE;
const share = allowedSeconds / seconds;
const row = (label, value) => `  ${label.padEnd(44)} ${value}\n`;
process.stdout.write(`\nstream-doctor aws --all: ${FUNCTIONS} functions against limits enforced locally (Node ${process.version}, ${withLogs ? 'with' : 'without'} logs)\n`);
process.stdout.write(row('functions reported', subjects));
process.stdout.write(row('wall time', `${seconds.toFixed(1)} s`));
process.stdout.write(row('shared-bucket requests (15 req/s allowed)', `${shared} -> ${(shared / seconds).toFixed(2)} req/s`));
process.stdout.write(row('GetFunction (100 req/s allowed)', `${count('GetFunction')} -> ${(count('GetFunction') / seconds).toFixed(2)} req/s`));
process.stdout.write(row('GetPolicy requests (15 req/s allowed)', `${ops.GetPolicy?.requests ?? 0} -> ${((ops.GetPolicy?.requests ?? 0) / seconds).toFixed(2)} req/s`));
process.stdout.write(row('code downloads', count('CodeDownload')));
if (withLogs) process.stdout.write(row('StartQuery (5 TPS enforced)', `${count('StartQuery')} -> ${(count('StartQuery') / seconds).toFixed(2)} req/s`));
process.stdout.write(row('throttled by the server (absorbed)', throttles));
const met = subjects === FUNCTIONS && share >= TARGET_SHARE;
process.stdout.write(`target: >= ${TARGET_SHARE * 100} % of the allowed rate of the bottleneck bucket with no throttling error surfaced: ${(share * 100).toFixed(1)} % ${met ? 'met' : 'MISSED'}\n`);
process.exit(met ? 0 : 1);
