import { enclosingFunctionNode } from '../../code/rule-support.js';
import { junkBytesForEmptyBody } from '../../checks/code/junk-bytes-for-empty-body.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, quoted } from '../ast-support.js';
import { declining } from './metadata-support.js';

/**
 * The filler (`write(" ")`, `write(Buffer.alloc(1))`, `write(new Uint8Array(8))`) becomes `write("")`, which
 * sends the prelude and no body byte. Only when the filler is the stream's first write in its function and
 * `end()` follows it directly: then it exists only to force the prelude out. A whitespace write after other
 * output (the blank line that closes a server-sent event) is left alone.
 */
export const junkBytesForEmptyBodyFixer = defineCodeFixer(junkBytesForEmptyBody, (problem, facts) =>
  declining(() => {
    const { calls, index } = problem.payload;
    const found = calls[index];
    if (!found) return null;
    const { fn, call } = found;
    if (call.method !== 'write' || call.args.length !== 1) return null;
    const scope = enclosingFunctionNode(facts, call.call);
    const inFunction = calls.filter((c) => c.fn === fn && c.call.call.start >= scope.start && c.call.call.end <= scope.end);
    if (inFunction.some((c) => c.call.method === 'write' && c.call.call.start < call.call.start)) throw new Declined('other data is written before it, so it may be meant as body data');
    const next = calls[index + 1];
    if (!next || next.fn !== fn || next.call.method !== 'end' || next.call.args.length !== 0) throw new Declined('end() does not follow it, so it may be meant as body data');
    const arg = call.args[0];
    return { title: 'write an empty string instead of filler bytes (sends the prelude, no body)', edits: [{ start: arg.start, end: arg.end, text: quoted(facts, '') }] };
  }),
);
