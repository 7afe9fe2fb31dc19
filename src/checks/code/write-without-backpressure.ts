import { defineCodeRule } from '../../model/rule.js';
import { snippet, streamCallsOf } from '../../code/rule-support.js';

export const writeWithoutBackpressure = defineCodeRule({
  meta: {
    id: 'write-without-backpressure',
    category: 'lifecycle',
    severity: 'info',
    title: 'A write loop ignores write()\'s return value and never waits for drain',
    consequence: 'Large or fast bodies are buffered in memory instead of streamed at the client\'s pace: memory grows, and big responses can run out of memory.',
    evidence: 'Node.js writable backpressure contract; hono #5333 (streamHandle ignores write() return).',
    fixable: false,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    ignoresBackpressure:
      "`{{call}}` runs in a loop without checking its return value or waiting for 'drain': the body is buffered in memory rather than streamed at the client's pace.",
  },
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts, ['write'])) {
      if (!call.inLoop || call.resultUsed) continue;
      const body = facts.code.slice(fn.fn.start, fn.fn.end);
      if (/['"`]drain['"`]/.test(body)) continue;
      report({
        messageId: 'ignoresBackpressure',
        data: { call: snippet(facts, call.call) },
        start: call.call.start,
        end: call.call.end,
        fix: 'Use `await pipeline(Readable.fromWeb(body), stream)`, or await drain when write() returns false.',
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
      });
    }
  },
});
