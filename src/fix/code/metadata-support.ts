/**
 * Edits the response-metadata fixers share: removing an object property or a statement (its line when it
 * stands alone, with the comment on that line; comments on lines of their own stay), adding a property in
 * the object's own layout, inserting statements around comments, and the checks that make an edit safe
 * (side-effect-free values, objects only the prelude reads, Fetch Headers sources). A check that fails
 * throws Declined; `declining()` turns it into the fixer's suggestion.
 */
import type { Node } from '../../code/ast.js';
import { isFunction, memberPath, patternNames, propertyName, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import type { HeadersCopy } from '../../code/rule-support.js';
import { enclosingFunctionNode } from '../../code/rule-support.js';
import type { TextEdit } from '../../model/fix.js';
import { ancestorsOf, enclosingStatement, quoteOf, sourceOf } from '../ast-support.js';
import { indentationAt, lineEndOf, lineStartOf, newlineOf, usesSemicolons } from '../text.js';

/** Why an edit cannot be made; fixers turn it into a suggestion. */
export class Declined extends Error {}

/** Comments (ranges in the original text) that start inside [start, end). */
export function commentsIn(facts: ModuleFacts, start: number, end: number): Array<{ start: number; end: number }> {
  const { text, code } = facts;
  const out: Array<{ start: number; end: number }> = [];
  for (let i = start; i < end; i++) {
    if (text[i] === code[i] || text[i] !== '/') continue;
    let stop: number;
    if (text[i + 1] === '/') {
      stop = lineEndOf(text, i);
      if (text[stop - 1] === '\r') stop--;
    } else if (text[i + 1] === '*') {
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
function restOfLineEnd(facts: ModuleFacts, offset: number): number | null {
  let lineEnd = lineEndOf(facts.text, offset);
  if (facts.text[lineEnd - 1] === '\r') lineEnd--;
  if (facts.code.slice(offset, lineEnd).trim() !== '') return null;
  if (commentsIn(facts, offset, lineEnd).some((c) => c.end > lineEnd)) return null;
  return lineEnd;
}

const STATEMENT_LISTS = new Set(['Program', 'BlockStatement', 'StaticBlock']);

/** The parent of a node (null for the program or a node outside it). */
export function parentOf(facts: ModuleFacts, node: Node): Node | null {
  const chain = ancestorsOf(facts.program, node);
  return chain.length >= 2 ? chain[chain.length - 2] : null;
}

/** The statement list holding `statement` directly, or null. */
export function statementListOf(facts: ModuleFacts, statement: Node): Node[] | null {
  const parent = parentOf(facts, statement);
  if (!parent) return null;
  if (STATEMENT_LISTS.has(parent.type)) return parent.body;
  if (parent.type === 'SwitchCase' && parent.consequent.includes(statement)) return parent.consequent;
  return null;
}

/**
 * Removes [start, end) when it is all that stands on its lines: the lines go, with the comments that share
 * a line with the removed code (they describe it); a comment on a line of its own inside the range stays.
 * Null when other code shares the lines.
 */
function removeLines(facts: ModuleFacts, start: number, end: number): TextEdit | null {
  const { text, code } = facts;
  const lineStart = lineStartOf(text, start);
  if (!/^[ \t]*$/.test(text.slice(lineStart, start))) return null;
  if (restOfLineEnd(facts, end) === null) return null;
  let lineEnd = lineEndOf(text, end);
  const indent = text.slice(lineStart, start);
  const ownLine = (c: { start: number; end: number }) =>
    code.slice(lineStartOf(text, c.start), c.start).trim() === '' && code.slice(c.end, lineEndOf(text, c.end)).trim() === '';
  const kept = commentsIn(facts, start, lineEnd).filter(ownLine).map((c) => text.slice(c.start, c.end));
  if (kept.length > 0) {
    if (text[lineEnd - 1] === '\r') lineEnd--;
    return { start: lineStart, end: lineEnd, text: kept.map((c) => indent + c).join(newlineOf(text)) };
  }
  return { start: lineStart, end: lineEnd < text.length ? lineEnd + 1 : lineEnd, text: '' };
}

function noComments(facts: ModuleFacts, start: number, end: number): void {
  if (commentsIn(facts, start, end).length > 0) throw new Declined('a comment sits inside the code to remove');
}

/** Removes one property of an object literal with its comma, keeping the rest of the layout. */
export function removeProperty(facts: ModuleFacts, object: Node, property: Node): TextEdit {
  const { text, code } = facts;
  const props: Node[] = object.properties;
  const index = props.indexOf(property);
  if (index === -1) throw new Declined('the property is not in the object');
  let end = property.end;
  let j = end;
  while (j < code.length && /[ \t]/.test(code[j])) j++;
  if (code[j] === ',') {
    end = j + 1;
    while (end < text.length && /[ \t]/.test(text[end])) end++;
  }
  const whole = removeLines(facts, property.start, end);
  if (whole) return whole;
  if (props.length === 1) {
    noComments(facts, object.start + 1, object.end - 1);
    return { start: object.start + 1, end: object.end - 1, text: '' };
  }
  if (index < props.length - 1) {
    noComments(facts, property.start, props[index + 1].start);
    return { start: property.start, end: props[index + 1].start, text: '' };
  }
  noComments(facts, props[index - 1].end, property.end);
  return { start: props[index - 1].end, end: property.end, text: '' };
}

/** Removes a statement from its statement list (its lines when it stands alone). */
export function removeStatement(facts: ModuleFacts, statement: Node): TextEdit {
  const { text, code } = facts;
  const list = statementListOf(facts, statement);
  if (!list) throw new Declined('the statement is not in a block');
  // Without semicolons, joining the neighbours could merge them into one expression.
  if (!usesSemicolons(text)) {
    const next = code.slice(statement.end).trimStart()[0] ?? '';
    if ('([`+-/'.includes(next) && next !== '') throw new Declined('removing the statement could join its neighbours (no semicolons)');
  }
  const whole = removeLines(facts, statement.start, statement.end);
  if (whole) return whole;
  const index = list.indexOf(statement);
  const next = list[index + 1];
  if (next && lineStartOf(text, next.start) === lineStartOf(text, statement.end)) {
    noComments(facts, statement.start, next.start);
    return { start: statement.start, end: next.start, text: '' };
  }
  let start = statement.start;
  while (start > 0 && /[ \t]/.test(text[start - 1])) start--;
  noComments(facts, start, statement.end);
  return { start, end: statement.end, text: '' };
}

/**
 * Adds `code` (a property, `key: value`) at the end of an object literal: on a new line in a multi-line
 * object (trailing-comma style kept), after `, ` in a one-line object.
 */
export function addProperty(facts: ModuleFacts, object: Node, property: string): TextEdit[] {
  const { text, code } = facts;
  const props: Node[] = object.properties;
  const close = object.end - 1;
  if (props.length === 0) {
    noComments(facts, object.start + 1, close);
    if (code.slice(object.start + 1, close).includes('\n')) throw new Declined('an empty multi-line object');
    return [{ start: object.start, end: object.end, text: `{ ${property} }` }];
  }
  const last = props[props.length - 1];
  let j = last.end;
  while (j < close && /\s/.test(code[j])) j++;
  const hasComma = code[j] === ',';
  const after = hasComma ? j + 1 : last.end;
  const multiLine = code.slice(after, close).includes('\n') && /^[ \t]*$/.test(text.slice(lineStartOf(text, last.start), last.start));
  if (!multiLine) return [{ start: last.end, end: last.end, text: `, ${property}` }];
  const lineEnd = restOfLineEnd(facts, after);
  if (lineEnd === null || lineEnd > close) throw new Declined('the object closes on the line of its last property');
  const edits: TextEdit[] = [];
  if (!hasComma) edits.push({ start: last.end, end: last.end, text: ',' });
  edits.push({ start: lineEnd, end: lineEnd, text: `${newlineOf(text)}${indentationAt(text, last.start)}${property}${hasComma ? ',' : ''}` });
  return edits;
}

/** A string literal in the file's quote style. */
export function quoted(facts: ModuleFacts, value: string): string {
  const q = quoteOf(facts.text);
  return `${q}${value}${q}`;
}

const PURE_CALLS = new Set(['get', 'has', 'toString', 'toLowerCase', 'toUpperCase', 'trim', 'String', 'Number']);

/** Evaluating the expression has no effect besides its value (so it may be dropped or moved). */
export function isPure(node: Node | null | undefined): boolean {
  const n = unwrap(node);
  if (!n) return true;
  switch (n.type) {
    case 'Literal':
    case 'Identifier':
    case 'ThisExpression':
      return true;
    case 'TemplateLiteral':
      return n.expressions.every(isPure);
    case 'MemberExpression':
      return isPure(n.object) && (!n.computed || isPure(n.property));
    case 'UnaryExpression':
      return n.operator !== 'delete' && isPure(n.argument);
    case 'BinaryExpression':
    case 'LogicalExpression':
      return isPure(n.left) && isPure(n.right);
    case 'ConditionalExpression':
      return isPure(n.test) && isPure(n.consequent) && isPure(n.alternate);
    case 'ArrayExpression':
      return n.elements.every((e: Node | null) => !e || (e.type !== 'SpreadElement' && isPure(e)));
    case 'ObjectExpression':
      return n.properties.every((p: Node) => p.type === 'Property' && (!p.computed || isPure(p.key)) && isPure(p.value));
    case 'CallExpression': {
      const callee = unwrap(n.callee);
      const name = callee?.type === 'Identifier' ? callee.name : callee?.type === 'MemberExpression' ? propertyName(callee) : null;
      if (!name || !PURE_CALLS.has(name)) return false;
      if (callee!.type === 'MemberExpression' && !isPure(callee!.object)) return false;
      return n.arguments.every((a: Node) => a.type !== 'SpreadElement' && isPure(a));
    }
    default:
      return false;
  }
}

/** Identifier references (not property keys or member names) to `name` inside `root`, each once. */
export function referencesOf(root: Node, name: string): Node[] {
  const out = new Map<number, Node>();
  walk(root, (node, parent) => {
    if (node.type !== 'Identifier' || node.name !== name) return true;
    if (parent?.type === 'MemberExpression' && parent.property === node && !parent.computed) return true;
    if (parent?.type === 'Property' && parent.key === node && !parent.computed && !parent.shorthand) return true;
    if (parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') return true;
    out.set(node.start, node);
    return true;
  });
  return [...out.values()];
}

/** Every name bound or used anywhere in the file, for picking a fresh one. */
export function freshName(facts: ModuleFacts, candidates: string[]): string {
  const taken = (name: string) => new RegExp(`(^|[^\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(facts.code);
  for (const name of candidates) if (!taken(name)) return name;
  for (let i = 2; ; i++) if (!taken(`${candidates[0]}${i}`)) return `${candidates[0]}${i}`;
}

/** `const name = <init>` visible at `at` (declared before it in an enclosing scope), the closest one. */
export function constInit(facts: ModuleFacts, name: string, at: Node): Node | null {
  let found: Node | null = null;
  walk(facts.program, (node) => {
    if (node.start > at.start) return false;
    if (isFunction(node) && !(node.start <= at.start && at.end <= node.end)) return false;
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === name && node.init) found = unwrap(node.init);
    return true;
  });
  return found;
}

/** The declarator binding `name` whose init is `init`, when the value is held in a variable. */
function declaratorOf(facts: ModuleFacts, init: Node): Node | null {
  let parent = parentOf(facts, init);
  let child = init;
  while (parent && ['ParenthesizedExpression', 'TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression'].includes(parent.type)) {
    child = parent;
    parent = parentOf(facts, parent);
  }
  return parent?.type === 'VariableDeclarator' && parent.init === child && parent.id?.type === 'Identifier' ? parent : null;
}

/** The scope (function or program) that holds a declarator. */
function scopeOf(facts: ModuleFacts, node: Node): Node {
  return enclosingFunctionNode(facts, node);
}

/**
 * Only the prelude reads this value: it is written inline where it is used (`use` holds it), or it is a
 * variable whose every later reference is inside `use` or reads/writes a member of it (`meta.headers[k] = v`).
 */
export function onlyUsedIn(facts: ModuleFacts, value: Node, use: Node): boolean {
  if (use.start <= value.start && value.end <= use.end) return true;
  const declarator = declaratorOf(facts, value);
  if (!declarator) return false;
  const name = declarator.id.name as string;
  const parentStatement = parentOf(facts, declarator);
  if (parentStatement?.type !== 'VariableDeclaration' || parentStatement.kind !== 'const') return false;
  for (const ref of referencesOf(scopeOf(facts, declarator), name)) {
    if (ref.start === declarator.id.start) continue;
    if (use.start <= ref.start && ref.end <= use.end) continue;
    const parent = parentOf(facts, ref);
    if (parent?.type === 'MemberExpression' && parent.object === ref) continue;
    return false;
  }
  return true;
}

/** An object literal nested in the metadata passed to from(): owned when its root is. */
export function ownedByPrelude(facts: ModuleFacts, object: Node, fromCall: Node): boolean {
  const metaArg = fromCall.arguments[1];
  if (!metaArg) return false;
  if (metaArg.start <= object.start && object.end <= metaArg.end) return true;
  // A literal held in a const (the metadata, or its headers): every use is the prelude's.
  if (onlyUsedIn(facts, object, metaArg)) return true;
  // Nested: the headers literal inside a metadata const.
  const chain = ancestorsOf(facts.program, object);
  for (let i = chain.length - 2; i >= 0; i--) {
    const node = chain[i];
    if (node.type === 'Property' || node.type === 'ParenthesizedExpression' || node.type.startsWith('TS')) continue;
    if (node.type === 'ObjectExpression') return onlyUsedIn(facts, node, metaArg) || ownedByPrelude(facts, node, fromCall);
    return false;
  }
  return false;
}

const FETCH_POLYFILLS = /from\s+['"](node-fetch|cross-fetch|isomorphic-fetch|isomorphic-unfetch)['"]|require\(\s*['"](node-fetch|cross-fetch|isomorphic-fetch)['"]\s*\)/;

/**
 * The Fetch `Headers` a copy iterates (`res.headers` in `Object.fromEntries(res.headers)`,
 * `for (… of res.headers.entries())`, `res.headers.forEach(…)`): iterating it directly means it is a
 * Headers (a plain header map is not iterable), so `getSetCookie()` exists (Node 18.14+). Null for
 * anything else, and in files that use a fetch polyfill whose Headers lack getSetCookie().
 */
export function headersSourceOf(facts: ModuleFacts, copy: HeadersCopy): Node | null {
  if (FETCH_POLYFILLS.test(facts.code)) return null;
  const node = copy.node;
  let iterated: Node | null = null;
  if (copy.kind === 'fromEntries') {
    if (node.arguments.length !== 1 || node.arguments[0].type === 'SpreadElement') return null;
    iterated = unwrap(node.arguments[0]);
  } else if (node.type === 'ForOfStatement') iterated = unwrap(node.right);
  else if (node.type === 'CallExpression') iterated = unwrap(unwrap(node.callee)?.object);
  if (iterated?.type === 'CallExpression' && iterated.arguments.length === 0 && propertyName(unwrap(iterated.callee) ?? iterated) === 'entries') {
    iterated = unwrap(unwrap(iterated.callee)!.object);
  }
  const path = memberPath(iterated);
  return iterated && path && path.length >= 2 && path.at(-1) === 'headers' ? iterated : null;
}

/** The source text of a member path, normalised (`response . headers` -> `response.headers`). */
export function pathText(node: Node | null | undefined): string | null {
  return memberPath(node ?? null)?.join('.') ?? null;
}

/** `<headers>.getSetCookie()` (through one `const cookies = …`): the Headers it reads, or null. */
export function setCookieSource(facts: ModuleFacts, value: Node, at: Node): string | null {
  let v = unwrap(value);
  if (v?.type === 'Identifier') v = constInit(facts, v.name, at);
  if (v?.type !== 'CallExpression' || v.arguments.length !== 0) return null;
  const callee = unwrap(v.callee);
  return callee?.type === 'MemberExpression' && propertyName(callee) === 'getSetCookie' ? pathText(callee.object) : null;
}

/**
 * Edits that keep set-cookie out of a headers copy of a Fetch Headers (whose names are lower case):
 * `Object.fromEntries(src)` filters its entries; a loop
 * copy gets `delete headers["set-cookie"]` right before the statement that uses it (`use`: the from() call
 * or the `return { headers, cookies }`), so other paths keep their headers as they were.
 */
export function stripSetCookie(facts: ModuleFacts, copy: HeadersCopy, headersValue: Node, use: Node): TextEdit[] {
  const q = quoteOf(facts.text);
  if (copy.kind === 'fromEntries') {
    const call = copy.node;
    if (call.arguments.length !== 1 || call.arguments[0].type === 'SpreadElement') throw new Declined('Object.fromEntries() has an unusual argument list');
    const inline = use.start <= call.start && call.end <= use.end;
    if (!inline && !onlyUsedIn(facts, call, use)) throw new Declined('the copied headers are used elsewhere too');
    const arg = call.arguments[0];
    return [{ start: arg.start, end: arg.end, text: `[...${sourceOf(facts, arg)}].filter(([name]) => name !== ${q}set-cookie${q})` }];
  }
  const value = unwrap(headersValue);
  if (value?.type !== 'Identifier') throw new Declined('the headers are not a plain variable');
  const holder = enclosingStatement(facts, use);
  if (!holder || copy.node.end > holder.statement.start) throw new Declined('no statement to put the delete before');
  const scope = enclosingFunctionNode(facts, copy.node);
  for (const ref of referencesOf(scope, value.name)) {
    if (ref.start < holder.statement.start) continue;
    if (ref.start === value.start) continue;
    throw new Declined(`\`${value.name}\` is used again after the prelude`);
  }
  return [insertBefore(facts, holder.statement, `delete ${value.name}[${q}set-cookie${q}]`)];
}

/**
 * `name` means the same binding at `to` as at `from` (no function between them declares it), so an
 * expression valid at `from` may be repeated at `to`.
 */
export function sameBinding(facts: ModuleFacts, name: string, from: Node, to: Node): boolean {
  let shadowed = false;
  walk(facts.program, (node) => {
    if (shadowed || node.start > to.start || node.end < to.end) return false;
    if (isFunction(node) && !(node.start <= from.start && from.end <= node.end)) {
      const names = new Set<string>();
      for (const p of node.params) for (const n of patternNames(p)) names.add(n);
      walk(node.body, (inner) => {
        if (inner !== node.body && isFunction(inner)) return false;
        if (inner.type === 'VariableDeclarator') for (const n of patternNames(inner.id)) names.add(n);
        return true;
      });
      if (names.has(name)) shadowed = true;
    }
    return true;
  });
  return !shadowed;
}

/** Re-indents a multi-line snippet taken from `fromIndent` to `toIndent` (continuation lines only). */
export function reindent(snippet: string, fromIndent: string, toIndent: string): string {
  if (fromIndent === toIndent) return snippet;
  const lines = snippet.split('\n');
  if (!lines.slice(1).every((l) => l.trim() === '' || l.startsWith(fromIndent))) return snippet;
  return [lines[0], ...lines.slice(1).map((l) => (l.trim() === '' ? l : toIndent + l.slice(fromIndent.length)))].join('\n');
}

/** Runs a fixer body: a Declined error becomes the suggestion (the engine puts the rule's fix text first). */
export function declining<T>(body: () => T): T | { suggestion: string } {
  try {
    return body();
  } catch (error) {
    if (error instanceof Declined) return { suggestion: `(No automatic edit: ${error.message}.)` };
    throw error;
  }
}

/** The node of one of `types` spanning exactly [start, end). */
export function nodeAt(facts: ModuleFacts, start: number, end: number, types: string[]): Node | null {
  let found: Node | null = null;
  walk(facts.program, (node) => {
    if (found || node.start > start || node.end < end) return false;
    if (node.start === start && node.end === end && types.includes(node.type)) found = node;
    return true;
  });
  return found;
}

/**
 * `cookies: <headers>.getSetCookie()` added to the metadata literal, reading the Fetch Headers the copy
 * iterated. Declined when that Headers is not one, is not the same variable where the metadata is built,
 * or has its set-cookie deleted (then getSetCookie() would be empty).
 */
export function addCookiesFromHeaders(facts: ModuleFacts, call: Node, object: Node, copy: HeadersCopy): { source: string; edits: TextEdit[] } {
  const source = headersSourceOf(facts, copy);
  if (!source) throw new Declined('the headers are not copied from a Fetch Headers object (no getSetCookie())');
  const text = sourceOf(facts, source);
  const path = pathText(source)!;
  const scope = enclosingFunctionNode(facts, call);
  const escaped = path.replace(/[.$]/g, (c) => `\\${c}`).replace(/\\\./g, '\\s*\\.\\s*');
  if (new RegExp(`${escaped}\\s*\\.\\s*(delete|set)\\(\\s*['"\`]set-cookie`, 'i').test(facts.code.slice(scope.start, scope.end))) {
    throw new Declined(`set-cookie is changed on \`${path}\` itself`);
  }
  const inside = object.start <= copy.node.start && copy.node.end <= object.end;
  if (!inside && copy.node.start > object.start) throw new Declined('the metadata is built before the headers are copied');
  if (!sameBinding(facts, path.split('.')[0], copy.node, object)) throw new Declined(`\`${path.split('.')[0]}\` means something else where the metadata is built`);
  if (!ownedByPrelude(facts, object, call)) throw new Declined('the metadata object is used elsewhere too');
  return { source: text, edits: addProperty(facts, object, `cookies: ${text}.getSetCookie()`) };
}

/** Every name `value` reads is bound before `position` (or outside the function), so it may move there. */
export function readableAt(facts: ModuleFacts, value: Node, position: number): boolean {
  const names = new Set<string>();
  walk(value, (node, parent) => {
    if (node.type !== 'Identifier') return true;
    if (parent?.type === 'MemberExpression' && parent.property === node && !parent.computed) return true;
    if (parent?.type === 'Property' && parent.key === node && !parent.computed && !parent.shorthand) return true;
    names.add(node.name);
    return true;
  });
  let late = false;
  walk(enclosingFunctionNode(facts, value), (node) => {
    if (late) return false;
    if (node.type === 'VariableDeclarator' && patternNames(node.id).some((n) => names.has(n)) && node.id.start > position) late = true;
    if (node.type === 'FunctionDeclaration' && node.id && names.has(node.id.name) && node.start > position) late = true;
    return true;
  });
  return !late;
}

/**
 * Inserts `code` as a statement on its own line before `statement`, above the comment lines directly over
 * it (they describe that statement), at its indentation.
 */
export function insertBefore(facts: ModuleFacts, statement: Node, code: string): TextEdit {
  const { text } = facts;
  const indent = indentationAt(text, statement.start);
  const nl = newlineOf(text);
  const semi = usesSemicolons(text) ? ';' : '';
  let at = lineStartOf(text, statement.start);
  if (text.slice(at, statement.start).trim() !== '') return { start: statement.start, end: statement.start, text: `${code}${semi}${nl}${indent}` };
  while (at > 0) {
    const previous = lineStartOf(text, at - 1);
    const line = text.slice(previous, at - 1);
    if (line.trim() === '' || facts.code.slice(previous, at - 1).trim() !== '') break;
    at = previous;
  }
  // Only above whole comments (a block comment that starts after code on its line stays below).
  if (!/^\s*(\/\/|\/\*)/.test(text.slice(at, statement.start))) at = lineStartOf(text, statement.start);
  return { start: at, end: at, text: `${indent}${code}${semi}${nl}` };
}

/** Inserts `code` as a statement on a new line after `statement`, after a comment that ends its line. */
export function insertAfter(facts: ModuleFacts, statement: Node, code: string): TextEdit {
  const { text } = facts;
  const indent = indentationAt(text, statement.start);
  const nl = newlineOf(text);
  const semi = usesSemicolons(text) ? ';' : '';
  const at = restOfLineEnd(facts, statement.end) ?? statement.end;
  return { start: at, end: at, text: `${nl}${indent}${code}${semi}` };
}
