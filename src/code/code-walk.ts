/**
 * The walk and pre-filter of a code scan, startable on their own: `scan` starts them before it loads the
 * analysis (the rules, the flow analysis, the parser: ≈ 0.8 MB of JavaScript to compile), which then loads while
 * the walk runs, and the pre-filter worker starts ≈ 60 ms sooner (docs/performance.md, "Fourth pass"). So this
 * module imports nothing but the walker and the markers.
 */
import { DEPENDENCY_MARKERS, STREAMING_MARKERS } from './markers.js';
import { collectCandidates, type CandidateFile, type WalkResult } from './walk.js';

export interface CodeWalkOptions {
  root: string;
  deps: boolean;
  include?: string[];
  exclude?: string[];
  maxFileBytes?: number;
  onWalk?: (walked: number, candidates: number) => void;
}

export interface CodeWalk {
  /** What the walk found (every candidate is in it). Rejects only when the root itself cannot be scanned. */
  result: Promise<WalkResult>;
  /** Hands every candidate to `analyse` as the pre-filter finds it: those found before this call at once. */
  onCandidate(analyse: (candidate: CandidateFile) => void): void;
}

export function startCodeWalk(options: CodeWalkOptions): CodeWalk {
  const found: CandidateFile[] = [];
  let sink: ((candidate: CandidateFile) => void) | null = null;
  const result = collectCandidates({
    root: options.root,
    includeDeps: options.deps,
    include: options.include,
    exclude: options.exclude,
    tokens: STREAMING_MARKERS,
    dependencyTokens: DEPENDENCY_MARKERS,
    ...(options.maxFileBytes ? { maxFileBytes: options.maxFileBytes } : {}),
    ...(options.onWalk ? { onProgress: options.onWalk } : {}),
    onCandidate: (candidate) => (sink ? sink(candidate) : found.push(candidate)),
  });
  // Awaited by whoever runs the analysis, possibly after the analysis has loaded: until then a failure
  // must not count as an unhandled rejection.
  result.catch(() => undefined);
  return {
    result,
    onCandidate(analyse) {
      sink = analyse;
      for (const candidate of found.splice(0)) analyse(candidate);
    },
  };
}
