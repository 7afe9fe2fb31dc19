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
import { IAC_FORMATS, formatsFor, type IacFormat } from './formats.js';
import { embeddedModules } from './embedded-code.js';
import { withImpliedRuntime, withToolUrlGrants } from './tool-versions.js';
import picomatch from 'picomatch';

/** Directories never searched for infrastructure code. */
const SKIP_DIRS = new Set(['node_modules', '.git', '.aws-sam', '.serverless', '.terraform', '.sst', '.next', '.output', '.open-next', 'coverage']);
/** Infrastructure files bigger than this are not read (a generated template of that size would be noted). */
const MAX_IAC_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 20_000;

/** Infrastructure files found by discovery, by root-relative path. */
type IacFiles = string[];

export interface DeploymentCheck {
  findings: Finding[];
  skipped: SkipNote[];
  /** Deployment rules that threw on some function (their findings there may be missing). */
  internalErrors: InternalError[];
  /** Infrastructure files read into deployments. */
  filesRead: number;
  deployments: number;
  /** Handler module (relative path) -> the runtimes it is deployed on (resolved values only). */
  runtimesByHandler: Map<string, string[]>;
}

export async function checkDeployments(root: string, options: Pick<EvaluateOptions, 'include' | 'exclude' | 'only'> = {}): Promise<DeploymentCheck> {
  const { findings, skipped, internalErrors, deployments, runtimesByHandler, filesRead } = await evaluateDeployments(root, options);
  return { findings, skipped, internalErrors, deployments, runtimesByHandler, filesRead };
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
  /** Only files matching these globs (relative to the root) are read, as for source files (`--include`). */
  include?: string[];
  /** Files matching these globs are not read (`--exclude`, the config's `exclude`). */
  exclude?: string[];
  /** Read only this file (a root-relative path): `scan path/to/template.yaml`. */
  only?: string;
}

/** The infrastructure files a scan of `root` would read (after include/exclude), without reading them. */
export function infrastructureFilesUnder(root: string, options: Pick<EvaluateOptions, 'include' | 'exclude'> = {}): string[] {
  return discover(root, [], options);
}

/** `checkDeployments` with each finding's rule report, deployment and handler facts. */
export async function evaluateDeployments(root: string, options: EvaluateOptions = {}): Promise<DeploymentEvaluation> {
  const skipped: SkipNote[] = [];
  const files = options.only ? withCompanions(root, options.only) : discover(root, skipped, options);
  const empty = { findings: [], skipped, internalErrors: [], deployments: 0, runtimesByHandler: new Map<string, string[]>(), details: [], functions: [], filesRead: 0 };
  if (files.length === 0) return empty;
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

  // Other project files a reader asks for (the modules a serverless.ts imports): quietly null when missing.
  const readProjectFile = (rel: string): string | null => {
    const normalized = path.posix.normalize(rel);
    if (normalized.startsWith('..') || path.posix.isAbsolute(normalized)) return null;
    const override = options.overrides?.get(normalized);
    if (override !== undefined) return override;
    try {
      const abs = path.join(root, normalized);
      const stat = statSync(abs);
      return stat.isFile() && stat.size <= MAX_IAC_BYTES ? readFileSync(abs, 'utf8') : null;
    } catch {
      return null;
    }
  };

  // Each file goes to the first format that matches its path and accepts its text (src/iac/formats.ts).
  const inputs = new Map<IacFormat, Map<string, Array<{ file: string; text: string }>>>();
  for (const rel of files) {
    const candidates = formatsFor(rel);
    if (candidates.length === 0) continue;
    const text = read(rel);
    if (text === null) continue;
    const name = path.posix.basename(rel);
    const format = candidates.find((f) => !f.accepts || f.accepts(text, name));
    if (!format) continue;
    const group = format.group === 'directory' ? path.posix.dirname(rel) : rel;
    const groups = inputs.get(format) ?? new Map<string, Array<{ file: string; text: string }>>();
    groups.set(group, [...(groups.get(group) ?? []), { file: rel, text }]);
    inputs.set(format, groups);
  }

  // Handler code written inside the infrastructure files (Terraform heredocs, ZipFile blocks): the code rules
  // read it where it is written.
  const findings: Finding[] = [];
  const internalErrors: InternalError[] = [];
  for (const groups of inputs.values()) {
    for (const group of groups.values()) {
      for (const { file, text } of group) {
        const modules = embeddedModules(file, text);
        if (modules.length === 0) continue;
        const [{ analyzeSource }, { codeRules }] = await Promise.all([import('../code/analyze.js'), import('../checks/code/index.js')]);
        for (const embedded of modules) {
          const result = analyzeSource({ rel: file, text: embedded.text, origin: 'project' }, codeRules);
          findings.push(...result.findings);
          internalErrors.push(...result.internalErrors);
          if (result.skipped) skipped.push({ file, reason: `handler code at line ${embedded.line}: ${result.skipped.reason}` });
        }
      }
    }
  }

  const results: ReaderResult[] = [];
  const produced = new Set<IacFormat['id']>();
  let filesRead = 0;
  // Formats read only without another one's functions go last (cdk.out after the CDK sources).
  for (const format of [...IAC_FORMATS].sort((a, b) => Number(!!a.onlyWithout) - Number(!!b.onlyWithout))) {
    const groups = inputs.get(format);
    if (!groups) continue;
    // Synthesized output describes the same functions as its source: read it only without the source.
    if (format.onlyWithout?.some((id) => produced.has(id))) continue;
    const reader = await format.load();
    for (const [, group] of groups) {
      try {
        const result = await reader(group, { appRoot: format.id === 'cdk' ? cdkAppRoot(root, group[0]!.file) : undefined, readFile: readProjectFile });
        results.push(result);
        filesRead += group.length;
        if (result.deployments.length > 0) produced.add(format.id);
      } catch (error) {
        const what = format.id === 'terraform' ? 'Terraform' : 'infrastructure';
        skipped.push({ file: group[0]!.file, reason: `cannot read ${what}: ${(error as Error).message.split('\n')[0]}` });
      }
    }
  }

  for (const result of results) skipped.push(...result.notes);
  const all = results.flatMap((r) => r.deployments);
  const images = all.filter((d) => d.source === 'dockerfile');
  const functions = all
    .filter((d) => d.source !== 'dockerfile')
    .map((d) => withImpliedRuntime(root, withImage(d, images), d.source === 'cdk' ? cdkAppRoot(root, d.at.file) : undefined))
    .map((d) => (d.source === 'cdk' ? withToolUrlGrants(root, d, read(d.at.file)) : d));
  // One image function whose image is built elsewhere (image_uri from an ECR repository, a build script) and
  // one Lambda Web Adapter Dockerfile in the project: they belong together, and the findings say why.
  const unjoined = functions.filter((d) => d.packageType === 'image' && !images.some((i) => joinedImage(d, i)));
  const adapterImages = images.filter((i) => i.webAdapter);
  if (unjoined.length === 1 && functions.filter((d) => d.packageType === 'image').length === 1 && adapterImages.length === 1 && images.length === 1) {
    const image = adapterImages[0]!;
    const index = functions.indexOf(unjoined[0]!);
    functions[index] = withImage({ ...unjoined[0]!, dockerfile: { value: image.at.file, at: image.at }, imageJoin: `image from ${image.at.file}: the project's only image function and only Lambda Web Adapter Dockerfile` }, images);
  }

  const details: DeploymentFinding[] = [];
  const runtimesByHandler = new Map<string, string[]>();
  // Many functions share one handler module (a SAM template with hundreds of functions): read it once.
  const handlerCache = options.handlerCache ?? new Map<string, Promise<HandlerFacts | null>>();
  for (const deployment of functions) {
    const handler = await handlerOf(root, deployment, handlerCache);
    if (handler && isResolved(deployment.runtime)) {
      // Managed Instances run the 4.x runtime client whatever the Node version (scan-code.ts isRuntime4x).
      const runtime = deployment.managedInstances ? `${deployment.runtime.value} (Managed Instances)` : deployment.runtime.value;
      runtimesByHandler.set(handler.file, [...(runtimesByHandler.get(handler.file) ?? []), runtime]);
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
  return { findings, skipped, internalErrors, deployments: functions.length, runtimesByHandler, details, functions, filesRead };
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
 * Whether `image` (a Dockerfile) is the image of function `d`: the Dockerfile the source names (SAM
 * `Metadata.Dockerfile`), else one in the function's code location or the directory of its declaration.
 */
function joinedImage(d: Deployment, image: Deployment): boolean {
  if (d.dockerfile) return path.normalize(image.at.file) === path.normalize(d.dockerfile.value);
  const dirs = new Set([d.codeLocation?.value, path.dirname(d.at.file)].filter((x): x is string => !!x).map((x) => path.normalize(x)));
  return dirs.has(path.normalize(path.dirname(image.at.file)));
}

/**
 * A Dockerfile describes an image, not a function: its facts (the web adapter, its ENV) belong to the
 * function deployed from it. Join by the build context: the function's code location, or the directory
 * of the file that declares the function. Dockerfiles no function points at are not checked alone (their
 * timeout, URL and concurrency live elsewhere).
 */
function withImage(d: Deployment, images: Deployment[]): Deployment {
  if (d.packageType !== 'image') return d;
  const image = images.find((i) => joinedImage(d, i));
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

/**
 * One infrastructure file and what its deployment needs beside it: the other .tf files of its Terraform
 * module, and the Dockerfiles of its folder (images are joined to the function deployed from them).
 */
function withCompanions(root: string, rel: string): IacFiles {
  const dir = path.posix.dirname(rel);
  let siblings: string[] = [];
  try {
    siblings = readdirSync(path.join(root, dir), { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => (dir === '.' ? e.name : `${dir}/${e.name}`));
  } catch {
    // the file alone
  }
  const companion = (other: string) =>
    other !== rel && formatsFor(other).some((f) => f.id === 'dockerfile' || (f.id === 'terraform' && rel.endsWith('.tf')));
  return [rel, ...siblings.filter(companion)];
}

/**
 * Every file some infrastructure format may claim (by path; the format table decides by content when it
 * reads them), honouring `--include`/`--exclude` like the source walk does.
 */
function discover(root: string, skipped: SkipNote[], filters: Pick<EvaluateOptions, 'include' | 'exclude'> = {}): IacFiles {
  const files: IacFiles = [];
  const included = filters.include?.length ? picomatch(filters.include, { dot: true }) : null;
  const excluded = filters.exclude?.length ? picomatch(filters.exclude, { dot: true }) : null;
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
        if (SKIP_DIRS.has(entry.name) || excluded?.(childRel) || excluded?.(`${childRel}/`)) continue;
        visit(path.join(dir, entry.name), childRel, depth + 1);
        continue;
      }
      if (!entry.isFile()) continue; // symlinks are not followed for infrastructure code
      if (excluded?.(childRel) || (included && !included(childRel))) continue;
      if (formatsFor(childRel).length > 0) files.push(childRel);
    }
  };
  visit(root, '', 0);
  return files;
}
