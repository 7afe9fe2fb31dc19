/** The report model shared by every command and every output format. */

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

/** The findings at or above `--fail-on` (none for 'none'): any of them makes a command exit 1. */
export function failingFindings(findings: Finding[], failOn: Severity | 'none'): Finding[] {
  if (failOn === 'none') return [];
  return findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]);
}

/**
 * The exit code of a report under `--fail-on`: 2 when a rule threw (its findings may be missing, so the gate
 * cannot pass, whatever else was found), 1 for findings at or above the threshold, else 0. `--fail-on none`
 * reports everything and never fails.
 */
export function gateExitCode(report: Pick<Report, 'findings' | 'internalErrors'>, failOn: Severity | 'none'): 0 | 1 | 2 {
  if (failOn === 'none') return 0;
  if ((report.internalErrors?.length ?? 0) > 0) return 2;
  return failingFindings(report.findings, failOn).length > 0 ? 1 : 0;
}

export interface PackageRef {
  name: string;
  version: string;
}

export interface Finding {
  ruleId: string;
  /** Which of the rule's named messages this is (the rule's `messages` catalog). */
  messageId?: string;
  /** The values the message was rendered from (for tooling; not part of the output formats). */
  data?: Readonly<Record<string, string | number>>;
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
  /** Live configuration findings: the API field they are about (`Configuration.Timeout`), instead of a line. */
  field?: string;
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
  /** `scan --verify`: what running the handler under aws-lambda-ric said about this finding. */
  verification?: FindingVerification;
}

/**
 * `scan --verify` (src/verify/scan-verify.ts), per finding in the project's code:
 * - `confirmed`: a run executed the finding's line and showed the same rule's bug;
 * - `ran-correctly`: runs executed the line and none showed the bug (a candidate false positive, or a bug
 *   that needs another request: the events are named);
 * - `ran-unobservable`: runs executed the line, but a run cannot show this rule's bug on the wire (it is about
 *   what the code means, not what the runtime does): the run neither confirms nor refutes it;
 * - `not-reached`: the module loaded but no event executed the line (send one with `verify --event`);
 * - `not-run`: no verified handler loaded the module (`reason` says why);
 * - `observed`: found by running only: no static finding of the rule was confirmed by these runs.
 */
export interface FindingVerification {
  status: 'confirmed' | 'ran-correctly' | 'ran-unobservable' | 'not-reached' | 'not-run' | 'observed';
  /** The runs (`4.x GET /chat`, prefixed with the handler when several ran) that confirmed, ran or observed it. */
  runs: string[];
  reason?: string;
}

/** `scan --verify`: which handlers ran, how, and which could not. */
export interface VerificationSummary {
  /**
   * `errors`: the distinct errors the runs ended with (at most 3). A run here has no credentials, network
   * configuration or environment variables of the deployment, so these are not findings: they say why runs failed.
   */
  handlers: Array<{ handler: string; runtimes: string[]; events: string[]; invocations: number; verdicts: Record<string, number>; errors: string[] }>;
  /** Handler modules that were not run, and why (TypeScript source, dependencies not installed, over the budget). */
  notVerified: Array<{ file: string; reason: string }>;
}

/**
 * A rule or fixer that threw: its findings for that subject may be missing, so a gate must not pass on
 * this report (the commands exit 2 unless --fail-on none).
 */
export interface InternalError {
  ruleId: string;
  /** The file, deployment or function the rule was looking at. */
  file: string;
  message: string;
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
  /** Infrastructure files (templates, CDK/SST apps, serverless, Terraform, Dockerfiles) read into deployments. */
  infrastructureFiles?: number;
  filesSkipped: number;
  durationMs: number;
}

/**
 * What a report is about when it is not a directory (`stream-doctor aws`: one subject per function): a
 * title, the facts the diagnoses rest on, and what could not be checked. Findings belong to the subject
 * whose `id` is their `file`, or a prefix of it followed by "/" (a file inside the deployed package).
 */
export interface Subject {
  id: string;
  title: string;
  facts: Array<{ label: string; value: string }>;
  notes: string[];
}

export interface Report {
  tool: { name: string; version: string };
  /** The scanned directory, or `aws:REGION` for live functions. */
  root: string;
  subjects?: Subject[];
  /** What the report covered, in words, for the text footer (`3 functions checked; deployed code: …`). */
  coverage?: string;
  /**
   * Set when the command could not check what it set out to (`verify`: no event reached the handler, it failed to
   * load on every run): the report is never a pass. Text and the step summary never say "No problems found", JSON
   * carries it as `inconclusive`, and the command exits 1 whatever `--fail-on` says.
   */
  inconclusive?: string;
  /** `scan --verify`: the handlers run under aws-lambda-ric (each finding carries its own `verification`). */
  verification?: VerificationSummary;
  findings: Finding[];
  /** Findings hidden by inline directives or the baseline (kept for SARIF suppressions). */
  suppressed: Finding[];
  skipped: SkipNote[];
  /** Rules or fixers that threw (findings may be missing). */
  internalErrors?: InternalError[];
  stats: ScanStats;
}
