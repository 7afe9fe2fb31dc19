import type { Node } from '../../code/ast.js';
import { memberPath, mentions } from '../../code/ast.js';
import { missingMetadata } from '../../checks/code/missing-metadata.js';
import { defineCodeFixer } from '../../model/fix.js';
import { Declined, insertBefore, quoted } from '../ast-support.js';
import { declining } from './metadata-support.js';

/**
 * Opens the prelude for the event stream: right before the handler's first top-level statement that touches
 * the stream, `awslambda.HttpResponseStream.from(stream, { statusCode: 200, headers: { "content-type":
 * "text/event-stream" } })` and `stream.write("")` (from() returns the same object; the empty write sends
 * the prelude on every path, also one that ends without an event). The status stays the 200 the runtime
 * sent; only the content type changes. Only for handlers given to `awslambda.streamifyResponse` with a
 * block body and a named stream parameter.
 */
export const missingMetadataFixer = defineCodeFixer(missingMetadata, (problem, facts) =>
  declining(() => {
    const { fn } = problem.payload;
    const stream = fn.streamParam;
    if (!stream) throw new Declined('the handler does not name its stream parameter');
    if (memberPath(fn.streamifyCall?.callee ?? null)?.join('.') !== 'awslambda.streamifyResponse') throw new Declined('the handler is not given to awslambda.streamifyResponse, so awslambda.HttpResponseStream may not be there');
    if (fn.fn.body.type !== 'BlockStatement') throw new Declined('the handler has an expression body');
    const first = fn.fn.body.body.find((statement: Node) => mentions(statement, new Set([stream])));
    if (!first) throw new Declined('no statement of the handler uses the stream');
    const metadata = `{ statusCode: 200, headers: { ${quoted(facts, 'content-type')}: ${quoted(facts, 'text/event-stream')} } }`;
    return {
      title: `call awslambda.HttpResponseStream.from(${stream}, …text/event-stream…) and ${stream}.write("") before the first event`,
      edits: [insertBefore(facts, first, [`awslambda.HttpResponseStream.from(${stream}, ${metadata})`, `${stream}.write(${quoted(facts, '')})`], { aboveComments: true })],
    };
  }),
);
