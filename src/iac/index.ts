/**
 * Deployment checks: find the infrastructure code in the project, read it into Deployments, join each
 * to its handler's facts, and run the deployment rules. Readers are pure (file, text) -> Deployments;
 * this module does the I/O.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Finding, InternalError, SkipNote } from '../model/finding.js';
import type { Deployment, ReaderResult } from '../model/deployment.js';
import type { LocatedProblem, RuleMeta } from '../model/rule.js';
import { isResolved } from '../model/deployment.js';
import { deploymentRules } from '../checks/deployment/index.js';
import { findingOf, runRules } from '../checks/runner.js';
import { type HandlerFacts, handlerFactsFor, resolveHandlerModule } from '../code/handler-facts.js';
import { pythonHandlerFacts, pythonParserProblem, resolvePythonHandler } from '../code/python-facts.js';
import type * as CloudFormationReader from './cloudformation.js';
import type * as ServerlessReader from './serverless.js';
import type * as TerraformReader from './terraform.js';
import type * as DockerfileReader from './dockerfile.js';
import type * as CdkReader from './cdk.js';
import type * as SstReader from './sst.js';

interface Readers {
  cloudformation: () => Promise<typeof CloudFormationReader>;
  serverless: () => Promise<typeof ServerlessReader>;
  terraform: () => Promise<typeof TerraformReader>;
  dockerfile: () => Promise<typeof DockerfileReader>;
  cdk: () => Promise<typeof CdkReader>;
  sst: () => Promise<typeof SstReader>;
}

/** Imports a module on first use only (one promise, shared by every later use). */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

/**
 * The reader modules and their parsers (js-yaml, HCL WASM, dockerfile-ast) load only for the kinds of
 * files a project has, and only once a file of that kind is about to be read: a project with only a
 * template and a CDK app never loads the Terraform, Dockerfile or serverless readers.
 */
function loadReaders(): Readers {
  return {
    cloudformation: once(() => import('./cloudformation.js')),
    serverless: once(() => import('./serverless.js')),
    terraform: once(() => import('./terraform.js')),
    dockerfile: once(() => import('./dockerfile.js')),
    cdk: once(() => import('./cdk.js')),
    sst: once(() => import('./sst.js')),
  };
}

/** Directories never searched for infrastructure code. */
const SKIP_DIRS = new Set(['node_modules', '.git', '.aws-sam', '.serverless', '.terraform', '.sst', '.next', '.output', '.open-next', 'coverage']);
/** Infrastructure files bigger than this are not read (a generated template of that size would be noted). */
const MAX_IAC_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 20_000;

interface IacFiles {
  cloudformation: string[];
  cdkOut: string[];
  serverless: string[];
  terraformDirs: Map<string, string[]>;
  dockerfiles: string[];
  cdk: string[];
  sst: string[];
}

export interface DeploymentCheck {
  findings: Finding[];
  skipped: SkipNote[];
  /** Deployment rules that threw on some function (their findings there may be missing). */
  internalErrors: InternalError[];
  deployments: number;
  /** Handler module (relative path) -> the runtimes it is deployed on (resolved values only). */
  runtimesByHandler: Map<string, string[]>;
}

export async function checkDeployments(root: string): Promise<DeploymentCheck> {
  const { findings, skipped, internalErrors, deployments, runtimesByHandler } = await evaluateDeployments(root);
  return { findings, skipped, internalErrors, deployments, runtimesByHandler };
}

/** One deployment finding with what it was computed from (for `stream-doctor fix`). */
export interface DeploymentFinding {
  finding: Finding;
  ruleId: string;
  report: LocatedProblem;
  /** The function as the rules saw it (joined with its image's Dockerfile facts). */
  deployment: Deployment;
  handler: HandlerFacts | null;
}

export interface DeploymentEvaluation extends DeploymentCheck {
  /** Every finding of `findings`, in the same order, with its context. */
  details: DeploymentFinding[];
  /** The functions the rules ran on. */
  functions: Deployment[];
}

export interface EvaluateOptions {
  /**
   * Texts to read instead of the files on disk (relative path -> text): `fix` checks an edit by reading the
   * project again with the edited text. Only files that exist are read (the file list comes from the disk).
   */
  overrides?: ReadonlyMap<string, string>;
  /** Handler facts shared between evaluations of the same project (the handler modules do not change). */
  handlerCache?: Map<string, Promise<HandlerFacts | null>>;
}

/** `checkDeployments` with each finding's rule report, deployment and handler facts. */
export async function evaluateDeployments(root: string, options: EvaluateOptions = {}): Promise<DeploymentEvaluation> {
  const skipped: SkipNote[] = [];
  const files = discover(root, skipped);
  const empty = { findings: [], skipped, internalErrors: [], deployments: 0, runtimesByHandler: new Map<string, string[]>(), details: [], functions: [] };
  if (
    files.cloudformation.length + files.cdkOut.length + files.serverless.length + files.dockerfiles.length + files.cdk.length + files.sst.length === 0 &&
    files.terraformDirs.size === 0
  ) {
    return empty;
  }
  const readers = loadReaders();
  const read = (rel: string): string | null => {
    const override = options.overrides?.get(rel);
    if (override !== undefined) return override;
    try {
      const abs = path.join(root, rel);
      if (statSync(abs).size > MAX_IAC_BYTES) {
        skipped.push({ file: rel, reason: 'infrastructure file too large to read' });
        return null;
      }
      return readFileSync(abs, 'utf8');
    } catch (error) {
      skipped.push({ file: rel, reason: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` });
      return null;
    }
  };
  const results: ReaderResult[] = [];
  type Reader = (file: string, text: string) => ReaderResult;
  /** Reads the file, then (past the gate) loads its reader module and runs it. */
  const run = async (rel: string, reader: () => Promise<Reader>, gate?: RegExp) => {
    const text = read(rel);
    if (text === null || (gate && !gate.test(text))) return;
    const readFile = await reader();
    try {
      results.push(readFile(rel, text));
    } catch (error) {
      skipped.push({ file: rel, reason: `cannot read infrastructure: ${(error as Error).message.split('\n')[0]}` });
    }
  };
  for (const rel of files.cloudformation) await run(rel, async () => (await readers.cloudformation()).readCloudFormation, /AWS::(Serverless|Lambda)::/);
  for (const rel of files.serverless) await run(rel, async () => (await readers.serverless()).readServerless);
  for (const rel of files.dockerfiles) await run(rel, async () => (await readers.dockerfile()).readDockerfile);
  for (const rel of files.sst) await run(rel, async () => (await readers.sst()).readSst);
  const cdkResults: ReaderResult[] = [];
  for (const rel of files.cdk) {
    const text = read(rel);
    if (text === null) continue;
    const isSst = /\bsst\.aws\./.test(text); // SST apps often declare functions in infra/*.ts
    const isCdk = !isSst && /aws-cdk-lib|@aws-cdk\//.test(text);
    if (!isSst && !isCdk) continue;
    const sst = isSst ? await readers.sst() : undefined;
    const cdk = isCdk ? await readers.cdk() : undefined;
    try {
      if (sst) results.push(sst.readSst(rel, text));
      else if (cdk) cdkResults.push(cdk.readCdk(rel, text, { appRoot: cdkAppRoot(root, rel) }));
    } catch (error) {
      skipped.push({ file: rel, reason: `cannot read infrastructure: ${(error as Error).message.split('\n')[0]}` });
    }
  }
  results.push(...cdkResults);
  // Synthesized templates describe the same functions as the CDK source: read them only without it.
  if (!cdkResults.some((r) => r.deployments.length > 0)) {
    for (const rel of files.cdkOut) await run(rel, async () => (await readers.cloudformation()).readCdkOut, /AWS::Lambda::Function/);
  }
  for (const [, tfFiles] of files.terraformDirs) {
    const inputs = tfFiles.map((file) => ({ file, text: read(file) })).filter((f): f is { file: string; text: string } => f.text !== null);
    if (inputs.length === 0) continue;
    const { readTerraform } = await readers.terraform();
    try {
      results.push(await readTerraform(inputs));
    } catch (error) {
      skipped.push({ file: tfFiles[0], reason: `cannot read Terraform: ${(error as Error).message.split('\n')[0]}` });
    }
  }

  for (const result of results) skipped.push(...result.notes);
  const all = results.flatMap((r) => r.deployments);
  const images = all.filter((d) => d.source === 'dockerfile');
  const functions = all.filter((d) => d.source !== 'dockerfile').map((d) => withImage(d, images));

  const findings: Finding[] = [];
  const details: DeploymentFinding[] = [];
  const internalErrors: InternalError[] = [];
  const runtimesByHandler = new Map<string, string[]>();
  // Many functions share one handler module (a SAM template with hundreds of functions): read it once.
  const handlerCache = options.handlerCache ?? new Map<string, Promise<HandlerFacts | null>>();
  for (const deployment of functions) {
    const handler = await handlerOf(root, deployment, handlerCache);
    if (handler && isResolved(deployment.runtime)) {
      runtimesByHandler.set(handler.file, [...(runtimesByHandler.get(handler.file) ?? []), deployment.runtime.value]);
    }
    const { results, failures } = runRules(deploymentRules, { deployment, handler }, deployment.at.file);
    internalErrors.push(...failures);
    for (const { rule, problem } of results) {
      const finding = locatedFinding(rule.meta, problem);
      findings.push(finding);
      details.push({ finding, ruleId: rule.meta.id, report: problem, deployment, handler });
    }
  }
  const pythonProblem = pythonParserProblem();
  if (pythonProblem) skipped.push({ file: '.', reason: pythonProblem });
  return { findings, skipped, internalErrors, deployments: functions.length, runtimesByHandler, details, functions };
}

/**
 * A deployment or live rule's problem as a finding: in the infrastructure file at the field's line, or for a
 * live function (`live: true`) at its ARN with the API field (`FunctionUrlConfig($LATEST).InvokeMode`),
 * which the command cannot edit.
 */
export function locatedFinding(meta: RuleMeta, problem: LocatedProblem, live = false): Finding {
  const { at } = problem;
  const place = { file: at.file, line: at.line, column: at.column, ...(live && at.path ? { field: at.path } : {}) };
  return findingOf(meta, problem, place, live ? { origin: 'project', fixable: false } : { origin: 'project' }, problem.key);
}

/**
 * A Dockerfile describes an image, not a function: its facts (the web adapter, its ENV) belong to the
 * function deployed from it. Join by the build context: the function's code location, or the directory
 * of the file that declares the function. Dockerfiles no function points at are not checked alone (their
 * timeout, URL and concurrency live elsewhere).
 */
function withImage(d: Deployment, images: Deployment[]): Deployment {
  if (d.packageType !== 'image' || images.length === 0) return d;
  const dirs = new Set([d.codeLocation?.value, path.dirname(d.at.file)].filter((x): x is string => !!x).map((x) => path.normalize(x)));
  // A Dockerfile named explicitly (SAM Metadata.Dockerfile) wins over one found in the build context.
  const named = d.dockerfile ? path.normalize(d.dockerfile.value) : null;
  const image =
    (named ? images.find((i) => path.normalize(i.at.file) === named) : undefined) ??
    images.find((i) => dirs.has(path.normalize(path.dirname(i.at.file))));
  if (!image) return d;
  return {
    ...d,
    webAdapter: d.webAdapter ?? image.webAdapter,
    streamingEnvironment: { ...image.streamingEnvironment, ...d.streamingEnvironment },
    environmentKeys: [...d.environmentKeys, ...image.environmentKeys],
    handler: d.handler ?? image.handler,
    runtime: d.runtime ?? image.runtime,
    // an image CMD names a module next to its Dockerfile
    ...(d.codeLocation ? {} : { codeLocation: { value: path.dirname(image.at.file), at: image.at } }),
  };
}

/** The handler module a deployment names, when it is JavaScript/TypeScript in this project. */
function handlerOf(root: string, d: Deployment, cache: Map<string, Promise<HandlerFacts | null>>): Promise<HandlerFacts | null> {
  const key = `${d.at.file}\0${d.codeLocation?.value ?? ''}\0${isResolved(d.handler) ? d.handler.value : ''}\0${isResolved(d.runtime) ? d.runtime.value : ''}`;
  if (!cache.has(key)) cache.set(key, resolveHandlerFacts(root, d));
  return cache.get(key)!;
}

export async function resolveHandlerFacts(root: string, d: Deployment): Promise<HandlerFacts | null> {
  if (!isResolved(d.handler)) return null;
  const runtime = isResolved(d.runtime) ? d.runtime.value : undefined;
  if (runtime && !runtime.startsWith('nodejs') && !runtime.startsWith('python')) return null;
  const handler = d.handler.value;
  // SST resolves handler paths from the app root (where sst.config.* is), not from infra/*.ts.
  const iacDir = d.source === 'sst' ? (sstAppRoot(root, d.at.file) ?? path.dirname(d.at.file)) : path.dirname(d.at.file);
  const code = d.codeLocation?.value;
  if (!runtime?.startsWith('python')) {
    const js = jsHandlerFacts(root, handler, iacDir, code);
    if (js || runtime) return js;
  }
  // python* runtimes, and images without a runtime whose CMD is not a JS handler (LWA: `uvicorn main:app`)
  // A zip file (`filename = "dashboard.zip"`) is no directory: fall back to the IaC file's directory.
  for (const dir of code ? [code, path.join(iacDir, code), iacDir] : [iacDir, '.']) {
    const resolved = resolvePythonHandler(root, dir, handler);
    if (resolved) return pythonHandlerFacts(root, resolved.abs, resolved.exportName);
  }
  return null;
}

function jsHandlerFacts(root: string, handler: string, iacDir: string, code: string | undefined): HandlerFacts | null {
  // NodejsFunction `entry` names the file itself; the handler is the export name.
  if (code && /\.(m|c)?[jt]sx?$/.test(code)) {
    for (const base of [root, path.join(root, iacDir)]) {
      const abs = path.resolve(base, code);
      if (existsSync(abs)) return handlerFactsFor(root, abs, handler.includes('.') ? handler.slice(handler.lastIndexOf('.') + 1) : handler);
    }
    return null;
  }
  for (const dir of code ? [code, path.join(iacDir, code), iacDir] : [iacDir, '.']) {
    const resolved = resolveHandlerModule(root, dir, handler);
    if (resolved) return handlerFactsFor(root, resolved.abs, resolved.exportName);
  }
  return null;
}

/** The SST app root: the nearest folder at or above the file that holds sst.config.ts/js/mjs. */
function sstAppRoot(root: string, rel: string): string | undefined {
  let dir = path.dirname(rel);
  for (;;) {
    if (['ts', 'js', 'mjs'].some((ext) => existsSync(path.join(root, dir, `sst.config.${ext}`)))) return dir;
    if (dir === '.' || dir === '') return undefined;
    dir = path.dirname(dir);
  }
}

/** The CDK app root: the nearest folder above the file that holds cdk.json (relative paths resolve there). */
function cdkAppRoot(root: string, rel: string): string | undefined {
  let dir = path.dirname(rel);
  for (;;) {
    if (existsSync(path.join(root, dir, 'cdk.json'))) return dir;
    if (dir === '.' || dir === '') return undefined;
    dir = path.dirname(dir);
  }
}

function discover(root: string, skipped: SkipNote[]): IacFiles {
  const files: IacFiles = { cloudformation: [], cdkOut: [], serverless: [], terraformDirs: new Map(), dockerfiles: [], cdk: [], sst: [] };
  let count = 0;
  const visit = (dir: string, rel: string, depth: number) => {
    if (depth > 12 || count > MAX_FILES) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if (rel) skipped.push({ file: rel, reason: `cannot list: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
      return;
    }
    for (const entry of entries) {
      count++;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (SKIP_DIRS.has(entry.name)) continue;
        visit(path.join(dir, entry.name), childRel, depth + 1);
        continue;
      }
      if (!entry.isFile()) continue; // symlinks are not followed for infrastructure code
      const name = entry.name;
      const inCdkOut = childRel.split('/').includes('cdk.out');
      if (inCdkOut) {
        if (name.endsWith('.template.json')) files.cdkOut.push(childRel);
        continue;
      }
      if (/^serverless\.ya?ml$/.test(name)) files.serverless.push(childRel);
      else if (/\.(ya?ml|template|json)$/.test(name) && !/^(package(-lock)?|tsconfig.*|composer|\.eslintrc.*)\.json$/.test(name)) files.cloudformation.push(childRel);
      else if (name.endsWith('.tf')) {
        const d = rel || '.';
        files.terraformDirs.set(d, [...(files.terraformDirs.get(d) ?? []), childRel]);
      } else if (name === 'Dockerfile' || name.endsWith('.Dockerfile') || name.startsWith('Dockerfile.')) files.dockerfiles.push(childRel);
      else if (/^sst\.config\.(ts|js|mjs)$/.test(name)) files.sst.push(childRel);
      else if (/\.(ts|js|mjs)$/.test(name) && !/\.d\.ts$/.test(name) && !childRel.split('/').some((p) => p === 'dist' || p === 'build')) files.cdk.push(childRel);
    }
  };
  visit(root, '', 0);
  return files;
}
