import { defineDeploymentRule } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe } from '../../iac/deployment-support.js';

export const callbackHandlerOnNodejs24 = defineDeploymentRule({
  meta: {
    id: 'callback-handler-on-nodejs24',
    category: 'deployment',
    severity: 'error',
    title: 'A handler with three or more parameters runs on nodejs24.x (or nodejs22.x on Managed Instances), which reject callback handlers',
    consequence:
      'The 4.x runtime (nodejs24.x, and every Node version on Managed Instances) rejects a non-streaming handler whose handler.length is 3 or more, async or not: init fails with Runtime.CallbackHandlerDeprecated and every invocation fails.',
    evidence:
      'aws-lambda-ric 4.0.2 index.mjs:521 (argsNum: handler.length), :606-617 (argsNum >= 3 && !streaming, async ignored; CALLBACK_ERROR_NODEJS22 for Managed Instances), :1219-1225 (init error); production stack in open-telemetry/opentelemetry-js-contrib#3251.',
    fixable: false,
  },
  messages: {
    callbackHandler:
      '{{subject}} runs on {{runtime}}{{implied}}, but its handler ({{file}}:{{line}}) {{shape}}: Node.js 24 and later reject such handlers at init (Runtime.CallbackHandlerDeprecated), so every invocation fails.',
    managedInstances:
      '{{subject}} runs on {{runtime}} on Lambda Managed Instances, but its handler ({{file}}:{{line}}) {{shape}}: the Managed Instances runtime rejects callback-based handlers on Node.js 22 at init (Runtime.CallbackHandlerDeprecated), so every invocation fails.',
  },
  check({ deployment: d, handler }, report) {
    const runtime = d.runtime;
    const style = handler?.callbackStyle;
    if (!style || !isResolved(runtime)) return;
    const node24 = /^nodejs(2[4-9]|[3-9]\d)\.x$/.test(runtime.value);
    // nodejs22.x on Managed Instances runs the 4.x runtime client too (isNodejs22Runtime(), its own message).
    const managed22 = !!d.managedInstances && runtime.value === 'nodejs22.x';
    if (!node24 && !managed22) return;
    const shape = style.async
      ? `is async but declares ${style.length} parameters (handler.length ${style.length}): the runtime counts parameters, not callback use`
      : `takes a callback (handler.length ${style.length})`;
    const data = {
      subject: capitalized(describe(d)),
      runtime: runtime.value,
      file: handler.file,
      line: style.line,
      shape,
    };
    if (node24) {
      report({
        messageId: 'callbackHandler',
        data: { ...data, implied: d.runtimeImplied ? ` (${d.runtimeImplied})` : '' },
        at: runtime.at,
        fix: style.async
          ? 'Drop the unused third parameter (`async (event, context) => …`); the runtime rejects any non-streaming handler with three or more parameters.'
          : 'Make the handler async and return (or stream) the result instead of calling the callback.',
        key: `${d.name}:callback-24`,
      });
      return;
    }
    report({
      messageId: 'managedInstances',
      data,
      at: d.managedInstances!,
      fix: style.async
        ? 'Drop the unused third parameter (`async (event, context) => …`).'
        : 'Make the handler async and return (or stream) the result instead of calling the callback.',
      key: `${d.name}:callback-mi22`,
    });
  },
});
