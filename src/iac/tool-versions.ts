/**
 * What a deployment's tool decides by its version: the runtime it leaves to the tool's default, and (below)
 * the Function URL permissions a CDK version writes.
 *
 * Runtimes a deployment leaves to its tool's default (`Deployment.runtimeDefault`), resolved from the version
 * of the tool the project installs. Each row below was read in the tool's source at the versions named
 * (docs/runtime-behaviour.md, "Default runtimes"); a version outside every row stays unresolved, and rules
 * never build a finding on an unresolved runtime.
 *
 * The version comes from the directory of the file that declares the function, then its parents up to the
 * scan root: an installed `node_modules/<pkg>/package.json` (what runs), else a lockfile's entry, else the
 * range in package.json, which resolves only when every version it allows falls in one row (`^4.2.0` is
 * SST >= 4.0.4; `^4.0.0` could be 4.0.3 or 4.17 and stays unresolved).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from '../util/semver.js';
import type { Deployment } from '../model/deployment.js';
import { LOCKFILE_NAMES, parseLockfile } from '../code/lockfiles/index.js';

interface Row {
  versions: string;
  runtime: string;
}

interface Tool {
  packages: string[];
  rows: Row[];
  /** How the message names the default. */
  what: string;
}

/**
 * aws-cdk-lib: `Runtime.NODEJS_LATEST` is `nodejs24.x` in every Region since 2.259.0 (region-info
 * `LATEST_NODE_RUNTIME`, 47 Regions in 2.278.0; 2.258.0 still says nodejs22.x in all of them).
 */
const CDK_LATEST: Tool = { packages: ['aws-cdk-lib'], rows: [{ versions: '>=2.259.0', runtime: 'nodejs24.x' }], what: 'Runtime.NODEJS_LATEST' };

/**
 * SST v3/v4 `sst.aws.Function`: `args.runtime ?? "nodejs20.x"` through v3.19.3 and 4.0.3
 * (`platform/src/components/aws/function.ts:1691` @ v3.19.3), `"nodejs24.x"` since 4.0.4 (#6474).
 */
const SST: Tool = {
  packages: ['sst'],
  rows: [
    { versions: '>=3.0.0 <4.0.4', runtime: 'nodejs20.x' },
    { versions: '>=4.0.4', runtime: 'nodejs24.x' },
  ],
  what: 'the default runtime',
};

/**
 * serverless.yml without `runtime`: Serverless Framework v4 `const defaultRuntime = 'nodejs20.x'`
 * (serverless/serverless main of 2026-08-12, `lib/plugins/aws/provider.js:3423`); the osls fork
 * `nodejs24.x` in 3.77.1 and 4.x (`osls@4.3.1` `lib/plugins/aws/provider.js:1849`).
 */
const SERVERLESS: Tool = {
  packages: ['osls', 'serverless'],
  rows: [
    { versions: 'osls@>=3.77.1', runtime: 'nodejs24.x' },
    { versions: 'serverless@>=4.0.0', runtime: 'nodejs20.x' },
  ],
  what: 'the default runtime',
};

/** The NodejsFunction feature flag that makes a missing `runtime` NODEJS_LATEST (set by `cdk init`); without it, NODEJS_16_X. */
const CDK_LATEST_FLAG = '@aws-cdk/aws-lambda-nodejs:useLatestRuntimeVersion';

/** `d` with `runtime` set (at `runtimeDefault.at`) when its tool's default resolves; `d` unchanged otherwise. */
export function withImpliedRuntime(root: string, d: Deployment, appRoot?: string): Deployment {
  const implied = d.runtimeDefault;
  if (!implied || (d.runtime && !('unresolved' in d.runtime))) return d;
  const dir = path.posix.dirname(d.at.file);
  let tool: Tool;
  switch (implied.kind) {
    case 'cdk-latest':
      tool = CDK_LATEST;
      break;
    case 'cdk-nodejs-function':
      // Without the flag the default is NODEJS_16_X (aws-cdk-lib 2.278.0 `aws-lambda-nodejs/lib/function.js`
      // getRuntime()); only the flag's NODEJS_LATEST matters here.
      if (!cdkFlag(root, appRoot ?? dir)) return d;
      tool = CDK_LATEST;
      break;
    case 'sst':
      tool = SST;
      break;
    case 'serverless':
      tool = SERVERLESS;
      break;
  }
  const found = toolVersion(root, dir, tool.packages);
  if (!found) return d;
  const rows = tool.rows
    .map((row) => {
      const m = /^(@?[^@]+)@(.+)$/.exec(row.versions);
      return m ? { pkg: m[1], versions: m[2], runtime: row.runtime } : { pkg: found.pkg, versions: row.versions, runtime: row.runtime };
    })
    .filter((row) => row.pkg === found.pkg);
  const row = rows.find((r) =>
    found.versions
      ? found.versions.every((v) => semver.satisfies(v, r.versions, { includePrerelease: true }))
      : semver.subset(found.range!, r.versions, { includePrerelease: true }),
  );
  if (!row) return d;
  const version = found.versions ? found.versions.join(', ') : found.range!;
  const via = implied.kind === 'cdk-nodejs-function' ? `NodejsFunction's default (${CDK_LATEST_FLAG}: NODEJS_LATEST)` : tool.what;
  return { ...d, runtime: { value: row.runtime, at: implied.at }, runtimeImplied: `${via} of ${found.pkg} ${version}` };
}

interface FoundVersion {
  pkg: string;
  /** Installed or locked versions. */
  versions?: string[];
  /** Else the range package.json declares. */
  range?: string;
}

/** The nearest installed, locked or declared version of one of `packages`, from `dir` up to the root. */
function toolVersion(root: string, dir: string, packages: string[]): FoundVersion | null {
  let rel = dir === '' ? '.' : dir;
  for (;;) {
    const abs = path.join(root, rel);
    for (const pkg of packages) {
      const installed = readJson(path.join(abs, 'node_modules', pkg, 'package.json'))?.version;
      if (typeof installed === 'string' && semver.valid(installed)) return { pkg, versions: [installed] };
    }
    for (const name of LOCKFILE_NAMES) {
      if (name === 'bun.lockb' || !existsSync(path.join(abs, name))) continue;
      try {
        const { packages: locked } = parseLockfile(name, readFileSync(path.join(abs, name), 'utf8'));
        for (const pkg of packages) {
          const versions = [...new Set(locked.filter((p) => p.name === pkg && semver.valid(p.version)).map((p) => p.version))];
          if (versions.length > 0) return { pkg, versions };
        }
      } catch {
        // An unreadable lockfile: the package.json range below still says something.
      }
    }
    const manifest = readJson(path.join(abs, 'package.json'));
    for (const pkg of packages) {
      for (const field of ['dependencies', 'devDependencies']) {
        const range = (manifest?.[field] as Record<string, unknown> | undefined)?.[pkg];
        if (typeof range === 'string' && semver.validRange(range)) return { pkg, range };
      }
    }
    if (rel === '.' || rel === '') return null;
    rel = path.posix.dirname(rel);
  }
}

function cdkFlag(root: string, appRoot: string): boolean {
  let rel = appRoot === '' ? '.' : appRoot;
  for (;;) {
    const cdkJson = readJson(path.join(root, rel, 'cdk.json'));
    if (cdkJson) {
      const context = cdkJson.context as Record<string, unknown> | undefined;
      return context?.[CDK_LATEST_FLAG] === true || context?.[CDK_LATEST_FLAG] === 'true';
    }
    if (rel === '.' || rel === '') return false;
    rel = path.posix.dirname(rel);
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * aws-cdk-lib before 2.220.0: `FunctionUrl` with `FunctionUrlAuthType.NONE` (and `addFunctionUrl`) adds only
 * `lambda:InvokeFunctionUrl` to the function's policy; 2.220.0 adds `lambda:InvokeFunction` with
 * `invokedViaFunctionUrl` too (aws/aws-cdk#35725; `aws-lambda/lib/function-url.js` of the 2.219.0 and 2.220.0
 * tarballs). With an older installed, locked or declared version, the URL gets that one grant, written down
 * as the tool's. A stack that grants `lambda:InvokeFunction` itself (its text names it) is left alone: the
 * CDK reader does not read `addPermission` calls.
 */
const CDK_DUAL_URL_PERMISSIONS = '>=2.220.0';

export function withToolUrlGrants(root: string, d: Deployment, stackText: string | null): Deployment {
  const url = d.url;
  if (d.source !== 'cdk' || !url?.ownPermissions || !url.authType || 'unresolved' in url.authType || url.authType.value !== 'NONE') return d;
  if (stackText === null || /lambda:InvokeFunction['"`]|invokedViaFunctionUrl|InvokedViaFunctionUrl/.test(stackText)) return d;
  const found = toolVersion(root, path.posix.dirname(d.at.file), ['aws-cdk-lib']);
  if (!found) return d;
  const older = found.versions
    ? found.versions.every((v) => !semver.satisfies(v, CDK_DUAL_URL_PERMISSIONS))
    : !semver.intersects(found.range!, CDK_DUAL_URL_PERMISSIONS);
  if (!older) return d;
  const version = found.versions ? found.versions.join(', ') : found.range!;
  const grant = { at: url.at, actions: { value: ['lambda:InvokeFunctionUrl'], at: url.at }, everyone: { value: true, at: url.at }, effect: 'Allow' as const, by: `aws-cdk-lib ${version} (before 2.220.0)` };
  return { ...d, url: { ...url, ownPermissions: false }, policy: { grants: [...(d.policy?.grants ?? []), grant], complete: false } };
}
