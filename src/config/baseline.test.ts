import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import { applyBaseline, BaselineError, createBaseline, readBaseline, validateBaseline, writeBaseline } from './baseline.js';

function finding(overrides: Partial<Finding>): Finding {
  return {
    ruleId: 'stream-never-ended',
    severity: 'error',
    message: 'm',
    file: 'src/a.ts',
    line: 1,
    column: 1,
    fixable: false,
    fingerprint: 'aaaaaaaaaaaaaaaa',
    origin: 'project',
    ...overrides,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sd-baseline-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('baseline files', () => {
  it('round-trips, sorted and without line numbers', async () => {
    const file = path.join(dir, 'nested', '.stream-doctor-baseline.json');
    const findings = [
      finding({ file: 'src/b.ts', fingerprint: '2222222222222222', line: 40 }),
      finding({ file: 'src/a.ts', ruleId: 'write-after-end', fingerprint: '1111111111111111', line: 7 }),
      finding({ file: 'src/a.ts', fingerprint: '3333333333333333', line: 9 }),
    ];
    await writeBaseline(file, findings);
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(
      [
        '{',
        '  "version": 1,',
        '  "findings": [',
        '    {',
        '      "ruleId": "stream-never-ended",',
        '      "file": "src/a.ts",',
        '      "fingerprint": "3333333333333333"',
        '    },',
        '    {',
        '      "ruleId": "write-after-end",',
        '      "file": "src/a.ts",',
        '      "fingerprint": "1111111111111111"',
        '    },',
        '    {',
        '      "ruleId": "stream-never-ended",',
        '      "file": "src/b.ts",',
        '      "fingerprint": "2222222222222222"',
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
    const baseline = await readBaseline(file);
    expect(baseline).toEqual(createBaseline(findings));
    // Writing the same findings in another order gives the same bytes.
    await writeBaseline(file, [...findings].reverse());
    expect(readFileSync(file, 'utf8')).toBe(text);
    // Line drift: the same findings moved down still match the baseline.
    const moved = findings.map((f) => ({ ...f, line: f.line + 12 }));
    expect(applyBaseline(moved, baseline).kept).toEqual([]);
  });

  it('says clearly when the baseline file is missing', async () => {
    const file = path.join(dir, 'missing.json');
    await expect(readBaseline(file)).rejects.toThrow(BaselineError);
    await expect(readBaseline(file)).rejects.toThrow(/missing\.json: baseline file not found/);
  });

  it('rejects broken JSON and a wrong shape', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{"version": 1, "findings": [');
    await expect(readBaseline(file)).rejects.toThrow(/broken\.json: baseline is not valid JSON/);
    expect(() => validateBaseline({ version: 2, findings: [] }, 'b.json')).toThrow(/unsupported baseline "version" 2/);
    expect(() => validateBaseline({ version: 1 }, 'b.json')).toThrow(/"findings" must be an array/);
    expect(() => validateBaseline({ version: 1, findings: [{ ruleId: 'x', file: 'a.ts' }] }, 'b.json')).toThrow(
      /"findings\[0\]\.fingerprint" must be a non-empty string/,
    );
  });
});

describe('applyBaseline', () => {
  it('suppresses baselined findings with kind "baseline" and keeps new ones', () => {
    const old = finding({ fingerprint: '1111111111111111' });
    const fresh = finding({ fingerprint: '9999999999999999', line: 5 });
    const { kept, suppressed, unused } = applyBaseline([fresh, old], createBaseline([old]));
    expect(kept).toEqual([fresh]);
    expect(suppressed).toEqual([{ ...old, suppressed: { kind: 'baseline', justification: 'accepted in the baseline' } }]);
    expect(unused).toEqual([]);
  });

  it('is count-aware: one entry absorbs one finding, the second occurrence is new', () => {
    const first = finding({ fingerprint: 'dddddddddddddddd', line: 3 });
    const second = finding({ fingerprint: 'dddddddddddddddd', line: 30 });
    const baseline = createBaseline([first]);
    const { kept, suppressed } = applyBaseline([second, first], baseline);
    expect(suppressed.map((f) => f.line)).toEqual([3]);
    expect(kept).toEqual([second]);
    // Two entries absorb both.
    expect(applyBaseline([first, second], createBaseline([first, second])).kept).toEqual([]);
  });

  it('lists entries that matched nothing, for pruning', () => {
    const gone = finding({ fingerprint: 'eeeeeeeeeeeeeeee', file: 'src/gone.ts' });
    const { unused } = applyBaseline([], createBaseline([gone, gone]));
    expect(unused).toEqual([
      { ruleId: 'stream-never-ended', file: 'src/gone.ts', fingerprint: 'eeeeeeeeeeeeeeee' },
      { ruleId: 'stream-never-ended', file: 'src/gone.ts', fingerprint: 'eeeeeeeeeeeeeeee' },
    ]);
  });
});
