/**
 * Minimal edits in CDK and SST apps (TypeScript / JavaScript), at oxc AST ranges: a property added to an
 * object literal after its last property (one per line, or inline, keeping the trailing-comma style), a
 * property removed with its line, a value replaced. The file's quotes and the name it imports aws-lambda
 * under are reused.
 */
import { type Node, propertyKey, unwrap, walk } from '../../code/ast.js';
import { parseModule } from '../../code/facts.js';
import type { SourceLocation } from '../../model/deployment.js';
import type { TextEdit } from '../../model/fix.js';
import { lineEndOf, lineStartOf, newlineOf } from '../text.js';
import { Unsafe } from './yaml-text.js';

export function parseProgram(file: string, text: string): Node {
  try {
    return parseModule(file, text);
  } catch (error) {
    throw new Unsafe(`the file does not parse (${(error as Error).message.split('\n')[0]})`);
  }
}

/** A location's offset in the text (1-based line and column, UTF-16 columns as the readers count them). */
export function offsetOf(text: string, at: SourceLocation): number {
  let start = 0;
  for (let line = 1; line < at.line; line++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) throw new Unsafe('the location is past the end of the file');
    start = nl + 1;
  }
  return start + at.column - 1;
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

/** A `key: value` property of an object literal (not computed, not a method, not shorthand). */
export function propertyOf(object: Node, key: string): Node | undefined {
  let found: Node | undefined;
  for (const p of object.properties as Node[]) {
    if (p.type === 'Property' && p.kind === 'init' && !p.method && !p.shorthand && propertyKey(p) === key) found = p;
  }
  return found;
}

/** The object has a spread: a key it does not write may come from there. */
export function hasSpread(object: Node): boolean {
  return (object.properties as Node[]).some((p) => p.type === 'SpreadElement');
}

function indentAt(text: string, offset: number): string {
  const start = lineStartOf(text, offset);
  const before = text.slice(start, offset);
  if (!/^[ \t]*$/.test(before)) throw new Unsafe('the property shares its line with other code');
  return before;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The index just past the comma after `offset` (blanks and comments skipped), or -1. */
function commaAfter(text: string, offset: number): number {
  let i = offset;
  for (;;) {
    while (i < text.length && /[ \t\r\n]/.test(text[i])) i++;
    if (text.startsWith('//', i)) i = lineEndOf(text, i);
    else if (text.startsWith('/*', i)) i = text.indexOf('*/', i) < 0 ? text.length : text.indexOf('*/', i) + 2;
    else break;
  }
  return text[i] === ',' ? i + 1 : -1;
}

function multiline(text: string, object: Node): boolean {
  const props = object.properties as Node[];
  if (props.length === 0) return false;
  if (lineOf(text, props[0].start) === lineOf(text, object.start)) return false;
  for (let k = 1; k < props.length; k++) if (lineOf(text, props[k].start) === lineOf(text, props[k - 1].end)) return false;
  return true;
}

/**
 * Adds `property` (text like `invokeMode: lambda.InvokeMode.RESPONSE_STREAM`) to an object literal: on its
 * own line after the last property (or before `before`), or inline for a one-line object.
 */
export function insertProperty(text: string, object: Node, property: string, before?: Node): TextEdit {
  if (object.type !== 'ObjectExpression') throw new Unsafe('not an object literal');
  const props = object.properties as Node[];
  const nl = newlineOf(text);
  if (props.length === 0) {
    const inner = text.slice(object.start + 1, object.end - 1);
    if (inner.trim() !== '') throw new Unsafe('the object holds only comments');
    return { start: object.start + 1, end: object.end - 1, text: ` ${property} ` };
  }
  if (!multiline(text, object)) {
    if (before) return { start: before.start, end: before.start, text: `${property}, ` };
    const last = props[props.length - 1];
    return { start: last.end, end: last.end, text: `, ${property}` };
  }
  if (before) {
    const indent = indentAt(text, before.start);
    return { start: before.start, end: before.start, text: `${property},${nl}${indent}` };
  }
  const last = props[props.length - 1];
  const indent = indentAt(text, last.start);
  const comma = commaAfter(text, last.end);
  if (comma >= 0) {
    // trailing-comma style: the new property gets one too
    return { start: comma, end: comma, text: `${nl}${indent}${property},` };
  }
  return { start: last.end, end: last.end, text: `,${nl}${indent}${property}` };
}

/** Removes a property with its line(s) and comma; inline for a one-line object. Other properties stay as they are. */
export function removeProperty(text: string, object: Node, property: Node): TextEdit {
  const props = object.properties as Node[];
  const index = props.indexOf(property);
  if (index < 0) throw new Unsafe('not a property of the object');
  if (props.length === 1) return { start: object.start + 1, end: object.end - 1, text: '' };
  const comma = commaAfter(text, property.end);
  if (multiline(text, object)) {
    indentAt(text, property.start);
    const start = lineStartOf(text, property.start);
    const tail = comma >= 0 ? comma : property.end;
    const rest = text.slice(tail, lineEndOf(text, tail));
    if (rest.trim() !== '' && !rest.trim().startsWith('//')) throw new Unsafe('the property shares its last line with other code');
    let end = lineEndOf(text, tail);
    if (end < text.length) end++;
    const edits: TextEdit = { start, end, text: '' };
    // the last property without a trailing comma: the one before it loses its comma too
    if (index === props.length - 1 && comma < 0) {
      const previous = props[index - 1];
      const previousComma = commaAfter(text, previous.end);
      if (previousComma >= 0 && previousComma <= start) return { start: previousComma - 1, end, text: text.slice(previousComma, start) };
    }
    return edits;
  }
  if (index === props.length - 1) return { start: props[index - 1].end, end: comma >= 0 ? comma - 1 : property.end, text: '' };
  return { start: property.start, end: props[index + 1].start, text: '' };
}

/** How the file can name a member of aws-lambda (`lambda.InvokeMode`), with the import edit it needs, if any. */
export function lambdaMember(program: Node, text: string, member: string): { ref: string; importEdit?: TextEdit } | null {
  let namedImport: Node | undefined;
  for (const statement of program.body as Node[]) {
    if (statement.type !== 'ImportDeclaration' || statement.importKind === 'type') continue;
    const source = String(statement.source.value);
    const isLambda = source === 'aws-cdk-lib/aws-lambda' || source === '@aws-cdk/aws-lambda';
    const isLib = source === 'aws-cdk-lib';
    for (const spec of (statement.specifiers ?? []) as Node[]) {
      if (spec.importKind === 'type') continue;
      const imported = spec.type === 'ImportSpecifier' ? (spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value)) : null;
      if (isLambda && spec.type === 'ImportSpecifier' && imported === member) return { ref: spec.local.name };
      if (isLambda && (spec.type === 'ImportNamespaceSpecifier' || spec.type === 'ImportDefaultSpecifier')) return { ref: `${spec.local.name}.${member}` };
      if (isLib && spec.type === 'ImportSpecifier' && imported === 'aws_lambda') return { ref: `${spec.local.name}.${member}` };
    }
    if (isLambda && (statement.specifiers ?? []).some((s: Node) => s.type === 'ImportSpecifier')) namedImport ??= statement;
  }
  for (const statement of program.body as Node[]) {
    if (statement.type !== 'ImportDeclaration' || statement.importKind === 'type' || statement.source.value !== 'aws-cdk-lib') continue;
    for (const spec of (statement.specifiers ?? []) as Node[]) {
      if (spec.type === 'ImportNamespaceSpecifier' || spec.type === 'ImportDefaultSpecifier') return { ref: `${spec.local.name}.aws_lambda.${member}` };
    }
  }
  // CommonJS: const lambda = require('aws-cdk-lib/aws-lambda')
  let required: string | null = null;
  walk(program, (node) => {
    if (required || node.type !== 'VariableDeclarator' || node.id.type !== 'Identifier') return !required;
    const init = unwrap(node.init);
    if (init?.type === 'CallExpression' && init.callee.type === 'Identifier' && init.callee.name === 'require' && ['aws-cdk-lib/aws-lambda', '@aws-cdk/aws-lambda'].includes(init.arguments[0]?.value)) {
      required = `${node.id.name}.${member}`;
    }
    return true;
  });
  if (required) return { ref: required };
  if (namedImport) {
    const specs = (namedImport.specifiers as Node[]).filter((s) => s.type === 'ImportSpecifier');
    const last = specs[specs.length - 1];
    const comma = commaAfter(text, last.end);
    return { ref: member, importEdit: comma >= 0 ? { start: comma, end: comma, text: ` ${member},` } : { start: last.end, end: last.end, text: `, ${member}` } };
  }
  return null;
}

/** The quote the file's string literals use most. */
export function quoteIn(program: Node, text: string): string {
  let single = 0;
  let double = 0;
  walk(program, (node) => {
    if (node.type === 'Literal' && typeof node.value === 'string') {
      if (text[node.start] === "'") single++;
      else if (text[node.start] === '"') double++;
    }
  });
  return single > double ? "'" : '"';
}

export function stringLiteral(value: string, quote: string): string {
  if (quote === "'") return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return JSON.stringify(value);
}

/** A string literal as written (quotes kept): its replacement by `value`. */
export function replaceString(text: string, node: Node, value: string): TextEdit {
  const n = unwrap(node);
  if (!n || !((n.type === 'Literal' && typeof n.value === 'string') || (n.type === 'TemplateLiteral' && n.expressions.length === 0))) {
    throw new Unsafe('the value is an expression, not a literal');
  }
  const quote = text[n.start];
  const written = quote === '`' ? `\`${value}\`` : stringLiteral(value, quote === "'" ? "'" : '"');
  return { start: n.start, end: n.end, text: written };
}
