/**
 * The one table of infrastructure formats: which files belong to a format, the cheap gate their text must
 * pass, the reader that turns them into Deployments, how `fix` edits them, and the line the docs show.
 * Discovery (src/iac/index.ts), `fix` (src/fix/deployment) and the docs test all read this table; adding a
 * format is adding a row and its reader.
 *
 * A file is offered to the rows in order; the first row whose `matches` accepts its path and whose
 * `accepts` (when it has one) takes its text reads it. So `serverless.yml` is claimed before the generic YAML row,
 * and a TypeScript module goes to SST when it declares `sst.aws.*`, else to CDK when it imports aws-cdk-lib.
 */
import type { ReaderResult } from '../model/deployment.js';

/** How `stream-doctor fix` edits a file of the format (null: never edited, e.g. synthesized output). */
export type IacEditor = 'yaml' | 'serverless' | 'terraform' | 'typescript' | 'dockerfile';

export interface ReadOptions {
  /** The folder of the CDK app (`cdk.json`), relative to the root: asset paths resolve there. */
  appRoot?: string;
  /**
   * Reads another file of the project by its root-relative path (null when it does not exist): the modules a
   * serverless.ts imports, the resource files of an Amplify backend. Readers stay free of I/O.
   */
  readFile?: (rel: string) => string | null;
}

/** Reads one file (or, for `group: 'directory'`, every file of the format in one folder). */
export type IacReader = (files: Array<{ file: string; text: string }>, options: ReadOptions) => ReaderResult | Promise<ReaderResult>;

export interface IacFormat {
  id: 'cdk-out' | 'serverless' | 'serverless-module' | 'cloudformation' | 'terraform' | 'dockerfile' | 'sst' | 'cdk';
  /** For the docs and the README: the format as users name it. */
  title: string;
  /** Whether a file (root-relative path with "/", and its base name) may be of this format. */
  matches(rel: string, name: string): boolean;
  /** Files whose text this rejects are not of this format (the next row may take them). */
  accepts?(text: string, name: string): boolean;
  /** `directory`: the files of one folder form one input (Terraform modules). */
  group: 'file' | 'directory';
  /** Read only when no file of these formats produced a function (synthesized output of a source we read). */
  onlyWithout?: ReadonlyArray<IacFormat['id']>;
  /** Loads the reader on first use: a project pays only for the formats it has. */
  load(): Promise<IacReader>;
  editor: IacEditor | null;
}

const TS_SOURCE = /\.(ts|js|mjs)$/;
const NOT_A_TEMPLATE = /^(package(-lock)?|tsconfig.*|composer|\.eslintrc.*)\.json$/;
const isDockerfile = (name: string) => name === 'Dockerfile' || name.endsWith('.Dockerfile') || name.startsWith('Dockerfile.');
const inCdkOut = (rel: string) => rel.split('/').includes('cdk.out');
/** Build output of an app is not its infrastructure source. */
const inBuildOutput = (rel: string) => rel.split('/').some((part) => part === 'dist' || part === 'build');

function single(read: (file: string, text: string, options: ReadOptions) => ReaderResult): IacReader {
  return ([input], options) => read(input!.file, input!.text, options);
}

export const IAC_FORMATS: readonly IacFormat[] = [
  {
    id: 'cdk-out',
    title: 'CDK synthesized templates (cdk.out)',
    matches: (rel, name) => inCdkOut(rel) && name.endsWith('.template.json'),
    accepts: (text) => /AWS::Lambda::Function/.test(text),
    group: 'file',
    onlyWithout: ['cdk'],
    load: async () => single((await import('./cloudformation.js')).readCdkOut),
    editor: null,
  },
  {
    id: 'serverless',
    title: 'Serverless Framework (serverless.yml, serverless.json)',
    matches: (rel, name) => !inCdkOut(rel) && /^serverless\.(ya?ml|json)$/.test(name),
    // A SAM/CloudFormation template that happens to be named serverless.yml (no `service:`) is a template.
    accepts: (text) => !isCloudFormationTemplate(text),
    group: 'file',
    load: async () => single((await import('./serverless.js')).readServerless),
    editor: 'serverless',
  },
  {
    id: 'serverless-module',
    title: 'Serverless Framework (serverless.ts, serverless.js)',
    // The same model as serverless.yml; the exported object literal is read statically (no code runs).
    matches: (rel, name) => !inCdkOut(rel) && !inBuildOutput(rel) && /^serverless\.(ts|mts|cts|js|mjs|cjs)$/.test(name),
    group: 'file',
    load: async () => single((await import('./serverless.js')).readServerlessModule),
    editor: null,
  },
  {
    id: 'cloudformation',
    title: 'SAM and CloudFormation templates (YAML or JSON)',
    matches: (rel, name) => !inCdkOut(rel) && /\.(ya?ml|template|json)$/.test(name) && !NOT_A_TEMPLATE.test(name),
    accepts: (text) => /AWS::(Serverless|Lambda)::/.test(text),
    group: 'file',
    load: async () => single((await import('./cloudformation.js')).readCloudFormation),
    editor: 'yaml',
  },
  {
    id: 'terraform',
    title: 'Terraform (.tf)',
    matches: (rel, name) => !inCdkOut(rel) && name.endsWith('.tf'),
    group: 'directory',
    load: async () => {
      const { readTerraform } = await import('./terraform.js');
      return (files) => readTerraform(files);
    },
    editor: 'terraform',
  },
  {
    id: 'dockerfile',
    title: 'Dockerfiles (the Lambda Web Adapter)',
    matches: (rel, name) => !inCdkOut(rel) && isDockerfile(name),
    group: 'file',
    load: async () => single((await import('./dockerfile.js')).readDockerfile),
    editor: 'dockerfile',
  },
  {
    id: 'sst',
    title: 'SST v3 (sst.config.ts and its infra modules)',
    // sst.config.* always; other modules only when they declare SST components (apps keep them in infra/*.ts)
    matches: (rel, name) => !inCdkOut(rel) && (/^sst\.config\.(ts|js|mjs)$/.test(name) || (TS_SOURCE.test(name) && !name.endsWith('.d.ts') && !inBuildOutput(rel))),
    accepts: (text, name) => /^sst\.config\./.test(name) || /\bsst\.aws\./.test(text),
    group: 'file',
    load: async () => single((await import('./sst.js')).readSst),
    editor: 'typescript',
  },
  {
    id: 'cdk',
    title: 'AWS CDK apps (TypeScript/JavaScript)',
    matches: (rel, name) => !inCdkOut(rel) && TS_SOURCE.test(name) && !name.endsWith('.d.ts') && !inBuildOutput(rel) && !/^sst\.config\./.test(name),
    accepts: (text) => /aws-cdk-lib|@aws-cdk\//.test(text),
    group: 'file',
    load: async () => single((await import('./cdk.js')).readCdk),
    editor: 'typescript',
  },
];

/** The rows that may read a file, in order (`accepts` on its text decides among them). */
export function formatsFor(rel: string): IacFormat[] {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  return IAC_FORMATS.filter((format) => format.matches(rel, name));
}

/**
 * The editor `fix` needs for a file, from its name; null for synthesized output or a file no format takes.
 * (A TypeScript module can only be SST or CDK, which share the TypeScript editor.)
 */
export function editorOf(rel: string): IacEditor | null {
  const candidates = formatsFor(rel);
  return candidates.length > 0 ? candidates[0]!.editor : null;
}

/** Top-level `AWSTemplateFormatVersion` or the SAM transform, and no serverless `service` key. */
function isCloudFormationTemplate(text: string): boolean {
  const template = /^(?:AWSTemplateFormatVersion|Transform)\s*:|"AWSTemplateFormatVersion"\s*:/m.test(text);
  return template && !/^service\s*:|"service"\s*:/m.test(text);
}
