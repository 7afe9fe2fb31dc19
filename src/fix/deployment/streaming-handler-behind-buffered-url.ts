/**
 * streaming-handler-behind-buffered-url: the handler streams, the URL buffers. One clear fix: the URL's invoke
 * mode becomes RESPONSE_STREAM (SAM/CloudFormation `InvokeMode`, serverless `url.invokeMode`, Terraform
 * `invoke_mode`, CDK `invokeMode`, SST `streaming: true`), replaced where it is written or added to the URL.
 */
import { streamingHandlerBehindBufferedUrl } from '../../checks/deployment/streaming-handler-behind-buffered-url.js';
import { attempt } from './attempt.js';
import { defineDeploymentFixer } from './types.js';
import { setUrlInvokeMode } from './url-invoke-mode.js';

export const streamingHandlerBehindBufferedUrlFixer = defineDeploymentFixer(streamingHandlerBehindBufferedUrl, (problem, context) =>
  attempt(() => setUrlInvokeMode(context, problem.payload)),
);
