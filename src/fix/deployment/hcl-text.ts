/**
 * Minimal edits in Terraform files, on the tree of the shared HCL scanner (src/iac/hcl-scan.ts): edits that
 * touch only the lines involved, in `terraform fmt` style: two-space indentation and `=` aligned with the
 * neighbouring attributes when they are aligned.
 */
import type { TextEdit } from '../../model/fix.js';
import { type HclAttribute, type HclBlock, type HclEntry, type HclExpr, type HclObject, allBlocks, attributeOf, scanHcl } from '../../iac/hcl-scan.js';
import { contentEndOf, indentBefore, lineEndOf, lineOf, lineStartOf, newlineOf } from '../text.js';
import { Unsafe } from './yaml-text.js';

/**
 * The file's top-level entries, for editing: Unsafe when the scanner had to skip text, or when a block's
 * `}` stands on the line of its last attribute (`lifecycle { ignore_changes = all }`; the edits below work
 * on whole lines, and files with such blocks have always been left alone).
 */
export function readHcl(text: string): HclEntry[] {
  const { body, problem } = scanHcl(text);
  if (problem) throw new Unsafe(problem);
  for (const block of allBlocks(body)) {
    const last = block.body[block.body.length - 1];
    if (last?.kind === 'attr' && !text.slice(last.expr.end, block.close).includes('\n')) throw new Unsafe('a block is written on one line');
  }
  return body;
}

/** The object constructor an attribute or entry holds (`{ K = v }`), or Unsafe naming what it is instead. */
export function objectOf(text: string, expr: HclExpr, name: string): HclObject {
  if (expr.kind !== 'object') throw new Unsafe(`${name} is an expression`);
  if (expr.entries.some((e) => text[e.start] === '(')) throw new Unsafe('an object key is an expression');
  return expr;
}

/** The block that starts on `line` (1-based), at any depth. */
export function blockAtLine(text: string, entries: HclEntry[], line: number): HclBlock | undefined {
  return allBlocks(entries).find((b) => lineOf(text, b.start) === line);
}

/** A string literal without templates: its value; null for anything else. */
export function literalString(text: string, expr: HclExpr): string | null {
  const src = text.slice(expr.start, expr.end);
  if (!/^"(?:[^"\\$%]|\\.|\$(?!\{)|%(?!\{)|\$\$\{|%%\{)*"$/.test(src)) return null;
  try {
    return JSON.parse(src.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')) as string;
  } catch {
    return null;
  }
}

function indentOf(text: string, offset: number): string {
  const indent = indentBefore(text, offset);
  if (indent === null) throw new Unsafe('an entry shares its line with other content');
  return indent;
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
  const existing = attributeOf(block.body, name);
  if (existing) return { start: existing.expr.start, end: existing.expr.end, text: value };
  const nl = newlineOf(text);
  const attrs = block.body.filter((e): e is HclAttribute => e.kind === 'attr');
  const anchor = (after ? attributeOf(block.body, after) : undefined) ?? attrs[attrs.length - 1];
  if (!anchor) {
    const indent = bodyIndent(text, block);
    const at = lineEndOf(text, block.open);
    if (text.slice(block.open + 1, at).trim() !== '') throw new Unsafe('the block is written on one line');
    return { start: at, end: at, text: `${nl}${indent}${name} = ${value}` };
  }
  const indent = indentOf(text, anchor.start);
  const lines = attrs.map((a) => ({ start: a.start, eq: eqAfter(text, a.start + a.name.length), single: lineOf(text, a.expr.end) === lineOf(text, a.start) }));
  const column = lines[attrs.indexOf(anchor)].single ? alignedColumn(text, lines, attrs.indexOf(anchor)) : null;
  const at = contentEndOf(text, anchor.expr.end);
  if (at > block.close) throw new Unsafe('the block is written on one line');
  return { start: at, end: at, text: `${nl}${assignment(name, value, indent, column)}` };
}

/** Adds `key = value` to an object constructor (one entry per line, or inline when it is written on one line). */
export function addObjectEntry(text: string, object: HclObject, key: string, value: string): TextEdit {
  const nl = newlineOf(text);
  const keyText = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
  const close = object.end - 1;
  if (object.entries.length === 0) {
    if (text.slice(object.start + 1, close).trim() !== '') throw new Unsafe('unexpected object content');
    return { start: object.start + 1, end: close, text: ` ${keyText} = ${value} ` };
  }
  const last = object.entries[object.entries.length - 1];
  const multiline = object.entries.every((e, k) => k === 0 || lineOf(text, e.start) > lineOf(text, object.entries[k - 1].value.end)) && lineOf(text, object.entries[0].start) > lineOf(text, object.start);
  if (!multiline) return { start: last.value.end, end: last.value.end, text: `, ${keyText} = ${value}` };
  const indent = indentOf(text, last.start);
  const lines = object.entries.map((e) => ({ start: e.start, eq: eqAfter(text, e.keyEnd), single: lineOf(text, e.value.end) === lineOf(text, e.start) }));
  const column = lines[lines.length - 1].single ? alignedColumn(text, lines, lines.length - 1) : null;
  // a trailing comma after the last entry: keep the style
  const after = text.slice(last.value.end, lineEndOf(text, last.value.end));
  const comma = /^[ \t]*,/.test(after);
  const at = contentEndOf(text, last.value.end);
  if (at > close) throw new Unsafe('the object is written on one line');
  return { start: at, end: at, text: `${nl}${assignment(keyText, value, indent, column)}${comma ? ',' : ''}` };
}

/**
 * Removes an entry's lines (an attribute, or a block through its `}`), and one blank line before it when it
 * would otherwise leave a blank line before the parent's `}` or a double blank line.
 */
export function removeEntry(text: string, entry: HclEntry): TextEdit {
  indentOf(text, entry.start);
  const start = lineStartOf(text, entry.start);
  const last = entry.kind === 'block' ? entry.close : entry.expr.end;
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
