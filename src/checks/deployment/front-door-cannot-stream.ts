import type { DeploymentRule, DeploymentReport } from '../../model/rule.js';
import { isResolved } from '../../model/deployment.js';
import { capitalized, describe, streams } from '../../iac/deployment-support.js';

export const frontDoorCannotStream: DeploymentRule = {
  meta: {
    id: 'front-door-cannot-stream',
    surface: 'deployment',
    category: 'deployment',
    severity: 'warning',
    title: 'A streaming handler is reached through a front door that buffers (HTTP API, ALB, REST API without STREAM)',
    consequence:
      'HTTP APIs and Application Load Balancers never stream; REST APIs stream only with responseTransferMode STREAM and the response-streaming-invocations URI. Through them the client waits for the whole response.',
    evidence:
      'API Gateway docs (response-transfer-mode, 2025-11-19): "Response streaming is only supported for REST APIs", STREAM only for HTTP_PROXY/AWS_PROXY; LWA docs: "ALB does not support streaming" (aws.md §1.4).',
    fixable: false,
    triggers: [],
  },
  check(context) {
    const streaming = streams(context);
    if (!streaming) return [];
    const d = context.deployment;
    const reports: DeploymentReport[] = [];
    for (const door of d.frontDoors) {
      let why: string | null = null;
      if (door.kind === 'http-api') why = 'an API Gateway HTTP API, which never streams';
      else if (door.kind === 'alb') why = 'an Application Load Balancer, which never streams';
      else if (door.kind === 'rest-api') {
        const mode = door.transferMode;
        if (mode !== undefined && !isResolved(mode)) continue;
        if (!(isResolved(mode) && mode.value === 'STREAM')) why = 'a REST API integration without responseTransferMode STREAM';
      }
      if (!why) continue;
      reports.push({
        at: door.at,
        message: `${capitalized(describe(d))} streams (${streaming.how}) but is also reached through ${why}: callers on that path get the response only when it is complete.`,
        fix: door.kind === 'rest-api' ? 'Set responseTransferMode: STREAM on the integration (and use the response-streaming-invocations URI).' : 'Serve streaming routes through a RESPONSE_STREAM Function URL (optionally behind CloudFront) or a REST API with responseTransferMode STREAM.',
        key: `${d.name}:${door.kind}:${door.at.line}`,
      });
    }
    return reports;
  },
};
