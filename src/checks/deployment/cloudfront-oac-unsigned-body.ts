import { defineDeploymentRule } from '../../model/rule.js';
import { capitalized, describe, urlAuthType } from '../../iac/deployment-support.js';

export const cloudfrontOacUnsignedBody = defineDeploymentRule({
  meta: {
    id: 'cloudfront-oac-unsigned-body',
    category: 'deployment',
    severity: 'warning',
    title: 'CloudFront signs requests to an AWS_IAM Function URL with origin access control and allows POST/PUT: bodies without x-amz-content-sha256 are rejected',
    consequence:
      'With origin access control, CloudFront signs each request to the Function URL with SigV4; Lambda does not accept unsigned payloads, so a POST or PUT with a body is rejected with 403 unless the client sends the SHA-256 of the body in x-amz-content-sha256.',
    evidence:
      'CloudFront Developer Guide, "Restrict access to an AWS Lambda function URL origin" (private-content-restricting-access-to-lambda.html): "If you use PUT or POST methods with your Lambda function URL, your users must compute the SHA256 of the body and include the payload hash value of the request body in the x-amz-content-sha256 header when sending the request to CloudFront. Lambda doesn\'t support unsigned payloads." OAC requires AuthType AWS_IAM (same page, Prerequisites).',
    fixable: false,
  },
  messages: {
    unsignedBody:
      '{{subject}} has an AWS_IAM Function URL that CloudFront reaches through an origin access control of type lambda, and the cache behavior allows {{methods}}: Lambda does not support unsigned payloads, so every non-empty {{methods}} body gets 403 unless the client sends x-amz-content-sha256 with the SHA-256 of the body.',
  },
  check({ deployment: d }, report) {
    const auth = urlAuthType(d);
    if (auth?.value !== 'AWS_IAM') return;
    for (const door of d.frontDoors) {
      if (door.kind !== 'cloudfront' || !door.originAccessControl || !door.bodyMethods) continue;
      // SigningBehavior never: CloudFront does not sign, the OAC does nothing (and the AWS_IAM URL refuses every request).
      if (door.originAccessControl.signing?.toLowerCase() === 'never') continue;
      report({
        messageId: 'unsignedBody',
        data: { subject: capitalized(describe(d)), methods: door.bodyMethods.methods.join('/') },
        at: door.bodyMethods.at,
        fix: 'Have every client that sends POST or PUT add x-amz-content-sha256 (hex SHA-256 of the body), or allow only GET, HEAD and OPTIONS on this behavior and send writes another way (for example a REST API, or a URL with AuthType NONE that checks a secret header set by CloudFront).',
        key: `${d.name}:oac-body:${door.bodyMethods.at.line}`,
      });
    }
  },
});
