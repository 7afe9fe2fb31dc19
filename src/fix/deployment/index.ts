/**
 * Infrastructure edits for deployment findings with one clear fix (InvokeMode, AWS_LWA_INVOKE_MODE, duplicate
 * CORS...): minimal text edits in the IaC file, validated by re-reading it and re-running the deployment
 * checks. Each fixer lives in its own file, named after the rule.
 */
import type { FileFix } from '../engine.js';

export interface DeploymentFixOptions {
  only?: ReadonlySet<string>;
}

export async function fixDeployments(_root: string, _options: DeploymentFixOptions): Promise<FileFix[]> {
  return [];
}
