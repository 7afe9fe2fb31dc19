import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Finding, Severity } from '../model/finding.js';
import { ConfigError } from './errors.js';
import { loadPicomatch } from '../util/picomatch.js';

export interface StreamDoctorConfig {
  /** Per-rule severity override, or 'off' to drop the rule's findings. */
  rules?: Record<string, Severity | 'off'>;
  /** Globs (relative to the root) that the walker scans; the default is everything. */
  include?: string[];
  /** Globs (relative to the root) that the walker skips. */
  exclude?: string[];
  /** The lowest severity that makes the scan exit 1; 'none' never fails on findings. */
  failOn?: Severity | 'none';
  /** Path of the baseline file, relative to the root. */
  baseline?: string;
  /** `fix --verify`: module specifier -> file (relative to the configuration's folder) that replaces it while handlers run. */
  stubs?: Record<string, string>;
}

export { ConfigError };

export const CONFIG_FILE_NAME = 'stream-doctor.config.json';
export const PACKAGE_JSON_KEY = 'stream-doctor';

const SEVERITIES: readonly string[] = ['error', 'warning', 'info'];
const RULE_SETTINGS: readonly string[] = [...SEVERITIES, 'off'];
const FAIL_ON: readonly string[] = [...SEVERITIES, 'none'];
/** `$schema` is accepted (and ignored) so that editors can offer completion. */
const TOP_LEVEL_KEYS: readonly string[] = ['$schema', 'rules', 'include', 'exclude', 'failOn', 'baseline', 'stubs'];

/** Common near-misses, so the error can say what was meant. */
const SEVERITY_HINTS: Record<string, string> = { warn: 'warning', err: 'error', information: 'info', note: 'info', disable: 'off', disabled: 'off', false: 'off' };

export interface LoadConfigOptions {
  /** Whether a rule id exists; defaults to the rule registry. Injectable for tests. */
  isKnownRule?: (id: string) => boolean;
}

// The rule registry (every rule, the flow analysis, the parser) and picomatch are loaded only when needed: a
// scan reads its configuration before it starts the walk, and they would delay that start
// (docs/performance.md, "Fourth pass").

/** Whether a rule id exists, from the rule registry: loaded only for a configuration that sets "rules". */
async function registryCheck(): Promise<(id: string) => boolean> {
  const { ruleMetaById } = await import('../checks/index.js');
  return (id) => ruleMetaById(id) !== undefined;
}

/** validateConfig with the rule check given, or the registry's when the configuration names rules. */
async function validated(raw: unknown, where: string, isKnownRule: ((id: string) => boolean) | undefined): Promise<StreamDoctorConfig> {
  const check = isKnownRule ?? (isPlainObject(raw) && raw.rules !== undefined ? await registryCheck() : () => false);
  return validateConfig(raw, where, check);
}

/**
 * Reads the configuration for `root`: `explicitPath` when given (resolved against the working
 * directory; a `package.json` there is read through its "stream-doctor" key), otherwise the nearest
 * `stream-doctor.config.json` or "stream-doctor" key of a `package.json` at or above `root`, up to the
 * repository root. Having both in one folder is an error, so that nobody edits the one that is ignored.
 * No configuration at all gives `{ config: {} }` without a source. Paths in it (globs, the baseline) are
 * relative to the folder of its `source`.
 */
export async function loadConfig(
  root: string,
  explicitPath?: string,
  options: LoadConfigOptions = {},
): Promise<{ config: StreamDoctorConfig; source?: string }> {
  const isKnownRule = options.isKnownRule;

  if (explicitPath !== undefined) {
    const file = path.resolve(explicitPath);
    const text = await readText(file);
    if (text === undefined) throw new ConfigError(`${display(file)}: configuration file not found`);
    if (path.basename(file) === 'package.json') {
      const pkg = parseJson(text, display(file));
      const raw = isPlainObject(pkg) ? pkg[PACKAGE_JSON_KEY] : undefined;
      const where = `${display(file)}#${PACKAGE_JSON_KEY}`;
      if (raw === undefined) throw new ConfigError(`${display(file)}: has no "${PACKAGE_JSON_KEY}" key`);
      return { config: await validated(raw, where, isKnownRule), source: file };
    }
    return { config: await validated(parseJson(text, display(file)), display(file), isKnownRule), source: file };
  }

  // Like ESLint and Prettier: the nearest configuration at or above the scanned folder, up to the
  // repository root (the folder holding .git) or the file system root.
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const found = await configIn(dir, isKnownRule);
    if (found) return found;
    if (existsSync(path.join(dir, '.git')) || path.dirname(dir) === dir) break;
  }
  return { config: {} };
}

/** The configuration a folder holds (its config file or its package.json key), if any. */
async function configIn(dir: string, isKnownRule: ((id: string) => boolean) | undefined): Promise<{ config: StreamDoctorConfig; source: string } | undefined> {
  const configFile = path.join(dir, CONFIG_FILE_NAME);
  const packageFile = path.join(dir, 'package.json');
  const [configText, packageText] = await Promise.all([readText(configFile), readText(packageFile)]);

  let packageSection: unknown;
  if (packageText !== undefined) {
    const pkg = parseJson(packageText, display(packageFile));
    packageSection = isPlainObject(pkg) ? pkg[PACKAGE_JSON_KEY] : undefined;
  }

  if (configText !== undefined) {
    if (packageSection !== undefined) {
      throw new ConfigError(
        `${display(configFile)}: configuration is also set in ${display(packageFile)}#${PACKAGE_JSON_KEY}; keep only one`,
      );
    }
    return { config: await validated(parseJson(configText, display(configFile)), display(configFile), isKnownRule), source: configFile };
  }
  if (packageSection !== undefined) {
    const where = `${display(packageFile)}#${PACKAGE_JSON_KEY}`;
    return { config: await validated(packageSection, where, isKnownRule), source: packageFile };
  }
  return undefined;
}

/**
 * The configuration's globs (written relative to its own folder, `configDir`) for a scan of `root` below
 * it: `legacy/**` in the repository's config means `<repo>/legacy/**`, so scanning `src/` it matches
 * nothing there, and `src/gen/**` becomes `gen/**`. Globs that cannot match under `root` are dropped.
 */
export function rebaseGlobs(globs: readonly string[], configDir: string, root: string): string[] {
  const prefix = path.relative(configDir, root).split(path.sep).join('/');
  if (prefix === '' ) return [...globs];
  if (prefix.startsWith('..')) return [];
  const prefixParts = prefix.split('/');
  const out: string[] = [];
  for (const glob of globs) {
    const parts = glob.replace(/^\.\//, '').split('/');
    let i = 0;
    let rebased: string | null = null;
    for (;;) {
      if (parts[i] === '**') {
        rebased = parts.slice(i).join('/');
        break;
      }
      if (i === prefixParts.length) {
        rebased = parts.slice(i).join('/');
        break;
      }
      if (i >= parts.length - 1 || !loadPicomatch().isMatch(prefixParts[i]!, parts[i]!, { dot: true })) break;
      i++;
    }
    if (rebased) out.push(rebased);
  }
  return out;
}

/**
 * Checks a parsed configuration strictly and returns it typed. `where` names the file (and key
 * inside it) for the error message. Unknown keys, unknown rule ids and bad values are errors: a typo
 * in a CI gate's configuration must not silently turn the gate off.
 */
export function validateConfig(
  raw: unknown,
  where: string,
  isKnownRule: (id: string) => boolean,
): StreamDoctorConfig {
  if (!isPlainObject(raw)) throw new ConfigError(`${where}: must be a JSON object, got ${describe(raw)}`);
  const config: StreamDoctorConfig = {};

  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      throw new ConfigError(`${where}: unknown key "${key}" (allowed: ${TOP_LEVEL_KEYS.filter((k) => k !== '$schema').join(', ')})`);
    }
  }

  if (raw.rules !== undefined) {
    if (!isPlainObject(raw.rules)) throw new ConfigError(`${where}: "rules" must be an object of rule id to severity, got ${describe(raw.rules)}`);
    const rules: Record<string, Severity | 'off'> = {};
    for (const [id, value] of Object.entries(raw.rules)) {
      if (!isKnownRule(id)) throw new ConfigError(`${where}: "rules.${id}" is not a known rule (see \`stream-doctor rules\`)`);
      if (typeof value !== 'string' || !RULE_SETTINGS.includes(value)) {
        const hint = typeof value === 'string' && SEVERITY_HINTS[value] ? `; did you mean "${SEVERITY_HINTS[value]}"?` : '';
        throw new ConfigError(`${where}: "rules.${id}" must be one of ${RULE_SETTINGS.map(quote).join(', ')}, got ${describe(value)}${hint}`);
      }
      rules[id] = value as Severity | 'off';
    }
    config.rules = rules;
  }

  for (const key of ['include', 'exclude'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (!Array.isArray(value)) throw new ConfigError(`${where}: "${key}" must be an array of glob strings, got ${describe(value)}`);
    value.forEach((item, index) => {
      if (typeof item !== 'string' || item.trim() === '') {
        throw new ConfigError(`${where}: "${key}[${index}]" must be a non-empty glob string, got ${describe(item)}`);
      }
    });
    config[key] = [...(value as string[])];
  }

  if (raw.failOn !== undefined) {
    if (typeof raw.failOn !== 'string' || !FAIL_ON.includes(raw.failOn)) {
      const hint = typeof raw.failOn === 'string' && SEVERITY_HINTS[raw.failOn] ? `; did you mean "${SEVERITY_HINTS[raw.failOn]}"?` : '';
      throw new ConfigError(`${where}: "failOn" must be one of ${FAIL_ON.map(quote).join(', ')}, got ${describe(raw.failOn)}${hint}`);
    }
    config.failOn = raw.failOn as Severity | 'none';
  }

  if (raw.baseline !== undefined) {
    if (typeof raw.baseline !== 'string' || raw.baseline.trim() === '') {
      throw new ConfigError(`${where}: "baseline" must be a non-empty path string, got ${describe(raw.baseline)}`);
    }
    config.baseline = raw.baseline;
  }

  if (raw.stubs !== undefined) {
    if (!isPlainObject(raw.stubs)) throw new ConfigError(`${where}: "stubs" must be an object of module name to stub file, got ${describe(raw.stubs)}`);
    const stubs: Record<string, string> = {};
    for (const [name, file] of Object.entries(raw.stubs)) {
      if (typeof file !== 'string' || file.trim() === '') throw new ConfigError(`${where}: "stubs.${name}" must be a non-empty path string, got ${describe(file)}`);
      stubs[name] = file;
    }
    config.stubs = stubs;
  }

  return config;
}

/**
 * Applies the `rules` section: findings of rules set to 'off' are dropped, the others get the
 * configured severity. Returns new finding objects; the input is not changed.
 */
export function applyConfig(findings: Finding[], config: StreamDoctorConfig): Finding[] {
  const rules = config.rules;
  if (!rules) return findings.slice();
  const out: Finding[] = [];
  for (const finding of findings) {
    const setting = Object.hasOwn(rules, finding.ruleId) ? rules[finding.ruleId] : undefined;
    if (setting === 'off') continue;
    out.push(setting === undefined ? finding : { ...finding, severity: setting });
  }
  return out;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ConfigError(`${display(file)}: cannot be read (${code ?? (error as Error).message})`);
  }
}

function parseJson(text: string, where: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new ConfigError(`${where}: invalid JSON (${jsonErrorDetail(body, error as Error)})`);
  }
}

/** V8's message, with "line L column C" added when it only gives a position. */
function jsonErrorDetail(text: string, error: Error): string {
  const message = error.message.split('\n')[0] ?? 'parse error';
  const match = /at position (\d+)/.exec(message);
  if (!match || /line \d+ column \d+/.test(message)) return message;
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line} column ${column})`;
}

function display(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function quote(text: string): string {
  return `"${text}"`;
}
