/** Python handler facts, read with web-tree-sitter on the fixtures in test/fixtures/python (and small modules written at test time). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pythonHandlerFacts, pythonParserProblem, resolvePythonHandler } from './python-facts.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/python');

async function factsFor(codeDir: string, handler: string, root = FIXTURES) {
  const resolved = resolvePythonHandler(root, codeDir, handler);
  expect(resolved, `${handler} resolves under ${codeDir}`).not.toBeNull();
  return pythonHandlerFacts(root, resolved!.abs, resolved!.exportName);
}

const made: string[] = [];
function project(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sd-py-')));
  made.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

describe('resolvePythonHandler', () => {
  it('resolves module.function, dotted packages, / separators and packages', () => {
    expect(resolvePythonHandler(FIXTURES, 'dashboard', 'handler.handler')).toEqual({ abs: path.join(FIXTURES, 'dashboard/handler.py'), exportName: 'handler' });
    expect(resolvePythonHandler(FIXTURES, 'plain', 'app.lambda_function.handler')).toEqual({ abs: path.join(FIXTURES, 'plain/app/lambda_function.py'), exportName: 'handler' });
    expect(resolvePythonHandler(FIXTURES, '.', 'plain/app/lambda_function.handler')?.abs).toBe(path.join(FIXTURES, 'plain/app/lambda_function.py'));
    // a package: app/__init__.py
    expect(resolvePythonHandler(FIXTURES, 'plain', 'app.handler')?.abs).toBe(path.join(FIXTURES, 'plain/app/__init__.py'));
  });

  it('resolves the web server command of a Lambda Web Adapter image', () => {
    const main = path.join(FIXTURES, 'lwa/main.py');
    expect(resolvePythonHandler(FIXTURES, 'lwa', 'python -m uvicorn main:app --host 0.0.0.0 --port 8080')).toEqual({ abs: main, exportName: 'app' });
    expect(resolvePythonHandler(FIXTURES, 'lwa', 'gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8080 main:app')).toEqual({ abs: main, exportName: 'app' });
    expect(resolvePythonHandler(FIXTURES, '.', 'uvicorn --app-dir lwa routes.events:router')).toEqual({ abs: path.join(FIXTURES, 'lwa/routes/events.py'), exportName: 'router' });
    expect(resolvePythonHandler(FIXTURES, 'lwa', 'fastapi run main.py --port 8080')).toEqual({ abs: main, exportName: 'app' });
    expect(resolvePythonHandler(FIXTURES, 'lwa', 'python3 main.py')).toEqual({ abs: main, exportName: '__main__' });
  });

  it('returns null for missing modules, malformed handlers and paths outside the root', () => {
    expect(resolvePythonHandler(FIXTURES, 'dashboard', 'nope.handler')).toBeNull();
    expect(resolvePythonHandler(FIXTURES, 'dashboard', 'handler')).toBeNull();
    expect(resolvePythonHandler(FIXTURES, 'dashboard', 'handler.')).toBeNull();
    expect(resolvePythonHandler(FIXTURES, '..', 'python.flask.app.lambda_handler')).toBeNull();
    expect(resolvePythonHandler(path.join(FIXTURES, 'flask'), '../dashboard', 'handler.handler')).toBeNull();
    expect(resolvePythonHandler(FIXTURES, 'lwa', 'node server.js')).toBeNull();
  });
});

describe('pythonHandlerFacts', () => {
  it("seed 002's dashboard: Mangum in front of a FastAPI app that streams, with CORSMiddleware", async () => {
    const facts = await factsFor('dashboard', 'handler.handler');
    expect(pythonParserProblem()).toBeNull();
    expect(facts).toEqual({
      file: 'dashboard/handler.py',
      exportName: 'handler',
      streaming: null,
      bufferedAdapter: { name: 'Mangum', line: 37 },
      callbackStyle: null,
      cors: { how: 'the CORSMiddleware (fastapi.middleware.cors)', file: 'dashboard/handler.py', line: 14 },
      // shared/db.py, imported by the handler module, opens both at import
      moduleHandles: ['a SQLAlchemy engine (connection pool)', 'a Redis client'],
      disablesEventLoopWait: false,
      moduleState: [],
      appStreams: { how: 'StreamingResponse (fastapi.responses)', file: 'dashboard/handler.py', line: 34 },
      // no model call, S3 stream or sleep loop in the dashboard's modules
      longWork: null,
    });
  });

  it('an LWA app run by uvicorn: no Lambda handler, the streaming route found one import away', async () => {
    const facts = await pythonHandlerFacts(FIXTURES, path.join(FIXTURES, 'lwa/main.py'), 'handler');
    expect(facts).toMatchObject({
      file: 'lwa/main.py',
      exportName: 'handler',
      streaming: null,
      bufferedAdapter: null,
      cors: null,
      moduleHandles: [],
      appStreams: { how: 'EventSourceResponse (sse-starlette)', file: 'lwa/routes/events.py', line: 16 },
    });
    // The same app through the image's CMD.
    const viaCmd = await factsFor('lwa', 'python -m uvicorn main:app --host 0.0.0.0 --port 8080');
    expect(viaCmd).toMatchObject({ exportName: 'app', bufferedAdapter: null, appStreams: { file: 'lwa/routes/events.py', line: 16 } });
  });

  it('Flask + flask-cors behind serverless-wsgi, a streamed export and a module-level psycopg2 connection', async () => {
    const facts = await factsFor('flask', 'app.lambda_handler');
    expect(facts).toMatchObject({
      file: 'flask/app.py',
      bufferedAdapter: { name: 'serverless-wsgi handle_request()', line: 26 },
      cors: { how: 'the flask-cors CORS() extension', file: 'flask/app.py', line: 9 },
      moduleHandles: ['a psycopg2 connection'],
      appStreams: { how: 'flask stream_with_context()', file: 'flask/app.py', line: 22 },
    });
  });

  it('a plain handler that sets Access-Control-Allow-Origin itself; comments are not code', async () => {
    const facts = await factsFor('plain', 'app.lambda_function.handler');
    expect(facts).toMatchObject({
      file: 'plain/app/lambda_function.py',
      bufferedAdapter: null,
      cors: { how: 'an Access-Control-Allow-Origin header set in code', file: 'plain/app/lambda_function.py', line: 15 },
      moduleHandles: ['a psycopg connection pool'],
      appStreams: null,
    });
  });

  it('a module that does not parse (Python 2) gives no facts and does not throw', async () => {
    await expect(factsFor('broken', 'handler.handler')).resolves.toBeNull();
    await expect(pythonHandlerFacts(FIXTURES, path.join(FIXTURES, 'broken/missing.py'), 'handler')).resolves.toBeNull();
  });

  it('matches names by import, not by spelling', async () => {
    const dir = project({
      'main.py': [
        'from myapp.responses import StreamingResponse', // 1: a local class of the same name
        'from mylib import Mangum', // 2
        '',
        'def route():',
        '    return StreamingResponse(iter([]))',
        '',
        'handler = Mangum(None)',
        'cors_note = "Access-Control-Allow-Origin is set by the URL"', // not the header name alone
        '',
      ].join('\n'),
    });
    const facts = await pythonHandlerFacts(dir, path.join(dir, 'main.py'), 'handler');
    expect(facts).toMatchObject({ bufferedAdapter: null, appStreams: null, cors: null });
  });

  it('follows the exported name: aliases, wrappers, adapters called inside a def, aliased imports', async () => {
    const dir = project({
      'alias.py': ['import mangum', 'from fastapi import FastAPI', 'app = FastAPI()', 'asgi = mangum.Mangum(app)', 'handler = asgi', ''].join('\n'),
      'inside.py': [
        'from mangum import Mangum as M',
        'from app import app',
        '',
        '',
        'def handler(event, context):',
        '    asgi_handler = M(app, lifespan="off")',
        '    return asgi_handler(event, context)',
        '',
      ].join('\n'),
      'wrapped.py': ['import sentry_sdk', 'from mangum import Mangum', 'from app import app', '', 'handler = sentry_sdk.wrap(Mangum(app))', ''].join('\n'),
      'called.py': ['from mangum import Mangum', 'from app import app', 'asgi = Mangum(app)', '', '@log', 'async def handler(event, context):', '    return asgi(event, context)', ''].join('\n'),
      'reexport.py': ['from alias import handler', ''].join('\n'),
      'powertools.py': [
        'from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, CORSConfig',
        '',
        'app = LambdaFunctionUrlResolver(cors=CORSConfig(allow_origin="*"))',
        '',
        'def lambda_handler(event, context):',
        '    return app.resolve(event, context)',
        '',
      ].join('\n'),
      'app.py': ['from fastapi import FastAPI', 'app = FastAPI()', ''].join('\n'),
    });
    const facts = (file: string, name = 'handler') => pythonHandlerFacts(dir, path.join(dir, file), name);
    expect((await facts('alias.py'))?.bufferedAdapter).toEqual({ name: 'Mangum', line: 4 });
    expect((await facts('inside.py'))?.bufferedAdapter).toEqual({ name: 'Mangum', line: 6 });
    expect((await facts('wrapped.py'))?.bufferedAdapter).toEqual({ name: 'Mangum', line: 5 });
    expect((await facts('called.py'))?.bufferedAdapter).toEqual({ name: 'Mangum', line: 3 });
    // Imported from a local module: file and line are where it is defined.
    expect(await facts('reexport.py')).toMatchObject({ file: 'alias.py', bufferedAdapter: { name: 'Mangum', line: 4 } });
    expect(await facts('powertools.py', 'lambda_handler')).toMatchObject({
      bufferedAdapter: { name: 'Powertools LambdaFunctionUrlResolver.resolve()', line: 6 },
      cors: { how: 'the Powertools CORSConfig', file: 'powertools.py', line: 3 },
    });
  });

  it('module handles: import-time only (not in functions, not under the __main__ guard), through import aliases', async () => {
    const dir = project({
      'main.py': [
        'import redis.asyncio as aioredis',
        'import psycopg2.pool',
        'from sqlalchemy import create_engine',
        '',
        'cache = aioredis.from_url("redis://cache")',
        'try:',
        '    pool = psycopg2.pool.ThreadedConnectionPool(1, 5, dsn="")',
        'except Exception:',
        '    pool = None',
        '',
        'def handler(event, context):',
        '    engine = create_engine("sqlite://")',
        '',
        'if __name__ == "__main__":',
        '    create_engine("sqlite://")',
        '',
      ].join('\n'),
    });
    const facts = await pythonHandlerFacts(dir, path.join(dir, 'main.py'), 'handler');
    expect(facts?.moduleHandles).toEqual(['a Redis client', 'a psycopg2 connection pool']);
  });

  it('Starlette middleware lists and sse-starlette through relative imports in a package', async () => {
    const dir = project({
      'api/__init__.py': '',
      'api/main.py': [
        'from starlette.applications import Starlette',
        'from starlette.middleware import Middleware',
        'from starlette.middleware.cors import CORSMiddleware',
        'from .sse import routes',
        '',
        'app = Starlette(',
        '    routes=routes,',
        '    middleware=[Middleware(CORSMiddleware, allow_origins=["*"])],',
        ')',
        '',
      ].join('\n'),
      'api/sse.py': ['import sse_starlette', '', 'async def feed(request):', '    return sse_starlette.EventSourceResponse(request)', '', 'routes = []', ''].join('\n'),
    });
    const facts = await factsFor('.', 'uvicorn api.main:app', dir);
    expect(facts).toMatchObject({
      file: 'api/main.py',
      exportName: 'app',
      bufferedAdapter: null,
      cors: { how: 'the CORSMiddleware (starlette.middleware.cors)', file: 'api/main.py', line: 8 },
      appStreams: { how: 'EventSourceResponse (sse-starlette)', file: 'api/sse.py', line: 4 },
    });
  });
});
