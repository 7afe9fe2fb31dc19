/**
 * Which source offsets a run executed, from the V8 coverage files a run leaves (NODE_V8_COVERAGE, written
 * while the handler runs by the preload's v8.takeCoverage(): src/verify/sandbox.ts). Each snapshot resets the
 * counters, so an offset counts as executed when the innermost range holding it has a count in any snapshot.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

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
