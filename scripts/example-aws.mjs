#!/usr/bin/env node
// `npm run example:aws`: the seed scenarios (test/support/aws-seeds.mjs) served by the local fake AWS server,
// diagnosed by `stream-doctor aws --all` exactly as against a real account (the SDK is pointed at the
// server with AWS_ENDPOINT_URL_LAMBDA / AWS_ENDPOINT_URL_CLOUDWATCH_LOGS). Extra arguments go to the CLI.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeAws } from '../test/support/fake-aws.mjs';
import { seedScenario } from '../test/support/aws-seeds.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fake = await startFakeAws(seedScenario(), { rateLimits: true });
const child = spawn(process.execPath, [path.join(repo, 'bin/stream-doctor.js'), 'aws', '--all', '--fail-on', 'none', ...process.argv.slice(2)], {
  env: { ...process.env, ...fake.env },
  stdio: 'inherit',
});
const code = await new Promise((resolve) => child.on('close', resolve));
await fake.close();
process.exit(code ?? 2);
