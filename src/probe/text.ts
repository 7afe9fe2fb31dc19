/**
 * `probe --format text`: the URL's chart (signing, then per request: status, timings, chunk timeline,
 * headers), its notes, then the findings with their next step. Its own renderer because the shared text
 * formatter's footer counts scanned files and checked functions, which a probe has none of; the layout
 * (facts, findings, counts) is the same as `stream-doctor aws`.
 */
import pc from 'picocolors';
import type { Finding, Report, Severity } from '../model/finding.js';
import { plural, sortFindings } from '../report/json.js';

const SEVERITY_WIDTH = 'warning'.length;

type Colors = ReturnType<typeof pc.createColors>;

function paint(c: Colors, severity: Severity, text: string): string {
  return severity === 'error' ? c.red(text) : severity === 'warning' ? c.yellow(text) : c.blue(text);
}

/** Control characters from a response must not reach the terminal. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, '\ufffd');
}

export function formatProbeText(report: Report, opts: { color: boolean; verbose: boolean; requests: number }): string {
  const c = pc.createColors(opts.color);
  const out: string[] = [];
  for (const subject of report.subjects ?? []) {
    out.push(c.bold(sanitize(subject.title)));
    const width = Math.max(0, ...subject.facts.map((f) => f.label.length));
    for (const fact of subject.facts) out.push(`  ${c.dim(fact.label.padEnd(width))}  ${sanitize(fact.value)}`);
    for (const note of subject.notes) out.push(`  ${c.yellow('!')} ${sanitize(note)}`);
    out.push('');
  }

  const findings = sortFindings(report.findings);
  if (findings.length > 0) {
    const positionOf = (f: Finding) => f.field ?? '';
    const width = Math.max(...findings.map((f) => positionOf(f).length));
    for (const finding of findings) {
      const severity = paint(c, finding.severity, finding.severity.padEnd(SEVERITY_WIDTH));
      out.push(`  ${c.dim(positionOf(finding).padEnd(width))}  ${severity}  ${sanitize(finding.message)}  ${c.dim(finding.ruleId)}`);
      if (finding.fix) out.push(`    ${c.green('fix:')} ${finding.fix}`);
      if (opts.verbose && finding.evidence) out.push(`    ${c.dim('evidence:')} ${finding.evidence}`);
    }
    out.push('');
  }

  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity]++;
  if (findings.length === 0) {
    out.push(c.green('✔ No problems found'));
  } else {
    const line = `✖ ${plural(findings.length, 'problem')} (${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info)`;
    out.push(counts.error > 0 ? c.red(c.bold(line)) : counts.warning > 0 ? c.yellow(c.bold(line)) : c.bold(line));
    out.push(c.dim(`  Rules and thresholds: docs/probe.md${opts.verbose ? '' : ' (or --verbose for each finding\'s evidence)'}`));
  }
  out.push(c.dim(`${plural(opts.requests, 'request')} sent${opts.verbose ? ` in ${report.stats.durationMs} ms` : ''}`));
  return `${out.join('\n')}\n`;
}
