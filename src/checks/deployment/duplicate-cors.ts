import { defineDeploymentRule, payloadType } from '../../model/rule.js';
import type { HandlerFacts } from '../../code/handler-facts.js';
import { type UrlCorsSetting, describe, urlCors } from '../../iac/deployment-support.js';

/** Both sides of the duplicate: the URL's CORS (where it is configured) and the app's, which the fixer keeps. */
export interface CorsSides {
  url: UrlCorsSetting;
  app: NonNullable<HandlerFacts['cors']>;
}

export const duplicateCors = defineDeploymentRule({
  meta: {
    id: 'duplicate-cors',
    category: 'deployment',
    severity: 'error',
    title: 'CORS is configured on the Function URL and also emitted by the app',
    consequence:
      'For non-preflight requests the URL returns its configured CORS headers and the function\'s own: Access-Control-Allow-Origin arrives twice and browsers reject the response ("contains multiple values … but only one is allowed").',
    evidence:
      'powertools-lambda-python #4163, hummingbird-examples PR #130, KensioSoftware/yulin #1217 (observed duplicates); a user report (an Express app with cors() behind a URL with CORS); SST url.cors defaults to true (aws.md §1.2, tooling.md §0.5).',
    fixable: true,
  },
  messages: {
    urlAndAppCors:
      'The Function URL of {{function}} adds CORS headers, and the app adds its own ({{how}}, {{file}}:{{line}}): browsers receive Access-Control-Allow-Origin twice and reject the response.',
    defaultUrlAndAppCors:
      'The Function URL of {{function}} adds CORS headers (SST enables URL CORS by default), and the app adds its own ({{how}}, {{file}}:{{line}}): browsers receive Access-Control-Allow-Origin twice and reject the response.',
  },
  payload: payloadType<CorsSides>(),
  check({ deployment: d, handler }, report) {
    const cors = urlCors(d);
    if (!handler?.cors || !cors) return;
    const app = handler.cors;
    report({
      messageId: cors.isDefault ? 'defaultUrlAndAppCors' : 'urlAndAppCors',
      data: { function: describe(d), how: app.how, file: app.file, line: app.line },
      at: cors.at,
      fix: 'Keep CORS in one place: remove the URL\'s CORS configuration, or remove the CORS middleware from the app.',
      key: `${d.name}:duplicate-cors`,
      payload: { url: cors, app },
    });
  },
});
