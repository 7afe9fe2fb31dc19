/**
 * streaming-timeout-too-short has no one right value: the timeout must cover the longest stream the route
 * produces (60-120 s is common for chat, up to 900 s), and a long timeout also bills a stream nobody reads
 * any more. So the rule is not fixable: `fix` answers with a suggestion that names the setting to change in
 * the function's format, and never edits the file.
 */
import type { DeploymentFixer } from './types.js';
import { CDK_OUT, formatOf } from './types.js';

const SETTING: Record<string, string> = {
  sam: '`Timeout` (seconds) on the function, or `Globals.Function.Timeout`',
  cloudformation: '`Timeout` (seconds) on the AWS::Lambda::Function',
  cdk: '`timeout: Duration.seconds(…)` in the function props',
  serverless: '`timeout` (seconds) on the function, or `provider.timeout`',
  terraform: '`timeout` (seconds) on the function',
  sst: '`timeout: "… seconds"` in the function args',
};

export const streamingTimeoutTooShortFixer: DeploymentFixer = {
  ruleId: 'streaming-timeout-too-short',
  fix(context) {
    const d = context.detail.deployment;
    if (formatOf(context.detail.finding.file) === 'cdk-out') return { suggestion: CDK_OUT };
    const setting = SETTING[d.source] ?? 'the function timeout';
    return {
      suggestion: `the right timeout depends on the longest stream this function serves (at most 900 s), which the code does not say; set ${setting}`,
    };
  },
};
