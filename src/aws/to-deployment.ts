/**
 * A live function as the same `Deployment` model the IaC readers produce, so the deployment rules run on
 * it unchanged. Locations name the function's ARN as the "file" and the API field as the path
 * (`Configuration.Timeout`, `FunctionUrlConfig($LATEST).InvokeMode`). Environment variables become keys
 * only, except the streaming settings of STREAMING_ENV_KEYS (not secrets): values never enter the model.
 */
import type { FunctionUrlConfig } from '@aws-sdk/client-lambda';
import type { Deployment, FrontDoor, FunctionUrl, Located, PolicyGrant, SourceLocation } from '../model/deployment.js';
import { LWA_LAYER, STREAMING_ENV_KEYS, newDeployment } from '../iac/locate.js';
import type { LiveFunction, PolicyStatement } from './collect.js';
import { qualifierOf } from './collect.js';

/** Lambda's default timeout when none is set (the API always returns one; kept for the model). */
const LAMBDA_DEFAULT_TIMEOUT = 3;

export function locationOf(arn: string, path: string): SourceLocation {
  return { file: arn, line: 1, column: 1, path };
}

function located<T>(arn: string, path: string, value: T): Located<T> {
  return { value, at: locationOf(arn, path) };
}

/** The unqualified function ARN: the "file" of every finding about this function. */
export function functionArnOf(fn: LiveFunction): string {
  const arn = fn.configuration.FunctionArn ?? fn.ref.functionName;
  return qualifierOf(arn) ? arn.slice(0, arn.lastIndexOf(':')) : arn;
}

/**
 * One Deployment per Function URL (the unqualified one and one per alias), or one without a URL.
 * `codeRoot`: where the deployed package was extracted (the handler resolves there), if it was.
 */
export function toDeployments(fn: LiveFunction, codeRoot?: string): Deployment[] {
  const arn = functionArnOf(fn);
  const base = baseDeployment(fn, arn, codeRoot);
  if (!fn.urls || fn.urls.length === 0) return [base];
  return fn.urls.map((url) => {
    const qualifier = qualifierOf(url.FunctionArn);
    return { ...base, name: qualifier ? `${base.name}:${qualifier}` : base.name, url: toFunctionUrl(arn, url) };
  });
}

function baseDeployment(fn: LiveFunction, arn: string, codeRoot: string | undefined): Deployment {
  const c = fn.configuration;
  const d = newDeployment(c.FunctionName ?? fn.ref.functionName, 'aws', locationOf(arn, 'Configuration'), LAMBDA_DEFAULT_TIMEOUT);
  d.packageType = c.PackageType === 'Image' ? 'image' : 'zip';
  if (c.Runtime) d.runtime = located(arn, 'Configuration.Runtime', c.Runtime);
  if (c.Handler) d.handler = located(arn, 'Configuration.Handler', c.Handler);
  else if (c.ImageConfigResponse?.ImageConfig?.Command?.length) {
    d.handler = located(arn, 'Configuration.ImageConfigResponse.ImageConfig.Command', c.ImageConfigResponse.ImageConfig.Command.join(' '));
  }
  if (codeRoot !== undefined) d.codeLocation = located(arn, 'Code', '.');
  if (c.Timeout !== undefined) d.timeout = located(arn, 'Configuration.Timeout', c.Timeout);
  if (c.MemorySize !== undefined) d.memory = located(arn, 'Configuration.MemorySize', c.MemorySize);
  for (const [key, value] of Object.entries(c.Environment?.Variables ?? {})) {
    const path = `Configuration.Environment.Variables.${key}`;
    d.environmentKeys.push(located(arn, path, key));
    if (STREAMING_ENV_KEYS.has(key)) d.streamingEnvironment[key] = located(arn, path, value);
  }
  (c.Layers ?? []).forEach((layer, i) => {
    if (layer.Arn) d.layers.push(located(arn, `Configuration.Layers[${i}]`, layer.Arn));
  });
  const adapter = d.layers.find((layer) => LWA_LAYER.test(layer.value));
  if (adapter) d.webAdapter = adapter;
  if (fn.reservedConcurrency !== undefined && fn.reservedConcurrency !== null) {
    d.reservedConcurrency = located(arn, 'Concurrency.ReservedConcurrentExecutions', fn.reservedConcurrency);
  }
  if (c.Architectures?.length) d.architectures = located(arn, 'Configuration.Architectures', c.Architectures as string[]);
  if (c.VpcConfig?.VpcId) d.vpc = locationOf(arn, 'Configuration.VpcConfig');
  if (c.CapacityProviderConfig) d.managedInstances = locationOf(arn, 'Configuration.CapacityProviderConfig');
  d.frontDoors = frontDoorsFromPolicy(arn, fn.policy?.Statement ?? []);
  // A policy that could not be read (null) says nothing either way: no policy in the model.
  if (fn.policy !== null) d.policy = { grants: (fn.policy?.Statement ?? []).map((statement, i) => grantOf(arn, statement, i)), complete: true };
  return d;
}

function toFunctionUrl(arn: string, url: FunctionUrlConfig): FunctionUrl {
  const qualifier = qualifierOf(url.FunctionArn);
  const path = `FunctionUrlConfig(${qualifier ?? '$LATEST'})`;
  const cors = url.Cors;
  const corsSet = !!cors && [cors.AllowOrigins, cors.AllowMethods, cors.AllowHeaders].some((list) => (list?.length ?? 0) > 0);
  return {
    at: locationOf(arn, path),
    // Missing InvokeMode is BUFFERED (the API may omit the default): left undefined, the rules know it.
    invokeMode: url.InvokeMode ? located(arn, `${path}.InvokeMode`, url.InvokeMode) : undefined,
    authType: url.AuthType ? located(arn, `${path}.AuthType`, url.AuthType as 'NONE' | 'AWS_IAM') : undefined,
    cors: corsSet
      ? located(arn, `${path}.Cors`, {
          enabled: false,
          ...(cors.AllowOrigins ? { allowOrigins: cors.AllowOrigins } : {}),
          ...(cors.AllowMethods ? { allowMethods: cors.AllowMethods } : {}),
          ...(cors.AllowHeaders ? { allowHeaders: cors.AllowHeaders } : {}),
          ...(cors.AllowCredentials !== undefined ? { allowCredentials: cors.AllowCredentials } : {}),
        })
      : undefined,
    ...(qualifier ? { qualifier } : {}),
  };
}

/** A GetPolicy statement as the deployment model's grant: everyone is `*` or `{ AWS: '*' }`. */
function grantOf(arn: string, statement: PolicyStatement, i: number): PolicyGrant {
  const principal = statement.Principal;
  const everyone = principal === '*' || (typeof principal === 'object' && principal !== null && [principal.AWS ?? []].flat().includes('*'));
  return {
    at: locationOf(arn, `Policy.Statement[${statement.Sid ?? i}]`),
    actions: { value: [statement.Action ?? []].flat(), at: locationOf(arn, `Policy.Statement[${statement.Sid ?? i}].Action`) },
    everyone: { value: everyone, at: locationOf(arn, `Policy.Statement[${statement.Sid ?? i}].Principal`) },
    effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
  };
}

/**
 * Front doors the resource policy reveals: an ALB target group (elasticloadbalancing.amazonaws.com) does
 * not stream. API Gateway permissions (apigateway.amazonaws.com) do not say whether the API is a REST API
 * (which can stream) or an HTTP API (which cannot), so they are not turned into a front door.
 */
function frontDoorsFromPolicy(arn: string, statements: PolicyStatement[]): FrontDoor[] {
  const doors: FrontDoor[] = [];
  statements.forEach((statement, i) => {
    if (statement.Effect !== 'Allow') return;
    const principal = statement.Principal;
    const services = typeof principal === 'object' && principal.Service ? [principal.Service].flat() : [];
    if (services.includes('elasticloadbalancing.amazonaws.com')) {
      doors.push({ kind: 'alb', at: locationOf(arn, `Policy.Statement[${statement.Sid ?? i}]`) });
    }
  });
  return doors.slice(0, 1);
}
