import type { Finding, Severity } from './finding.js';
import type { ModuleFacts } from '../code/facts.js';
import type { Deployment, SourceLocation } from './deployment.js';
import type { HandlerFacts } from '../code/handler-facts.js';
import type { LogStats } from '../aws/logs/stats.js';

export type RuleCategory = 'lifecycle' | 'metadata' | 'package' | 'deployment' | 'live';

export interface RuleMeta {
  /** Stable id; also the file name of the rule, its docs page and its fixtures. */
  id: string;
  category: RuleCategory;
  /** Default severity; a finding may be downgraded when the evidence is weaker. */
  severity: Severity;
  /** One line for `stream-doctor rules`. */
  title: string;
  /** What happens at runtime, in one or two sentences. */
  consequence: string;
  /** Why we believe it: runtime behaviour observed or read, issues, changelogs. */
  evidence: string;
  /** Whether `stream-doctor fix` can change the code mechanically. */
  fixable: boolean;
  /**
   * The bug exists only in this runtime lineage (3.x: nodejs18.x/20.x/22.x). When the infrastructure code
   * deploys a handler only on later runtimes, the rule's findings in that handler are dropped.
   */
  onlyRuntime?: '3.x';
  /**
   * Byte tokens: a file that contains none of them cannot trigger the rule, so it is not parsed
   * for this rule. Empty means the rule does not run on source files (package rules).
   */
  triggers: string[];
}

/** A finding as a rule reports it: location by source offset; the pipeline adds file, lines, package. */
export interface RuleReport {
  ruleId?: string;
  severity?: Severity;
  message: string;
  /** UTF-16 offsets into the file text. */
  start: number;
  end: number;
  fix?: string;
  /** A short logical key for the fingerprint, e.g. the handler name; defaults to the source snippet. */
  key?: string;
}

export interface CodeRule {
  meta: RuleMeta;
  check(facts: ModuleFacts): RuleReport[];
}

/** A deployment finding: located in the infrastructure file; names the handler file involved. */
export interface DeploymentReport {
  severity?: Severity;
  message: string;
  at: SourceLocation;
  fix?: string;
  /** A short logical key for the fingerprint (the deployment name and the field). */
  key: string;
}

/** Everything a deployment rule may look at: the deployment and, when it resolved, its handler's facts. */
export interface DeploymentContext {
  deployment: Deployment;
  handler: HandlerFacts | null;
}

export interface DeploymentRule {
  meta: RuleMeta;
  check(context: DeploymentContext): DeploymentReport[];
}

/** A statement of a function's resource-based policy (GetPolicy), as far as the rules read it. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: string | { Service?: string | string[]; AWS?: string | string[] } | '*';
  Action?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Statement?: PolicyStatement[];
}

/**
 * What a live-function rule may look at (`stream-doctor aws`): the function as a Deployment, its handler's
 * facts and the code findings in its deployed package (when the code was downloaded), and the statistics
 * of its platform log lines (when the logs could be read).
 */
export interface LiveContext {
  deployment: Deployment;
  handler: HandlerFacts | null;
  /** Findings of the code rules in the deployed package; empty when the code was not checked. */
  codeFindings: Finding[];
  codeChecked: boolean;
  logs: LogStats | null;
  /** Every deployment of the function: one per Function URL (unqualified and per alias). */
  deployments: Deployment[];
  /** The resource-based policy: undefined when the function has none, null when it could not be read. */
  policy: PolicyDocument | undefined | null;
  /** `24 h`, `7 d`: the log window, for messages. */
  window: string;
  /** The account's concurrency limit (used when the function has no reservation). */
  accountConcurrency?: number;
}

export interface LiveRule {
  meta: RuleMeta;
  check(context: LiveContext): DeploymentReport[];
}
