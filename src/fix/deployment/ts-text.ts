/**
 * What the CDK and SST fixers need besides the shared AST edits (ast-support.ts): offsets of reader
 * locations, the properties of an object literal, how the app names a member of aws-lambda (with the import
 * edit it needs), and a string value replaced in its own quotes.
 */
import { type Node, propertyKey, unwrap, walk } from '../../code/ast.js';
import type { SourceLocation } from '../../model/deployment.js';
import type { TextEdit } from '../../model/fix.js';
import { type ParsedSource, addImportSpecifier } from '../ast-support.js';
import { stringLiteral } from '../text.js';
import { Unsafe } from './yaml-text.js';

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

/** The object literal and its property `key` whose value (or, with `atKey`, key) starts at `offset`. */
export function propertyAt(program: Node, offset: number, key: string, atKey = false): { object: Node; property: Node } | undefined {
  let found: { object: Node; property: Node } | undefined;
  walk(program, (node) => {
    if (found || node.end < offset || node.start > offset) return false;
    if (node.type === 'ObjectExpression') {
      for (const p of node.properties as Node[]) {
        if (p.type === 'Property' && propertyKey(p) === key && (atKey ? p.key.start : p.value.start) === offset) found = { object: node, property: p };
      }
    }
    return true;
  });
  return found;
}

/** How the file can name a member of aws-lambda (`lambda.InvokeMode`), with the import edit it needs, if any. */
export function lambdaMember(source: ParsedSource, member: string): { ref: string; importEdit?: TextEdit } | null {
  const program = source.program;
  let namedImport: Node | undefined;
  for (const statement of program.body as Node[]) {
    if (statement.type !== 'ImportDeclaration' || statement.importKind === 'type') continue;
    const from = String(statement.source.value);
    const isLambda = from === 'aws-cdk-lib/aws-lambda' || from === '@aws-cdk/aws-lambda';
    const isLib = from === 'aws-cdk-lib';
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
  if (namedImport) return { ref: member, importEdit: addImportSpecifier(source, namedImport, member) };
  return null;
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
