import { defineCodeRule } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, snippet } from '../../code/rule-support.js';

export const streamingHandlerNotStreamified = defineCodeRule({
  meta: {
    id: 'streaming-handler-not-streamified',
    category: 'lifecycle',
    severity: 'error',
    title: 'A handler written for response streaming is exported without awslambda.streamifyResponse',
    consequence:
      'Without the streaming tag the runtime calls the handler as a buffered one, with the context object as its second argument: the first write(), end() or from() on it throws a TypeError and every invocation fails.',
    evidence: `Runtime behaviour: the runtime picks the streaming path only from the tag streamifyResponse sets (${RUNTIME_EVIDENCE}); a buffered handler is called as handler(event, context) (aws-lambda-ric 3.3.0 and 4.0.2 source). aamrdit/Twin fixed this exact shape by adding streamifyResponse ("streamifyResponse is required").`,
    fixable: false,
    triggers: ['Stream', 'stream', 'write(', 'setContentType'],
  },
  messages: {
    notStreamified:
      '`{{name}}` is written for response streaming (`{{use}}` on its second parameter `{{param}}`) but is exported without awslambda.streamifyResponse: the runtime calls it as a buffered handler and passes the context object as `{{param}}`, so every invocation fails with a TypeError.',
  },
  check(facts, report) {
    for (const handler of facts.unstreamifiedHandlers) {
      report({
        messageId: 'notStreamified',
        data: { name: handler.exportName, use: snippet(facts, handler.use, 50), param: handler.streamParam },
        start: handler.fn.start,
        end: handler.fn.start + 1,
        fix: `Export it streamified: \`export const ${handler.exportName === 'default' ? 'handler' : handler.exportName} = awslambda.streamifyResponse(async (event, ${handler.streamParam}) => { … })\`.`,
        key: `${handler.exportName}:not-streamified`,
      });
    }
  },
});
