import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { ModuleFacts } from '../../code/facts.js';
import { RUNTIME_EVIDENCE, snippet } from '../../code/rule-support.js';

export const wrappedStreamifiedHandler = defineCodeRule({
  meta: {
    id: 'wrapped-streamified-handler',
    category: 'lifecycle',
    severity: 'error',
    title: 'The exported handler wraps the result of streamifyResponse() in another function',
    consequence:
      'The runtime picks streaming mode from a symbol on the exported function only. The wrapper hides it, so the handler runs in buffered mode and every invocation fails with a TypeError.',
    evidence: `Runtime behaviour g″ (${RUNTIME_EVIDENCE}): streamifyResponse only tags the function with Symbol.for("aws.lambda.runtime.handler.streaming").`,
    fixable: true,
    triggers: ['streamifyResponse', 'responseStream'],
  },
  messages: {
    wrapperHidesTag:
      'Exported handler `{{exportName}}` is `{{wrapper}}(streamifyResponse(...))`{{wrapperPackage}}: the wrapper hides the streaming tag, so Lambda calls it as a buffered handler and every invocation fails.',
  },
  /** The wrapper call and the streamifyResponse() call it hides: the fixer swaps or re-tags them. */
  payload: payloadType<ModuleFacts['wrappedHandlers'][number]>(),
  check(facts, report) {
    for (const wrapped of facts.wrappedHandlers) {
      report({
        messageId: 'wrapperHidesTag',
        // The package is data too: the scan drops the finding when the installed version re-tags streaming
        // handlers (a known-bad entry of this class with a fix below the installed version; scan-code.ts).
        data: { exportName: wrapped.exportName, wrapper: snippet(facts, wrapped.wrapper.callee), wrapperPackage: wrapped.wrapperPackage ? ` (from ${wrapped.wrapperPackage})` : '' },
        start: wrapped.wrapper.start,
        end: wrapped.wrapper.callee.end,
        fix: 'Wrap the inner function instead: `streamifyResponse(wrapper(async (event, stream, context) => ...))`, or re-tag the wrapper with streamifyResponse.',
        key: `${wrapped.exportName}:wrapped`,
        payload: wrapped,
      });
    }
  },
});
