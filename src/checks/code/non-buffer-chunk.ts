import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { memberPath, propertyName, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import type { StreamCall } from '../../code/stream-flow.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

/** Binary views that are not Uint8Array: the runtime's write() stringifies them ("{}" or index maps). */
const NON_UINT8_BINARY = new Set([
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

export const nonBufferChunk = defineCodeRule({
  meta: {
    id: 'non-buffer-chunk',
    category: 'metadata',
    severity: 'warning',
    title: 'A number, boolean, object, array or non-Uint8Array binary value is written to the response stream',
    consequence:
      'The runtime\'s write() JSON-stringifies every chunk that is not a string, Buffer or Uint8Array: write(0) sends the byte "0", write(await res.arrayBuffer()) sends "{}". end(value) bypasses that conversion: Node ignores a falsy value and throws ERR_INVALID_ARG_TYPE for any other non-string.',
    evidence:
      'aws-lambda-ric 3.3.0 dist/index.mjs ResponseStream write(): `typeof chunk !== "string" && !Buffer.isBuffer(chunk) && chunk?.constructor !== Uint8Array` -> JSON.stringify (4.0.2 the same with instanceof Uint8Array); end() goes to Node\'s OutgoingMessage.end (source; docs/runtime-behaviour.md).',
    fixable: true,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    endThrows: '`{{call}}` passes {{chunk}} to end(): end() does not convert chunks, so Node throws ERR_INVALID_ARG_TYPE and the handler fails instead of finishing the response.',
    writeStringified: '`{{call}}` writes {{chunk}}: the runtime sends its JSON.stringify form as body bytes.',
    binaryStringified: '`{{call}}` writes {{chunk}}: the runtime sends its JSON.stringify form as body bytes ("{}" or an index map), not the binary data.',
  },
  /** The write() or end() call and its chunk argument. */
  payload: payloadType<{ call: StreamCall }>(),
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts, ['write', 'end'])) {
      const arg = unwrap(call.args[0]);
      if (!arg) continue;
      const chunk = chunkKind(facts, arg, call.call);
      if (chunk === null) continue;
      const isEnd = call.method === 'end';
      // end(0) / end(false): Node skips a falsy chunk, nothing is sent: harmless.
      if (isEnd && arg.type === 'Literal' && !arg.value) continue;
      report({
        messageId: isEnd ? 'endThrows' : chunk.binary ? 'binaryStringified' : 'writeStringified',
        data: { call: snippet(facts, call.call), chunk: chunk.text },
        start: call.call.start,
        end: call.call.end,
        fix: 'Write a string, Buffer or Uint8Array (Buffer.from(arrayBuffer), JSON.stringify(object)); use write("") for an empty body.',
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
        payload: { call },
      });
    }
  },
});

/** What the chunk is, for the message; `binary` for ArrayBuffers and non-Uint8Array views. */
function chunkKind(facts: ModuleFacts, arg: Node, at: Node = arg): { text: string; binary: boolean } | null {
  const value = (text: string) => ({ text, binary: false });
  const binary = (text: string) => ({ text, binary: true });
  if (arg.type === 'Literal' && (typeof arg.value === 'number' || typeof arg.value === 'boolean')) return value(`the ${typeof arg.value} ${String(arg.value)}`);
  if (arg.type === 'ObjectExpression' || arg.type === 'ArrayExpression') return value(`the ${arg.type === 'ObjectExpression' ? 'object' : 'array'} ${snippet(facts, arg, 20)}`);
  // await res.arrayBuffer()
  const awaited = arg.type === 'AwaitExpression' ? unwrap(arg.argument) : null;
  if (awaited?.type === 'CallExpression' && propertyName(unwrap(awaited.callee) ?? awaited) === 'arrayBuffer') return binary('an ArrayBuffer');
  // new Uint16Array(...), new DataView(...)
  if (arg.type === 'NewExpression') {
    const name = memberPath(arg.callee)?.at(-1);
    if (name && NON_UINT8_BINARY.has(name)) return binary(`a ${name} (${snippet(facts, arg, 24)})`);
  }
  const inferred = inferredKind(facts, arg, at);
  return inferred ? value(`${inferred} (\`${snippet(facts, arg, 30)}\`)`) : null;
}

/** Model SDK stream calls whose iteration yields objects (chunks, events), not text. */
/** (LangChain's `chain.stream()` yields whatever the chain ends in, strings after a StringOutputParser: not listed.) */
const MODEL_STREAM_OBJECTS = /(completions|messages|responses|chat)\.create$|messages\.stream$|converseStream|invokeModelWithResponseStream/i;
/** Collection results: arrays. */
const ARRAY_CALLS = new Set(['map', 'filter', 'flatMap', 'split']);

/**
 * What a variable or property written to the stream holds, when its origin says so: a DynamoDB page's
 * `Items` (an array of records), a collection built with `.map()`/`.filter()`, the loop variable of an
 * iteration over a model SDK's stream (chunk or event objects: OpenAI, Anthropic, Bedrock), a TypeScript
 * annotation of an array or object type. Unknown origins stay quiet.
 */
function inferredKind(facts: ModuleFacts, node: Node, at: Node, depth = 0): string | null {
  const n = unwrap(node);
  if (!n || depth > 4) return null;
  if (n.type === 'MemberExpression') {
    const name = propertyName(n);
    // DynamoDB Scan/Query pages and S3 listings: `Items`, `Contents` are arrays of records
    if (name === 'Items' || name === 'Contents' || name === 'CommonPrefixes') return 'an array of SDK records';
    return null;
  }
  if (n.type === 'CallExpression') {
    const callee = unwrap(n.callee);
    const path = memberPath(callee) ?? [];
    const name = callee?.type === 'MemberExpression' ? propertyName(callee) : null;
    // `.map(…)`, `.filter(…)`, `text.split(…)`, `Object.keys(…)`, `Array.from(…)`: arrays
    if ((name && ARRAY_CALLS.has(name) && path[0] !== 'Object') || (path[0] === 'Object' && ['keys', 'values', 'entries'].includes(path[1] ?? '')) || path.join('.') === 'Array.from') return 'an array';
    return null;
  }
  if (n.type !== 'Identifier') return null;
  const origin = originOf(facts, n.name, at);
  if (!origin) return null;
  if (origin.annotation) {
    const type = unwrap(origin.annotation.typeAnnotation ?? origin.annotation);
    if (type?.type === 'TSArrayType' || (type?.type === 'TSTypeReference' && /^(Array|ReadonlyArray)$/.test(type.typeName?.name ?? ''))) return 'an array';
    if (type?.type === 'TSTypeLiteral') return 'an object';
  }
  if (origin.kind === 'loop') {
    const iterable = unwrap(origin.value);
    if (iterable && yieldsModelObjects(facts, iterable, at, depth)) return 'a model SDK chunk object';
    return null;
  }
  const value = unwrap(origin.value);
  if (!value) return null;
  if (value.type === 'ObjectExpression') return 'an object';
  if (value.type === 'ArrayExpression') return 'an array';
  return inferredKind(facts, value, at, depth + 1);
}

/** An iteration over a model SDK stream: `await openai.chat.completions.create({ stream: true })`, Bedrock's `response.stream`. */
function yieldsModelObjects(facts: ModuleFacts, iterable: Node, at: Node, depth: number): boolean {
  let n: Node | null = unwrap(iterable);
  for (let i = 0; n && i < 5; i++) {
    if (n.type === 'AwaitExpression') n = unwrap(n.argument);
    else if (n.type === 'CallExpression') {
      const path = memberPath(unwrap(n.callee))?.join('.') ?? propertyName(unwrap(n.callee) ?? n) ?? '';
      const asksStream = n.arguments.some((a: Node) => unwrap(a)?.type === 'ObjectExpression' && unwrap(a)!.properties.some((p: Node) => p.type === 'Property' && (p.key?.name ?? p.key?.value) === 'stream' && unwrap(p.value)?.value === true));
      return MODEL_STREAM_OBJECTS.test(path) && (asksStream || !/create$/.test(path));
    } else if (n.type === 'MemberExpression') {
      // Bedrock: `(await client.send(new ConverseStreamCommand(…))).stream`, `response.body` of InvokeModelWithResponseStream
      const name = propertyName(n);
      if ((name === 'stream' || name === 'body') && sentStreamCommand(facts, n.object, at)) return true;
      return false;
    } else if (n.type === 'Identifier') {
      const origin = originOf(facts, n.name, at);
      if (!origin || origin.kind === 'loop' || depth > 3) return false;
      n = unwrap(origin.value);
      depth++;
    } else return false;
  }
  return false;
}

/** `await client.send(new ConverseStreamCommand(…))` / `new InvokeModelWithResponseStreamCommand(…)`, possibly through a const. */
function sentStreamCommand(facts: ModuleFacts, node: Node, at: Node): boolean {
  let n = unwrap(node);
  if (n?.type === 'Identifier') n = unwrap(originOf(facts, n.name, at)?.value);
  if (n?.type === 'AwaitExpression') n = unwrap(n.argument);
  if (n?.type !== 'CallExpression' || propertyName(unwrap(n.callee) ?? n) !== 'send') return false;
  const command = unwrap(n.arguments[0]);
  const name = command?.type === 'NewExpression' ? memberPath(command.callee)?.at(-1) : command?.type === 'Identifier' ? command.name : null;
  return !!name && /Stream(Command)?$|command$/i.test(name) && /Stream/.test(name);
}

/** Where a name gets its value: `const x = …` (with its TS annotation), or the variable of a `for … of`. */
function originOf(facts: ModuleFacts, name: string, at: Node): { kind: 'const' | 'loop'; value: Node | null; annotation?: Node } | null {
  let found: { kind: 'const' | 'loop'; value: Node | null; annotation?: Node } | null = null;
  walk(facts.program, (node) => {
    if (node.start > at.start) return false;
    // (a loop variable's declarator has no initializer: the loop says where its values come from)
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === name && node.init) {
      found = { kind: 'const', value: node.init ?? null, ...(node.id.typeAnnotation ? { annotation: node.id.typeAnnotation } : {}) };
    }
    if ((node.type === 'ForOfStatement' || node.type === 'ForInStatement') && node.left?.type === 'VariableDeclaration') {
      const id = node.left.declarations[0]?.id;
      if (id?.type === 'Identifier' && id.name === name && node.type === 'ForOfStatement' && node.start <= at.start && at.end <= node.end) found = { kind: 'loop', value: node.right };
    }
    return true;
  });
  return found;
}
