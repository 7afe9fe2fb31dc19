import { defineDeploymentRule } from '../../model/rule.js';
import { describe, urlAuthType } from '../../iac/deployment-support.js';

export const publicFunctionUrl = defineDeploymentRule({
  meta: {
    id: 'public-function-url',
    category: 'deployment',
    severity: 'warning',
    title: 'The Function URL has no authentication (AuthType NONE)',
    consequence:
      'Anyone who finds the URL can invoke the function: cost (streams hold concurrency and bill for their whole duration) and data exposure, unless the app authenticates every request itself.',
    evidence:
      'Lambda docs (urls-auth); Checkov CKV_AWS_258 and Prowler awslambda_function_url_public flag the same setting; SST defaults url authorization to "none" (tooling.md §0.5).',
    fixable: false,
  },
  messages: {
    publicUrl:
      'The Function URL of {{function}} is public (AuthType NONE): anyone can invoke it, and each open stream bills and holds concurrency until it ends.',
    publicByDefault:
      'The Function URL of {{function}} is public (AuthType NONE, the {{source}} default for `url: true`): anyone can invoke it, and each open stream bills and holds concurrency until it ends.',
  },
  check({ deployment: d }, report) {
    const auth = urlAuthType(d);
    if (!auth || auth.value !== 'NONE') return;
    const common = {
      at: auth.at,
      fix: 'Use AWS_IAM (e.g. behind CloudFront with origin access control), or make sure the app authenticates every request.',
      key: `${d.name}:public-url`,
    };
    if (auth.isDefault) report({ ...common, messageId: 'publicByDefault', data: { function: describe(d), source: d.source } });
    else report({ ...common, messageId: 'publicUrl', data: { function: describe(d) } });
  },
});
