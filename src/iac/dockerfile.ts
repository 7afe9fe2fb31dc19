/**
 * Dockerfile reader: a Lambda container image -> one Deployment. An image is a Lambda image when its
 * final stage (following `FROM <stage>` chains) is built on an AWS Lambda base image
 * (`public.ecr.aws/lambda/*`, `amazon/aws-lambda-*`), copies the Lambda Web Adapter into
 * `/opt/extensions`, or runs the runtime interface client (`awslambdaric`, `aws-lambda-ric`).
 * Any other Dockerfile gives nothing.
 *
 * Parsing is `dockerfile-ast` (line continuations, `# escape=` directives, legacy `ENV K V`, quoting,
 * comment lines inside continuations), loaded on the first Dockerfile only. `$VAR` / `${VAR}` /
 * `${VAR:-default}` in ENV values are expanded from ARG defaults and earlier ENVs of the same image.
 * Environment values are never kept, except for STREAMING_ENV_KEYS.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as DockerfileAst from 'dockerfile-ast';
import type { Deployment, Field, Located, ReaderResult, SourceLocation } from '../model/deployment.js';

/**
 * Environment variables whose values the readers keep (they configure streaming and the web adapter;
 * none is a secret). Every other variable is recorded by key only. Shared with terraform.ts.
 */
import { STREAMING_ENV_KEYS } from './locate.js';

export { STREAMING_ENV_KEYS };

const require = createRequire(import.meta.url);
let ast: typeof DockerfileAst | undefined;
function dockerfileAst(): typeof DockerfileAst {
  ast ??= require('dockerfile-ast') as typeof DockerfileAst;
  return ast;
}

/** Cheap gate: a Dockerfile that mentions none of these cannot be a Lambda image. */
const MARKER = /lambda|awslambdaric|aws-lambda-ric/i;
const LAMBDA_BASE = /^(?:public\.ecr\.aws\/lambda\/|amazon\/aws-lambda-)/i;
const ADAPTER_IMAGE = /(?:^|\/)aws-lambda-adapter(?::|@|$)/i;
const RIC = /\b(?:awslambdaric|aws-lambda-ric)\b/;

type Instruction = DockerfileAst.Instruction;

interface Stage {
  from: DockerfileAst.From;
  /** `AS name`, lowercased. */
  name: string | null;
  /** The base image with global ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export function readDockerfile(file: string, text: string): ReaderResult {
  const result: ReaderResult = { deployments: [], notes: [] };
  if (!MARKER.test(text)) return result;
  try {
    const d = read(file, text);
    if (d) result.deployments.push(d);
  } catch (error) {
    result.notes.push({ file, reason: `cannot parse Dockerfile: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}` });
  }
  return result;
}

function read(file: string, text: string): Deployment | null {
  const df = dockerfileAst().DockerfileParser.parse(text);
  const loc = (pos: { line: number; character: number }, p?: string): SourceLocation => ({
    file,
    line: pos.line + 1,
    column: pos.character + 1,
    ...(p ? { path: p } : {}),
  });

  const globalArgs = new Map<string, string | null>();
  for (const arg of df.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) globalArgs.set(property.getName(), property.getValue());
  }

  const stages: Stage[] = [];
  for (const instruction of df.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const from = instruction as DockerfileAst.From;
      const raw = from.getImage() ?? '';
      stages.push({ from, name: from.getBuildStage()?.toLowerCase() ?? null, image: expand(raw, globalArgs) ?? raw, instructions: [] });
    } else stages[stages.length - 1]?.instructions.push(instruction);
  }
  if (stages.length === 0) return null;

  // The final image, with the stages it is built FROM (`FROM base AS app` ... `FROM app`).
  const chain: Stage[] = [stages[stages.length - 1]!];
  for (let k = stages.length - 1; k > 0; ) {
    const parentName = chain[0]!.image.toLowerCase();
    let parent = k - 1;
    while (parent >= 0 && stages[parent]!.name !== parentName) parent--;
    if (parent < 0) break;
    chain.unshift(stages[parent]!);
    k = parent;
  }
  const base = chain[0]!;
  const final = chain[chain.length - 1]!;
  const stageImage = (ref: string): string => stages.find((s) => s.name === ref.toLowerCase())?.image ?? ref;

  let webAdapter: Located<string> | undefined;
  /** Expanded ENV values, for later `$VAR` references only (never part of the result). */
  const envValues = new Map<string, string | null>();
  const environmentKeys = new Map<string, Located<string>>();
  const streamingEnvironment: Deployment['streamingEnvironment'] = {};
  let cmd: { words: string[]; instruction: Instruction; stage: number } | undefined;
  let entrypoint: { words: string[]; instruction: Instruction } | undefined;

  chain.forEach((stage, stageIndex) => {
    // Variables visible to ENV values: ARGs declared in this stage (global defaults when redeclared
    // without one), then ENVs of this and earlier stages of the chain.
    const argValues = new Map<string, string | null>();
    const vars = (): Map<string, string | null> => {
      const all = new Map<string, string | null>(argValues);
      for (const [k, v] of envValues) all.set(k, v);
      return all;
    };
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      if (keyword === 'ARG') {
        const property = (instruction as DockerfileAst.Arg).getProperty();
        if (property) argValues.set(property.getName(), property.getValue() ?? globalArgs.get(property.getName()) ?? null);
      } else if (keyword === 'ENV') {
        for (const property of (instruction as DockerfileAst.Env).getProperties()) {
          const name = property.getName();
          const raw = property.getValue() ?? '';
          const value = expand(raw, vars());
          envValues.set(name, value);
          const at = loc(property.getNameRange().start, `ENV.${name}`);
          environmentKeys.delete(name);
          environmentKeys.set(name, { value: name, at });
          if (STREAMING_ENV_KEYS.has(name)) streamingEnvironment[name] = value === null ? { unresolved: true, text: raw, at } : { value, at };
        }
      } else if (keyword === 'COPY' || keyword === 'ADD') {
        const adapter = adapterCopy(instruction, stageImage);
        if (adapter) webAdapter = { value: adapter, at: loc(instruction.getRange().start, keyword) };
      } else if (keyword === 'CMD') {
        cmd = { words: commandWords(instruction), instruction, stage: stageIndex };
      } else if (keyword === 'ENTRYPOINT') {
        entrypoint = { words: commandWords(instruction), instruction };
        // An ENTRYPOINT resets a CMD inherited from a parent image.
        if (cmd && cmd.stage < stageIndex) cmd = undefined;
      }
    }
  });

  const lambdaBase = LAMBDA_BASE.test(base.image);
  const ric = [...(entrypoint?.words ?? []), ...(cmd?.words ?? [])].some((w) => RIC.test(w));
  if (!lambdaBase && !webAdapter && !ric) return null;

  // Base images and RIC images run the handler named by CMD; web adapter images run the web server
  // (ENTRYPOINT + CMD) as they are.
  let handler: Field<string>;
  if (webAdapter) {
    const words = [...(entrypoint?.words ?? []), ...(cmd?.words ?? [])];
    const at = cmd?.instruction ?? entrypoint?.instruction;
    handler = at && words.length ? { value: words.join(' '), at: loc(at.getRange().start, at.getKeyword()) } : undefined;
  } else {
    const source = cmd ?? entrypoint;
    handler = source && source.words.length ? { value: source.words.join(' '), at: loc(source.instruction.getRange().start, source.instruction.getKeyword()) } : undefined;
  }

  const dir = path.posix.dirname(file.replace(/\\/g, '/'));
  return {
    name: dir === '.' || dir === '' ? 'image' : path.posix.basename(dir),
    source: 'dockerfile',
    at: loc(final.from.getRange().start, 'FROM'),
    packageType: 'image',
    runtime: lambdaBase ? baseRuntime(base.image, loc(base.from.getRange().start, 'FROM')) : undefined,
    handler,
    timeout: undefined,
    memory: undefined,
    environmentKeys: [...environmentKeys.values()],
    streamingEnvironment,
    layers: [],
    ...(webAdapter ? { webAdapter } : {}),
    reservedConcurrency: undefined,
    frontDoors: [],
    defaultTimeoutSeconds: 3,
  };
}

/**
 * `COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1 /lambda-adapter /opt/extensions/...`
 * (or from a stage built on that image, or a `lambda-adapter` binary copied into /opt/extensions):
 * the adapter image reference, or the copied path.
 */
function adapterCopy(instruction: Instruction, stageImage: (ref: string) => string): string | null {
  const copy = instruction as DockerfileAst.Copy;
  const args = copy.getArguments().map((a) => a.getValue());
  if (args.length < 2) return null;
  const dest = args[args.length - 1]!;
  const sources = args.slice(0, -1);
  const fromFlag = copy.getFlags().find((f) => f.getName() === 'from');
  const from = fromFlag?.getValue();
  const namesAdapter = sources.some((s) => /(?:^|\/)lambda-adapter$/.test(s));
  if (from) {
    const image = stageImage(from);
    if (ADAPTER_IMAGE.test(image) && (namesAdapter || dest.startsWith('/opt/extensions'))) return image;
    return null;
  }
  if (namesAdapter && dest.startsWith('/opt/extensions')) return sources.find((s) => /lambda-adapter$/.test(s))!;
  return null;
}

function commandWords(instruction: Instruction): string[] {
  const json = (instruction as DockerfileAst.JSONInstruction).getJSONStrings?.() ?? [];
  if (json.length) return json.map((a) => a.getJSONValue());
  return instruction.getArguments().map((a) => a.getValue());
}

/** `public.ecr.aws/lambda/nodejs:20` -> `nodejs20.x`; `python:3.12` -> `python3.12`; `provided:al2023` -> `provided.al2023`. */
function baseRuntime(image: string, at: SourceLocation): Field<string> {
  const m = /^(?:public\.ecr\.aws\/lambda\/|amazon\/aws-lambda-)([a-z]+)(?::([^@\s]+))?/i.exec(image);
  const family = m?.[1]?.toLowerCase();
  const tag = m?.[2] ?? '';
  let runtime: string | undefined;
  if (family === 'nodejs' && /^\d+/.test(tag)) runtime = `nodejs${/^\d+/.exec(tag)![0]}.x`;
  else if ((family === 'python' || family === 'ruby') && /^\d+\.\d+/.test(tag)) runtime = `${family}${/^\d+\.\d+/.exec(tag)![0]}`;
  else if ((family === 'java' || family === 'dotnet') && /^\d+/.test(tag)) runtime = `${family}${/^\d+/.exec(tag)![0]}`;
  else if (family === 'provided' && /^al2(023)?\b/.test(tag)) runtime = `provided.${/^al2(023)?/.exec(tag)![0]}`;
  return runtime ? { value: runtime, at } : { unresolved: true, text: image, at };
}

/**
 * Shell-style expansion of `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}` from known values;
 * null when a variable is unknown (a build arg without default, a base image's ENV).
 */
function expand(raw: string, vars: Map<string, string | null>): string | null {
  let failed = false;
  const lookup = (name: string): string | null | undefined => vars.get(name);
  const out = raw.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced?: string, op?: string, word?: string, bare?: string) => {
    const name = (braced ?? bare)!;
    const value = lookup(name);
    const set = value !== undefined && value !== null && (value !== '' || !op?.startsWith(':'));
    if (op?.endsWith('-')) return set ? value! : (word ?? '');
    if (op?.endsWith('+')) return set ? (word ?? '') : '';
    if (value === undefined || value === null) {
      failed = true;
      return '';
    }
    return value;
  });
  return failed ? null : out;
}
