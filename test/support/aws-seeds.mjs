/*
 * The seed reports as live functions for test/support/fake-aws.mjs: their configuration, their deployed code
 * (the handlers in examples/, zipped by the fake server) and their platform logs. Shared by the `aws` tests
 * and `npm run example:aws`.
 *
 * - seed 000 `nitro-chat`: nitro's streaming preset (the body-less path never ends the stream) plus a pg
 *   pool on nodejs20.x, 20 s timeout, reserved concurrency 10; 17 of 20 REPORT lines at 20000.00 ms.
 * - seed 001 `express-chat`: Express streamified by hand, a Function URL without InvokeMode (BUFFERED), URL
 *   CORS on top of the app's cors() middleware, AuthType NONE.
 * - seed 002 `fastapi-dashboard`: FastAPI behind the Lambda Web Adapter layer without AWS_LWA_INVOKE_MODE
 *   (buffered) on a RESPONSE_STREAM URL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const examples = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples');
const read = (file) => readFileSync(path.join(examples, file), 'utf8');

/** Secrets the scenario's environment carries: no output may ever contain them. */
export const SECRETS = ['S3cretPassw0rd', 'sk-live-9f8e7d6c5b4a', 'hf_TopSecretToken123'];

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

const uuid = (n) => `8a2c${String(n).padStart(4, '0')}-1f2e-4d3c-9b8a-7f6e5d4c3b2a`;

/**
 * REPORT lines (text format) ending `now`: `timeouts` invocations pinned at `timeoutSeconds` (Status:
 * timeout, the next one on the same stream a cold start), the others quick.
 */
export function reportLines({ now, count, timeouts, timeoutSeconds, stream = '2026/11/24/[$LATEST]0f1e2d3c4b5a69788796a5b4c3d2e1f0' }) {
  const events = [];
  for (let i = 0; i < count; i++) {
    const at = now - (count - i) * 60_000;
    const id = uuid(i);
    const pinned = i < timeouts;
    const coldStart = i > 0 && i - 1 < timeouts;
    const duration = pinned ? `${timeoutSeconds * 1000}.00` : `${(120 + i * 7.31).toFixed(2)}`;
    const billed = pinned ? timeoutSeconds * 1000 : 121 + i * 8;
    const init = coldStart ? `\tInit Duration: ${(312.4 + i).toFixed(2)} ms` : '';
    const status = pinned ? '\tStatus: timeout' : '';
    events.push({ timestamp: at, logStream: stream, message: `START RequestId: ${id} Version: $LATEST\n` });
    events.push({
      timestamp: at + 5,
      logStream: stream,
      message: `REPORT RequestId: ${id}\tDuration: ${duration} ms\tBilled Duration: ${billed} ms\tMemory Size: 1024 MB\tMax Memory Used: 187 MB${init}${status}\n`,
    });
  }
  return events;
}

/**
 * JSON-format platform records (LoggingConfig.LogFormat JSON): `timeouts` invocations whose runtimeDone says
 * timeout after the response bytes were produced (the 3.x event-loop wait), the others quick.
 */
export function jsonReportLines({ now, count, timeouts, timeoutSeconds, stream = '2026/11/24/[$LATEST]aa11bb22cc33dd44ee55ff6677889900' }) {
  const events = [];
  for (let i = 0; i < count; i++) {
    const at = now - (count - i) * 60_000;
    const requestId = uuid(100 + i);
    const pinned = i < timeouts;
    const durationMs = pinned ? timeoutSeconds * 1000 : 95.5 + i;
    const status = pinned ? 'timeout' : 'success';
    const time = (ms) => new Date(ms).toISOString();
    events.push({ timestamp: at, logStream: stream, message: JSON.stringify({ time: time(at), type: 'platform.start', record: { requestId, version: '$LATEST' } }) });
    events.push({ timestamp: at + 1, logStream: stream, message: JSON.stringify({ timestamp: time(at + 1), level: 'INFO', requestId, message: 'request completed' }) });
    events.push({
      timestamp: at + durationMs,
      logStream: stream,
      message: JSON.stringify({ time: time(at + durationMs), type: 'platform.runtimeDone', record: { requestId, status, metrics: { durationMs, producedBytes: 2048 } } }),
    });
    events.push({
      timestamp: at + durationMs + 2,
      logStream: stream,
      message: JSON.stringify({ time: time(at + durationMs + 2), type: 'platform.report', record: { requestId, metrics: { durationMs, billedDurationMs: Math.ceil(durationMs), memorySizeMB: 512, maxMemoryUsedMB: 90 }, status } }),
    });
  }
  return events;
}

export function seedScenario({ now = Date.now() } = {}) {
  return {
    region: REGION,
    accountId: ACCOUNT,
    // A new account: 10 concurrent executions (aws.md §3.4).
    account: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    functions: [
      {
        configuration: {
          FunctionName: 'nitro-chat',
          Runtime: 'nodejs20.x',
          Handler: 'lambda.handler',
          Timeout: 20,
          MemorySize: 1024,
          Environment: { Variables: { DATABASE_URL: `postgres://app:${SECRETS[0]}@db.internal:5432/chat`, NODE_ENV: 'production' } },
        },
        reservedConcurrency: 10,
        urls: [{ AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' }],
        code: { files: { 'lambda.mjs': read('nitro-bodyless-hang/lambda.mjs'), 'utils.mjs': read('nitro-bodyless-hang/utils.mjs') } },
        logs: reportLines({ now, count: 20, timeouts: 17, timeoutSeconds: 20 }),
      },
      {
        configuration: {
          FunctionName: 'express-chat',
          Runtime: 'nodejs20.x',
          Handler: 'lambda.handler',
          Timeout: 60,
          MemorySize: 512,
          Environment: { Variables: { OPENAI_API_KEY: SECRETS[1], DATABASE_URL: `postgres://app:${SECRETS[0]}@db.internal/chat` } },
        },
        // InvokeMode omitted: the API default, BUFFERED.
        urls: [{ AuthType: 'NONE', Cors: { AllowOrigins: ['*'], AllowMethods: ['*'], AllowHeaders: ['content-type'] } }],
        policy: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'FunctionURLAllowPublicAccess', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl', Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:express-chat`, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } },
            { Sid: 'FunctionURLInvokeAllowPublicAccess', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:express-chat`, Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } },
          ],
        },
        code: { files: { 'lambda.js': read('express-chat-streaming/lambda.js'), 'app.js': read('express-chat-streaming/app.js'), 'package.json': '{ "type": "module" }\n' } },
        logs: reportLines({ now, count: 12, timeouts: 0, timeoutSeconds: 60 }),
      },
      {
        configuration: {
          FunctionName: 'fastapi-dashboard',
          Runtime: 'python3.12',
          Handler: 'run.sh',
          Timeout: 120,
          MemorySize: 1024,
          Layers: [{ Arn: `arn:aws:lambda:${REGION}:753240598075:layer:LambdaAdapterLayerX86:25`, CodeSize: 5_000_000 }],
          Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/opt/bootstrap', PORT: '8000', HUGGINGFACE_API_KEY: SECRETS[2] } },
        },
        urls: [{ AuthType: 'AWS_IAM', InvokeMode: 'RESPONSE_STREAM' }],
        code: {
          files: {
            'main.py': read('fastapi-lwa-terraform/main.py'),
            'run.sh': '#!/bin/bash\nexec python -m uvicorn main:app --port=$PORT\n',
          },
        },
        logs: [],
      },
    ],
  };
}
