import type { DeploymentRule } from '../../model/rule.js';
import { appStreamBufferedByAdapter } from './app-stream-buffered-by-adapter.js';
import { bufferedHandlerBehindStreamingUrl } from './buffered-handler-behind-streaming-url.js';
import { callbackHandlerOnNodejs24 } from './callback-handler-on-nodejs24.js';
import { cloudfrontOacUnsignedBody } from './cloudfront-oac-unsigned-body.js';
import { compressionThroughStreamingUrl } from './compression-through-streaming-url.js';
import { duplicateCors } from './duplicate-cors.js';
import { execWrapperProxiesRuntimeApi } from './exec-wrapper-proxies-runtime-api.js';
import { functionUrlMissingInvokePermission } from './function-url-missing-invoke-permission.js';
import { frontDoorCannotStream } from './front-door-cannot-stream.js';
import { managedInstancesSharedState } from './managed-instances-shared-state.js';
import { publicFunctionUrl } from './public-function-url.js';
import { streamingHandlerBehindBufferedUrl } from './streaming-handler-behind-buffered-url.js';
import { streamingTimeoutTooShort } from './streaming-timeout-too-short.js';
import { tinyReservedConcurrency } from './tiny-reserved-concurrency.js';
import { webAdapterLayerArchitecture } from './web-adapter-layer-architecture.js';
import { webAdapterModeMismatch } from './web-adapter-mode-mismatch.js';

/** Deployment rules: pure functions of a Deployment and its handler facts (IaC today, live AWS later). */
export const deploymentRules = [
  streamingHandlerBehindBufferedUrl,
  bufferedHandlerBehindStreamingUrl,
  webAdapterModeMismatch,
  frontDoorCannotStream,
  duplicateCors,
  streamingTimeoutTooShort,
  tinyReservedConcurrency,
  publicFunctionUrl,
  callbackHandlerOnNodejs24,
  execWrapperProxiesRuntimeApi,
  managedInstancesSharedState,
  appStreamBufferedByAdapter,
  webAdapterLayerArchitecture,
  functionUrlMissingInvokePermission,
  compressionThroughStreamingUrl,
  cloudfrontOacUnsignedBody,
] as const satisfies readonly DeploymentRule[];
