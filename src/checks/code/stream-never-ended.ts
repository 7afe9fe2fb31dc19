import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import type { StreamFunctionFacts } from '../../code/facts.js';
import type { Observation } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

/** What the fixer needs: the handler and, for a path that leaves without end(), that path's observation. */
export interface StreamNeverEndedPayload {
  fn: StreamFunctionFacts;
  /** Null when the handler never takes the stream (`noStreamParam`). */
  exit: Extract<Observation, { kind: 'exit-without-end' }> | null;
}

export const streamNeverEnded = defineCodeRule({
  meta: {
    id: 'stream-never-ended',
    category: 'lifecycle',
    severity: 'error',
    title: 'A streamified handler can resolve without ending the response stream',
    consequence:
      'The runtime waits for the stream to end, so the invocation runs to the function timeout: the client gets no bytes (or a truncated body), the REPORT line says Duration = timeout, and concurrency stays held until throttling.',
    evidence: `Runtime behaviour c/c′ (${RUNTIME_EVIDENCE}); nitro 3.0.1-alpha.1 aws-lambda-streaming.mjs (body-less responses hang), fixed in 3.0.1-alpha.2; srvx #204, hono #2401.`,
    fixable: true,
    triggers: ['streamifyResponse', 'responseStream'],
  },
  messages: {
    noStreamParam:
      'Streamified handler `{{name}}` never takes the response stream, so it can never end it: every invocation hangs until the function timeout (its return value is ignored in streaming mode).',
    hangsAfterCatch:
      'Streamified handler `{{name}}` can finish without ending the response stream after the catch block on line {{line}} handles an error: the invocation hangs until the function timeout and the client gets no complete response (typical for 204/304/redirects/HEAD without a body).',
    hangsOnBranch:
      'Streamified handler `{{name}}` can finish without ending the response stream when `{{test}}` is {{outcome}} (line {{line}}): the invocation hangs until the function timeout and the client gets no complete response (typical for 204/304/redirects/HEAD without a body).',
    hangsOnEarlyReturn:
      'Streamified handler `{{name}}` can finish without ending the response stream through the early return on line {{line}}: the invocation hangs until the function timeout and the client gets no complete response (typical for 204/304/redirects/HEAD without a body).',
    hangsAtEnd:
      'Streamified handler `{{name}}` can finish without ending the response stream on a path that reaches the end of the function: the invocation hangs until the function timeout and the client gets no complete response (typical for 204/304/redirects/HEAD without a body).',
  },
  payload: payloadType<StreamNeverEndedPayload>(),
  check(facts, report) {
    for (const fn of facts.functions) {
      if (fn.role !== 'handler') continue;
      if (fn.streamParam === null && fn.fn.params.length < 2) {
        report({
          messageId: 'noStreamParam',
          data: { name: fn.name },
          start: fn.fn.start,
          end: fn.fn.start + 1,
          fix: 'Take `responseStream` as the second parameter and write the response to it, or remove `streamifyResponse` and return the result (buffered).',
          key: `${fn.name}:no-stream-param`,
          payload: { fn, exit: null },
        });
      }
    }
    for (const { fn, obs } of observationsOf(facts, 'exit-without-end', 'handler')) {
      const branch = obs.state.branch;
      // Reported at the branch that lets the path through, unless the path leaves by a return.
      const at: Node = branch && obs.at.type !== 'ReturnStatement' ? branch.node : obs.at;
      const common = {
        start: at.start,
        end: at.type === 'IfStatement' ? at.test.end : at.end,
        fix: 'End the stream on every path: call HttpResponseStream.from(), write(""), and end() in a finally block (or add the missing else branch).',
        key: `${fn.name}:${snippet(facts, at, 40)}`,
        payload: { fn, exit: obs },
      };
      if (branch?.node.type === 'CatchClause') {
        report({ ...common, messageId: 'hangsAfterCatch', data: { name: fn.name, line: lineOf(facts, branch.node) } });
      } else if (branch) {
        report({
          ...common,
          messageId: 'hangsOnBranch',
          data: { name: fn.name, test: snippet(facts, branch.node.test), outcome: branch.taken ? 'truthy' : 'falsy', line: lineOf(facts, branch.node) },
        });
      } else if (obs.at.type === 'ReturnStatement') {
        report({ ...common, messageId: 'hangsOnEarlyReturn', data: { name: fn.name, line: lineOf(facts, obs.at) } });
      } else {
        report({ ...common, messageId: 'hangsAtEnd', data: { name: fn.name } });
      }
    }
  },
});
