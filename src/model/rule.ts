/**
 * The rule contract: one way to declare a rule, whatever runs it.
 *
 * A rule is declared with `defineCodeRule`, `defineDeploymentRule`, `defineLiveRule` or `defineObservedRule`
 * (probe, verify and the known-bad check report under ids they do not compute from facts). Every rule has
 * the same metadata, a catalog of **named messages** (`messages: { hangs: '… {{name}} …' }`), and reports
 * problems that pick a `messageId` with the data its template names (checked at compile time) plus, where a
 * fixer needs it, a typed `payload`: the nodes or the choice the rule made, so the fixer starts from what the
 * rule saw instead of finding it again by position (ESLint's fix closure, typed-eslint's message ids).
 *
 * Rules only report. One runner (src/checks/runner.ts) turns problems into `Finding`s, isolates a rule that
 * throws, and stamps evidence, fixability and fingerprints the same way for every surface.
 */
import type { Finding, Severity } from './finding.js';
import type { ModuleFacts } from '../code/facts.js';
import type { Deployment, SourceLocation } from './deployment.js';
import type { HandlerFacts } from '../code/handler-facts.js';
import type { LogStats } from '../aws/logs/stats.js';

export type RuleCategory = 'lifecycle' | 'metadata' | 'package' | 'deployment' | 'live' | 'protocol';

/** What runs a rule: the code analysis, the package check, the deployment readers, live AWS, probe, or verify. */
export type RuleSurface = 'code' | 'package' | 'deployment' | 'live' | 'probe' | 'verify';

export interface RuleMeta<Id extends string = string> {
  /** Stable id; also the file name of the rule, its docs page (docs/rules/<id>.md) and its fixtures. */
  id: Id;
  surface: RuleSurface;
  category: RuleCategory;
  /** Default severity; a report may lower it when the evidence is weaker. */
  severity: Severity;
  /** One line for `stream-doctor rules`. */
  title: string;
  /** What happens at runtime, in one or two sentences. */
  consequence: string;
  /** Why we believe it: runtime behaviour observed or read, issues, changelogs. */
  evidence: string;
  /** Whether `stream-doctor fix` can change the code or the configuration mechanically. */
  fixable: boolean;
  /**
   * The bug exists only in this runtime lineage (3.x: nodejs18.x/20.x/22.x; 4.x: nodejs24.x and later). When
   * the infrastructure code deploys a handler only on runtimes of the other lineage, the rule's findings in that
   * handler are dropped.
   */
  onlyRuntime?: '3.x' | '4.x';
  /**
   * When set, `onlyRuntime` applies to findings with these message ids only (the others hold on every
   * runtime). `4.x`: dropped when the infrastructure code deploys the handler only on nodejs18.x/20.x/22.x.
   */
  onlyRuntimeMessages?: readonly string[];
  /**
   * Code rules only: byte tokens, one of which a file must contain for the rule to run on it (the file is
   * not parsed for this rule otherwise). Other surfaces have none.
   */
  triggers: readonly string[];
}

/** A rule's message catalog: id -> template with `{{name}}` placeholders. */
export type Messages = Readonly<Record<string, string>>;

/** The `{{name}}` placeholders of a template, as a union of names. */
type PlaceholdersOf<T extends string> = T extends `${string}{{${infer Name}}}${infer Rest}` ? Name | PlaceholdersOf<Rest> : never;

/** The data a template needs: one value per placeholder (none when it has none). */
export type MessageData<T extends string> = string extends T
  ? Record<string, string | number>
  : [PlaceholdersOf<T>] extends [never]
    ? Record<string, never>
    : Record<PlaceholdersOf<T>, string | number>;

/** One of the catalog's messages with its data: a typo in an id or a missing placeholder fails to compile. */
export type MessageChoice<M extends Messages> = {
  [K in keyof M & string]: { messageId: K; data: MessageData<M[K]> };
}[keyof M & string];

/** Fills a template's placeholders; an unknown placeholder is left visible rather than silently dropped. */
export function renderMessage(template: string, data: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => (name in data ? String(data[name]) : whole));
}

/** What every report carries, once its message is rendered. */
export interface Problem<P = unknown> {
  messageId: string;
  data: Readonly<Record<string, string | number>>;
  /** The rendered message: what will happen in production, and why. */
  message: string;
  /** Lower than the rule's default when the evidence is weaker (e.g. a possibly empty source). */
  severity?: Severity;
  /** The next step for the user, in words (`stream-doctor fix` may also have an edit). */
  fix?: string;
  /** A short logical key for the fingerprint; code rules default to the reported source snippet. */
  key?: string;
  /** What the rule's fixer needs: the nodes, the branch or the setting it chose. */
  payload?: P;
}

/** A problem in a source file, by UTF-16 offsets into its text. */
export interface CodeProblem<P = unknown> extends Problem<P> {
  start: number;
  end: number;
}

/** A problem at a located value (an infrastructure field, a live function's API field). */
export interface LocatedProblem<P = unknown> extends Problem<P> {
  at: SourceLocation;
  /** The deployment's name and the setting: stable across edits of the file. */
  key: string;
}

/** A declared payload is always there: the fixer of a rule with a payload can rely on it. */
export type WithPayload<P> = [P] extends [undefined] ? unknown : { payload: P };

/** What a check passes to `report`: a message choice, where, and (when the rule declares one) its payload. */
type ReportInput<M extends Messages, P, Where> = MessageChoice<M> &
  Where & { severity?: Severity; fix?: string; key?: string } & ([P] extends [undefined] ? { payload?: undefined } : { payload: P });

export type CodeReport<M extends Messages, P = undefined> = ReportInput<M, P, { start: number; end: number }>;
export type LocatedReport<M extends Messages, P = undefined> = ReportInput<M, P, { at: SourceLocation; key: string }>;

/** A declared payload type, for inference: `payload: payloadType<{ from: Node }>()`. Never read at runtime. */
export function payloadType<P>(): P {
  return undefined as P;
}

interface RuleBase<Id extends string, M extends Messages> {
  meta: RuleMeta<Id>;
  messages: M;
}


export interface CodeRule<Id extends string = string, M extends Messages = Messages, P = any> extends RuleBase<Id, M> {
  check(facts: ModuleFacts): Array<CodeProblem<P> & WithPayload<P>>;
}

/** Everything a deployment rule may look at: the deployment and, when it resolved, its handler's facts. */
export interface DeploymentContext {
  deployment: Deployment;
  handler: HandlerFacts | null;
}

export interface DeploymentRule<Id extends string = string, M extends Messages = Messages, P = any> extends RuleBase<Id, M> {
  check(context: DeploymentContext): Array<LocatedProblem<P> & WithPayload<P>>;
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

export interface LiveRule<Id extends string = string, M extends Messages = Messages, P = any> extends RuleBase<Id, M> {
  check(context: LiveContext): Array<LocatedProblem<P> & WithPayload<P>>;
}

/**
 * A rule whose problems are observed by an engine of its own rather than computed from facts: the wire
 * (`probe`), a run under the real runtime (`verify`), the known-bad versions database. It declares its
 * metadata and messages like any rule; the engine reports with `observed(rule, …)`.
 */
export interface ObservedRule<Id extends string = string, M extends Messages = Messages> {
  meta: RuleMeta<Id>;
  messages: M;
}

export type AnyRule = CodeRule | DeploymentRule | LiveRule | ObservedRule;

/** The problem type a rule's check returns (with the rule's payload type). */
export type ProblemOf<R> = R extends { check(context: never): Array<infer P> } ? P : never;

type MetaInput<Id extends string> = Omit<RuleMeta<Id>, 'surface' | 'triggers'>;

/** Builds `report` for a check: renders the message and collects the problem. */
function collector<M extends Messages, Out extends Problem>(messages: M, sink: Out[]) {
  return (input: { messageId: string; data: Readonly<Record<string, string | number>> } & object) => {
    const template = messages[input.messageId];
    if (template === undefined) throw new Error(`unknown messageId "${input.messageId}"`);
    sink.push({ ...input, message: renderMessage(template, input.data) } as unknown as Out);
  };
}

/** A rule over one module's facts (`scan`, `fix`, the deployed code of `aws`). */
export function defineCodeRule<const Id extends string, const M extends Messages, P = undefined>(spec: {
  meta: MetaInput<Id> & { triggers: readonly string[] };
  messages: M;
  /** Declares the payload type for the fixer: `payload: payloadType<{ … }>()`. */
  payload?: P;
  check(facts: ModuleFacts, report: (problem: CodeReport<M, P>) => void): void;
}): CodeRule<Id, M, P> {
  const { check, messages } = spec;
  return {
    meta: { ...spec.meta, surface: 'code' },
    messages,
    check(facts) {
      const problems: Array<CodeProblem<P> & WithPayload<P>> = [];
      check(facts, collector(messages, problems));
      return problems;
    },
  };
}

/** A rule over a `Deployment` and its handler: the same rule for every infrastructure format and live AWS. */
export function defineDeploymentRule<const Id extends string, const M extends Messages, P = undefined>(spec: {
  meta: MetaInput<Id>;
  messages: M;
  payload?: P;
  check(context: DeploymentContext, report: (problem: LocatedReport<M, P>) => void): void;
}): DeploymentRule<Id, M, P> {
  const { check, messages } = spec;
  return {
    meta: { ...spec.meta, surface: 'deployment', triggers: [] },
    messages,
    check(context) {
      const problems: Array<LocatedProblem<P> & WithPayload<P>> = [];
      check(context, collector(messages, problems));
      return problems;
    },
  };
}

/** A rule over a live function: its configuration, deployed code and platform logs (`stream-doctor aws`). */
export function defineLiveRule<const Id extends string, const M extends Messages, P = undefined>(spec: {
  meta: MetaInput<Id>;
  messages: M;
  payload?: P;
  check(context: LiveContext, report: (problem: LocatedReport<M, P>) => void): void;
}): LiveRule<Id, M, P> {
  const { check, messages } = spec;
  return {
    meta: { ...spec.meta, surface: 'live', triggers: [] },
    messages,
    check(context) {
      const problems: Array<LocatedProblem<P> & WithPayload<P>> = [];
      check(context, collector(messages, problems));
      return problems;
    },
  };
}

/** A rule reported by an engine of its own (probe, verify, the known-bad database). */
export function defineObservedRule<const Id extends string, const M extends Messages>(spec: {
  meta: MetaInput<Id> & { surface: 'probe' | 'verify' | 'package' | 'code' };
  messages: M;
}): ObservedRule<Id, M> {
  return { meta: { ...spec.meta, triggers: [] }, messages: spec.messages };
}

/**
 * A problem of `rule`, reported by an engine that observes it (probe, verify, known-bad versions, or a static
 * rule's id seen at run time). The message comes from the rule's catalog, so every wording of a rule lives
 * in its file.
 */
export function observed<M extends Messages>(
  rule: { meta: { id: string }; messages: M },
  problem: MessageChoice<M> & { severity?: Severity; fix?: string; key?: string },
): Problem & { ruleId: string } {
  const template = rule.messages[problem.messageId];
  return { ...problem, ruleId: rule.meta.id, message: renderMessage(template, problem.data) };
}
