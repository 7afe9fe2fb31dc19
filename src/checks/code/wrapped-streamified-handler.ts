import type { CodeRule, RuleReport } from '../../model/rule.js';
import { RUNTIME_EVIDENCE, snippet } from '../../code/rule-support.js';

export const wrappedStreamifiedHandler: CodeRule = {
  meta: {
    id: 'wrapped-streamified-handler',
    surface: 'code',
    category: 'lifecycle',
    severity: 'error',
    title: 'The exported handler wraps the result of streamifyResponse() in another function',
    consequence:
      'The runtime picks streaming mode from a symbol on the exported function only. The wrapper hides it, so the handler runs in buffered mode and every invocation fails with a TypeError.',
    evidence: `Runtime behaviour g″ (${RUNTIME_EVIDENCE}): streamifyResponse only tags the function with Symbol.for("aws.lambda.runtime.handler.streaming").`,
    fixable: true,
    triggers: ['streamifyResponse', 'responseStream'],
  },
  check(facts) {
    const reports: RuleReport[] = [];
    for (const wrapped of facts.wrappedHandlers) {
      reports.push({
        start: wrapped.wrapper.start,
        end: wrapped.wrapper.callee.end,
        message: `Exported handler \`${wrapped.exportName}\` is \`${snippet(facts, wrapped.wrapper.callee)}(streamifyResponse(...))\`: the wrapper hides the streaming tag, so Lambda calls it as a buffered handler and every invocation fails.`,
        fix: 'Wrap the inner function instead: `streamifyResponse(wrapper(async (event, stream, context) => ...))`, or re-tag the wrapper with streamifyResponse.',
        key: `${wrapped.exportName}:wrapped`,
      });
    }
    return reports;
  },
};
