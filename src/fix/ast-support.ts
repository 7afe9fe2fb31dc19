/**
 * AST lookups and AST-level edits every JavaScript/TypeScript fixer shares (handler code, CDK and SST apps):
 * the ancestors of a node, the statement and statement list that hold it, the nodes at an offset, the
 * file's quote, names in use; edits that keep the file's layout: an object property removed or added (one
 * per line or inline, trailing-comma style kept), a statement removed (its lines when it stands alone, with
 * the comment on its line; comments on lines of their own stay), statements inserted before or after one
 * (around the comments that belong to it). An edit that cannot be made safely throws Declined.
 */
import type { Node } from '../code/ast.js';
import { children, walk } from '../code/ast.js';
import { commentFreeText, parseModule } from '../code/facts.js';
import type { TextEdit } from '../model/fix.js';
import { contentEndOf, indentBefore, indentUnitOf, indentationAt, lineEndOf, lineStartOf, newlineOf, stringLiteral, usesSemicolons } from './text.js';

/** Why an edit cannot be made; fixers turn it into a suggestion. */
export class Declined extends Error {}

/**
 * A parsed file: its text, the same text with every comment blanked out (same offsets, newlines kept) and
 * its program. ModuleFacts is one.
 */
export interface ParsedSource {
  text: string;
  code: string;
  program: Node;
}

/** Parses a file to edit it; one that does not parse is Declined. */
export function parseSource(file: string, text: string): ParsedSource {
  let program: Node;
  try {
    program = parseModule(file, text);
  } catch (error) {
    throw new Declined(`the file does not parse (${(error as Error).message.split('\n')[0]})`);
  }
  return { text, code: commentFreeText(program, text), program };
}

// ---- lookups ------------------------------------------------------------------------------------

/** The chain from the program down to `target` (inclusive), or [] when the node is not in the program. */
export function ancestorsOf(program: Node, target: Node): Node[] {
  const path: Node[] = [];
  let current: Node | undefined = program;
  while (current) {
    path.push(current);
    if (current === target) return path;
    // Descend into the child whose range holds the target (ranges nest in an ESTree AST).
    current = children(current).find((child) => child === target || (child.start <= target.start && target.end <= child.end && child.end - child.start >= target.end - target.start));
  }
  return [];
}

/** The parent of a node (null for the program or a node outside it). */
export function parentOf(source: Pick<ParsedSource, 'program'>, node: Node): Node | null {
  const chain = ancestorsOf(source.program, node);
  return chain.length >= 2 ? chain[chain.length - 2] : null;
}

const STATEMENT_LISTS = new Set(['Program', 'BlockStatement', 'StaticBlock']);

/** The statement list holding `statement` directly, or null. */
export function statementListOf(source: Pick<ParsedSource, 'program'>, statement: Node): Node[] | null {
  const parent = parentOf(source, statement);
  if (!parent) return null;
  if (STATEMENT_LISTS.has(parent.type)) return parent.body;
  if (parent.type === 'SwitchCase' && parent.consequent.includes(statement)) return parent.consequent;
  return null;
}

/**
 * The statement in a statement list (a block, the program, a switch case) that holds `node`, with its list
 * parent; null when the node lives where no statement can be inserted (an arrow's expression body).
 */
export function enclosingStatement(source: Pick<ParsedSource, 'program'>, node: Node): { statement: Node; parent: Node } | null {
  const chain = ancestorsOf(source.program, node);
  for (let i = chain.length - 1; i > 0; i--) {
    const parent = chain[i - 1];
    if (STATEMENT_LISTS.has(parent.type) || parent.type === 'SwitchCase') {
      const statement = chain[i];
      if (parent.type === 'SwitchCase' && parent.test === statement) continue;
      return { statement, parent };
    }
    if (parent.type === 'ArrowFunctionExpression' && parent.body === chain[i] && parent.expression) return null;
  }
  return null;
}

/** The nodes that start at `offset`, outermost first. */
export function nodesAt(program: Node, offset: number): Node[] {
  const out: Node[] = [];
  walk(program, (node) => {
    if (node.end < offset || node.start > offset) return false;
    if (node.start === offset) out.push(node);
    return true;
  });
  return out;
}

export function sourceOf(source: Pick<ParsedSource, 'text'>, node: Node): string {
  return source.text.slice(node.start, node.end);
}

/** An identifier that names a property or a class member (`a.name`, `{ name: v }`, `name() {}`), not a variable. */
export function isPropertyName(node: Node, parent: Node | null): boolean {
  return (
    !!parent &&
    ((parent.type === 'MemberExpression' && parent.property === node && !parent.computed) ||
      (parent.type === 'Property' && parent.key === node && !parent.computed && !parent.shorthand) ||
      ((parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') && parent.key === node && !parent.computed))
  );
}

/** Whether `name` is declared anywhere in the module or read as a global (property names aside): a new binding would clash. */
export function nameIsTaken(source: Pick<ParsedSource, 'program'>, name: string): boolean {
  let taken = false;
  walk(source.program, (node, parent) => {
    if (taken) return false;
    if (node.type === 'Identifier' && node.name === name && !isPropertyName(node, parent)) taken = true;
    return true;
  });
  return taken;
}

/** The first candidate not in use, else the first one numbered (`body2`, `body3`, ...). */
export function freshName(source: Pick<ParsedSource, 'program'>, candidates: string[]): string {
  for (const name of candidates) if (!nameIsTaken(source, name)) return name;
  for (let i = 2; ; i++) if (!nameIsTaken(source, `${candidates[0]}${i}`)) return `${candidates[0]}${i}`;
}

const quotes = new WeakMap<Node, '"' | "'">();

/** The quote the file's string literals use most (double on a tie). */
export function quoteOf(source: Pick<ParsedSource, 'text' | 'program'>): '"' | "'" {
  let quote = quotes.get(source.program);
  if (quote) return quote;
  let single = 0;
  let double = 0;
  walk(source.program, (node) => {
    if (node.type === 'Literal' && typeof node.value === 'string') {
      if (source.text[node.start] === "'") single++;
      else if (source.text[node.start] === '"') double++;
    }
  });
  quote = single > double ? "'" : '"';
  quotes.set(source.program, quote);
  return quote;
}

/** A string literal in the file's quote style. */
export function quoted(source: Pick<ParsedSource, 'text' | 'program'>, value: string): string {
  return stringLiteral(value, quoteOf(source));
}

// ---- comments -----------------------------------------------------------------------------------

/** Comments (ranges in the text) that start inside [start, end). */
export function commentsIn(source: ParsedSource, start: number, end: number): Array<{ start: number; end: number }> {
  const { text, code } = source;
  const out: Array<{ start: number; end: number }> = [];
  for (let i = start; i < end; i++) {
    if (text[i] === code[i] || text[i] !== '/') continue;
    let stop: number;
    if (text[i + 1] === '/') stop = contentEndOf(text, i);
    else if (text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      stop = close === -1 ? text.length : close + 2;
    } else continue;
    out.push({ start: i, end: stop });
    i = stop - 1;
  }
  return out;
}

/**
 * The end of the line holding `offset` (before a "\r"), when only blanks and comments that close on that
 * line follow `offset`; null when code follows, or a block comment runs on past the line.
 */
function restOfLineEnd(source: ParsedSource, offset: number): number | null {
  const lineEnd = contentEndOf(source.text, offset);
  if (source.code.slice(offset, lineEnd).trim() !== '') return null;
  if (commentsIn(source, offset, lineEnd).some((c) => c.end > lineEnd)) return null;
  return lineEnd;
}

function noComments(source: ParsedSource, start: number, end: number): void {
  if (commentsIn(source, start, end).length > 0) throw new Declined('a comment sits inside the code to remove');
}

/** The index of the comma after `offset` (blanks, newlines and comments skipped), or -1. */
function commaAfter(source: ParsedSource, offset: number): number {
  let i = offset;
  while (i < source.code.length && /\s/.test(source.code[i])) i++;
  return source.code[i] === ',' ? i : -1;
}

// ---- removing -----------------------------------------------------------------------------------

/**
 * Removes [start, end) when it is all that stands on its lines: the lines go, with the comments that share
 * a line with the removed code (they describe it); a comment on a line of its own inside the range stays.
 * Null when other code shares the lines.
 */
function removeLines(source: ParsedSource, start: number, end: number): TextEdit | null {
  const { text, code } = source;
  const lineStart = lineStartOf(text, start);
  const indent = indentBefore(text, start);
  if (indent === null) return null;
  if (restOfLineEnd(source, end) === null) return null;
  let lineEnd = lineEndOf(text, end);
  const ownLine = (c: { start: number; end: number }) =>
    code.slice(lineStartOf(text, c.start), c.start).trim() === '' && code.slice(c.end, lineEndOf(text, c.end)).trim() === '';
  const kept = commentsIn(source, start, lineEnd).filter(ownLine).map((c) => text.slice(c.start, c.end));
  if (kept.length > 0) {
    if (text[lineEnd - 1] === '\r') lineEnd--;
    return { start: lineStart, end: lineEnd, text: kept.map((c) => indent + c).join(newlineOf(text)) };
  }
  return { start: lineStart, end: lineEnd < text.length ? lineEnd + 1 : lineEnd, text: '' };
}

/**
 * Removes one property of an object literal with its comma, keeping the rest of the layout: its lines when
 * it stands alone on them (the property before loses its comma when the removed one was last and had none),
 * else just its text.
 */
export function removeProperty(source: ParsedSource, object: Node, property: Node): TextEdit {
  const { text, code } = source;
  const props: Node[] = object.properties;
  const index = props.indexOf(property);
  if (index === -1) throw new Declined('the property is not in the object');
  let end = property.end;
  let j = end;
  while (j < code.length && /[ \t]/.test(code[j])) j++;
  const hasComma = code[j] === ',';
  if (hasComma) {
    end = j + 1;
    while (end < text.length && /[ \t]/.test(text[end])) end++;
  }
  // the only property, and no comment in the object: `{}`
  if (props.length === 1 && commentsIn(source, object.start + 1, object.end - 1).length === 0) return { start: object.start + 1, end: object.end - 1, text: '' };
  const whole = removeLines(source, property.start, end);
  if (whole) {
    if (index > 0 && index === props.length - 1 && !hasComma) {
      const previousComma = commaAfter(source, props[index - 1].end);
      if (previousComma >= 0 && previousComma < whole.start) return { start: previousComma, end: whole.end, text: text.slice(previousComma + 1, whole.start) + whole.text };
    }
    return whole;
  }
  if (props.length === 1) throw new Declined('a comment sits inside the code to remove');
  if (index < props.length - 1) {
    noComments(source, property.start, props[index + 1].start);
    return { start: property.start, end: props[index + 1].start, text: '' };
  }
  noComments(source, props[index - 1].end, property.end);
  return { start: props[index - 1].end, end: property.end, text: '' };
}

/**
 * Removes a statement from its statement list: its lines when it stands alone (with the comment that ends
 * its last line, unless `keepComment`: the statement moves elsewhere, or the comment is about what follows),
 * else just its text.
 */
export function removeStatement(source: ParsedSource, statement: Node, { keepComment = false } = {}): TextEdit {
  const { text, code } = source;
  const list = statementListOf(source, statement);
  if (!list) throw new Declined('the statement is not in a block');
  // Without semicolons, joining the neighbours could merge them into one expression.
  if (!usesSemicolons(text)) {
    const next = code.slice(statement.end).trimStart()[0] ?? '';
    if ('([`+-/'.includes(next) && next !== '') throw new Declined('removing the statement could join its neighbours (no semicolons)');
  }
  const lineEnd = lineEndOf(text, statement.end);
  const commented = keepComment && commentsIn(source, statement.end, lineEnd).length > 0 && code.slice(statement.end, lineEnd).trim() === '';
  const whole = commented ? null : removeLines(source, statement.start, statement.end);
  if (whole) return whole;
  if (commented) {
    let end = statement.end;
    while (text[end] === ' ' || text[end] === '\t') end++;
    noComments(source, statement.start, statement.end);
    return { start: statement.start, end, text: '' };
  }
  const index = list.indexOf(statement);
  const next = list[index + 1];
  if (next && lineStartOf(text, next.start) === lineStartOf(text, statement.end)) {
    noComments(source, statement.start, next.start);
    return { start: statement.start, end: next.start, text: '' };
  }
  let start = statement.start;
  while (start > 0 && /[ \t]/.test(text[start - 1])) start--;
  noComments(source, start, statement.end);
  return { start, end: statement.end, text: '' };
}

// ---- adding -------------------------------------------------------------------------------------

/**
 * Adds `property` (`key: value`) to an object literal in its own layout: in a multi-line object on a new
 * line after the last property (after the comment that ends its line; trailing-comma style kept), in a
 * one-line object after `, `; with `before`, just before that property instead.
 */
export function insertProperty(source: ParsedSource, object: Node, property: string, before?: Node): TextEdit[] {
  const { text, code } = source;
  if (object.type !== 'ObjectExpression') throw new Declined('not an object literal');
  const props: Node[] = object.properties;
  const close = object.end - 1;
  if (props.length === 0) {
    noComments(source, object.start + 1, close);
    return [{ start: object.start + 1, end: close, text: ` ${property} ` }];
  }
  const last = props[props.length - 1];
  let j = last.end;
  while (j < close && /\s/.test(code[j])) j++;
  const hasComma = code[j] === ',';
  const after = hasComma ? j + 1 : last.end;
  const multiLine = code.slice(after, close).includes('\n') && indentBefore(text, last.start) !== null;
  if (before) {
    const indent = multiLine ? indentBefore(text, before.start) : null;
    return [{ start: before.start, end: before.start, text: indent === null ? `${property}, ` : `${property},${newlineOf(text)}${indent}` }];
  }
  if (!multiLine) return [{ start: last.end, end: last.end, text: `, ${property}` }];
  const lineEnd = restOfLineEnd(source, after);
  if (lineEnd === null || lineEnd > close) throw new Declined('the object closes on the line of its last property');
  const line = `${newlineOf(text)}${indentationAt(text, last.start)}${property}${hasComma ? ',' : ''}`;
  // the comma the last property now needs, and the new line (one edit when nothing ends the line between them)
  if (hasComma) return [{ start: lineEnd, end: lineEnd, text: line }];
  if (lineEnd === last.end) return [{ start: lineEnd, end: lineEnd, text: `,${line}` }];
  return [
    { start: last.end, end: last.end, text: ',' },
    { start: lineEnd, end: lineEnd, text: line },
  ];
}

/**
 * Adds a specifier (`name`, `type Name`) to an import's braces, after the last one (after its comma when
 * the list has a trailing one).
 */
export function addImportSpecifier(source: ParsedSource, declaration: Node, specifier: string): TextEdit {
  const last: Node = declaration.specifiers[declaration.specifiers.length - 1];
  const comma = commaAfter(source, last.end);
  return comma >= 0 ? { start: comma + 1, end: comma + 1, text: ` ${specifier},` } : { start: last.end, end: last.end, text: `, ${specifier}` };
}

/** The file's statement style, and statements inserted in it. */
export interface Style {
  nl: string;
  unit: string;
  /** ';' when the file ends its statements with semicolons, '' otherwise. */
  semi: string;
  before(node: Node, statements: string[]): TextEdit;
  after(node: Node, statements: string[]): TextEdit;
}

export function styleOf(source: ParsedSource): Style {
  return {
    nl: newlineOf(source.text),
    unit: indentUnitOf(source.text),
    semi: usesSemicolons(source.text) ? ';' : '',
    before: (node, statements) => insertBefore(source, node, statements),
    after: (node, statements) => insertAfter(source, node, statements),
  };
}

/**
 * Statements inserted before `node`: on their own lines at its indentation, right before it, or with
 * `aboveComments` above the comment lines right over it (when they describe `node`, not the new code); on
 * its line (`a; b; `) when code comes before it there (minified code). Without semicolons, a guard `;` ends
 * the last one when `node` starts with ( [ ` + - /.
 */
export function insertBefore(source: ParsedSource, node: Node, statements: string[], { aboveComments = false } = {}): TextEdit {
  const { text, code } = source;
  const lineStart = lineStartOf(text, node.start);
  if (text.slice(lineStart, node.start).trim() !== '') return { start: node.start, end: node.start, text: statements.map((s) => `${s}; `).join('') };
  const nl = newlineOf(text);
  const semi = usesSemicolons(text) ? ';' : '';
  const guard = semi || (/^[([`+\-/]/.test(text.slice(node.start, node.start + 1)) ? ';' : '');
  const indent = indentationAt(text, node.start);
  let top = lineStart;
  while (aboveComments && top > 0) {
    const previous = lineStartOf(text, top - 1);
    if (text.slice(previous, top - 1).trim() === '' || code.slice(previous, top - 1).trim() !== '') break;
    top = previous;
  }
  if (top < lineStart && /^\s*(\/\/|\/\*)/.test(text.slice(top, node.start))) {
    return { start: top, end: top, text: statements.map((s, i) => `${indent}${s}${i === statements.length - 1 ? guard : semi}${nl}`).join('') };
  }
  return { start: node.start, end: node.start, text: statements.map((s, i) => `${s}${i === statements.length - 1 ? guard : semi}${nl}${indent}`).join('') };
}

/**
 * Statements inserted after `node`: on new lines at its indentation, after the comment that ends its line;
 * on its line (`a; b;`) when code follows it there.
 */
export function insertAfter(source: ParsedSource, node: Node, statements: string[]): TextEdit {
  const { text } = source;
  const lineEnd = restOfLineEnd(source, node.end);
  if (lineEnd === null) {
    const open = /[;}]$/.test(text.slice(node.start, node.end)) ? '' : ';';
    return { start: node.end, end: node.end, text: `${open}${statements.map((s) => ` ${s};`).join('')}` };
  }
  const at = text.slice(node.end, lineEnd).trim() === '' ? node.end : lineEnd;
  const nl = newlineOf(text);
  const semi = usesSemicolons(text) ? ';' : '';
  const indent = indentationAt(text, node.start);
  return { start: at, end: at, text: statements.map((s) => `${nl}${indent}${s}${semi}`).join('') };
}
