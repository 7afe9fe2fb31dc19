/**
 * The checks the response-metadata fixers share before they edit: side-effect-free values, objects only the
 * prelude reads, Fetch Headers sources, names that mean the same binding in two places; and the edits built
 * on them (set-cookie kept out of a headers copy, `cookies` added to the metadata). A check that fails
 * throws Declined; `declining()` turns it into the fixer's suggestion.
 */
import type { Node } from '../../code/ast.js';
import { isFunction, memberPath, patternNames, propertyName, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import type { HeadersCopy } from '../../code/rule-support.js';
import { enclosingFunctionNode } from '../../code/rule-support.js';
import type { TextEdit } from '../../model/fix.js';
import { Declined, ancestorsOf, enclosingStatement, insertBefore, insertProperty, isPropertyName, parentOf, quoteOf, sourceOf } from '../ast-support.js';

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
    if (node.type === 'Identifier' && node.name === name && !isPropertyName(node, parent)) out.set(node.start, node);
    return true;
  });
  return [...out.values()];
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
  const q = quoteOf(facts);
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
  return [insertBefore(facts, holder.statement, [`delete ${value.name}[${q}set-cookie${q}]`], { aboveComments: true })];
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

/** Runs a fixer body: a Declined error becomes the suggestion (the engine puts the rule's fix text first). */
export function declining<T>(body: () => T): T | { suggestion: string } {
  try {
    return body();
  } catch (error) {
    if (error instanceof Declined) return { suggestion: `(No automatic edit: ${error.message}.)` };
    throw error;
  }
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
  return { source: text, edits: insertProperty(facts, object, `cookies: ${text}.getSetCookie()`) };
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
