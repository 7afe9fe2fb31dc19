import pc from 'picocolors';
import type { Finding, FindingVerification, Report, Severity, Subject } from '../model/finding.js';
import { displayPath, plural, sortFindings, sortSkipped } from './json.js';

/**
 * `--format text`: findings grouped by file, each with a code frame and the next step, then a
 * footer with counts. Deterministic: same report, same text (the duration is shown only with
 * --verbose). Colour only when the caller says so (TTY, no NO_COLOR, not CI).
 */

export interface TextOptions {
  color: boolean;
  verbose: boolean;
  cwd?: string;
  sourceText?: (file: string) => string | undefined;
}

/** Lines of context above and below the finding's line in a code frame. */
const CONTEXT_LINES = 2;
/** Longer source lines (minified bundles) are cut to a window around the column. */
const MAX_FRAME_WIDTH = 140;
const SEVERITY_WIDTH = 'warning'.length;

type Colors = ReturnType<typeof pc.createColors>;

export function formatText(report: Report, opts: TextOptions): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];

  const sourceCache = new Map<string, string[] | undefined>();
  const sourceLines = (file: string): string[] | undefined => {
    if (!opts.sourceText) return undefined;
    if (!sourceCache.has(file)) {
      const text = opts.sourceText(file);
      sourceCache.set(file, text === undefined ? undefined : text.split(/\r?\n/));
    }
    return sourceCache.get(file);
  };
  const findings = sortFindings(report.findings);
  if (report.subjects) {
    for (const subject of report.subjects) {
      out.push(...subjectHeader(c, subject));
      out.push(...findingsByFile(c, report, findings.filter((f) => belongsTo(f, subject)), opts, sourceLines));
    }
  } else {
    out.push(...findingsByFile(c, report, findings, opts, sourceLines));
  }

  out.push(...footer(c, report, opts));
  return `${out.join('\n')}\n`;
}

/** Findings grouped by file, each with its code frame, fix and (verbose) evidence. */
function findingsByFile(c: Colors, report: Report, findings: Finding[], opts: TextOptions, sourceLines: (file: string) => string[] | undefined): string[] {
  const out: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const finding of findings) {
    const list = byFile.get(finding.file);
    if (list) list.push(finding);
    else byFile.set(finding.file, [finding]);
  }

  for (const [file, list] of byFile) {
    out.push(c.underline(displayPath(report, file, opts.cwd, true)));
    const positionOf = (f: Finding) => f.field ?? `${f.line}:${f.column}`;
    const positionWidth = Math.max(...list.map((f) => positionOf(f).length));
    for (const finding of list) {
      const position = positionOf(finding).padEnd(positionWidth);
      const severity = paintSeverity(c, finding.severity, finding.severity.padEnd(SEVERITY_WIDTH));
      const pkg = finding.package ? ` ${c.cyan(`(${finding.package.name}@${finding.package.version})`)}` : '';
      out.push(`  ${c.dim(position)}  ${severity}  ${sanitize(finding.message)}${pkg}  ${c.dim(finding.ruleId)}`);
      const lines = sourceLines(file);
      if (lines) out.push(...codeFrame(c, lines, finding));
      if (finding.verification) out.push(`    ${c.cyan('verify:')} ${verificationText(finding.verification)}`);
      if (finding.fix) out.push(`    ${c.green('fix:')} ${finding.fix}`);
      if (opts.verbose && finding.evidence) out.push(`    ${c.dim('evidence:')} ${finding.evidence}`);
    }
    out.push('');
  }

  return out;
}

function belongsTo(finding: Finding, subject: Subject): boolean {
  return finding.file === subject.id || finding.file.startsWith(`${subject.id}/`);
}

/** A live function: its title, the facts the diagnoses rest on, and what could not be checked. */
function subjectHeader(c: Colors, subject: Subject): string[] {
  // Facts can quote what a remote server sent (probe: response headers): never raw to the terminal.
  const out = [c.bold(sanitize(subject.title))];
  const width = Math.max(0, ...subject.facts.map((f) => f.label.length));
  for (const fact of subject.facts) out.push(`  ${c.dim(fact.label.padEnd(width))}  ${sanitize(fact.value)}`);
  for (const note of subject.notes) out.push(`  ${c.yellow('!')} ${sanitize(note)}`);
  out.push('');
  return out;
}

function paintSeverity(c: Colors, severity: Severity, text: string): string {
  return severity === 'error' ? c.red(text) : severity === 'warning' ? c.yellow(text) : c.blue(text);
}

/** Control characters from a scanned file or a remote response must not reach the terminal (escape sequences). */
function sanitize(line: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  return line.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '\ufffd');
}

function codeFrame(c: Colors, lines: string[], finding: Finding): string[] {
  if (finding.line < 1 || finding.line > lines.length) return [];
  const first = Math.max(1, finding.line - CONTEXT_LINES);
  const last = Math.min(lines.length, finding.line + CONTEXT_LINES);
  const gutterWidth = String(last).length;
  const columnIndex = Math.max(0, finding.column - 1);

  // One horizontal window for the whole frame, so the context lines stay aligned with the caret.
  const widest = Math.max(...lines.slice(first - 1, last).map((l) => l.length));
  const windowStart = widest > MAX_FRAME_WIDTH ? Math.max(0, columnIndex - Math.floor(MAX_FRAME_WIDTH / 3)) : 0;
  const clip = (text: string): { text: string; shift: number } => {
    if (widest <= MAX_FRAME_WIDTH) return { text, shift: 0 };
    const head = windowStart > 0 ? '…' : '';
    const body = text.slice(windowStart, windowStart + MAX_FRAME_WIDTH);
    const tail = text.length > windowStart + MAX_FRAME_WIDTH ? '…' : '';
    return { text: head + body + tail, shift: head.length - windowStart };
  };

  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const { text, shift } = clip(sanitize(lines[n - 1] ?? ''));
    const isTarget = n === finding.line;
    const gutter = `${isTarget ? '>' : ' '} ${String(n).padStart(gutterWidth)} |`;
    out.push(`    ${isTarget ? c.red(c.bold(gutter)) : c.dim(gutter)}${text === '' ? '' : ` ${text}`}`);
    if (isTarget) {
      const caretAt = Math.max(0, columnIndex + shift);
      const prefix = text.slice(0, caretAt).replace(/[^\t]/g, ' ').padEnd(caretAt, ' ');
      let span = 1;
      if (finding.endLine === finding.line && finding.endColumn !== undefined && finding.endColumn > finding.column) {
        span = Math.max(1, Math.min(finding.endColumn - finding.column, text.length - caretAt));
      }
      out.push(`    ${c.dim(`  ${' '.repeat(gutterWidth)} |`)} ${prefix}${c.red('^'.repeat(span))}`);
    }
  }
  return out;
}

function footer(c: Colors, report: Report, opts: TextOptions): string[] {
  const out: string[] = [];
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  let fixable = 0;
  for (const finding of report.findings) {
    counts[finding.severity]++;
    if (finding.fixable) fixable++;
  }
  const total = report.findings.length;
  const internal = report.internalErrors ?? [];
  // A report that checked nothing is never a pass (verify: no event reached the handler).
  if (report.inconclusive) out.push(c.red(c.bold(`✖ ${report.inconclusive}`)));
  if (total === 0 && internal.length === 0) {
    if (!report.inconclusive) out.push(c.green('✔ No problems found'));
  } else if (total === 0) {
    out.push(c.red(c.bold('✖ No findings, but the check is incomplete (internal errors below)')));
  } else {
    const breakdown = `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info`;
    const line = `✖ ${plural(total, 'problem')} (${breakdown})`;
    out.push(counts.error > 0 ? c.red(c.bold(line)) : counts.warning > 0 ? c.yellow(c.bold(line)) : c.bold(line));
    if (fixable > 0) {
      // `fix` edits a project; for live functions and URLs the fix belongs in the code or config behind them.
      const how = report.subjects ? 'see each fix: line' : '`stream-doctor fix` shows them, `--write` applies them';
      out.push(`  ${fixable} with a mechanical fix (${how})`);
    }
    if (!opts.verbose) out.push(c.dim('  Why: `stream-doctor explain <rule>` (or --verbose for each finding\'s evidence)'));
  }
  if (report.suppressed.length > 0) {
    const inSource = report.suppressed.filter((f) => f.suppressed?.kind !== 'baseline').length;
    const baseline = report.suppressed.length - inSource;
    const parts = [inSource > 0 ? `${inSource} by inline directives` : '', baseline > 0 ? `${baseline} by the baseline` : ''].filter(Boolean);
    out.push(c.dim(`  ${report.suppressed.length} suppressed (${parts.join(', ')})`));
  }

  if (internal.length > 0) {
    out.push(c.red(`  ${plural(internal.length, 'internal error')}: some findings may be missing`));
    for (const error of internal) out.push(c.red(`    ${error.ruleId} on ${displayPath(report, error.file, opts.cwd, true)}: ${error.message}`));
  }

  const { stats } = report;
  let scanned = `${plural(stats.filesWalked, 'file')} scanned, ${stats.filesParsed} parsed, ${plural(stats.packagesInventoried, 'package')} inventoried`;
  if (stats.infrastructureFiles) scanned += `, ${plural(stats.infrastructureFiles, 'infrastructure file')} read`;
  if (report.coverage) scanned = report.coverage;
  if (report.verification) out.push(...verificationFooter(c, report));
  if (report.skipped.length > 0) {
    scanned += `; ${report.skipped.length} skipped${opts.verbose ? '' : ' (use --verbose to list)'}`;
  }
  out.push(c.dim(scanned));

  if (opts.verbose) {
    if (report.skipped.length > 0) {
      out.push('', 'Skipped:');
      for (const note of sortSkipped(report.skipped)) {
        out.push(`  ${displayPath(report, note.file, opts.cwd, true)}  ${c.dim(note.reason)}`);
      }
    }
    if (report.suppressed.length > 0) {
      out.push('', 'Suppressed:');
      for (const finding of sortFindings(report.suppressed)) {
        const how = finding.suppressed?.kind === 'baseline' ? 'baseline' : 'inline';
        const why = finding.suppressed?.justification ? `: ${finding.suppressed.justification}` : '';
        out.push(`  ${displayPath(report, finding.file, opts.cwd, true)}:${finding.line}:${finding.column}  ${finding.ruleId}  ${c.dim(`${how}${why}`)}`);
      }
    }
    out.push('', c.dim(`Done in ${stats.durationMs} ms`));
  }
  return out;
}

/** `scan --verify`: what the runs said about one finding. */
function verificationText(v: FindingVerification): string {
  const runs = v.runs.length > 3 ? `${v.runs.slice(0, 3).join(', ')} and ${v.runs.length - 3} more` : v.runs.join(', ');
  switch (v.status) {
    case 'confirmed':
      return `confirmed by a run (${runs})`;
    case 'ran-correctly':
      return `ran, behaved correctly (${runs}): a candidate false positive, or the bug needs another request (\`stream-doctor verify --event\`)`;
    case 'ran-unobservable':
      return `ran (${runs}); a run cannot show this rule's bug on the wire, so it neither confirms nor refutes it`;
    case 'not-reached':
      return `not reached by any event${v.reason ? ` (${v.reason})` : ''}: send a request that takes this path with \`stream-doctor verify --event\``;
    case 'observed':
      return `found by running (${runs})`;
    case 'not-run':
      return `not run${v.reason ? `: ${v.reason}` : ''}`;
  }
}

/** `scan --verify`: the handlers that ran and the ones that could not, above the counts line. */
function verificationFooter(c: Colors, report: Report): string[] {
  const summary = report.verification!;
  const out: string[] = [];
  const count = (status: FindingVerification['status']) => report.findings.filter((f) => f.verification?.status === status).length;
  for (const h of summary.handlers) {
    const verdicts = Object.entries(h.verdicts).map(([verdict, n]) => `${n} ${verdict}`).join(', ');
    const errors = h.errors.length > 0 ? `; ended with ${h.errors.map((e) => (e.length > 120 ? `${e.slice(0, 120)}…` : e)).join(' | ')}` : '';
    out.push(c.dim(`  verified ${h.handler} under ${h.runtimes.join(' and ')}: ${plural(h.invocations, 'invocation')} (${verdicts}${errors})`));
  }
  for (const n of summary.notVerified) out.push(c.dim(`  not verified ${n.file}: ${n.reason}`));
  const parts = [`${count('confirmed')} confirmed by a run`, `${count('ran-correctly')} ran correctly`, `${count('ran-unobservable')} ran (not observable)`, `${count('not-reached')} not reached`, `${count('not-run')} not run`, `${count('observed')} found only by running`];
  if (summary.handlers.length > 0) out.push(c.dim(`  verify: ${parts.join(', ')}`));
  return out;
}
