/**
 * Minimal edits in SAM / CloudFormation / serverless.yml files (YAML or JSON), made on the located node
 * tree the readers parse (cloudformation.ts `parseYamlDocument`: js-yaml events with source offsets), so an
 * edit lands exactly where the reader saw the value. Only the lines involved change: a scalar is replaced in
 * place (keeping its quotes), a key is added after the map's last entry at that entry's indentation (block
 * style) or after its last pair (flow style and JSON, with the commas), a pair is removed with its lines.
 * Anything unusual (tags, anchors, a key sharing its line with a `- `) makes the helper return an Unsafe
 * with the reason, and the fixer suggests instead.
 */
import { parseYamlDocument, type YamlMap, type YamlNode, type YamlScalar } from '../../iac/cloudformation.js';
import type { TextEdit } from '../../model/fix.js';
import { Declined } from '../ast-support.js';
import { contentEndOf, indentBefore, lineEndOf, lineStartOf, newlineOf } from '../text.js';

/** An infrastructure edit that cannot be made safely (a Declined, so every fixer's catch turns it into a suggestion). */
export class Unsafe extends Declined {}

export interface YamlFile {
  text: string;
  root: YamlNode | null;
  /** JSON text (a `.json` file that parses as JSON): keys and strings double-quoted, no comments. */
  json: boolean;
}

export function readYaml(file: string, text: string): YamlFile {
  const parsed = parseYamlDocument(text);
  if ('error' in parsed) throw new Unsafe(`the file does not parse (${parsed.error})`);
  let json = false;
  if (/\.json$/i.test(file)) {
    try {
      JSON.parse(text);
      json = true;
    } catch {
      json = false;
    }
  }
  return { text, root: parsed.doc.contents, json };
}

/** Does the text still parse (YAML, and JSON when it was JSON)? The reason when not. */
export function yamlParseProblem(file: string, before: string, after: string): string | null {
  const parsed = parseYamlDocument(after);
  if ('error' in parsed) return `the edited file would not parse (${parsed.error})`;
  if (/\.json$/i.test(file)) {
    let wasJson = true;
    try {
      JSON.parse(before);
    } catch {
      wasJson = false;
    }
    if (wasJson) {
      try {
        JSON.parse(after);
      } catch {
        return 'the edited file would no longer be valid JSON';
      }
    }
  }
  return null;
}

function keyText(key: YamlNode): string | null {
  return key.kind === 'scalar' && key.value !== null ? String(key.value) : null;
}

export interface Pair {
  key: YamlScalar;
  value: YamlNode;
  map: YamlMap;
  index: number;
}

/** The pair named `key` (the last one, as the readers take it). */
export function pairOf(map: YamlMap, key: string): Pair | undefined {
  for (let i = map.pairs.length - 1; i >= 0; i--) {
    const pair = map.pairs[i];
    if (keyText(pair.key) === key) return { key: pair.key as YamlScalar, value: pair.value, map, index: i };
  }
  return undefined;
}

/**
 * The node at a reader's logical path (`Resources.Fn.Properties.FunctionUrlConfig`, `functions[0].chat.url`),
 * with the pair that holds it. Keys may contain dots: the longest key that matches is taken.
 */
export function nodeAt(root: YamlNode | null, logicalPath: string): { node: YamlNode; pair?: Pair } | undefined {
  let node: YamlNode | null = root;
  let pair: Pair | undefined;
  let rest = logicalPath;
  while (rest !== '') {
    if (!node) return undefined;
    const item = /^\[(\d+)\]\.?/.exec(rest);
    if (item) {
      if (node.kind !== 'seq') return undefined;
      node = node.items[Number(item[1])] ?? null;
      pair = undefined;
      rest = rest.slice(item[0].length);
      continue;
    }
    if (node.kind !== 'map') return undefined;
    const map: YamlMap = node;
    let best: Pair | undefined;
    let bestLength = -1;
    for (let i = 0; i < map.pairs.length; i++) {
      const name = keyText(map.pairs[i].key);
      if (name === null || name.length <= bestLength || !rest.startsWith(name)) continue;
      const next = rest[name.length];
      if (next !== undefined && next !== '.' && next !== '[') continue;
      best = { key: map.pairs[i].key as YamlScalar, value: map.pairs[i].value, map, index: i };
      bestLength = name.length;
    }
    if (!best) return undefined;
    // the last pair with that name, as the readers read it
    best = pairOf(map, keyText(best.key)!) ?? best;
    pair = best;
    node = best.value;
    rest = rest.slice(bestLength);
    if (rest.startsWith('.')) rest = rest.slice(1);
  }
  return node ? { node, ...(pair ? { pair } : {}) } : undefined;
}

export function isFlow(file: YamlFile, node: YamlNode): boolean {
  const c = file.text[node.start];
  return c === '{' || c === '[';
}

/** A plain configuration map (not an intrinsic call, not tagged, not an alias target elsewhere). */
export function asMap(node: YamlNode | undefined): YamlMap | undefined {
  if (!node || node.kind !== 'map' || node.tag !== null) return undefined;
  if (node.pairs.length === 1) {
    const name = keyText(node.pairs[0].key);
    if (name === 'Ref' || name?.startsWith('Fn::')) return undefined;
  }
  return node;
}

/** An untagged scalar written in the file at its own place (not an alias of another node). */
export function asPlainScalar(file: YamlFile, node: YamlNode | undefined): YamlScalar | undefined {
  if (!node || node.kind !== 'scalar' || node.tag !== null || node.start === node.end) return undefined;
  const first = file.text[node.start];
  if (first === '*' || first === '|' || first === '>' || first === '&') return undefined;
  return node;
}

/** A scalar of the same quoting style as `like` (or plain / JSON string). */
function scalarText(file: YamlFile, value: string, like?: YamlScalar): string {
  const quote = like ? file.text[like.start] : file.json ? '"' : '';
  if (quote === '"' || file.json) return JSON.stringify(value);
  if (quote === "'") return `'${value.replace(/'/g, "''")}'`;
  return value;
}

/** Replace a scalar's value, keeping its quoting (booleans are written plain). */
export function replaceScalar(file: YamlFile, node: YamlNode, value: string | boolean): TextEdit {
  const scalar = asPlainScalar(file, node);
  if (!scalar) throw new Unsafe('the value is an expression, a tag or an alias');
  if (anchored(file, scalar)) throw new Unsafe('the value carries an anchor that other places may use');
  return { start: scalar.start, end: scalar.end, text: typeof value === 'boolean' ? String(value) : scalarText(file, value, scalar) };
}

/** `&name` in front of the node: other places may alias it, so it is not edited. */
export function anchored(file: YamlFile, node: YamlNode): boolean {
  return /&[^\s]+[ \t]*(?:![^\s]*[ \t]*)?$/.test(file.text.slice(lineStartOf(file.text, node.start), node.start));
}

/** The pair's value is written there (not an alias `*name` of a node elsewhere). */
export function ownValue(pair: Pair): boolean {
  return pair.value.start >= pair.key.end;
}

/** The indentation of a block map's keys (spaces, also for the first key of a `- ` item). */
function keyIndent(file: YamlFile, key: YamlNode): string {
  const indent = indentBefore(file.text, key.start);
  if (indent !== null) return indent;
  const before = file.text.slice(lineStartOf(file.text, key.start), key.start);
  if (/^[ \t-]*$/.test(before)) return ' '.repeat(before.length);
  throw new Unsafe('the key shares its line with other content');
}

/** The file's indentation step, from the first nested block map found (two spaces when unknown). */
export function indentStep(file: YamlFile): string {
  let step: string | undefined;
  const visit = (node: YamlNode | null, parentIndent: number | null, depth: number) => {
    if (!node || step !== undefined || depth > 64) return;
    if (node.kind === 'map' && !isFlow(file, node)) {
      for (const pair of node.pairs) {
        const col = pair.key.start - lineStartOf(file.text, pair.key.start);
        if (parentIndent !== null && col > parentIndent && step === undefined) step = ' '.repeat(col - parentIndent);
        if (pair.value.kind === 'map') visit(pair.value, col, depth + 1);
      }
    }
  };
  visit(file.root, null, 0);
  return step ?? '  ';
}

/** Where a new line goes after `node` (the end of the line it ends on; before a CR). */
function afterLineOf(file: YamlFile, offset: number): number {
  const text = file.text;
  if (offset > 0 && text[offset - 1] === '\n') return offset - 1 - (text[offset - 2] === '\r' ? 1 : 0);
  return contentEndOf(text, offset);
}

/** A value to write: a scalar already written as text, or a mapping of such values (nested as needed). */
export type YamlValue = string | Array<[string, YamlValue]>;

/**
 * Adds `key: value` to a map. Block maps get a new line after the last entry at its indentation (a mapping
 * value as nested lines, one step deeper); flow maps and JSON a `, key: value` after the last pair (on its own
 * line when the pairs are one per line).
 */
export function addPair(file: YamlFile, map: YamlMap, key: string, value: YamlValue): TextEdit {
  const nl = newlineOf(file.text);
  const keyOut = file.json ? JSON.stringify(key) : key;
  if (isFlow(file, map)) {
    const written = typeof value === 'string' ? value : flowMapping(file, value);
    if (map.pairs.length === 0) {
      const open = map.start;
      const close = file.text.lastIndexOf('}', map.end - 1);
      if (close <= open || file.text.slice(open + 1, close).trim() !== '') throw new Unsafe('unexpected flow mapping');
      return { start: open + 1, end: close, text: file.json ? `${keyOut}: ${written}` : ` ${keyOut}: ${written} ` };
    }
    const last = map.pairs[map.pairs.length - 1];
    const first = map.pairs[0];
    const ownLines = lineStartOf(file.text, last.key.start) !== lineStartOf(file.text, map.start) && lineStartOf(file.text, first.key.start) !== lineStartOf(file.text, map.start);
    if (ownLines) {
      const indent = keyIndent(file, last.key);
      if (typeof value !== 'string' && file.json) return { start: last.value.end, end: last.value.end, text: `,${nl}${indent}${keyOut}: ${jsonBlock(file, value, indent)}` };
      return { start: last.value.end, end: last.value.end, text: `,${nl}${indent}${keyOut}: ${written}` };
    }
    return { start: last.value.end, end: last.value.end, text: `, ${keyOut}: ${written}` };
  }
  if (map.pairs.length === 0) throw new Unsafe('the mapping is empty');
  // a `|+` / `>+` block scalar keeps its trailing newlines: a line added after it would take them away
  if (/^[|>][0-9-]*\+/.test(file.text.slice(map.pairs[map.pairs.length - 1].value.start))) throw new Unsafe('the last value is a block scalar that keeps its trailing newlines');
  const indent = keyIndent(file, map.pairs[0].key);
  for (const pair of map.pairs) if (keyIndent(file, pair.key) !== indent) throw new Unsafe('the mapping is not indented uniformly');
  const at = afterLineOf(file, map.end);
  if (typeof value === 'string') return { start: at, end: at, text: `${nl}${indent}${keyOut}: ${value}` };
  return { start: at, end: at, text: `${nl}${indent}${keyOut}:${blockMapping(file, value, indent + indentStep(file))}` };
}

/** Nested block lines `\n<indent>k: v` for a new mapping value. */
export function blockMapping(file: YamlFile, entries: Array<[string, YamlValue]>, indent: string): string {
  const nl = newlineOf(file.text);
  const step = indentStep(file);
  return entries.map(([k, v]) => (typeof v === 'string' ? `${nl}${indent}${k}: ${v}` : `${nl}${indent}${k}:${blockMapping(file, v, indent + step)}`)).join('');
}

function flowMapping(file: YamlFile, entries: Array<[string, YamlValue]>): string {
  const body = entries.map(([k, v]) => `${file.json ? JSON.stringify(k) : k}: ${typeof v === 'string' ? v : flowMapping(file, v)}`).join(', ');
  return file.json ? `{${body}}` : `{ ${body} }`;
}

/** A JSON object over several lines, as the file's one-pair-per-line style writes them. */
function jsonBlock(file: YamlFile, entries: Array<[string, YamlValue]>, indent: string): string {
  const nl = newlineOf(file.text);
  const inner = indent + jsonStep(file);
  const lines = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${typeof v === 'string' ? v : jsonBlock(file, v, inner)}`);
  return `{${nl}${lines.join(`,${nl}`)}${nl}${indent}}`;
}

/** The indentation step of a JSON file (from its first indented line). */
function jsonStep(file: YamlFile): string {
  const m = /\n([ \t]+)\S/.exec(file.text);
  return m ? m[1] : '  ';
}

/**
 * Replaces a scalar value (`url: true`) by a block mapping under its key:
 * `url:\n    invokeMode: RESPONSE_STREAM`. The key must start its line.
 */
export function scalarToMapping(file: YamlFile, pair: Pair, entries: Array<[string, YamlValue]>): TextEdit {
  if (isFlow(file, pair.map)) {
    return { start: pair.value.start, end: pair.value.end, text: flowMapping(file, entries) };
  }
  const scalar = asPlainScalar(file, pair.value);
  if (!scalar) throw new Unsafe('the value is an expression, a tag or an alias');
  const indent = keyIndent(file, pair.key);
  const colon = file.text.lastIndexOf(':', scalar.start);
  if (colon < pair.key.end) throw new Unsafe('unexpected key');
  return { start: colon + 1, end: scalar.end, text: blockMapping(file, entries, indent + indentStep(file)) };
}

/**
 * Removes a pair from its map: its lines in block style (the key must start its line and the value end on a
 * line of its own), with the comma in flow style. The map must keep at least one pair.
 */
export function removePair(file: YamlFile, pair: Pair): TextEdit {
  const { map, index } = pair;
  if (map.pairs.length < 2) throw new Unsafe('the mapping would be left empty');
  if (!ownValue(pair) || anchored(file, pair.value) || file.text.slice(pair.key.end, pair.value.start).includes('&')) throw new Unsafe('the value is an alias or carries an anchor');
  const text = file.text;
  if (isFlow(file, map)) {
    if (index === map.pairs.length - 1) {
      const previous = map.pairs[index - 1];
      return { start: previous.value.end, end: pair.value.end, text: '' };
    }
    const next = map.pairs[index + 1];
    const sameLine = lineStartOf(text, next.key.start) === lineStartOf(text, pair.key.start);
    // one pair per line: remove the whole line; otherwise up to the next key
    if (!sameLine && /^[ \t]*$/.test(text.slice(lineStartOf(text, pair.key.start), pair.key.start))) {
      return { start: lineStartOf(text, pair.key.start), end: lineStartOf(text, next.key.start), text: '' };
    }
    return { start: pair.key.start, end: next.key.start, text: '' };
  }
  keyIndent(file, pair.key);
  const start = lineStartOf(text, pair.key.start);
  if (!/^[ \t]*$/.test(text.slice(start, pair.key.start))) throw new Unsafe('the key shares its line with a sequence dash');
  // the value ends at its last character (and the comment on that line): remove through the line break
  let end = pair.value.end;
  if (text[end - 1] !== '\n') {
    end = lineEndOf(text, end);
    if (end < text.length) end++;
  }
  const next = map.pairs[index + 1];
  if (next && next.key.start < end) throw new Unsafe('the next key is on the same line');
  return { start, end, text: '' };
}

/** Replaces a pair's whole value (a scalar or a mapping) by a scalar written as `text`: `cors: false`. */
export function replaceValue(file: YamlFile, pair: Pair, text: string): TextEdit {
  if (!ownValue(pair) || anchored(file, pair.value) || file.text.slice(pair.key.end, pair.value.start).includes('&')) throw new Unsafe('the value is an alias or carries an anchor');
  if (pair.value.kind === 'scalar' || isFlow(file, pair.value)) return { start: pair.value.start, end: pair.value.end, text };
  const colon = file.text.indexOf(':', pair.key.end);
  if (colon < 0 || colon > pair.value.start) throw new Unsafe('unexpected key');
  let end = pair.value.end;
  // a block mapping ends with its last line (and a comment there): keep the line break
  if (file.text[end - 1] === '\n') end -= file.text[end - 2] === '\r' ? 2 : 1;
  return { start: colon + 1, end, text: ` ${text}` };
}
