/**
 * Which source offsets a run executed, from the V8 coverage files a run leaves (NODE_V8_COVERAGE, written
 * while the handler runs by the preload's v8.takeCoverage(): src/verify/sandbox.ts). Each snapshot resets the
 * counters, so an offset counts as executed when the innermost range holding it has a count in any snapshot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnosis } from './analyze.js';
import { verifyObservations } from './observations.js';

export interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}

/** The ranges of `abs` in every snapshot under `dir` (one list per snapshot), or none when the file never loaded. */
export function coverageOf(dir: string, abs: string): Range[][] {
  return coverageOfFiles(dir, [abs]).get(abs) ?? [];
}

/** `coverageOf` for several files, reading each snapshot once; files that never loaded are absent. */
export function coverageOfFiles(dir: string, files: readonly string[]): Map<string, Range[][]> {
  const byUrl = new Map<string, string>();
  for (const abs of files) {
    byUrl.set(pathToFileURL(abs).href, abs);
    byUrl.set(abs, abs);
  }
  const out = new Map<string, Range[][]>();
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return out;
  }
  for (const name of names) {
    try {
      const json = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { result?: Array<{ url: string; functions: Array<{ ranges: Range[] }> }> };
      for (const script of json.result ?? []) {
        const abs = byUrl.get(script.url);
        if (abs === undefined) continue;
        const snapshots = out.get(abs) ?? [];
        snapshots.push(script.functions.flatMap((f) => f.ranges));
        out.set(abs, snapshots);
      }
    } catch {
      // a snapshot cut off by the kill at the end of the run: the others still count
    }
  }
  return out;
}

export function executed(snapshots: Range[][], offset: number): boolean {
  for (const ranges of snapshots) {
    let inner: Range | undefined;
    for (const r of ranges) {
      if (r.startOffset <= offset && offset < r.endOffset && (!inner || r.endOffset - r.startOffset <= inner.endOffset - inner.startOffset)) inner = r;
    }
    if (inner && inner.count > 0) return true;
  }
  return false;
}

/** What the runs that executed a static finding's line say about it (`verify --coverage`, `scan --verify`). */
export type LineStatus = 'confirmed' | 'ran-correctly' | 'ran-unobservable' | 'not-reached';

/**
 * `ran`: the runs that executed the line; `showsBug`: whether a run reported the finding's rule. A run that
 * showed the bug confirms it. Otherwise only a run that finished vouches for the line: V8 counts the code after a
 * pending await with its enclosing block, so a run cut off by the wait (hung, still streaming, crashed) would
 * vouch for lines it never reached. A rule no run can show on the wire (not in src/verify/observations.ts) is
 * neither confirmed nor refuted by running.
 */
export function lineStatus<R extends { diagnosis: Pick<Diagnosis, 'verdict'> }>(ruleId: string, ran: R[], showsBug: (run: R) => boolean): { status: LineStatus; runs: R[] } {
  const confirming = ran.filter(showsBug);
  if (confirming.length > 0) return { status: 'confirmed', runs: confirming };
  const finished = ran.filter((r) => r.diagnosis.verdict === 'completed' || r.diagnosis.verdict === 'failed');
  if (finished.length === 0) return { status: 'not-reached', runs: [] };
  return { status: ruleId in verifyObservations.messages ? 'ran-correctly' : 'ran-unobservable', runs: finished };
}

/** The offset each line of `text` starts at (index 0 = line 1). */
export function lineStartOffsets(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** The source offset of a 1-based line and column, as coverage ranges count them. */
export function offsetAt(starts: number[], line: number, column: number): number {
  return (starts[line - 1] ?? 0) + Math.max(0, column - 1);
}
