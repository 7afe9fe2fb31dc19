/**
 * The rule contract, checked for every registered rule (`allRuleMetas()`, probe-only rules included):
 *
 * - each rule has a docs page, docs/rules/<id>.md, in the house layout: `# <id>`, a one-line title, the
 *   bullets `**Severity:**`, `**Surface:**` and `**Fixable:**` (in that order, agreeing with the rule's meta),
 *   then the required `##` sections in order (extra sections may sit between them);
 * - code rules show `js invalid` / `js valid` examples under `## Examples` (test/rules.test.ts runs them);
 *   no other page has blocks that claim to be executed examples;
 * - every page in docs/rules/ belongs to a registered rule;
 * - every file of src/checks/code/, src/checks/deployment/ and src/checks/live/ is a rule registered under
 *   its file name as id, on the surface its folder names.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRuleMetas, ruleById } from '../src/checks/index.js';
import type { RuleMeta, RuleSurface } from '../src/model/rule.js';

const repo = path.resolve(import.meta.dirname, '..');
const docsDir = path.join(repo, 'docs/rules');
const metas = allRuleMetas();

/** The `##` sections every page has, in this order; `Examples` only where examples can be shown as inputs. */
const REQUIRED_SECTIONS = ['What happens at runtime', 'How it is detected', 'Evidence', 'How to fix', 'Examples', 'Not reported'] as const;
const EXAMPLES_REQUIRED: readonly RuleSurface[] = ['code', 'deployment'];

/** The categories a surface's rules may have. */
const CATEGORIES: Partial<Record<RuleSurface, readonly string[]>> = {
  code: ['lifecycle', 'metadata'],
  package: ['package'],
  deployment: ['deployment'],
  live: ['live'],
  probe: ['live'],
  verify: ['protocol', 'lifecycle'],
};


/** Rule folders and the files in them that are not rules. */
const RULE_FOLDERS: Record<'code' | 'deployment' | 'live', readonly string[]> = {
  code: ['index.ts'],
  deployment: ['index.ts'],
  live: ['index.ts', 'support.ts'],
};

interface Page {
  lines: string[];
  /** `##` headings outside fenced code blocks, with their line index. */
  sections: Array<{ name: string; line: number }>;
  /** Fenced code blocks: info string and the line index of the opening fence. */
  fences: Array<{ info: string; line: number }>;
}

function readPage(id: string): Page {
  const lines = readFileSync(path.join(docsDir, `${id}.md`), 'utf8').split('\n');
  const sections: Page['sections'] = [];
  const fences: Page['fences'] = [];
  let inFence = false;
  lines.forEach((line, index) => {
    const fence = /^\s*```(.*)$/.exec(line);
    if (fence) {
      if (!inFence) fences.push({ info: fence[1]!.trim(), line: index });
      inFence = !inFence;
      return;
    }
    if (!inFence && line.startsWith('## ')) sections.push({ name: line.slice(3).trim(), line: index });
  });
  return { lines, sections, fences };
}

/** The bullet list after the title: each bullet with its continuation lines joined. */
function headBullets(page: Page): string[] {
  const bullets: string[] = [];
  let index = 1;
  while (index < page.lines.length && page.lines[index] === '') index++;
  while (index < page.lines.length && page.lines[index] !== '') index++; // the title (may wrap)
  while (index < page.lines.length && page.lines[index] === '') index++;
  for (; index < page.lines.length; index++) {
    const line = page.lines[index]!;
    if (line.startsWith('- ')) bullets.push(line);
    else if (/^\s+\S/.test(line) && bullets.length > 0) bullets[bullets.length - 1] += ` ${line.trim()}`;
    else break;
  }
  return bullets;
}

/** `- **Name:** value…`: the value must be exactly `expected`, followed by nothing or free text. */
function bulletValue(bullet: string | undefined, name: string): string | undefined {
  const match = new RegExp(`^- \\*\\*${name}:\\*\\* (\\w+)(?=$|[\\s.,;:(])`).exec(bullet ?? '');
  return match?.[1];
}

function requiredSections(meta: RuleMeta): string[] {
  return REQUIRED_SECTIONS.filter((name) => name !== 'Examples' || EXAMPLES_REQUIRED.includes(meta.surface));
}

describe('rule registry', () => {
  it('has unique ids', () => {
    const ids = metas.map((meta) => meta.id);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
  });

  for (const [folder, notRules] of Object.entries(RULE_FOLDERS)) {
    it(`registers every file of src/checks/${folder}/ under its file name, on the ${folder} surface`, () => {
      const files = readdirSync(path.join(repo, 'src/checks', folder)).filter((name) => name.endsWith('.ts') && !notRules.includes(name));
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const id = file.slice(0, -'.ts'.length);
        expect(ruleById(id)?.meta.surface, `src/checks/${folder}/${file} is not registered as rule "${id}"`).toBe(folder);
      }
      for (const notRule of notRules) expect(ruleById(notRule.slice(0, -'.ts'.length)), notRule).toBeUndefined();
      // Conversely, every rule of this surface lives in this folder.
      for (const meta of metas.filter((m) => m.surface === folder)) expect(files, `${meta.id} has no file in src/checks/${folder}/`).toContain(`${meta.id}.ts`);
    });
  }

  it('gives every rule a category its surface allows', () => {
    for (const meta of metas) {
      const allowed = CATEGORIES[meta.surface];
      if (allowed) expect(allowed, `${meta.id} (${meta.surface})`).toContain(meta.category);
    }
  });
});

describe('rule docs pages', () => {
  it('every page in docs/rules/ belongs to a registered rule', () => {
    const ids = new Set(metas.map((meta) => meta.id));
    const orphans = readdirSync(docsDir)
      .filter((name) => name.endsWith('.md'))
      .map((name) => name.slice(0, -'.md'.length))
      .filter((id) => !ids.has(id));
    expect(orphans).toEqual([]);
  });

  for (const meta of metas) {
    describe(meta.id, () => {
      const file = path.join(docsDir, `${meta.id}.md`);

      it('has a page', () => {
        expect(existsSync(file), `missing docs/rules/${meta.id}.md`).toBe(true);
      });
      if (!existsSync(file)) return;
      const page = readPage(meta.id);

      it('starts with the id and a one-line title', () => {
        expect(page.lines[0]).toBe(`# ${meta.id}`);
        expect(page.lines[1]).toBe('');
        expect(page.lines[2], 'the title line').toMatch(/^[^\s#-]/);
      });

      it('states severity, surface and fixability as its meta does', () => {
        const bullets = headBullets(page);
        expect(bulletValue(bullets[0], 'Severity'), `first bullet: - **Severity:** ${meta.severity}`).toBe(meta.severity);
        expect(bulletValue(bullets[1], 'Surface'), `second bullet: - **Surface:** ${meta.surface}`).toBe(meta.surface);
        expect(bulletValue(bullets[2], 'Fixable'), `third bullet: - **Fixable:** ${meta.fixable ? 'yes' : 'no'}`).toBe(meta.fixable ? 'yes' : 'no');
        const category = bullets.find((bullet) => bullet.startsWith('- **Category:**'));
        if (category) expect(bulletValue(category, 'Category')).toBe(meta.category);
        // Pages that also quote the meta field (`meta.fixable: true`) must quote it right.
        for (const [quoted] of page.lines.join('\n').matchAll(/`meta\.fixable: (?:true|false)`/g)) expect(quoted).toBe(`\`meta.fixable: ${meta.fixable}\``);
      });

      it('has the required sections, in order', () => {
        const names = page.sections.map((section) => section.name);
        const required = requiredSections(meta);
        const present = names.filter((name) => (REQUIRED_SECTIONS as readonly string[]).includes(name));
        // Each required section once, in order; `Examples` may also appear where it is optional.
        expect(present.filter((name) => required.includes(name)), 'required sections, in order').toEqual(required);
        expect(new Set(present).size, 'a section appears twice').toBe(present.length);
        if (present.includes('Examples')) {
          expect(present.indexOf('Examples'), 'Examples sits between How to fix and Not reported').toBe(present.indexOf('How to fix') + 1);
        }
      });

      const examples = page.fences.filter((fence) => /^\w+ (invalid|valid)\b/.test(fence.info));
      if (meta.surface === 'code') {
        it('shows invalid and valid examples under Examples', () => {
          const start = page.sections.find((section) => section.name === 'Examples')?.line ?? Infinity;
          const end = page.sections.find((section) => section.line > start)?.line ?? page.lines.length;
          const inExamples = examples.filter((fence) => fence.line > start && fence.line < end).map((fence) => fence.info.split(' ')[1]);
          expect(inExamples).toContain('invalid');
          expect(inExamples).toContain('valid');
        });
      } else {
        it('has no blocks that claim to be executed examples (only code-rule examples are run)', () => {
          expect(examples.map((fence) => fence.info)).toEqual([]);
        });
      }

      if (meta.surface === 'deployment') {
        it('shows the configuration in each infrastructure format', () => {
          expect(page.sections.map((section) => section.name)).toContain('How each format expresses it');
          expect(page.fences.some((fence) => /^(yaml|hcl|ts)$/.test(fence.info)), 'an example in yaml, hcl or ts').toBe(true);
        });
      }
    });
  }
});

describe('the README', () => {
  it('states the rule counts the registry has', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8').replace(/\s+/g, ' ');
    const metas = allRuleMetas();
    const count = (surface: RuleSurface | 'package') => metas.filter((meta) => meta.surface === surface).length;
    const stated = /lists the (\d+) rules \((\d+) code rules, one known-bad-versions check, (\d+) deployment rules, (\d+) rules on live functions' logs, (\d+) rules only `probe`[^,]*, (\d+) rules only `verify`/.exec(readme);
    expect(stated, 'the README sentence that counts the rules').not.toBeNull();
    expect(stated!.slice(1).map(Number)).toEqual([metas.length, count('code'), count('deployment'), count('live'), count('probe'), count('verify')]);
  });
});

describe('user-facing text', () => {
  // "seed" is this project's name for the user reports it grew from; users do not know it.
  const SEED = /\bseeds?\b/i;

  it('rule titles, consequences, evidence and messages never say "seed"', () => {
    const offenders = allRuleMetas().flatMap((meta) =>
      [meta.title, meta.consequence, meta.evidence].filter((text) => SEED.test(text)).map((text) => `${meta.id}: ${text.slice(0, 80)}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the README and the docs never say "seed"', () => {
    const files = ['README.md', ...readdirSync(path.join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`), ...readdirSync(path.join(repo, 'docs/rules')).map((f) => `docs/rules/${f}`)];
    const offenders = files.flatMap((file) =>
      readFileSync(path.join(repo, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (SEED.test(line) ? [`${file}:${i + 1}`] : [])),
    );
    expect(offenders).toEqual([]);
  });
});
