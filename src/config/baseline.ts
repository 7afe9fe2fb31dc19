import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../model/finding.js';
import { BaselineError } from './errors.js';

/**
 * `.stream-doctor-baseline.json`: the findings a team has accepted, so that a CI gate fails on new
 * findings only. Entries carry no line numbers (the fingerprint is line-independent), so the
 * baseline survives code moving around. One entry per finding: two identical findings need two
 * entries, and a third one is new.
 */

export const BASELINE_FILE_NAME = '.stream-doctor-baseline.json';

export interface BaselineEntry {
  ruleId: string;
  file: string;
  fingerprint: string;
}

export interface Baseline {
  version: 1;
  findings: BaselineEntry[];
}

export { BaselineError };

export const BASELINE_JUSTIFICATION = 'accepted in the baseline';

export async function readBaseline(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new BaselineError(`${file}: baseline file not found; write one from the current findings first, or fix the path`);
    }
    throw new BaselineError(`${file}: baseline file cannot be read (${code ?? (error as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new BaselineError(`${file}: baseline is not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  return validateBaseline(raw, file);
}

/** Checks the shape of a parsed baseline; `where` names the file in the error. */
export function validateBaseline(raw: unknown, where: string): Baseline {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BaselineError(`${where}: baseline must be a JSON object with "version" and "findings"`);
  }
  const record = raw as Record<string, unknown>;
  if (record.version !== 1) {
    throw new BaselineError(`${where}: unsupported baseline "version" ${JSON.stringify(record.version)} (this stream-doctor reads version 1)`);
  }
  if (!Array.isArray(record.findings)) throw new BaselineError(`${where}: baseline "findings" must be an array`);
  const findings = record.findings.map((entry: unknown, index: number): BaselineEntry => {
    const e = entry as Record<string, unknown> | null;
    for (const key of ['ruleId', 'file', 'fingerprint'] as const) {
      if (typeof e !== 'object' || e === null || typeof e[key] !== 'string' || e[key] === '') {
        throw new BaselineError(`${where}: baseline "findings[${index}].${key}" must be a non-empty string`);
      }
    }
    return { ruleId: e!.ruleId as string, file: e!.file as string, fingerprint: e!.fingerprint as string };
  });
  return { version: 1, findings };
}

/** The baseline for a set of findings: one entry per finding, sorted by file, rule and fingerprint. */
export function createBaseline(findings: readonly Finding[]): Baseline {
  const entries = findings.map(({ ruleId, file, fingerprint }) => ({ ruleId, file, fingerprint }));
  entries.sort((a, b) => compareText(a.file, b.file) || compareText(a.ruleId, b.ruleId) || compareText(a.fingerprint, b.fingerprint));
  return { version: 1, findings: entries };
}

/** Deterministic text: 2-space indentation, one key order, trailing newline. */
export function serializeBaseline(baseline: Baseline): string {
  return `${JSON.stringify({ version: baseline.version, findings: baseline.findings.map(({ ruleId, file, fingerprint }) => ({ ruleId, file, fingerprint })) }, null, 2)}\n`;
}

export async function writeBaseline(file: string, findings: readonly Finding[]): Promise<Baseline> {
  const baseline = createBaseline(findings);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, serializeBaseline(baseline), 'utf8');
  return baseline;
}

/**
 * Moves findings whose fingerprint is in the baseline to `suppressed` (kind 'baseline'). Matching is
 * count-aware: each entry absorbs one finding, so a second occurrence of a baselined problem is new.
 * When there are more findings than entries for one fingerprint, the earliest findings (by line,
 * then column) are the baselined ones. `unused` lists the entries that matched nothing (stale: fixed
 * or moved), for pruning. `kept` and `suppressed` keep the input order.
 */
export function applyBaseline(
  findings: readonly Finding[],
  baseline: Baseline,
): { kept: Finding[]; suppressed: Finding[]; unused: BaselineEntry[] } {
  const remaining = new Map<string, BaselineEntry[]>();
  for (const entry of baseline.findings) {
    const list = remaining.get(entry.fingerprint);
    if (list) list.push(entry);
    else remaining.set(entry.fingerprint, [entry]);
  }

  const order = findings
    .map((finding, index) => ({ finding, index }))
    .sort((a, b) => a.finding.line - b.finding.line || a.finding.column - b.finding.column || a.index - b.index);
  const matched = new Set<number>();
  for (const { finding, index } of order) {
    const list = remaining.get(finding.fingerprint);
    if (list && list.length > 0) {
      list.shift();
      matched.add(index);
    }
  }

  const kept: Finding[] = [];
  const suppressed: Finding[] = [];
  findings.forEach((finding, index) => {
    if (matched.has(index)) suppressed.push({ ...finding, suppressed: { kind: 'baseline', justification: BASELINE_JUSTIFICATION } });
    else kept.push(finding);
  });
  const unused = [...remaining.values()].flat();
  unused.sort((a, b) => compareText(a.file, b.file) || compareText(a.ruleId, b.ruleId) || compareText(a.fingerprint, b.fingerprint));
  return { kept, suppressed, unused };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
