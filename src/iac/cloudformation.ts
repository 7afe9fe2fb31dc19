/**
 * SAM / CloudFormation (YAML or JSON) and synthesized CDK (`cdk.out/*.template.json`) -> Deployment[].
 *
 * The template is parsed with js-yaml's event parser (JSON is YAML, so one parser keeps source offsets for
 * both) into a small located node tree: maps, sequences and scalars, each with its tag as written and its
 * source range. Every CloudFormation short tag (`!Ref`, `!If`...) reads as its long form
 * (`{ "Fn::If": [...] }`); the reader walks that tree so every value keeps its offset and therefore its
 * line. js-yaml rather than `yaml`: it loads and parses a 1,600-line template cold in a fraction of the
 * time (docs/performance.md), and its events carry the offsets the located view needs.
 *
 * What counts as unresolved: any intrinsic function (`!Ref`, `!If`, `!Sub` with variables, `!FindInMap`,
 * `!ImportValue`...), an unknown `!Tag`, or a value of the wrong shape (a map where a number is expected).
 * One exception: `!Ref Param` resolves to the template Parameter's `Default` when it has one, located at
 * the Default's line. Environment variable VALUES are never read, except `AWS_LWA_INVOKE_MODE` and
 * `AWS_LAMBDA_EXEC_WRAPPER` (they configure streaming, see aws.md §3.2/§5/§6).
 */
import path from 'node:path';
import { COLLECTION_STYLE, EVENT_ID, SCALAR_STYLE, YAMLException, getScalarValue, parseEvents, type Event, type ScalarEvent } from 'js-yaml';
import type {
  Deployment,
  Field,
  FrontDoor,
  FunctionUrl,
  InvokeMode,
  AuthType,
  Located,
  PolicyGrant,
  ReaderResult,
  SourceLocation,
  Unresolved,
  UrlCors,
} from '../model/deployment.js';
import { LWA_LAYER, STREAMING_ENV_KEYS } from './locate.js';

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
 * One node of the located tree. `start`/`end` cover the value as written (quotes and block-scalar header
 * included; tag, anchor and leading whitespace or comments excluded); `tagStart` is where its tag starts
 * (-1 without one). Aliases are the node they point at (the same object).
 */
interface NodeBase {
  /** As written (`!Ref`, `!If`, an unknown `!Tag`); YAML's own `!!str` as `tag:yaml.org,2002:str`; null untagged. */
  tag: string | null;
  start: number;
  end: number;
  tagStart: number;
  /** The file the node was written in, when not the source's own (a serverless.ts importing its functions). */
  origin?: NodeOrigin;
}

/** Another file a node comes from: its text and locator (offsets are into that text). */
export interface NodeOrigin {
  file: string;
  text: string;
  loc: (offset: number, path?: string) => SourceLocation;
}

/**
 * The tag of a value written as a program expression that cannot be read statically (serverless.ts:
 * `process.env.X`, a call): read as an unknown intrinsic, so unresolved, shown as written without the tag.
 */
export const EXPRESSION_TAG = '!expression';
export interface YamlScalar extends NodeBase {
  kind: 'scalar';
  /** The value with the YAML 1.2 core schema (`60` -> 60, `"60"` -> '60', `Timeout:` -> null). */
  value: string | number | boolean | null;
  /** The scalar's text, unquoted and unescaped (the argument of `!Ref X`, `!GetAtt a.b`). */
  source: string;
}
export interface YamlMap extends NodeBase {
  kind: 'map';
  /** Every pair as written, duplicates included (`get` takes the last, as `JSON.parse` does). */
  pairs: Array<{ key: YamlNode; value: YamlNode }>;
}
export interface YamlSeq extends NodeBase {
  kind: 'seq';
  items: YamlNode[];
}
export type YamlNode = YamlScalar | YamlMap | YamlSeq;

export interface YamlDocument {
  /** The root node; null for an empty document. */
  contents: YamlNode | null;
}

const YAML_TAG_PREFIX = 'tag:yaml.org,2002:';

/** `!!str` / `!<tag:yaml.org,2002:str>` -> `tag:yaml.org,2002:str`; other tags as written. */
function tagName(text: string, start: number, end: number): string | null {
  if (start < 0) return null;
  const written = text.slice(start, end);
  if (written.startsWith('!!')) return YAML_TAG_PREFIX + written.slice(2);
  if (written.startsWith('!<') && written.endsWith('>')) return written.slice(2, -1);
  return written;
}

// The YAML 1.2 core schema (what `yaml` resolved plain scalars with): null, booleans, integers, floats.
const CORE_NULL = /^(?:~|[Nn]ull|NULL)?$/;
const CORE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const CORE_INT = /^[-+]?[0-9]+$/;
const CORE_OCT = /^0o[0-7]+$/;
const CORE_HEX = /^0x[0-9a-fA-F]+$/;
const CORE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const CORE_INF_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/** Only these first characters can start a non-string plain scalar (saves the regexes for most keys). */
const CORE_FIRST = new Set([...'~nNtTfF0123456789+-.']);

function resolvePlain(source: string): string | number | boolean | null {
  if (source === '') return null;
  if (!CORE_FIRST.has(source[0])) return source;
  if (CORE_NULL.test(source)) return null;
  if (CORE_BOOL.test(source)) return source[0] === 't' || source[0] === 'T';
  if (CORE_INT.test(source)) return parseInt(source, 10);
  if (CORE_OCT.test(source)) return parseInt(source.slice(2), 8);
  if (CORE_HEX.test(source)) return parseInt(source.slice(2), 16);
  if (CORE_FLOAT.test(source)) return parseFloat(source);
  if (CORE_INF_NAN.test(source)) return source.endsWith('nan') || source.endsWith('NaN') || source.endsWith('NAN') ? NaN : source[0] === '-' ? -Infinity : Infinity;
  return source;
}

/** A scalar's value: plain scalars by the core schema, `!!int`-style tags by theirs, anything else a string. */
function scalarValue(source: string, plainStyle: boolean, tag: string | null): string | number | boolean | null {
  if (tag === null) return plainStyle ? resolvePlain(source) : source;
  if (!tag.startsWith(YAML_TAG_PREFIX)) return source; // `!Ref X`: the argument text (see intrinsic())
  const resolved = resolvePlain(source);
  switch (tag.slice(YAML_TAG_PREFIX.length)) {
    case 'str':
      return source;
    case 'null':
      return resolved === null ? null : source;
    case 'bool':
      return typeof resolved === 'boolean' ? resolved : source;
    case 'int':
    case 'float':
      return typeof resolved === 'number' ? resolved : source;
    default:
      return plainStyle ? resolved : source;
  }
}

/** Where a block scalar's `|` / `>` header is (its content starts on the next line). */
function blockHeaderStart(text: string, contentStart: number): number {
  const lineStart = text.lastIndexOf('\n', contentStart - 2) + 1;
  const header = /[|>][-+0-9]*[ \t]*(?:#[^\n]*)?\r?\n?$/.exec(text.slice(lineStart, contentStart));
  return header ? lineStart + header.index : contentStart;
}

function skipBlanks(text: string, at: number): number {
  while (text[at] === ' ' || text[at] === '\t') at++;
  return at;
}

/** A block collection ends with its last value, and the comment on that line (as `yaml` ranges did). */
function blockEnd(text: string, from: number): number {
  if (text[from - 1] === '\n') return from; // after a block scalar: the next line is not its line
  const at = skipBlanks(text, from);
  if (text[at] !== '#') return from;
  const eol = text.indexOf('\n', at);
  return eol < 0 ? text.length : text[eol - 1] === '\r' ? eol - 1 : eol;
}

/** The offset just past the `]` / `}` that closes a flow collection whose last child ends at `from`. */
function flowEnd(text: string, from: number, closer: string): number {
  let at = from;
  while (at < text.length) {
    const ch = text[at];
    if (ch === closer) return at + 1;
    if (ch === '#') {
      const eol = text.indexOf('\n', at);
      at = eol < 0 ? text.length : eol + 1;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === ',' || ch === ':' || ch === '?') at++;
    else break;
  }
  return from;
}

function scalarNode(text: string, parsed: ParsedEvents, e: ScalarEvent, cursor: number): YamlScalar {
  const { shift } = parsed;
  const tag = tagName(text, shift(e.tagStart), shift(e.tagEnd));
  const tagStart = shift(e.tagStart);
  const valueStart = shift(e.valueStart);
  const valueEnd = shift(e.valueEnd);
  let start: number;
  let end: number;
  if (valueStart < 0) {
    // Empty (`Timeout:`, `- `, `!Ref` alone): where it would be, past the `:` / `-` and the spaces.
    start = Math.max(cursor, shift(e.tagEnd), shift(e.anchorEnd));
    start = skipBlanks(text, start);
    if (text[start] === ':' || text[start] === '-' || text[start] === '?') start = skipBlanks(text, start + 1);
    end = start;
  } else if (e.style === SCALAR_STYLE.SINGLE_QUOTED || e.style === SCALAR_STYLE.DOUBLE_QUOTED) {
    start = valueStart - 1;
    end = valueEnd + 1;
  } else if (e.style === SCALAR_STYLE.LITERAL_BLOCK || e.style === SCALAR_STYLE.FOLDED_BLOCK) {
    start = blockHeaderStart(text, valueStart);
    end = valueEnd;
  } else {
    start = valueStart;
    end = valueEnd;
  }
  const source = getScalarValue(parsed.source, e);
  return { kind: 'scalar', tag, start, end, tagStart, value: scalarValue(source, e.style === SCALAR_STYLE.PLAIN, tag), source };
}

interface ParsedEvents {
  events: Event[];
  /** The text the events were read from: the file's, or with spaces added (see parseLeniently). */
  source: string;
  /** An offset in `source` -> the same place in the file's text (-1 stays -1). */
  shift: (offset: number) => number;
  /** Offsets (in the file's text) of the closing brackets whose lines were indented by one space. */
  repaired: Set<number>;
  /** What js-yaml said about the first of them (thrown when a repair turns out not to be one yaml allows). */
  error: unknown;
}

/**
 * js-yaml's events, accepting what `yaml` (and CloudFormation) accept: the closing bracket of a flow
 * collection on its own line at its key's indentation,
 *
 *     FunctionName: !Sub [
 *       "fn-${ID}",
 *       ID: !Select [2, !Split ["/", !Ref AWS::StackId]],
 *     ]
 *
 * which js-yaml rejects as "deficient indentation". That line is indented by one more space and the text
 * parsed again (indentation is not content in flow context, so the values stay the same; offsets are
 * shifted back to the file's text). As in `yaml`, only when the bracket starts the line, one space is
 * enough, and it closes the outermost flow collection (checked in buildDocument).
 */
function parseLeniently(text: string): ParsedEvents {
  let source = text;
  /** Offsets in `source` of the spaces added, ascending. */
  const added: number[] = [];
  const repaired = new Set<number>();
  let firstError: unknown;
  const shift = (offset: number) => {
    if (offset < 0) return offset;
    let before = 0;
    while (before < added.length && added[before] < offset) before++;
    return offset - before;
  };
  for (;;) {
    try {
      const events = parseEvents(source, {});
      return { events, source, shift: added.length === 0 ? (offset) => offset : shift, repaired, error: firstError };
    } catch (error) {
      const position = error instanceof YAMLException && error.reason === 'deficient indentation' ? error.mark?.position : undefined;
      if (position === undefined) throw error;
      const lineStart = source.lastIndexOf('\n', position - 1) + 1;
      const closer = source[position];
      const original = shift(position);
      if ((closer !== ']' && closer !== '}') || source.slice(lineStart, position).trim() !== '' || repaired.has(original)) throw error;
      firstError ??= error;
      repaired.add(original);
      source = `${source.slice(0, lineStart)} ${source.slice(lineStart)}`;
      for (let i = 0; i < added.length; i++) if (added[i] >= lineStart) added[i]++;
      added.push(lineStart);
      added.sort((x, y) => x - y);
    }
  }
}

interface OpenCollection {
  node: YamlMap | YamlSeq;
  flow: boolean;
  /** A mapping's key waiting for its value. */
  key: YamlNode | null;
}

/** The located tree of a one-document YAML (or JSON) text. Throws on a syntax error. */
function buildDocument(text: string): YamlDocument {
  const parsed = parseLeniently(text);
  const { shift } = parsed;
  const open: OpenCollection[] = [];
  const anchors = new Map<string, YamlNode>();
  let contents: YamlNode | null = null;
  let documents = 0;
  /** Where the last node read ends (an empty scalar is placed there). */
  let cursor = 0;
  let repairsConfirmed = 0;
  const add = (node: YamlNode) => {
    const parent = open.at(-1);
    if (!parent) contents = node;
    else if (parent.node.kind === 'seq') parent.node.items.push(node);
    else if (parent.key === null) parent.key = node;
    else {
      parent.node.pairs.push({ key: parent.key, value: node });
      parent.key = null;
    }
  };
  const anchor = (start: number, end: number, node: YamlNode) => {
    if (start >= 0) anchors.set(parsed.source.slice(start, end), node);
  };
  for (const e of parsed.events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        if (++documents > 1) throw new Error('Source contains multiple documents');
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const start = shift(e.start);
        const base = { tag: tagName(text, shift(e.tagStart), shift(e.tagEnd)), start, end: start, tagStart: shift(e.tagStart) };
        const node: YamlMap | YamlSeq = e.type === EVENT_ID.MAPPING ? { kind: 'map', ...base, pairs: [] } : { kind: 'seq', ...base, items: [] };
        anchor(e.anchorStart, e.anchorEnd, node);
        add(node);
        const flow = e.style === COLLECTION_STYLE.FLOW;
        open.push({ node, flow, key: null });
        cursor = flow ? start + 1 : start;
        break;
      }
      case EVENT_ID.SCALAR: {
        const node = scalarNode(text, parsed, e, cursor);
        anchor(e.anchorStart, e.anchorEnd, node);
        add(node);
        cursor = node.end;
        break;
      }
      case EVENT_ID.ALIAS: {
        const name = parsed.source.slice(e.anchorStart, e.anchorEnd);
        cursor = shift(e.anchorEnd);
        // `*name` without an earlier `&name` reads as nothing (as `yaml` left it: not an error).
        add(anchors.get(name) ?? { kind: 'scalar', tag: null, start: shift(e.anchorStart) - 1, end: cursor, tagStart: -1, value: null, source: '' });
        break;
      }
      case EVENT_ID.POP: {
        const closed = open.pop(); // undefined: the end of the document
        if (!closed) break;
        closed.node.end = cursor = closed.flow ? flowEnd(text, cursor, closed.node.kind === 'map' ? '}' : ']') : blockEnd(text, cursor);
        if (closed.flow && parsed.repaired.has(cursor - 1)) {
          if (open.at(-1)?.flow) throw parsed.error; // closes a nested flow collection: not allowed
          repairsConfirmed++;
        }
        break;
      }
    }
  }
  if (repairsConfirmed !== parsed.repaired.size) throw parsed.error;
  return { contents };
}

/** Parse YAML or JSON with the CloudFormation tags. Returns the error's first line instead of throwing. */
export function parseYamlDocument(text: string): { doc: YamlDocument } | { error: string } {
  try {
    return { doc: buildDocument(text) };
  } catch (error) {
    return { error: syntaxError(error) };
  }
}

/** js-yaml's message, first line only (it goes on to print a code frame). */
function syntaxError(error: unknown): string {
  return firstLine(error instanceof Error ? error.message : String(error));
}

function firstLine(message: string): string {
  return message.split(/\r?\n/, 1)[0].trim();
}

/** The value CloudFormation sees: plain JS with every short tag in its long form (`!Ref X` -> `{ Ref: 'X' }`). */
export function toJS(node: YamlNode | null): unknown {
  if (node === null) return null;
  const fn = node.tag ? SHORT_TAGS[node.tag] : undefined;
  let value: unknown;
  if (node.kind === 'scalar') value = fn ? (fn === 'Fn::GetAtt' ? splitGetAtt(node.source) : node.source) : node.value;
  else if (node.kind === 'seq') value = node.items.map((item) => toJS(item));
  else value = Object.fromEntries(node.pairs.map(({ key, value: v }) => [key.kind === 'scalar' ? String(key.value) : JSON.stringify(toJS(key)), toJS(v)]));
  return fn ? { [fn]: value } : value;
}

// ---------------------------------------------------------------------------------------------------
// A small located view over the node tree (shared with serverless.ts)
// ---------------------------------------------------------------------------------------------------

/** One value in the document with the key it hangs from (null for sequence items and the root). */
export interface Prop {
  key: YamlScalar | null;
  value: YamlNode | null;
  /** Logical path for SourceLocation.path: `Resources.Fn.Properties.Timeout`, `Layers[0]`. */
  path: string;
}

export interface YamlSource {
  file: string;
  text: string;
  doc: YamlDocument;
  loc: (offset: number, path?: string) => SourceLocation;
  /** `serverless`: plain strings containing `${...}` are Serverless variables and therefore unresolved. */
  dialect: 'cloudformation' | 'serverless';
  /** CloudFormation Parameters that have a Default: name -> the Default value. */
  parameterDefaults: Map<string, Prop>;
}

export function makeSource(file: string, text: string, doc: YamlDocument, dialect: YamlSource['dialect']): YamlSource {
  return { file, text, doc, loc: lineLocator(file, text), dialect, parameterDefaults: new Map() };
}

/**
 * Offsets -> SourceLocation, as locate.ts's `locator` (1-based line and column, `\r` part of its line),
 * with the line starts found by `indexOf`: a character loop costs ~10 ms cold on a 1,600-line template.
 */
function lineLocator(file: string, text: string): YamlSource['loc'] {
  const starts = [0];
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', nl + 1)) starts.push(nl + 1);
  return (offset, path) => {
    const at = Math.max(0, offset);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, column: at - starts[lo] + 1, ...(path ? { path } : {}) };
  };
}

export function rootProp(src: YamlSource): Prop {
  return { key: null, value: src.doc.contents, path: '' };
}

function isScalar(value: YamlNode | null | undefined): value is YamlScalar {
  return value?.kind === 'scalar';
}

/** A short-tagged collection (`!If [...]`, `!Transform {...}`) is a function call, neither map nor list. */
function isShortTagged(value: YamlNode): boolean {
  return value.tag !== null && SHORT_TAGS[value.tag] !== undefined;
}

function isMap(value: YamlNode | null | undefined): value is YamlMap {
  return value?.kind === 'map';
}

function isSeq(value: YamlNode | null | undefined): value is YamlSeq {
  return value?.kind === 'seq' && !isShortTagged(value);
}

function isTagged(value: YamlNode | null | undefined): value is YamlNode & { tag: string } {
  return !!value?.tag && value.tag.startsWith('!');
}

function join(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

/** `{ "Fn::If": [...] }`, `{ "Ref": "X" }` or a short-tag form (`!If [...]`): a value, not a configuration map. */
function isIntrinsicMap(value: YamlNode | null | undefined): boolean {
  if (!value || value.kind === 'scalar') return false;
  if (isShortTagged(value)) return true;
  if (value.kind !== 'map' || value.pairs.length !== 1 || !isScalar(value.pairs[0].key)) return false;
  const name = String(value.pairs[0].key.value);
  return name === 'Ref' || name.startsWith('Fn::');
}

/** The entries of a mapping (aliases resolved; non-scalar keys skipped; intrinsic calls have none). */
export function entries(_src: YamlSource, prop: Prop | undefined): Prop[] {
  const value = prop?.value;
  if (!prop || !isMap(value) || isIntrinsicMap(value)) return [];
  const out: Prop[] = [];
  for (const pair of value.pairs) {
    if (!isScalar(pair.key) || pair.key.value == null) continue;
    const name = String(pair.key.value);
    out.push({ key: pair.key, value: pair.value, path: join(prop.path, name) });
  }
  return out;
}

/** A mapping entry by key (the last one when a key is repeated). */
export function get(_src: YamlSource, prop: Prop | undefined, key: string): Prop | undefined {
  const value = prop?.value;
  if (!prop || !isMap(value) || isIntrinsicMap(value)) return undefined;
  for (let i = value.pairs.length - 1; i >= 0; i--) {
    const pair = value.pairs[i];
    if (isScalar(pair.key) && pair.key.value != null && String(pair.key.value) === key) {
      return { key: pair.key, value: pair.value, path: join(prop.path, key) };
    }
  }
  return undefined;
}

export function keyName(prop: Prop): string {
  return prop.key ? String(prop.key.value) : '';
}

/** The items of a sequence. */
export function items(_src: YamlSource, prop: Prop | undefined): Prop[] {
  const value = prop?.value;
  if (!prop || !isSeq(value)) return [];
  return value.items.map((item, i) => ({ key: null, value: item, path: `${prop.path}[${i}]` }));
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

/** The file a node was written in: its own origin, or the source's. */
function fileOf(src: YamlSource, node: YamlNode | null | undefined): NodeOrigin {
  return node?.origin ?? src;
}

/** Where the short tag in front of a node starts, when it is on the same line. */
function tagOffset(src: YamlSource, value: YamlNode): number {
  if (!isTagged(value) || value.tagStart < 0) return value.start;
  const between = fileOf(src, value).text.slice(value.tagStart, value.start);
  return between.includes('\n') ? value.start : value.tagStart;
}

/** A scalar value points at the value; a collection or a tagged block at its key. */
export function locate(src: YamlSource, prop: Prop): SourceLocation {
  const value = prop.value;
  let offset: number;
  let node: YamlNode | null = value;
  if (isScalar(value)) offset = tagOffset(src, value);
  else if (prop.key) {
    offset = prop.key.start;
    node = prop.key;
  } else if (value) offset = tagOffset(src, value);
  else offset = 0;
  return fileOf(src, node).loc(offset, prop.path || undefined);
}

/** Location of the key itself (resource ids, environment keys, `url:`). */
export function locateKey(src: YamlSource, prop: Prop): SourceLocation {
  const node = prop.key ?? prop.value;
  return fileOf(src, node).loc(node?.start ?? 0, prop.path || undefined);
}

/** The expression as written, on one line (for Unresolved.text). */
export function sourceText(src: YamlSource, prop: Prop): string {
  const value = prop.value;
  let text = value ? fileOf(src, value).text.slice(value.start, value.end) : '';
  if (isTagged(value) && value.tag !== EXPRESSION_TAG) text = `${value.tag} ${text}`;
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
export function intrinsic(_src: YamlSource, prop: Prop): Intrinsic | undefined {
  const value = prop.value;
  if (isTagged(value)) {
    const fn = SHORT_TAGS[value.tag] ?? value.tag;
    if (value.kind === 'scalar') return { fn, argText: value.source };
    // A short tag's argument is the collection itself, read without the tag (an unknown tag keeps it).
    const arg = SHORT_TAGS[value.tag] ? { ...value, tag: null } : value;
    return { fn, arg: { key: null, value: arg, path: prop.path } };
  }
  if (isMap(value) && value.pairs.length === 1) {
    const pair = value.pairs[0];
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    if (isScalar(pair.key) && (name === 'Ref' || name.startsWith('Fn::'))) {
      return { fn: name, arg: { key: pair.key, value: pair.value, path: join(prop.path, name) } };
    }
  }
  return undefined;
}

/** A plain scalar's value (not an intrinsic). */
export function plain(src: YamlSource, prop: Prop | undefined): string | number | boolean | null | undefined {
  if (!prop || !isScalar(prop.value) || intrinsic(src, prop)) return undefined;
  return prop.value.value;
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

/**
 * `Architectures`: each item resolved (a `!Ref` to a parameter with a Default included), or kept as the
 * expression as written (`!Ref Arch`), so that a missing field really means Lambda's default x86_64 and an
 * unresolved one is never mistaken for it.
 */
function architectureList(src: YamlSource, prop: Prop | undefined): Located<string[]> | undefined {
  if (!present(prop)) return undefined;
  const text = (item: Prop) => {
    const field = readField(src, item, toStr);
    return field && !('unresolved' in field) ? field.value : sourceText(src, item);
  };
  const values = isSeqProp(prop) ? items(src, prop).map(text) : [text(prop)];
  return values.length > 0 ? { value: values, at: locate(src, prop) } : undefined;
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

export interface Resource {
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

  const resources = templateResources(src, resourcesProp);

  const byId = new Map<string, Deployment>();
  for (const res of resources.values()) {
    if (!FUNCTION_TYPES.has(res.type) || isCdkInternal(src, res)) continue;
    const deployment = readFunction(src, res, source, res.type === 'AWS::Serverless::Function' ? globals : undefined, resources);
    byId.set(res.id, deployment);
    result.deployments.push(deployment);
  }
  if (byId.size === 0) return result;

  joinResources(src, resources, byId);
  return result;
}

/** The template's resources by logical id: maps with a `Type` (`Fn::ForEach::X` loops and other non-resources are skipped). */
export function templateResources(src: YamlSource, resourcesProp: Prop | undefined): Map<string, Resource> {
  const resources = new Map<string, Resource>();
  for (const prop of entries(src, resourcesProp)) {
    if (!isMapProp(prop)) continue;
    const type = plainString(src, get(src, prop, 'Type'));
    if (!type) continue;
    const id = keyName(prop);
    resources.set(id, { id, type, prop, properties: get(src, prop, 'Properties'), metadata: get(src, prop, 'Metadata') });
  }
  return resources;
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

function readFunction(src: YamlSource, res: Resource, source: Deployment['source'], globals: Prop | undefined, resources: Map<string, Resource>): Deployment {
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

  const architectures = architectureList(src, p('Architectures'));

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
    frontDoors: samEvents(src, props, resources),
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
    return { at, invokeMode: u, authType: u, cors: u, ownPermissions: true, ...optional('qualifier', qualifier) };
  }
  // SAM adds the URL's public invoke permissions itself (lambda:InvokeFunctionUrl and lambda:InvokeFunction).
  return { ...urlFromConfigs(src, at, configs, qualifier), ownPermissions: true };
}

/** Read a URL from one or more config maps (function first, then SAM Globals): the first that sets a key wins. */
export function urlFromConfigs(src: YamlSource, at: SourceLocation, configs: Prop[], qualifier: string | undefined): FunctionUrl {
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
function samEvents(src: YamlSource, props: Prop | undefined, resources: Map<string, Resource>): FrontDoor[] {
  const doors: FrontDoor[] = [];
  for (const event of entries(src, get(src, props, 'Events'))) {
    const type = plainString(src, get(src, event, 'Type'));
    const at = locateKey(src, event);
    if (type === 'HttpApi') doors.push({ kind: 'http-api', at });
    else if (type === 'Api') {
      // SAM's Api event has `ResponseTransferMode` (sam-property-function-api); SAM builds the integration
      // URI itself, so whether it is the response-streaming one is not visible here: left undefined.
      const eventProps = get(src, event, 'Properties');
      let transferMode = readField(src, get(src, eventProps, 'ResponseTransferMode'), toStr);
      let streamingInvocationUri: boolean | undefined;
      const restApiId = get(src, eventProps, 'RestApiId');
      if (!transferMode && present(restApiId)) {
        const fromDefinition = explicitApiTransferMode(src, restApiId, eventProps, resources, at);
        transferMode = fromDefinition.transferMode;
        streamingInvocationUri = fromDefinition.streamingInvocationUri;
      }
      doors.push({
        kind: 'rest-api',
        at,
        ...(transferMode ? { transferMode: transferMode as Field<'BUFFERED' | 'STREAM'> } : {}),
        ...optional('streamingInvocationUri', streamingInvocationUri),
      });
    }
  }
  return doors;
}

/**
 * An Api event on an explicit API (`RestApiId`): an `AWS::Serverless::Api` of this template without a
 * `DefinitionBody`/`DefinitionUri` gets the definition SAM generates from the events, so the event's own
 * `ResponseTransferMode` (none: BUFFERED) applies; with an inline OpenAPI `DefinitionBody`, the
 * `x-amazon-apigateway-integration` of the event's path and method decides. Anything else (a definition in
 * another file or built by an intrinsic, an API of another stack, a path not in the definition) is unknown.
 */
function explicitApiTransferMode(
  src: YamlSource,
  restApiId: Prop,
  eventProps: Prop | undefined,
  resources: Map<string, Resource>,
  at: SourceLocation,
): { transferMode?: Field<string>; streamingInvocationUri?: boolean } {
  const unknown = (why: string) => ({ transferMode: { unresolved: true as const, text: `RestApiId (${why})`, at } });
  const ids = [...mentions(src, restApiId)];
  const api = ids.length === 1 ? resources.get(ids[0]) : undefined;
  if (!api || api.type !== 'AWS::Serverless::Api') return unknown('an API this template does not define');
  const body = get(src, api.properties, 'DefinitionBody');
  if (present(get(src, api.properties, 'DefinitionUri'))) return unknown('its definition is in another file');
  if (!present(body)) return {}; // SAM generates the definition from the events: the event's setting (none) applies
  if (!isMapProp(body)) return unknown('its definition is an expression');
  const pathText = plainString(src, get(src, eventProps, 'Path'));
  const method = plainString(src, get(src, eventProps, 'Method'))?.toLowerCase();
  const pathItem = pathText ? get(src, get(src, body, 'paths'), pathText) : undefined;
  const operation = method === 'any' ? get(src, pathItem, 'x-amazon-apigateway-any-method') : method ? (get(src, pathItem, method) ?? get(src, pathItem, 'x-amazon-apigateway-any-method')) : undefined;
  const integration = get(src, operation, 'x-amazon-apigateway-integration');
  if (!isMapProp(integration)) return unknown('its definition has no integration for this path and method');
  const transferMode = readField(src, get(src, integration, 'responseTransferMode'), toStr);
  const uri = renderString(src, get(src, integration, 'uri'));
  return {
    ...(transferMode ? { transferMode } : {}),
    ...(uri !== undefined ? { streamingInvocationUri: /\/response-streaming-invocations\b/.test(uri) } : {}),
  };
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

/**
 * Joins the template's other resources to its functions: Function URLs, permissions, API integrations, load
 * balancer target groups, CloudFront origins. Shared with serverless (its `resources.Resources`).
 */
export function joinResources(src: YamlSource, resources: Map<string, Resource>, byId: Map<string, Deployment>): void {
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
      // A URL resource alone: CloudFormation adds no permission; the template's AWS::Lambda::Permissions are its policy.
      deployment.url = { ...urlFromConfigs(src, resourceAt(res), props && isMapProp(props) ? [props] : [], qualifier), ownPermissions: false };
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
      case 'AWS::Lambda::Permission': {
        const grant = permissionGrant(src, res);
        for (const { fn } of functionsOf(src, mentions(src, get(src, props, 'FunctionName')), resources, byId)) {
          const deployment = byId.get(fn)!;
          deployment.policy ??= { grants: [], complete: false };
          deployment.policy.grants.push(grant);
        }
        break;
      }
      case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
        if (plainString(src, get(src, props, 'TargetType')) !== 'lambda') break;
        addDoor(mentions(src, get(src, props, 'Targets')), { kind: 'alb', at: resourceAt(res) });
        break;
      }
      case 'AWS::CloudFront::Distribution': {
        const config = get(src, props, 'DistributionConfig');
        const behaviors = [get(src, config, 'DefaultCacheBehavior'), ...items(src, get(src, config, 'CacheBehaviors'))].filter((b): b is Prop => !!b);
        for (const origin of items(src, get(src, config, 'Origins'))) {
          addDoor(mentions(src, get(src, origin, 'DomainName')), {
            kind: 'cloudfront',
            at: locate(src, origin),
            ...cloudFrontOriginFacts(src, origin, behaviors, resources),
          });
        }
        break;
      }
      default:
        break;
    }
  }
}

/**
 * What a CloudFront origin adds to its front door: the origin access control of origin type `lambda` named by
 * `OriginAccessControlId` (an `AWS::CloudFront::OriginAccessControl` of this template), and the first cache
 * behaviour targeting the origin (`TargetOriginId` equal to its `Id`) whose `AllowedMethods` include POST or PUT.
 * Anything not written as plain values (a parameter, an OAC of another stack) is left out.
 */
function cloudFrontOriginFacts(src: YamlSource, origin: Prop, behaviors: Prop[], resources: Map<string, Resource>): Pick<FrontDoor, 'originAccessControl' | 'bodyMethods'> {
  const out: Pick<FrontDoor, 'originAccessControl' | 'bodyMethods'> = {};
  const oacProp = get(src, origin, 'OriginAccessControlId');
  const oac = [...mentions(src, oacProp)].map((id) => resources.get(id)).find((res) => res?.type === 'AWS::CloudFront::OriginAccessControl');
  if (oac && oacProp) {
    const config = get(src, oac.properties, 'OriginAccessControlConfig');
    if (plainString(src, get(src, config, 'OriginAccessControlOriginType'))?.toLowerCase() === 'lambda') {
      const signing = plainString(src, get(src, config, 'SigningBehavior'));
      out.originAccessControl = { at: locate(src, oacProp), ...(signing ? { signing } : {}) };
    }
  }
  const id = plainString(src, get(src, origin, 'Id'));
  for (const behavior of behaviors) {
    if (id === undefined || plainString(src, get(src, behavior, 'TargetOriginId')) !== id) continue;
    const allowed = get(src, behavior, 'AllowedMethods');
    const methods = items(src, allowed)
      .map((m) => plainString(src, m)?.toUpperCase())
      .filter((m): m is string => m === 'POST' || m === 'PUT');
    if (allowed && methods.length > 0) {
      out.bodyMethods = { methods, at: locate(src, allowed) };
      break;
    }
  }
  return out;
}

/**
 * An `AWS::Lambda::Permission` as a policy grant, located at its `Action` (where a missing one would be
 * added). `Principal: '*'` grants everyone; another principal (a service, an account) does not.
 */
function permissionGrant(src: YamlSource, res: Resource): PolicyGrant {
  const props = res.properties;
  const actionProp = get(src, props, 'Action');
  const action = readField(src, actionProp, toStr);
  const principal = readField(src, get(src, props, 'Principal'), toStr);
  const at = actionProp && present(actionProp) ? locate(src, actionProp) : locateKey(src, res.prop);
  return {
    at,
    actions: action === undefined ? { value: [], at } : 'unresolved' in action ? action : { value: [action.value], at: action.at },
    everyone: principal === undefined ? { value: false, at } : 'unresolved' in principal ? principal : { value: principal.value === '*', at: principal.at },
    effect: 'Allow',
  };
}
