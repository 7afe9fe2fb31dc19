import { defineLiveRule, type PolicyStatement } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { describe } from '../../iac/deployment-support.js';

/**
 * A public Function URL (AuthType NONE) needs two statements in the function's resource-based policy:
 * `lambda:InvokeFunctionUrl` and, since October 2025 for new URLs and November 1, 2026 for every URL,
 * `lambda:InvokeFunction` (with `lambda:InvokedViaFunctionUrl`). Without them every request is answered
 * `403 Forbidden` before the function runs.
 */
export const functionUrlMissingInvokePermission = defineLiveRule({
  meta: {
    id: 'function-url-missing-invoke-permission',
    category: 'live',
    severity: 'error',
    title: 'A public Function URL lacks lambda:InvokeFunctionUrl or lambda:InvokeFunction in the resource policy (403 Forbidden)',
    consequence:
      'Every request to the URL is answered 403 Forbidden before the function runs: since October 2025 new URLs, and since November 1, 2026 all URLs, need both permissions.',
    evidence:
      'Lambda docs urls-auth.html ("Starting in October 2025, new function URLs will require both lambda:InvokeFunctionUrl and lambda:InvokeFunction permissions"); AWS Health notice quoted in serverless #13147/#13148 (existing URLs: update by November 1, 2026); opennextjs-aws #1068, devops-book #12 (403 Forbidden with only InvokeFunctionUrl).',
    fixable: false,
  },
  messages: {
    noPublicStatement:
      'The Function URL of {{function}} is public (AuthType NONE) but its resource policy has no public statement for {{missing}}: every request is answered 403 Forbidden before the function runs (required for every Function URL since November 1, 2026).',
    noPolicy:
      'The Function URL of {{function}} is public (AuthType NONE) but the function has no resource policy, so nothing grants {{missing}}: every request is answered 403 Forbidden before the function runs (required for every Function URL since November 1, 2026).',
  },
  check({ deployments, policy }, report) {
    // A policy that could not be read says nothing either way.
    if (policy === null) return;
    const statements = policy?.Statement ?? [];
    const hasUrl = statements.some((s) => publicAllow(s, 'lambda:InvokeFunctionUrl'));
    const hasInvoke = statements.some((s) => publicAllow(s, 'lambda:InvokeFunction'));
    if (hasUrl && hasInvoke) return;
    for (const d of deployments) {
      if (!d.url || !isResolved(d.url.authType) || d.url.authType.value !== 'NONE') continue;
      const missing = [hasUrl ? '' : '`lambda:InvokeFunctionUrl` (condition `lambda:FunctionUrlAuthType` = NONE)', hasInvoke ? '' : '`lambda:InvokeFunction` (condition `lambda:InvokedViaFunctionUrl` = true)'].filter(Boolean);
      report({
        messageId: policy ? 'noPublicStatement' : 'noPolicy',
        data: { function: describe(d), missing: missing.join(' and ') },
        at: d.url.authType.at,
        fix: `Add the missing statement${missing.length > 1 ? 's' : ''}: \`aws lambda add-permission --function-name ${d.name} --statement-id FunctionURLInvokeAllowPublicAccess --action lambda:InvokeFunction --principal '*' --invoked-via-function-url\`${hasUrl ? '' : ` and \`--action lambda:InvokeFunctionUrl --function-url-auth-type NONE\``} (the console and SAM add both; CloudFormation, Terraform and older serverless/SST versions add only the first).`,
        key: `${d.name}:url-permissions`,
      });
    }
  },
});

/** An Allow statement granting `action` to everyone (Principal "*" or {AWS: "*"}), by name or wildcard. */
function publicAllow(statement: PolicyStatement, action: string): boolean {
  if (statement.Effect !== 'Allow') return false;
  const principal = statement.Principal;
  const everyone = principal === '*' || (typeof principal === 'object' && principal !== null && [principal.AWS ?? []].flat().includes('*'));
  if (!everyone) return false;
  const actions = [statement.Action ?? []].flat();
  return actions.some((a) => a === action || a === 'lambda:*' || a === '*');
}
