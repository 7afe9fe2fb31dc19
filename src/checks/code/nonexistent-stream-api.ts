import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { StreamCall } from '../../code/stream-flow.js';
import { RUNTIME_EVIDENCE, snippet, streamCallsOf } from '../../code/rule-support.js';
import { STREAM_SURFACE } from '../../code/stream-flow.js';

export const nonexistentStreamApi = defineCodeRule({
  meta: {
    id: 'nonexistent-stream-api',
    category: 'lifecycle',
    severity: 'warning',
    title: 'Calls a method the runtime\'s response stream does not have',
    consequence:
      'The response stream is a plain object facade, not a stream.Writable (whatever @types/aws-lambda says): finished(), pipe(), _write() and friends throw a TypeError at run time.',
    evidence: `Runtime behaviour e‴ and j4: the facade has write, end, cork, uncork, destroy, setContentType and EventEmitter methods only (${RUNTIME_EVIDENCE}); a user report's \`await responseStream.finished()\`.`,
    fixable: true,
    triggers: ['streamifyResponse', 'HttpResponseStream', 'responseStream'],
  },
  messages: {
    noSuchMethod:
      '`{{call}}`: the Lambda response stream has no `{{method}}()` method, so this throws a TypeError at run time (logged as an Invoke Error; later code does not run).',
  },
  /** The call the facade cannot take: the fixer replaces it by what the method was meant to do. */
  payload: payloadType<StreamCall>(),
  check(facts, report) {
    for (const { fn, call } of streamCallsOf(facts)) {
      if (STREAM_SURFACE.has(call.method)) continue;
      const replacement =
        call.method === 'finished'
          ? "use `await finished(stream)` from node:stream/promises, or wait for the 'finish' event"
          : call.method === 'pipe'
            ? 'pipe a source into it with `pipeline(source, stream)` instead'
            : 'use write()/end() and the stream events';
      report({
        messageId: 'noSuchMethod',
        data: { call: snippet(facts, call.call), method: call.method },
        start: call.call.start,
        end: call.call.end,
        fix: `Remove the call; ${replacement}.`,
        key: `${fn.name}:${snippet(facts, call.call, 40)}`,
        payload: call,
      });
    }
  },
});
