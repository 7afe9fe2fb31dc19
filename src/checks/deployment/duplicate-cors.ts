import type { DeploymentRule } from '../../model/rule.js';
import { describe, urlCors } from '../../iac/deployment-support.js';

export const duplicateCors: DeploymentRule = {
  meta: {
    id: 'duplicate-cors',
    surface: 'deployment',
    category: 'deployment',
    severity: 'error',
    title: 'CORS is configured on the Function URL and also emitted by the app',
    consequence:
      'For non-preflight requests the URL returns its configured CORS headers and the function\'s own: Access-Control-Allow-Origin arrives twice and browsers reject the response ("contains multiple values … but only one is allowed").',
    evidence:
      'powertools-lambda-python #4163, hummingbird-examples PR #130, KensioSoftware/yulin #1217 (observed duplicates); seed 001 advice; SST url.cors defaults to true (aws.md §1.2, tooling.md §0.5).',
    fixable: true,
    triggers: [],
  },
  check({ deployment: d, handler }) {
    const cors = urlCors(d);
    if (!handler?.cors || !cors) return [];
    return [
      {
        at: cors.at,
        message: `The Function URL of ${describe(d)} adds CORS headers${cors.isDefault ? ' (SST enables URL CORS by default)' : ''}, and the app adds its own (${handler.cors.how}, ${handler.cors.file}:${handler.cors.line}): browsers receive Access-Control-Allow-Origin twice and reject the response.`,
        fix: 'Keep CORS in one place: remove the URL\'s CORS configuration, or remove the CORS middleware from the app.',
        key: `${d.name}:duplicate-cors`,
      },
    ];
  },
};
