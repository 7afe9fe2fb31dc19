import { defineDeploymentRule } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe, streams } from '../../iac/deployment-support.js';

export const frontDoorCannotStream = defineDeploymentRule({
  meta: {
    id: 'front-door-cannot-stream',
    category: 'deployment',
    severity: 'error',
    title: 'A streaming handler is reached through a front door that cannot stream (HTTP API, ALB, REST API without STREAM): those requests fail',
    consequence:
      'HTTP APIs and Application Load Balancers never stream; REST APIs stream only with responseTransferMode STREAM. They invoke the function buffered and get the streamed bytes (prelude JSON, 8 NUL bytes, body), which is not a proxy response: the client gets a 500 (HTTP API) or 502 (REST API, ALB), not a buffered response.',
    evidence:
      'API Gateway docs (response-transfer-mode, 2025-11-19): "Response streaming is only supported for REST APIs"; knowledge center (payload 1.0 vs 2.0): a response not in the proxy format "returns a 500 error"; re:Post malformed-502-api-gateway (REST); opennextjs/opennextjs-aws#1090 (HTTP API + streaming wrapper "will return 500"); spring-framework#35459 (ALB 502, observed); RIE directinvoke.go (the streamed bytes become the buffered payload).',
    fixable: false,
  },
  messages: {
    httpApi:
      '{{subject}} streams ({{how}}) but is also reached through an API Gateway HTTP API, which never streams: it invokes the function buffered, gets the prelude JSON and NUL bytes instead of a proxy response, and returns 500 to the caller.',
    alb: '{{subject}} streams ({{how}}) but is also reached through an Application Load Balancer, which never streams: it invokes the function buffered, gets the prelude JSON and NUL bytes instead of a response object, and returns an error (502) to the caller.',
    restApiWithoutStream:
      '{{subject}} streams ({{how}}) but is also reached through a REST API integration without responseTransferMode STREAM: API Gateway invokes it buffered, gets the prelude JSON and NUL bytes instead of a proxy response, and returns 502 to the caller.',
  },
  check(context, report) {
    const streaming = streams(context);
    if (!streaming) return;
    const d = context.deployment;
    const data = { subject: capitalized(describe(d)), how: streaming.how };
    const fix = 'Serve streaming routes through a RESPONSE_STREAM Function URL (optionally behind CloudFront) or a REST API with responseTransferMode STREAM.';
    for (const door of d.frontDoors) {
      const where = { at: door.at, key: `${d.name}:${door.kind}:${door.at.line}` };
      if (door.kind === 'http-api') report({ ...where, messageId: 'httpApi', data, fix });
      else if (door.kind === 'alb') report({ ...where, messageId: 'alb', data, fix });
      else if (door.kind === 'rest-api') {
        const mode = door.transferMode;
        if (mode !== undefined && !isResolved(mode)) continue;
        if (isResolved(mode) && mode.value === 'STREAM') continue;
        report({ ...where, messageId: 'restApiWithoutStream', data, fix: 'Set responseTransferMode: STREAM on the integration (and use the response-streaming-invocations URI).' });
      }
    }
  },
});
