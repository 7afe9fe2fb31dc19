import { propertyName, unwrap } from '../../code/ast.js';
import { nonBufferChunk } from '../../checks/code/non-buffer-chunk.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, sourceOf } from '../ast-support.js';
import { declining } from './metadata-support.js';

/**
 * Converts the chunk where the intent is unambiguous:
 * - an object or array literal -> `JSON.stringify(…)`: for write() the same bytes the runtime sent; for end(),
 *   which threw ERR_INVALID_ARG_TYPE, the text write() would have sent;
 * - `await res.arrayBuffer()` -> `Buffer.from(await res.arrayBuffer())`: the bytes instead of "{}".
 * Numbers and booleans (write(0) often meant "flush the prelude", which is write("")) and non-Uint8Array
 * views (their elements or their memory?) are left to the user.
 */
export const nonBufferChunkFixer = defineCodeFixer(nonBufferChunk, (problem, facts) => {
  const { call } = problem.payload;
  const raw = call.args[0];
  const arg = unwrap(raw);
  if (!raw || !arg) return null;
  return declining(() => {
    const method = call.method;
    if (arg.type === 'ObjectExpression' || arg.type === 'ArrayExpression') {
      return { title: `${method}(JSON.stringify(…)) instead of a raw ${arg.type === 'ObjectExpression' ? 'object' : 'array'}`, edits: [{ start: raw.start, end: raw.end, text: `JSON.stringify(${sourceOf(facts, raw)})` }] };
    }
    const awaited = arg.type === 'AwaitExpression' ? unwrap(arg.argument) : null;
    if (awaited?.type === 'CallExpression' && propertyName(unwrap(awaited.callee) ?? awaited) === 'arrayBuffer') {
      return { title: `${method}(Buffer.from(…)) around the ArrayBuffer`, edits: [{ start: raw.start, end: raw.end, text: `Buffer.from(${sourceOf(facts, raw)})` }] };
    }
    if (arg.type === 'Literal' && typeof arg.value === 'number') {
      throw new Declined(`${method}(${sourceOf(facts, arg)}) sends the digits; use write("") if it only flushes the prelude, String(${sourceOf(facts, arg)}) if the digits are the body`);
    }
    if (arg.type === 'Literal') throw new Declined(`decide what \`${sourceOf(facts, arg)}\` should send: String(${sourceOf(facts, arg)}), or nothing`);
    if (arg.type === 'Identifier' || arg.type === 'MemberExpression' || arg.type === 'CallExpression') {
      throw new Declined(`\`${sourceOf(facts, arg)}\` holds objects: JSON.stringify(…) + "\\n" sends them as NDJSON, or write the text field a client expects (a model chunk's delta text)`);
    }
    throw new Declined('a typed array other than Uint8Array: use Buffer.from(view.buffer, view.byteOffset, view.byteLength) for its memory, or encode its elements');
  });
});
