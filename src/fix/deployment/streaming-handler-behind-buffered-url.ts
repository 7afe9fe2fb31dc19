/**
 * streaming-handler-behind-buffered-url: the handler streams, the URL buffers. One clear fix: the URL's invoke
 * mode becomes RESPONSE_STREAM (SAM/CloudFormation `InvokeMode`, serverless `url.invokeMode`, Terraform
 * `invoke_mode`, CDK `invokeMode`, SST `streaming: true`), replaced where it is written or added to the URL.
 */
import { attempt } from './attempt.js';
import type { DeploymentFixer } from './types.js';
import { setUrlInvokeMode } from './url-invoke-mode.js';

export const streamingHandlerBehindBufferedUrlFixer: DeploymentFixer = {
  ruleId: 'streaming-handler-behind-buffered-url',
  fix: (context) => attempt(() => setUrlInvokeMode(context)),
};
