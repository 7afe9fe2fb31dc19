/**
 * What `fix --verify` puts in front of a handler run under aws-lambda-ric, through a preload
 * (`NODE_OPTIONS=--import <file>`): nothing in the project is written.
 * - stubs: `--stub <module>=<file>` serves the file wherever the handler imports or requires the module
 *   (its subpaths too), so SDK clients answer without the network or credentials;
 * - overrides: an edited source is served in place of the file on disk (ESM through a load hook, CommonJS
 *   through Module.prototype._compile), so the edit runs with the project's own module graph;
 * - the network: connections and DNS lookups to anything but the loopback (the local Runtime API) fail
 *   with ESTREAMDOCTORBLOCKED and a marker line on stderr, so a handler that calls the network at import
 *   is told apart, and before and after runs see the same failures instead of live services.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface SandboxConfig {
  /** Module specifier -> absolute file. */
  stubs: Record<string, string>;
  /** Absolute file of the project -> absolute file holding the text to run instead. */
  overrides: Record<string, string>;
  /** Connections and lookups off the loopback fail (fix --verify); plain verify leaves the network alone. */
  offline?: boolean;
  /**
   * Write V8 coverage (NODE_V8_COVERAGE) this often: the run ends with the process group killed, which
   * skips the write at exit, so it is taken while the handler runs.
   */
  coverageEveryMs?: number;
}

/** The marker the preload prints on stderr for each blocked connection or lookup. */
export const BLOCKED_MARKER = 'stream-doctor verify: blocked network access to ';

const HOOKS = `
let config = { stubs: {}, overrides: {} };
export async function initialize(data) { config = data; }
function stubFor(specifier) {
  for (const [name, file] of Object.entries(config.stubs)) if (specifier === name || specifier.startsWith(name + '/')) return file;
  return undefined;
}
export async function resolve(specifier, context, next) {
  const stub = stubFor(specifier);
  if (stub) return { url: new URL('file://' + stub).href, shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  const result = await next(url, context);
  const file = url.startsWith('file:') ? decodeURIComponent(new URL(url).pathname) : undefined;
  const override = file && config.overrides[file];
  if (override && result.format === 'module') {
    const { readFileSync } = await import('node:fs');
    return { ...result, source: readFileSync(override, 'utf8'), shortCircuit: true };
  }
  return result;
}
`;

const PRELOAD = `
import Module, { register } from 'node:module';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import dns from 'node:dns';
const config = JSON.parse(readFileSync(process.env.STREAM_DOCTOR_SANDBOX, 'utf8'));
delete process.env.STREAM_DOCTOR_SANDBOX;
register(new URL('./hooks.mjs', import.meta.url), { data: config });
function stubFor(request) {
  for (const [name, file] of Object.entries(config.stubs)) if (request === name || request.startsWith(name + '/')) return file;
  return undefined;
}
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return stubFor(request) ?? resolveFilename.call(this, request, ...rest);
};
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  const override = config.overrides[filename];
  return compile.call(this, override ? readFileSync(override, 'utf8') : content, filename);
};
if (config.coverageEveryMs) {
  const v8 = await import('node:v8');
  setInterval(() => { try { v8.takeCoverage(); } catch {} }, config.coverageEveryMs).unref();
}
if (config.offline !== false) {
const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '']);
function blocked(host) {
  const error = new Error('${BLOCKED_MARKER}' + host + ' (fix --verify and scan --verify run handlers offline; stub the client with --stub)');
  error.code = 'ESTREAMDOCTORBLOCKED';
  process.stderr.write('${BLOCKED_MARKER}' + host + '\\n');
  return error;
}
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = first && typeof first === 'object' ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  if (options.path === undefined && !LOCAL.has(String(options.host ?? ''))) {
    const error = blocked(String(options.host) + ':' + String(options.port));
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
};
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) {
  if (LOCAL.has(String(host))) return lookup.call(this, host, ...rest);
  const callback = rest.find((a) => typeof a === 'function');
  const error = blocked(String(host));
  process.nextTick(() => callback?.(error));
  return {};
};
dns.promises.lookup = async (host, ...rest) => {
  if (LOCAL.has(String(host))) return lookup.__promisified__ ? lookup.__promisified__(host, ...rest) : { address: '127.0.0.1', family: 4 };
  throw blocked(String(host));
};
}
`;

/** Writes the preload into `dir`; returns the environment that makes a run use it. */
export function writeSandbox(dir: string, config: SandboxConfig, coverageDir?: string): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'preload.mjs'), PRELOAD);
  const file = join(dir, 'sandbox.json');
  writeFileSync(file, JSON.stringify(config));
  return {
    NODE_OPTIONS: `--import ${pathToFileURL(join(dir, 'preload.mjs')).href}`,
    STREAM_DOCTOR_SANDBOX: file,
    ...(coverageDir ? { NODE_V8_COVERAGE: coverageDir } : {}),
  };
}
