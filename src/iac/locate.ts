/** Small helpers shared by the IaC readers. */
import type { Deployment, SourceLocation } from '../model/deployment.js';
import { LineIndex } from '../code/ast.js';

/** Offsets -> SourceLocation for one file. */
export function locator(file: string, text: string): (offset: number, path?: string) => SourceLocation {
  const lines = new LineIndex(text);
  return (offset, path) => {
    const { line, column } = lines.position(Math.max(0, offset));
    return { file, line, column, ...(path ? { path } : {}) };
  };
}

/**
 * The only environment variables whose VALUES any reader keeps (they configure streaming and are not
 * secrets). Every other variable is read as a key only: values never enter the model.
 */
export const STREAMING_ENV_KEYS: ReadonlySet<string> = new Set(['AWS_LWA_INVOKE_MODE', 'AWS_LAMBDA_EXEC_WRAPPER', 'AWS_LWA_PORT', 'PORT']);

/** The Lambda Web Adapter's official layer names (LambdaAdapterLayerX86 / LambdaAdapterLayerArm64). */
export const LWA_LAYER = /LambdaAdapterLayer/;

/** A Deployment with nothing read yet: every field unset (the platform defaults apply). */
export function newDeployment(name: string, source: Deployment['source'], at: SourceLocation, defaultTimeoutSeconds: number): Deployment {
  return {
    name,
    source,
    at,
    runtime: undefined,
    handler: undefined,
    timeout: undefined,
    memory: undefined,
    environmentKeys: [],
    streamingEnvironment: {},
    layers: [],
    reservedConcurrency: undefined,
    frontDoors: [],
    defaultTimeoutSeconds,
  };
}
