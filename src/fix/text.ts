/** Text helpers for fixers: where lines start, their indentation, and insertions that keep the style. */
import type { Node } from '../code/ast.js';
import type { TextEdit } from '../model/fix.js';

export function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

export function lineEndOf(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end;
}

/** The whitespace that starts the line holding `offset`. */
export function indentationAt(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  return /^[ \t]*/.exec(text.slice(start))![0];
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

/** Inserts `statement` on a new line after the statement node, at the same indentation. */
export function insertStatementAfter(text: string, statement: Node, code: string): TextEdit {
  const indent = indentationAt(text, statement.start);
  const nl = newlineOf(text);
  const semi = usesSemicolons(text) ? ';' : '';
  return { start: statement.end, end: statement.end, text: `${nl}${indent}${code}${semi}` };
}

/** Inserts `statement` on a new line before the statement node, at the same indentation. */
export function insertStatementBefore(text: string, statement: Node, code: string): TextEdit {
  const indent = indentationAt(text, statement.start);
  const nl = newlineOf(text);
  const semi = usesSemicolons(text) ? ';' : '';
  return { start: statement.start, end: statement.start, text: `${code}${semi}${nl}${indent}` };
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
