/**
 * `--stub <module>=<file>` and the configuration's `stubs`: modules replaced by a file while handlers run
 * (`fix --verify`, `scan --verify`; src/verify/sandbox.ts serves them), so SDK clients answer without the
 * network or credentials.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../commands/errors.js';

/** `module=file` pairs from the command line (relative to the working directory) and the configuration (relative to its folder). */
export function resolveStubs(pairs: readonly string[], cwd: string, fromConfig: Record<string, string>, configSource: string | undefined): Record<string, string> {
  const stubs: Record<string, string> = {};
  const configDir = configSource ? path.dirname(configSource) : cwd;
  for (const [name, file] of Object.entries(fromConfig)) stubs[name] = path.resolve(configDir, file);
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new UsageError(`--stub must look like <module>=<file>, e.g. @aws-sdk/client-bedrock-runtime=stubs/bedrock.mjs (got "${pair}")`);
    stubs[pair.slice(0, at)] = path.resolve(cwd, pair.slice(at + 1));
  }
  for (const [name, file] of Object.entries(stubs)) if (!existsSync(file)) throw new UsageError(`stub for ${name} not found: ${file}`);
  return stubs;
}
