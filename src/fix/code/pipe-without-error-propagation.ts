import type { TextEdit } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { pipeWithoutErrorPropagation } from '../../checks/code/pipe-without-error-propagation.js';
import type { Node } from '../../code/ast.js';
import { calleeName, isFunction, propertyName, stringValue, unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { Declined, addImportSpecifier, ancestorsOf, commentsIn, enclosingStatement, nameIsTaken, quoteOf, removeStatement, sourceOf, styleOf } from '../ast-support.js';
import { lineEndOf } from '../text.js';

/**
 * `source.pipe(stream)` in an async function -> `await pipeline(source, stream)` from node:stream/promises
 * (`a.pipe(gzip).pipe(stream)` -> `await pipeline(a, gzip, stream)`), which ends the stream on success like
 * `.pipe()` and fails the handler when the source fails instead of leaving the stream open. A wait for the
 * stream's 'finish' right after the pipe (`await new Promise((r) => stream.on("finish", r))`,
 * `await once(stream, "finish")`, `await finished(stream)`) is what pipeline() already awaits, so it is
 * removed: left in place it would wait for an event that has already fired. A promise that only pipes
 * and resolves on 'finish' (`new Promise((r) => { source.pipe(stream); stream.on("finish", r); })`) becomes
 * `pipeline(source, stream)` itself (comments inside it move to the end of its statement). Declined
 * (suggestion) elsewhere in a function that is not async, when the pipe's value is used, when other code
 * listens for the stream's 'finish' or 'close', or when the name `pipeline` is taken by something else.
 * The result still fails on a network source, more cheaply: pipeline-source-error-crashes then reports it,
 * with the loop that makes it fail cleanly (declared in `leaves`).
 */
export const pipeWithoutErrorPropagationFixer = defineCodeFixer(pipeWithoutErrorPropagation, (problem, facts) => {
  // A hand-rolled relay lives in a request callback: rewriting it into pipeline() changes the control flow.
  if (!problem.payload) return null;
  const call = problem.payload.call;
  const chain = ancestorsOf(facts.program, call);
  const statement = chain[chain.length - 2];
  if (statement?.type !== 'ExpressionStatement' || unwrap(statement.expression) !== call) {
    return { suggestion: 'The value of .pipe() is used: replace it with `await pipeline(source, stream)` by hand.' };
  }
  let fnIndex = chain.length - 3;
  while (fnIndex >= 0 && !isFunction(chain[fnIndex])) fnIndex--;
  const fn = chain[fnIndex];
  const dest = unwrap(call.arguments[0]);
  if (!fn || !dest || dest.type !== 'Identifier' || call.arguments.length !== 1) return null;
  // a.pipe(b).pipe(c).pipe(stream) -> pipeline(a, b, c, stream)
  const streams: Node[] = [call.arguments[0]];
  let source = unwrap(unwrap(call.callee)!.object);
  while (source?.type === 'CallExpression' && isPipe(source)) {
    streams.unshift(source.arguments[0]);
    source = unwrap(unwrap(source.callee)!.object);
  }
  if (!source) return null;
  streams.unshift(source);
  const args = streams.map((s) => sourceOf(facts, s)).join(', ');
  if (!fn.async) {
    const promise = chain[fnIndex - 1];
    if (promise && isPipeAndFinishExecutor(promise, fn, statement, dest.name)) {
      // Comments inside the promise move to the end of the statement that holds it.
      const comments = wholeLineComments(facts, promise.start, promise.end);
      const holderOfPromise = enclosingStatement(facts, promise);
      const afterHolder = holderOfPromise ? facts.text.slice(holderOfPromise.statement.end, lineEndOf(facts.text, holderOfPromise.statement.end)) : '';
      if (!comments || (comments.length > 0 && (!holderOfPromise || !/^\s*(\/[/*].*)?$/.test(afterHolder)))) {
        return { suggestion: `Replace the \`new Promise\` that pipes into \`${dest.name}\` and waits for 'finish' with \`pipeline(${args})\` from node:stream/promises, by hand.` };
      }
      const imported = namedImport(facts, 'pipeline', 'node:stream/promises');
      if (!imported) return { suggestion: 'The name `pipeline` is taken: import pipeline from node:stream/promises under another name, by hand.' };
      const edits: TextEdit[] = [{ start: promise.start, end: promise.end, text: `${imported.local}(${args})` }, ...imported.edits];
      if (comments.length > 0) {
        const end = holderOfPromise!.statement.end;
        edits.push({ start: end, end, text: ` ${comments.join(' ')}` });
      }
      return {
        title: `replace the promise that pipes into ${dest.name} and waits for 'finish' with ${imported.local}(…) from node:stream/promises (it also rejects when the source fails)`,
        edits,
      };
    }
    return {
      suggestion: 'The pipe runs in a function that is not async: make it async and `await pipeline(source, …, stream)` there (and have its callers await it), by hand.',
    };
  }

  const holder = enclosingStatement(facts, statement);
  const siblings: Node[] = holder?.parent.type === 'SwitchCase' ? holder.parent.consequent : (holder?.parent.body ?? []);
  const next = siblings[siblings.indexOf(statement) + 1];
  const wait = next && isFinishWait(next, dest.name) ? next : null;
  const rest = facts.code.slice(statement.end, wait ? wait.start : fn.body.end) + (wait ? facts.code.slice(wait.end, fn.body.end) : '');
  if (/(['"`])(?:finish|close)\1/.test(rest)) {
    return { suggestion: `Other code waits for \`${dest.name}\`'s 'finish' or 'close': replace the pipe with \`await pipeline(...)\` and drop those waits by hand.` };
  }
  const imported = namedImport(facts, 'pipeline', 'node:stream/promises');
  if (!imported) return { suggestion: 'The name `pipeline` is taken (or the module kind is unclear): import pipeline from node:stream/promises under another name and await it, by hand.' };
  const edits: TextEdit[] = [{ start: call.start, end: call.end, text: `await ${imported.local}(${args})` }, ...imported.edits];
  if (wait) {
    try {
      edits.push(removeStatement(facts, wait, { keepComment: true }));
    } catch (error) {
      if (!(error instanceof Declined)) throw error;
      return { suggestion: `Replace .pipe(${dest.name}) with \`await pipeline(...)\` from node:stream/promises and drop the wait for 'finish' after it (${error.message}), by hand.` };
    }
  }
  return {
    title: `replace .pipe(${dest.name}) with await ${imported.local}(…) from node:stream/promises${wait ? ` (it waits for 'finish' itself)` : ''}`,
    edits,
  };
}, {
  leaves: [
    {
      ruleId: 'pipeline-source-error-crashes',
      why: 'pipeline() ends the response when the source fails, by making the runtime exit (a truncated response, at once); .pipe() left it open until the function timeout, holding concurrency: the lesser failure stays reported',
    },
  ],
});

/**
 * `new Promise((resolve) => { source.pipe(stream); stream.on("finish", resolve); })` (the two statements
 * in either order, nothing else): a promise that is exactly what pipeline() returns, minus the rejection.
 */
function isPipeAndFinishExecutor(promise: Node, executor: Node, pipeStatement: Node, stream: string): boolean {
  if (promise.type !== 'NewExpression' || unwrap(promise.callee)?.type !== 'Identifier' || unwrap(promise.callee)!.name !== 'Promise') return false;
  if (unwrap(promise.arguments[0]) !== executor || promise.arguments.length !== 1) return false;
  const resolve = executor.params[0];
  if (resolve?.type !== 'Identifier' || executor.body.type !== 'BlockStatement' || executor.body.body.length !== 2) return false;
  const other = executor.body.body.find((s: Node) => s !== pipeStatement);
  if (!other || !executor.body.body.includes(pipeStatement) || other.type !== 'ExpressionStatement') return false;
  const listen = unwrap(other.expression);
  const callee = listen?.type === 'CallExpression' ? unwrap(listen.callee) : null;
  return (
    callee?.type === 'MemberExpression' &&
    unwrap(callee.object)?.type === 'Identifier' &&
    unwrap(callee.object)!.name === stream &&
    ['on', 'once'].includes(propertyName(callee) ?? '') &&
    stringValue(listen!.arguments[0]) === 'finish' &&
    unwrap(listen!.arguments[1])?.type === 'Identifier' &&
    unwrap(listen!.arguments[1])!.name === resolve.name
  );
}

function isPipe(call: Node): boolean {
  const callee = unwrap(call.callee);
  return callee?.type === 'MemberExpression' && !callee.computed && propertyName(callee) === 'pipe' && call.arguments.length === 1 && call.arguments[0].type !== 'SpreadElement';
}

/** `await new Promise((r) => s.on("finish", r))`, `await once(s, "finish")`, `await finished(s)`, value unused. */
function isFinishWait(statement: Node, stream: string): boolean {
  if (statement.type !== 'ExpressionStatement') return false;
  const awaited = unwrap(statement.expression);
  if (awaited?.type !== 'AwaitExpression') return false;
  const value = unwrap(awaited.argument);
  if (!value) return false;
  const isStream = (n: Node | undefined) => unwrap(n)?.type === 'Identifier' && unwrap(n)!.name === stream;
  if (value.type === 'CallExpression') {
    const name = calleeName(value);
    if (name === 'once') return value.arguments.length === 2 && isStream(value.arguments[0]) && stringValue(value.arguments[1]) === 'finish';
    if (name === 'finished') return value.arguments.length === 1 && isStream(value.arguments[0]);
    return false;
  }
  if (value.type !== 'NewExpression' || unwrap(value.callee)?.type !== 'Identifier' || unwrap(value.callee)!.name !== 'Promise') return false;
  const executor = unwrap(value.arguments[0]);
  if (!executor || !isFunction(executor) || executor.params[0]?.type !== 'Identifier') return false;
  const resolve = executor.params[0].name;
  let body = executor.body;
  if (body.type === 'BlockStatement') {
    if (body.body.length !== 1 || body.body[0].type !== 'ExpressionStatement') return false;
    body = body.body[0].expression;
  }
  const listen = unwrap(body);
  const callee = listen?.type === 'CallExpression' ? unwrap(listen.callee) : null;
  return (
    !!listen &&
    callee?.type === 'MemberExpression' &&
    isStream(callee.object) &&
    ['on', 'once'].includes(propertyName(callee) ?? '') &&
    stringValue(listen.arguments[0]) === 'finish' &&
    unwrap(listen.arguments[1])?.type === 'Identifier' &&
    unwrap(listen.arguments[1])!.name === resolve
  );
}

/**
 * The local name of `name` imported from `source` (`node:x` or `x`), adding the import when the module has
 * none: to an existing import of that module, else after the last import (ES modules) or as a
 * `const { name } = require(...)` (CommonJS). Null when the name is already used for something else, or
 * the module kind cannot be told (a .js file with neither imports, exports nor require).
 */
export function namedImport(facts: ModuleFacts, name: string, source: string): { local: string; edits: TextEdit[] } | null {
  const sources = [source, source.replace(/^node:/, '')];
  const body = facts.program.body as Node[];
  let sameModule: Node | null = null;
  for (const statement of body) {
    if (statement.type === 'ImportDeclaration' && sources.includes(statement.source?.value) && statement.importKind !== 'type') {
      for (const spec of statement.specifiers ?? []) {
        if (spec.type === 'ImportSpecifier' && (spec.imported.name ?? spec.imported.value) === name && spec.importKind !== 'type') return { local: spec.local.name, edits: [] };
      }
      if ((statement.specifiers ?? []).some((s: Node) => s.type === 'ImportSpecifier') && !(statement.specifiers ?? []).some((s: Node) => s.type === 'ImportNamespaceSpecifier')) sameModule = statement;
    }
    if (statement.type === 'VariableDeclaration') {
      for (const d of statement.declarations) {
        const init = unwrap(d.init);
        if (init?.type !== 'CallExpression' || calleeName(init) !== 'require' || !sources.includes(stringValue(init.arguments[0]) ?? '') || d.id.type !== 'ObjectPattern') continue;
        for (const p of d.id.properties) {
          if (p.type === 'Property' && !p.computed && (p.key.name ?? p.key.value) === name && p.value.type === 'Identifier') return { local: p.value.name, edits: [] };
        }
      }
    }
  }
  if (nameIsTaken(facts, name)) return null;
  const q = quoteOf(facts);
  const style = styleOf(facts);
  if (sameModule) return { local: name, edits: [addImportSpecifier(facts, sameModule, name)] };
  const imports = body.filter((s) => s.type === 'ImportDeclaration');
  const isEsm = imports.length > 0 || body.some((s) => /^Export/.test(s.type)) || /\.(mjs|mts|ts|tsx)$/.test(facts.file);
  if (isEsm) {
    const code = `import { ${name} } from ${q}${source}${q}`;
    return { local: name, edits: [imports.length > 0 ? style.after(imports[imports.length - 1], [code]) : style.before(firstStatement(body)!, [code])] };
  }
  const requires = body.filter((s) => s.type === 'VariableDeclaration' && s.declarations.some((d: Node) => unwrap(d.init)?.type === 'CallExpression' && calleeName(unwrap(d.init)!) === 'require'));
  if (!/\.(cjs|cts)$/.test(facts.file) && requires.length === 0 && !/\b(?:module\.)?exports\b/.test(facts.code)) return null;
  const code = `const { ${name} } = require(${q}${source}${q})`;
  const first = firstStatement(body);
  if (!first) return null;
  return { local: name, edits: [requires.length > 0 ? style.after(requires[requires.length - 1], [code]) : first.directive ? style.after(first, [code]) : style.before(first, [code])] };
}

function firstStatement(body: Node[]): Node | undefined {
  return body[0];
}

/** The comments between two offsets, as written; null when one spans lines (it cannot be moved as is). */
function wholeLineComments(facts: ModuleFacts, start: number, end: number): string[] | null {
  const comments = commentsIn(facts, start, end).map((c) => facts.text.slice(c.start, c.end));
  return comments.some((c) => c.includes('\n')) ? null : comments;
}
