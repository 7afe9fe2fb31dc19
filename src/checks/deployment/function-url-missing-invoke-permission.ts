import { defineDeploymentRule } from '../../model/rule.js';
import { type PolicyGrant, isResolved } from '../../model/deployment.js';
import { describe } from '../../iac/deployment-support.js';

/**
 * A public Function URL (AuthType NONE) needs two statements in the function's resource-based policy:
 * `lambda:InvokeFunctionUrl` and, since October 2025 for new URLs and November 1, 2026 for every URL,
 * `lambda:InvokeFunction` (with `lambda:InvokedViaFunctionUrl`). Without them every request is answered
 * `403 Forbidden` before the function runs.
 *
 * Live (`stream-doctor aws`): the whole policy from GetPolicy. Infrastructure code: only when the code states
 * the permissions itself (a URL resource declared alone, with `AWS::Lambda::Permission`, `aws_lambda_permission`,
 * CDK `addPermission`/`CfnPermission`), and grants `lambda:InvokeFunctionUrl` but not `lambda:InvokeFunction`.
 * Tools that create the URL's permissions themselves (SAM `FunctionUrlConfig`, CDK `addFunctionUrl`,
 * serverless `url:`, SST) are left alone.
 */
export const functionUrlMissingInvokePermission = defineDeploymentRule({
  meta: {
    id: 'function-url-missing-invoke-permission',
    category: 'deployment',
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
    toolGrantsOnlyInvokeFunctionUrl:
      'The Function URL of {{function}} is public (AuthType NONE), and {{tool}} creates only its `lambda:InvokeFunctionUrl` permission, not `lambda:InvokeFunction` (condition `lambda:InvokedViaFunctionUrl` = true): a URL created since October 2025 answers 403 Forbidden to every request before the function runs (existing URLs too from November 1, 2026).',
    onlyInvokeFunctionUrl:
      'The Function URL of {{function}} is public (AuthType NONE), and the permissions declared for it grant only `lambda:InvokeFunctionUrl` (line {{urlGrantLine}}), not `lambda:InvokeFunction` (condition `lambda:InvokedViaFunctionUrl` = true): a URL created since October 2025 answers 403 Forbidden to every request before the function runs (existing URLs too from November 1, 2026).',
  },
  check({ deployment: d }, report) {
    const url = d.url;
    const policy = d.policy;
    if (!url || !policy || !isResolved(url.authType) || url.authType.value !== 'NONE') return;
    // A grant whose principal or (public) actions cannot be read may be the missing statement.
    if (policy.grants.some((g) => !isResolved(g.everyone) || (g.everyone.value && !isResolved(g.actions)))) return;
    const urlGrant = policy.grants.find((g) => grants(g, 'lambda:InvokeFunctionUrl'));
    const hasInvoke = policy.grants.some((g) => grants(g, 'lambda:InvokeFunction'));
    if (policy.complete) {
      if (urlGrant && hasInvoke) return;
      const missing = [urlGrant ? '' : '`lambda:InvokeFunctionUrl` (condition `lambda:FunctionUrlAuthType` = NONE)', hasInvoke ? '' : '`lambda:InvokeFunction` (condition `lambda:InvokedViaFunctionUrl` = true)'].filter(Boolean);
      report({
        messageId: policy.grants.length > 0 ? 'noPublicStatement' : 'noPolicy',
        data: { function: describe(d), missing: missing.join(' and ') },
        at: url.authType.at,
        fix: `Add the missing statement${missing.length > 1 ? 's' : ''}: \`aws lambda add-permission --function-name ${d.name} --statement-id FunctionURLInvokeAllowPublicAccess --action lambda:InvokeFunction --principal '*' --invoked-via-function-url\`${urlGrant ? '' : ` and \`--action lambda:InvokeFunctionUrl --function-url-auth-type NONE\``} (the console and SAM add both; CloudFormation, Terraform and older serverless/SST versions add only the first).`,
        key: `${d.name}:url-permissions`,
      });
      return;
    }
    // Declared in the infrastructure code: only where the code owns the URL's permissions and grants the URL's half alone.
    if (url.ownPermissions !== false || !urlGrant || hasInvoke) return;
    if (urlGrant.by) {
      report({
        messageId: 'toolGrantsOnlyInvokeFunctionUrl',
        data: { function: describe(d), tool: urlGrant.by },
        at: urlGrant.at,
        fix: TOOL_FIX[d.source] ?? FIX_BY_SOURCE[d.source] ?? FIX_BY_SOURCE.cloudformation!,
        key: `${d.name}:url-permissions`,
      });
      return;
    }
    report({
      messageId: 'onlyInvokeFunctionUrl',
      data: { function: describe(d), urlGrantLine: urlGrant.at.line },
      at: urlGrant.at,
      fix: FIX_BY_SOURCE[d.source] ?? FIX_BY_SOURCE.cloudformation!,
      key: `${d.name}:url-permissions`,
    });
  },
});

const FIX_BY_SOURCE: Partial<Record<string, string>> = {
  cloudformation:
    "Add a second AWS::Lambda::Permission for the function: `Action: lambda:InvokeFunction`, `Principal: '*'`, `InvokedViaFunctionUrl: true` (or declare the URL with SAM `FunctionUrlConfig`, which adds both).",
  sam: "Add a second AWS::Lambda::Permission for the function: `Action: lambda:InvokeFunction`, `Principal: '*'`, `InvokedViaFunctionUrl: true` (or use the function's `FunctionUrlConfig`, which adds both).",
  serverless:
    "Add a second AWS::Lambda::Permission under resources.Resources: `Action: lambda:InvokeFunction`, `Principal: '*'`, `InvokedViaFunctionUrl: true` (or declare the URL with the function's `url:`, whose permissions Serverless v4 adds itself).",
  terraform:
    'Add an aws_lambda_permission with `action = "lambda:InvokeFunction"`, `principal = "*"` and the condition lambda:InvokedViaFunctionUrl = true (`invoked_via_function_url = true` in AWS provider versions that have it; terraform-provider-aws #44829), or `aws lambda add-permission --invoked-via-function-url`.',
  cdk: "Add `fn.addPermission('InvokeViaUrl', { principal: new iam.AnyPrincipal(), action: 'lambda:InvokeFunction', invokedViaFunctionUrl: true })`, or create the URL with `fn.addFunctionUrl()`, which grants both.",
};

/** When the tool that creates the URL writes the incomplete permission itself. */
const TOOL_FIX: Partial<Record<string, string>> = {
  serverless:
    "Upgrade to Serverless Framework v4 (or osls), which add both permissions, or add an AWS::Lambda::Permission under resources.Resources: `Action: lambda:InvokeFunction`, `Principal: '*'`, `InvokedViaFunctionUrl: true`, `FunctionName: !Ref <Fn>LambdaFunction`.",
  cdk: "Upgrade aws-cdk-lib to 2.220.0 or later (its addFunctionUrl/FunctionUrl grant both permissions), or add `fn.addPermission('InvokeViaUrl', { principal: new iam.AnyPrincipal(), action: 'lambda:InvokeFunction', invokedViaFunctionUrl: true })`.",
};

/** A public Allow grant of `action`, by name or wildcard. */
function grants(grant: PolicyGrant, action: string): boolean {
  if (grant.effect !== 'Allow' || !isResolved(grant.everyone) || !grant.everyone.value || !isResolved(grant.actions)) return false;
  return grant.actions.value.some((a) => a === action || a === 'lambda:*' || a === '*');
}
