import { defineCodeRule } from '../../model/rule.js';
import type { FunctionNode, Node } from '../../code/ast.js';
import { isFunction, memberPath, propertyName, unwrap, walk } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { RUNTIME_EVIDENCE, snippet } from '../../code/rule-support.js';

type SourceKind = 'in-memory' | 'network' | 'file' | 'unknown';

/** Calls whose result (or its `.Body`, `.body`, `.data`, `.stream`) is bytes arriving over the network. */
const NETWORK_CALLS = new Set([
  'axios',
  'got',
  'request',
  'getObject',
  'send', // AWS SDK v3 client.send(new GetObjectCommand / InvokeModelWithResponseStreamCommand / ConverseStreamCommand)
  'invokeModelWithResponseStream',
  'converseStream',
  'retrieveAndGenerateStream',
  'transformToWebStream',
  'stream', // anthropic.messages.stream(), LangChain model.stream()
  'streamEvents',
]);
/** The object paths of model SDK calls that stream (`openai.chat.completions.create({ stream: true })`). */
const MODEL_CREATE = /(completions|messages|responses|chat)$/;

/**
 * Where the piped source's bytes come from, following `const x = …` (and `await`) a few steps: memory
 * (`Readable.from(["a"])`, a Buffer, a string: cannot fail mid-body), the network (fetch, S3, an SDK or model
 * stream: fails in practice), a local file, or unknown (a parameter, an app's own body). The AI SDK's
 * `textStream` turns model errors into parts and ends normally (ai 4.3.9 and 5.0.60 source): in memory for
 * this purpose.
 */
function sourceKind(facts: ModuleFacts, source: Node | null | undefined, at: Node, depth = 0): SourceKind {
  const n = unwrap(source);
  if (!n || depth > 6) return 'unknown';
  switch (n.type) {
    case 'AwaitExpression':
      return sourceKind(facts, n.argument, at, depth + 1);
    case 'Identifier': {
      const value = initializerOf(facts, n.name, at);
      return value ? sourceKind(facts, value, at, depth + 1) : 'unknown';
    }
    case 'MemberExpression':
      if (propertyName(n) === 'textStream') return 'in-memory';
      return sourceKind(facts, n.object, at, depth + 1);
    case 'ArrayExpression':
    case 'TemplateLiteral':
      return 'in-memory';
    case 'Literal':
      return typeof n.value === 'string' ? 'in-memory' : 'unknown';
    case 'CallExpression': {
      const callee = unwrap(n.callee);
      // `a.b.c(…)`: the path; `x(…).y(…)`: the method name, with the receiver call classified too
      const path = memberPath(callee) ?? (callee?.type === 'MemberExpression' ? [propertyName(callee) ?? ''] : []);
      const name = path.at(-1) ?? '';
      const receiver = callee?.type === 'MemberExpression' ? unwrap(callee.object) : null;
      if (path[0] === 'Buffer' || path.join('.') === 'JSON.stringify') return 'in-memory';
      if (path.at(-2) === 'Readable' && (name === 'from' || name === 'fromWeb')) return sourceKind(facts, n.arguments[0], at, depth + 1);
      if (name === 'createReadStream') {
        const fromS3 = path.some((p) => /s3/i.test(p)) || (receiver?.type === 'CallExpression' && /getObject/.test(memberPath(receiver.callee)?.join('.') ?? ''));
        return fromS3 ? 'network' : 'file';
      }
      if (name === 'create' && MODEL_CREATE.test(path.at(-2) ?? '')) return 'network';
      if (NETWORK_CALLS.has(name) || (path[0] && /^(axios|got|https?|undici)$/.test(path[0]))) return 'network';
      // the global fetch (an app's own `app.fetch(request)` is an in-process handler: unknown)
      if (name === 'fetch' && (path.length === 1 || path[0] === 'globalThis')) return 'network';
      // a request for a streamed answer: `{ stream: true }` (model SDKs), `{ responseType: "stream" }` (axios)
      if (n.arguments.some((arg: Node) => asksForStream(arg))) return 'network';
      if (['pipe', 'getReader', 'toWeb', 'iterator'].includes(name) && receiver) return sourceKind(facts, receiver, at, depth + 1);
      // a helper of this module (`await fetchStream(prompt)`): what it returns
      if (callee?.type === 'Identifier') {
        const fn = facts.lookupFunction(callee.name, n);
        if (fn) {
          const kinds = returnedValues(fn).map((value) => sourceKind(facts, value, value, depth + 1));
          if (kinds.includes('network')) return 'network';
          if (kinds.length > 0 && kinds.every((k) => k === 'in-memory')) return 'in-memory';
        }
      }
      return 'unknown';
    }
    default:
      return 'unknown';
  }
}

function asksForStream(arg: Node): boolean {
  const object = unwrap(arg);
  if (object?.type !== 'ObjectExpression') return false;
  return object.properties.some((p: Node) => {
    if (p.type !== 'Property') return false;
    const key = p.key?.name ?? p.key?.value;
    const value = unwrap(p.value);
    return (key === 'stream' && value?.type === 'Literal' && value.value === true) || (key === 'responseType' && value?.type === 'Literal' && value.value === 'stream');
  });
}

/** The expressions a function returns (its own returns; a concise arrow's body). */
function returnedValues(fn: FunctionNode): Node[] {
  if (fn.body.type !== 'BlockStatement') return [fn.body];
  const values: Node[] = [];
  walk(fn.body, (node) => {
    if (node !== fn.body && isFunction(node)) return false;
    if (node.type === 'ReturnStatement' && node.argument) values.push(node.argument);
    return true;
  });
  return values;
}

/** The initializer of the closest `const`/`let` declaration of `name` before `at` (or its first assignment). */
function initializerOf(facts: ModuleFacts, name: string, at: Node): Node | null {
  let found: Node | null = null;
  walk(facts.program, (node) => {
    if (node.start > at.start) return false;
    if (node.type === 'VariableDeclarator' && node.id?.type === 'Identifier' && node.id.name === name && node.init) found = node.init;
    if (node.type === 'AssignmentExpression' && node.left.type === 'Identifier' && node.left.name === name && !found) found = node.right;
    if (node.type === 'ForOfStatement' && node.left?.type === 'VariableDeclaration') {
      const id = node.left.declarations[0]?.id;
      if (id?.type === 'Identifier' && id.name === name) found = null;
    }
    return true;
  });
  return found;
}

export const pipelineSourceErrorCrashes = defineCodeRule({
  meta: {
    id: 'pipeline-source-error-crashes',
    category: 'lifecycle',
    severity: 'warning',
    title: 'pipeline(source, responseStream) crashes the runtime when the source fails mid-body',
    consequence:
      'When the source errors (a network reset, an S3 or model stream failure), pipeline() destroys the response stream; the runtime\'s own promise for the response then rejects unhandled and the process exits. The client gets a truncated body, the invocation an error, and the next one a cold start; a try/catch around pipeline() does not help.',
    evidence: `Runtime behaviour e′ (${RUNTIME_EVIDENCE}: pipeline() from a source that fails mid-body, run under 3.x and 4.x); the same run shows a for-await loop that rethrows ending with clean error trailers (*_e7).`,
    fixable: false,
    triggers: ['pipeline'],
  },
  messages: {
    fallibleSource:
      '`{{call}}` pipes {{source}} into the response stream: if it fails mid-body, pipeline() destroys the runtime\'s stream and the runtime process exits (a try/catch around it does not help): the client gets a truncated response and the next invocation a cold start.',
  },
  check(facts, report) {
    const seen = new Set<number>();
    for (const fn of facts.functions) {
      for (const pipe of fn.flow.pipeCalls) {
        if (pipe.kind !== 'pipeline' || seen.has(pipe.call.start)) continue;
        seen.add(pipe.call.start);
        const source = pipe.sources[0];
        const kind = source ? sourceKind(facts, source, pipe.call) : 'in-memory';
        if (kind === 'in-memory') continue;
        report({
          messageId: 'fallibleSource',
          data: { call: snippet(facts, pipe.call), source: `\`${snippet(facts, source!, 50)}\`` },
          start: pipe.call.start,
          end: pipe.call.end,
          // A network source fails in practice (warning); a local file or a source we cannot see, rarely (info).
          ...(kind === 'network' ? {} : { severity: 'info' as const }),
          fix: 'Iterate the source yourself inside the handler: `for await (const chunk of source) stream.write(chunk); stream.end();` (a failure then rejects the handler and the runtime ends the response with error trailers), or pipe into a PassThrough you end yourself.',
          key: `${fn.name}:${snippet(facts, pipe.call, 40)}`,
        });
      }
    }
  },
});
