import type { DeploymentRule } from '../../model/rule.js';
import { describe, urlAuthType } from '../../iac/deployment-support.js';

export const publicFunctionUrl: DeploymentRule = {
  meta: {
    id: 'public-function-url',
    surface: 'deployment',
    category: 'deployment',
    severity: 'warning',
    title: 'The Function URL has no authentication (AuthType NONE)',
    consequence:
      'Anyone who finds the URL can invoke the function: cost (streams hold concurrency and bill for their whole duration) and data exposure, unless the app authenticates every request itself.',
    evidence:
      'Lambda docs (urls-auth); Checkov CKV_AWS_258 and Prowler awslambda_function_url_public flag the same setting; SST defaults url authorization to "none" (tooling.md §0.5).',
    fixable: false,
    triggers: [],
  },
  check({ deployment: d }) {
    const auth = urlAuthType(d);
    if (!auth || auth.value !== 'NONE') return [];
    return [
      {
        at: auth.at,
        message: `The Function URL of ${describe(d)} is public (AuthType NONE${auth.isDefault ? `, the ${d.source} default for \`url: true\`` : ''}): anyone can invoke it, and each open stream bills and holds concurrency until it ends.`,
        fix: 'Use AWS_IAM (e.g. behind CloudFront with origin access control), or make sure the app authenticates every request.',
        key: `${d.name}:public-url`,
      },
    ];
  },
};
