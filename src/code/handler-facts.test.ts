/**
 * The join between a deployment and its handler: facts of small handler modules written to a temporary
 * project (the module, the app it wraps, the helpers it imports).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handlerFactsFor, withoutComments } from './handler-facts.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Writes the files into a fresh project and returns the facts of `entry`'s `exportName`. */
function factsOf(files: Record<string, string>, entry: string, exportName = 'handler') {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sd-handler-facts-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return handlerFactsFor(root, path.join(root, entry), exportName);
}

describe('a module that does not parse', () => {
  it('is read as text: a streamified export still streams, with how saying the module does not parse', () => {
    const facts = factsOf(
      {
        'src/index.js': [
          'exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {',
          '  const body = { top_p: 1 anthropic_version: "x" };',
          '  responseStream.end();',
          '});',
        ].join('\n'),
      },
      'src/index.js',
    );
    expect(facts?.streaming).toEqual({ how: 'awslambda.streamifyResponse (read as text: the module does not parse)', line: 1 });
    expect(facts?.bufferedAdapter).toBeNull();
    expect(facts?.callbackStyle).toBeNull();
  });

  it('a commented-out streamifyResponse is not streaming', () => {
    const facts = factsOf({ 'index.js': '// export const handler = awslambda.streamifyResponse(h);\nexport const handler = async (event) => { return {;\n' }, 'index.js');
    expect(facts?.streaming).toBeNull();
  });
});

describe('withoutComments', () => {
  it('blanks line and block comments, keeps strings, offsets and line breaks', () => {
    const text = "const a = '//not'; // gone\n/* gone\n too */ const b = \"/* kept */\";";
    const out = withoutComments(text);
    expect(out).toHaveLength(text.length);
    expect(out.split('\n')).toHaveLength(3);
    expect(out).toContain("'//not'");
    expect(out).toContain('"/* kept */"');
    expect(out).not.toContain('gone');
  });
});

describe('evidence of long work (longWork), across the modules the handler imports', () => {
  const streamified = (body: string) => `import { work } from './work.mjs';\nexport const handler = awslambda.streamifyResponse(async (event, responseStream) => {\n${body}\n});\n`;

  it('a model SDK imported two modules away (a multi-line import)', () => {
    const facts = factsOf(
      {
        'index.mjs': streamified('  await work(responseStream);'),
        'work.mjs': "export { work } from './model/bedrock.mjs';\n",
        'model/bedrock.mjs': 'import {\n  BedrockRuntime,\n  ConverseStreamCommandInput,\n} from "@aws-sdk/client-bedrock-runtime";\nexport const work = async () => new BedrockRuntime({});\n',
      },
      'index.mjs',
    );
    expect(facts?.longWork).toEqual({ how: 'calls a language model (@aws-sdk/client-bedrock-runtime)', file: 'model/bedrock.mjs', line: 4 });
  });

  it('an S3 object piped to the response', () => {
    const facts = factsOf(
      { 'index.mjs': streamified('  const { Body } = await s3.send(new GetObjectCommand({ Bucket: "b", Key: "k" }));\n  await pipeline(Body, responseStream);'), 'work.mjs': '' },
      'index.mjs',
    );
    expect(facts?.longWork).toMatchObject({ how: 'streams an object from S3, whose size and the client set the duration', line: 3 });
  });

  it('a bounded loop of sleeps gets an estimate; a loop without a known bound does not', () => {
    const bounded = factsOf(
      {
        'index.mjs': streamified('  for (let i = 0; i < 15; i++) {\n    responseStream.write(`${i}`);\n    await sleep(PAUSE);\n  }\n  responseStream.end();'),
        'work.mjs': 'export const work = 1;\nconst PAUSE = 1000;\nconst sleep = (ms) => new Promise((r) => setTimeout(r, ms));\n',
      },
      'index.mjs',
    );
    // PAUSE is a constant of another module: the sleep's length is unknown there, so the loop is unbounded
    expect(bounded?.longWork).toMatchObject({ how: 'sleeps in a loop (polling or paced output)', line: 3 });
    const known = factsOf(
      { 'index.mjs': streamified('  for (let i = 0; i < 15; i++) {\n    await new Promise((r) => setTimeout(r, 1000));\n  }\n  responseStream.end();'), 'work.mjs': '' },
      'index.mjs',
    );
    expect(known?.longWork).toEqual({ how: 'streams for about 15 s in a loop of sleeps', file: 'index.mjs', line: 3, estimateMs: 15000 });
    const polling = factsOf(
      { 'index.mjs': streamified('  while (!(await done())) {\n    await new Promise((r) => setTimeout(r, 2000));\n  }\n  responseStream.end();'), 'work.mjs': '' },
      'index.mjs',
    );
    expect(polling?.longWork).toMatchObject({ how: 'sleeps in a loop (polling or paced output)', line: 3 });
  });

  it('none for a handler that only writes', () => {
    expect(factsOf({ 'index.mjs': streamified('  responseStream.write("hi");\n  responseStream.end();'), 'work.mjs': '' }, 'index.mjs')?.longWork).toBeNull();
  });
});

describe('a Node app behind a buffered adapter', () => {
  it('a wrapper that awaits a module-level serverless-http handler is that buffered adapter', () => {
    const facts = factsOf(
      {
        'lambda.js': "const serverless = require('serverless-http');\nconst app = require('./app');\nconst handler = serverless(app);\nmodule.exports.handler = async (event, context) => {\n  const result = await handler(event, context);\n  return result;\n};\n",
        'app.js': "const express = require('express');\nconst app = express();\napp.get('/', (req, res) => { for (const x of [1, 2]) res.write(String(x)); res.end(); });\nmodule.exports = app;\n",
      },
      'lambda.js',
    );
    expect(facts?.bufferedAdapter).toEqual({ name: 'serverless-http', line: 3 });
    expect(facts?.callbackStyle).toBeNull();
    expect(facts?.appStreams).toEqual({ how: 'res.write() per chunk', file: 'app.js', line: 3 });
  });

  it('a cached serverless-express instance; hono/streaming behind handle()', () => {
    const cached = factsOf(
      { 'index.mjs': "import serverlessExpress from '@codegenie/serverless-express';\nimport { app } from './app.mjs';\nlet server;\nexport const handler = async (event, context) => {\n  server ??= serverlessExpress({ app });\n  return server(event, context);\n};\n", 'app.mjs': 'export const app = {};\n' },
      'index.mjs',
    );
    expect(cached?.bufferedAdapter).toEqual({ name: '@codegenie/serverless-express', line: 5 });
    expect(cached?.appStreams).toBeNull();
    const hono = factsOf(
      {
        'index.ts': "import { handle } from 'hono/aws-lambda';\nimport { app } from './app';\nexport const handler = handle(app);\n",
        'app.ts': "import { Hono } from 'hono';\nimport { streamSSE } from 'hono/streaming';\nexport const app = new Hono();\napp.get('/sse', (c) => streamSSE(c, async (s) => { await s.writeSSE({ data: 'x' }); }));\n",
      },
      'index.ts',
    );
    expect(hono?.appStreams).toEqual({ how: 'hono/streaming streamSSE()', file: 'app.ts', line: 4 });
  });
});

describe('response compression in a streaming handler (compression)', () => {
  const streamified = (headers: string, extra = '') =>
    `${extra}export const handler = awslambda.streamifyResponse(async (event, responseStream) => {\n  const s = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: ${headers} });\n  s.write("");\n  s.end();\n});\n`;

  it('finds a content-encoding header set in the metadata, by assignment, by setHeader, or a compression middleware', () => {
    expect(factsOf({ 'h.mjs': streamified('{ "content-type": "text/html", "content-encoding": "br" }') }, 'h.mjs')?.compression).toEqual({
      how: 'sets content-encoding: br',
      file: 'h.mjs',
      line: 2,
    });
    expect(factsOf({ 'h.mjs': streamified('h', 'const h = {};\nh["Content-Encoding"] = encoding;\n') }, 'h.mjs')?.compression).toMatchObject({
      how: 'sets content-encoding from a variable',
      line: 2,
    });
    const viaApp = factsOf(
      {
        'h.mjs': streamified('{}', "import { app } from './app.mjs';\n"),
        'app.mjs': "import { Hono } from 'hono';\nimport { compress } from 'hono/compress';\nexport const app = new Hono();\napp.use(compress());\n",
      },
      'h.mjs',
    );
    expect(viaApp?.compression).toEqual({ how: 'uses the compression middleware hono/compress', file: 'app.mjs', line: 2 });
    expect(factsOf({ 'h.js': streamified('{}', "res.setHeader('content-encoding', 'gzip');\n") }, 'h.js')?.compression).toMatchObject({ how: 'sets content-encoding: gzip' });
  });

  it('ignores identity, a request header read, a hop-by-hop list, comments, and buffered handlers', () => {
    expect(factsOf({ 'h.mjs': streamified('{ "content-encoding": "identity" }') }, 'h.mjs')?.compression).toBeNull();
    expect(factsOf({ 'h.mjs': streamified('{}', 'const asked = event => event.headers["content-encoding"];\nconst skip = ["content-encoding", "transfer-encoding"];\n// headers["content-encoding"] = "gzip"\n') }, 'h.mjs')?.compression).toBeNull();
    expect(factsOf({ 'h.mjs': 'export const handler = async () => ({ statusCode: 200, headers: { "content-encoding": "gzip" }, body: "" });\n' }, 'h.mjs')?.compression).toBeUndefined();
  });
});
