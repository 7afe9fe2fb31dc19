/**
 * Minimal edits in Terraform files: a structural scan of HCL (blocks, attributes, object constructors, with
 * strings, `${...}` templates, heredocs and the three comment forms skipped) that gives the offsets of each
 * entry, and edits that touch only the lines involved, in `terraform fmt` style: two-space indentation and
 * `=` aligned with the neighbouring attributes when they are aligned.
 */
import type { TextEdit } from '../../model/fix.js';
import { lineEndOf, lineStartOf, newlineOf } from '../text.js';
import { Unsafe } from './yaml-text.js';

export interface HclAttr {
  kind: 'attr';
  name: string;
  /** Offset of the name. */
  start: number;
  exprStart: number;
  /** End of the expression (before a trailing comment). */
  exprEnd: number;
}

export interface HclBlock {
  kind: 'block';
  type: string;
  labels: string[];
  start: number;
  /** Offsets of the `{` and the matching `}`. */
  open: number;
  close: number;
  body: HclEntry[];
}

export type HclEntry = HclAttr | HclBlock;

export interface HclObjectEntry {
  key: string;
  start: number;
  valueStart: number;
  valueEnd: number;
}

export interface HclObject {
  open: number;
  close: number;
  entries: HclObjectEntry[];
}

const IDENT = /[A-Za-z_][\w-]*/y;

/** Index just past the string that starts at `i` (a `"`), templates and escapes included. */
function skipString(text: string, i: number): number {
  i++;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else if (c === '\n') return i;
    else if ((c === '$' || c === '%') && text[i + 1] === c && text[i + 2] === '{') i += 3;
    else if ((c === '$' || c === '%') && text[i + 1] === '{') i = matchClose(text, i + 1) + 1;
    else i++;
  }
  return i;
}

function skipHeredoc(text: string, i: number): number {
  const m = /<<-?([A-Za-z_][\w-]*)/y;
  m.lastIndex = i;
  const found = m.exec(text);
  if (!found) return i + 2;
  let lineEnd = text.indexOf('\n', i);
  while (lineEnd >= 0) {
    const next = text.indexOf('\n', lineEnd + 1);
    const line = text.slice(lineEnd + 1, next < 0 ? text.length : next);
    if (line.trim() === found[1]) return next < 0 ? text.length : next;
    lineEnd = next;
  }
  return text.length;
}

/** At a comment start: the index after it (a line comment stops before its newline). */
function skipComment(text: string, i: number): number {
  if (text[i] === '/' && text[i + 1] === '*') {
    const end = text.indexOf('*/', i + 2);
    return end < 0 ? text.length : end + 2;
  }
  const end = text.indexOf('\n', i);
  return end < 0 ? text.length : end;
}

function isCommentStart(text: string, i: number): boolean {
  return text[i] === '#' || (text[i] === '/' && (text[i + 1] === '/' || text[i + 1] === '*'));
}

/** The index of the bracket closing the one at `open`. */
export function matchClose(text: string, open: number): number {
  const stack: string[] = [];
  let i = open;
  while (i < text.length) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') {
      stack.push(c === '(' ? ')' : c === '[' ? ']' : '}');
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      if (c !== stack.pop()) throw new Unsafe('unbalanced brackets');
      if (stack.length === 0) return i;
      i++;
    } else if (c === '"') i = skipString(text, i);
    else if (c === '<' && text[i + 1] === '<' && /[-A-Za-z_]/.test(text[i + 2] ?? '')) i = skipHeredoc(text, i);
    else if (isCommentStart(text, i)) i = skipComment(text, i);
    else i++;
  }
  throw new Unsafe('unbalanced brackets');
}

/** The end of an expression starting at `i`: a newline (or one of `stops`) outside brackets; trailing blanks excluded. */
function expressionEnd(text: string, i: number, stops: string): number {
  let end = i;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n' || stops.includes(c)) break;
    if (isCommentStart(text, i)) {
      if (text[i] === '/' && text[i + 1] === '*') {
        i = skipComment(text, i);
        continue;
      }
      break;
    }
    if (c === '"') i = skipString(text, i);
    else if (c === '<' && text[i + 1] === '<' && /[-A-Za-z_]/.test(text[i + 2] ?? '')) i = skipHeredoc(text, i);
    else if (c === '(' || c === '[' || c === '{') i = matchClose(text, i) + 1;
    else i++;
    if (!/\s/.test(c)) end = i;
  }
  return end;
}

function skipBlank(text: string, i: number, extra = ''): number {
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\uFEFF' || extra.includes(c)) i++;
    else if (isCommentStart(text, i)) i = skipComment(text, i);
    else break;
  }
  return i;
}

function skipInline(text: string, i: number): number {
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** The entries of a body from `from` up to its closing `}` (or the end of the file at the top level). */
export function parseBody(text: string, from: number): { entries: HclEntry[]; close: number } {
  const entries: HclEntry[] = [];
  let i = from;
  for (;;) {
    i = skipBlank(text, i);
    if (i >= text.length) return { entries, close: text.length };
    if (text[i] === '}') return { entries, close: i };
    const start = i;
    IDENT.lastIndex = i;
    const name = IDENT.exec(text)?.[0];
    if (!name) throw new Unsafe(`unexpected text at offset ${i}`);
    i = skipInline(text, i + name.length);
    if (text[i] === '=' && text[i + 1] !== '=') {
      const exprStart = skipInline(text, i + 1);
      const exprEnd = expressionEnd(text, exprStart, '');
      entries.push({ kind: 'attr', name, start, exprStart, exprEnd });
      i = Math.max(exprEnd, exprStart);
      continue;
    }
    const labels: string[] = [];
    while (text[i] !== '{') {
      if (text[i] === '"') {
        const end = skipString(text, i);
        labels.push(text.slice(i + 1, end - 1));
        i = skipInline(text, end);
        continue;
      }
      IDENT.lastIndex = i;
      const label = IDENT.exec(text)?.[0];
      if (!label) throw new Unsafe(`unexpected text at offset ${i}`);
      labels.push(label);
      i = skipInline(text, i + label.length);
    }
    const open = i;
    const body = parseBody(text, open + 1);
    if (text[body.close] !== '}') throw new Unsafe('a block is not closed');
    entries.push({ kind: 'block', type: name, labels, start, open, close: body.close, body: body.entries });
    i = body.close + 1;
  }
}

/** The object constructor `{ K = v, ... }` whose `{` is at `open`. */
export function parseObject(text: string, open: number): HclObject {
  if (text[open] !== '{') throw new Unsafe('not an object');
  const entries: HclObjectEntry[] = [];
  let i = open + 1;
  for (;;) {
    i = skipBlank(text, i, ',');
    if (i >= text.length) throw new Unsafe('an object is not closed');
    if (text[i] === '}') return { open, close: i, entries };
    const start = i;
    let key: string;
    if (text[i] === '"') {
      const end = skipString(text, i);
      key = text.slice(i + 1, end - 1);
      i = end;
    } else {
      const m = /[A-Za-z0-9_][\w.-]*/y;
      m.lastIndex = i;
      const found = m.exec(text)?.[0];
      if (!found || found === 'for') throw new Unsafe('an object key is an expression');
      key = found;
      i += found.length;
    }
    i = skipInline(text, i);
    if (!(text[i] === '=' && text[i + 1] !== '=' && text[i + 1] !== '>') && text[i] !== ':') throw new Unsafe('an object entry without `=`');
    const valueStart = skipInline(text, i + 1);
    const valueEnd = expressionEnd(text, valueStart, ',}');
    entries.push({ key, start, valueStart, valueEnd });
    i = Math.max(valueEnd, valueStart);
  }
}

/** Every block of the file, nested ones included. */
export function allBlocks(entries: HclEntry[], out: HclBlock[] = []): HclBlock[] {
  for (const entry of entries) {
    if (entry.kind !== 'block') continue;
    out.push(entry);
    allBlocks(entry.body, out);
  }
  return out;
}

/** The block that starts on `line` (1-based), at any depth. */
export function blockAtLine(text: string, entries: HclEntry[], line: number): HclBlock | undefined {
  return allBlocks(entries).find((b) => lineOf(text, b.start) === line);
}

export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

export function attrOf(block: HclBlock, name: string): HclAttr | undefined {
  return block.body.find((e): e is HclAttr => e.kind === 'attr' && e.name === name);
}

export function blocksOf(block: HclBlock, type: string): HclBlock[] {
  return block.body.filter((e): e is HclBlock => e.kind === 'block' && e.type === type && e.labels.length === 0);
}

/** A string literal without templates: its value; null for anything else. */
export function literalString(text: string, start: number, end: number): string | null {
  const src = text.slice(start, end);
  if (!/^"(?:[^"\\$%]|\\.|\$(?!\{)|%(?!\{)|\$\$\{|%%\{)*"$/.test(src)) return null;
  try {
    return JSON.parse(src.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')) as string;
  } catch {
    return null;
  }
}

function indentOf(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  const before = text.slice(start, offset);
  if (!/^[ \t]*$/.test(before)) throw new Unsafe('an entry shares its line with other content');
  return before;
}

const STEP = '  ';

/** The indentation of a block's entries (its own plus one step when it has none). */
function bodyIndent(text: string, block: HclBlock): string {
  const first = block.body[0];
  return first ? indentOf(text, first.start) : indentOf(text, block.start) + STEP;
}

/** Where the `=` of the aligned attribute group around `at` sits (the column), or null when not aligned. */
function alignedColumn(text: string, lines: Array<{ start: number; eq: number; single: boolean }>, index: number): number | null {
  const isAdjacent = (a: number, b: number) => lineOf(text, lines[b].start) === lineOf(text, lines[a].start) + 1;
  let from = index;
  while (from > 0 && lines[from - 1].single && isAdjacent(from - 1, from)) from--;
  let to = index;
  while (to < lines.length - 1 && lines[to].single && isAdjacent(to, to + 1)) to++;
  const group = lines.slice(from, to + 1);
  if (group.length < 2) return null;
  const cols = new Set(group.map((l) => l.eq - lineStartOf(text, l.eq)));
  return cols.size === 1 ? [...cols][0] : null;
}

/** `name = value` padded so that `=` lines up with `column` (when it fits). */
function assignment(name: string, value: string, indent: string, column: number | null): string {
  const pad = column !== null && column > indent.length + name.length ? ' '.repeat(column - indent.length - name.length) : ' ';
  return `${indent}${name}${pad}= ${value}`;
}

function eqAfter(text: string, from: number): number {
  const i = text.indexOf('=', from);
  if (i < 0) throw new Unsafe('no `=`');
  return i;
}

/**
 * Sets an attribute of a block: replaces its expression, or inserts `name = value` after `after` (an
 * attribute name), else after the block's last attribute, else as the block's first line.
 */
export function setAttribute(text: string, block: HclBlock, name: string, value: string, after?: string): TextEdit {
  const existing = attrOf(block, name);
  if (existing) return { start: existing.exprStart, end: existing.exprEnd, text: value };
  const nl = newlineOf(text);
  const attrs = block.body.filter((e): e is HclAttr => e.kind === 'attr');
  const anchor = (after ? attrOf(block, after) : undefined) ?? attrs[attrs.length - 1];
  if (!anchor) {
    const indent = bodyIndent(text, block);
    const at = lineEndOf(text, block.open);
    if (text.slice(block.open + 1, at).trim() !== '') throw new Unsafe('the block is written on one line');
    return { start: at, end: at, text: `${nl}${indent}${name} = ${value}` };
  }
  const indent = indentOf(text, anchor.start);
  const lines = attrs.map((a) => ({ start: a.start, eq: eqAfter(text, a.start + a.name.length), single: lineOf(text, a.exprEnd) === lineOf(text, a.start) }));
  const column = lines[attrs.indexOf(anchor)].single ? alignedColumn(text, lines, attrs.indexOf(anchor)) : null;
  let at = lineEndOf(text, anchor.exprEnd);
  if (text[at - 1] === '\r') at--;
  if (at > block.close) throw new Unsafe('the block is written on one line');
  return { start: at, end: at, text: `${nl}${assignment(name, value, indent, column)}` };
}

/** Adds `key = value` to an object constructor (one entry per line, or inline when it is written on one line). */
export function addObjectEntry(text: string, object: HclObject, key: string, value: string): TextEdit {
  const nl = newlineOf(text);
  const keyText = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
  if (object.entries.length === 0) {
    if (text.slice(object.open + 1, object.close).trim() !== '') throw new Unsafe('unexpected object content');
    return { start: object.open + 1, end: object.close, text: ` ${keyText} = ${value} ` };
  }
  const last = object.entries[object.entries.length - 1];
  const multiline = object.entries.every((e, k) => k === 0 || lineOf(text, e.start) > lineOf(text, object.entries[k - 1].valueEnd)) && lineOf(text, object.entries[0].start) > lineOf(text, object.open);
  if (!multiline) return { start: last.valueEnd, end: last.valueEnd, text: `, ${keyText} = ${value}` };
  const indent = indentOf(text, last.start);
  const lines = object.entries.map((e) => ({ start: e.start, eq: eqAfter(text, e.start + (text[e.start] === '"' ? JSON.stringify(e.key).length : e.key.length)), single: lineOf(text, e.valueEnd) === lineOf(text, e.start) }));
  const column = lines[lines.length - 1].single ? alignedColumn(text, lines, lines.length - 1) : null;
  // a trailing comma after the last entry: keep the style
  const after = text.slice(last.valueEnd, lineEndOf(text, last.valueEnd));
  const comma = /^[ \t]*,/.test(after);
  let at = lineEndOf(text, last.valueEnd);
  if (text[at - 1] === '\r') at--;
  if (at > object.close) throw new Unsafe('the object is written on one line');
  return { start: at, end: at, text: `${nl}${assignment(keyText, value, indent, column)}${comma ? ',' : ''}` };
}

/**
 * Removes an entry's lines (an attribute, or a block through its `}`), and one blank line before it when it
 * would otherwise leave a blank line before the parent's `}` or a double blank line.
 */
export function removeEntry(text: string, entry: HclEntry): TextEdit {
  indentOf(text, entry.start);
  const start = lineStartOf(text, entry.start);
  const last = entry.kind === 'block' ? entry.close : entry.exprEnd;
  const lineEnd = lineEndOf(text, last);
  if (text.slice(last + (entry.kind === 'block' ? 1 : 0), lineEnd).replace(/(#|\/\/).*$/, '').trim() !== '') throw new Unsafe('the entry shares its last line');
  const end = lineEnd < text.length ? lineEnd + 1 : lineEnd;
  let from = start;
  const previousLineStart = start > 0 ? lineStartOf(text, start - 1) : start;
  const previousBlank = start > 0 && text.slice(previousLineStart, start).trim() === '';
  const nextLine = text.slice(end, lineEndOf(text, end));
  const nextBlankOrClose = nextLine.trim() === '' || nextLine.trim().startsWith('}');
  if (previousBlank && nextBlankOrClose) from = previousLineStart;
  return { start: from, end, text: '' };
}

/** Inserts a nested block (given as lines without indentation, one step per level) before a block's `}`. */
export function insertBlock(text: string, parent: HclBlock, lines: string[]): TextEdit {
  const nl = newlineOf(text);
  const closeLine = lineStartOf(text, parent.close);
  if (text.slice(closeLine, parent.close).trim() !== '') throw new Unsafe('the block is written on one line');
  const indent = bodyIndent(text, parent);
  const previousBlank = closeLine > 0 && text.slice(lineStartOf(text, closeLine - 1), closeLine).trim() === '';
  const prefix = previousBlank || parent.body.length === 0 ? '' : nl;
  return { start: closeLine, end: closeLine, text: `${prefix}${lines.map((l) => `${indent}${l}`).join(nl)}${nl}` };
}

export { STEP as HCL_STEP };
