import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, lineOf, observationsOf, snippet } from '../../code/rule-support.js';

export const streamNeverEnded: CodeRule = {
  meta: {
    id: 'stream-never-ended',
    surface: 'code',
    category: 'lifecycle',
    severity: 'error',
    title: 'A streamified handler can resolve without ending the response stream',
    consequence:
      'The runtime waits for the stream to end, so the invocation runs to the function timeout: the client gets no bytes (or a truncated body), the REPORT line says Duration = timeout, and concurrency stays held until throttling.',
    evidence: `Runtime behaviour c/c′ (${RUNTIME_EVIDENCE}); nitro 3.0.1-alpha.1 aws-lambda-streaming.mjs (body-less responses hang), fixed in 3.0.1-alpha.2; srvx #204, hono #2401.`,
    fixable: true,
    triggers: ['streamifyResponse', 'responseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const fn of facts.functions) {
      if (fn.role !== 'handler') continue;
      if (fn.streamParam === null && fn.fn.params.length < 2) {
        reports.push({
          start: fn.fn.start,
          end: fn.fn.start + 1,
          message: `Streamified handler \`${fn.name}\` never takes the response stream, so it can never end it: every invocation hangs until the function timeout (its return value is ignored in streaming mode).`,
          fix: 'Take `responseStream` as the second parameter and write the response to it, or remove `streamifyResponse` and return the result (buffered).',
          key: `${fn.name}:no-stream-param`,
        });
      }
    }
    for (const { fn, obs } of observationsOf(facts, 'exit-without-end', 'handler')) {
      const branch = obs.state.branch;
      const where = branch
        ? branch.node.type === 'CatchClause'
          ? `after the catch block on line ${lineOf(facts, branch.node)} handles an error`
          : `when \`${snippet(facts, branch.node.test)}\` is ${branch.taken ? 'truthy' : 'falsy'} (line ${lineOf(facts, branch.node)})`
        : obs.at.type === 'ReturnStatement'
          ? `through the early return on line ${lineOf(facts, obs.at)}`
          : 'on a path that reaches the end of the function';
      const at = branch && obs.at.type !== 'ReturnStatement' ? branch.node : obs.at;
      reports.push({
        start: at.start,
        end: at.type === 'IfStatement' ? at.test.end : at.end,
        message: `Streamified handler \`${fn.name}\` can finish without ending the response stream ${where}: the invocation hangs until the function timeout and the client gets no complete response (typical for 204/304/redirects/HEAD without a body).`,
        fix: 'End the stream on every path: call HttpResponseStream.from(), write(""), and end() in a finally block (or add the missing else branch).',
        key: `${fn.name}:${snippet(facts, at, 40)}`,
      });
    }
    return reports;
  },
};
