import { defineCodeRule, payloadType } from '../../model/rule.js';
import type { Node } from '../../code/ast.js';
import { calleeName } from '../../code/ast.js';
import { enclosingFunctionText, snippet } from '../../code/rule-support.js';

const DELIMITER = /new\s+Uint8Array\(\s*8\s*\)|Buffer\.alloc\(\s*8\s*\)|\\0{8}|(\\u0000){8}|(\\x00){8}|\\0['"]\.repeat\(\s*8\s*\)|\\u0000['"]\.repeat\(\s*8\s*\)|\\x00['"]\.repeat\(\s*8\s*\)/;

export const manualPrelude = defineCodeRule({
  meta: {
    id: 'manual-prelude',
    category: 'metadata',
    severity: 'error',
    title: 'A hand-written prelude without the 8-byte NUL delimiter',
    consequence:
      'With the integration content type set by hand, Lambda reads the body up to 8 NUL bytes as the prelude; without them the response is malformed (502) or the JSON leaks into the body. A correct hand-written prelude is not reported.',
    evidence: 'Runtime wire format: prelude JSON, then a separate chunk of 8 NUL bytes (aws-lambda-ric src/HttpResponseStream.js; docs/runtime-behaviour.md §3).',
    fixable: true,
    triggers: ['http-integration-response'],
  },
  messages: {
    noDelimiter: '`{{call}}` starts a hand-written prelude, but no 8-byte NUL delimiter is written after the JSON: Lambda cannot find where the metadata ends and the response is malformed.',
  },
  /** The `setContentType()` call that starts the hand-written prelude. */
  payload: payloadType<{ call: Node }>(),
  check(facts, report) {
    // Hand-written preludes are recognised by the flow analysis (setContentType with the integration type).
    const manual = new Set(facts.functions.flatMap((fn) => fn.flow.fromCalls).filter((call) => calleeName(call) === 'setContentType'));
    for (const call of manual) {
      if (DELIMITER.test(enclosingFunctionText(facts, call))) continue;
      report({
        messageId: 'noDelimiter',
        data: { call: snippet(facts, call) },
        start: call.start,
        end: call.end,
        fix: 'Use `awslambda.HttpResponseStream.from(stream, metadata)` instead, or write `new Uint8Array(8)` right after the prelude JSON.',
        key: snippet(facts, call, 40),
        payload: { call },
      });
    }
  },
});
