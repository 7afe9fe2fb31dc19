import { appendFileSync } from 'node:fs';
import type { Finding, Report, Severity } from '../model/finding.js';
import { displayPath, plural, sortFindings, summarize } from './json.js';
import { renderMarkdown, STEP_SUMMARY_LIMITS, type MarkdownOptions } from './markdown.js';

/**
 * `--format github`: GitHub Actions workflow commands (`::error file=…::message`), which show as
 * annotations on the run and on the pull request's diff. GitHub keeps at most 10 annotations per
 * level per step, so at most 10 are printed per level (errors, warnings, notices), the rest counted
 * in one final `::notice`; the complete table goes to the step summary file when its path is given
 * (`$GITHUB_STEP_SUMMARY`; the same Markdown as `--format markdown`, with every finding), and SARIF
 * remains the complete, uploadable record.
 */

export interface GithubOptions extends MarkdownOptions {
  cwd?: string;
  /** `process.env.GITHUB_STEP_SUMMARY`: the Markdown summary (markdown.ts) with all findings is appended there. */
  stepSummaryPath?: string;
}

export const ANNOTATIONS_PER_LEVEL = 10;

type Command = 'error' | 'warning' | 'notice';
const COMMAND: Record<Severity, Command> = { error: 'error', warning: 'warning', info: 'notice' };

/** Escaping of a workflow command's message (actions/toolkit `escapeData`). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escaping of a workflow command's property value (actions/toolkit `escapeProperty`). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function annotation(report: Report, finding: Finding, cwd: string | undefined): string {
  const props: [string, string | number][] = [
    ['file', displayPath(report, finding.file, cwd)],
    ['line', finding.line],
    ['col', finding.column],
  ];
  if (finding.endLine !== undefined) props.push(['endLine', finding.endLine]);
  if (finding.endColumn !== undefined) props.push(['endColumn', finding.endColumn]);
  props.push(['title', finding.ruleId]);
  const properties = props.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',');
  return `::${COMMAND[finding.severity]} ${properties}::${escapeData(messageOf(finding))}`;
}

function messageOf(finding: Finding): string {
  let text = finding.message;
  if (finding.package) text += ` (${finding.package.name}@${finding.package.version})`;
  if (finding.fix) text += `\nFix: ${finding.fix}`;
  return text;
}

export function formatGithub(report: Report, opts: GithubOptions = {}): string {
  const sorted = sortFindings(report.findings);
  const bySeverity: Record<Severity, Finding[]> = { error: [], warning: [], info: [] };
  for (const finding of sorted) bySeverity[finding.severity].push(finding);

  const omitted: Record<Severity, number> = {
    error: Math.max(0, bySeverity.error.length - ANNOTATIONS_PER_LEVEL),
    warning: Math.max(0, bySeverity.warning.length - ANNOTATIONS_PER_LEVEL),
    info: 0,
  };
  // The closing notice is a notice too: when it is needed, leave room for it in the notice budget.
  const needsClosingNotice = omitted.error + omitted.warning > 0 || bySeverity.info.length > ANNOTATIONS_PER_LEVEL;
  const noticeCap = needsClosingNotice ? ANNOTATIONS_PER_LEVEL - 1 : ANNOTATIONS_PER_LEVEL;
  omitted.info = Math.max(0, bySeverity.info.length - noticeCap);

  const lines: string[] = [];
  lines.push(...bySeverity.error.slice(0, ANNOTATIONS_PER_LEVEL).map((f) => annotation(report, f, opts.cwd)));
  lines.push(...bySeverity.warning.slice(0, ANNOTATIONS_PER_LEVEL).map((f) => annotation(report, f, opts.cwd)));
  lines.push(...bySeverity.info.slice(0, noticeCap).map((f) => annotation(report, f, opts.cwd)));

  if (needsClosingNotice) {
    const total = omitted.error + omitted.warning + omitted.info;
    const where = opts.stepSummaryPath ? 'the job summary lists all of them' : 'use --format sarif or json for the full list';
    const text =
      `${plural(total, 'more finding')} not annotated (GitHub shows at most ${ANNOTATIONS_PER_LEVEL} per level): ` +
      `${plural(omitted.error, 'error')}, ${plural(omitted.warning, 'warning')}, ${omitted.info} info; ${where}`;
    lines.push(`::notice title=${escapeProperty('stream-doctor')}::${escapeData(text)}`);
  }

  if (opts.stepSummaryPath) {
    try {
      appendFileSync(opts.stepSummaryPath, stepSummaryMarkdown(report, opts));
    } catch (error) {
      lines.push(`::warning title=stream-doctor::${escapeData(`could not write the step summary: ${(error as Error).message}`)}`);
    }
  }

  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

function summaryLine(report: Report): string {
  const s = summarize(report);
  const total = s.error + s.warning + s.info;
  const parts = [total === 0 ? 'no problems found' : `${plural(total, 'problem')} (${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${s.info} info)`];
  if (s.suppressed > 0) parts.push(`${s.suppressed} suppressed`);
  parts.push(`${plural(s.filesScanned, 'file')} scanned`);
  if (report.skipped.length > 0) parts.push(`${report.skipped.length} skipped`);
  return `stream-doctor: ${parts.join(', ')}`;
}

/** The step summary: the shared Markdown summary (markdown.ts) with every finding that fits GitHub's limit. */
export function stepSummaryMarkdown(report: Report, opts: MarkdownOptions = {}): string {
  return renderMarkdown(report, opts, STEP_SUMMARY_LIMITS);
}
