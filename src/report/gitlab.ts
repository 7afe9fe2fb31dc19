import type { Finding, Report, Severity } from '../model/finding.js';
import { displayPath, sortFindings } from './json.js';

/**
 * `--format gitlab`: a GitLab Code Quality report (the `artifacts:reports:codequality` file), a JSON
 * array with one issue per finding in the subset of the Code Climate format GitLab reads
 * (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format): description,
 * check_name (the rule id), fingerprint, severity and location { path, lines.begin }.
 *
 * - Severity: error → `critical`, warning → `minor`, info → `info`. An error here is a production failure
 *   (an invocation that hangs until the timeout and is billed for it, a response that never arrives, a
 *   runtime crash), which GitLab's scale puts above `major`, where linters put their rule errors;
 *   `blocker` is left unused: whether a finding blocks the merge is `--fail-on`'s decision.
 * - Fingerprint: the finding's own, line-independent fingerprint (the one JSON, SARIF and the baseline
 *   use), so an issue keeps its identity between the target branch and the merge request while code
 *   moves. GitLab shows issues with one fingerprint as one entry, so a second finding with the same
 *   fingerprint (same rule, file and code) gets `-2`, a third `-3`, in file and line order.
 * - Path: relative to the working directory (the repository root in CI), no `./`.
 * - Suppressed findings are left out (GitLab has no suppressions); skipped files and rule failures
 *   cannot be expressed and go to the exit code (2) and stderr as in every format.
 */

export type CodeQualitySeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

export const CODE_QUALITY_SEVERITY: Record<Severity, CodeQualitySeverity> = { error: 'critical', warning: 'minor', info: 'info' };

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: CodeQualitySeverity;
  location: { path: string; lines: { begin: number } };
}

export interface GitlabOptions {
  cwd?: string;
}

function description(finding: Finding): string {
  const text = finding.package ? `${finding.message} (${finding.package.name}@${finding.package.version})` : finding.message;
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

export function toCodeQuality(report: Report, opts: GitlabOptions = {}): CodeQualityIssue[] {
  const seen = new Map<string, number>();
  return sortFindings(report.findings).map((finding) => {
    const occurrence = (seen.get(finding.fingerprint) ?? 0) + 1;
    seen.set(finding.fingerprint, occurrence);
    return {
      description: description(finding),
      check_name: finding.ruleId,
      fingerprint: occurrence === 1 ? finding.fingerprint : `${finding.fingerprint}-${occurrence}`,
      severity: CODE_QUALITY_SEVERITY[finding.severity],
      location: {
        path: displayPath(report, finding.file, opts.cwd).replace(/^(\.\/)+/, ''),
        lines: { begin: Math.max(1, finding.line) },
      },
    };
  });
}

/** No byte order mark (GitLab's parser rejects one), two-space indentation, a final newline. */
export function formatGitlab(report: Report, opts: GitlabOptions = {}): string {
  return `${JSON.stringify(toCodeQuality(report, opts), null, 2)}\n`;
}
