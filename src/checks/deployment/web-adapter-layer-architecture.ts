import type { Deployment, Located, SourceLocation } from '../../model/deployment.js';
import { defineDeploymentRule } from '../../model/rule.js';
import { capitalized, describe, streamsOrStreamingUrl } from '../../iac/deployment-support.js';

/**
 * The Lambda Web Adapter's published layer names carry the architecture of the binary inside
 * (`...:layer:LambdaAdapterLayerX86:26`, `...:layer:LambdaAdapterLayerArm64:26`, aws.md §3.3). The name
 * must be written out: `LambdaAdapterLayer${Arch}` is not read. The version is optional (`:${Version}`
 * leaves it unknown). Region and account may be expressions (`!Sub ...${AWS::Region}...`): they do not
 * change the name.
 */
const ADAPTER_LAYER = /:layer:LambdaAdapterLayer(X86|Arm64)(?::(\d+))?(?![\w$])/;

/** The first layer version that streams (≈ v0.7.0, aws.md §3.3 "Layers < 15 cannot stream"). */
const FIRST_STREAMING_LAYER_VERSION = 15;

type Architecture = 'x86_64' | 'arm64';

interface AdapterLayer {
  layer: Located<string>;
  architecture: Architecture;
  name: string;
  version: number | null;
}

function adapterLayers(d: Deployment): AdapterLayer[] {
  const found: AdapterLayer[] = [];
  for (const layer of d.layers) {
    const m = ADAPTER_LAYER.exec(layer.value);
    if (!m) continue;
    found.push({
      layer,
      architecture: m[1] === 'Arm64' ? 'arm64' : 'x86_64',
      name: `LambdaAdapterLayer${m[1]}`,
      version: m[2] === undefined ? null : Number(m[2]),
    });
  }
  return found;
}

/** The function's architecture: the one listed, or Lambda's default x86_64 when none is; null when unreadable. */
function functionArchitecture(d: Deployment): { value: Architecture; at?: SourceLocation } | null {
  if (!d.architectures) return { value: 'x86_64' };
  const list = d.architectures.value;
  if (list.length !== 1) return null;
  const value = list[0].trim().toLowerCase();
  if (value === 'x86_64' || value === 'arm64') return { value, at: d.architectures.at };
  return null;
}

export const webAdapterLayerArchitecture = defineDeploymentRule({
  meta: {
    id: 'web-adapter-layer-architecture',
    category: 'deployment',
    severity: 'error',
    title: 'The Lambda Web Adapter layer is built for the other architecture, or too old to stream',
    consequence:
      'LambdaAdapterLayerX86 holds an x86_64 binary and LambdaAdapterLayerArm64 an arm64 one. On a function of the other architecture the adapter extension cannot start, so every invocation fails at init. Layer versions before 15 (adapter v0.7.0) cannot stream at all.',
    evidence:
      'aws-lambda-web-adapter docs: getting-started/zip-packages.md (one layer ARN per architecture), reference/architecture.md (static binaries for x86_64 and aarch64), changelog (streaming since v0.7.0); layer 15 ≈ v0.7.0 is approximate (aws.md §3.3).',
    fixable: false,
  },
  messages: {
    layerForOtherArchitecture:
      '{{subject}} runs on {{architecture}} but uses the Lambda Web Adapter layer {{layer}}, built for {{layerArchitecture}}: the adapter binary cannot run, the extension fails to start and every invocation fails at init.',
    layerForOtherThanDefaultArchitecture:
      "{{subject}} runs on x86_64 (no architecture is set: Lambda's default) but uses the Lambda Web Adapter layer {{layer}}, built for {{layerArchitecture}}: the adapter binary cannot run, the extension fails to start and every invocation fails at init.",
    layerTooOldToStream:
      '{{subject}} streams ({{how}}) but uses the Lambda Web Adapter layer {{layer}}:{{version}}, and layers before version {{firstStreamingVersion}} (adapter v0.7.0) cannot stream: the adapter buffers every response whatever AWS_LWA_INVOKE_MODE says.',
  },
  check(context, report) {
    const d = context.deployment;
    if (d.packageType === 'image') return; // images cannot have layers: the adapter is copied in the Dockerfile
    const layers = adapterLayers(d);
    if (layers.length === 0) return;
    const subject = capitalized(describe(d));

    const arch = functionArchitecture(d);
    const mismatch = arch ? layers.find((l) => l.architecture !== arch.value) : undefined;
    if (arch && mismatch) {
      const common = {
        at: mismatch.layer.at,
        fix:
          arch.value === 'x86_64'
            ? `Use LambdaAdapterLayerX86 (same version), or set the function's architecture to arm64.`
            : `Use LambdaAdapterLayerArm64 (same version), or set the function's architecture to x86_64.`,
        key: `${d.name}:lwa-layer-architecture`,
      };
      const data = { subject, layer: mismatch.name, layerArchitecture: mismatch.architecture };
      if (arch.at) report({ ...common, messageId: 'layerForOtherArchitecture', data: { ...data, architecture: arch.value } });
      else report({ ...common, messageId: 'layerForOtherThanDefaultArchitecture', data });
      return;
    }

    const old = layers.find((l) => l.version !== null && l.version < FIRST_STREAMING_LAYER_VERSION);
    const streaming = old ? streamsOrStreamingUrl(context) : null;
    if (old && streaming) {
      report({
        messageId: 'layerTooOldToStream',
        data: { subject, how: streaming.how, layer: old.name, version: old.version!, firstStreamingVersion: FIRST_STREAMING_LAYER_VERSION },
        at: old.layer.at,
        severity: 'warning',
        fix: `Use a current ${old.name} version (26 is adapter v1.0.0).`,
        key: `${d.name}:lwa-layer-version`,
      });
    }
  },
});
