import type { TextEdit } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { eventLoopKeepsInvocationAlive } from '../../checks/code/event-loop-keeps-invocation-alive.js';
import type { FunctionNode, Node } from '../../code/ast.js';
import { declaredNames, mentions } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { addImportSpecifier, nameIsTaken, quoteOf, styleOf } from '../ast-support.js';

/**
 * `context.callbackWaitsForEmptyEventLoop = false` as the first statement of every streamified handler
 * of the module (the 3.x runtime then asks for the next event as soon as the response is complete; 4.x
 * ignores the property). A handler with only (event, responseStream) gets a third parameter, `context`
 * (or `ctx`, `lambdaContext` when that name is in use inside it); in TypeScript with typed parameters it is
 * typed `Context` from aws-lambda, added to an existing aws-lambda type import when there is one. The flag
 * is module-wide for the rule, so the edit covers every handler or none: a handler whose context is
 * destructured, whose body is an expression, or that takes a rest parameter leaves it to the user.
 */
export const eventLoopKeepsInvocationAliveFixer = defineCodeFixer(eventLoopKeepsInvocationAlive, (problem, facts) => {
  const handlers = [...new Set(problem.payload.handlers.map((f) => f.fn))];
  if (handlers.length === 0) return null;
  if (facts.streamifyCalls.some((call) => !facts.functions.some((f) => f.streamifyCall === call))) {
    return { suggestion: 'A streamifyResponse() call wraps a function this module cannot see: set `context.callbackWaitsForEmptyEventLoop = false` at the top of every streamified handler, by hand.' };
  }
  const edits: TextEdit[] = [];
  let contextType: { name: string; edits: TextEdit[] } | null | undefined;
  for (const fn of handlers) {
    if (fn.body.type !== 'BlockStatement') return { suggestion: 'A streamified handler has an expression body: give it a block body that starts with `context.callbackWaitsForEmptyEventLoop = false`, by hand.' };
    if (fn.params.some((p: Node) => p.type === 'RestElement') || fn.params.length < 2) {
      return { suggestion: 'A streamified handler takes a rest parameter or no stream: set `context.callbackWaitsForEmptyEventLoop = false` in it by hand.' };
    }
    let context: string;
    const third = fn.params[2];
    if (third) {
      const param = third.type === 'AssignmentPattern' ? third.left : third;
      if (param.type !== 'Identifier') return { suggestion: 'A streamified handler destructures its context: take it whole and set `callbackWaitsForEmptyEventLoop = false` on it, by hand.' };
      context = param.name;
    } else {
      const name = ['context', 'ctx', 'lambdaContext'].find((n) => !declaredNames(fn).has(n) && !mentions(fn.body, new Set([n])));
      if (!name) return null;
      context = name;
      const last = fn.params[fn.params.length - 1];
      let annotation = '';
      if (last.typeAnnotation) {
        contextType ??= contextTypeName(facts);
        if (!contextType) return { suggestion: 'Add a typed `context` parameter to the handler and set `context.callbackWaitsForEmptyEventLoop = false`, by hand.' };
        annotation = `: ${contextType.name}`;
      }
      edits.push({ start: last.end, end: last.end, text: `, ${name}${annotation}` });
    }
    // First statement, after a "use strict" prologue if there is one.
    const statements: Node[] = fn.body.body;
    const directives = statements.filter((s, i) => s.directive && statements.slice(0, i).every((t) => t.directive));
    const code = `${context}.callbackWaitsForEmptyEventLoop = false`;
    const style = styleOf(facts);
    edits.push(
      directives.length > 0
        ? style.after(directives[directives.length - 1], [code])
        : statements.length > 0
          ? style.before(statements[0], [code])
          : emptyBody(facts, fn, code),
    );
  }
  if (contextType) edits.push(...contextType.edits);
  return {
    title: `set context.callbackWaitsForEmptyEventLoop = false at the top of the streamified handler${handlers.length > 1 ? 's' : ''} (nodejs18.x-22.x then stop waiting for module-scope handles)`,
    edits,
  };
});

function emptyBody(facts: ModuleFacts, fn: FunctionNode, code: string): TextEdit {
  const style = styleOf(facts);
  return { start: fn.body.start + 1, end: fn.body.end - 1, text: ` ${code}${style.semi || ';'} ` };
}

/**
 * The name of aws-lambda's `Context` type here: already imported, added to an existing
 * `import type { … } from "aws-lambda"`, or written inline as `import("aws-lambda").Context`.
 */
function contextTypeName(facts: ModuleFacts): { name: string; edits: TextEdit[] } | null {
  for (const statement of facts.program.body as Node[]) {
    if (statement.type !== 'ImportDeclaration' || statement.source?.value !== 'aws-lambda') continue;
    for (const spec of statement.specifiers ?? []) {
      if (spec.type === 'ImportSpecifier' && (spec.imported.name ?? spec.imported.value) === 'Context') return { name: spec.local.name, edits: [] };
    }
  }
  const typeImport = (facts.program.body as Node[]).find(
    (s) => s.type === 'ImportDeclaration' && s.source?.value === 'aws-lambda' && (s.specifiers ?? []).length > 0 && s.specifiers.every((spec: Node) => spec.type === 'ImportSpecifier'),
  );
  if (typeImport && !nameIsTaken(facts, 'Context')) {
    const prefix = typeImport.importKind === 'type' ? '' : 'type ';
    return { name: 'Context', edits: [addImportSpecifier(facts, typeImport, `${prefix}Context`)] };
  }
  const q = quoteOf(facts);
  return { name: `import(${q}aws-lambda${q}).Context`, edits: [] };
}
