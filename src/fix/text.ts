/**
 * Pure text helpers for every fixer (code, CDK/SST, Terraform, YAML): lines and their indentation, the
 * file's newline, indentation unit, semicolon and quote style, and applying edits. Edits that need the AST
 * are in ast-support.ts.
 */
import type { TextEdit } from '../model/fix.js';

export function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export function lineEndOf(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end;
}

/** The end of the line holding `offset` before its line break (`\n` or `\r\n`): where text is added to the line. */
export function contentEndOf(text: string, offset: number): number {
  const end = lineEndOf(text, offset);
  return text[end - 1] === '\r' ? end - 1 : end;
}

/** The 1-based line that holds `offset`. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The whitespace that starts the line holding `offset`. */
export function indentationAt(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** The blanks between the start of the line and `offset`; null when anything else stands there before it. */
export function indentBefore(text: string, offset: number): string | null {
  const before = text.slice(lineStartOf(text, offset), offset);
  return /^[ \t]*$/.test(before) ? before : null;
}

/** The line break the file uses. */
export function newlineOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** The file's indentation unit, guessed from its first indented line (two spaces when unknown). */
export function indentUnitOf(text: string): string {
  const m = /\n(\t+|[ ]{2,8})\S/.exec(text);
  if (!m) return '  ';
  return m[1].startsWith('\t') ? '\t' : m[1].length % 4 === 0 && m[1].length > 2 ? '    ' : '  ';
}

/** Does the file end statements with semicolons? (Most of its expression statements decide.) */
export function usesSemicolons(text: string): boolean {
  const withSemi = (text.match(/[)\]'"`\w]\s*;\s*\n/g) ?? []).length;
  const without = (text.match(/[)\]'"`\w]\s*\n/g) ?? []).length;
  return withSemi >= without / 3;
}

/**
 * Re-indents a multi-line snippet taken from `fromIndent` to `toIndent` (continuation lines only; the first
 * line goes where the caller puts it). Unchanged unless every non-blank continuation line starts with
 * `fromIndent`: a line indented less (a template literal's content) would otherwise be cut.
 */
export function reindent(snippet: string, fromIndent: string, toIndent: string): string {
  if (fromIndent === toIndent) return snippet;
  const lines = snippet.split('\n');
  if (!lines.slice(1).every((l) => l.trim() === '' || l.startsWith(fromIndent))) return snippet;
  return [lines[0], ...lines.slice(1).map((l) => (l.trim() === '' ? l : toIndent + l.slice(fromIndent.length)))].join('\n');
}

/** A JavaScript string literal of `value` in the given quote. */
export function stringLiteral(value: string, quote: string): string {
  if (quote === "'") return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return JSON.stringify(value);
}

/** Applies non-overlapping edits (any order) to the text. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const edit of sorted) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

/** Two edits touch the same text (insertions at the same point count as overlapping: order would matter). */
export function overlaps(a: TextEdit, b: TextEdit): boolean {
  if (a.start === a.end && b.start === b.end) return a.start === b.start;
  return a.start < b.end && b.start < a.end || (a.start === a.end && a.start > b.start && a.start < b.end) || (b.start === b.end && b.start > a.start && b.start < a.end);
}
