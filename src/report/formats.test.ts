import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding, Report, Severity } from '../model/finding.js';
import type { RuleMeta } from '../model/rule.js';
import { allRuleMetas } from '../checks/index.js';
import { FORMAT_NAMES, formatReport, isFormatName } from './index.js';
import { toJsonReport } from './json.js';
import { formatText } from './text.js';
import { FINGERPRINT_KEY, pascalCase, toSarif } from './sarif.js';
import { ANNOTATIONS_PER_LEVEL, escapeData, escapeProperty, formatGithub, stepSummaryMarkdown } from './github.js';
import { COMMENT_LIMITS, DEFAULT_DOCS_BASE_URL, formatMarkdown, renderMarkdown, repositoryFilesUrl, ruleDocsUrl, STEP_SUMMARY_LIMITS } from './markdown.js';
import { CODE_QUALITY_SEVERITY, formatGitlab, toCodeQuality } from './gitlab.js';

// ---- the hand-built report: one project finding, one package finding, one suppressed, one skipped ----

const SOURCE = [
  "import { pipeline } from 'node:stream/promises';",
  'export const handler = awslambda.streamifyResponse(async (event, responseStream) => {',
  '  if (!event.body) {',
  '    return;',
  '  }',
  '  await pipeline(event.body, responseStream);',
  '});',
  '',
].join('\n');

const sourceText = (file: string) => (file === 'src/handler.ts' ? SOURCE : undefined);

function fixtureReport(): Report {
  return {
    tool: { name: 'stream-doctor', version: '0.1.0' },
    root: '/repo',
    findings: [
      {
        ruleId: 'stream-never-ended',
        severity: 'error',
        message: 'The stream is never ended on this return path, so the invocation runs until the timeout.',
        file: 'src/handler.ts',
        line: 4,
        column: 5,
        endLine: 4,
        endColumn: 12,
        fixable: true,
        fix: 'Call responseStream.end() before returning.',
        fingerprint: 'fedcba9876543210',
        origin: 'project',
      },
      {
        ruleId: 'known-bad-version',
        severity: 'warning',
        message: 'hono 4.1.2 buffers the whole response in its Lambda streaming adapter.',
        file: 'node_modules/hono/package.json',
        line: 1,
        column: 1,
        package: { name: 'hono', version: '4.1.2' },
        fixable: true,
        fix: 'Upgrade hono to 4.2.0 or later.',
        evidence: 'honojs/hono#2156',
        fingerprint: '0123456789abcdef',
        origin: 'dependency',
      },
    ],
    suppressed: [
      {
        ruleId: 'stream-never-ended',
        severity: 'error',
        message: 'The stream is never ended on this return path.',
        file: 'src/legacy.ts',
        line: 10,
        column: 3,
        fixable: false,
        fingerprint: '1111222233334444',
        origin: 'project',
        suppressed: { kind: 'inSource', justification: 'ended by the wrapper' },
      },
    ],
    skipped: [{ file: 'dist/huge.js', reason: 'larger than 5 MiB' }],
    stats: { filesWalked: 42, filesPrefiltered: 5, filesParsed: 3, packagesInventoried: 120, filesSkipped: 1, durationMs: 87 },
  };
}

function finding(overrides: Partial<Finding>): Finding {
  return {
    ruleId: 'stream-never-ended',
    severity: 'error',
    message: 'm',
    file: 'src/a.ts',
    line: 1,
    column: 1,
    fixable: false,
    fingerprint: '0000000000000000',
    origin: 'project',
    ...overrides,
  };
}

const ESC = '\u001b';

const EXPECTED_TEXT = [
  'node_modules/hono/package.json',
  '  1:1  warning  hono 4.1.2 buffers the whole response in its Lambda streaming adapter. (hono@4.1.2)  known-bad-version',
  '    fix: Upgrade hono to 4.2.0 or later.',
  '',
  'src/handler.ts',
  '  4:5  error    The stream is never ended on this return path, so the invocation runs until the timeout.  stream-never-ended',
  '      2 | export const handler = awslambda.streamifyResponse(async (event, responseStream) => {',
  '      3 |   if (!event.body) {',
  '    > 4 |     return;',
  '        |     ^^^^^^^',
  '      5 |   }',
  '      6 |   await pipeline(event.body, responseStream);',
  '    fix: Call responseStream.end() before returning.',
  '',
  '✖ 2 problems (1 error, 1 warning, 0 info)',
  '  2 with a mechanical fix (`stream-doctor fix` shows them, `--write` applies them)',
  "  Why: `stream-doctor explain <rule>` (or --verbose for each finding's evidence)",
  '  1 suppressed (1 by inline directives)',
  '42 files scanned, 3 parsed, 120 packages inventoried; 1 skipped (use --verbose to list)',
  '',
].join('\n');

// ---- text ------------------------------------------------------------------------------------------

describe('text format', () => {
  it('prints findings grouped by file with code frames, fix lines and the footer (no colour)', () => {
    const out = formatReport(fixtureReport(), 'text', { color: false, verbose: false, sourceText });
    expect(out).toBe(EXPECTED_TEXT);
    expect(out).not.toContain(ESC);
  });

  it('lists skipped files, suppressed findings and the duration with verbose, still without colour codes', () => {
    const out = formatReport(fixtureReport(), 'text', { color: false, verbose: true, sourceText });
    expect(out).not.toContain(ESC);
    // Each finding shows its evidence under --verbose, and the "Why:" hint is not needed then.
    const evidenced = fixtureReport().findings.filter((f) => f.evidence);
    expect(evidenced.length).toBeGreaterThan(0);
    for (const f of evidenced) expect(out).toContain(`    evidence: ${f.evidence}`);
    expect(out).not.toContain('Why: `stream-doctor explain');
    expect(out.endsWith(
      [
        '42 files scanned, 3 parsed, 120 packages inventoried; 1 skipped',
        '',
        'Skipped:',
        '  dist/huge.js  larger than 5 MiB',
        '',
        'Suppressed:',
        '  src/legacy.ts:10:3  stream-never-ended  inline: ended by the wrapper',
        '',
        'Done in 87 ms',
        '',
      ].join('\n'),
    )).toBe(true);
  });

  it('colours only when asked, and the coloured text is the same text', () => {
    const coloured = formatReport(fixtureReport(), 'text', { color: true, verbose: false, sourceText });
    expect(coloured).toContain(`${ESC}[31m`);
    // eslint-disable-next-line no-control-regex -- stripping ANSI colour codes
    expect(coloured.replace(/\u001b\[\d+m/g, '')).toBe(EXPECTED_TEXT);
  });

  it('skips the code frame without source text', () => {
    const out = formatText(fixtureReport(), { color: false, verbose: false });
    expect(out).not.toContain(' | ');
    expect(out).toContain('  4:5  error    The stream is never ended');
  });

  it('is deterministic whatever the input order', () => {
    const a = fixtureReport();
    const b = fixtureReport();
    b.findings.reverse();
    expect(formatText(b, { color: false, verbose: true, sourceText })).toBe(formatText(a, { color: false, verbose: true, sourceText }));
  });

  it('shows paths relative to cwd when given', () => {
    const out = formatText(fixtureReport(), { color: false, verbose: true, cwd: '/repo/src' });
    expect(out).toContain('\nhandler.ts\n');
    expect(out).toContain('../node_modules/hono/package.json\n');
    expect(out).toContain('  ../dist/huge.js  larger than 5 MiB');
  });

  it('cuts a long minified line to a window around the column and keeps the caret under it', () => {
    const line = `${'a'.repeat(5000)}stream.end(x)${'b'.repeat(5000)}`;
    const report: Report = {
      ...fixtureReport(),
      findings: [finding({ file: 'dist/bundle.js', line: 1, column: 5001, endLine: 1, endColumn: 5007 })],
      suppressed: [],
      skipped: [],
    };
    const lines = formatText(report, { color: false, verbose: false, sourceText: () => line }).split('\n');
    const codeLine = lines.find((l) => l.startsWith('    > 1 |'))!;
    const caretLine = lines[lines.indexOf(codeLine) + 1]!;
    expect(codeLine.length).toBeLessThan(170);
    expect(codeLine).toMatch(/\| …a+stream\.end\(x\)b+…$/);
    const caret = caretLine.indexOf('^');
    expect(codeLine.slice(caret, caret + 6)).toBe('stream');
    expect(caretLine.slice(caret)).toBe('^^^^^^');
  });

  it('keeps tabs in the caret line so the caret lines up, and hides control characters', () => {
    const report: Report = { ...fixtureReport(), findings: [finding({ line: 2, column: 3 })], suppressed: [], skipped: [] };
    const out = formatText(report, { color: false, verbose: false, sourceText: () => 'a\u001b[2J\n\t\tend();\n' });
    expect(out).toContain('    > 2 | \t\tend();\n        | \t\t^\n');
    expect(out).toContain('      1 | a\ufffd[2J\n');
    expect(out).not.toContain(ESC);
  });

  it('says so when there is nothing to report', () => {
    const report: Report = { ...fixtureReport(), findings: [], suppressed: [], skipped: [] };
    expect(formatText(report, { color: false, verbose: false })).toBe(
      '✔ No problems found\n42 files scanned, 3 parsed, 120 packages inventoried\n',
    );
  });

  it('never says "No problems found" for a report that checked nothing (inconclusive), in text, step summary and JSON', () => {
    const inconclusive = 'Nothing was verified: no event reached the handler';
    const empty: Report = { ...fixtureReport(), findings: [], suppressed: [], skipped: [], inconclusive };
    expect(formatText(empty, { color: false, verbose: false })).toBe(`✖ ${inconclusive}\n42 files scanned, 3 parsed, 120 packages inventoried\n`);
    expect(stepSummaryMarkdown(empty)).toContain(`**✖ ${inconclusive}** · no findings`);
    expect(stepSummaryMarkdown(empty)).not.toContain('No problems found');
    expect(JSON.parse(formatReport(empty, 'json', { color: false, verbose: false })).inconclusive).toBe(inconclusive);
    const withFindings = formatText({ ...fixtureReport(), inconclusive }, { color: false, verbose: false });
    expect(withFindings).toContain(`✖ ${inconclusive}\n✖ `);
    expect(JSON.parse(formatReport(fixtureReport(), 'json', { color: false, verbose: false }))).not.toHaveProperty('inconclusive');
  });
});

// ---- json ------------------------------------------------------------------------------------------

describe('json format', () => {
  it('matches the documented contract exactly', () => {
    const out = formatReport(fixtureReport(), 'json', { color: true, verbose: true, sourceText });
    expect(out.startsWith('{\n  "schemaVersion": 1,\n  "tool": {\n    "name": "stream-doctor",')).toBe(true);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out).not.toContain(ESC);
    const parsed = JSON.parse(out);
    expect(parsed).toStrictEqual({
      schemaVersion: 1,
      tool: { name: 'stream-doctor', version: '0.1.0' },
      root: '/repo',
      findings: [
        {
          ruleId: 'known-bad-version',
          severity: 'warning',
          message: 'hono 4.1.2 buffers the whole response in its Lambda streaming adapter.',
          file: 'node_modules/hono/package.json',
          line: 1,
          column: 1,
          package: { name: 'hono', version: '4.1.2' },
          fixable: true,
          fix: 'Upgrade hono to 4.2.0 or later.',
          evidence: 'honojs/hono#2156',
          fingerprint: '0123456789abcdef',
          origin: 'dependency',
        },
        {
          ruleId: 'stream-never-ended',
          severity: 'error',
          message: 'The stream is never ended on this return path, so the invocation runs until the timeout.',
          file: 'src/handler.ts',
          line: 4,
          column: 5,
          endLine: 4,
          endColumn: 12,
          fixable: true,
          fix: 'Call responseStream.end() before returning.',
          fingerprint: 'fedcba9876543210',
          origin: 'project',
        },
      ],
      suppressed: [
        {
          ruleId: 'stream-never-ended',
          severity: 'error',
          message: 'The stream is never ended on this return path.',
          file: 'src/legacy.ts',
          line: 10,
          column: 3,
          fixable: false,
          fingerprint: '1111222233334444',
          origin: 'project',
          suppression: { kind: 'inSource', justification: 'ended by the wrapper' },
        },
      ],
      skipped: [{ file: 'dist/huge.js', reason: 'larger than 5 MiB' }],
      summary: {
        error: 1,
        warning: 1,
        info: 0,
        fixable: 2,
        suppressed: 1,
        filesScanned: 42,
        filesParsed: 3,
        filesSkipped: 1,
        packagesInventoried: 120,
        durationMs: 87,
      },
    });
  });

  it('keeps the documented key order', () => {
    const json = toJsonReport(fixtureReport());
    expect(Object.keys(json)).toEqual(['schemaVersion', 'tool', 'root', 'findings', 'suppressed', 'skipped', 'summary']);
    expect(Object.keys(json.findings[1]!)).toEqual([
      'ruleId', 'severity', 'message', 'file', 'line', 'column', 'endLine', 'endColumn', 'fixable', 'fix', 'fingerprint', 'origin',
    ]);
    expect(Object.keys(json.suppressed[0]!).at(-1)).toBe('suppression');
    expect(json.findings.every((f) => !('suppression' in f) && !('suppressed' in f))).toBe(true);
  });
});

// ---- sarif -----------------------------------------------------------------------------------------

const require = createRequire(import.meta.url);
/**
 * The SARIF 2.1.0 schema (the "rtm.5" revision, which the OASIS standard adopted), as shipped by
 * @microsoft/jest-sarif (MIT); loaded from node_modules, not copied into the repository. Its
 * `language` pattern has a stray "]" that is invalid with the `u` flag, hence `unicodeRegExp: false`.
 */
const SARIF_SCHEMA = JSON.parse(
  readFileSync(path.join(path.dirname(require.resolve('@microsoft/jest-sarif/package.json')), 'lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
);
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
addFormatsModule.default(ajv);
const validateSarif = ajv.compile(SARIF_SCHEMA);

const FAKE_RULES: RuleMeta[] = [
  {
    id: 'stream-never-ended',
    surface: 'code',
    category: 'lifecycle',
    severity: 'error',
    title: 'A streamified handler can resolve without ending the stream',
    consequence: 'The invocation runs until the function timeout.',
    evidence: 'Runtime behaviour c.',
    fixable: true,
    triggers: ['streamifyResponse'],
  },
  {
    id: 'known-bad-version',
    surface: 'package',
    category: 'package',
    severity: 'error',
    title: 'Known-bad dependency version',
    consequence: 'The installed version ships a streaming bug.',
    evidence: 'data/known-bad-packages.json',
    fixable: true,
    triggers: [],
  },
];

describe('sarif format', () => {
  it('validates against the SARIF 2.1.0 schema with the real rule registry', () => {
    const report = fixtureReport();
    report.suppressed.push(finding({ file: 'src/old file.ts', fingerprint: 'baseline00000000', suppressed: { kind: 'baseline', justification: 'accepted in the baseline' } }));
    const sarif = JSON.parse(formatReport(report, 'sarif', { color: false, verbose: false }));
    const valid = validateSarif(sarif);
    expect(validateSarif.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('a live-function report (aws): ARNs as absolute URIs without %SRCROOT%, still schema-valid', () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:chat';
    const report = fixtureReport();
    report.root = 'aws:us-east-1';
    report.subjects = [{ id: arn, title: 'function chat (us-east-1)', facts: [{ label: 'runtime', value: 'nodejs20.x' }], notes: [] }];
    report.findings = [
      finding({ file: arn, line: 1, column: 1, field: 'FunctionUrlConfig($LATEST).InvokeMode' }),
      finding({ file: `${arn}/index.mjs`, line: 9, column: 3, fingerprint: 'code000000000000' }),
    ];
    report.suppressed = [];
    report.skipped = [{ file: arn, reason: 'resource policy not checked: not authorized for lambda:GetPolicy' }];
    const sarif = JSON.parse(formatReport(report, 'sarif', { color: false, verbose: false }));
    expect(validateSarif(sarif)).toBe(true);
    const locations = sarif.runs[0].results.map((r: any) => r.locations[0].physicalLocation.artifactLocation);
    expect(locations).toEqual([{ uri: arn }, { uri: `${arn}/index.mjs` }]);
    expect(sarif.runs[0].originalUriBaseIds).toBeUndefined();
    const text = formatReport(report, 'text', { color: false, verbose: false });
    expect(text).toContain('function chat (us-east-1)\n  runtime  nodejs20.x');
    expect(text).toContain('  FunctionUrlConfig($LATEST).InvokeMode  error');
    expect(JSON.parse(formatReport(report, 'json', { color: false, verbose: false })).subjects).toEqual(report.subjects);
  });

  it('the schema check is real: it rejects a broken result', () => {
    const sarif = toSarif(fixtureReport(), { rules: FAKE_RULES }) as { runs: { results: Record<string, unknown>[] }[] };
    sarif.runs[0]!.results[0]!.level = 'fatal';
    sarif.runs[0]!.results[0]!.message = {};
    expect(validateSarif(sarif)).toBe(false);
  });

  it('describes every registered rule', () => {
    const sarif = toSarif(fixtureReport()) as any;
    const ids = sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id);
    for (const meta of allRuleMetas()) expect(ids).toContain(meta.id);
    for (const rule of sarif.runs[0].tool.driver.rules) {
      expect(rule.name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
      expect(rule.helpUri).toBe(`https://github.com/stream-doctor/stream-doctor/blob/main/docs/rules/${rule.id}.md`);
    }
  });

  it('produces the expected run, rules and results', () => {
    const sarif = toSarif(fixtureReport(), { rules: FAKE_RULES }) as any;
    expect(sarif.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs).toHaveLength(1);
    const run = sarif.runs[0];
    expect(run.automationDetails).toEqual({ id: 'stream-doctor/scan/' });
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: 'file:///repo/' } });
    expect(run.tool.driver).toMatchObject({ name: 'stream-doctor', version: '0.1.0', informationUri: 'https://github.com/stream-doctor/stream-doctor' });
    expect(run.tool.driver.rules[0]).toEqual({
      id: 'stream-never-ended',
      name: 'StreamNeverEnded',
      shortDescription: { text: 'A streamified handler can resolve without ending the stream' },
      fullDescription: { text: 'The invocation runs until the function timeout.' },
      help: {
        text:
          'The invocation runs until the function timeout.\n\nEvidence: Runtime behaviour c.\n\nFixable mechanically: the finding says how.\n' +
          'Docs: https://github.com/stream-doctor/stream-doctor/blob/main/docs/rules/stream-never-ended.md',
        markdown:
          'The invocation runs until the function timeout.\n\n**Evidence:** Runtime behaviour c.\n\nFixable mechanically: the finding says how.\n\n' +
          '[Rule documentation](https://github.com/stream-doctor/stream-doctor/blob/main/docs/rules/stream-never-ended.md)',
      },
      helpUri: 'https://github.com/stream-doctor/stream-doctor/blob/main/docs/rules/stream-never-ended.md',
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['lambda', 'response-streaming', 'lifecycle'] },
    });
    expect(run.results).toEqual([
      {
        ruleId: 'known-bad-version',
        ruleIndex: 1,
        level: 'warning',
        message: { text: 'hono 4.1.2 buffers the whole response in its Lambda streaming adapter. (hono@4.1.2)\nFix: Upgrade hono to 4.2.0 or later.' },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'node_modules/hono/package.json', uriBaseId: '%SRCROOT%' }, region: { startLine: 1, startColumn: 1 } } }],
        partialFingerprints: { [FINGERPRINT_KEY]: '0123456789abcdef' },
        properties: { origin: 'dependency', fixable: true, package: 'hono@4.1.2' },
      },
      {
        ruleId: 'stream-never-ended',
        ruleIndex: 0,
        level: 'error',
        message: { text: 'The stream is never ended on this return path, so the invocation runs until the timeout.\nFix: Call responseStream.end() before returning.' },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'src/handler.ts', uriBaseId: '%SRCROOT%' },
              region: { startLine: 4, startColumn: 5, endLine: 4, endColumn: 12 },
            },
          },
        ],
        partialFingerprints: { 'streamDoctor/v1': 'fedcba9876543210' },
        properties: { origin: 'project', fixable: true },
      },
      {
        ruleId: 'stream-never-ended',
        ruleIndex: 0,
        level: 'error',
        message: { text: 'The stream is never ended on this return path.' },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'src/legacy.ts', uriBaseId: '%SRCROOT%' }, region: { startLine: 10, startColumn: 3 } } }],
        partialFingerprints: { 'streamDoctor/v1': '1111222233334444' },
        suppressions: [{ kind: 'inSource', justification: 'ended by the wrapper' }],
        properties: { origin: 'project', fixable: false },
      },
    ]);
    expect(run.invocations).toEqual([
      {
        executionSuccessful: true,
        toolExecutionNotifications: [
          {
            level: 'note',
            message: { text: 'Skipped dist/huge.js: larger than 5 MiB' },
            locations: [{ physicalLocation: { artifactLocation: { uri: 'dist/huge.js', uriBaseId: '%SRCROOT%' } } }],
          },
        ],
      },
    ]);
  });

  it('meets what GitHub code scanning requires of every result', () => {
    const sarif = toSarif(fixtureReport(), { rules: FAKE_RULES }) as any;
    const rules = sarif.runs[0].tool.driver.rules;
    for (const result of sarif.runs[0].results) {
      expect(rules[result.ruleIndex].id).toBe(result.ruleId);
      expect(result.message.text.length).toBeGreaterThan(0);
      expect(result.locations.length).toBeGreaterThanOrEqual(1);
      const { artifactLocation, region } = result.locations[0].physicalLocation;
      expect(artifactLocation.uri).not.toMatch(/^(\/|\.\.|[a-z]+:)/);
      expect(region.startLine).toBeGreaterThanOrEqual(1);
      expect(['error', 'warning', 'note']).toContain(result.level);
    }
  });

  it('maps info to note, baseline suppressions to external, and describes unknown rule ids', () => {
    const report: Report = {
      ...fixtureReport(),
      findings: [finding({ ruleId: 'directive-problem', severity: 'info', file: 'src/my file#1.ts' })],
      suppressed: [finding({ line: 3, suppressed: { kind: 'baseline', justification: 'accepted in the baseline' } })],
      skipped: [],
    };
    const sarif = toSarif(report, { rules: FAKE_RULES }) as any;
    const run = sarif.runs[0];
    const info = run.results.find((r: { ruleId: string }) => r.ruleId === 'directive-problem');
    const baselined = run.results.find((r: { suppressions?: unknown }) => r.suppressions);
    expect(info.level).toBe('note');
    expect(info.ruleIndex).toBe(2);
    expect(run.tool.driver.rules[2]).toMatchObject({ id: 'directive-problem', name: 'DirectiveProblem', defaultConfiguration: { level: 'note' } });
    expect(info.locations[0].physicalLocation.artifactLocation.uri).toBe('src/my%20file%231.ts');
    expect(baselined.suppressions).toEqual([{ kind: 'external', justification: 'accepted in the baseline' }]);
    expect(validateSarif(sarif)).toBe(true);
    expect(run.invocations[0].toolExecutionNotifications).toEqual([]);
  });

  it('makes URIs relative to cwd when the scanned root is inside it', () => {
    const report: Report = { ...fixtureReport(), root: '/repo/services/api' };
    const sarif = toSarif(report, { rules: FAKE_RULES, cwd: '/repo' }) as any;
    expect(sarif.runs[0].results[1].locations[0].physicalLocation.artifactLocation.uri).toBe('services/api/src/handler.ts');
    expect(sarif.runs[0].originalUriBaseIds['%SRCROOT%'].uri).toBe('file:///repo/');
  });

  it('converts rule ids to PascalCase names', () => {
    expect(pascalCase('known-bad-version')).toBe('KnownBadVersion');
    expect(pascalCase('cors/duplicate-headers')).toBe('CorsDuplicateHeaders');
  });
});

// ---- github ----------------------------------------------------------------------------------------

describe('github format', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'sd-github-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('prints one workflow command per finding, errors first, and a summary line', () => {
    expect(formatReport(fixtureReport(), 'github', { color: false, verbose: false })).toBe(
      [
        '::error file=src/handler.ts,line=4,col=5,endLine=4,endColumn=12,title=stream-never-ended::' +
          'The stream is never ended on this return path, so the invocation runs until the timeout.%0AFix: Call responseStream.end() before returning.',
        '::warning file=node_modules/hono/package.json,line=1,col=1,title=known-bad-version::' +
          'hono 4.1.2 buffers the whole response in its Lambda streaming adapter. (hono@4.1.2)%0AFix: Upgrade hono to 4.2.0 or later.',
        'stream-doctor: 2 problems (1 error, 1 warning, 0 info), 1 suppressed, 42 files scanned, 1 skipped',
        '',
      ].join('\n'),
    );
  });

  it('escapes messages and properties like actions/toolkit', () => {
    expect(escapeData('100% done\r\nnext')).toBe('100%25 done%0D%0Anext');
    expect(escapeProperty('a:b,c%d\ne')).toBe('a%3Ab%2Cc%25d%0Ae');
    const report: Report = {
      ...fixtureReport(),
      findings: [finding({ severity: 'info', file: 'src/a,b:c.ts', ruleId: 'rule:x,y', message: '50% of bodies\nlost: yes, really' })],
    };
    const first = formatGithub(report).split('\n')[0];
    expect(first).toBe('::notice file=src/a%2Cb%3Ac.ts,line=1,col=1,title=rule%3Ax%2Cy::50%25 of bodies%0Alost: yes, really');
  });

  it('prints at most 10 annotations per level and counts the rest in one final notice', () => {
    const many = (severity: Severity, count: number) =>
      Array.from({ length: count }, (_, i) => finding({ severity, line: i + 1, fingerprint: `${severity}${i}` }));
    const report: Report = { ...fixtureReport(), findings: [...many('error', 25), ...many('warning', 12), ...many('info', 15)] };
    const lines = formatGithub(report).trimEnd().split('\n');
    const count = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;
    expect(count('::error ')).toBe(ANNOTATIONS_PER_LEVEL);
    expect(count('::warning ')).toBe(ANNOTATIONS_PER_LEVEL);
    expect(count('::notice ')).toBe(ANNOTATIONS_PER_LEVEL); // 9 findings + the closing notice
    expect(lines.at(-2)).toBe(
      '::notice title=stream-doctor::23 more findings not annotated (GitHub shows at most 10 per level): ' +
        '15 errors, 2 warnings, 6 info; use --format sarif or json for the full list',
    );
    // The first errors by file and line are the ones shown.
    expect(lines[0]).toContain('line=1,');
  });

  it('points the closing notice at the job summary when one is written', () => {
    const file = path.join(tmp, 'capped.md');
    const report: Report = { ...fixtureReport(), findings: Array.from({ length: 11 }, (_, i) => finding({ line: i + 1 })) };
    const lines = formatGithub(report, { stepSummaryPath: file }).trimEnd().split('\n');
    expect(lines.at(-2)).toBe(
      '::notice title=stream-doctor::1 more finding not annotated (GitHub shows at most 10 per level): 1 error, 0 warnings, 0 info; the job summary lists all of them',
    );
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('| error |'))).toHaveLength(11);
  });

  it('adds no closing notice when nothing was left out', () => {
    const report: Report = {
      ...fixtureReport(),
      findings: Array.from({ length: 10 }, (_, i) => finding({ severity: 'info', line: i + 1 })),
    };
    const lines = formatGithub(report).trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('::notice ')).length).toBe(10);
    expect(lines.some((l) => l.includes('not annotated'))).toBe(false);
  });

  it('appends the Markdown summary with all findings to the step summary file', () => {
    const file = path.join(tmp, 'summary.md');
    writeFileSync(file, '# earlier step\n');
    const report = fixtureReport();
    report.findings.push(finding({ severity: 'info', file: 'src/x.ts', message: 'a | b <c>\nd' }));
    const out = formatReport(report, 'github', { color: false, verbose: false, stepSummaryPath: file, docsBaseUrl: 'https://example.com/sd' });
    expect(out).not.toContain('not annotated');
    const md = readFileSync(file, 'utf8');
    expect(md).toBe(
      [
        '# earlier step',
        '## stream-doctor',
        '',
        '**3 problems** (1 error, 1 warning, 1 info) · 2 fixable · 1 suppressed · 42 files scanned · 1 skipped',
        '',
        '| Severity | Rule | Location | Message |',
        '| --- | --- | --- | --- |',
        '| error | [`stream-never-ended`](https://example.com/sd/docs/rules/stream-never-ended.md) | `src/handler.ts:4` | The stream is never ended on this return path, so the invocation runs until the timeout.<br>Fix: Call responseStream.end() before returning. |',
        '| warning | [`known-bad-version`](https://example.com/sd/docs/rules/known-bad-version.md) | `node_modules/hono/package.json:1` | hono 4.1.2 buffers the whole response in its Lambda streaming adapter. (hono@4.1.2)<br>Fix: Upgrade hono to 4.2.0 or later. |',
        '| info | [`stream-never-ended`](https://example.com/sd/docs/rules/stream-never-ended.md) | `src/x.ts:1` | a \\| b &lt;c&gt;<br>d |',
        '',
        '<details><summary>1 skipped file</summary>',
        '',
        '| File | Reason |',
        '| --- | --- |',
        '| `dist/huge.js` | larger than 5 MiB |',
        '',
        '</details>',
        '',
        '',
      ].join('\n'),
    );
    // One renderer: the step summary is the --format markdown text, with the step summary's limits.
    expect(md.slice('# earlier step\n'.length)).toBe(formatReport(report, 'markdown', { color: false, verbose: false, docsBaseUrl: 'https://example.com/sd' }));
  });

  it('lists all findings in the summary even when annotations are capped', () => {
    const report: Report = {
      ...fixtureReport(),
      findings: Array.from({ length: 30 }, (_, i) => finding({ line: i + 1 })),
    };
    const md = stepSummaryMarkdown(report);
    expect(md.split('\n').filter((l) => l.startsWith('| error |'))).toHaveLength(30);
  });
});

// ---- markdown -------------------------------------------------------------------------------------

describe('markdown format', () => {
  const md = (report: Report, docsBaseUrl = '') => formatReport(report, 'markdown', { color: false, verbose: false, docsBaseUrl });

  it('counts by severity, then a table of the findings (most severe first) with rule links, file:line, message and fix', () => {
    expect(md(fixtureReport())).toBe(
      [
        '## stream-doctor',
        '',
        '**2 problems** (1 error, 1 warning, 0 info) · 2 fixable · 1 suppressed · 42 files scanned · 1 skipped',
        '',
        '| Severity | Rule | Location | Message |',
        '| --- | --- | --- | --- |',
        '| error | [`stream-never-ended`](docs/rules/stream-never-ended.md) | `src/handler.ts:4` | The stream is never ended on this return path, so the invocation runs until the timeout.<br>Fix: Call responseStream.end() before returning. |',
        '| warning | [`known-bad-version`](docs/rules/known-bad-version.md) | `node_modules/hono/package.json:1` | hono 4.1.2 buffers the whole response in its Lambda streaming adapter. (hono@4.1.2)<br>Fix: Upgrade hono to 4.2.0 or later. |',
        '',
        '<details><summary>1 skipped file</summary>',
        '',
        '| File | Reason |',
        '| --- | --- |',
        '| `dist/huge.js` | larger than 5 MiB |',
        '',
        '</details>',
        '',
        '',
      ].join('\n'),
    );
  });

  it('links rule pages under the base URL given, with or without a trailing slash, relative when it is empty', () => {
    expect(ruleDocsUrl('duplicate-cors', 'https://github.com/acme/sd/blob/v1.2.0/')).toBe('https://github.com/acme/sd/blob/v1.2.0/docs/rules/duplicate-cors.md');
    expect(ruleDocsUrl('duplicate-cors', 'https://gitlab.example/sd')).toBe('https://gitlab.example/sd/docs/rules/duplicate-cors.md');
    expect(ruleDocsUrl('duplicate-cors', '')).toBe('docs/rules/duplicate-cors.md');
    expect(md(fixtureReport(), 'https://h.example/r/')).toContain('[`stream-never-ended`](https://h.example/r/docs/rules/stream-never-ended.md)');
  });

  it("defaults to the package's repository, else relative links", () => {
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { repository?: unknown };
    expect(DEFAULT_DOCS_BASE_URL).toBe(repositoryFilesUrl(pkg.repository) ?? '');
    expect(ruleDocsUrl('duplicate-cors')).toBe(ruleDocsUrl('duplicate-cors', DEFAULT_DOCS_BASE_URL));
    expect(formatMarkdown(fixtureReport())).toContain(`(${ruleDocsUrl('stream-never-ended', DEFAULT_DOCS_BASE_URL)})`);
  });

  it('derives the file URL of every package.json repository form it can, and nothing for unknown hosts', () => {
    const github = 'https://github.com/acme/stream-doctor/blob/HEAD';
    for (const repository of [
      'acme/stream-doctor',
      'github:acme/stream-doctor',
      'https://github.com/acme/stream-doctor',
      'https://github.com/acme/stream-doctor.git',
      'git+https://github.com/acme/stream-doctor.git',
      'git://github.com/acme/stream-doctor.git',
      'git+ssh://git@github.com/acme/stream-doctor.git',
      'git@github.com:acme/stream-doctor.git',
      { type: 'git', url: 'git+https://github.com/acme/stream-doctor.git' },
    ]) {
      expect(repositoryFilesUrl(repository), JSON.stringify(repository)).toBe(github);
    }
    expect(repositoryFilesUrl({ type: 'git', url: 'https://github.com/acme/tools.git', directory: 'packages/stream-doctor/' })).toBe(
      'https://github.com/acme/tools/blob/HEAD/packages/stream-doctor',
    );
    expect(repositoryFilesUrl('gitlab:acme/stream-doctor')).toBe('https://gitlab.com/acme/stream-doctor/-/blob/HEAD');
    expect(repositoryFilesUrl('https://gitlab.com/group/sub/stream-doctor.git')).toBe('https://gitlab.com/group/sub/stream-doctor/-/blob/HEAD');
    expect(repositoryFilesUrl('bitbucket:acme/stream-doctor')).toBe('https://bitbucket.org/acme/stream-doctor/src/HEAD');
    for (const unknown of [undefined, '', 42, {}, 'https://git.example.com/acme/stream-doctor.git', 'not a url at all']) {
      expect(repositoryFilesUrl(unknown), JSON.stringify(unknown)).toBeUndefined();
    }
  });

  it('shows the top findings of a long list, errors first, and counts the rest by severity', () => {
    const many = (severity: Severity, count: number) => Array.from({ length: count }, (_, i) => finding({ severity, file: `src/${severity}.ts`, line: i + 1, fingerprint: `${severity}${i}` }));
    const report: Report = { ...fixtureReport(), findings: [...many('info', 30), ...many('warning', 30), ...many('error', 30)] };
    const lines = md(report).split('\n');
    const rows = lines.filter((l) => /^\| (error|warning|info) \|/.test(l));
    expect(rows).toHaveLength(COMMENT_LIMITS.maxFindings);
    expect(rows.slice(0, 30).every((l) => l.startsWith('| error |'))).toBe(true);
    expect(rows.slice(30).every((l) => l.startsWith('| warning |'))).toBe(true);
    expect(rows[0]).toContain('`src/error.ts:1`');
    expect(lines).toContain('…and 40 more findings (0 errors, 10 warnings, 30 info); the SARIF or JSON report lists all of them.');
    // The step summary, same renderer, lists all of them.
    expect(stepSummaryMarkdown(report).split('\n').filter((l) => /^\| (error|warning|info) \|/.test(l))).toHaveLength(90);
  });

  it('stops the table before the size budget and keeps the skipped files and the closing line', () => {
    const long = 'x'.repeat(5_000);
    const report: Report = { ...fixtureReport(), findings: Array.from({ length: 40 }, (_, i) => finding({ line: i + 1, message: long })) };
    const text = md(report);
    expect(text.length).toBeLessThanOrEqual(COMMENT_LIMITS.budget);
    const shown = text.split('\n').filter((l) => l.startsWith('| error |')).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(40);
    expect(text).toContain(`…and ${40 - shown} more findings (${40 - shown} errors, 0 warnings, 0 info)`);
    expect(text).toContain('<details><summary>1 skipped file</summary>');
    const limited = renderMarkdown(report, {}, { ...STEP_SUMMARY_LIMITS, budget: 12_000 });
    expect(limited.length).toBeLessThanOrEqual(12_000);
  });

  it('has a line for rule failures and for skipped files, listing a few of them', () => {
    const report: Report = {
      ...fixtureReport(),
      findings: [],
      internalErrors: [{ ruleId: 'duplicate-cors', file: 'template.yaml', message: 'boom | <bad>' }],
      skipped: Array.from({ length: 25 }, (_, i) => ({ file: `dist/big${String(i).padStart(2, '0')}.js`, reason: 'larger than 8 MiB' })),
    };
    const text = md(report);
    // a rule that failed may have hidden findings: never "No problems found"
    expect(text).toContain('no findings · 0 fixable · 1 suppressed · 42 files scanned · 25 skipped');
    expect(text).not.toContain('No problems found');
    expect(text).toContain('**1 rule failure**: findings may be missing, so the check cannot pass.\n\n- `duplicate-cors` on `template.yaml`: boom \\| &lt;bad&gt;\n');
    expect(text).toContain('<details><summary>25 skipped files</summary>');
    expect(text.split('\n').filter((l) => l.startsWith('| `dist/big'))).toHaveLength(COMMENT_LIMITS.maxSkippedListed);
    expect(text).toContain('…and 5 more; `--verbose` or the JSON report lists all of them.');
    expect(text).not.toContain('| Severity |');
  });

  it('names the API field of a live-function finding instead of a line, and paths relative to cwd', () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:chat';
    const live: Report = { ...fixtureReport(), root: 'aws:us-east-1', skipped: [], findings: [finding({ file: arn, field: 'FunctionUrlConfig($LATEST).InvokeMode' })] };
    expect(md(live)).toContain(`| error | [\`stream-never-ended\`](docs/rules/stream-never-ended.md) | \`${arn}\` \`FunctionUrlConfig($LATEST).InvokeMode\` | m |`);
    const nested: Report = { ...fixtureReport(), root: '/work/repo/services/api' };
    expect(formatReport(nested, 'markdown', { color: false, verbose: false, cwd: '/work/repo', docsBaseUrl: '' })).toContain('`services/api/src/handler.ts:4`');
  });
});

// ---- gitlab ---------------------------------------------------------------------------------------

/** The Code Quality report format, written from GitLab's documentation (its source URL is in its $comment). */
const CODE_QUALITY_SCHEMA = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/schemas/gitlab-code-quality.schema.json'), 'utf8'));
const validateCodeQuality = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(CODE_QUALITY_SCHEMA);

describe('gitlab format', () => {
  const gitlab = (report: Report, cwd?: string) => JSON.parse(formatReport(report, 'gitlab', { color: false, verbose: false, cwd }));

  it('validates against the Code Quality schema', () => {
    const report = fixtureReport();
    report.findings.push(finding({ severity: 'info', file: 'src/x.ts', line: 7 }));
    const issues = gitlab(report);
    expect(validateCodeQuality(issues), JSON.stringify(validateCodeQuality.errors)).toBe(true);
    expect(issues).toHaveLength(3);
  });

  it('the schema check is real: it rejects what GitLab would not read', () => {
    const valid = toCodeQuality(fixtureReport());
    const broken = (change: (issue: any) => void) => {
      const copy = JSON.parse(JSON.stringify(valid));
      change(copy[0]);
      return validateCodeQuality(copy);
    };
    expect(validateCodeQuality(valid)).toBe(true);
    expect(broken((i) => (i.severity = 'error'))).toBe(false);
    expect(broken((i) => delete i.fingerprint)).toBe(false);
    expect(broken((i) => delete i.location.lines)).toBe(false);
    expect(broken((i) => (i.location.lines.begin = '4'))).toBe(false);
    expect(broken((i) => (i.location.path = '/repo/src/handler.ts'))).toBe(false);
    expect(broken((i) => (i.location = { path: 'a.ts', positions: { begin: { line: 3 } } }))).toBe(true);
    expect(validateCodeQuality({ issues: valid })).toBe(false);
  });

  it('maps each finding: message, rule id, its fingerprint, severity and path:line', () => {
    expect(formatGitlab(fixtureReport())).toBe(
      `${JSON.stringify(
        [
          {
            description: 'hono 4.1.2 buffers the whole response in its Lambda streaming adapter. (hono@4.1.2)',
            check_name: 'known-bad-version',
            fingerprint: '0123456789abcdef',
            severity: 'minor',
            location: { path: 'node_modules/hono/package.json', lines: { begin: 1 } },
          },
          {
            description: 'The stream is never ended on this return path, so the invocation runs until the timeout.',
            check_name: 'stream-never-ended',
            fingerprint: 'fedcba9876543210',
            severity: 'critical',
            location: { path: 'src/handler.ts', lines: { begin: 4 } },
          },
        ],
        null,
        2,
      )}\n`,
    );
    expect(CODE_QUALITY_SEVERITY).toEqual({ error: 'critical', warning: 'minor', info: 'info' });
  });

  it('keeps fingerprints stable across line drift and unique within the report', () => {
    const at = (lines: number[]) => toCodeQuality({ ...fixtureReport(), findings: lines.map((line) => finding({ line, fingerprint: 'samecode00000000' })) });
    const before = at([10, 20, 30]);
    expect(before.map((i) => i.fingerprint)).toEqual(['samecode00000000', 'samecode00000000-2', 'samecode00000000-3']);
    // Code added above: the same issues keep their fingerprints.
    expect(at([15, 25, 35]).map((i) => i.fingerprint)).toEqual(before.map((i) => i.fingerprint));
    // Whatever the order the findings came in.
    const shuffled = toCodeQuality({ ...fixtureReport(), findings: [...fixtureReport().findings].reverse() });
    expect(shuffled).toEqual(toCodeQuality(fixtureReport()));
  });

  it('writes paths relative to the working directory, an empty array when clean, no byte order mark, no suppressed findings', () => {
    const nested: Report = { ...fixtureReport(), root: '/work/repo/services/api' };
    expect(gitlab(nested, '/work/repo').map((i: any) => i.location.path)).toEqual(['services/api/node_modules/hono/package.json', 'services/api/src/handler.ts']);
    const clean: Report = { ...fixtureReport(), findings: [] };
    expect(formatGitlab(clean)).toBe('[]\n');
    expect(formatGitlab(fixtureReport()).charCodeAt(0)).toBe('['.charCodeAt(0));
    expect(JSON.stringify(gitlab(fixtureReport()))).not.toContain('src/legacy.ts');
  });

  it('puts a multi-line message on one line', () => {
    const [issue] = toCodeQuality({ ...fixtureReport(), findings: [finding({ message: 'first line\n  second line' })] });
    expect(issue!.description).toBe('first line second line');
  });
});

// ---- index -----------------------------------------------------------------------------------------

describe('formatReport', () => {
  it('knows the six formats', () => {
    expect(FORMAT_NAMES).toEqual(['text', 'json', 'sarif', 'github', 'markdown', 'gitlab']);
    expect(isFormatName('sarif')).toBe(true);
    expect(isFormatName('stylish')).toBe(false);
    expect(() => formatReport(fixtureReport(), 'xml' as never, { color: false, verbose: false })).toThrow(/unknown format "xml"/);
  });
});
