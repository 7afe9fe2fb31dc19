/**
 * web-adapter-mode-mismatch, both directions:
 * - RESPONSE_STREAM URL, adapter buffered (the finding points at `AWS_LWA_INVOKE_MODE` or at the adapter):
 *   set `AWS_LWA_INVOKE_MODE=response_stream` where it is written, or where the adapter is installed (the
 *   Dockerfile `ENV` after its `COPY`, or the function's environment for a layer);
 * - adapter `response_stream`, URL BUFFERED (the finding points at the variable): the variable says the app
 *   is meant to stream, so the URL's invoke mode becomes RESPONSE_STREAM.
 */
import { attempt } from './attempt.js';
import { setLwaInvokeMode } from './lwa-environment.js';
import type { DeploymentFixer } from './types.js';
import { setUrlInvokeMode } from './url-invoke-mode.js';

export const webAdapterModeMismatchFixer: DeploymentFixer = {
  ruleId: 'web-adapter-mode-mismatch',
  fix(context) {
    const key = context.detail.report.key;
    if (key.endsWith(':lwa-buffered')) return attempt(() => setLwaInvokeMode(context));
    if (key.endsWith(':lwa-stream-url-buffered')) return attempt(() => setUrlInvokeMode(context));
    return { suggestion: 'unknown finding kind' };
  },
};
