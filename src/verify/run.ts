/**
 * One invocation under the real runtime: a fresh Runtime API server, a fresh runtime process (its own
 * process group, a scrubbed environment), one event, then wait until the runtime asks for the next event,
 * the process exits, or the timeout passes. The process group is always killed before returning.
 */
import { spawn } from 'node:child_process';
import { killProcessGroup, onInterrupt } from '../util/interrupt.js';
import { join } from 'node:path';
import { startRuntimeApi, type InvocationRecord } from './runtime-api.js';
import type { Lineage } from './install.js';

/** Output kept per stream of the child. */
const OUTPUT_KEEP = 16 * 1024;
/** How long a process that exits right after the response gets to be seen exiting (a crash after end). */
const AFTER_NEXT_GRACE_MS = 150;

/**
 * What runs: the RIC of a lineage (optionally behind an exec wrapper, started as Lambda does with the
 * runtime's original command line as its arguments), or a custom runtime's bootstrap command line.
 */
export type Launch =
  | { kind: 'ric'; lineage: Lineage; ricDir: string; execWrapper?: string }
  | { kind: 'bootstrap'; command: string };

export interface RunInput {
  launch: Launch;
  taskRoot: string;
  handler: string;
  event: unknown;
  requestId: string;
  timeoutMs: number;
  /** Extra environment (already filtered by the caller). */
  env: NodeJS.ProcessEnv;
}

export interface RunResult {
  record: InvocationRecord;
  exit?: { code: number | null; signal: NodeJS.Signals | null; atMs: number };
  /** The wait ended because the timeout passed. */
  timedOut: boolean;
  /** When the wait ended (ms since the server started). */
  endedMs: number;
  stdout: string;
  stderr: string;
}

/** The environment Lambda gives a function, with nothing of ours (no credentials) unless passed on. */
export function lambdaEnv(input: { taskRoot: string; handler: string; runtimeApi: string; timeoutMs: number; lineage: Lineage | 'bootstrap'; extra: NodeJS.ProcessEnv; execWrapper?: string }): NodeJS.ProcessEnv {
  // provided.al2023 sets no AWS_EXECUTION_ENV and no NODE_PATH; the managed Node runtimes do.
  const managed = input.lineage === 'bootstrap' ? {} : { AWS_EXECUTION_ENV: `AWS_Lambda_${input.lineage === '3.x' ? 'nodejs22.x' : 'nodejs24.x'}`, NODE_PATH: '/opt/nodejs/node_modules' };
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    HOME: process.env.HOME ?? '/tmp',
    ...input.extra,
    AWS_LAMBDA_RUNTIME_API: input.runtimeApi,
    _HANDLER: input.handler,
    LAMBDA_TASK_ROOT: input.taskRoot,
    LAMBDA_RUNTIME_DIR: input.taskRoot,
    AWS_LAMBDA_FUNCTION_NAME: 'stream-doctor-verify',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/stream-doctor-verify',
    AWS_LAMBDA_LOG_STREAM_NAME: 'verify',
    AWS_REGION: input.extra.AWS_REGION ?? 'us-east-1',
    AWS_DEFAULT_REGION: input.extra.AWS_DEFAULT_REGION ?? input.extra.AWS_REGION ?? 'us-east-1',
    ...managed,
    ...(input.execWrapper ? { AWS_LAMBDA_EXEC_WRAPPER: input.execWrapper } : {}),
  };
}

export async function runInvocation(input: RunInput): Promise<RunResult> {
  const api = await startRuntimeApi({
    requestId: input.requestId,
    event: input.event,
    deadlineMs: Date.now() + input.timeoutMs,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:stream-doctor-verify',
  });
  const { launch } = input;
  const env = lambdaEnv({
    taskRoot: input.taskRoot,
    handler: input.handler,
    runtimeApi: api.address,
    timeoutMs: input.timeoutMs,
    lineage: launch.kind === 'ric' ? launch.lineage : 'bootstrap',
    extra: input.env,
    ...(launch.kind === 'ric' && launch.execWrapper ? { execWrapper: launch.execWrapper } : {}),
  });
  const [file, args] = commandLine(launch, input.handler);
  const child = spawn(file, args, { cwd: input.taskRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // Ctrl-C or a kill of stream-doctor must not leave the handler (and what it started) running.
  const release = onInterrupt(() => killProcessGroup(child.pid));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    if (stdout.length < OUTPUT_KEEP) stdout += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < OUTPUT_KEEP) stderr += d.toString('utf8');
  });
  let exit: RunResult['exit'];
  let wakeExit: () => void = () => {};
  const exited = new Promise<void>((resolve) => {
    wakeExit = resolve;
  });
  child.on('exit', (code, signal) => {
    exit = { code, signal, atMs: api.now() };
    wakeExit();
  });
  child.on('error', (error) => {
    stderr += `\n${error.message}`;
    exit ??= { code: null, signal: null, atMs: api.now() };
    wakeExit();
  });

  // The timeout counts from the event's delivery; the cold start gets the same budget on top.
  const hardLimit = api.now() + input.timeoutMs * 2 + 2000;
  let timedOut = false;
  let seenExit: RunResult['exit'];
  try {
    for (;;) {
      const rec = api.record;
      if (exit) break;
      if (rec.nextAfterMs !== undefined) {
        // Give a crash that follows the response a moment to show.
        await Promise.race([exited, delay(AFTER_NEXT_GRACE_MS)]);
        break;
      }
      const deadline = rec.deliveredMs !== undefined ? Math.min(rec.deliveredMs + input.timeoutMs, hardLimit) : hardLimit;
      const left = deadline - api.now();
      if (left <= 0) {
        timedOut = true;
        break;
      }
      await Promise.race([api.changed(), exited, delay(left)]);
    }
  } finally {
    seenExit = exit;
    killProcessGroup(child.pid);
    release();
    await Promise.race([exited, delay(1000)]);
    await api.close();
  }
  const endedMs = api.now();
  return { record: api.record, ...(seenExit ? { exit: seenExit } : {}), timedOut, endedMs, stdout, stderr };
}

/** The program and its arguments: the RIC as the managed runtime starts it (behind the wrapper if any), or `sh -c <bootstrap>`. */
export function commandLine(launch: Launch, handler: string): [string, string[]] {
  if (launch.kind === 'bootstrap') return ['/bin/sh', ['-c', launch.command]];
  const entry = launch.lineage === '3.x' ? join(launch.ricDir, 'bin', 'index.mjs') : join(launch.ricDir, 'index.mjs');
  const original = launch.lineage === '3.x' ? [process.execPath, entry, handler] : [process.execPath, entry];
  // AWS_LAMBDA_EXEC_WRAPPER: "Lambda sends to your script the path to the interpreter and all of the original arguments".
  return launch.execWrapper ? [launch.execWrapper, original] : [original[0]!, original.slice(1)];
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref?.();
  });
}
