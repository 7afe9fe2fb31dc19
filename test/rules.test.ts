/**
 * Rule fixtures: every file under test/fixtures/rules/<rule-id>/ is scanned and the findings of
 * that rule must be exactly the lines marked `// expect: <rule-id>:<messageId>` (several: comma-separated;
 * `@severity` after it checks the severity too). The message id is required: the wording is the product.
 * Files without a marker are the valid cases: the rule must stay quiet on them.
 * The invalid/valid examples in docs/rules/<rule-id>.md are checked the same way.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeSource } from '../src/code/analyze.js';
import { codeRules } from '../src/checks/code/index.js';

const root = path.resolve(import.meta.dirname, 'fixtures/rules');
const docs = path.resolve(import.meta.dirname, '../docs/rules');

interface Marker {
  line: number;
  messageId?: string;
  severity?: string;
}

/** `// expect: rule-id:messageId`, optionally `@warning` (then the severity is checked too). */
function expectedMarkers(text: string, ruleId: string): Marker[] {
  const markers: Marker[] = [];
  text.split('\n').forEach((line, index) => {
    const match = /(?:\/\/|\/\*)\s*expect:\s*([\w\-,@: ]+)/.exec(line);
    if (!match) return;
    for (const item of match[1].split(',').map((s) => s.trim())) {
      const [idAndMessage, severity] = item.split('@');
      const [id, messageId] = idAndMessage!.split(':');
      if (id === ruleId) markers.push({ line: index + 1, ...(messageId ? { messageId } : {}), ...(severity ? { severity } : {}) });
    }
  });
  return markers;
}

function expectedLines(text: string, ruleId: string): number[] {
  return expectedMarkers(text, ruleId).map((m) => m.line);
}

function findingsOf(file: string, text: string, ruleId: string) {
  const result = analyzeSource({ rel: file, text, origin: 'project' }, codeRules);
  if (result.skipped) throw new Error(`${file}: ${result.skipped.reason}`);
  return result.findings.filter((f) => f.ruleId === ruleId).sort((a, b) => a.line - b.line);
}

function findingLines(file: string, text: string, ruleId: string): number[] {
  return findingsOf(file, text, ruleId).map((f) => f.line);
}

describe('rule fixtures', () => {
  for (const rule of codeRules) {
    const dir = path.join(root, rule.meta.id);
    it(`${rule.meta.id} has fixtures`, () => {
      expect(existsSync(dir), `missing ${path.relative(process.cwd(), dir)}`).toBe(true);
      const files = readdirSync(dir);
      expect(files.some((f) => f.startsWith('invalid'))).toBe(true);
      expect(files.some((f) => f.startsWith('valid'))).toBe(true);
    });
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      it(`${rule.meta.id}: ${name}`, () => {
        const text = readFileSync(path.join(dir, name), 'utf8');
        const expected = expectedLines(text, rule.meta.id);
        if (name.startsWith('invalid')) expect(expected.length).toBeGreaterThan(0);
        expect(findingLines(name, text, rule.meta.id)).toEqual(expected);
        const found = findingsOf(name, text, rule.meta.id);
        for (const marker of expectedMarkers(text, rule.meta.id)) {
          const atLine = found.filter((f) => f.line === marker.line);
          expect(marker.messageId, `line ${marker.line}: the marker names no message id (expect: ${rule.meta.id}:<messageId>)`).toBeDefined();
          expect(Object.keys(rule.messages), `line ${marker.line}: unknown message id`).toContain(marker.messageId);
          expect(atLine.map((f) => f.messageId), `message id at line ${marker.line}`).toContain(marker.messageId);
          if (marker.severity) expect(atLine[0]?.severity, `severity at line ${marker.line}`).toBe(marker.severity);
        }
      });
    }
  }
});

describe('docs examples', () => {
  for (const rule of codeRules) {
    const page = path.join(docs, `${rule.meta.id}.md`);
    it(`${rule.meta.id} has a docs page whose examples behave as documented`, () => {
      expect(existsSync(page), `missing docs/rules/${rule.meta.id}.md`).toBe(true);
      const text = readFileSync(page, 'utf8');
      const blocks = [...text.matchAll(/```(js|ts|javascript|typescript) (invalid|valid)\n([\s\S]*?)```/g)];
      expect(blocks.some((b) => b[2] === 'invalid')).toBe(true);
      expect(blocks.some((b) => b[2] === 'valid')).toBe(true);
      for (const [, lang, kind, code] of blocks) {
        const file = `example.${lang.startsWith('t') ? 'ts' : 'mjs'}`;
        const lines = findingLines(file, code, rule.meta.id);
        if (kind === 'invalid') expect(lines.length, `invalid example of ${rule.meta.id} must be reported:\n${code}`).toBeGreaterThan(0);
        else expect(lines, `valid example of ${rule.meta.id} must stay quiet:\n${code}`).toEqual([]);
      }
    });
  }
});

describe('handler-syntax-error (reported by the analysis itself)', () => {
  const broken = 'export const handler = awslambda.streamifyResponse(async (event, responseStream) => {\n  const body = { top_p: 0.9 anthropic_version: "x" };\n  responseStream.end(JSON.stringify(body));\n});\n';

  it('a streaming module of the project that does not parse is an error at the first syntax error', () => {
    const result = analyzeSource({ rel: 'index.mjs', text: broken, origin: 'project' }, codeRules);
    expect(result.findings.map((f) => [f.ruleId, f.messageId, f.severity, f.line])).toEqual([['handler-syntax-error', 'doesNotParse', 'error', 2]]);
    expect(result.skipped).toBeUndefined();
  });

  it('a dependency our parser rejects is a skipped-file note, not a finding', () => {
    const result = analyzeSource({ rel: 'node_modules/x/index.js', text: broken, origin: 'dependency' }, codeRules);
    expect(result.findings).toEqual([]);
    expect(result.skipped?.reason).toMatch(/^parse error/);
  });

  it('its docs examples behave as documented', () => {
    const text = readFileSync(path.join(docs, 'handler-syntax-error.md'), 'utf8');
    for (const [, , kind, code] of text.matchAll(/```(js) (invalid|valid)\n([\s\S]*?)```/g)) {
      const ids = analyzeSource({ rel: 'example.mjs', text: code!, origin: 'project' }, codeRules).findings.map((f) => f.ruleId);
      if (kind === 'invalid') expect(ids).toContain('handler-syntax-error');
      else expect(ids).not.toContain('handler-syntax-error');
    }
  });
});
