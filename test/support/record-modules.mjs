// `node --import ./record-modules.mjs …`: appends the URL of every module the program loads, one a line,
// to the file named by RECORD_MODULES_TO (a load hook; it runs on Node's hooks thread).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

export async function load(url, context, nextLoad) {
  if (process.env.RECORD_MODULES_TO) appendFileSync(process.env.RECORD_MODULES_TO, `${url}\n`);
  return nextLoad(url, context);
}
