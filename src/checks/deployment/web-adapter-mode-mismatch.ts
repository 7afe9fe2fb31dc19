import type { DeploymentRule } from '../../model/rule.js';
import { capitalized, describe, urlInvokeMode, webAdapterMode } from '../../iac/deployment-support.js';

export const webAdapterModeMismatch: DeploymentRule = {
  meta: {
    id: 'web-adapter-mode-mismatch',
    surface: 'deployment',
    category: 'deployment',
    severity: 'error',
    title: 'The Lambda Web Adapter\'s AWS_LWA_INVOKE_MODE does not match the Function URL\'s invoke mode',
    consequence:
      'The adapter buffers unless AWS_LWA_INVOKE_MODE is response_stream (any other value means buffered). Behind a RESPONSE_STREAM URL a buffered adapter does not stream (SSE arrives all at once); a streaming adapter behind a BUFFERED URL leaks the prelude JSON to Invoke callers.',
    evidence:
      'aws-lambda-web-adapter docs: "AWS_LWA_INVOKE_MODE … should match your Lambda Function URL\'s invoke mode"; default buffered, unknown values buffered (src/lib.rs); issues #476, #536 (aws.md §5).',
    fixable: true,
    triggers: [],
  },
  check({ deployment: d }) {
    const lwa = webAdapterMode(d);
    const url = urlInvokeMode(d);
    if (!lwa || !url) return [];
    if (url.mode === 'RESPONSE_STREAM' && lwa.mode === 'buffered') {
      const what = lwa.explicit ? `AWS_LWA_INVOKE_MODE is \`${lwa.written}\` (buffered)` : 'AWS_LWA_INVOKE_MODE is not set, so the adapter buffers';
      return [
        {
          at: lwa.at,
          message: `${capitalized(describe(d))} runs the Lambda Web Adapter behind a RESPONSE_STREAM Function URL, but ${what}: responses (SSE, chat tokens) arrive all at once at the end instead of streaming.`,
          fix: 'Set the environment variable AWS_LWA_INVOKE_MODE=response_stream.',
          key: `${d.name}:lwa-buffered`,
        },
      ];
    }
    if (url.mode === 'BUFFERED' && lwa.mode === 'response_stream') {
      return [
        {
          at: lwa.at,
          message: `${capitalized(describe(d))} runs the Lambda Web Adapter with AWS_LWA_INVOKE_MODE=response_stream, but its Function URL is BUFFERED: nothing streams and Invoke API callers get the prelude JSON and NUL bytes in the body.`,
          fix: 'Set the Function URL invoke mode to RESPONSE_STREAM (or remove AWS_LWA_INVOKE_MODE to buffer).',
          key: `${d.name}:lwa-stream-url-buffered`,
        },
      ];
    }
    return [];
  },
};
