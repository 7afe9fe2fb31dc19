/**
 * One registry: every id a command reports is a registered rule with named messages, and `explain` works for
 * each. Probe and verify observe rather than compute, so their ids are checked here: the rules they own
 * (src/checks/probe, src/checks/verify), the static rules they report under (their observation catalogs), and
 * their sources, which must emit through the catalogs (no hand-written `ruleId`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRuleMetas, registry, ruleById } from '../src/checks/index.js';
import { probeRules } from '../src/checks/probe/index.js';
import { verifyRules } from '../src/checks/verify/index.js';
import { explainRule } from '../src/commands/rules.js';
import { probeObservations } from '../src/probe/observations.js';
import { verifyObservations } from '../src/verify/observations.js';

const repo = path.resolve(import.meta.dirname, '..');
const read = (rel: string) => readFileSync(path.join(repo, rel), 'utf8');
const sourcesOf = (dir: string) =>
  readdirSync(path.join(repo, dir))
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
    .map((name) => `${dir}/${name}`);

const engines = {
  probe: { own: probeRules, catalog: probeObservations.messages as Record<string, Record<string, string>>, sources: [...sourcesOf('src/probe'), 'src/commands/probe.ts'] },
  verify: { own: verifyRules, catalog: verifyObservations.messages as Record<string, Record<string, string>>, sources: [...sourcesOf('src/verify'), 'src/commands/verify.ts'] },
};

describe('the registry', () => {
  it('holds each id once, in the order of `stream-doctor rules`', () => {
    const ids = registry.map((rule) => rule.meta.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(allRuleMetas().map((meta) => meta.id)).toEqual(ids);
  });

  it('`explain` shows the docs page of every registered rule', () => {
    for (const { meta } of registry) {
      const page = explainRule(meta.id);
      expect(page.startsWith(`# ${meta.id}\n`), meta.id).toBe(true);
    }
  });
});

describe.each(Object.entries(engines))('%s reports registered rules only', (engine, { own, catalog, sources }) => {
  it('its own rules are registered, with its surface and named messages', () => {
    for (const rule of own) {
      expect(ruleById(rule.meta.id), rule.meta.id).toBe(rule);
      expect(rule.meta.surface).toBe(engine);
      expect(Object.keys(rule.messages).length, rule.meta.id).toBeGreaterThan(0);
    }
  });

  it('its catalog names registered rules of other surfaces', () => {
    for (const [id, messages] of Object.entries(catalog)) {
      const rule = ruleById(id);
      expect(rule, id).toBeDefined();
      expect(rule!.meta.surface, id).not.toBe(engine);
      expect(Object.keys(messages).length, id).toBeGreaterThan(0);
    }
  });

  it('its sources emit every id through a catalog or an owned rule, and use every message', () => {
    const text = sources.map(read).join('\n');
    // A hand-built problem or finding would name its rule in a `ruleId:` property.
    expect(text).not.toMatch(/\bruleId\s*:\s*['"`]/);
    const emitted = [...text.matchAll(/\.observe\(\s*'([\w-]+)'/g)].map((m) => m[1]!);
    expect(emitted.length).toBeGreaterThan(0);
    for (const id of emitted) expect(Object.keys(catalog), `${id} is observed but not in the ${engine} catalog`).toContain(id);
    for (const id of Object.keys(catalog)) expect(emitted, `${id} is in the ${engine} catalog but never observed`).toContain(id);
    const messageIds = [...Object.values(catalog).flatMap((messages) => Object.keys(messages)), ...own.flatMap((rule) => Object.keys(rule.messages))];
    for (const messageId of messageIds) expect(text, `message ${messageId} is never emitted`).toContain(`'${messageId}'`);
  });

  it(`every id it reports is documented in docs/${engine}.md`, () => {
    const doc = read(`docs/${engine}.md`);
    for (const id of [...Object.keys(catalog), ...own.map((rule) => rule.meta.id)]) expect(doc, id).toContain(`\`${id}\``);
  });
});

describe('the rules of verify', () => {
  it('have docs pages in the house layout', () => {
    const order = ['What happens at runtime', 'How it is detected', 'Evidence', 'How to fix', 'Not reported'];
    for (const { meta } of verifyRules) {
      const page = read(`docs/rules/${meta.id}.md`);
      const lines = page.split('\n');
      expect(lines.slice(0, 3), meta.id).toEqual([`# ${meta.id}`, '', meta.title]);
      expect(page, meta.id).toContain(`- **Severity:** ${meta.severity}`);
      // The protocol rules judge custom runtimes and proxies only; the others every run.
      const surface = meta.category === 'protocol' ? 'verify (`stream-doctor verify --bootstrap` / `--exec-wrapper`)' : 'verify (`stream-doctor verify`)';
      expect(page, meta.id).toContain(`- **Surface:** ${surface}\n- **Fixable:** no\n`);
      const h2 = lines.filter((line) => line.startsWith('## ')).map((line) => line.slice(3));
      expect(h2.filter((title) => order.includes(title)), meta.id).toEqual(order);
    }
  });
});
