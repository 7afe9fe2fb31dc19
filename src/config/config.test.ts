import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import { applyConfig, ConfigError, loadConfig, validateConfig } from './config.js';

const KNOWN = new Set(['stream-never-ended', 'known-bad-version', 'duplicate-cors']);
const isKnownRule = (id: string) => KNOWN.has(id);

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'sd-config-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const write = (name: string, text: string) => writeFileSync(path.join(root, name), text);

async function loadError(explicit?: string): Promise<ConfigError> {
  try {
    await loadConfig(root, explicit, { isKnownRule });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('returns an empty config without a source when there is no configuration', async () => {
    expect(await loadConfig(root, undefined, { isKnownRule })).toEqual({ config: {} });
    write('package.json', '{"name":"app"}');
    expect(await loadConfig(root, undefined, { isKnownRule })).toEqual({ config: {} });
  });

  it('reads stream-doctor.config.json', async () => {
    write(
      'stream-doctor.config.json',
      JSON.stringify({
        $schema: './node_modules/stream-doctor/schema.json',
        rules: { 'stream-never-ended': 'warning', 'duplicate-cors': 'off' },
        include: ['src/**'],
        exclude: ['**/*.test.ts'],
        failOn: 'warning',
        baseline: '.stream-doctor-baseline.json',
      }),
    );
    const { config, source } = await loadConfig(root, undefined, { isKnownRule });
    expect(source).toBe(path.join(root, 'stream-doctor.config.json'));
    expect(config).toEqual({
      rules: { 'stream-never-ended': 'warning', 'duplicate-cors': 'off' },
      include: ['src/**'],
      exclude: ['**/*.test.ts'],
      failOn: 'warning',
      baseline: '.stream-doctor-baseline.json',
    });
  });

  it('reads the "stream-doctor" key of package.json', async () => {
    write('package.json', JSON.stringify({ name: 'app', 'stream-doctor': { failOn: 'none', rules: { 'known-bad-version': 'info' } } }));
    const { config, source } = await loadConfig(root, undefined, { isKnownRule });
    expect(source).toBe(path.join(root, 'package.json'));
    expect(config).toEqual({ failOn: 'none', rules: { 'known-bad-version': 'info' } });
  });

  it('reads an explicit path, including a package.json', async () => {
    write('custom.json', '{"failOn":"error"}');
    expect((await loadConfig(root, path.join(root, 'custom.json'), { isKnownRule })).config).toEqual({ failOn: 'error' });
    write('package.json', '{"stream-doctor":{"failOn":"info"}}');
    expect((await loadConfig(root, path.join(root, 'package.json'), { isKnownRule })).config).toEqual({ failOn: 'info' });
  });

  it('rejects a missing explicit file', async () => {
    const error = await loadError(path.join(root, 'nope.json'));
    expect(error.message).toMatch(/nope\.json: configuration file not found$/);
  });

  it('rejects invalid JSON, naming the file and the position', async () => {
    write('stream-doctor.config.json', '{\n  "failOn": "error",\n}\n');
    const error = await loadError();
    expect(error.message).toMatch(/stream-doctor\.config\.json: invalid JSON \(.*line 3 column 1/);
    expect(error.message).not.toContain('\n');
  });

  it('rejects invalid JSON in package.json too', async () => {
    write('package.json', '{ "name": ');
    expect((await loadError()).message).toMatch(/package\.json: invalid JSON/);
  });

  it('rejects an unknown rule id, naming the file and key', async () => {
    write('stream-doctor.config.json', '{"rules":{"stream-never-endd":"error"}}');
    const error = await loadError();
    expect(error.message).toMatch(/stream-doctor\.config\.json: "rules\.stream-never-endd" is not a known rule/);
  });

  it('rejects a bad severity and suggests the right spelling', async () => {
    write('package.json', '{"stream-doctor":{"rules":{"stream-never-ended":"warn"}}}');
    const error = await loadError();
    expect(error.message).toMatch(/package\.json#stream-doctor: "rules\.stream-never-ended" must be one of "error", "warning", "info", "off", got "warn"; did you mean "warning"\?/);
  });

  it('rejects unknown keys and bad values of every key', async () => {
    const cases: [unknown, RegExp][] = [
      [[], /must be a JSON object, got an array/],
      [{ rule: {} }, /unknown key "rule"/],
      [{ rules: [] }, /"rules" must be an object/],
      [{ include: 'src/**' }, /"include" must be an array of glob strings/],
      [{ exclude: ['ok', ''] }, /"exclude\[1\]" must be a non-empty glob string/],
      [{ failOn: 'warn' }, /"failOn" must be one of "error", "warning", "info", "none", got "warn"; did you mean "warning"\?/],
      [{ failOn: 2 }, /"failOn" must be one of .* got number 2/],
      [{ baseline: true }, /"baseline" must be a non-empty path string, got boolean true/],
    ];
    for (const [raw, pattern] of cases) {
      expect(() => validateConfig(raw, 'cfg.json', isKnownRule)).toThrow(pattern);
      expect(() => validateConfig(raw, 'cfg.json', isKnownRule)).toThrow(ConfigError);
    }
  });

  it('refuses two sources of configuration', async () => {
    write('stream-doctor.config.json', '{}');
    write('package.json', '{"stream-doctor":{}}');
    expect((await loadError()).message).toMatch(/stream-doctor\.config\.json: configuration is also set in .*package\.json#stream-doctor; keep only one/);
  });

  it('checks rule ids against the registry by default (loaded only for a configuration with rules)', async () => {
    write('stream-doctor.config.json', '{"rules":{"known-bad-version":"off"}}');
    expect(await loadConfig(root)).toMatchObject({ config: { rules: { 'known-bad-version': 'off' } } });
    write('stream-doctor.config.json', '{"rules":{"no-such-rule":"off"}}');
    await expect(loadConfig(root)).rejects.toThrow(/"rules\.no-such-rule" is not a known rule/);
  });

  it('accepts a UTF-8 byte order mark', async () => {
    write('stream-doctor.config.json', '\ufeff{"failOn":"none"}');
    expect((await loadConfig(root, undefined, { isKnownRule })).config).toEqual({ failOn: 'none' });
  });
});

describe('applyConfig', () => {
  const base: Omit<Finding, 'ruleId' | 'severity'> = {
    message: 'm', file: 'a.ts', line: 1, column: 1, fixable: false, fingerprint: 'f', origin: 'project',
  };
  const findings: Finding[] = [
    { ...base, ruleId: 'stream-never-ended', severity: 'error' },
    { ...base, ruleId: 'duplicate-cors', severity: 'warning' },
    { ...base, ruleId: 'known-bad-version', severity: 'error' },
  ];

  it('remaps severities and drops rules that are off, without touching the input', () => {
    const out = applyConfig(findings, { rules: { 'stream-never-ended': 'info', 'duplicate-cors': 'off' } });
    expect(out.map((f) => [f.ruleId, f.severity])).toEqual([
      ['stream-never-ended', 'info'],
      ['known-bad-version', 'error'],
    ]);
    expect(findings[0]!.severity).toBe('error');
    expect(findings).toHaveLength(3);
  });

  it('leaves findings alone without rules', () => {
    expect(applyConfig(findings, {})).toEqual(findings);
  });
});
