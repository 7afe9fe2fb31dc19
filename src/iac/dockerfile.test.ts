import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Deployment, ReaderResult, SourceLocation } from '../model/deployment.js';
import { readDockerfile } from './dockerfile.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../test/fixtures/iac');

/** Reads a fixture as the scan root would name it (`rel` under test/fixtures/iac). */
function read(rel: string): ReaderResult {
  return readDockerfile(rel, readFileSync(path.join(FIXTURES, rel), 'utf8'));
}

function only(result: ReaderResult): Deployment {
  expect(result.notes).toEqual([]);
  expect(result.deployments).toHaveLength(1);
  return result.deployments[0]!;
}

function loc(file: string, line: number, column: number, p: string): SourceLocation {
  return { file, line, column, path: p };
}

describe('readDockerfile: Lambda Web Adapter images', () => {
  it('reads the adapter copy, every ENV form, and the web server CMD with exact lines', () => {
    const f = 'dockerfile/lwa-env-forms/Dockerfile';
    const d = only(read(f));
    expect(d.name).toBe('lwa-env-forms');
    expect(d.source).toBe('dockerfile');
    expect(d.packageType).toBe('image');
    expect(d.at).toEqual(loc(f, 7, 1, 'FROM')); // the final stage
    expect(d.webAdapter).toEqual({ value: 'public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1', at: loc(f, 9, 1, 'COPY') });
    expect(d.handler).toEqual({ value: 'uvicorn main:app --host 0.0.0.0 --port 8000', at: loc(f, 19, 1, 'CMD') });
    expect(d.runtime).toBeUndefined(); // not a Lambda base image
    expect(d.streamingEnvironment).toEqual({
      // `ENV K=V \` continued over a comment line
      PORT: { value: '8000', at: loc(f, 11, 5, 'ENV.PORT') },
      AWS_LWA_PORT: { value: '8000', at: loc(f, 13, 5, 'ENV.AWS_LWA_PORT') },
      // legacy `ENV K V`, expanded from the stage's ARG default
      AWS_LWA_INVOKE_MODE: { value: 'response_stream', at: loc(f, 14, 5, 'ENV.AWS_LWA_INVOKE_MODE') },
      // a build arg nobody declared: as written
      AWS_LAMBDA_EXEC_WRAPPER: { unresolved: true, text: '${WRAPPER}', at: loc(f, 16, 5, 'ENV.AWS_LAMBDA_EXEC_WRAPPER') },
    });
    // Keys of the final image only (BUILD_ONLY_TOKEN is in another stage), several per line.
    expect(d.environmentKeys.map((k) => [k.value, k.at.line, k.at.column])).toEqual([
      ['PORT', 11, 5],
      ['AWS_LWA_PORT', 13, 5],
      ['AWS_LWA_READINESS_CHECK_PATH', 13, 23],
      ['AWS_LWA_INVOKE_MODE', 14, 5],
      ['API_TOKEN', 15, 5],
      ['LOG_LEVEL', 15, 37],
      ['AWS_LAMBDA_EXEC_WRAPPER', 16, 5],
    ]);
    expect(d.timeout).toBeUndefined();
    expect(d.layers).toEqual([]);
    expect(d.frontDoors).toEqual([]);
    expect(d.defaultTimeoutSeconds).toBe(3);
  });

  it('never outputs other environment values', () => {
    const json = JSON.stringify(read('dockerfile/lwa-env-forms/Dockerfile'));
    expect(json).not.toContain('tok-Secret value 42');
    expect(json).not.toContain('not-in-the-final-image');
    expect(json).not.toContain('BUILD_ONLY_TOKEN');
    expect(json).not.toContain('/healthz');
    expect(json).not.toContain('"info"');
  });

  it('follows COPY --from=<stage> to the adapter image; ENTRYPOINT + shell-form CMD is the command', () => {
    const f = 'dockerfile/adapter-stage/Dockerfile';
    const d = only(read(f));
    expect(d.webAdapter).toEqual({ value: 'public.ecr.aws/awsguru/aws-lambda-adapter:0.8.4', at: loc(f, 3, 1, 'COPY') });
    expect(d.streamingEnvironment).toEqual({ AWS_LWA_INVOKE_MODE: { value: 'buffered', at: loc(f, 4, 5, 'ENV.AWS_LWA_INVOKE_MODE') } });
    expect(d.handler).toEqual({ value: 'node server.js --port 8080', at: loc(f, 8, 1, 'CMD') });
  });

  it('seed 002: FastAPI + LWA image that streams', () => {
    const f = 'terraform/seed-002-fastapi-lwa/app/Dockerfile';
    const d = only(read(f));
    expect(d.name).toBe('app');
    expect(d.webAdapter).toEqual({ value: 'public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1', at: loc(f, 8, 1, 'COPY') });
    expect(d.streamingEnvironment).toEqual({
      AWS_LWA_INVOKE_MODE: { value: 'response_stream', at: loc(f, 12, 5, 'ENV.AWS_LWA_INVOKE_MODE') },
      AWS_LWA_PORT: { value: '8080', at: loc(f, 13, 5, 'ENV.AWS_LWA_PORT') },
    });
    expect(d.handler).toEqual({ value: 'python -m uvicorn main:app --host 0.0.0.0 --port 8080', at: loc(f, 15, 1, 'CMD') });
  });

  it('seed 002 variant: the adapter is copied but AWS_LWA_INVOKE_MODE is never set (buffered)', () => {
    const f = 'terraform/seed-002-fastapi-lwa-buffered/app/Dockerfile';
    const d = only(read(f));
    // Copied into the /opt/extensions/ directory (the seed's form).
    expect(d.webAdapter).toEqual({ value: 'public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1', at: loc(f, 8, 1, 'COPY') });
    expect(d.streamingEnvironment).toEqual({});
    expect(d.environmentKeys.map((k) => k.value)).toEqual(['PYTHONPATH']);
    expect(d.handler).toEqual({ value: 'python -m uvicorn main:app --host 0.0.0.0 --port 8080', at: loc(f, 13, 1, 'CMD') });
  });
});

describe('readDockerfile: Lambda base images', () => {
  it('reads a public.ecr.aws/lambda base image through a stage alias: runtime, handler CMD, exec wrapper', () => {
    const f = 'dockerfile/lambda-base/Dockerfile';
    const d = only(read(f));
    expect(d.name).toBe('lambda-base');
    expect(d.at).toEqual(loc(f, 3, 1, 'FROM'));
    expect(d.runtime).toEqual({ value: 'nodejs20.x', at: loc(f, 1, 1, 'FROM') });
    expect(d.handler).toEqual({ value: 'app.handler', at: loc(f, 7, 1, 'CMD') });
    expect(d.webAdapter).toBeUndefined();
    expect(d.streamingEnvironment).toEqual({
      AWS_LAMBDA_EXEC_WRAPPER: { value: '/opt/otel-handler', at: loc(f, 5, 5, 'ENV.AWS_LAMBDA_EXEC_WRAPPER') },
    });
    expect(d.environmentKeys.map((k) => k.value)).toEqual(['NODE_OPTIONS', 'AWS_LAMBDA_EXEC_WRAPPER']);
    expect(JSON.stringify(d)).not.toContain('--enable-source-maps');
  });

  it('derives runtimes from base image tags, and names a root Dockerfile "image"', () => {
    const cases: Array<[string, unknown]> = [
      ['public.ecr.aws/lambda/python:3.12', 'python3.12'],
      ['public.ecr.aws/lambda/nodejs:22-arm64', 'nodejs22.x'],
      ['public.ecr.aws/lambda/provided:al2023', 'provided.al2023'],
      ['amazon/aws-lambda-java:21', 'java21'],
      ['public.ecr.aws/lambda/nodejs:latest', undefined],
    ];
    for (const [image, runtime] of cases) {
      const d = only(readDockerfile('Dockerfile', `FROM ${image}\nCMD ["index.handler"]\n`));
      expect(d.name).toBe('image');
      if (runtime) expect(d.runtime).toEqual({ value: runtime, at: loc('Dockerfile', 1, 1, 'FROM') });
      else expect(d.runtime).toEqual({ unresolved: true, text: image, at: loc('Dockerfile', 1, 1, 'FROM') });
    }
  });

  it('recognises the runtime interface client on any base image', () => {
    const text = 'FROM python:3.12\nRUN pip install awslambdaric\nENTRYPOINT ["/usr/local/bin/python", "-m", "awslambdaric"]\nCMD ["app.handler"]\n';
    const d = only(readDockerfile('fn/Dockerfile', text));
    expect(d.name).toBe('fn');
    expect(d.handler).toEqual({ value: 'app.handler', at: loc('fn/Dockerfile', 4, 1, 'CMD') });
    expect(d.webAdapter).toBeUndefined();
  });
});

describe('readDockerfile: other images', () => {
  it('gives nothing for a Dockerfile that is not a Lambda image', () => {
    expect(read('dockerfile/not-lambda/Dockerfile')).toEqual({ deployments: [], notes: [] });
    // Mentions Lambda (a comment, an exec wrapper variable) but has neither base image nor adapter.
    expect(read('dockerfile/mentions-lambda/Dockerfile')).toEqual({ deployments: [], notes: [] });
  });

  it('does not take the adapter from a stage that is not part of the final image', () => {
    const text = [
      'FROM node:20 AS lambda-build',
      'COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1 /lambda-adapter /opt/extensions/lambda-adapter',
      'FROM node:20-slim',
      'CMD ["node", "server.js"]',
      '',
    ].join('\n');
    expect(readDockerfile('Dockerfile', text)).toEqual({ deployments: [], notes: [] });
  });
});
