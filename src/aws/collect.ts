/**
 * Collectors: read one live function's configuration from the Lambda API. Each call that is not allowed
 * (AccessDenied) degrades its own check with a note; the rest of the report stands. Only a function that
 * cannot be read at all (not found, or neither GetFunction nor GetFunctionConfiguration allowed) fails.
 */
import {
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetPolicyCommand,
  paginateListFunctions,
  paginateListFunctionUrlConfigs,
  type AccountLimit,
  type FunctionConfiguration,
  type FunctionUrlConfig,
} from '@aws-sdk/client-lambda';
import type { AwsClients } from './clients.js';
import type { PolicyDocument } from '../model/rule.js';

export type { PolicyDocument, PolicyStatement } from '../model/rule.js';
import { awsErrorLine, isAccessDenied, isNotFound } from './clients.js';

/** A function as the user named it: a name, `name:alias`, or an ARN (partial or full, with a qualifier). */
export interface FunctionRef {
  /** As given on the command line. */
  given: string;
  /** What the API takes as FunctionName (name or ARN without the qualifier). */
  functionName: string;
  qualifier?: string;
  /** The Region an ARN names, if any. */
  region?: string;
}

const ARN = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9_$-]+))?$/;
const PARTIAL_ARN = /^(\d{12}):function:([A-Za-z0-9_-]+)(?::([A-Za-z0-9_$-]+))?$/;
const NAME = /^([A-Za-z0-9_-]{1,140})(?::([A-Za-z0-9_$-]+))?$/;

/** Parses a function reference; null when it cannot name a Lambda function. */
export function parseFunctionRef(given: string): FunctionRef | null {
  const text = given.trim();
  const arn = ARN.exec(text);
  if (arn) {
    const [, region, , , qualifier] = arn;
    const base = text.slice(0, text.length - (qualifier ? qualifier.length + 1 : 0));
    return { given, functionName: base, region, ...(qualifier ? { qualifier } : {}) };
  }
  const partial = PARTIAL_ARN.exec(text);
  if (partial) {
    const [, account, name, qualifier] = partial;
    return { given, functionName: `${account}:function:${name}`, ...(qualifier ? { qualifier } : {}) };
  }
  const plain = NAME.exec(text);
  if (plain) return { given, functionName: plain[1], ...(plain[2] ? { qualifier: plain[2] } : {}) };
  return null;
}

export interface LiveFunction {
  ref: FunctionRef;
  configuration: FunctionConfiguration;
  /** The presigned URL of the zip (a secret: never printed), or the image. */
  code?: { location?: string; imageUri?: string; repositoryType?: string };
  /** undefined: not reserved; null: could not be read. */
  reservedConcurrency: number | undefined | null;
  /** null: could not be listed (AccessDenied). */
  urls: FunctionUrlConfig[] | null;
  /** The resource-based policy document; undefined when the function has none, null when it could not be read. */
  policy: PolicyDocument | undefined | null;
  /** Checks that were degraded, one line each. */
  notes: string[];
}

export class FunctionNotFound extends Error {}

/** Everything the Lambda API says about one function. Throws FunctionNotFound or the SDK's error. */
export async function collectFunction(clients: AwsClients, ref: FunctionRef): Promise<LiveFunction> {
  const notes: string[] = [];
  const target = { FunctionName: ref.functionName, ...(ref.qualifier ? { Qualifier: ref.qualifier } : {}) };
  let configuration: FunctionConfiguration | undefined;
  let code: LiveFunction['code'];
  let reservedConcurrency: LiveFunction['reservedConcurrency'] = null;
  try {
    // One GetFunction (100 req/s bucket) gives configuration, code location and concurrency.
    const out = await clients.lambda.send(new GetFunctionCommand(target));
    configuration = out.Configuration;
    code = { location: out.Code?.Location, imageUri: out.Code?.ImageUri, repositoryType: out.Code?.RepositoryType };
    reservedConcurrency = out.Concurrency?.ReservedConcurrentExecutions;
  } catch (error) {
    if (isNotFound(error)) throw new FunctionNotFound(`function not found: ${ref.given}`);
    if (!isAccessDenied(error)) throw error;
    notes.push('deployed code not checked: not authorized for lambda:GetFunction');
  }
  if (!configuration) {
    try {
      configuration = await clients.lambda.send(new GetFunctionConfigurationCommand(target));
    } catch (error) {
      if (isNotFound(error)) throw new FunctionNotFound(`function not found: ${ref.given}`);
      throw error;
    }
    try {
      const out = await clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: ref.functionName }));
      reservedConcurrency = out.ReservedConcurrentExecutions;
    } catch (error) {
      notes.push(`reserved concurrency not checked: ${degraded(error)}`);
    }
  }

  let urls: FunctionUrlConfig[] | null = [];
  try {
    for await (const page of paginateListFunctionUrlConfigs({ client: clients.lambda }, { FunctionName: ref.functionName })) {
      urls.push(...(page.FunctionUrlConfigs ?? []));
    }
    // `name:alias` is about the URL on that alias only.
    if (ref.qualifier) urls = urls.filter((u) => qualifierOf(u.FunctionArn) === ref.qualifier);
  } catch (error) {
    if (!isAccessDenied(error) && !isNotFound(error)) throw error;
    urls = null;
    notes.push(`Function URL not checked: ${degraded(error)}`);
  }

  let policy: LiveFunction['policy'];
  try {
    const out = await clients.lambda.send(new GetPolicyCommand(target));
    policy = out.Policy ? (JSON.parse(out.Policy) as PolicyDocument) : undefined;
  } catch (error) {
    if (isNotFound(error)) policy = undefined;
    else if (isAccessDenied(error) || error instanceof SyntaxError) {
      policy = null;
      notes.push(`resource policy not checked: ${degraded(error)}`);
    } else throw error;
  }

  return { ref, configuration, code, reservedConcurrency, urls, policy, notes };
}

/** `arn:...:function:name:live` -> `live`; unqualified -> undefined. */
export function qualifierOf(functionArn: string | undefined): string | undefined {
  const m = functionArn ? ARN.exec(functionArn) : null;
  return m?.[4];
}

function degraded(error: unknown): string {
  if (isAccessDenied(error)) {
    const action = /perform: ([a-z]+:[A-Za-z]+)/.exec(error instanceof Error ? error.message : '')?.[1];
    return action ? `not authorized for ${action}` : 'access denied';
  }
  return awsErrorLine(error);
}

/** The account's concurrency limits, once per run; null with a note when not allowed. */
export async function collectAccountLimit(clients: AwsClients): Promise<{ limit: AccountLimit | null; note?: string }> {
  try {
    const out = await clients.lambda.send(new GetAccountSettingsCommand({}));
    return { limit: out.AccountLimit ?? null };
  } catch (error) {
    if (!isAccessDenied(error)) throw error;
    return { limit: null, note: `account concurrency not checked: ${degraded(error)}` };
  }
}

/** Every function in the Region (ListFunctions pages of 50). */
export async function* listFunctionNames(clients: AwsClients): AsyncGenerator<string> {
  for await (const page of paginateListFunctions({ client: clients.lambda, pageSize: 50 }, {})) {
    for (const fn of page.Functions ?? []) if (fn.FunctionName) yield fn.FunctionName;
  }
}
