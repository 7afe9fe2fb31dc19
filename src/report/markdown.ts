import type { Finding, Report, Severity } from '../model/finding.js';
import { TOOL_REPOSITORY } from '../version.js';
import { compareFindings, displayPath, plural, sortSkipped, summarize } from './json.js';

/**
 * The Markdown summary, one renderer for two places: `--format markdown` (a pull/merge request comment:
 * the most severe findings first, capped to fit a comment) and the GitHub step summary that
 * `--format github` appends to `$GITHUB_STEP_SUMMARY` (every finding that fits GitHub's size limit).
 * Both show the counts by severity, a table of findings (severity, rule linked to its docs page,
 * file:line, message and fix), what could not be scanned (skipped files) and rule failures.
 */

export interface MarkdownOptions {
  /** Paths relative to this directory (normally the repository root in CI). */
  cwd?: string;
  /**
   * Where the rule pages are: a rule links to `<docsBaseUrl>/docs/rules/<id>.md`. An empty string gives
   * relative links (`docs/rules/<id>.md`); undefined, the package's repository (`DEFAULT_DOCS_BASE_URL`).
   */
  docsBaseUrl?: string;
}

/** Limits of one place the summary goes to. */
export interface MarkdownLimits {
  /** At most this many findings in the table (the most severe first). */
  maxFindings: number;
  /** Skipped files listed in the collapsed block (the count line is always there). */
  maxSkippedListed: number;
  /** Characters of the whole text; the table stops before it would exceed this. */
  budget: number;
}

/**
 * A pull request comment: GitHub rejects comment bodies over 65,536 characters (GitLab's notes allow
 * 1,000,000), and a reviewer reads the top of the list; the SARIF or JSON report keeps the rest.
 */
export const COMMENT_LIMITS: MarkdownLimits = { maxFindings: 50, maxSkippedListed: 20, budget: 60_000 };

/** The job summary: GitHub rejects step summaries over 1 MiB; stay well below. */
export const STEP_SUMMARY_LIMITS: MarkdownLimits = { maxFindings: Number.POSITIVE_INFINITY, maxSkippedListed: 500, budget: 900_000 };

/** Internal errors listed one by one (they are rare; more are counted). */
const MAX_INTERNAL_ERRORS_LISTED = 20;

/**
 * The web address of a repository's files (`…/blob/HEAD` on GitHub, `…/-/blob/HEAD` on GitLab,
 * `…/src/HEAD` on Bitbucket; HEAD is the default branch) from a package.json `repository` field: a URL
 * (`git+https://…`, `git://…`, `git+ssh://git@…`, `git@host:owner/repo.git`), a shorthand (`owner/repo`,
 * `github:owner/repo`, `gitlab:…`, `bitbucket:…`) or `{ url, directory }`. Undefined for other hosts,
 * whose file URLs cannot be derived.
 */
export function repositoryFilesUrl(repository: unknown): string | undefined {
  let url: string | undefined;
  let directory: string | undefined;
  if (typeof repository === 'string') url = repository;
  else if (repository && typeof repository === 'object') {
    const { url: u, directory: d } = repository as { url?: unknown; directory?: unknown };
    if (typeof u === 'string') url = u;
    if (typeof d === 'string') directory = d;
  }
  if (!url) return undefined;
  url = url.trim();

  const HOSTS: Record<string, string> = { github: 'github.com', gitlab: 'gitlab.com', bitbucket: 'bitbucket.org' };
  let host: string | undefined;
  let repoPath: string | undefined;
  const shorthand = /^(?:(github|gitlab|bitbucket):)?([\w.-]+\/[\w.-]+)$/.exec(url);
  if (shorthand) {
    host = HOSTS[shorthand[1] ?? 'github'];
    repoPath = shorthand[2];
  } else {
    const scp = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)([\w.-]+(?:\/[\w.-]+)+)$/.exec(url);
    if (scp) {
      host = scp[1];
      repoPath = scp[2];
    } else {
      try {
        const parsed = new URL(url.replace(/^git\+/, ''));
        host = parsed.hostname;
        repoPath = parsed.pathname.replace(/^\/+/, '');
      } catch {
        return undefined;
      }
    }
  }
  if (!host || !repoPath) return undefined;
  repoPath = repoPath.replace(/\/+$/, '').replace(/\.git$/, '');
  const web = `https://${host}/${repoPath}`;
  let files: string;
  if (host === 'github.com') files = `${web}/blob/HEAD`;
  else if (host === 'gitlab.com') files = `${web}/-/blob/HEAD`;
  else if (host === 'bitbucket.org') files = `${web}/src/HEAD`;
  else return undefined;
  const sub = directory?.replace(/^\.?\/+|\/+$/g, '');
  return sub ? `${files}/${sub}` : files;
}

/** The rule pages' base when none is given: stream-doctor's own repository, else '' (relative links). */
export const DEFAULT_DOCS_BASE_URL: string = repositoryFilesUrl(TOOL_REPOSITORY) ?? '';

/** The docs page of a rule: `<base>/docs/rules/<id>.md`, or relative when the base is ''. */
export function ruleDocsUrl(ruleId: string, docsBaseUrl: string = DEFAULT_DOCS_BASE_URL): string {
  const page = `docs/rules/${encodeURIComponent(ruleId)}.md`;
  const base = docsBaseUrl.replace(/\/+$/, '');
  return base ? `${base}/${page}` : page;
}

/** `--format markdown`: the summary for a pull/merge request comment. */
export function formatMarkdown(report: Report, opts: MarkdownOptions = {}): string {
  return renderMarkdown(report, opts, COMMENT_LIMITS);
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
  return `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')}\``;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Most severe first, then the one order of every format (file, line, column, rule…). */
function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || compareFindings(a, b);
}

function countsText(counts: Record<Severity, number>): string {
  return `${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${counts.info} info`;
}

function row(report: Report, f: Finding, opts: MarkdownOptions): string {
  let message = f.message;
  if (f.package) message += ` (${f.package.name}@${f.package.version})`;
  if (f.fix) message += `\nFix: ${f.fix}`;
  const file = displayPath(report, f.file, opts.cwd);
  // Live-configuration findings (aws) are about an API field, not a line.
  const location = f.field !== undefined ? `${code(file)} ${code(f.field)}` : code(`${file}:${f.line}`);
  const rule = `[${code(f.ruleId)}](${ruleDocsUrl(f.ruleId, opts.docsBaseUrl)})`;
  return `| ${f.severity} | ${rule} | ${location} | ${cell(message)} |`;
}

/** The summary for one place, within that place's limits. */
export function renderMarkdown(report: Report, opts: MarkdownOptions, limits: MarkdownLimits): string {
  const s = summarize(report);
  const total = s.error + s.warning + s.info;
  const out: string[] = ['## stream-doctor', ''];
  const internalErrors = report.internalErrors ?? [];
  const found = total === 0 ? (internalErrors.length > 0 ? 'no findings' : '**No problems found**') : `**${plural(total, 'problem')}** (${countsText(s)})`;
  // A report that checked nothing is never a pass (verify: no event reached the handler).
  const counts = report.inconclusive ? `**✖ ${report.inconclusive}** · ${total === 0 ? 'no findings' : found}` : found;
  const extras = [`${s.fixable} fixable`, `${s.suppressed} suppressed`, `${plural(s.filesScanned, 'file')} scanned`, `${report.skipped.length} skipped`];
  out.push(`${counts} · ${extras.join(' · ')}`, '');

  if (internalErrors.length > 0) {
    out.push(`**${plural(internalErrors.length, 'rule failure')}**: findings may be missing, so the check cannot pass.`, '');
    for (const e of internalErrors.slice(0, MAX_INTERNAL_ERRORS_LISTED)) {
      out.push(`- ${code(e.ruleId)} on ${code(displayPath(report, e.file, opts.cwd))}: ${cell(e.message)}`);
    }
    if (internalErrors.length > MAX_INTERNAL_ERRORS_LISTED) out.push(`- …and ${internalErrors.length - MAX_INTERNAL_ERRORS_LISTED} more`);
    out.push('');
  }

  // The skipped files go after the table but count against the budget first: they always fit.
  const tail: string[] = [];
  if (report.skipped.length > 0) {
    const listed = sortSkipped(report.skipped).slice(0, limits.maxSkippedListed);
    tail.push(`<details><summary>${plural(report.skipped.length, 'skipped file')}</summary>`, '', '| File | Reason |', '| --- | --- |');
    for (const note of listed) tail.push(`| ${code(displayPath(report, note.file, opts.cwd))} | ${cell(note.reason)} |`);
    if (report.skipped.length > listed.length) tail.push('', `…and ${report.skipped.length - listed.length} more; \`--verbose\` or the JSON report lists all of them.`);
    tail.push('', '</details>', '');
  }

  if (total > 0) {
    out.push('| Severity | Rule | Location | Message |', '| --- | --- | --- | --- |');
    // Room for the table: the budget less what is already there, the skipped block and the closing line.
    let room = limits.budget - out.join('\n').length - tail.join('\n').length - 200;
    const findings = [...report.findings].sort(bySeverity);
    let shown = 0;
    for (const f of findings) {
      if (shown >= limits.maxFindings) break;
      const line = row(report, f, opts);
      if (line.length + 1 > room) break;
      out.push(line);
      room -= line.length + 1;
      shown++;
    }
    if (shown < findings.length) {
      const rest: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
      for (const f of findings.slice(shown)) rest[f.severity]++;
      out.push('', `…and ${plural(findings.length - shown, 'more finding')} (${countsText(rest)}); the SARIF or JSON report lists all of them.`);
    }
    out.push('');
  }

  out.push(...tail);
  return `${out.join('\n')}\n`;
}
