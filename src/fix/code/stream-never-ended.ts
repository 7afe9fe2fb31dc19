import type { ProposedFix, TextEdit } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import type { Node } from '../../code/ast.js';
import { isFromCall } from '../../code/stream-flow.js';
import { isFunction, mentions, patternNames, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts, StreamFunctionFacts } from '../../code/facts.js';
import { buildModuleFacts, syntaxErrorCount } from '../../code/facts.js';
import { codeRules } from '../../checks/code/index.js';
import { streamNeverEnded } from '../../checks/code/stream-never-ended.js';
import { streamCallsOf } from '../../code/rule-support.js';
import { analysisOf, validate } from '../engine.js';
import { Declined, ancestorsOf, enclosingStatement, isPropertyName, quoteOf, removeStatement, sourceOf, styleOf } from '../ast-support.js';
import { applyEdits, indentationAt, lineStartOf, overlaps, reindent } from '../text.js';

/**
 * Ends the stream on the path the rule proved unended, where that path leaves:
 * - an early `return` (`return;` or a value without side effects): `stream.end()` just before it;
 * - a catch block that swallows the error: the error is rethrown, so the runtime ends the stream with
 *   error trailers (behaviour e) instead of hanging; only when no path into the catch had already ended
 *   the stream (an error after the response was complete stays swallowed);
 * - an `if` without `else` whose branch ends the stream: the missing `else`. When that branch is also
 *   where the metadata is set (`if (body) { const w = from(s, meta); …; w.end() }`), from() moves before
 *   the `if` when it is the branch's first statement (`else { w.write(""); w.end(); }`), else the `else`
 *   repeats that from() call before `write("")` and `end()`: a bodyless response keeps its status and headers;
 * - the end of the handler: `stream.end()` as its last statement (a second bare end() is a no-op).
 * What the path did with the prelude decides the statement: a path that only set metadata gets a
 * `write("")` right after its from() (as prelude-not-flushed's fixer does), a path that never set it in a
 * handler that does elsewhere is left to the user, and so is a handler that also hands the stream to a
 * callback, a listener or unknown code (the analysis does not report those paths, but they may share the
 * way out). Candidates are tried in that order and the first one that re-analyses clean is proposed (the
 * engine validates it again).
 */
export const streamNeverEndedFixer = defineCodeFixer(streamNeverEnded, (problem, facts) => {
  const { fn, exit } = problem.payload;
  if (!exit) {
    return {
      suggestion:
        'The handler never takes the stream: whether it should stream (take responseStream and write its result to it) or be buffered (drop streamifyResponse and its streaming URL) is a design choice left to you.',
    };
  }
  if (fn.streamParam === null) return { suggestion: 'The stream parameter is destructured or missing: end the stream on this path by hand.' };
  // Paths on which a callback, a listener or unknown code holds the stream are not reported, but they can
  // reach the same way out: an end() added there could cut them off. Such handlers are left to the user.
  const escape = escapeOf(facts);
  if (escape) {
    return { suggestion: `The stream is also handed to code that may use it later (\`${sourceOf(facts, escape).replace(/\s+/g, ' ').slice(0, 60)}\`): end it on this path by hand, where that code cannot still be writing.` };
  }
  const candidates: ProposedFix[] = [];
  const why: string[] = [];
  const branch = exit.state.branch;
  if (exit.at.type === 'ReturnStatement') {
    candidates.push(...endBeforeReturn(facts, fn, exit.at, why));
  } else if (fn.fn.body.type === 'BlockStatement' && exit.at.start === fn.fn.body.end - 1) {
    if (branch?.node.type === 'CatchClause') candidates.push(...rethrowFromCatch(facts, branch.node, why));
    if (branch?.node.type === 'IfStatement' && !branch.node.alternate && !branch.taken) candidates.push(...addElse(facts, fn, branch.node, why));
    candidates.push(...endAtBodyEnd(facts, fn, why));
  } else {
    return { suggestion: 'The handler is an expression-bodied arrow: end the stream in the expression it returns, by hand.' };
  }
  if (candidates.length === 0) return { suggestion: [...new Set(why)].join(' ') || 'End the stream on this path by hand.' };
  return candidates.find((candidate) => acceptable(facts, streamNeverEnded.meta.id, candidate.edits)) ?? candidates[0];
});

const NO_NAME = 'No variable that holds the response stream is in scope there: end the stream on this path by hand.';

function declined(why: string[], reason: string): [] {
  why.push(reason);
  return [];
}

// ---- the ways out --------------------------------------------------------------------------------

function endBeforeReturn(facts: ModuleFacts, fn: StreamFunctionFacts, ret: Node, why: string[]): ProposedFix[] {
  if (ret.argument && !isInert(ret.argument)) return declined(why, 'The return value is computed by a call: end the stream before or after computing it, by hand.');
  const name = streamNameAt(facts, ret);
  if (!name) return declined(why, NO_NAME);
  const holder = enclosingStatement(facts, ret);
  const style = styleOf(facts);
  // `if (x) return;` -> `if (x) { s.end(); return; }` (only `return` and its value move into the braces)
  const core = ret.argument ? ret.argument.end : ret.start + 'return'.length;
  const coreEnd = facts.text[core] === ';' ? core + 1 : core;
  const place: Place =
    holder?.statement === ret
      ? (statements) => style.before(ret, statements)
      : (statements) => ({ start: ret.start, end: coreEnd, text: `{ ${[...statements, facts.text.slice(ret.start, core)].map((s) => `${s};`).join(' ')} }` });
  return endWith(facts, fn, name, place, 'end the stream before this return', why);
}

function addElse(facts: ModuleFacts, fn: StreamFunctionFacts, ifNode: Node, why: string[]): ProposedFix[] {
  const consequent = ifNode.consequent;
  const owner = ownerOf(facts, ifNode);
  if (owner && owner !== fn.fn && isExported(facts, owner)) {
    // other modules that call it may end the stream themselves, or write after it
    return declined(why, 'The branch is in an exported helper: end the stream where the handler calls it, or in the helper if every caller expects that, by hand.');
  }
  const style = styleOf(facts);
  const multiline = consequent.type === 'BlockStatement' && facts.text.slice(consequent.start, consequent.end).includes('\n');
  const indent = indentationAt(facts.text, ifNode.start);
  const closed = /[;}]$/.test(sourceOf(facts, consequent)) ? '' : ';';
  const place: Place = (statements) => ({
    start: consequent.end,
    end: consequent.end,
    text: multiline
      ? ` else {${statements.map((s) => `${style.nl}${indent}${style.unit}${s}${style.semi}`).join('')}${style.nl}${indent}}`
      : statements.length === 1 && consequent.type !== 'BlockStatement'
        ? `${closed} else ${statements[0]};`
        : `${closed} else { ${statements.map((s) => `${s};`).join(' ')} }`,
  });
  const candidates: ProposedFix[] = [];
  const hoisted = hoistFrom(facts, ifNode, place);
  if (hoisted) candidates.push(hoisted);
  // The branch that ends the stream also sets the metadata: the else sends the same, without a body.
  const template = facts.fromCalls.find((call) => call.start > consequent.start && call.end < consequent.end && enclosingStatement(facts, call)?.parent === consequent);
  const from = template && fromTemplate(facts, template, ifNode);
  const name = from?.stream ?? streamNameAt(facts, ifNode, false, consequent);
  if (!name) return candidates;
  return [...candidates, ...endWith(facts, fn, name, place, 'add the missing else branch that ends the stream', why, from ?? undefined)];
}

/**
 * `if (body) { const w = from(s, meta); …; w.end(); }` -> from() moved before the `if` (metadata-skipped-on-path's
 * fix: set it unconditionally) and `else { w.write(""); w.end(); }`. Only when from() is the branch's first
 * statement, the test has no side effects, and everything the metadata reads is in scope before the `if`.
 */
function hoistFrom(facts: ModuleFacts, ifNode: Node, place: Place): ProposedFix | null {
  const consequent = ifNode.consequent;
  const holder = enclosingStatement(facts, ifNode);
  if (consequent.type !== 'BlockStatement' || !isInert(ifNode.test) || holder?.statement !== ifNode) return null;
  if (!['BlockStatement', 'Program', 'StaticBlock'].includes(holder.parent.type)) return null;
  const first: Node | undefined = consequent.body[0];
  if (!first) return null;
  let call: Node | null = null;
  let stream: string | null = null;
  let moved = '';
  let remove: TextEdit | null = null;
  if (first.type === 'VariableDeclaration' && first.kind !== 'var') {
    const d = first.declarations[0];
    const init = unwrap(d.init);
    if (d.id.type !== 'Identifier' || !init || init.type !== 'CallExpression' || !isFromCall(init)) return null;
    // The name moves out of the branch: nothing else of that name may be in scope or used around it.
    if (bindingOf(facts, d.id.name, ifNode) !== null || referencedOutside(holder.parent, ifNode, d.id.name)) return null;
    call = init;
    stream = d.id.name;
    moved = `${first.kind} ${sourceOf(facts, d)}`;
    remove = first.declarations.length === 1 ? removedOrNull(facts, first) : { start: first.start, end: first.declarations[1].start, text: `${first.kind} ` };
  } else if (first.type === 'ExpressionStatement') {
    const expr = unwrap(first.expression);
    const value = expr?.type === 'AssignmentExpression' && expr.operator === '=' && expr.left.type === 'Identifier' ? unwrap(expr.right) : expr;
    if (!expr || !value || value.type !== 'CallExpression' || !isFromCall(value)) return null;
    const target = unwrap(value.arguments[0]);
    stream = expr === value ? (target?.type === 'Identifier' ? target.name : null) : expr.left.name;
    call = value;
    moved = sourceOf(facts, expr);
    remove = removedOrNull(facts, first);
  }
  if (!call || !stream || !remove || !fromTemplate(facts, call, ifNode)) return null;
  const style = styleOf(facts);
  const indent = indentationAt(facts.text, ifNode.start);
  const q = quoteOf(facts);
  const insert = style.before(ifNode, [reindent(moved, indentationAt(facts.text, first.start), indent)]);
  return {
    title: 'call HttpResponseStream.from() before the if, and add the missing else branch that sends the prelude and ends the stream',
    edits: [insert, remove, place([`${stream}.write(${q}${q})`, `${stream}.end()`])],
  };
}

/** removeStatement() (its line comment stays where it was: the statement moves), or null where it declines. */
function removedOrNull(facts: ModuleFacts, statement: Node): TextEdit | null {
  try {
    return removeStatement(facts, statement, { keepComment: true });
  } catch (error) {
    if (error instanceof Declined) return null;
    throw error;
  }
}

function referencedOutside(scope: Node, except: Node, name: string): boolean {
  let found = false;
  walk(scope, (node, parent) => {
    if (found || node === except) return false;
    if (node.type === 'Identifier' && node.name === name && !isPropertyName(node, parent)) found = true;
    return true;
  });
  return found;
}

function endAtBodyEnd(facts: ModuleFacts, fn: StreamFunctionFacts, why: string[]): ProposedFix[] {
  const last = fn.fn.body.body.at(-1);
  if (!last || ['ReturnStatement', 'ThrowStatement'].includes(last.type)) return [];
  const name = streamNameAt(facts, last, true);
  if (!name) return declined(why, NO_NAME);
  const place: Place = (statements) => styleOf(facts).after(last, statements);
  return endWith(facts, fn, name, place, `end the stream at the end of \`${fn.name}\``, why);
}

function rethrowFromCatch(facts: ModuleFacts, clause: Node, why: string[]): ProposedFix[] {
  const body = clause.body;
  const lastStatement = body.body.at(-1);
  if (lastStatement && ['ReturnStatement', 'ThrowStatement', 'BreakStatement', 'ContinueStatement'].includes(lastStatement.type)) return [];
  if (clause.param && clause.param.type !== 'Identifier') return [];
  const edits: TextEdit[] = [];
  let param = clause.param?.name as string | undefined;
  if (!param) {
    param = ['error', 'err', 'caught', 'e'].find((n) => !mentions(body, new Set([n])));
    if (!param || facts.text.slice(clause.start, clause.start + 5) !== 'catch') return [];
    edits.push({ start: clause.start + 5, end: body.start, text: ` (${param}) ` });
  }
  const style = styleOf(facts);
  const statement = `throw ${param}${style.semi}`;
  let insert: TextEdit;
  if (lastStatement) {
    insert = style.after(lastStatement, [`throw ${param}`]);
  } else if (!facts.text.slice(body.start, body.end).includes('\n')) {
    insert = { start: body.end - 1, end: body.end - 1, text: `${facts.text[body.end - 2] === '{' ? ' ' : ''}${statement} ` };
  } else {
    const lineStart = lineStartOf(facts.text, body.end - 1);
    if (facts.text.slice(lineStart, body.end - 1).trim() !== '') return [];
    insert = { start: lineStart, end: lineStart, text: `${indentationAt(facts.text, clause.start)}${style.unit}${statement}${style.nl}` };
  }
  // Only when no path into the catch had ended the stream: an error after a complete response was
  // swallowed on purpose. A write("") probe at the end of the catch shows such paths (write after end).
  const name = streamNameAt(facts, lastStatement ?? body, lastStatement !== undefined);
  if (!name) return [];
  const q = quoteOf(facts);
  const probeText = `${name}.write(${q}${q})`;
  const probe: TextEdit = lastStatement
    ? { start: lastStatement.end, end: lastStatement.end, text: `;${probeText};` }
    : { start: body.start + 1, end: body.start + 1, text: `${probeText};` };
  const probed = analyseProbe(facts, probe, probe.start + probe.text.indexOf(probeText));
  if (!probed || probed.kinds.has('output-after-end')) {
    return declined(why, 'Some paths into the catch block had already ended the stream (their error came after the response): end it only on the others, by hand.');
  }
  return [{ title: `rethrow the error the catch block swallows (the runtime then ends the stream with error trailers instead of hanging)`, edits: [...edits, insert] }];
}

// ---- ending the stream, with what the path still owes the prelude -------------------------------

/** Builds the single edit that puts these statements at the way out. */
type Place = (statements: string[]) => TextEdit;

interface FromTemplate {
  /** The from() call as written, evaluated again on the new path. */
  call: string;
  stream: string;
}

/**
 * The candidates that end the stream as `name` at the place: a probe `end()` there shows whether some
 * path reaching it set metadata and wrote nothing (pending: write("") after that from()) or set none
 * (then the metadata of the branch that does, or nothing when the handler never sets any).
 */
function endWith(facts: ModuleFacts, fn: StreamFunctionFacts, name: string, place: Place, title: string, why: string[], template?: FromTemplate): ProposedFix[] {
  const endCall = `${name}.end()`;
  const probeEdit = place([endCall]);
  const probed = analyseProbe(facts, probeEdit, probeEdit.start + probeEdit.text.indexOf(endCall));
  if (!probed) return [];
  const q = quoteOf(facts);
  const write = `${name}.write(${q}${q})`;
  const pending = probed.kinds.has('end-without-flush');
  const none = probed.kinds.has('end-without-metadata');
  if (pending && none) return declined(why, 'Some paths reaching this point set the metadata and others never did: end the stream with the right status on each, by hand.');
  if (none) {
    if (template) {
      return [{ title: `${title} (with the metadata its other branch sends, and no body)`, edits: [place([template.call, `${template.stream}.write(${q}${q})`, `${template.stream}.end()`])] }];
    }
    if (fn.flow.fromCalls.length > 0) {
      return declined(why, 'This path never called HttpResponseStream.from(): call it with the status this response should have, then write("") and end(), by hand.');
    }
    return [{ title, edits: [probeEdit] }];
  }
  if (pending) {
    const candidates: ProposedFix[] = [];
    const from = probed.from !== null ? facts.fromCalls.find((call) => call.start === probed.from) : undefined;
    const flush = from && writeAfterFrom(facts, from);
    if (flush && !overlaps(flush, probeEdit)) candidates.push({ title: `${title}, and send the prelude right after HttpResponseStream.from()`, edits: [flush, probeEdit] });
    candidates.push({ title: `${title} (after write("") to send the prelude)`, edits: [place([write, endCall])] });
    return candidates;
  }
  return [{ title, edits: [probeEdit] }];
}

/** `write("")` after the statement holding `HttpResponseStream.from(stream, …)` (stream a plain variable). */
function writeAfterFrom(facts: ModuleFacts, from: Node): TextEdit | null {
  const stream = unwrap(from.arguments?.[0]);
  if (!stream || stream.type !== 'Identifier') return null;
  const holder = enclosingStatement(facts, from);
  if (!holder || holder.statement.type === 'ReturnStatement') return null;
  // the name from()'s result gets (`const w = from(s, …)`, `w = from(s, …)`), else the stream passed in
  const statement = holder.statement;
  const declarator = statement.type === 'VariableDeclaration' ? statement.declarations.find((d: Node) => unwrap(d.init) === from) : null;
  const assigned = statement.type === 'ExpressionStatement' ? unwrap(statement.expression) : null;
  const name =
    declarator?.id.type === 'Identifier'
      ? declarator.id.name
      : assigned?.type === 'AssignmentExpression' && assigned.left.type === 'Identifier' && unwrap(assigned.right) === from
        ? assigned.left.name
        : stream.name;
  const q = quoteOf(facts);
  return styleOf(facts).after(statement, [`${name}.write(${q}${q})`]);
}

/** The from() call of the other branch, when everything it reads is also in scope at the `if`. */
function fromTemplate(facts: ModuleFacts, call: Node, ifNode: Node): FromTemplate | null {
  const stream = unwrap(call.arguments[0]);
  if (!stream || stream.type !== 'Identifier' || !holdsStream(facts, stream.name, stream, ifNode)) return null;
  let portable = true;
  walk(call, (node, parent) => {
    if (!portable) return false;
    if (isFunction(node)) portable = false;
    if (node.type === 'Identifier' && !isPropertyName(node, parent)) {
      if (bindingOf(facts, node.name, node) !== bindingOf(facts, node.name, ifNode)) portable = false;
    }
    return true;
  });
  return portable ? { call: sourceOf(facts, call), stream: stream.name } : null;
}

interface Probe {
  /** Observation kinds recorded at the probe call. */
  kinds: Set<string>;
  /** For end-without-flush: the from() call's offset in the original text. */
  from: number | null;
}

/** Analyses the text with one inserted probe call and reports what the flow observed at it. */
function analyseProbe(facts: ModuleFacts, edit: TextEdit, at: number): Probe | null {
  let probed: ModuleFacts;
  try {
    probed = buildModuleFacts(facts.file, applyEdits(facts.text, [edit]));
  } catch {
    return null;
  }
  const shift = edit.text.length - (edit.end - edit.start);
  const kinds = new Set<string>();
  let from: number | null = null;
  for (const f of probed.functions) {
    for (const obs of f.flow.observations) {
      if (obs.at.start !== at) continue;
      kinds.add(obs.kind);
      if (obs.kind === 'end-without-flush' && obs.from) {
        const start = obs.from.start;
        from = start < edit.start ? start : start >= edit.start + edit.text.length ? start - shift : null;
      }
    }
  }
  return { kinds, from };
}

// ---- where the stream goes --------------------------------------------------------------------------

const ARRAY_ITERATION = new Set(['forEach', 'map', 'flatMap', 'filter', 'some', 'every', 'reduce']);
const TS_WRAPPERS = new Set(['TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'ParenthesizedExpression']);

/**
 * The first place where the response stream is handed to code that may keep it (a callback or listener,
 * an unknown function, an object), read syntactically: every reference to a variable that holds the stream
 * somewhere (a parameter or variable the stream calls, from() and pipes use) must be a method call on it,
 * from()/pipeline()/.pipe()/once() on it, a plain read or alias, or an argument to a function of this
 * module, and sit in the handler or in a function that only ever runs when called by name, as an IIFE, a
 * Promise executor or an array callback. Null when there is no such place.
 */
function escapeOf(facts: ModuleFacts): Node | null {
  const bindings = new Set<Node>();
  const names = new Set<string>();
  const note = (id: Node | null) => {
    if (id?.type !== 'Identifier') return;
    const binding = bindingOf(facts, id.name, id);
    if (binding) {
      bindings.add(binding);
      names.add(id.name);
    }
  };
  for (const { call } of streamCallsOf(facts)) {
    const callee = unwrap(call.call.callee);
    if (callee?.type === 'MemberExpression') note(unwrap(callee.object));
  }
  for (const call of facts.fromCalls) note(unwrap(call.arguments?.[0]));
  for (const f of facts.functions) {
    const param = f.fn.params.find((p: Node) => p.type === 'Identifier' && p.name === f.streamParam);
    if (param) {
      bindings.add(f.fn);
      names.add(param.name);
    }
  }
  let escape: Node | null = null;
  walk(facts.program, (node, parent) => {
    if (escape) return false;
    if (node.type !== 'Identifier' || !names.has(node.name) || !parent || isPropertyName(node, parent)) return true;
    if (parent.type === 'VariableDeclarator' && parent.id === node) return true;
    if (isFunction(parent) && parent.params.includes(node)) return true;
    if (!bindings.has(bindingOf(facts, node.name, node) as Node)) return true;
    const chain = ancestorsOf(facts.program, node);
    let at = chain.length - 1; // through `s as T`, `s!`
    while (at > 1 && TS_WRAPPERS.has(chain[at - 1].type)) at--;
    escape = safeUse(facts, chain[at], chain[at - 1], chain[at - 2]) ? laterFunction(facts, chain) : chain[at - 1];
    return true;
  });
  return escape;
}

/** A use that keeps the stream where the analysis sees it. */
function safeUse(facts: ModuleFacts, node: Node, parent: Node, grandparent: Node | undefined): boolean {
  if (parent.type === 'MemberExpression' && parent.object === node) {
    // s.write(…), s.end(), s.writableEnded: a method call or property read (not a computed call)
    return !(parent.computed && grandparent?.type === 'CallExpression' && grandparent.callee === parent);
  }
  if (parent.type === 'AssignmentExpression') return parent.left === node || parent.left.type === 'Identifier';
  if (parent.type === 'VariableDeclarator' || parent.type === 'AwaitExpression' || parent.type === 'UnaryExpression' || parent.type === 'IfStatement') return true;
  if (parent.type === 'ConditionalExpression' || parent.type === 'LogicalExpression' || parent.type === 'BinaryExpression' || parent.type === 'ReturnStatement') return true;
  if (parent.type === 'CallExpression' && parent.callee !== node) {
    if (isFromCall(parent) && parent.arguments[0] === node) return true;
    const callee = unwrap(parent.callee);
    const name = callee?.type === 'Identifier' ? callee.name : callee?.type === 'MemberExpression' && !callee.computed ? callee.property.name : null;
    if (name === 'pipeline' && parent.arguments[parent.arguments.length - 1] === node) return true;
    if (name === 'pipe' && parent.arguments[0] === node) return true;
    if (name === 'once' || name === 'finished') return true;
    if (callee?.type === 'MemberExpression' && unwrap(callee.object)?.type === 'Identifier' && unwrap(callee.object)!.name === 'console') return true;
    // a function of this module: the analysis follows the stream into it
    return callee?.type === 'Identifier' && !!facts.lookupFunction(callee.name, parent);
  }
  return false;
}

/** The innermost function around the node that may run later (not the handler, not run in place or called by name). */
function laterFunction(facts: ModuleFacts, chain: Node[]): Node | null {
  const handlers = new Set(facts.functions.filter((f) => f.role === 'handler').map((f) => f.fn as Node));
  for (let i = chain.length - 2; i >= 0; i--) {
    const fn = chain[i];
    if (!isFunction(fn) || handlers.has(fn)) continue;
    const parent = chain[i - 1];
    if (parent?.type === 'CallExpression' && unwrap(parent.callee) === fn) continue; // IIFE
    if (parent?.type === 'NewExpression' && unwrap(parent.callee)?.type === 'Identifier' && unwrap(parent.callee)!.name === 'Promise') continue;
    if (parent?.type === 'CallExpression' && unwrap(parent.callee)?.type === 'MemberExpression' && ARRAY_ITERATION.has(unwrap(parent.callee)!.property?.name)) continue;
    const name = fn.type === 'FunctionDeclaration' ? fn.id?.name : parent?.type === 'VariableDeclarator' && parent.id.type === 'Identifier' ? parent.id.name : null;
    if (!name || !onlyCalled(facts, name, fn)) return fn;
  }
  return null;
}

/** Every reference to the function's name is a direct call. */
function onlyCalled(facts: ModuleFacts, name: string, fn: Node): boolean {
  let ok = true;
  walk(facts.program, (n, parent) => {
    if (!ok) return false;
    if (n.type !== 'Identifier' || n.name !== name || !parent || isPropertyName(n, parent)) return true;
    if ((parent.type === 'FunctionDeclaration' || parent.type === 'VariableDeclarator') && parent.id === n) return true;
    if (parent.type === 'CallExpression' && parent.callee === n) return true;
    if (facts.lookupFunction(name, n) === fn) ok = false;
    return true;
  });
  return ok;
}

// ---- which variable holds the stream there ------------------------------------------------------

/**
 * A variable that holds the response stream at `at`: one the stream calls, from() or pipes use, bound to
 * the same declaration there, and holding the stream for its whole life (a parameter, or a const/let
 * initialised with the stream and only ever reassigned from()). The nearest use before `at` wins.
 */
export function streamNameAt(facts: ModuleFacts, at: Node, after = false, prefer?: Node): string | null {
  const uses: Node[] = [];
  for (const { call } of streamCallsOf(facts)) {
    const callee = unwrap(call.call.callee);
    const object = callee?.type === 'MemberExpression' ? unwrap(callee.object) : null;
    if (object?.type === 'Identifier') uses.push(object);
  }
  for (const call of facts.fromCalls) {
    const stream = unwrap(call.arguments?.[0]);
    if (stream?.type === 'Identifier') uses.push(stream);
  }
  // the parameters the streams arrive in
  for (const f of facts.functions) {
    const param = f.fn.params.find((p: Node) => p.type === 'Identifier' && p.name === f.streamParam);
    if (param) uses.push(param);
  }
  const point = after ? at.end : at.start;
  const preferred = (n: Node) => (prefer && n.start >= prefer.start && n.end <= prefer.end ? 0 : 1);
  uses.sort((a, b) => preferred(a) - preferred(b) || rank(a.start, point) - rank(b.start, point));
  const tried = new Set<string>();
  for (const use of uses) {
    if (tried.size >= 12) break; // the nearest few names; a bundle can use the stream thousands of times
    const key = `${use.name}@${bindingOf(facts, use.name, use)?.start ?? -1}`;
    if (tried.has(key)) continue;
    tried.add(key);
    if (holdsStream(facts, use.name, use, at, after)) return use.name;
  }
  return null;
}

function rank(offset: number, point: number): number {
  return offset <= point ? point - offset : Number.MAX_SAFE_INTEGER / 2 + offset;
}

function holdsStream(facts: ModuleFacts, name: string, use: Node, at: Node, after = false): boolean {
  const binding = bindingOf(facts, name, use);
  if (!binding || binding !== bindingOf(facts, name, at, after)) return false;
  if (isFunction(binding)) return true; // a parameter
  if (binding.type !== 'VariableDeclarator') return false;
  const init = unwrap(binding.init);
  if (!init || binding.end > (after ? at.end : at.start)) return false;
  if (!(init.type === 'Identifier' || (init.type === 'CallExpression' && isFromCall(init)))) return false;
  let reassigned = false;
  walk(facts.program, (node) => {
    if (reassigned) return false;
    if (node.type === 'AssignmentExpression' && node.left.type === 'Identifier' && node.left.name === name && bindingOf(facts, name, node.left) === binding) {
      const value = unwrap(node.right);
      if (!value || value.type !== 'CallExpression' || !isFromCall(value)) reassigned = true;
    }
    return true;
  });
  return !reassigned;
}

/**
 * The node that declares `name` where `at` is: a function (for its parameters), a VariableDeclarator,
 * a function/class declaration, an import specifier or a catch clause; null for a global.
 * `inside`: `at` is a statement whose own declarations count (a position just after it).
 */
export function bindingOf(facts: ModuleFacts, name: string, at: Node, inside = false): Node | null {
  const chain = ancestorsOf(facts.program, at);
  for (let i = chain.length - (inside ? 1 : 2); i >= 0; i--) {
    const scope = chain[i];
    const found = declaredIn(scope, name, inside && i === chain.length - 1);
    if (found) return found;
  }
  return null;
}

function declaredIn(scope: Node, name: string, self: boolean): Node | null {
  if (self) {
    // The statement itself, seen from just after it.
    return declarationsOf([scope], name);
  }
  if (isFunction(scope)) {
    if (scope.params.some((p: Node) => patternNames(p).includes(name))) return scope;
    if (scope.type === 'FunctionExpression' && scope.id?.name === name) return scope;
    let found: Node | null = null;
    walk(scope.body, (node) => {
      if (found || (node !== scope.body && isFunction(node))) return false;
      if (node.type === 'VariableDeclaration' && node.kind === 'var') found = declarationsOf([node], name);
      return true;
    });
    return found;
  }
  switch (scope.type) {
    case 'Program':
    case 'BlockStatement':
    case 'StaticBlock':
      return declarationsOf(scope.body, name);
    case 'SwitchStatement':
      return declarationsOf(scope.cases.flatMap((c: Node) => c.consequent), name);
    case 'ForStatement':
      return scope.init?.type === 'VariableDeclaration' ? declarationsOf([scope.init], name) : null;
    case 'ForInStatement':
    case 'ForOfStatement':
      return scope.left?.type === 'VariableDeclaration' ? declarationsOf([scope.left], name) : null;
    case 'CatchClause':
      return scope.param && patternNames(scope.param).includes(name) ? scope : null;
    default:
      return null;
  }
}

function declarationsOf(statements: Node[], name: string): Node | null {
  for (const raw of statements) {
    const statement = raw.type === 'ExportNamedDeclaration' || raw.type === 'ExportDefaultDeclaration' ? raw.declaration : raw;
    if (!statement) continue;
    if (statement.type === 'VariableDeclaration') {
      for (const d of statement.declarations) if (patternNames(d.id).includes(name)) return d;
    } else if ((statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') && statement.id?.name === name) {
      return statement;
    } else if (statement.type === 'ImportDeclaration') {
      for (const spec of statement.specifiers ?? []) if (spec.local?.name === name) return spec;
    }
  }
  return null;
}

/** The innermost function holding a node. */
function ownerOf(facts: ModuleFacts, node: Node): Node | null {
  const chain = ancestorsOf(facts.program, node);
  for (let i = chain.length - 2; i >= 0; i--) if (isFunction(chain[i])) return chain[i];
  return null;
}

/** A function exported from the module (declared in an export, or named in one). */
function isExported(facts: ModuleFacts, fn: Node): boolean {
  const chain = ancestorsOf(facts.program, fn);
  const [parent, grandparent, greatGrandparent] = [chain.at(-2), chain.at(-3), chain.at(-4)];
  const isExport = (n: Node | undefined) => n?.type === 'ExportNamedDeclaration' || n?.type === 'ExportDefaultDeclaration';
  if (isExport(parent) || (parent?.type === 'VariableDeclarator' && isExport(greatGrandparent))) return true;
  if (grandparent && parent?.type !== 'Program' && grandparent.type !== 'VariableDeclaration' && grandparent.type !== 'Program') return false; // not module level
  const declarator = parent;
  const name = fn.id?.name ?? (declarator?.type === 'VariableDeclarator' && declarator.id.type === 'Identifier' ? declarator.id.name : null);
  if (!name) return false;
  return (facts.program.body as Node[]).some(
    (s) =>
      (s.type === 'ExportNamedDeclaration' && (s.specifiers ?? []).some((spec: Node) => spec.local?.name === name)) ||
      (s.type === 'ExportDefaultDeclaration' && s.declaration?.type === 'Identifier' && s.declaration.name === name) ||
      (s.type === 'ExpressionStatement' && /^(module\.)?exports\b/.test(facts.text.slice(s.start, s.end)) && mentions(s, new Set([name]))),
  );
}

/** A return value that is the same whether computed before or after end(): no calls, no writes. */
function isInert(node: Node): boolean {
  let inert = true;
  walk(node, (n) => {
    if (!inert) return false;
    if (isFunction(n)) return false;
    if (['CallExpression', 'NewExpression', 'AwaitExpression', 'YieldExpression', 'AssignmentExpression', 'UpdateExpression', 'TaggedTemplateExpression'].includes(n.type)) inert = false;
    return true;
  });
  return inert;
}

/** The engine's own test (engine.ts `validate`, all code rules), run by a fixer to choose between alternatives. */
export function acceptable(facts: ModuleFacts, ruleId: string, edits: TextEdit[]): boolean {
  const verdict = validate({ rel: facts.file, text: facts.text }, analysisOf(facts, codeRules), applyEdits(facts.text, edits), ruleId, codeRules, syntaxErrorCount(facts.file, facts.text));
  return typeof verdict !== 'string';
}
