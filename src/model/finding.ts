/** The report model shared by every command and every output format. */

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

export interface PackageRef {
  name: string;
  version: string;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  /** One sentence: what will happen in production, and why. */
  message: string;
  /** Relative to the scanned root, with "/" separators. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine?: number;
  endColumn?: number;
  /** Set when the file belongs to an installed dependency (or a known-bad version was found). */
  package?: PackageRef;
  fixable: boolean;
  /** The next step for the user: an upgrade, or the code change. */
  fix?: string;
  /** Where the diagnosis comes from (runtime behaviour, issue, changelog). */
  evidence?: string;
  /** Stable across line drift: rule + file + logical location. */
  fingerprint: string;
  /** Which kind of source the finding came from. */
  origin: 'project' | 'dependency' | 'build-output';
  suppressed?: { kind: 'inSource' | 'baseline'; justification: string };
}

/** A file or input the scan could not look at, with the reason. */
export interface SkipNote {
  file: string;
  reason: string;
}

export interface ScanStats {
  filesWalked: number;
  filesPrefiltered: number;
  filesParsed: number;
  packagesInventoried: number;
  filesSkipped: number;
  durationMs: number;
}

export interface Report {
  tool: { name: string; version: string };
  root: string;
  findings: Finding[];
  /** Findings hidden by inline directives or the baseline (kept for SARIF suppressions). */
  suppressed: Finding[];
  skipped: SkipNote[];
  stats: ScanStats;
}
