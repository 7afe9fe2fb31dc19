/**
 * The contract between `fixDeployments` and the fixer of each deployment rule: a fixer gets one finding with
 * the deployment and handler facts the rule saw, and proposes text edits in ONE file (which may be another
 * file than the finding's: a Dockerfile ENV, the URL resource of a function), or a suggestion.
 */
import type { DeploymentFinding } from '../../iac/index.js';
import type { TextEdit } from '../../model/fix.js';
import { formatsFor, type IacEditor } from '../../iac/formats.js';
import type { DeploymentRule, ProblemOf } from '../../model/rule.js';

export interface DeploymentFixContext {
  root: string;
  detail: DeploymentFinding;
  /** The current text of a project file (with the edits accepted so far), or null when it cannot be read. */
  read(rel: string): string | null;
}

export interface DeploymentEdit {
  /** One line, imperative: what the edit does. */
  title: string;
  /** The file the edits apply to, relative to the root. */
  file: string;
  edits: TextEdit[];
}

export interface DeploymentSuggestion {
  suggestion: string;
}

export type DeploymentProposal = DeploymentEdit | DeploymentSuggestion;

export interface DeploymentFixer {
  ruleId: string;
  fix(context: DeploymentFixContext): DeploymentProposal;
}

/**
 * Declares the fixer of a deployment rule: it starts from the rule's problem (`context.detail.report`), typed
 * with the rule's message ids and payload, never from the finding's position or fingerprint key.
 */
export function defineDeploymentFixer<R extends DeploymentRule>(rule: R, fix: (problem: ProblemOf<R>, context: DeploymentFixContext) => DeploymentProposal): DeploymentFixer {
  return { ruleId: rule.meta.id, fix: (context) => fix(context.detail.report as ProblemOf<R>, context) };
}

export function isDeploymentSuggestion(proposal: DeploymentProposal): proposal is DeploymentSuggestion {
  return 'suggestion' in proposal;
}

/** The editor a file needs (src/iac/formats.ts), `cdk-out` for synthesized output, `unknown` for no format. */
export type IacFormat = IacEditor | 'cdk-out' | 'unknown';

/** Which editor a file needs, from the format table (cdk.out is synthesized output: never edited). */
export function formatOf(file: string, text?: string): IacFormat {
  // The row the reader chose: its `accepts` decides on the text (a CloudFormation template named serverless.yml).
  const name = file.split('/').pop() ?? file;
  const format = formatsFor(file).find((f) => text === undefined || !f.accepts || f.accepts(text, name));
  if (!format) return 'unknown';
  return format.editor ?? (format.id === 'cdk-out' ? 'cdk-out' : 'unknown');
}

/** The suggestion for synthesized CDK output. */
export const CDK_OUT = 'cdk.out is synthesized by `cdk synth`, so make the change in the CDK app source and synthesize again (stream-doctor never edits cdk.out)';
