/**
 * verify goes where scan points: events mined from the handler's code (src/verify/code-events.ts), and a run
 * under aws-lambda-ric 4.x (test/.tmp/ric) that finds a route-specific lost prelude and a hang on routes none
 * of the six default events requests (test/fixtures/verify/routes).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyHandler, verdictWord } from '../src/commands/verify.js';
import { MAX_CODE_EVENTS, eventsFromCode } from '../src/verify/code-events.js';
import { ensureRic, missingTools } from '../src/verify/install.js';
import { tempProject } from './support/temp-project.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const CACHE = path.join(ROOT, 'test', '.tmp', 'ric');
const env = { ...process.env, STREAM_DOCTOR_RIC_CACHE: CACHE };

const module = (files: Record<string, string>): string => tempProject('sd-code-events-', files);

describe('events from the code', () => {
  it('router registrations (params made concrete), switch cases on the path, startsWith, methods; the defaults are not repeated', () => {
    const dir = module({
      'index.mjs': `import { app } from './routes.mjs';
export const handler = async (event, stream) => {
  switch (event.rawPath) { case '/health': break; case '/': break; }
  if (event.requestContext.http.method === 'DELETE') return;
  if (event.rawPath.startsWith('/files/')) return;
};`,
      'routes.mjs': `export const app = new Hono();
app.get('/users/:id', (c) => c.text('x'));
app.post('/chat', (c) => c.text('x'));
app.get('/only-one-arg');`,
    });
    const { events, dropped } = eventsFromCode(path.join(dir, 'index.mjs'), dir);
    expect(events.map((e) => e.name)).toEqual(['GET /health', 'GET /files/', 'GET /users/1', 'POST /chat', 'DELETE /']);
    expect(events.find((e) => e.name === 'POST /chat')!.event).toMatchObject({ rawPath: '/chat', body: '{}', requestContext: { http: { method: 'POST' } } });
    expect(events[0]!.description).toBe('GET /health (from the code, index.mjs:3)');
    expect(dropped).toEqual([]);
  });

  it('stays within the budget and names what it did not send', () => {
    const routes = Array.from({ length: MAX_CODE_EVENTS + 3 }, (_, i) => `app.get('/r${i}', h);`).join('\n');
    const dir = module({ 'index.mjs': `const h = () => {};\n${routes}\nexport const handler = h;` });
    const { events, dropped } = eventsFromCode(path.join(dir, 'index.mjs'), dir);
    expect(events).toHaveLength(MAX_CODE_EVENTS);
    expect(dropped).toEqual([`GET /r${MAX_CODE_EVENTS}`, `GET /r${MAX_CODE_EVENTS + 1}`, `GET /r${MAX_CODE_EVENTS + 2}`]);
  });
});

describe('verify sends the events from the code', () => {
  beforeAll(async () => {
    if (missingTools('4.x', env).length === 0) await ensureRic('4.x', CACHE, { env, progress: () => {} });
  }, 600_000);

  it('finds the lost 301 on /old-page and the hang on /events, which the default events never request', async () => {
    let out = '';
    const outcome = await verifyHandler(
      { handler: 'index.handler', root: path.join(ROOT, 'test/fixtures/verify/routes'), runtime: '4.x', events: [], only: ['GET'], codeEvents: true, timeout: '1500ms', passEnv: [], format: 'text', failOn: 'error', color: false, verbose: false },
      { stdout: (t) => (out += t), stderr: () => {}, progressEnabled: false, cwd: ROOT, env },
    );
    expect(Object.fromEntries(outcome.runs.map((r) => [r.event, verdictWord(r.diagnosis)]))).toEqual({ GET: 'completed', 'GET /old-page': 'completed', 'GET /events': 'hung' });
    const found = outcome.report.findings.map((f) => `${f.field} ${f.ruleId}`).sort();
    expect(found).toEqual(['4.x GET /events stream-never-ended', '4.x GET /old-page prelude-not-flushed']);
    expect(out).toContain('events from the code (sent): GET /old-page, GET /events');
  }, 60_000);
});

describe('verify --coverage: static findings against the runs', () => {
  async function staticFindings(codeEvents: boolean) {
    let out = '';
    await verifyHandler(
      { handler: 'index.handler', root: path.join(ROOT, 'test/fixtures/verify/routes'), runtime: '4.x', events: [], only: ['GET'], codeEvents, coverage: true, timeout: '1500ms', passEnv: [], format: 'json', failOn: 'error', color: false, verbose: false },
      { stdout: (t) => (out += t), stderr: () => {}, progressEnabled: false, cwd: ROOT, env },
    );
    return (JSON.parse(out) as { staticFindings: Array<{ ruleId: string; line: number; status: string; events: string[] }> }).staticFindings;
  }

  it('confirmed by run when an event executed the line and showed the bug; not reached without the events from the code', async () => {
    expect(await staticFindings(true)).toEqual([
      { ruleId: 'stream-never-ended', line: 13, status: 'confirmed', events: ['4.x GET /events'] },
      { ruleId: 'prelude-not-flushed', line: 7, status: 'confirmed', events: ['4.x GET /old-page'] },
    ]);
    expect((await staticFindings(false)).map((f) => `${f.ruleId} ${f.status}`)).toEqual(['stream-never-ended not-reached', 'prelude-not-flushed not-reached']);
  }, 60_000);

  it('a rule no run can show on the wire is "ran-unobservable", not "ran-correctly"', async () => {
    let out = '';
    await verifyHandler(
      { handler: 'handler.handler', root: path.join(ROOT, 'test/fixtures/scan-verify/app'), runtime: '4.x', events: [], only: ['GET'], codeEvents: false, coverage: true, timeout: '1500ms', passEnv: [], format: 'json', failOn: 'error', color: false, verbose: false },
      { stdout: (t) => (out += t), stderr: () => {}, progressEnabled: false, cwd: ROOT, env },
    );
    const found = (JSON.parse(out) as { staticFindings: Array<{ ruleId: string; line: number; status: string }> }).staticFindings.map((f) => `${f.line} ${f.ruleId} ${f.status}`).sort();
    expect(found).toEqual(['12 stream-never-ended not-reached', '16 write-without-backpressure ran-unobservable', '17 prelude-not-flushed ran-correctly']);
  }, 60_000);
});
