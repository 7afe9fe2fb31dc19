import { defineDeploymentRule } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe, streamsOrStreamingUrl } from '../../iac/deployment-support.js';

export const execWrapperProxiesRuntimeApi = defineDeploymentRule({
  meta: {
    id: 'exec-wrapper-proxies-runtime-api',
    category: 'deployment',
    severity: 'info',
    title: 'An exec wrapper sits between Lambda and the runtime of a streaming function',
    consequence:
      'AWS_LAMBDA_EXEC_WRAPPER starts the runtime through a script, often to proxy the Runtime API. A proxy that buffers /response bodies, or drops the Lambda-Runtime-Function-Response-Mode header, chunked encoding or error trailers, silently turns streaming off. On provided.* runtimes the wrapper is ignored.',
    evidence:
      'Lambda docs runtimes-modify (wrapper scripts, not on provided*); AWS Runtime API proxy extension sample; a user report (a Runtime API proxy layer; aws.md §6).',
    fixable: false,
  },
  messages: {
    ignoredOnOsOnlyRuntime: '{{subject}} sets AWS_LAMBDA_EXEC_WRAPPER={{wrapper}} on {{runtime}}, where wrapper scripts are not supported: it is ignored.',
    wrapsStreamingRuntime:
      '{{subject}} streams ({{how}}) through the exec wrapper {{wrapper}}: if it proxies the Runtime API it must forward the streaming response mode header, chunked bodies and error trailers, or streaming silently stops.',
  },
  check(context, report) {
    const d = context.deployment;
    const wrapper = d.streamingEnvironment.AWS_LAMBDA_EXEC_WRAPPER;
    if (!wrapper || 'unresolved' in wrapper) return;
    const runtime = isResolved(d.runtime) ? d.runtime.value : '';
    const subject = capitalized(describe(d));
    if (runtime.startsWith('provided')) {
      // The adapter's layer ships /opt/bootstrap, which on an OS-only runtime is the custom runtime itself (when
      // the package has no bootstrap of its own): it execs the handler script, and the adapter starts from
      // /opt/extensions. The variable is ignored, harmlessly: the documented zip setup works.
      if (wrapper.value === '/opt/bootstrap' && d.webAdapter && d.packageType !== 'image') return;
      report({
        messageId: 'ignoredOnOsOnlyRuntime',
        data: { subject, wrapper: wrapper.value, runtime },
        at: wrapper.at,
        severity: 'warning',
        fix: 'Remove it, or start the proxy from the custom runtime\'s bootstrap.',
        key: `${d.name}:wrapper-provided`,
      });
      return;
    }
    const streaming = streamsOrStreamingUrl(context);
    if (!streaming || wrapper.value === '/opt/bootstrap') return; // /opt/bootstrap is the Lambda Web Adapter's own wrapper
    report({
      messageId: 'wrapsStreamingRuntime',
      data: { subject, how: streaming.how, wrapper: wrapper.value },
      at: wrapper.at,
      fix: 'Check that the wrapper forwards streamed responses: run the handler behind its script with `stream-doctor verify <handler> --exec-wrapper <file>` (each run is compared with the same run without the wrapper), or read its documentation on response streaming.',
      key: `${d.name}:wrapper`,
    });
  },
});
