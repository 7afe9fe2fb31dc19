/**
 * One normalized model of a deployed function, whatever described it: a SAM or CloudFormation template,
 * a CDK app (or its synthesized cdk.out), serverless.yml, Terraform, SST, a Dockerfile, or (later) the
 * live AWS configuration. Deployment rules are pure functions of this model plus the handler facts, so
 * the same rule runs on every source.
 *
 * Every field that a finding can point at carries its location. A field that the source does not set
 * is `undefined` (the platform default applies: the rules know the defaults); a field whose value
 * cannot be resolved statically (`!Ref Timeout`, `var.timeout` without a default) is `unresolved`, and
 * rules never build a finding on an unresolved value.
 */

export interface SourceLocation {
  /** Relative to the scan root, "/" separators. */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  /** A logical path inside the file, for stable fingerprints: `Resources.Api.Properties.FunctionUrlConfig.InvokeMode`. */
  path?: string;
}

/** A value read from configuration, with where it was read. */
export interface Located<T> {
  value: T;
  at: SourceLocation;
}

/** A value present in the source that cannot be resolved statically (a parameter, a variable, an expression). */
export interface Unresolved {
  unresolved: true;
  /** The expression as written, for messages (`!Ref Timeout`, `var.timeout`). */
  text: string;
  at: SourceLocation;
}

export type Field<T> = Located<T> | Unresolved | undefined;

export function isResolved<T>(field: Field<T>): field is Located<T> {
  return !!field && !('unresolved' in field);
}

export type InvokeMode = 'BUFFERED' | 'RESPONSE_STREAM';
export type AuthType = 'NONE' | 'AWS_IAM';

export interface UrlCors {
  allowOrigins?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  allowCredentials?: boolean;
  /** true when the source enables CORS without details (SST `cors: true`, serverless `cors: true`). */
  enabled: boolean;
}

export interface FunctionUrl {
  /** Where the URL is declared (the resource, the `url:` key, the addFunctionUrl call). */
  at: SourceLocation;
  /**
   * As written in the source (serverless accepted a lowercase `response_stream` that deployed BUFFERED);
   * only `RESPONSE_STREAM` streams. Missing means BUFFERED (the API default).
   */
  invokeMode: Field<InvokeMode | string>;
  /** Missing means the source's default (AWS/CFN/CDK: AWS_IAM is required to be explicit in CFN; SST: none). */
  authType: Field<AuthType>;
  cors: Field<UrlCors>;
  /** An alias qualifier, when the URL is on an alias. */
  qualifier?: string;
  /**
   * Whether the tool that declares the URL also grants its public invoke permissions itself: true for SAM
   * `FunctionUrlConfig`, CDK `addFunctionUrl`/`FunctionUrl`, serverless `url:`, SST `url`; false for a URL
   * resource declared alone (`AWS::Lambda::Url`, `aws_lambda_function_url`, CDK `CfnUrl`), whose
   * permissions are the template's own `AWS::Lambda::Permission`s; undefined when unknown (live AWS).
   */
  ownPermissions?: boolean;
}

/** One statement granting (or denying) a Lambda action in the function's resource-based policy. */
export interface PolicyGrant {
  /** The permission resource, call or statement. */
  at: SourceLocation;
  /** The actions as written (`lambda:InvokeFunctionUrl`, `lambda:*`); Unresolved when an expression. */
  actions: Field<string[]>;
  /** Granted to everyone (`*`, `{ AWS: '*' }`); Unresolved when the principal is an expression. */
  everyone: Field<boolean>;
  effect: 'Allow' | 'Deny';
  /** Who created it when the source does not write it out: the tool that generates the URL's permission. */
  by?: string;
}

/**
 * The function's resource-based policy as far as the source states it. `complete`: the whole policy (live
 * AWS GetPolicy, an empty list when the function has none); otherwise only the permissions this
 * infrastructure code declares for the function (others may be granted elsewhere).
 */
export interface ResourcePolicy {
  grants: PolicyGrant[];
  complete: boolean;
}

export type FrontDoorKind = 'function-url' | 'http-api' | 'rest-api' | 'alb' | 'cloudfront' | 'unknown';

export interface FrontDoor {
  kind: Exclude<FrontDoorKind, 'function-url'>;
  at: SourceLocation;
  /** REST API integrations only: `responseTransferMode` (STREAM streams; BUFFERED or missing does not). */
  transferMode?: Field<'BUFFERED' | 'STREAM' | string>;
  /** REST API integration URI ends in /response-streaming-invocations. */
  streamingInvocationUri?: boolean;
  /**
   * CloudFront origins only: the origin access control that signs requests to this origin, when it is of origin
   * type `lambda` (where the origin names it, and its SigningBehavior when written).
   */
  originAccessControl?: { at: SourceLocation; signing?: string };
  /**
   * CloudFront origins only: the first cache behaviour sending to this origin whose AllowedMethods include a
   * method with a body CloudFront signs (POST, PUT), and where those methods are written.
   */
  bodyMethods?: { methods: string[]; at: SourceLocation };
}

export type PackageType = 'zip' | 'image';

export interface Deployment {
  /** The logical name (CFN logical id, serverless function key, Terraform resource name, CDK construct id). */
  name: string;
  /** Which reader produced it. */
  source: 'sam' | 'cloudformation' | 'cdk' | 'cdk-out' | 'serverless' | 'terraform' | 'sst' | 'dockerfile' | 'aws';
  at: SourceLocation;
  packageType?: PackageType;
  /** `nodejs20.x`, `python3.12`, `provided.al2023`... */
  runtime: Field<string>;
  /**
   * The runtime is not written as a fixed name but left to the tool's default: CDK `Runtime.NODEJS_LATEST`
   * (`runtime` stays unresolved), a CDK `NodejsFunction` without `runtime`, an SST function or a serverless.yml
   * without one. Set by the readers; src/iac/tool-versions.ts resolves it from the tool's installed version
   * and then sets `runtime` (at `at`) and `runtimeImplied` (why, for messages).
   */
  runtimeDefault?: { kind: 'cdk-latest' | 'cdk-nodejs-function' | 'sst' | 'serverless'; at: SourceLocation };
  /** How an implied runtime was resolved, for messages: "the default of sst 4.2.0". */
  runtimeImplied?: string;
  /** `index.handler` / `src/lambda.handler`; for images, the CMD. */
  handler: Field<string>;
  /** The code directory or asset path relative to the scan root (SAM CodeUri, CDK `entry`/`code`, TF `filename`/`source_dir`). */
  codeLocation?: Located<string>;
  /** For images: the Dockerfile the source names explicitly (SAM `Metadata.Dockerfile`, TF `build.dockerfile`), relative to the scan root. */
  dockerfile?: Located<string>;
  /**
   * Why an image function was joined to a Dockerfile found elsewhere in the project (the only image function
   * and the only Lambda Web Adapter Dockerfile): stated in findings, since the source does not say it.
   */
  imageJoin?: string;
  /** Seconds. Missing means the source's default (3 s for Lambda/CFN/CDK, 6 s serverless, 20 s SST). */
  timeout: Field<number>;
  memory: Field<number>;
  /** Keys only: values are never read or stored. */
  environmentKeys: Array<Located<string>>;
  /** Values of the few environment variables that configure streaming (`AWS_LWA_INVOKE_MODE`, `AWS_LAMBDA_EXEC_WRAPPER`). */
  streamingEnvironment: Record<string, Located<string> | Unresolved>;
  layers: Array<Located<string>>;
  /**
   * The Lambda Web Adapter is installed: its layer ARN, or the Dockerfile line that copies
   * `/lambda-adapter` into `/opt/extensions`. Its mode comes from `AWS_LWA_INVOKE_MODE` (default buffered).
   */
  webAdapter?: Located<string>;
  reservedConcurrency: Field<number>;
  architectures?: Located<string[]>;
  vpc?: SourceLocation;
  /**
   * The function runs on Lambda Managed Instances (CloudFormation `CapacityProviderConfig`): the 4.x
   * runtime serves several invocations concurrently in one process.
   */
  managedInstances?: SourceLocation;
  url?: FunctionUrl;
  /** Its resource-based policy, when the source states it (explicit permission resources, or GetPolicy live). */
  policy?: ResourcePolicy;
  frontDoors: FrontDoor[];
  /** The platform default for a missing timeout in this source, for messages. */
  defaultTimeoutSeconds: number;
}

/** What a reader returns for one file. */
export interface ReaderResult {
  deployments: Deployment[];
  /** Problems reading the file (broken YAML, unknown intrinsic): reported as skip notes, the scan goes on. */
  notes: Array<{ file: string; reason: string }>;
}
