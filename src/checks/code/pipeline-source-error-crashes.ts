import { defineCodeRule } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { memberPath, propertyName, stringValue, unwrap } from '../../code/ast.js';
import type { ModuleFacts } from '../../code/facts.js';
import { RUNTIME_EVIDENCE, resolveConstValue, snippet } from '../../code/rule-support.js';

/**
 * A source that lives in memory (`Readable.from(["a", "b"])`, `Readable.from(buffer)`): it cannot fail
 * mid-body. The AI SDK's `textStream` turns model errors into parts and ends normally (ai 4.3.9 and 5.0.60
 * source): it does not error either.
 */
function inMemory(facts: ModuleFacts, source: Node, at: Node): boolean {
  const n = unwrap(source);
  if (!n) return true;
  if (n.type === 'Identifier') {
    const value = resolveConstValue(facts, n.name, at);
    return value ? inMemory(facts, value, at) : false;
  }
  if (n.type === 'MemberExpression' && propertyName(n) === 'textStream') return true;
  if (stringValue(n) !== null || n.type === 'TemplateLiteral' || n.type === 'ArrayExpression') return true;
  if (n.type !== 'CallExpression') return false;
  const path = memberPath(n.callee);
  if (path?.[0] === 'Buffer' || path?.join('.') === 'JSON.stringify') return true;
  if (path?.at(-1) === 'from' && path.at(-2) === 'Readable') {
    const arg = unwrap(n.arguments[0]);
    return !!arg && (arg.type === 'ArrayExpression' || stringValue(arg) !== null || arg.type === 'TemplateLiteral' || inMemory(facts, arg, at));
  }
  return false;
}

/** A local file read: it rarely fails mid-body (info, not a warning). */
function localFile(source: Node): boolean {
  const n = unwrap(source);
  return n?.type === 'CallExpression' && memberPath(n.callee)?.at(-1) === 'createReadStream' && !/getObject/.test(JSON.stringify(memberPath(n.callee)));
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
        if (!source || inMemory(facts, source, pipe.call)) continue;
        report({
          messageId: 'fallibleSource',
          data: { call: snippet(facts, pipe.call), source: `\`${snippet(facts, source, 50)}\`` },
          start: pipe.call.start,
          end: pipe.call.end,
          ...(localFile(source) ? { severity: 'info' as const } : {}),
          fix: 'Iterate the source yourself inside the handler: `for await (const chunk of source) stream.write(chunk); stream.end();` (a failure then rejects the handler and the runtime ends the response with error trailers), or pipe into a PassThrough you end yourself.',
          key: `${fn.name}:${snippet(facts, pipe.call, 40)}`,
        });
      }
    }
  },
});
