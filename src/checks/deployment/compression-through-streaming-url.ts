import { defineDeploymentRule } from '../../model/rule.js';
import { capitalized, describe, streams, urlInvokeMode } from '../../iac/deployment-support.js';

export const compressionThroughStreamingUrl = defineDeploymentRule({
  meta: {
    id: 'compression-through-streaming-url',
    category: 'deployment',
    severity: 'warning',
    title: 'A streaming handler compresses its responses (content-encoding) and is served through a RESPONSE_STREAM Function URL',
    consequence:
      'A RESPONSE_STREAM Function URL was observed to decompress a streamed response and drop its content-encoding header, negotiated or not: the compression is wasted work. With CloudFront in front, the same setup gave intermittent 502s, which went away once accept-encoding was no longer forwarded.',
    evidence:
      'Observed, not documented by AWS: aws/aws-lambda-nodejs-runtime-interface-client#96 (2024-02, open: the URL decompresses and strips Content-Encoding; 2026-03-25 comment: periodic 502 behind CloudFront); opennextjs/opennextjs-aws#1127 (2026-03, open: stripping accept-encoding in CloudFront "completely resolves" the 502s); aws/aws-lambda-rust-runtime#871; Lambda Web Adapter docs (compression is disabled with a warning in response_stream mode). API Gateway REST streaming is not reported: its own content encoding does not apply to streamed responses, so compression belongs in the integration (response-transfer-mode docs).',
    fixable: false,
  },
  messages: {
    url: '{{subject}} streams ({{how}}) through a RESPONSE_STREAM Function URL, and its code compresses the response ({{compression}}, {{file}}:{{line}}): the Function URL was observed to decompress streamed responses and drop content-encoding, so the compression is wasted work.',
    cloudFront:
      '{{subject}} streams ({{how}}) through a RESPONSE_STREAM Function URL behind CloudFront, and its code compresses the response ({{compression}}, {{file}}:{{line}}): this setup was observed to give intermittent 502s through CloudFront (the Function URL decompresses streamed responses and drops content-encoding).',
  },
  check(context, report) {
    const d = context.deployment;
    const compression = context.handler?.compression;
    if (!compression) return;
    const mode = urlInvokeMode(d);
    if (mode?.mode !== 'RESPONSE_STREAM') return;
    const streaming = streams(context);
    if (!streaming) return;
    const data = { subject: capitalized(describe(d)), how: streaming.how, compression: compression.how, file: compression.file, line: compression.line };
    const behindCloudFront = d.frontDoors.some((door) => door.kind === 'cloudfront');
    report({
      messageId: behindCloudFront ? 'cloudFront' : 'url',
      data,
      // Direct URL callers only lose the compression (performance); through CloudFront requests fail.
      severity: behindCloudFront ? 'warning' : 'info',
      at: mode.at,
      fix: behindCloudFront
        ? 'Stream identity from the function and let CloudFront compress (cache behavior Compress: true), or stop forwarding accept-encoding to the Function URL origin (CloudFront viewer-request function or origin request policy).'
        : 'Stream identity from the function; to compress, put CloudFront in front with Compress: true, or serve the route through an API Gateway REST API with responseTransferMode STREAM.',
      key: `${d.name}:compression`,
    });
  },
});
