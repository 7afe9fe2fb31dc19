/**
 * web-adapter-mode-mismatch, both directions (the rule's payload says which side to change):
 * - RESPONSE_STREAM URL, adapter buffered (the finding points at `AWS_LWA_INVOKE_MODE` or at the adapter):
 *   set `AWS_LWA_INVOKE_MODE=response_stream` where it is written, or where the adapter is installed (the
 *   Dockerfile `ENV` after its `COPY`, or the function's environment for a layer);
 * - adapter `response_stream`, URL BUFFERED (the finding points at the variable): the variable says the app
 *   is meant to stream, so the URL's invoke mode becomes RESPONSE_STREAM.
 */
import { webAdapterModeMismatch } from '../../checks/deployment/web-adapter-mode-mismatch.js';
import { attempt } from './attempt.js';
import { setLwaInvokeMode } from './lwa-environment.js';
import { defineDeploymentFixer } from './types.js';
import { setUrlInvokeMode } from './url-invoke-mode.js';

export const webAdapterModeMismatchFixer = defineDeploymentFixer(webAdapterModeMismatch, (problem, context) => {
  const target = problem.payload;
  switch (target.change) {
    case 'adapter':
      return attempt(() => setLwaInvokeMode(context, target.adapter));
    case 'url':
      return attempt(() => setUrlInvokeMode(context, target.url));
    case 'none':
      return { suggestion: target.reason };
  }
});
