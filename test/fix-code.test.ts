/**
 * Code fixers, three ways:
 * 1. before/after fixtures: test/fixtures/fix/<rule-id>/<name>.before.<ext> must become exactly
 *    <name>.after.<ext> (formatting and comments elsewhere untouched);
 * 2. property: every fixer over every invalid fixture of its rule (test/fixtures/rules/<rule-id>/invalid-*):
 *    the output re-parses, re-scans clean for that rule (or the fixer declined with a suggestion, listed in
 *    DECLINED with the reason), reports nothing new for any rule, and a second pass changes nothing;
 * 3. every fixable code rule has a fixer, and every fixer's rule says it is fixable.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSource } from '../src/code/analyze.js';
import { codeRules } from '../src/checks/code/index.js';
import { syntaxErrorCount } from '../src/code/facts.js';
import { codeFixers, codeFixersById } from '../src/fix/code/index.js';
import { fixSource } from '../src/fix/engine.js';

const rulesDir = path.resolve(import.meta.dirname, 'fixtures/rules');
const fixDir = path.resolve(import.meta.dirname, 'fixtures/fix');

/**
 * Invalid fixtures a fixer leaves to the user on purpose (it answers with a suggestion), and why.
 * Key: `<rule-id>/<fixture file>`.
 */
const DECLINED: Record<string, string> = {
  'pipe-without-error-propagation/invalid-relay-dollar-name.mjs': 'a hand-rolled relay in a request callback, like invalid-hand-rolled-relay.mjs',
  'pipe-without-error-propagation/invalid-hand-rolled-relay.mjs': 'a hand-rolled relay inside a request callback: turning it into pipeline() moves the code into another control flow, a decision for the user',
  'prelude-not-flushed/invalid-helper-returns-stream.mjs': 'from() is returned by a helper; the write belongs at the call site, which the fixer does not guess',
  'stream-never-ended/invalid-returns-buffered-result.mjs':
    'the handler never takes the stream and returns a buffered result: streaming that result or dropping streamifyResponse is a design choice',
  'pipe-without-error-propagation/invalid-helper-pipe.ts':
    'the pipe runs in a helper that is not async and its caller waits for finish: pipeline() needs the helper made async and the caller changed',
  'nonexistent-stream-api/invalid-writable-methods.ts':
    'out.pipe(process.stdout) uses the response stream as a source, which it cannot be: what that copy was for is the user\'s call (the _write() call is fixed)',
  'nonexistent-stream-api/invalid-write-head.mjs': 'writeHead(status, headers) becomes from() metadata, but where from() must go (before every write on every path) is the author\'s call',
  'nonexistent-stream-api/invalid-ai-sdk-pipe-to-response.mjs': 'the library call becomes a Web Response piped through from(): a rewrite of the handler, not an edit',
  'nonexistent-stream-api/invalid-mcp-handle-request.ts': 'the MCP transport must change to WebStandardStreamableHTTPServerTransport with a Web Request: a rewrite, not an edit',
  'set-content-type-after-from/invalid-helper-returned-alias.mjs': 'from() is in a helper shared by other callers; the content type belongs in that call\'s metadata, which the fixer does not change for every caller',
  'set-content-type-after-from/invalid-original-stream.ts': 'setContentType() runs only when the upstream has a content type; moving it into the metadata would send that header on the other path too',
  'body-in-prelude/invalid-metadata-object.ts': 'nothing writes the body after from(); dropping it from the metadata would hide that it is never sent',
  'body-in-prelude/invalid-result-fields.mjs': 'nothing writes the body after from(); dropping it from the metadata would hide that it is never sent',
  'metadata-skipped-on-path/invalid-helper-and-catch.ts': 'the raw end() is in a catch block; which status the error response needs is the author\'s choice',
  'metadata-skipped-on-path/invalid-switch-case.mjs': 'the metadata is set in one switch case, not an if to hoist: which status the other routes need is the author\'s choice',
  'set-cookie-dropped/invalid-filtered-entries.ts': 'the headers are a Node header map (no getSetCookie(), set-cookie a string or an array under any case)',
  'set-cookie-collapsed/invalid-join-array.mjs': 'the copy joins every list value of a Node header map; splitting set-cookie out of that loop is not mechanical',
  'non-buffer-chunk/invalid-array-and-boolean.ts': 'write(true): what a boolean should send is the author\'s choice (the array is fixed)',
  'non-buffer-chunk/invalid-arraybuffer.mjs': 'new Uint16Array(...): its elements or its memory? (the ArrayBuffer is fixed)',
  'non-buffer-chunk/invalid-destructured-helper.mjs': 'write(0) for a body-less response probably meant write(""), but it sends "0" today',
  'non-buffer-chunk/invalid-literals.mjs': 'write(0): the digits or a flush? (the object is fixed)',
  'non-buffer-chunk/invalid-sdk-results.mjs': 'records from an SDK or a mapped list: NDJSON, one JSON array, or a field of each is the author\'s format',
  'write-after-end/invalid-after-pipeline.mjs': 'pipeline() ends the stream, not an end() statement to move: iterating the source or a PassThrough is a restructuring',
  'write-after-end/invalid-catch-after-end.mjs': 'the write is in a catch, another path than the end(): which end is the real one is the author\'s decision',
  'write-after-end/invalid-helper-ends.mjs': 'a helper ends the stream: its other callers may need that end()',
  'write-after-end/invalid-loop-end-inside.ts': 'end() is inside the loop: whether the loop should stop there is the author\'s decision',
  'non-buffer-chunk/invalid-model-chunks.mjs': 'model chunk objects: the client usually wants the delta text, not the JSON of the chunk',
};

function counts(file: string, text: string): Map<string, number> {
  const result = analyzeSource({ rel: file, text, origin: 'project' }, codeRules);
  if (result.skipped) throw new Error(`${file}: ${result.skipped.reason}`);
  const out = new Map<string, number>();
  for (const f of result.findings) out.set(f.ruleId, (out.get(f.ruleId) ?? 0) + 1);
  return out;
}

describe('code fixers: before/after fixtures', () => {
  for (const fixer of codeFixers) {
    const dir = path.join(fixDir, fixer.ruleId);
    it(`${fixer.ruleId} has before/after fixtures`, () => {
      expect(existsSync(dir), `missing ${path.relative(process.cwd(), dir)}`).toBe(true);
      expect(readdirSync(dir).some((f) => f.includes('.before.'))).toBe(true);
    });
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((f) => f.includes('.before.')).sort()) {
      it(`${fixer.ruleId}: ${name}`, () => {
        const before = readFileSync(path.join(dir, name), 'utf8');
        const after = readFileSync(path.join(dir, name.replace('.before.', '.after.')), 'utf8');
        const file = name.replace('.before.', '.');
        const result = fixSource({ rel: file, text: before }, { rules: codeRules, fixers: codeFixersById, only: new Set([fixer.ruleId]) });
        expect(result.applied.map((a) => a.ruleId)).toContain(fixer.ruleId);
        expect(result.fixed).toBe(after);
        // idempotent: the fixed file has nothing left to fix for this rule
        const again = fixSource({ rel: file, text: result.fixed }, { rules: codeRules, fixers: codeFixersById, only: new Set([fixer.ruleId]) });
        expect(again.applied).toEqual([]);
        expect(again.fixed).toBe(result.fixed);
      });
    }
  }
});

describe('code fixers: every invalid fixture of their rule', () => {
  for (const fixer of codeFixers) {
    const dir = path.join(rulesDir, fixer.ruleId);
    for (const name of readdirSync(dir).filter((f) => f.startsWith('invalid')).sort()) {
      it(`${fixer.ruleId}: ${name}`, () => {
        const text = readFileSync(path.join(dir, name), 'utf8');
        const only = new Set([fixer.ruleId]);
        const result = fixSource({ rel: name, text }, { rules: codeRules, fixers: codeFixersById, only });
        expect(syntaxErrorCount(name, result.fixed)).toBeLessThanOrEqual(syntaxErrorCount(name, text));
        const before = counts(name, text);
        const after = counts(name, result.fixed);
        // (a fixer may leave the lesser failure it trades the bug for, declared with its reason in `leaves`)
        for (const [id, n] of after) if (!fixer.leaves?.some((l) => l.ruleId === id)) expect(n, `${id} after the fix`).toBeLessThanOrEqual(before.get(id) ?? 0);
        const declined = DECLINED[`${fixer.ruleId}/${name}`];
        if (!declined) {
          expect(after.get(fixer.ruleId) ?? 0, `${fixer.ruleId} still reported; suggestions: ${JSON.stringify(result.suggestions)}`).toBe(0);
        } else {
          // a declined fix still tells the user what to do
          expect(result.suggestions.some((s) => s.ruleId === fixer.ruleId)).toBe(true);
        }
        const again = fixSource({ rel: name, text: result.fixed }, { rules: codeRules, fixers: codeFixersById, only });
        expect(again.fixed).toBe(result.fixed);
      });
    }
  }
});

describe('fixability metadata', () => {
  it('every code fixer belongs to a code rule marked fixable', () => {
    for (const fixer of codeFixers) {
      const rule = codeRules.find((r) => r.meta.id === fixer.ruleId);
      expect(rule, fixer.ruleId).toBeDefined();
      expect(rule!.meta.fixable, fixer.ruleId).toBe(true);
    }
  });
});

describe('a code fixer that throws', () => {
  it('is reported as an internal error with the rule id, not dropped; a Declined stays a suggestion', async () => {
    const { fixSource } = await import('../src/fix/engine.js');
    const { Declined } = await import('../src/fix/ast-support.js');
    const text = 'export const handler = awslambda.streamifyResponse(async (e, s) => {\n  const w = awslambda.HttpResponseStream.from(s, { statusCode: 204 });\n  w.end();\n});\n';
    const throwing = { ruleId: 'prelude-not-flushed', fix: () => { throw new Error('boom'); } };
    const declining = { ruleId: 'prelude-not-flushed', fix: () => { throw new Declined('not this one'); } };
    const broken = fixSource({ rel: 'h.mjs', text }, { rules: codeRules, fixers: new Map([['prelude-not-flushed', throwing]]) });
    expect(broken.internalErrors).toEqual([{ ruleId: 'prelude-not-flushed', file: 'h.mjs', message: 'fixer failed: boom' }]);
    expect(broken.fixed).toBe(text);
    const declined = fixSource({ rel: 'h.mjs', text }, { rules: codeRules, fixers: new Map([['prelude-not-flushed', declining]]) });
    expect(declined.internalErrors).toBeUndefined();
    expect(declined.suggestions[0]?.suggestion).toContain('(No automatic edit: not this one.)');
  });
});

describe('static validation compares paths, not counts', () => {
  const fixture = path.resolve(import.meta.dirname, 'fixtures/fix-verify/bedrock-bad-request/index.mjs');

  it('refuses a write("") that puts a new write before the catch\'s from(), though metadata-after-write already reported that line', () => {
    const text = readFileSync(fixture, 'utf8');
    const result = fixSource({ rel: 'index.mjs', text }, { rules: codeRules, fixers: codeFixersById });
    expect(result.applied).toEqual([]);
    expect(result.fixed).toBe(text);
    const refused = result.suggestions.find((s) => s.ruleId === 'prelude-not-flushed');
    expect(refused?.line).toBe(22);
    // The same rule, message and line as before the edit; only the write it names is new (the inserted line 9).
    expect(refused?.suggestion).toContain('(No automatic edit: the edit would make metadata-after-write report a new path (line 20:');
    expect(refused?.suggestion).toContain('already written (line 9)');
  });

  it('newPaths carries offsets and line numbers through an insertion, and matches a report inside replaced text by its source', async () => {
    const { newPaths } = await import('../src/fix/engine.js');
    const { buildModuleFacts, parseModule } = await import('../src/code/facts.js');
    const { analysisOf } = await import('../src/fix/engine.js');
    const { applyEdits } = await import('../src/fix/text.js');
    const analysis = (text: string) => analysisOf(buildModuleFacts('h.mjs', text, parseModule('h.mjs', text)), codeRules);
    const text = readFileSync(fixture, 'utf8');
    // A comment line inserted at the top moves every report one line down: nothing is new.
    const insert = [{ start: 0, end: 0, text: '// moved\n' }];
    expect(newPaths(analysis(text), analysis(applyEdits(text, insert)), insert)).toEqual([]);
  });
});
