/**
 * Infrastructure edits for deployment findings with one clear fix (InvokeMode, AWS_LWA_INVOKE_MODE, duplicate
 * CORS...): minimal text edits in the IaC file, validated by re-reading it and re-running the deployment
 * checks. Each fixer lives in its own file, named after the rule.
 *
 * The loop mirrors the code engine (src/fix/engine.ts): take the next finding in scope, ask its rule's fixer
 * for an edit, apply it to the current text of the file it names, and keep it only when
 * - the edited file still parses (the readers' own parser, plus `yaml` for YAML, oxc for scripts, the HCL
 *   parser for Terraform) and its reader notes nothing new about it;
 * - reading the whole project again with the edited text yields the same functions;
 * - the finding is gone and no finding appears that was not there before (by fingerprint).
 * An edit that fails any of these, a fixer that declines, and a rule that has no one clear fix become
 * suggestions: the finding's own `fix` text and why no edit was made. Accepted edits stack up per file, and
 * after each one the project is evaluated again (lines move), so the result is what a second run confirms.
 */
import type { InternalError } from '../../model/finding.js';
import { firstLine } from '../../checks/runner.js';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { AppliedFix, FileFix, FixSuggestion } from '../engine.js';
import { applyEdits } from '../text.js';
import { evaluateDeployments, type DeploymentEvaluation, type DeploymentFinding } from '../../iac/index.js';
import type { HandlerFacts } from '../../code/handler-facts.js';
import { syntaxErrorCount } from '../../code/facts.js';
import { loadConfig, type StreamDoctorConfig } from '../../config/config.js';
import { commentStyleFor, parseDirectives } from '../../config/suppressions.js';
import { type DeploymentFixer, type DeploymentProposal, formatOf, isDeploymentSuggestion } from './types.js';
import { yamlParseProblem } from './yaml-text.js';
import { streamingHandlerBehindBufferedUrlFixer } from './streaming-handler-behind-buffered-url.js';
import { webAdapterModeMismatchFixer } from './web-adapter-mode-mismatch.js';
import { duplicateCorsFixer } from './duplicate-cors.js';
import { streamingTimeoutTooShortFixer } from './streaming-timeout-too-short.js';

export interface DeploymentFixOptions {
  only?: ReadonlySet<string>;
  /** The configuration `fix` loaded (`--config`); the project's default file otherwise. */
  config?: StreamDoctorConfig;
}

/** The deployment rules `fix` answers for: an edit, or (streaming-timeout-too-short) always a suggestion. */
export const deploymentFixers: DeploymentFixer[] = [
  streamingHandlerBehindBufferedUrlFixer,
  webAdapterModeMismatchFixer,
  duplicateCorsFixer,
  streamingTimeoutTooShortFixer,
];

export const deploymentFixersById: ReadonlyMap<string, DeploymentFixer> = new Map(deploymentFixers.map((f) => [f.ruleId, f]));

/** Each accepted edit removes a finding and adds none, so this only bounds pathological projects. */
const MAX_FIXES = 100;
const MAX_IAC_BYTES = 4 * 1024 * 1024;

export async function fixDeployments(root: string, options: DeploymentFixOptions): Promise<FileFix[]> {
  return fixDeploymentsWith(root, options, deploymentFixersById);
}

/** `fixDeployments` with another set of fixers (tests give it fixers that break things, to see them refused). */
export async function fixDeploymentsWith(root: string, options: DeploymentFixOptions, fixers: ReadonlyMap<string, DeploymentFixer>): Promise<FileFix[]> {
  const config = options.config ?? (await configOf(root));
  const originals = new Map<string, string | null>();
  const edited = new Map<string, string>();
  const read = (rel: string): string | null => {
    const current = edited.get(rel);
    if (current !== undefined) return current;
    if (!originals.has(rel)) originals.set(rel, readProjectFile(root, rel));
    return originals.get(rel)!;
  };
  const handlerCache = new Map<string, Promise<HandlerFacts | null>>();
  let state = await evaluateDeployments(root, { overrides: edited, handlerCache });

  const applied: Array<{ file: string; fix: AppliedFix }> = [];
  const internalErrors: InternalError[] = [];
  let suggestions: Array<{ file: string; suggestion: FixSuggestion }> = [];
  const tried = new Set<string>();
  const inScope = (detail: DeploymentFinding) => {
    const { ruleId, finding } = detail;
    if (options.only && !options.only.has(ruleId)) return false;
    if (config.rules?.[ruleId] === 'off' || !fixers.has(ruleId) || finding.origin !== 'project') return false;
    return !suppressedInline(read(finding.file), finding.file, ruleId, finding.line);
  };

  for (let accepted = 0; accepted < MAX_FIXES; ) {
    const next = state.details.find((detail) => !tried.has(detail.finding.fingerprint) && inScope(detail));
    if (!next) break;
    tried.add(next.finding.fingerprint);
    const { finding, ruleId } = next;
    const suggest = (why: string) =>
      suggestions.push({
        file: finding.file,
        suggestion: { ruleId, line: finding.line, message: finding.message, suggestion: `${finding.fix ?? 'See the rule page.'} (No automatic edit: ${why}.)` },
      });

    // serverless.ts / serverless.js are programs: their values may be computed, imported or shared, so they are not edited.
    if (next.deployment.source === 'serverless' && ['typescript', 'unknown'].includes(formatOf(finding.file))) {
      suggest('a Serverless configuration written as a module (serverless.ts, serverless.js) is not edited');
      continue;
    }
    let proposal: DeploymentProposal;
    try {
      proposal = fixers.get(ruleId)!.fix({ root, detail: next, read });
    } catch (error) {
      // A bug in the fixer, not a decline: reported as an internal error (the finding keeps its advice).
      internalErrors.push({ ruleId, file: finding.file, message: `fixer failed: ${firstLine(error)}` });
      proposal = { suggestion: 'the fixer failed (see the internal errors)' };
    }
    if (isDeploymentSuggestion(proposal)) {
      suggest(proposal.suggestion);
      continue;
    }
    const before = read(proposal.file);
    if (before === null) {
      suggest(`${proposal.file} cannot be read`);
      continue;
    }
    const candidate = applyEdits(before, proposal.edits);
    if (candidate === before) {
      suggest('the edit would change nothing');
      continue;
    }
    const verdict = await validate(root, state, next, proposal.file, before, candidate, edited, handlerCache);
    if (typeof verdict === 'string') {
      suggest(verdict);
      continue;
    }
    edited.set(proposal.file, candidate);
    const firstEdit = Math.min(...proposal.edits.map((e) => e.start));
    applied.push({ file: proposal.file, fix: { ruleId, title: proposal.title, line: proposal.file === finding.file ? finding.line : lineAt(before, firstEdit) } });
    state = verdict;
    accepted++;
    // Lines moved and findings changed: the remaining ones are tried again on the new state.
    tried.clear();
    suggestions = [];
  }

  const files = new Map<string, FileFix>();
  const fileFix = (rel: string): FileFix => {
    let fix = files.get(rel);
    if (!fix) {
      const original = originals.get(rel) ?? readProjectFile(root, rel) ?? '';
      fix = { rel, original, fixed: edited.get(rel) ?? original, applied: [], suggestions: [] };
      files.set(rel, fix);
    }
    return fix;
  };
  for (const { file, fix } of applied) fileFix(file).applied.push(fix);
  for (const { file, suggestion } of suggestions) fileFix(file).suggestions.push(suggestion);
  for (const error of internalErrors) (fileFix(error.file).internalErrors ??= []).push(error);
  return [...files.values()];
}

/** The edit is kept when this returns the new evaluation; otherwise the reason it is not. */
async function validate(
  root: string,
  before: DeploymentEvaluation,
  target: DeploymentFinding,
  file: string,
  original: string,
  candidate: string,
  edited: ReadonlyMap<string, string>,
  handlerCache: Map<string, Promise<HandlerFacts | null>>,
): Promise<DeploymentEvaluation | string> {
  const problem = await parseProblem(file, original, candidate);
  if (problem) return problem;
  let after: DeploymentEvaluation;
  try {
    after = await evaluateDeployments(root, { overrides: new Map(edited).set(file, candidate), handlerCache });
  } catch (error) {
    return `the edited project could not be read (${(error as Error).message.split('\n')[0]})`;
  }
  const notesBefore = before.skipped.filter((n) => n.file === file).length;
  const notesAfter = after.skipped.filter((n) => n.file === file);
  if (notesAfter.length > notesBefore) return `the edited file could not be read (${notesAfter[notesAfter.length - 1].reason})`;
  const identity = (e: DeploymentEvaluation) => e.functions.map((d) => `${d.source}\0${d.at.file}\0${d.name}`).sort().join('\n');
  if (identity(after) !== identity(before)) return 'the edit would change which functions the project declares';
  if (after.findings.some((f) => f.fingerprint === target.finding.fingerprint)) return 'the rule would still report it';
  const remaining = new Map<string, number>();
  for (const f of before.findings) remaining.set(f.fingerprint, (remaining.get(f.fingerprint) ?? 0) + 1);
  for (const f of after.findings) {
    const left = remaining.get(f.fingerprint) ?? 0;
    if (left === 0) return `the edit would make ${f.ruleId} report (${f.file}:${f.line})`;
    remaining.set(f.fingerprint, left - 1);
  }
  return after;
}

async function parseProblem(file: string, before: string, after: string): Promise<string | null> {
  switch (formatOf(file, before)) {
    case 'yaml':
    case 'serverless': {
      const problem = yamlParseProblem(file, before, after);
      if (problem) return problem;
      // a second, independent YAML parser: the edit must not be something only one of them accepts
      const errors = (text: string) => parseDocument(text, { uniqueKeys: false }).errors.length;
      return errors(after) > errors(before) ? 'the edited file would not parse as YAML' : null;
    }
    case 'typescript':
      return syntaxErrorCount(file, after) > syntaxErrorCount(file, before) ? 'the edited file would not parse' : null;
    case 'terraform': {
      const { hclToJson } = await import('../../iac/hcl-json.js');
      const parses = (text: string) => {
        try {
          hclToJson(path.basename(file), text);
          return true;
        } catch {
          return false;
        }
      };
      return parses(before) && !parses(after) ? 'the edited file would not parse as HCL' : null;
    }
    default:
      return null;
  }
}

function readProjectFile(root: string, rel: string): string | null {
  try {
    const abs = path.join(root, rel);
    if (statSync(abs).size > MAX_IAC_BYTES) return null;
    return readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** An inline `stream-doctor-disable-next-line <rule> -- reason` on the finding's line: neither fixed nor suggested. */
function suppressedInline(text: string | null, file: string, ruleId: string, line: number): boolean {
  if (!text || !text.includes('stream-doctor-disable')) return false;
  return parseDirectives(text, { commentStyle: commentStyleFor(file) }).directives.some((d) => d.targetLine === line && d.rules.includes(ruleId));
}

/** The project's configuration (rules turned off are not fixed); none when it cannot be read. */
async function configOf(root: string): Promise<StreamDoctorConfig> {
  try {
    return (await loadConfig(root)).config;
  } catch {
    return {};
  }
}
