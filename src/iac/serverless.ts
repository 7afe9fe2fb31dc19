/**
 * serverless.yml / serverless.yaml / serverless.json, and serverless.ts / serverless.js (Serverless Framework,
 * provider aws) -> Deployment[].
 *
 * Parsed into the same located node tree as CloudFormation (cloudformation.ts: js-yaml events, the
 * CloudFormation short tags, since serverless.yml accepts `!Ref`/`!GetAtt`...). Any
 * string containing a Serverless variable (`${self:custom.x}`, `${env:X, 30}`, `${ssm:/p}`) and any
 * CloudFormation intrinsic is Unresolved. Environment variable values are never stored, except
 * `AWS_LWA_INVOKE_MODE` and `AWS_LAMBDA_EXEC_WRAPPER`.
 *
 * Framework semantics mirrored here (serverless/serverless `lib/plugins/aws/package/compile/functions.js`):
 * `timeout` defaults to 6 s (`provider.timeout || 6`), `memorySize` to 1024 (left undefined here: the
 * platform-default rule), `environment` is provider + function merged (function wins), `layers` and
 * `runtime`/`timeout`/`memorySize` at function level REPLACE the provider's, `vpc` falls back per field.
 */
import type {
  AuthType,
  Deployment,
  Field,
  FrontDoor,
  FunctionUrl,
  InvokeMode,
  Located,
  ReaderResult,
  UrlCors,
} from '../model/deployment.js';
import { isResolved } from '../model/deployment.js';
import path from 'node:path';
import {
  entries,
  get,
  isMapProp,
  isSeqProp,
  items,
  joinResources,
  keyName,
  locate,
  locateKey,
  makeSource,
  parseYamlDocument,
  plain,
  plainString,
  present,
  readEnvironment,
  readField,
  renderString,
  resolveRelative,
  rootProp,
  sourceText,
  templateResources,
  toBool,
  toNum,
  toStr,
  unresolved,
  urlFromConfigs,
  type Prop,
  type YamlSource,
} from './cloudformation.js';
import { LWA_LAYER } from './locate.js';
import type { ReadOptions } from './formats.js';
import { moduleDocument } from './serverless-module.js';

/** Serverless Framework default function timeout (`provider.timeout || 6`). */
const DEFAULT_TIMEOUT_SECONDS = 6;

/** serverless.yml / serverless.yaml / serverless.json. */
export function readServerless(file: string, text: string, options: ReadOptions = {}): ReaderResult {
  const result: ReaderResult = { deployments: [], notes: [] };
  const parsed = parseYamlDocument(text);
  if ('error' in parsed) {
    if (/^\s*(functions|provider|service)\s*:/m.test(text) || /"(functions|provider|service)"\s*:/.test(text)) {
      result.notes.push({ file, reason: `cannot parse serverless config: ${parsed.error}` });
    }
    return result;
  }
  return readServerlessSource(makeSource(file, text, parsed.doc, 'serverless'), options.readFile);
}

/**
 * serverless.ts / serverless.js: the exported configuration object, read statically into the same located
 * tree (src/iac/serverless-module.ts), then read like serverless.yml.
 */
export function readServerlessModule(file: string, text: string, options: ReadOptions = {}): ReaderResult {
  const read = moduleDocument(file, text, options.readFile ?? (() => null));
  if ('error' in read) return { deployments: [], notes: read.error ? [{ file, reason: read.error }] : [] };
  const result = readServerlessSource(makeSource(file, text, read.doc, 'serverless'), options.readFile);
  result.notes.push(...read.notes);
  return result;
}

function readServerlessSource(src: YamlSource, readFile?: ReadOptions['readFile']): ReaderResult {
  const result: ReaderResult = { deployments: [], notes: [] };
  const root = rootProp(src);
  if (!isMapProp(root)) return result;
  const provider = get(src, root, 'provider');
  const providerName = plainString(src, get(src, provider, 'name')) ?? plainString(src, provider);
  if (providerName !== undefined && providerName !== 'aws') return result;

  const functionsProp = get(src, root, 'functions');
  // `functions` is a map, or a list of maps (each one or more functions).
  const functionProps = isSeqProp(functionsProp)
    ? items(src, functionsProp).flatMap((item) => entries(src, item))
    : entries(src, functionsProp);
  const byId = new Map<string, Deployment>();
  for (const fn of functionProps) {
    if (!isMapProp(fn)) continue; // `${file(fn.yml)}` and other unreadable definitions
    const deployment = readFunction(src, fn, isMapProp(provider) ? provider : undefined);
    result.deployments.push(deployment);
    byId.set(functionLogicalId(deployment.name), deployment);
  }
  if (byId.size > 0) joinCustomResources(src, get(src, get(src, root, 'resources'), 'Resources'), byId);
  if (generatesOnlyUrlPermission(plainString(src, get(src, root, 'frameworkVersion')), src.file, readFile)) {
    for (const d of result.deployments) {
      if (!d.url?.ownPermissions || !isResolved(d.url.authType) || d.url.authType.value !== 'NONE') continue;
      // Serverless Framework v3 compiles `url:` into the URL and one permission, lambda:InvokeFunctionUrl
      // (lib/plugins/aws/package/compile/functions.js of serverless@3.40.0, the last v3 release).
      d.url = { ...d.url, ownPermissions: false };
      d.policy ??= { grants: [], complete: false };
      d.policy.grants.push({ at: d.url.at, actions: { value: ['lambda:InvokeFunctionUrl'], at: d.url.at }, everyone: { value: true, at: d.url.at }, effect: 'Allow', by: 'Serverless Framework v3' });
    }
  }
  return result;
}

/**
 * `frameworkVersion` 3 (or older): the URL's permission is lambda:InvokeFunctionUrl alone. Not when the
 * project installs osls (the community fork, whose 3.x/4.x releases add lambda:InvokeFunction too) or a
 * framework from GitHub: the package.json beside the config says which framework runs.
 */
function generatesOnlyUrlPermission(frameworkVersion: string | undefined, file: string, readFile?: ReadOptions['readFile']): boolean {
  const major = frameworkVersion ? /\d+/.exec(frameworkVersion)?.[0] : undefined;
  if (major === undefined || Number(major) > 3) return false;
  const manifest = readFile?.(path.posix.join(path.posix.dirname(file), 'package.json'));
  if (manifest && /"osls"\s*:|"serverless"\s*:\s*"(?:github:|git\+|https?:)/.test(manifest)) return false;
  return true;
}

/**
 * The logical id serverless gives a function's `AWS::Lambda::Function` (`lib/plugins/aws/lib/naming.js`:
 * `getNormalizedFunctionName`: first letter upper case, `-` -> `Dash`, `_` -> `Underscore`, + `LambdaFunction`).
 */
export function functionLogicalId(name: string): string {
  const normalized = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

/**
 * `resources.Resources`: CloudFormation merged into the compiled template. A resource with the logical id of a
 * URL the framework generates (`<Function>LambdaFunctionUrl`) overrides that URL's properties (the documented
 * way to set `InvokeMode` before `url.invokeMode` existed); other resources join the functions by their
 * generated logical ids like in a template: standalone `AWS::Lambda::Url`s, `AWS::Lambda::Permission`s, API
 * methods, target groups, CloudFront origins.
 */
function joinCustomResources(src: YamlSource, resourcesProp: Prop | undefined, byId: Map<string, Deployment>): void {
  if (!isMapProp(resourcesProp)) return;
  const resources = templateResources(src, resourcesProp);
  for (const [id, deployment] of byId) {
    const override = get(src, resourcesProp, `${id}Url`);
    if (!deployment.url || !isMapProp(override)) continue;
    resources.delete(`${id}Url`);
    const props = get(src, override, 'Properties');
    if (!isMapProp(props)) continue;
    const written = urlFromConfigs(src, deployment.url.at, [props as Prop], undefined);
    if (present(get(src, props, 'InvokeMode'))) deployment.url.invokeMode = written.invokeMode;
    if (present(get(src, props, 'AuthType'))) deployment.url.authType = written.authType;
    if (present(get(src, props, 'Cors'))) deployment.url.cors = written.cors;
  }
  joinResources(src, resources, byId);
}

function readFunction(src: YamlSource, fn: Prop, provider: Prop | undefined): Deployment {
  const own = (key: string) => get(src, fn, key);
  const either = (key: string): Prop | undefined => {
    const value = own(key);
    if (present(value)) return value;
    const fallback = get(src, provider, key);
    return present(fallback) ? fallback : undefined;
  };

  const image = own('image');
  const isImage = present(image);
  const handler: Field<string> = isImage ? imageCommand(src, image) : readField(src, own('handler'), toStr);

  const { environmentKeys, streamingEnvironment } = readEnvironment(src, [get(src, provider, 'environment'), own('environment')]);

  const layersProp = present(own('layers')) ? own('layers') : get(src, provider, 'layers');
  const layers = items(src, layersProp).map((layer) => layerText(src, layer));
  const webAdapter = layers.find((layer) => LWA_LAYER.test(layer.value));

  const architectureProp = either('architecture');
  const architecture = readField(src, architectureProp, toStr);

  const vpc = vpcLocation(src, own('vpc'), get(src, provider, 'vpc'));

  const handlerProp = own('handler');
  const deployment: Deployment = {
    name: keyName(fn),
    source: 'serverless',
    at: locateKey(src, fn),
    ...(isImage ? { packageType: 'image' as const } : {}),
    runtime: isImage ? undefined : readField(src, either('runtime'), toStr),
    handler,
    // The service directory is what the framework packages; `handler` paths are relative to it.
    ...(isImage
      ? imageContext(src, image as Prop, provider)
      : { codeLocation: { value: resolveRelative(src.file, '.'), at: locateKey(src, present(handlerProp) ? handlerProp : fn) } }),
    timeout: readField(src, either('timeout'), toNum),
    memory: readField(src, either('memorySize'), toNum),
    environmentKeys,
    streamingEnvironment,
    layers,
    ...(webAdapter ? { webAdapter } : {}),
    reservedConcurrency: readField(src, own('reservedConcurrency'), toNum),
    // An unresolved `${param:arch}` is kept as written: missing must mean the default (x86_64), not "unknown".
    ...(architecture
      ? { architectures: { value: ['unresolved' in architecture ? architecture.text : architecture.value], at: architecture.at } as Located<string[]> }
      : {}),
    ...(vpc ? { vpc } : {}),
    ...optionalUrl(present(own('url')) ? readUrl(src, own('url') as Prop) : undefined),
    frontDoors: readEvents(src, own('events')),
    defaultTimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  };
  // No runtime at either level: the framework's default, which depends on its version (tool-versions.ts).
  if (!isImage && deployment.runtime === undefined) deployment.runtimeDefault = { kind: 'serverless', at: deployment.at };
  return deployment;
}

function optionalUrl(url: FunctionUrl | undefined): { url?: FunctionUrl } {
  return url ? { url } : {};
}

/**
 * `image: { name: appimage }` (or `image: appimage`) built from `provider.ecr.images.appimage.path`: that
 * path is the Docker build context, where the function's Dockerfile is.
 */
function imageContext(src: YamlSource, image: Prop, provider: Prop | undefined): { codeLocation?: Located<string> } {
  const name = plainString(src, image) ?? plainString(src, get(src, image, 'name'));
  if (!name) return {};
  const built = get(src, get(src, get(src, get(src, provider, 'ecr'), 'images'), name), 'path');
  const context = plainString(src, built);
  return built && context ? { codeLocation: { value: resolveRelative(src.file, context), at: locate(src, built) } } : {};
}

/** `image: { name, command: [...] }` -> the command as the handler; `image: <uri>` has none. */
function imageCommand(src: YamlSource, image: Prop): Field<string> {
  const command = get(src, image, 'command');
  if (!present(command)) return undefined;
  if (!isSeqProp(command)) return readField(src, command, toStr);
  const parts = items(src, command).map((item) => readField(src, item, toStr));
  if (parts.length === 0) return undefined;
  if (parts.some((part) => !part || 'unresolved' in part)) return unresolved(src, command);
  return { value: parts.map((part) => (part as Located<string>).value).join(' '), at: locate(src, command) };
}

function layerText(src: YamlSource, layer: Prop): Located<string> {
  const value = plainString(src, layer) ?? renderString(src, layer) ?? sourceText(src, layer);
  return { value, at: locate(src, layer) };
}

/** A VPC config needs both security groups and subnets (each may come from the function or the provider). */
function vpcLocation(src: YamlSource, own: Prop | undefined, provider: Prop | undefined) {
  const field = (key: string) => [own, provider].map((vpc) => get(src, vpc, key)).find(present);
  if (!field('securityGroupIds') || !field('subnetIds')) {
    // `vpc: ${self:custom.vpc}`: present but unreadable — still point at it.
    const whole = [own, provider].find((vpc) => present(vpc) && !isMapProp(vpc));
    return whole ? locateKey(src, whole) : undefined;
  }
  const at = [own, provider].find((vpc) => present(vpc) && isMapProp(vpc));
  return at ? locateKey(src, at) : undefined;
}

/**
 * `url: true | { authorizer: aws_iam, cors: true | {...}, invokeMode: RESPONSE_STREAM }`.
 *
 * AuthType: without `authorizer: aws_iam` the framework creates the URL with `AuthType: NONE` — a public
 * endpoint ("The endpoint is public by default", Serverless blog "AWS Lambda Function URLs with Serverless
 * Framework", 2022-04-06; the compiler sets `auth = 'NONE'` unless `url.authorizer === 'aws_iam'`, visible in
 * the serverless/serverless#11907 diff; the generated template in serverless/serverless#12409 shows
 * `"AuthType": "NONE"`). So a URL without `authorizer` gets an explicit NONE located at `url:`.
 *
 * InvokeMode is recorded exactly as written: lowercase `response_stream` was silently deployed as BUFFERED
 * before serverless PR #13756, so the rule (not the reader) decides what a value means.
 */
function readUrl(src: YamlSource, url: Prop): FunctionUrl | undefined {
  const at = locateKey(src, url);
  const enabled = plain(src, url);
  if (!isMapProp(url)) {
    if (enabled === false || enabled === 'false') return undefined;
    if (enabled === true || enabled === 'true') return { at, invokeMode: undefined, authType: { value: 'NONE', at }, cors: undefined, ownPermissions: true };
    const u = unresolved(src, url);
    return { at, invokeMode: u, authType: u, cors: u, ownPermissions: true };
  }
  const authorizer = get(src, url, 'authorizer');
  let authType: Field<AuthType>;
  if (!present(authorizer)) authType = { value: 'NONE', at };
  else {
    const written = readField(src, authorizer, toStr);
    authType =
      written && !('unresolved' in written)
        ? { value: (written.value === 'aws_iam' ? 'AWS_IAM' : written.value) as AuthType, at: written.at }
        : written;
  }
  return {
    at,
    invokeMode: readInvokeMode(src, url),
    authType,
    cors: readCors(src, get(src, url, 'cors')),
    // The framework adds the URL's public permission(s) itself (v4: both; v3: lambda:InvokeFunctionUrl only).
    ownPermissions: true,
  };
}

/**
 * `url.invokeMode`. `url.invoke` is no key of the Serverless Framework, but forks that streamed before v3.28
 * read it (`invoke: response_stream`, grakic/serverless#aws-lambda-streaming, installed from GitHub): what
 * it deploys depends on which framework the project installs, so it is Unresolved, never BUFFERED.
 */
function readInvokeMode(src: YamlSource, url: Prop): Field<InvokeMode> {
  const invokeMode = get(src, url, 'invokeMode');
  if (present(invokeMode)) return readField(src, invokeMode, toStr) as Field<InvokeMode>;
  const forkInvoke = get(src, url, 'invoke');
  return present(forkInvoke) ? unresolved(src, forkInvoke) : undefined;
}

function readCors(src: YamlSource, cors: Prop | undefined): Field<UrlCors> {
  if (!present(cors)) return undefined;
  if (!isMapProp(cors)) {
    const on = readField(src, cors, toBool);
    if (!on) return undefined;
    if ('unresolved' in on) return on;
    return on.value ? { value: { enabled: true }, at: on.at } : undefined;
  }
  const value: UrlCors = { enabled: true };
  const list = (key: string) => {
    const prop = get(src, cors, key);
    if (!present(prop)) return undefined;
    if (isSeqProp(prop)) return items(src, prop).map((item) => plainString(src, item) ?? sourceText(src, item));
    return [plainString(src, prop) ?? sourceText(src, prop)];
  };
  const origins = list('allowedOrigins');
  const methods = list('allowedMethods');
  const headers = list('allowedHeaders');
  const credentials = readField(src, get(src, cors, 'allowCredentials'), toBool);
  if (origins) value.allowOrigins = origins;
  if (methods) value.allowMethods = methods;
  if (headers) value.allowHeaders = headers;
  if (credentials && !('unresolved' in credentials)) value.allowCredentials = credentials.value;
  return { value, at: locateKey(src, cors) };
}

/** `events: [{ httpApi }, { http }, { alb }]` -> front doors located at the event key. */
function readEvents(src: YamlSource, events: Prop | undefined): FrontDoor[] {
  const doors: FrontDoor[] = [];
  for (const event of items(src, events)) {
    for (const entry of entries(src, event)) {
      const at = locateKey(src, entry);
      switch (keyName(entry)) {
        case 'httpApi':
          doors.push({ kind: 'http-api', at });
          break;
        case 'http': {
          // `responseTransferMode: STREAM` (serverless/serverless#13164) or `response: { transferMode: STREAM }`
          // (v4.25+), case-insensitive: the framework upper-cases it (`getResponseTransferMode`,
          // lib/plugins/aws/package/compile/events/api-gateway/lib/validate.js).
          const mode = [get(src, entry, 'responseTransferMode'), get(src, get(src, entry, 'response'), 'transferMode')].find(present);
          const transferMode = readField(src, mode, (v) => toStr(v)?.toUpperCase()) as Field<'BUFFERED' | 'STREAM'>;
          doors.push({ kind: 'rest-api', at, ...(transferMode ? { transferMode } : {}) });
          break;
        }
        case 'alb':
          doors.push({ kind: 'alb', at });
          break;
        default:
          break;
      }
    }
  }
  return doors;
}
