import { defineDeploymentRule } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe, streams } from '../../iac/deployment-support.js';

export const frontDoorCannotStream = defineDeploymentRule({
  meta: {
    id: 'front-door-cannot-stream',
    category: 'deployment',
    severity: 'warning',
    title: 'A streaming handler is reached through a front door that buffers (HTTP API, ALB, REST API without STREAM)',
    consequence:
      'HTTP APIs and Application Load Balancers never stream; REST APIs stream only with responseTransferMode STREAM and the response-streaming-invocations URI. Through them the client waits for the whole response.',
    evidence:
      'API Gateway docs (response-transfer-mode, 2025-11-19): "Response streaming is only supported for REST APIs", STREAM only for HTTP_PROXY/AWS_PROXY; LWA docs: "ALB does not support streaming" (aws.md §1.4).',
    fixable: false,
  },
  messages: {
    httpApi:
      '{{subject}} streams ({{how}}) but is also reached through an API Gateway HTTP API, which never streams: callers on that path get the response only when it is complete.',
    alb: '{{subject}} streams ({{how}}) but is also reached through an Application Load Balancer, which never streams: callers on that path get the response only when it is complete.',
    restApiWithoutStream:
      '{{subject}} streams ({{how}}) but is also reached through a REST API integration without responseTransferMode STREAM: callers on that path get the response only when it is complete.',
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
