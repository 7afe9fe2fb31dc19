import { defineDeploymentRule } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe } from '../../iac/deployment-support.js';

export const callbackHandlerOnNodejs24 = defineDeploymentRule({
  meta: {
    id: 'callback-handler-on-nodejs24',
    category: 'deployment',
    severity: 'error',
    title: 'A callback-style handler runs on nodejs24.x, which removed callback handlers',
    consequence: 'The 4.x runtime (nodejs24.x) rejects callback handlers at init: every invocation fails with an init error.',
    evidence:
      'aws-lambda-ric 4.0.2 index.mjs: "…removed support for callback-based function handlers starting with Node.js 24" (source; runtime-evidence §6, PR #161).',
    fixable: false,
  },
  messages: {
    callbackHandler:
      '{{subject}} runs on {{runtime}}, but its handler ({{file}}:{{line}}) takes a callback: Node.js 24 and later reject callback handlers at init, so every invocation fails.',
  },
  check({ deployment: d, handler }, report) {
    const runtime = d.runtime;
    if (!handler?.callbackStyle || !isResolved(runtime) || !/^nodejs(2[4-9]|[3-9]\d)\.x$/.test(runtime.value)) return;
    report({
      messageId: 'callbackHandler',
      data: { subject: capitalized(describe(d)), runtime: runtime.value, file: handler.file, line: handler.callbackStyle.line },
      at: runtime.at,
      fix: 'Make the handler async and return (or stream) the result instead of calling the callback.',
      key: `${d.name}:callback-24`,
    });
  },
});
