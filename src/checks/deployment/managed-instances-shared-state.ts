import { defineDeploymentRule } from '../../model/rule.js';
import { capitalized, describe } from '../../iac/deployment-support.js';

export const managedInstancesSharedState = defineDeploymentRule({
  meta: {
    id: 'managed-instances-shared-state',
    category: 'deployment',
    severity: 'warning',
    title: 'A function on Lambda Managed Instances keeps mutable state at module scope',
    consequence:
      'On Managed Instances the 4.x runtime runs several invocations concurrently in one process: module-scope variables, caches and collections that handlers change are shared between requests (one user\'s data can leak into another\'s response; counters and buffers interleave).',
    evidence:
      'aws-lambda-ric 4.0.2 index.mjs: multi-concurrency with setImmediate per invoke when AWS_LAMBDA_MAX_CONCURRENCY is set (source; runtime-evidence §6); Lambda Runtime API docs: concurrent /next up to AWS_LAMBDA_MAX_CONCURRENCY (aws.md §6); CapacityProviderConfig marks Managed Instances (aws.md §3.1).',
    fixable: false,
  },
  messages: {
    moduleStateShared:
      "{{subject}} runs on Lambda Managed Instances, where invocations share one process concurrently, and its handler module changes module-scope state: {{names}}. Concurrent requests see and overwrite each other's values.",
  },
  check({ deployment: d, handler }, report) {
    if (!d.managedInstances || !handler || handler.moduleState.length === 0) return;
    const names = handler.moduleState.slice(0, 3).map((s) => `\`${s.name}\` (${handler.file}:${s.line})`).join(', ');
    report({
      messageId: 'moduleStateShared',
      data: { subject: capitalized(describe(d)), names },
      at: d.managedInstances,
      fix: 'Keep per-request state inside the handler (or keyed by request id); make module-scope caches immutable or safe for concurrent use.',
      key: `${d.name}:managed-state`,
    });
  },
});
