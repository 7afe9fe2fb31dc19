import type { TextEdit } from '../../model/fix.js';
import { defineCodeFixer } from '../../model/fix.js';
import { wrappedStreamifiedHandler } from '../../checks/code/wrapped-streamified-handler.js';
import type { FunctionNode, Node } from '../../code/ast.js';
import { isFunction, unwrap, walk } from '../../code/ast.js';
import { sourceOf } from '../ast-support.js';

/**
 * Puts streamifyResponse() outermost again, so the exported function carries the streaming tag the
 * runtime looks for (`Symbol.for("aws.lambda.runtime.handler.streaming")`):
 * - `wrap(streamifyResponse(fn, options))` -> `streamifyResponse(wrap(fn), options)` (the two callees swap
 *   places, so the layout stays as written);
 * - `wrap(streaming)` where `const streaming = streamifyResponse(fn)` -> `streamifyResponse(wrap(streaming))`
 *   (the export is tagged again; the inner tag is harmless).
 * The wrapper is then called in streaming mode, with (event, responseStream, context) instead of
 * (event, context, callback), so this is only done for a wrapper of this module that passes its
 * arguments through unchanged (`(fn) => (...args) => fn(...args)`); for any other (a package's tracing
 * wrapper may read `context` from the second argument) the user decides, from the wrapper's documentation.
 */
export const wrappedStreamifiedHandlerFixer = defineCodeFixer(wrappedStreamifiedHandler, (problem, facts) => {
  const { wrapper, streamify } = problem.payload;
  const callee = unwrap(wrapper.callee);
  const wrapperName = sourceOf(facts, wrapper.callee);
  const wrapperFn = callee?.type === 'Identifier' ? facts.lookupFunction(callee.name, wrapper) : null;
  if (!wrapperFn || !forwardsArguments(wrapperFn)) {
    return {
      suggestion: `Check that \`${wrapperName}\` passes (event, responseStream, context) through to the function it wraps, then make streamifyResponse outermost: \`streamifyResponse(${wrapperName}(fn))\`.`,
    };
  }
  const tag = sourceOf(facts, streamify.callee);
  const inline = wrapper.arguments.some((a: Node) => unwrap(a) === streamify);
  if (inline) {
    const fn = streamify.arguments[0];
    if (!fn || fn.type === 'SpreadElement') return null;
    const title = `move ${tag}() outside ${wrapperName}() so the exported handler carries the streaming tag`;
    const untouched = (a: number, b: number) => facts.code.slice(a, b) === facts.text.slice(a, b);
    if (wrapper.arguments.length === 1 && untouched(wrapper.callee.start, wrapper.callee.end) && untouched(streamify.callee.start, streamify.callee.end)) {
      // wrap(streamifyResponse(fn, opts)) -> streamifyResponse(wrap(fn), opts): the two callees swap places
      // (the layout stays as written); options move from the inner call to just after it.
      const edits: TextEdit[] = [
        { start: wrapper.callee.start, end: wrapper.callee.end, text: tag },
        { start: streamify.callee.start, end: streamify.callee.end, text: wrapperName },
      ];
      const options = streamify.arguments.slice(1);
      if (options.length > 0) {
        const last = options[options.length - 1];
        if (!untouched(fn.end, last.end)) return { suggestion: `Move ${tag}() and its options outside ${wrapperName}() by hand (comments sit among its arguments).` };
        edits.push({ start: fn.end, end: last.end, text: '' }, { start: streamify.end, end: streamify.end, text: facts.text.slice(fn.end, last.end) });
      }
      return { title, edits };
    }
    // wrap(streamifyResponse(fn), …) -> streamifyResponse(wrap(fn, …))
    if (streamify.arguments.length > 1 || !untouched(streamify.start, fn.start) || !untouched(fn.end, streamify.end)) {
      return { suggestion: `Move ${tag}() outside ${wrapperName}() by hand: \`${tag}(${wrapperName}(fn, …))\`.` };
    }
    return {
      title,
      edits: [
        { start: wrapper.start, end: wrapper.start, text: `${tag}(` },
        { start: streamify.start, end: fn.start, text: '' },
        { start: fn.end, end: streamify.end, text: '' },
        { start: wrapper.end, end: wrapper.end, text: ')' },
      ],
    };
  }
  if (streamify.arguments.length > 1) {
    return { suggestion: `Re-tag the export with the same options: \`${tag}(${wrapperName}(…), ${sourceOf(facts, streamify.arguments[1])})\`.` };
  }
  return {
    title: `re-tag the exported ${wrapperName}(…) with ${tag}() so the runtime streams it`,
    edits: [
      { start: wrapper.start, end: wrapper.start, text: `${tag}(` },
      { start: wrapper.end, end: wrapper.end, text: ')' },
    ],
  };
});

/**
 * `(fn) => (...args) => … fn(...args) …` (also as a function declaration returning it): the returned
 * function takes a rest parameter and only ever calls `fn` with it spread, unchanged.
 */
function forwardsArguments(wrapper: FunctionNode): boolean {
  const fnParam = wrapper.params[0];
  if (fnParam?.type !== 'Identifier') return false;
  const returned = returnedFunctions(wrapper);
  if (returned.length === 0) return false;
  return returned.every((inner) => {
    const rest = inner.params.length === 1 && inner.params[0].type === 'RestElement' ? inner.params[0].argument : null;
    if (rest?.type !== 'Identifier') return false;
    let calls = 0;
    let other = false;
    walk(inner.body, (node, parent) => {
      if (other) return false;
      if (node.type === 'Identifier' && node.name === fnParam.name && !(parent?.type === 'CallExpression' && parent.callee === node)) other = true;
      if (node.type === 'Identifier' && node.name === rest.name && !(parent?.type === 'SpreadElement')) other = true;
      if (node.type === 'CallExpression' && unwrap(node.callee)?.type === 'Identifier' && unwrap(node.callee)!.name === fnParam.name) {
        calls++;
        const arg = node.arguments[0];
        if (node.arguments.length !== 1 || arg.type !== 'SpreadElement' || unwrap(arg.argument)?.type !== 'Identifier' || unwrap(arg.argument)!.name !== rest.name) other = true;
      }
      return true;
    });
    return calls > 0 && !other;
  });
}

/** Functions the wrapper returns: its expression body, or the values of its own return statements. */
function returnedFunctions(wrapper: FunctionNode): FunctionNode[] {
  const values: Node[] = [];
  if (wrapper.body.type !== 'BlockStatement') values.push(wrapper.body);
  else {
    walk(wrapper.body, (node) => {
      if (node !== wrapper.body && isFunction(node)) return false;
      if (node.type === 'ReturnStatement' && node.argument) values.push(node.argument);
      return true;
    });
  }
  const fns = values.map((v) => unwrap(v));
  return fns.every((f) => isFunction(f)) ? (fns as FunctionNode[]) : [];
}
