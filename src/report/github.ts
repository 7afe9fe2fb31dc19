import { appendFileSync } from 'node:fs';
import type { Finding, Report, Severity } from '../model/finding.js';
import { displayPath, plural, sortFindings, sortSkipped, summarize } from './json.js';

/**
 * `--format github`: GitHub Actions workflow commands (`::error file=…::message`), which show as
 * annotations on the run and on the pull request's diff. GitHub keeps at most 10 annotations per
 * level per step, so at most 10 are printed per level (errors, warnings, notices), the rest counted
 * in one final `::notice`; the complete table goes to the step summary file when its path is given
 * (`$GITHUB_STEP_SUMMARY`), and SARIF remains the complete, uploadable record.
 */

export interface GithubOptions {
  cwd?: string;
  /** `process.env.GITHUB_STEP_SUMMARY`: a markdown table of all findings is appended there. */
  stepSummaryPath?: string;
}

export const ANNOTATIONS_PER_LEVEL = 10;
/** GitHub rejects step summaries over 1 MiB; stay well below. */
const STEP_SUMMARY_BUDGET = 900_000;

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

/** Text for a markdown table cell: no line breaks, no column breaks, no HTML. */
function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

/** The step summary: counts, a table of every finding, and the skipped files. */
export function stepSummaryMarkdown(report: Report, opts: { cwd?: string } = {}): string {
  const s = summarize(report);
  const total = s.error + s.warning + s.info;
  const out: string[] = ['## stream-doctor', ''];
  const found = total === 0 ? '**No problems found**' : `**${plural(total, 'problem')}** (${plural(s.error, 'error')}, ${plural(s.warning, 'warning')}, ${s.info} info)`;
  // A report that checked nothing is never a pass (verify: no event reached the handler).
  const counts = report.inconclusive ? `**✖ ${report.inconclusive}** · ${total === 0 ? 'no findings' : found}` : found;
  const extras = [`${s.fixable} fixable`, `${s.suppressed} suppressed`, `${plural(s.filesScanned, 'file')} scanned`, `${report.skipped.length} skipped`];
  out.push(`${counts} · ${extras.join(' · ')}`, '');

  if (total > 0) {
    out.push('| Severity | Rule | Location | Message |', '| --- | --- | --- | --- |');
    let size = out.join('\n').length;
    const findings = sortFindings(report.findings);
    for (let i = 0; i < findings.length; i++) {
      const f = findings[i]!;
      let message = f.message;
      if (f.package) message += ` (${f.package.name}@${f.package.version})`;
      if (f.fix) message += `\nFix: ${f.fix}`;
      const row = `| ${f.severity} | ${code(f.ruleId)} | ${code(`${displayPath(report, f.file, opts.cwd)}:${f.line}:${f.column}`)} | ${cell(message)} |`;
      if (size + row.length > STEP_SUMMARY_BUDGET) {
        out.push('', `…and ${plural(findings.length - i, 'more finding')}; see the SARIF or JSON report.`);
        break;
      }
      out.push(row);
      size += row.length + 1;
    }
    out.push('');
  }

  if (report.skipped.length > 0) {
    out.push(`<details><summary>${plural(report.skipped.length, 'skipped file')}</summary>`, '', '| File | Reason |', '| --- | --- |');
    for (const note of sortSkipped(report.skipped).slice(0, 500)) {
      out.push(`| ${code(displayPath(report, note.file, opts.cwd))} | ${cell(note.reason)} |`);
    }
    if (report.skipped.length > 500) out.push('', `…and ${report.skipped.length - 500} more.`);
    out.push('', '</details>', '');
  }
  return `${out.join('\n')}\n`;
}
