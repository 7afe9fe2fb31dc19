import type { Report } from '../model/finding.js';
import { formatGithub } from './github.js';
import { formatGitlab } from './gitlab.js';
import { formatJson } from './json.js';
import { formatMarkdown } from './markdown.js';
import { formatSarif } from './sarif.js';
import { formatText } from './text.js';
import { FORMAT_NAMES, type FormatName } from './format-names.js';

/**
 * Every output format is a pure function of one `Report` (github also appends to the step summary):
 * text, json (the contract), sarif (code scanning), github (annotations), markdown (a pull request
 * comment; the step summary is the same renderer), gitlab (Code Quality).
 */
export { FORMAT_NAMES, type FormatName };

export interface FormatOptions {
  /** ANSI colours in text output; the caller decides (stdout is a TTY, no NO_COLOR, not CI). */
  color: boolean;
  /** Text: list skipped files and suppressed findings, and show the duration. */
  verbose: boolean;
  /** Paths are shown relative to this directory (all but json); default: relative to the root. */
  cwd?: string;
  /** Text: the source of a root-relative file, for code frames; no frame when it returns undefined. */
  sourceText?: (file: string) => string | undefined;
  /** GitHub: `process.env.GITHUB_STEP_SUMMARY`; a markdown table of all findings is appended there. */
  stepSummaryPath?: string;
  /**
   * Markdown and the step summary: rules link to `<docsBaseUrl>/docs/rules/<id>.md` ('' for relative
   * links; default: the package's repository, see markdown.ts `DEFAULT_DOCS_BASE_URL`).
   */
  docsBaseUrl?: string;
}

export function isFormatName(value: string): value is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(value);
}

export function formatReport(report: Report, format: FormatName, opts: FormatOptions): string {
  switch (format) {
    case 'text':
      return formatText(report, opts);
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, { cwd: opts.cwd });
    case 'github':
      return formatGithub(report, { cwd: opts.cwd, stepSummaryPath: opts.stepSummaryPath, docsBaseUrl: opts.docsBaseUrl });
    case 'markdown':
      return formatMarkdown(report, { cwd: opts.cwd, docsBaseUrl: opts.docsBaseUrl });
    case 'gitlab':
      return formatGitlab(report, { cwd: opts.cwd });
    default: {
      const unknown: never = format;
      throw new Error(`unknown format "${String(unknown)}" (expected one of: ${FORMAT_NAMES.join(', ')})`);
    }
  }
}
