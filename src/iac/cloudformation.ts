/**
 * SAM / CloudFormation (YAML or JSON) and synthesized CDK (`cdk.out/*.template.json`) -> Deployment[].
 *
 * The template is parsed with `yaml` (JSON is YAML, so one parser keeps source ranges for both). Every
 * CloudFormation short tag (`!Ref`, `!If`...) is registered so it parses into the long form
 * (`{ "Fn::If": [...] }`) instead of failing; the reader then walks the yaml node tree (not `toJS()`)
 * so every value keeps its offset and therefore its line.
 *
 * What counts as unresolved: any intrinsic function (`!Ref`, `!If`, `!Sub` with variables, `!FindInMap`,
 * `!ImportValue`...), an unknown `!Tag`, or a value of the wrong shape (a map where a number is expected).
 * One exception: `!Ref Param` resolves to the template Parameter's `Default` when it has one, located at
 * the Default's line. Environment variable VALUES are never read, except `AWS_LWA_INVOKE_MODE` and
 * `AWS_LAMBDA_EXEC_WRAPPER` (they configure streaming, see aws.md §3.2/§5/§6).
 */
import path from 'node:path';
import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  Pair,
  parseDocument,
  Scalar,
  YAMLMap,
  type YAMLSeq,
  type CollectionTag,
  type Document,
  type ScalarTag,
} from 'yaml';
import type {
  Deployment,
  Field,
  FrontDoor,
  FunctionUrl,
  InvokeMode,
  AuthType,
  Located,
  ReaderResult,
  SourceLocation,
  Unresolved,
  UrlCors,
} from '../model/deployment.js';
import { LWA_LAYER, STREAMING_ENV_KEYS, locator } from './locate.js';

// ---------------------------------------------------------------------------------------------------
// YAML parsing with CloudFormation short tags (shared with serverless.ts: serverless.yml accepts them too)
// ---------------------------------------------------------------------------------------------------

/** Short tag -> long-form key. */
const SHORT_TAGS: Readonly<Record<string, string>> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!GetAtt': 'Fn::GetAtt',
  '!Sub': 'Fn::Sub',
  '!If': 'Fn::If',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!FindInMap': 'Fn::FindInMap',
  '!Equals': 'Fn::Equals',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Not': 'Fn::Not',
  '!ImportValue': 'Fn::ImportValue',
  '!Base64': 'Fn::Base64',
  '!Cidr': 'Fn::Cidr',
  '!GetAZs': 'Fn::GetAZs',
  '!Transform': 'Fn::Transform',
  '!Length': 'Fn::Length',
  '!ToJsonString': 'Fn::ToJsonString',
};

/** `!GetAtt Fn.Arn` -> `['Fn', 'Arn']` (the attribute may itself contain dots: `Db.Endpoint.Address`). */
function splitGetAtt(value: string): string[] {
  const dot = value.indexOf('.');
  return dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
}

/**
 * A collection under a short tag becomes a one-pair map `{ "Fn::If": <the collection> }`: `toJS()` gives
 * the long form and the walker still sees the original collection node (with its ranges).
 */
function wrapLongForm(fn: string, coll: YAMLMap.Parsed | YAMLSeq.Parsed): YAMLMap {
  const key = new Scalar(fn);
  const start = coll.range[0];
  key.range = [start, start, start];
  const map = new YAMLMap();
  map.items.push(new Pair(key, coll));
  return map;
}

/** Every CloudFormation short tag in scalar, sequence and mapping form, resolving to the long form. */
export const cloudFormationTags: Array<ScalarTag | CollectionTag> = Object.entries(SHORT_TAGS).flatMap(
  ([tag, fn]): Array<ScalarTag | CollectionTag> => [
    { tag, resolve: (value: string) => ({ [fn]: fn === 'Fn::GetAtt' ? splitGetAtt(value) : value }) },
    { tag, collection: 'seq', resolve: (coll) => wrapLongForm(fn, coll) },
    { tag, collection: 'map', resolve: (coll) => wrapLongForm(fn, coll) },
  ],
);

/** Parse YAML or JSON with the CloudFormation tags. Returns the error's first line instead of throwing. */
export function parseYamlDocument(text: string): { doc: Document.Parsed } | { error: string } {
  let doc: Document.Parsed;
  try {
    // uniqueKeys: false — a duplicated key is not worth a skip note; the last one wins, as in toJS().
    doc = parseDocument(text, { customTags: cloudFormationTags, uniqueKeys: false, prettyErrors: true });
  } catch (error) {
    return { error: firstLine(error instanceof Error ? error.message : String(error)) };
  }
  if (doc.errors.length > 0) return { error: firstLine(doc.errors[0].message) };
  return { doc };
}

function firstLine(message: string): string {
  return message.split(/\r?\n/, 1)[0].trim();
}

// ---------------------------------------------------------------------------------------------------
// A small located view over the yaml node tree (shared with serverless.ts)
// ---------------------------------------------------------------------------------------------------

/** One value in the document with the key it hangs from (null for sequence items and the root). */
export interface Prop {
  key: Scalar | null;
  value: unknown;
  /** Logical path for SourceLocation.path: `Resources.Fn.Properties.Timeout`, `Layers[0]`. */
  path: string;
}

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  loc: (offset: number, path?: string) => SourceLocation;
  /** `serverless`: plain strings containing `${...}` are Serverless variables and therefore unresolved. */
  dialect: 'cloudformation' | 'serverless';
  /** CloudFormation Parameters that have a Default: name -> the Default value. */
  parameterDefaults: Map<string, Prop>;
}

export function makeSource(file: string, text: string, doc: Document.Parsed, dialect: YamlSource['dialect']): YamlSource {
  return { file, text, doc, loc: locator(file, text), dialect, parameterDefaults: new Map() };
}

export function rootProp(src: YamlSource): Prop {
  return { key: null, value: src.doc.contents, path: '' };
}

function deref(src: YamlSource, value: unknown): unknown {
  return isAlias(value) ? value.resolve(src.doc) : value;
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/** `{ "Fn::If": [...] }`, `{ "Ref": "X" }` or a short-tag form (`!If [...]`): a value, not a configuration map. */
function isIntrinsicMap(value: unknown): boolean {
  if (!isMap(value)) return false;
  if (value.tag && SHORT_TAGS[value.tag]) return true;
  if (value.items.length !== 1 || !isScalar(value.items[0].key)) return false;
  const name = String(value.items[0].key.value);
  return name === 'Ref' || name.startsWith('Fn::');
}

/** The entries of a mapping (aliases resolved; non-scalar keys skipped; intrinsic calls have none). */
export function entries(src: YamlSource, prop: Prop | undefined): Prop[] {
  const value = prop && deref(src, prop.value);
  if (!prop || !isMap(value) || isIntrinsicMap(value)) return [];
  const out: Prop[] = [];
  for (const pair of value.items) {
    if (!isScalar(pair.key) || pair.key.value == null) continue;
    const name = String(pair.key.value);
    out.push({ key: pair.key, value: deref(src, pair.value), path: join(prop.path, name) });
  }
  return out;
}

/** A mapping entry by key (the last one when a key is repeated). */
export function get(src: YamlSource, prop: Prop | undefined, key: string): Prop | undefined {
  let found: Prop | undefined;
  for (const entry of entries(src, prop)) if (keyName(entry) === key) found = entry;
  return found;
}

export function keyName(prop: Prop): string {
  return prop.key ? String(prop.key.value) : '';
}

/** The items of a sequence. */
export function items(src: YamlSource, prop: Prop | undefined): Prop[] {
  const value = prop && deref(src, prop.value);
  if (!prop || !isSeq(value)) return [];
  return value.items.map((item, i) => ({ key: null, value: deref(src, item), path: `${prop.path}[${i}]` }));
}

/** A configuration mapping (not an intrinsic function call). */
export function isMapProp(prop: Prop | undefined): boolean {
  return !!prop && isMap(prop.value) && !isIntrinsicMap(prop.value);
}

export function isSeqProp(prop: Prop | undefined): boolean {
  return !!prop && isSeq(prop.value);
}

/** Set, and not an explicit null (`Timeout:` / `Timeout: ~`). */
export function present(prop: Prop | undefined): prop is Prop {
  if (!prop || prop.value == null) return false;
  return !(isScalar(prop.value) && prop.value.value == null && !prop.value.tag);
}

function nodeRange(value: unknown): [number, number, number] | undefined {
  return isNode(value) && value.range ? (value.range as [number, number, number]) : undefined;
}

/** Where the short tag in front of a node starts, when it is on the same line. */
function tagOffset(src: YamlSource, value: unknown, start: number): number {
  if (!isNode(value) || !value.tag || !value.tag.startsWith('!')) return start;
  const lineStart = src.text.lastIndexOf('\n', start - 1) + 1;
  const at = src.text.lastIndexOf(value.tag, start);
  return at >= lineStart ? at : start;
}

/** A scalar value points at the value; a collection or a tagged block at its key. */
export function locate(src: YamlSource, prop: Prop): SourceLocation {
  const value = prop.value;
  const valueRange = nodeRange(value);
  const keyRange = prop.key?.range;
  let offset: number;
  if (isScalar(value) && valueRange) offset = tagOffset(src, value, valueRange[0]);
  else if (keyRange) offset = keyRange[0];
  else if (valueRange) offset = tagOffset(src, value, valueRange[0]);
  else offset = 0;
  return src.loc(offset, prop.path || undefined);
}

/** Location of the key itself (resource ids, environment keys, `url:`). */
export function locateKey(src: YamlSource, prop: Prop): SourceLocation {
  const offset = prop.key?.range?.[0] ?? nodeRange(prop.value)?.[0] ?? 0;
  return src.loc(offset, prop.path || undefined);
}

/** The expression as written, on one line (for Unresolved.text). */
export function sourceText(src: YamlSource, prop: Prop): string {
  const value = prop.value;
  const range = nodeRange(value);
  let text = range ? src.text.slice(range[0], range[1]) : String(isScalar(value) ? value.value : '');
  if (isNode(value) && value.tag && value.tag.startsWith('!')) text = `${value.tag} ${text}`;
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

export function unresolved(src: YamlSource, prop: Prop): Unresolved {
  return { unresolved: true, text: sourceText(src, prop), at: locate(src, prop) };
}

interface Intrinsic {
  /** `Ref`, `Fn::If`..., or an unknown `!Tag` as written. */
  fn: string;
  /** The argument of a scalar short form (`!Ref X` -> `X`). */
  argText?: string;
  /** The argument node otherwise. */
  arg?: Prop;
}

/** The intrinsic function call at `prop`, short or long form. */
export function intrinsic(src: YamlSource, prop: Prop): Intrinsic | undefined {
  const value = prop.value;
  if (isNode(value) && value.tag && value.tag.startsWith('!')) {
    const fn = SHORT_TAGS[value.tag] ?? value.tag;
    if (isScalar(value)) return { fn, argText: value.source ?? String(value.value ?? '') };
    if (SHORT_TAGS[value.tag] && isMap(value) && value.items.length === 1) {
      return { fn, arg: { key: null, value: deref(src, value.items[0].value), path: prop.path } };
    }
    return { fn, arg: { key: null, value, path: prop.path } };
  }
  if (isMap(value) && value.items.length === 1) {
    const pair = value.items[0];
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    if (name === 'Ref' || name.startsWith('Fn::')) {
      return { fn: name, arg: { key: pair.key as Scalar, value: deref(src, pair.value), path: join(prop.path, name) } };
    }
  }
  return undefined;
}

/** A plain scalar's value (not an intrinsic). */
export function plain(src: YamlSource, prop: Prop | undefined): string | number | boolean | null | undefined {
  if (!prop || !isScalar(prop.value) || intrinsic(src, prop)) return undefined;
  const v = prop.value.value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : undefined;
}

export function plainString(src: YamlSource, prop: Prop | undefined): string | undefined {
  const v = plain(src, prop);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** The argument of an intrinsic as a plain string (`!Ref X`, `{"Ref": "X"}`). */
function argString(src: YamlSource, intr: Intrinsic): string | undefined {
  if (intr.argText !== undefined) return intr.argText;
  return plainString(src, intr.arg);
}

/** Template string of `Fn::Sub` (scalar form or the first item of the list form). */
function subTemplate(src: YamlSource, intr: Intrinsic): string | undefined {
  if (intr.argText !== undefined) return intr.argText;
  if (!intr.arg) return undefined;
  if (isSeqProp(intr.arg)) return plainString(src, items(src, intr.arg)[0]);
  return plainString(src, intr.arg);
}

const SERVERLESS_VARIABLE = /\$\{[^}]*\}?/;

export type Coerce<T> = (value: unknown) => T | undefined;

export const toStr: Coerce<string> = (v) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
export const toNum: Coerce<number> = (v) => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
};
export const toBool: Coerce<boolean> = (v) =>
  typeof v === 'boolean' ? v : v === 'true' || v === 'True' ? true : v === 'false' || v === 'False' ? false : undefined;

/**
 * Read one configuration value. Undefined when absent; Unresolved when it is an expression (or of the
 * wrong shape); `!Ref Param` with a Default resolves to that Default, located at the Default.
 */
export function readField<T>(src: YamlSource, prop: Prop | undefined, coerce: Coerce<T>): Field<T> {
  if (!present(prop)) return undefined;
  const intr = intrinsic(src, prop);
  if (intr) {
    if (intr.fn === 'Ref') {
      const name = argString(src, intr);
      const def = name !== undefined ? src.parameterDefaults.get(name) : undefined;
      if (def) {
        const value = plain(src, def);
        const coerced = value === undefined ? undefined : coerce(value);
        if (coerced !== undefined) return { value: coerced, at: locate(src, def) };
      }
    }
    if (intr.fn === 'Fn::Sub' && (intr.argText !== undefined || isScalar(intr.arg?.value))) {
      // A Sub without variables is just its string.
      const template = subTemplate(src, intr);
      if (template !== undefined && !/\$\{(?!!)/.test(template)) {
        const coerced = coerce(template.replace(/\$\{!/g, '${'));
        if (coerced !== undefined) return { value: coerced, at: locate(src, prop) };
      }
    }
    return unresolved(src, prop);
  }
  if (!isScalar(prop.value)) return unresolved(src, prop);
  const raw = prop.value.value;
  if (src.dialect === 'serverless' && typeof raw === 'string' && SERVERLESS_VARIABLE.test(raw)) return unresolved(src, prop);
  const coerced = coerce(raw);
  return coerced === undefined ? unresolved(src, prop) : { value: coerced, at: locate(src, prop) };
}

/**
 * A string for display and pattern matching, rendering `!Sub`/`!Join` to text with `${...}` placeholders
 * (a layer ARN built with `!Sub` or CDK's `Fn::Join` still shows `LambdaAdapterLayerX86`). Undefined when
 * the value cannot be rendered.
 */
export function renderString(src: YamlSource, prop: Prop | undefined, depth = 0): string | undefined {
  if (!present(prop) || depth > 32) return undefined;
  const intr = intrinsic(src, prop);
  if (!intr) return plainString(src, prop);
  switch (intr.fn) {
    case 'Ref': {
      const name = argString(src, intr);
      if (name === undefined) return undefined;
      const def = src.parameterDefaults.get(name);
      return (def && plainString(src, def)) ?? `\${${name}}`;
    }
    case 'Fn::GetAtt': {
      if (intr.argText !== undefined) return `\${${intr.argText}}`;
      const parts = items(src, intr.arg).map((item) => plainString(src, item));
      return parts.every((p) => p !== undefined) && parts.length > 0 ? `\${${parts.join('.')}}` : undefined;
    }
    case 'Fn::Sub':
      return subTemplate(src, intr);
    case 'Fn::Join': {
      const [delimiter, list] = items(src, intr.arg);
      const sep = plainString(src, delimiter) ?? (plain(src, delimiter) === null ? '' : undefined);
      if (sep === undefined || !isSeqProp(list)) return undefined;
      return items(src, list)
        .map((item) => renderString(src, item, depth + 1) ?? '${…}')
        .join(sep);
    }
    default:
      return undefined;
  }
}

/** A string-valued entry for lists (layers): resolved text, or the expression as written. */
function locatedText(src: YamlSource, prop: Prop): Located<string> {
  const resolved = readField(src, prop, toStr);
  if (resolved && !('unresolved' in resolved)) return resolved;
  // `!Sub`/`!Join` render to the ARN text (with `${...}` placeholders); anything else stays as written.
  const fn = intrinsic(src, prop)?.fn;
  const rendered = fn === 'Fn::Sub' || fn === 'Fn::Join' ? renderString(src, prop) : undefined;
  return { value: rendered ?? sourceText(src, prop), at: locate(src, prop) };
}

/** `Layers`: each item as text; a whole-list expression (`!Ref LayerArns`) as one entry, or its split Default. */
function layerList(src: YamlSource, prop: Prop | undefined): Array<Located<string>> {
  if (!present(prop)) return [];
  if (isSeqProp(prop)) return items(src, prop).map((item) => locatedText(src, item));
  const entry = locatedText(src, prop);
  const resolved = readField(src, prop, toStr);
  if (resolved && !('unresolved' in resolved)) {
    return entry.value.split(',').map((value) => ({ value: value.trim(), at: entry.at })).filter((layer) => layer.value !== '');
  }
  return [entry];
}

/** A list of strings (Cors.AllowOrigins...): intrinsic items are kept as their expression text. */
function stringList(src: YamlSource, prop: Prop | undefined): string[] | undefined {
  if (!present(prop)) return undefined;
  if (isSeqProp(prop)) return items(src, prop).map((item) => locatedText(src, item).value);
  const single = readField(src, prop, toStr);
  if (single && !('unresolved' in single)) return single.value.split(',').map((s) => s.trim()); // CommaDelimitedList default
  return [sourceText(src, prop)];
}

/** Logical ids mentioned by `Ref`, `GetAtt` and `${Id}` / `${Id.Attr}` inside `Sub`, anywhere below `prop`. */
export function mentions(src: YamlSource, prop: Prop | undefined, out = new Set<string>(), depth = 0): Set<string> {
  // The depth cap guards against alias cycles (`&a [*a]`); real templates nest a handful of levels.
  if (!prop || prop.value == null || depth > 64) return out;
  const intr = intrinsic(src, prop);
  if (intr) {
    if (intr.fn === 'Ref') {
      const name = argString(src, intr);
      if (name) out.add(name);
      return out;
    }
    if (intr.fn === 'Fn::GetAtt') {
      const first = intr.argText !== undefined ? splitGetAtt(intr.argText)[0] : (plainString(src, items(src, intr.arg)[0]) ?? plainString(src, intr.arg)?.split('.')[0]);
      if (first) out.add(first);
      return out;
    }
    if (intr.fn === 'Fn::Sub') {
      const template = subTemplate(src, intr);
      if (template) for (const m of template.matchAll(/\$\{([^!}][^}]*)\}/g)) out.add(m[1].split('.')[0].trim());
      if (intr.arg && isSeqProp(intr.arg)) mentions(src, items(src, intr.arg)[1], out, depth + 1);
      return out;
    }
    // An unknown `!Tag` on a collection wraps nothing: look at the collection's children below.
    if (intr.arg && intr.arg.value !== prop.value) {
      mentions(src, intr.arg, out, depth + 1);
      return out;
    }
  }
  for (const entry of entries(src, prop)) mentions(src, entry, out, depth + 1);
  for (const item of items(src, prop)) mentions(src, item, out, depth + 1);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The CloudFormation reader
// ---------------------------------------------------------------------------------------------------

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);
const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';
/** The official Lambda Web Adapter layer name (aws.md §3.3/§5): `...:layer:LambdaAdapterLayerX86:26`. */
/** Lambda (and CloudFormation/SAM/CDK) default timeout. */
const DEFAULT_TIMEOUT_SECONDS = 3;

interface Resource {
  id: string;
  type: string;
  prop: Prop;
  properties: Prop | undefined;
  metadata: Prop | undefined;
}

/** Read a SAM or CloudFormation template (YAML or JSON). */
export function readCloudFormation(file: string, text: string): ReaderResult {
  return readTemplate(file, text, undefined);
}

/**
 * Read a synthesized CDK template (`cdk.out/*.template.json`). Same reader, `source: 'cdk-out'`; the code
 * location comes from the `aws:asset:path` resource metadata (relative to the template's directory).
 */
export function readCdkOut(file: string, text: string): ReaderResult {
  return readTemplate(file, text, 'cdk-out');
}

/** Cheap check before reporting a parse error: does this text even look like a template? */
function looksLikeTemplate(text: string): boolean {
  return /AWSTemplateFormatVersion|\bResources\b|AWS::/.test(text);
}

function readTemplate(file: string, text: string, forced: 'cdk-out' | undefined): ReaderResult {
  const result: ReaderResult = { deployments: [], notes: [] };
  const parsed = parseYamlDocument(text);
  if ('error' in parsed) {
    if (looksLikeTemplate(text)) result.notes.push({ file, reason: `cannot parse template: ${parsed.error}` });
    return result;
  }
  const src = makeSource(file, text, parsed.doc, 'cloudformation');
  const root = rootProp(src);
  const resourcesProp = get(src, root, 'Resources');
  if (!isMapProp(resourcesProp)) return result;

  for (const param of entries(src, get(src, root, 'Parameters'))) {
    const def = get(src, param, 'Default');
    if (present(def) && isScalar(def.value) && !intrinsic(src, def)) src.parameterDefaults.set(keyName(param), def);
  }

  const transform = get(src, root, 'Transform');
  const transforms = isSeqProp(transform) ? items(src, transform).map((t) => plainString(src, t)) : [plainString(src, transform)];
  const isSam = transforms.includes(SAM_TRANSFORM);
  const source: Deployment['source'] = forced ?? (isSam ? 'sam' : 'cloudformation');
  const globals = isSam ? get(src, get(src, root, 'Globals'), 'Function') : undefined;

  const resources = new Map<string, Resource>();
  for (const prop of entries(src, resourcesProp)) {
    if (!isMapProp(prop)) continue; // `Fn::ForEach::X` loops and other non-resources
    const type = plainString(src, get(src, prop, 'Type'));
    if (!type) continue;
    const id = keyName(prop);
    resources.set(id, { id, type, prop, properties: get(src, prop, 'Properties'), metadata: get(src, prop, 'Metadata') });
  }

  const byId = new Map<string, Deployment>();
  for (const res of resources.values()) {
    if (!FUNCTION_TYPES.has(res.type) || isCdkInternal(src, res)) continue;
    const deployment = readFunction(src, res, source, res.type === 'AWS::Serverless::Function' ? globals : undefined);
    byId.set(res.id, deployment);
    result.deployments.push(deployment);
  }
  if (byId.size === 0) return result;

  joinResources(src, resources, byId);
  return result;
}

/** CDK's own singleton functions (custom resource providers, log retention): not the app's code. */
function isCdkInternal(src: YamlSource, res: Resource): boolean {
  const cdkPath = plainString(src, get(src, res.metadata, 'aws:cdk:path'));
  if (!cdkPath) return false;
  return cdkPath.split('/').some((segment) => segment.startsWith('Custom::') || segment.startsWith('LogRetention'));
}

/** Function-level property, else the SAM `Globals.Function` one. */
function pick(src: YamlSource, properties: Prop | undefined, globals: Prop | undefined, key: string): Prop | undefined {
  const own = get(src, properties, key);
  if (present(own)) return own;
  const global = get(src, globals, key);
  return present(global) ? global : undefined;
}

function readFunction(src: YamlSource, res: Resource, source: Deployment['source'], globals: Prop | undefined): Deployment {
  const props = res.properties;
  const p = (key: string) => pick(src, props, globals, key);

  const packageTypeText = plainString(src, p('PackageType'));
  const packageType = packageTypeText === 'Image' ? 'image' : packageTypeText === 'Zip' ? 'zip' : undefined;

  let handler: Field<string>;
  if (packageType === 'image') {
    const command = get(src, p('ImageConfig'), 'Command');
    handler = imageCommand(src, command);
  } else {
    handler = readField(src, p('Handler'), toStr);
  }

  const { environmentKeys, streamingEnvironment } = readEnvironment(src, [get(src, get(src, globals, 'Environment'), 'Variables'), get(src, get(src, props, 'Environment'), 'Variables')]);

  // SAM: lists in Globals are additive (globals first), maps merge, scalars are overridden.
  const layers = [...layerList(src, get(src, globals, 'Layers')), ...layerList(src, get(src, props, 'Layers'))];
  const webAdapter = layers.find((layer) => LWA_LAYER.test(layer.value));

  const architecturesProp = p('Architectures');
  const architectureValues = items(src, architecturesProp).map((item) => plainString(src, item));
  const architectures =
    architecturesProp && architectureValues.length > 0 && architectureValues.every((a): a is string => a !== undefined)
      ? { value: architectureValues, at: locate(src, architecturesProp) }
      : undefined;

  const vpcProp = p('VpcConfig');
  const deployment: Deployment = {
    name: res.id,
    source,
    at: locateKey(src, res.prop),
    ...(packageType ? { packageType } : {}),
    runtime: readField(src, p('Runtime'), toStr),
    handler,
    ...optional('codeLocation', codeLocation(src, res, props, globals, packageType)),
    ...optional('dockerfile', packageType === 'image' ? samDockerfile(src, res) : undefined),
    timeout: readField(src, p('Timeout'), toNum),
    memory: readField(src, p('MemorySize'), toNum),
    environmentKeys,
    streamingEnvironment,
    layers,
    ...optional('webAdapter', webAdapter),
    reservedConcurrency: readField(src, p('ReservedConcurrentExecutions'), toNum),
    ...optional('architectures', architectures),
    ...optional('vpc', vpcProp && isMapProp(vpcProp) ? locateKey(src, vpcProp) : undefined),
    // CapacityProviderConfig present: the function runs on Lambda Managed Instances (aws.md §3.1).
    ...optional('managedInstances', p('CapacityProviderConfig') ? locateKey(src, p('CapacityProviderConfig')!) : undefined),
    ...optional('url', samFunctionUrl(src, props, globals)),
    frontDoors: samEvents(src, props),
    defaultTimeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  };
  return deployment;
}

/** `{ key: value }` when the value is defined, `{}` otherwise (exactOptionalPropertyTypes-friendly). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function imageCommand(src: YamlSource, command: Prop | undefined): Field<string> {
  if (!present(command)) return undefined;
  if (!isSeqProp(command)) return readField(src, command, toStr);
  const parts = items(src, command).map((item) => readField(src, item, toStr));
  if (parts.length === 0) return undefined;
  if (parts.some((part) => !part || 'unresolved' in part)) return unresolved(src, command);
  return { value: parts.map((part) => (part as Located<string>).value).join(' '), at: locate(src, command) };
}

/**
 * Keys of environment variable maps (never the values) plus the streaming-related values; later maps
 * (function level) override earlier ones (Globals, provider). Shared with serverless.yml.
 */
export function readEnvironment(
  src: YamlSource,
  environments: Array<Prop | undefined>,
): Pick<Deployment, 'environmentKeys' | 'streamingEnvironment'> {
  const keys = new Map<string, Located<string>>();
  const streaming: Deployment['streamingEnvironment'] = {};
  for (const environment of environments) {
    for (const variable of entries(src, environment)) {
      const name = keyName(variable);
      keys.delete(name); // a later (function-level) definition wins and moves to the end
      keys.set(name, { value: name, at: locateKey(src, variable) });
      if (STREAMING_ENV_KEYS.has(name)) {
        const value = readField(src, variable, toStr);
        if (value) streaming[name] = value;
        else delete streaming[name];
      }
    }
  }
  return { environmentKeys: [...keys.values()], streamingEnvironment: streaming };
}

/**
 * Local code: SAM `CodeUri` / CloudFormation `Code` when it is a path (not `s3://`, not a `{S3Bucket}` map),
 * SAM image `Metadata.DockerContext`, or CDK's `aws:asset:path`. Relative to the scan root.
 */
function codeLocation(
  src: YamlSource,
  res: Resource,
  props: Prop | undefined,
  globals: Prop | undefined,
  packageType: 'zip' | 'image' | undefined,
): Located<string> | undefined {
  const candidates: Array<Prop | undefined> = [];
  if (res.type === 'AWS::Serverless::Function') {
    if (packageType === 'image') candidates.push(get(src, res.metadata, 'DockerContext'));
    else {
      // `sam build` with esbuild bundles Metadata.BuildProperties.EntryPoints[0] (relative to CodeUri):
      // that source file is the handler module.
      const entry = items(src, get(src, get(src, res.metadata, 'BuildProperties'), 'EntryPoints'))[0];
      const entryPath = entry ? plainString(src, entry) : undefined;
      const codeUri = plainString(src, pick(src, props, globals, 'CodeUri')) ?? '.';
      if (entry && entryPath && !/^[a-z][a-z0-9+.-]*:\/\//i.test(codeUri)) {
        return { value: resolveRelative(src.file, path.posix.join(codeUri.replace(/\\/g, '/'), entryPath)), at: locate(src, entry) };
      }
      candidates.push(pick(src, props, globals, 'CodeUri'));
    }
  } else {
    candidates.push(get(src, props, 'Code'));
  }
  candidates.push(get(src, res.metadata, 'aws:asset:path'));
  for (const candidate of candidates) {
    const value = plainString(src, candidate);
    if (!candidate || value === undefined || value === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) continue;
    return { value: resolveRelative(src.file, value), at: locate(src, candidate) };
  }
  return undefined;
}

/** SAM image `Metadata.Dockerfile`, relative to `Metadata.DockerContext` (default: the template's folder). */
function samDockerfile(src: YamlSource, res: Resource): Located<string> | undefined {
  const prop = get(src, res.metadata, 'Dockerfile');
  const name = plainString(src, prop);
  if (!prop || !name) return undefined;
  const context = plainString(src, get(src, res.metadata, 'DockerContext')) ?? '.';
  return { value: resolveRelative(src.file, path.posix.join(context.replace(/\\/g, '/'), name)), at: locate(src, prop) };
}

/** `dir/of/template` + `./src/` -> `dir/of/template/src` ("/" separators, relative to the scan root). */
export function resolveRelative(file: string, target: string): string {
  const normalized = target.replace(/\\/g, '/');
  if (path.posix.isAbsolute(normalized) || /^[A-Za-z]:\//.test(normalized)) return normalized.replace(/\/+$/, '') || '/';
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(file.replace(/\\/g, '/')), normalized));
  return joined.replace(/\/+$/, '') || '.';
}

// --- Function URL -------------------------------------------------------------------------------------

function samFunctionUrl(src: YamlSource, props: Prop | undefined, globals: Prop | undefined): FunctionUrl | undefined {
  const own = get(src, props, 'FunctionUrlConfig');
  const global = get(src, globals, 'FunctionUrlConfig');
  const configs = [own, global].filter(present);
  if (configs.length === 0) return undefined;
  const at = locateKey(src, configs[0]);
  const qualifierField = readField(src, pick(src, props, globals, 'AutoPublishAlias'), toStr);
  const qualifier = qualifierField ? ('unresolved' in qualifierField ? qualifierField.text : qualifierField.value) : undefined;
  const whole = configs.find((config) => !isMapProp(config));
  if (whole) {
    // `FunctionUrlConfig: !If [...]`: a URL may exist, its configuration is unknown.
    const u = unresolved(src, whole);
    return { at, invokeMode: u, authType: u, cors: u, ...optional('qualifier', qualifier) };
  }
  return urlFromConfigs(src, at, configs, qualifier);
}

/** Read a URL from one or more config maps (function first, then SAM Globals): the first that sets a key wins. */
function urlFromConfigs(src: YamlSource, at: SourceLocation, configs: Prop[], qualifier: string | undefined): FunctionUrl {
  const field = (key: string) => configs.map((config) => get(src, config, key)).find(present);
  return {
    at,
    invokeMode: readField(src, field('InvokeMode'), toStr) as Field<InvokeMode>, // as written; rules compare exactly
    authType: readField(src, field('AuthType'), toStr) as Field<AuthType>,
    cors: readCors(src, configs.map((config) => get(src, config, 'Cors')).filter(present)),
    ...optional('qualifier', qualifier),
  };
}

function readCors(src: YamlSource, corsProps: Prop[]): Field<UrlCors> {
  if (corsProps.length === 0) return undefined;
  const first = corsProps[0];
  const whole = corsProps.find((cors) => !isMapProp(cors));
  if (whole) return unresolved(src, whole);
  const field = (key: string) => corsProps.map((cors) => get(src, cors, key)).find(present);
  const cors: UrlCors = { enabled: true };
  const origins = stringList(src, field('AllowOrigins'));
  const methods = stringList(src, field('AllowMethods'));
  const headers = stringList(src, field('AllowHeaders'));
  const credentials = readField(src, field('AllowCredentials'), toBool);
  if (origins) cors.allowOrigins = origins;
  if (methods) cors.allowMethods = methods;
  if (headers) cors.allowHeaders = headers;
  if (credentials && !('unresolved' in credentials)) cors.allowCredentials = credentials.value;
  return { value: cors, at: locateKey(src, first) };
}

// --- Front doors and joins ----------------------------------------------------------------------------

/** SAM `Events`: `HttpApi` -> http-api, `Api` -> rest-api (with the event's `ResponseTransferMode`). */
function samEvents(src: YamlSource, props: Prop | undefined): FrontDoor[] {
  const doors: FrontDoor[] = [];
  for (const event of entries(src, get(src, props, 'Events'))) {
    const type = plainString(src, get(src, event, 'Type'));
    const at = locateKey(src, event);
    if (type === 'HttpApi') doors.push({ kind: 'http-api', at });
    else if (type === 'Api') {
      // SAM's Api event has `ResponseTransferMode` (sam-property-function-api); SAM builds the integration
      // URI itself, so whether it is the response-streaming one is not visible here: left undefined.
      let transferMode = readField(src, get(src, get(src, event, 'Properties'), 'ResponseTransferMode'), toStr);
      // On an explicit AWS::Serverless::Api (RestApiId) the OpenAPI definition can set
      // responseTransferMode itself, which this reader does not read: unknown, not BUFFERED.
      if (!transferMode && get(src, get(src, event, 'Properties'), 'RestApiId')) {
        transferMode = { unresolved: true, text: 'RestApiId (the API definition decides)', at };
      }
      doors.push({ kind: 'rest-api', at, ...(transferMode ? { transferMode: transferMode as Field<'BUFFERED' | 'STREAM'> } : {}) });
    }
  }
  return doors;
}

/** Functions reached from a set of mentioned ids, following Alias/Version/Url resources to their function. */
function functionsOf(
  src: YamlSource,
  ids: Iterable<string>,
  resources: Map<string, Resource>,
  byId: Map<string, Deployment>,
  seen = new Set<string>(),
): Array<{ fn: string; via?: Resource }> {
  const out: Array<{ fn: string; via?: Resource }> = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (byId.has(id)) {
      out.push({ fn: id });
      continue;
    }
    // SAM's generated URL resource for `FunctionUrlConfig` is `<FunctionId>Url`.
    if (id.endsWith('Url') && byId.get(id.slice(0, -3))?.url) {
      out.push({ fn: id.slice(0, -3) });
      continue;
    }
    const res = resources.get(id);
    if (!res) continue;
    const target =
      res.type === 'AWS::Lambda::Alias' || res.type === 'AWS::Lambda::Version'
        ? get(src, res.properties, 'FunctionName')
        : res.type === 'AWS::Lambda::Url'
          ? get(src, res.properties, 'TargetFunctionArn')
          : undefined;
    if (!target) continue;
    for (const found of functionsOf(src, mentions(src, target), resources, byId, seen)) out.push({ fn: found.fn, via: found.via ?? res });
  }
  return out;
}

function joinResources(src: YamlSource, resources: Map<string, Resource>, byId: Map<string, Deployment>): void {
  const resourceAt = (res: Resource) => locateKey(src, res.prop);
  const addDoor = (ids: Set<string>, door: FrontDoor) => {
    const targets = new Set(functionsOf(src, ids, resources, byId).map((t) => t.fn));
    for (const fn of targets) byId.get(fn)?.frontDoors.push(door);
  };

  // URLs first: CloudFront origins below may point at a URL.
  for (const res of resources.values()) {
    if (res.type !== 'AWS::Lambda::Url') continue;
    const props = res.properties;
    const targets = functionsOf(src, mentions(src, get(src, props, 'TargetFunctionArn')), resources, byId);
    for (const { fn, via } of targets) {
      const deployment = byId.get(fn);
      if (!deployment || deployment.url) continue; // one URL per deployment in the model: the first declared
      const qualifierField = readField(src, get(src, props, 'Qualifier'), toStr);
      let qualifier = qualifierField ? ('unresolved' in qualifierField ? qualifierField.text : qualifierField.value) : undefined;
      if (qualifier === undefined && via?.type === 'AWS::Lambda::Alias') qualifier = plainString(src, get(src, via.properties, 'Name'));
      deployment.url = urlFromConfigs(src, resourceAt(res), props && isMapProp(props) ? [props] : [], qualifier);
    }
  }

  for (const res of resources.values()) {
    const props = res.properties;
    switch (res.type) {
      case 'AWS::ApiGatewayV2::Integration': {
        const ids = mentions(src, get(src, props, 'IntegrationUri'));
        const api = [...mentions(src, get(src, props, 'ApiId'))].map((id) => resources.get(id)).find(Boolean);
        const protocol = api ? plainString(src, get(src, api.properties, 'ProtocolType')) : undefined;
        addDoor(ids, { kind: protocol === 'WEBSOCKET' ? 'unknown' : 'http-api', at: resourceAt(res) });
        break;
      }
      case 'AWS::ApiGateway::Method': {
        const integration = get(src, props, 'Integration');
        const uri = get(src, integration, 'Uri');
        const ids = mentions(src, uri);
        const uriText = renderString(src, uri);
        const transferMode = readField(src, get(src, integration, 'ResponseTransferMode'), toStr);
        addDoor(ids, {
          kind: 'rest-api',
          at: resourceAt(res),
          ...(transferMode ? { transferMode: transferMode as Field<'BUFFERED' | 'STREAM'> } : {}),
          ...(uriText !== undefined ? { streamingInvocationUri: /\/response-streaming-invocations\b/.test(uriText) } : {}),
        });
        break;
      }
      case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
        if (plainString(src, get(src, props, 'TargetType')) !== 'lambda') break;
        addDoor(mentions(src, get(src, props, 'Targets')), { kind: 'alb', at: resourceAt(res) });
        break;
      }
      case 'AWS::CloudFront::Distribution': {
        for (const origin of items(src, get(src, get(src, props, 'DistributionConfig'), 'Origins'))) {
          addDoor(mentions(src, get(src, origin, 'DomainName')), { kind: 'cloudfront', at: locate(src, origin) });
        }
        break;
      }
      default:
        break;
    }
  }
}
