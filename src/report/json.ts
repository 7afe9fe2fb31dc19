import path from 'node:path';
import type { Finding, FindingVerification, Report, Severity, Subject, VerificationSummary } from '../model/finding.js';

/**
 * `--format json`: the machine-readable contract, documented in docs/json-output.md. Bump
 * `schemaVersion` on any breaking change. This module also holds the helpers every formatter shares
 * (order, counts, paths), so that all formats agree on them.
 */

export const JSON_SCHEMA_VERSION = 1;

/**
 * The public JSON contract (docs/json-output.md), spelled out rather than derived from the internal
 * `Finding`: changing the model must not silently change what CI scripts parse.
 */
export interface JsonFinding {
  ruleId: string;
  /** The rule's named message (its `messages` catalog); absent only for findings of older baselines. */
  messageId?: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  field?: string;
  package?: { name: string; version: string };
  fixable: boolean;
  fix?: string;
  evidence?: string;
  fingerprint: string;
  origin: Finding['origin'];
  /** `scan --verify` only: what running the handler said about this finding. */
  verification?: FindingVerification;
}

export interface JsonSuppressedFinding extends JsonFinding {
  suppression: { kind: 'inSource' | 'baseline'; justification: string };
}

export interface JsonSummary {
  error: number;
  warning: number;
  info: number;
  fixable: number;
  suppressed: number;
  filesScanned: number;
  filesParsed: number;
  filesSkipped: number;
  packagesInventoried: number;
  /** Infrastructure files read (scan only). */
  infrastructureFiles?: number;
  durationMs: number;
}

export interface JsonReport {
  schemaVersion: 1;
  tool: { name: string; version: string };
  root: string;
  findings: JsonFinding[];
  suppressed: JsonSuppressedFinding[];
  skipped: { file: string; reason: string }[];
  /** Rules or fixers that threw: findings may be missing (present only when there are some). */
  internalErrors?: { ruleId: string; file: string; message: string }[];
  summary: JsonSummary;
  /** Why the report is not a pass although it may have no findings (verify: no event reached the handler). */
  inconclusive?: string;
  /** `stream-doctor aws` only: one entry per function, with the facts the diagnoses rest on. */
  subjects?: Subject[];
  /** `scan --verify` only: the handlers run under aws-lambda-ric, and the ones that could not be. */
  verification?: VerificationSummary;
}

export function toJsonReport(report: Report): JsonReport {
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: report.tool.name, version: report.tool.version },
    root: report.root,
    findings: sortFindings(report.findings).map(toJsonFinding),
    suppressed: sortFindings(report.suppressed).map((finding) => ({
      ...toJsonFinding(finding),
      suppression: {
        kind: finding.suppressed?.kind ?? 'inSource',
        justification: finding.suppressed?.justification ?? '',
      },
    })),
    skipped: sortSkipped(report.skipped).map(({ file, reason }) => ({ file, reason })),
    ...(report.internalErrors?.length ? { internalErrors: report.internalErrors.map(({ ruleId, file, message }) => ({ ruleId, file, message })) } : {}),
    summary: summarize(report),
    ...(report.inconclusive ? { inconclusive: report.inconclusive } : {}),
    ...(report.subjects ? { subjects: report.subjects } : {}),
    ...(report.verification ? { verification: report.verification } : {}),
  };
}

export function formatJson(report: Report): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}

/** Builds the object key by key, so the key order is the documented one and absent fields are omitted. */
function toJsonFinding(finding: Finding): JsonFinding {
  const out: JsonFinding = {
    ruleId: finding.ruleId,
    ...(finding.messageId !== undefined ? { messageId: finding.messageId } : {}),
    severity: finding.severity,
    message: finding.message,
    file: finding.file,
    line: finding.line,
    column: finding.column,
  } as JsonFinding;
  if (finding.endLine !== undefined) out.endLine = finding.endLine;
  if (finding.endColumn !== undefined) out.endColumn = finding.endColumn;
  if (finding.field !== undefined) out.field = finding.field;
  if (finding.package) out.package = { name: finding.package.name, version: finding.package.version };
  out.fixable = finding.fixable;
  if (finding.fix !== undefined) out.fix = finding.fix;
  if (finding.evidence !== undefined) out.evidence = finding.evidence;
  out.fingerprint = finding.fingerprint;
  out.origin = finding.origin;
  if (finding.verification) out.verification = finding.verification;
  return out;
}

// ---- shared by all formatters ------------------------------------------------------------------

export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/** Code-unit comparison: independent of the locale, unlike localeCompare. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The one order of findings in every format: file, line, column, rule, message, fingerprint. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compareText(a.file, b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    compareText(a.ruleId, b.ruleId) ||
    compareText(a.message, b.message) ||
    compareText(a.fingerprint, b.fingerprint)
  );
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(compareFindings);
}

export function sortSkipped<T extends { file: string; reason: string }>(skipped: readonly T[]): T[] {
  return [...skipped].sort((a, b) => compareText(a.file, b.file) || compareText(a.reason, b.reason));
}

export function summarize(report: Report): JsonSummary {
  const summary: JsonSummary = {
    error: 0,
    warning: 0,
    info: 0,
    fixable: 0,
    suppressed: report.suppressed.length,
    filesScanned: report.stats.filesWalked,
    filesParsed: report.stats.filesParsed,
    filesSkipped: report.stats.filesSkipped,
    packagesInventoried: report.stats.packagesInventoried,
    ...(report.stats.infrastructureFiles !== undefined ? { infrastructureFiles: report.stats.infrastructureFiles } : {}),
    durationMs: report.stats.durationMs,
  };
  for (const finding of report.findings) {
    summary[finding.severity]++;
    if (finding.fixable) summary.fixable++;
  }
  return summary;
}

/**
 * A finding's path for people and for CI systems that resolve paths against the working directory
 * (GitHub annotations, SARIF `%SRCROOT%`): relative to `cwd` when given and the scanned root is
 * inside it, otherwise the root-relative path the finding carries. Always "/"-separated.
 */
export function displayPath(report: Report, file: string, cwd: string | undefined, allowParent = false): string {
  if (cwd === undefined) return file;
  const absolute = path.resolve(cwd, report.root, file);
  const relative = path.relative(cwd, absolute).split(path.sep).join('/');
  if (relative === '' || path.isAbsolute(relative)) return file;
  if (!allowParent && (relative === '..' || relative.startsWith('../'))) return file;
  return relative;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
