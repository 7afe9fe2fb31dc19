import { pathToFileURL } from 'node:url';
import path from 'node:path';
import type { Finding, Report, Severity } from '../model/finding.js';
import type { RuleMeta } from '../model/rule.js';
import { allRuleMetas } from '../checks/index.js';
import { displayPath, sortFindings, sortSkipped } from './json.js';

/**
 * `--format sarif`: SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer). One run; every
 * known rule in `tool.driver.rules`; suppressed findings kept as results with `suppressions`;
 * skipped files as tool execution notifications. URIs are relative to `%SRCROOT%`, which is the
 * working directory when `cwd` is given (normally the repository root in CI) and the scanned root
 * otherwise; `partialFingerprints["streamDoctor/v1"]` carries the line-independent fingerprint so
 * alerts survive code moving.
 */

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const INFORMATION_URI = 'https://github.com/stream-doctor/stream-doctor';
export const FINGERPRINT_KEY = 'streamDoctor/v1';
export const AUTOMATION_ID = 'stream-doctor/scan/';
const SRCROOT = '%SRCROOT%';

export function ruleHelpUri(id: string): string {
  return `${INFORMATION_URI}/blob/main/docs/rules/${id}.md`;
}

export interface SarifOptions {
  cwd?: string;
  /** The rules to describe; defaults to every rule in the registry. */
  rules?: RuleMeta[];
}

type SarifLevel = 'error' | 'warning' | 'note';

const LEVEL: Record<Severity, SarifLevel> = { error: 'error', warning: 'warning', info: 'note' };

/** "known-bad-version" -> "KnownBadVersion". */
export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** A relative path as a URI reference: "/" kept, everything else that is not URI-safe escaped. */
/** `arn:aws:…`, `https://…`: a scheme of two letters or more, so a Windows drive (`C:`) stays a path. */
const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]+:/i;

function toUri(file: string): string {
  return file
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%40/g, '@'))
    .join('/');
}

export function toSarif(report: Report, opts: SarifOptions = {}): Record<string, unknown> {
  const metas = opts.rules ?? allRuleMetas();
  const rules: Record<string, unknown>[] = metas.map(ruleDescriptor);
  const ruleIndex = new Map<string, number>(metas.map((meta, index) => [meta.id, index]));

  // A finding from a rule the registry does not describe still needs a rule entry for GitHub.
  const all = sortFindings([...report.findings, ...report.suppressed]);
  for (const finding of all) {
    if (!ruleIndex.has(finding.ruleId)) {
      ruleIndex.set(finding.ruleId, rules.length);
      rules.push({
        id: finding.ruleId,
        name: pascalCase(finding.ruleId),
        shortDescription: { text: finding.ruleId },
        defaultConfiguration: { level: LEVEL[finding.severity] },
        properties: { tags: ['lambda', 'response-streaming'] },
      });
    }
  }

  // Live functions are named by ARN (`arn:aws:lambda:…`): an absolute URI, not a path under %SRCROOT%.
  const location = (file: string) => ({
    physicalLocation: {
      artifactLocation: ABSOLUTE_URI.test(file) ? { uri: encodeURI(file) } : { uri: toUri(displayPath(report, file, opts.cwd)), uriBaseId: SRCROOT },
    },
  });

  const results = all.map((finding) => {
    const region: Record<string, number> = { startLine: finding.line, startColumn: finding.column };
    if (finding.endLine !== undefined) region.endLine = finding.endLine;
    if (finding.endColumn !== undefined) region.endColumn = finding.endColumn;
    const result: Record<string, unknown> = {
      ruleId: finding.ruleId,
      ruleIndex: ruleIndex.get(finding.ruleId),
      level: LEVEL[finding.severity],
      message: { text: resultMessage(finding) },
      locations: [{ physicalLocation: { ...location(finding.file).physicalLocation, region } }],
      partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    };
    if (finding.suppressed) {
      result.suppressions = [
        {
          kind: finding.suppressed.kind === 'baseline' ? 'external' : 'inSource',
          justification: finding.suppressed.justification,
        },
      ];
    }
    const properties: Record<string, unknown> = { origin: finding.origin, fixable: finding.fixable };
    if (finding.messageId) properties.messageId = finding.messageId;
    if (finding.package) properties.package = `${finding.package.name}@${finding.package.version}`;
    if (finding.verification) properties.verification = finding.verification;
    result.properties = properties;
    return result;
  });

  const base = opts.cwd ?? report.root;
  const run: Record<string, unknown> = {
    tool: {
      driver: {
        name: report.tool.name,
        version: report.tool.version,
        informationUri: INFORMATION_URI,
        rules,
      },
    },
    automationDetails: { id: AUTOMATION_ID },
    invocations: [
      {
        executionSuccessful: (report.internalErrors?.length ?? 0) === 0,
        toolExecutionNotifications: [
          ...(report.internalErrors ?? []).map((error) => ({
            level: 'error',
            message: { text: `Rule ${error.ruleId} failed on ${error.file}: ${error.message}` },
            associatedRule: { id: error.ruleId },
            locations: [location(error.file)],
          })),
          ...sortSkipped(report.skipped).map((note) => ({
            level: 'note',
            message: { text: note.file ? `Skipped ${note.file}: ${note.reason}` : `Skipped: ${note.reason}` },
            ...(note.file ? { locations: [location(note.file)] } : {}),
          })),
        ],
      },
    ],
    columnKind: 'utf16CodeUnits',
    results,
  };
  if (path.isAbsolute(base)) {
    const uri = pathToFileURL(base).href;
    run.originalUriBaseIds = { [SRCROOT]: { uri: uri.endsWith('/') ? uri : `${uri}/` } };
  }

  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

export function formatSarif(report: Report, opts: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(report, opts), null, 2)}\n`;
}

function resultMessage(finding: Finding): string {
  let text = finding.message;
  if (finding.package) text += ` (${finding.package.name}@${finding.package.version})`;
  if (finding.fix) text += `\nFix: ${finding.fix}`;
  return text;
}

function ruleDescriptor(meta: RuleMeta): Record<string, unknown> {
  const helpUri = ruleHelpUri(meta.id);
  const fixLine = meta.fixable ? 'Fixable mechanically: the finding says how.' : 'Not fixable automatically.';
  return {
    id: meta.id,
    name: pascalCase(meta.id),
    shortDescription: { text: meta.title },
    fullDescription: { text: meta.consequence },
    help: {
      text: `${meta.consequence}\n\nEvidence: ${meta.evidence}\n\n${fixLine}\nDocs: ${helpUri}`,
      markdown: `${meta.consequence}\n\n**Evidence:** ${meta.evidence}\n\n${fixLine}\n\n[Rule documentation](${helpUri})`,
    },
    helpUri,
    defaultConfiguration: { level: LEVEL[meta.severity] },
    properties: { tags: ['lambda', 'response-streaming', meta.category] },
  };
}
