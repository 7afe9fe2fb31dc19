/**
 * `stream-doctor/eslint` in-process (ESLint's Linter and RuleTester, flat config): the rule list, messages,
 * locations against `scan`'s own findings on every rule fixture, disable comments, fix vs suggestion, the
 * shared per-file analysis, and the import cost; then the packed tarball under the real `eslint` binary in a
 * fresh project, installed once per tarball hash under test/.tmp/eslint-e2e/ (npm pack writes fixed mtimes, so
 * an unchanged package hashes the same).
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Linter, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it, vi } from 'vitest';
import plugin from '../src/eslint/index.js';
import { analysisFor } from '../src/eslint/analysis.js';
import type { StreamDoctorPlugin } from '../types/eslint.js';
import { registry } from '../src/checks/index.js';
import { STREAMING_MARKERS, analyzeSource } from '../src/code/analyze.js';
import { codeRules } from '../src/checks/code/index.js';
import { codeFixersById } from '../src/fix/code/index.js';

const repo = path.resolve(import.meta.dirname, '..');
const fixtures = path.join(repo, 'test/fixtures/rules');

// The hand-written declaration (types/eslint.d.ts) must describe the implementation.
const typed: StreamDoctorPlugin = plugin;

const codeSurface = registry.filter((rule) => rule.meta.surface === 'code');

/** Every rule on, at every stream-doctor severity, so the comparison with `scan` is complete. */
function allRulesConfig(minSeverity = 'info'): Linter.Config[] {
  return [
    {
      files: ['**/*.{js,mjs,cjs,jsx,ts,mts,cts,tsx}'],
      languageOptions: { parser: tseslint.parser as Linter.Parser, parserOptions: { ecmaFeatures: { jsx: true } } },
      plugins: { 'stream-doctor': plugin },
      rules: Object.fromEntries(codeSurface.map((r) => [`stream-doctor/${r.meta.id}`, ['error', { minSeverity }]])),
    },
  ];
}

const STREAM_NEVER_ENDED = `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  if (event.body) {
    responseStream.write(event.body);
    responseStream.end();
  }
});
`;

function lint(text: string, filename = 'handler.mjs', config: Linter.Config[] = [plugin.configs.recommended]) {
  return new Linter().verify(text, config, { filename });
}

describe('the plugin', () => {
  it('exposes exactly the registered code rules, with their messages, docs pages and default severities', () => {
    expect(Object.keys(typed.rules).sort()).toEqual(codeSurface.map((r) => r.meta.id).sort());
    for (const rule of codeSurface) {
      const eslintRule = plugin.rules[rule.meta.id]!;
      expect(eslintRule.meta?.messages).toEqual(rule.messages);
      expect(eslintRule.meta?.docs?.url).toMatch(new RegExp(`docs/rules/${rule.meta.id}\\.md$`));
      expect(eslintRule.meta?.fixable === 'code').toBe(codeFixersById.has(rule.meta.id));
      const expected = { error: 'error', warning: 'warn', info: 'off' }[rule.meta.severity];
      expect(plugin.configs.recommended.rules?.[`stream-doctor/${rule.meta.id}`], rule.meta.id).toBe(expected);
    }
    expect(plugin.configs.recommended.plugins?.['stream-doctor']).toBe(plugin);
  });

  it('reports a never-ended stream under the recommended config: rule id, message id, line, column, severity', () => {
    const [message, ...rest] = lint(STREAM_NEVER_ENDED);
    expect(rest).toEqual([]);
    expect(message).toMatchObject({ ruleId: 'stream-doctor/stream-never-ended', messageId: 'hangsOnBranch', severity: 2, line: 2, column: 3 });
  });

  it('reports what `scan` reports on every rule fixture, at the same lines and columns', () => {
    let compared = 0;
    for (const id of readdirSync(fixtures)) {
      for (const name of readdirSync(path.join(fixtures, id))) {
        if (!/\.(m|c)?(j|t)sx?$/.test(name)) continue;
        const rel = `${id}/${name}`;
        const text = readFileSync(path.join(fixtures, rel), 'utf8');
        // `scan` only analyses files with a streaming marker (the walker's prefilter); so does the plugin.
        const scanned = STREAMING_MARKERS.some((marker) => text.includes(marker));
        const expected = (scanned ? analyzeSource({ rel, text, origin: 'project' }, codeRules).findings : []).map((f) => `stream-doctor/${f.ruleId}:${f.messageId}@${f.line}:${f.column}-${f.endLine}:${f.endColumn}`)
          .sort();
        const messages = new Linter().verify(text, allRulesConfig(), { filename: rel });
        const fatal = messages.find((m) => m.fatal);
        if (fatal) continue; // ESLint's parser rejects the file (handler-syntax-error fixtures): ESLint says so itself
        const actual = messages.map((m) => `${m.ruleId}:${m.messageId}@${m.line}:${m.column}-${m.endLine}:${m.endColumn}`).sort();
        expect(actual, rel).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(150);
  });

  it('maps offsets to ESLint locations across CRLF line ends, a BOM and astral characters', () => {
    const text = '\uFEFF// 🚀 launch\r\n' + STREAM_NEVER_ENDED.replace(/\n/g, '\r\n').replace('if (event.body)', '/* é🚀 */ if (event.body)');
    const [message] = lint(text);
    // The column of `if` as the editor counts it (UTF-16 units, 1-based in ESLint's output): after 2 spaces and
    // `/* é🚀 */ ` (the rocket is two units), on line 3 (the BOM is not a character of the text).
    expect(message).toMatchObject({ ruleId: 'stream-doctor/stream-never-ended', line: 3, column: 13, endLine: 3 });
    const line = text.slice(1).split('\r\n')[2]!;
    expect(line.indexOf('if (event.body)') + 1).toBe(13);
  });

  it('honours stream-doctor-disable-next-line (with a reason only) and eslint-disable comments', () => {
    const withDirective = (comment: string) => STREAM_NEVER_ENDED.replace('  if (event.body) {', `  ${comment}\n  if (event.body) {`);
    expect(lint(withDirective('// stream-doctor-disable-next-line stream-never-ended -- body is always set here'))).toEqual([]);
    // Without a reason a directive suppresses nothing (as in `scan`).
    expect(lint(withDirective('// stream-doctor-disable-next-line stream-never-ended')).map((m) => m.ruleId)).toEqual(['stream-doctor/stream-never-ended']);
    expect(lint(withDirective('// stream-doctor-disable-next-line write-after-end -- other rule')).map((m) => m.ruleId)).toEqual(['stream-doctor/stream-never-ended']);
    expect(lint(withDirective('// eslint-disable-next-line stream-doctor/stream-never-ended'))).toEqual([]);
    expect(lint(`/* eslint-disable stream-doctor/stream-never-ended */\n${STREAM_NEVER_ENDED}`)).toEqual([]);
  });

  it('offers the edits `stream-doctor fix` keeps: a fix when safe, a suggestion when the edit trades one bug for another', () => {
    // stream-never-ended's fixer: validated, no trade-off -> `eslint --fix` applies it.
    const linter = new Linter();
    const fixed = linter.verifyAndFix(STREAM_NEVER_ENDED, [plugin.configs.recommended], { filename: 'handler.mjs' });
    expect(fixed.fixed).toBe(true);
    expect(fixed.messages).toEqual([]);
    expect(lint(fixed.output)).toEqual([]);

    // pipe-without-error-propagation's fixer declares it may leave unawaited-stream-pump behind: a suggestion.
    const before = readFileSync(path.join(repo, 'test/fixtures/fix/pipe-without-error-propagation/download.before.mjs'), 'utf8');
    const pipe = lint(before).filter((m) => m.ruleId === 'stream-doctor/pipe-without-error-propagation');
    expect(pipe.length).toBeGreaterThan(0);
    for (const message of pipe) {
      expect(message.fix).toBeUndefined();
      expect(message.suggestions?.length).toBe(1);
    }

    // write-after-end in straight-line code: fix moves end() after the write, so the plugin offers it.
    const writeAfterEnd = `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.end();
  responseStream.write("late");
});
`;
    const late = lint(writeAfterEnd).filter((m) => m.ruleId === 'stream-doctor/write-after-end');
    expect(late).toHaveLength(1);
    expect(late[0]!.fix).toBeDefined();

    // A rule without a fixer offers neither.
    const drainOnly = `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  if (!responseStream.write("x")) await new Promise((resolve) => responseStream.once("drain", resolve));
  responseStream.end();
});
`;
    const drain = lint(drainOnly).filter((m) => m.ruleId === 'stream-doctor/drain-wait-without-close');
    expect(drain).toHaveLength(1);
    expect(drain[0]).not.toHaveProperty('fix');
    expect(drain[0]).not.toHaveProperty('suggestions');
  });

  it('matches `stream-doctor fix` on the fix fixtures it applies without a trade-off', () => {
    const dir = path.join(repo, 'test/fixtures/fix/stream-never-ended');
    for (const name of readdirSync(dir).filter((n) => n.includes('.before.') && n.endsWith('.mjs'))) {
      const text = readFileSync(path.join(dir, name), 'utf8');
      const out = new Linter().verifyAndFix(text, allRulesConfig('warning'), { filename: name });
      expect(out.output, name).toBe(readFileSync(path.join(dir, name.replace('.before.', '.after.')), 'utf8'));
    }
  });

  it('follows relative imports inside the ESLint working directory, as `scan` follows them inside its root', () => {
    const dir = path.join(repo, 'test/.tmp/eslint-imports');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'send.mjs'), 'export async function send(stream, body) {\n  stream.write(body);\n}\n');
    const handler = `import { send } from "./send.mjs";
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  await send(responseStream, event.body);
});
`;
    writeFileSync(path.join(dir, 'handler.mjs'), handler);
    const scan = analyzeSource({ rel: 'handler.mjs', text: handler, origin: 'project', abs: path.join(dir, 'handler.mjs'), root: dir }, codeRules).findings;
    expect(scan.map((f) => f.ruleId)).toContain('stream-never-ended');
    const messages = new Linter({ cwd: dir }).verify(handler, [plugin.configs.recommended], { filename: path.join(dir, 'handler.mjs') });
    expect(messages.map((m) => `${m.ruleId}@${m.line}`)).toEqual(scan.filter((f) => f.severity !== 'info').map((f) => `stream-doctor/${f.ruleId}@${f.line}`));
    // Without a real path (stdin) nothing is followed: the stream escapes into send() and the analysis stays quiet.
    expect(lint(handler).filter((m) => m.ruleId === 'stream-doctor/stream-never-ended')).toEqual([]);
  });

  it('does not call a handler unstreamified when another module of the project streamifies it (as `scan`)', () => {
    const dir = path.join(repo, 'test/.tmp/eslint-streamified-elsewhere');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const raw = 'export const handler = async (event, responseStream) => {\n  responseStream.write("hi");\n  responseStream.end();\n};\n';
    writeFileSync(path.join(dir, 'raw.mjs'), raw);
    const lintRaw = () =>
      new Linter({ cwd: dir }).verify(raw, [plugin.configs.recommended], { filename: path.join(dir, 'raw.mjs') }).map((m) => m.ruleId);
    expect(lintRaw()).toEqual(['stream-doctor/streaming-handler-not-streamified']);
    writeFileSync(path.join(dir, 'index.mjs'), 'import { handler as raw } from "./raw.mjs";\nexport const handler = awslambda.streamifyResponse(raw);\n');
    // The same text, a new lint run (the cache is per text: touch the text to recompute).
    expect(new Linter({ cwd: dir }).verify(`${raw}\n`, [plugin.configs.recommended], { filename: path.join(dir, 'raw.mjs') })).toEqual([]);
  });

  it('fails the lint run, naming the rule, when a rule throws (scan: an internal error, exit 2), never a silent pass', () => {
    const rule = codeRules.find((r) => r.meta.id === 'stream-never-ended')!;
    const spy = vi.spyOn(rule, 'check').mockImplementation(() => {
      throw new Error('boom');
    });
    try {
      expect(() => lint(`${STREAM_NEVER_ENDED}// throwing\n`)).toThrow(/stream-doctor rule stream-never-ended failed on handler\.mjs: boom/);
    } finally {
      spy.mockRestore();
    }
  });

  it('runs one analysis per file and text, shared by every rule', () => {
    const first = analysisFor('/nowhere/a.mjs', STREAM_NEVER_ENDED, '/nowhere');
    expect(analysisFor('/nowhere/a.mjs', STREAM_NEVER_ENDED, '/nowhere')).toBe(first);
    expect(analysisFor('/nowhere/a.mjs', `${STREAM_NEVER_ENDED}\n`, '/nowhere')).not.toBe(first);
    expect(analysisFor('/nowhere/b.mjs', STREAM_NEVER_ENDED, '/nowhere')).not.toBe(first);
    // A file without a streaming marker is not parsed at all.
    expect(analysisFor('/nowhere/c.mjs', 'export const x = stream.write(1);', '/nowhere').byRule.size).toBe(0);
  });

  it('lowers nothing silently: info-graded problems of warning/error rules need minSeverity info', () => {
    const info = `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  for (const chunk of event.chunks) responseStream.write(chunk);
  responseStream.end();
});
`;
    // write-without-backpressure is an info rule: off in recommended, on with its own default threshold.
    expect(lint(info).filter((m) => m.ruleId === 'stream-doctor/write-without-backpressure')).toEqual([]);
    const on: Linter.Config[] = [plugin.configs.recommended, { rules: { 'stream-doctor/write-without-backpressure': 'warn' } }];
    const reported = lint(info, 'handler.mjs', on).filter((m) => m.ruleId === 'stream-doctor/write-without-backpressure');
    const scan = analyzeSource({ rel: 'handler.mjs', text: info, origin: 'project' }, codeRules).findings.filter((f) => f.ruleId === 'write-without-backpressure');
    expect(reported.map((m) => m.line)).toEqual(scan.map((f) => f.line));
  });

  it('loads the code analysis only: no infrastructure readers, WASM parsers, AWS clients or CLI', () => {
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^;]*?from\s+'([^']+)'/gm)) {
        const specifier = match[1]!;
        if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
        else external.add(specifier);
      }
    };
    visit(path.join(repo, 'src/eslint/index.ts'));
    expect([...external].sort()).toEqual(['node:crypto', 'node:fs', 'node:path', 'node:url', 'oxc-parser']);
    const files = [...seen].map((f) => path.relative(path.join(repo, 'src'), f));
    expect(files.filter((f) => /^(iac|aws|verify|probe|commands|cli)\//.test(f) || /python/.test(f))).toEqual([]);
  });
});

describe('RuleTester (flat config)', () => {
  const tester = new RuleTester({ languageOptions: { ecmaVersion: 'latest', sourceType: 'module' } });
  it('stream-never-ended', () => {
    tester.run('stream-never-ended', plugin.rules['stream-never-ended']!, {
      valid: [
        `export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  try { responseStream.write(event.body ?? ""); } finally { responseStream.end(); }
});`,
        'export const plain = (event) => ({ statusCode: 200 });',
      ],
      invalid: [
        {
          code: STREAM_NEVER_ENDED,
          errors: [{ messageId: 'hangsOnBranch', line: 2, column: 3 }],
          output: lint(STREAM_NEVER_ENDED).length > 0 ? new Linter().verifyAndFix(STREAM_NEVER_ENDED, [plugin.configs.recommended], { filename: 'handler.mjs' }).output : null,
        },
      ],
    });
  });

  it('pipe-without-error-propagation (suggestion only)', () => {
    const code = `import { createReadStream } from "node:fs";
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  createReadStream("/tmp/file").pipe(responseStream);
});`;
    const messages = lint(code).filter((m) => m.ruleId === 'stream-doctor/pipe-without-error-propagation');
    expect(messages).toHaveLength(1);
    tester.run('pipe-without-error-propagation', plugin.rules['pipe-without-error-propagation']!, {
      valid: [],
      invalid: [
        {
          code,
          errors: [
            {
              messageId: messages[0]!.messageId!,
              line: messages[0]!.line,
              suggestions: messages[0]!.suggestions!.map((s) => ({ desc: s.desc, output: applySuggestion(code, s.fix) })),
            },
          ],
        },
      ],
    });
  });
});

function applySuggestion(text: string, fix: { range: [number, number]; text: string }): string {
  return text.slice(0, fix.range[0]) + fix.text + text.slice(fix.range[1]);
}

const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean }>;
};

/** The AWS SDK tree the lock tested (see test/package.test.ts: the registry can list a release whose dependency it lacks). */
function sdkOverrides(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(lock.packages)) {
    const m = /^node_modules\/((?:@aws-sdk|@smithy|@aws-crypto)\/[^/]+)$/.exec(key);
    if (m && !entry.dev && entry.version) out[m[1]!] = entry.version;
  }
  return out;
}

/** Packs the repository (dist/ built by `npm test`) and installs it with eslint@9 once per tarball content. */
function installedProject(): string {
  const packDir = path.join(repo, 'test/.tmp/eslint-e2e/pack');
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  // --ignore-scripts: `prepack` would rebuild dist/ while other test files read it.
  const name = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], { cwd: repo, encoding: 'utf8' }).trim().split('\n').pop()!;
  const tarball = path.join(packDir, name);
  const hash = createHash('sha256').update(readFileSync(tarball)).digest('hex').slice(0, 16);
  const app = path.join(repo, 'test/.tmp/eslint-e2e', hash);
  const done = path.join(app, '.installed');
  if (!existsSync(done)) {
    // Installs of earlier tarballs are not needed any more (each is a full production tree).
    for (const old of readdirSync(path.dirname(app))) if (old !== 'pack') rmSync(path.join(path.dirname(app), old), { recursive: true, force: true });
    mkdirSync(app, { recursive: true });
    const kept = path.join(app, name);
    writeFileSync(kept, readFileSync(tarball));
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module', overrides: sdkOverrides() }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', 'eslint@9', `./${name}`], { cwd: app, stdio: 'ignore' });
    writeFileSync(done, new Date().toISOString());
  }
  return app;
}

describe('stream-doctor/eslint from the packed tarball', () => {
  it('reports a never-ended stream as an error through `eslint --format json` with the recommended config', { timeout: 600_000 }, () => {
    const app = installedProject();
    writeFileSync(path.join(app, 'eslint.config.js'), "import streamDoctor from 'stream-doctor/eslint';\nexport default [streamDoctor.configs.recommended];\n");
    mkdirSync(path.join(app, 'src'), { recursive: true });
    writeFileSync(path.join(app, 'src/handler.mjs'), STREAM_NEVER_ENDED);
    writeFileSync(path.join(app, 'src/plain.mjs'), 'export const add = (a, b) => a + b;\n');
    const run = spawnSync(path.join(app, 'node_modules/.bin/eslint'), ['--format', 'json', 'src'], { cwd: app, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(1); // errors found
    const results = JSON.parse(run.stdout) as Array<{ filePath: string; messages: Array<Record<string, unknown>> }>;
    const byFile = Object.fromEntries(results.map((r) => [path.relative(app, r.filePath), r.messages]));
    expect(byFile['src/plain.mjs']).toEqual([]);
    expect(byFile['src/handler.mjs']).toHaveLength(1);
    expect(byFile['src/handler.mjs']![0]).toMatchObject({
      ruleId: 'stream-doctor/stream-never-ended',
      messageId: 'hangsOnBranch',
      severity: 2,
      line: 2,
      column: 3,
    });
    // The fix `stream-doctor fix` would make is offered to `eslint --fix`.
    expect(byFile['src/handler.mjs']![0]).toHaveProperty('fix');
  });

  it('ships types: a TypeScript config importing stream-doctor/eslint type-checks against eslint\'s own types', { timeout: 600_000 }, () => {
    const app = installedProject();
    writeFileSync(
      path.join(app, 'check.mts'),
      [
        "import streamDoctor from 'stream-doctor/eslint';",
        "import type { Linter } from 'eslint';",
        "const config: Linter.Config[] = [streamDoctor.configs.recommended, { rules: { 'stream-doctor/prelude-not-flushed': ['error', { minSeverity: 'info' }] } }];",
        'export default config;',
        '',
      ].join('\n'),
    );
    const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', 'check.mts'], { cwd: app, encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
