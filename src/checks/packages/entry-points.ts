/**
 * Whether a project uses the code a known-bad entry is about (its "entry points"), and whether it streams
 * Lambda responses at all. A known-bad version only hurts a project that reaches the affected code: hono's
 * `streamHandle`, middy with `streamifyResponse: true`, nitro's `aws-lambda` preset with streaming. The
 * known-bad check grades its findings with these facts (docs/known-bad-packages.md, "Entry points").
 *
 * The search is textual and runs on the project's own source files and its build output (never on
 * node_modules), and only when some installed or locked version is affected.
 */

/** One way a project reaches the affected code of a known-bad entry (data/known-bad-packages.json). */
export interface EntryPoint {
  /**
   * A module specifier the project imports: `import … from`, `export … from`, `require()`, `import()`.
   * A build-output file that bundled the entry's `file` (esbuild and webpack leave
   * `// node_modules/<package>/<file>` comments) counts as an import too.
   */
  import?: string;
  /** With `import`: subpaths of the specifier count too (`@h4ad/serverless-adapter/handlers/aws`). */
  subpaths?: boolean;
  /** With `import`: one of these exports must be imported (or read from the imported namespace). */
  names?: string[];
  /**
   * Configuration files, by base name (`*` matches any text: `nitro.config.*`). With `config`, the entry
   * point is a configuration marker: every `match` pattern must match one such file.
   */
  config?: string[];
  /** Regular expressions (JavaScript syntax) that must all match the importing or configuration file. */
  match?: string[];
  /** How the entry point reads in a message ("the aws-lambda preset with awsLambda.streaming"). */
  label?: string;
}

/** Tokens that only code streaming Lambda responses (or configuring such a function) contains. */
export const LAMBDA_STREAMING_MARKERS: readonly string[] = ['streamifyResponse', 'HttpResponseStream', 'http-integration-response', 'RESPONSE_STREAM'];

/**
 * Configuration that turns Lambda response streaming on without any of those tokens in the project's code
 * (besides every known-bad entry's own entry points): SST's `streaming` function option.
 */
export const STREAMING_CONFIG: readonly EntryPoint[] = [{ config: ['sst.config.*'], match: ['\\bstreaming\\s*:(?!\\s*false\\b)'], label: 'streaming in sst.config' }];

export interface UseSite {
  /** Relative to the scan root. */
  file: string;
  line: number;
  /** What was found there, for messages ("imports streamHandle from hono/aws-lambda"). */
  what: string;
}

export interface ProjectUse {
  /** The first place the project streams Lambda responses (a streaming marker or an entry point), or null. */
  streaming: UseSite | null;
  /** Per known-bad entry id: every file that uses one of its entry points (the first use in each file), in order. */
  entries: Map<string, UseSite[]>;
}

export interface ProjectText {
  /** Relative to the scan root. */
  rel: string;
  text: string;
  origin: 'project' | 'build-output';
}

/** What the search needs of a known-bad entry. */
export interface EntryPointSubject {
  id: string;
  package: string;
  file?: string;
  entryPoints?: EntryPoint[];
}

/** Text a file must contain to matter to the search (a cheap filter before reading it whole). */
export function entryPointNeedles(entries: readonly EntryPointSubject[]): string[] {
  const needles = new Set<string>(LAMBDA_STREAMING_MARKERS);
  for (const entry of entries) {
    if (entry.file) needles.add(`node_modules/${entry.package}/${entry.file}`);
    for (const point of entry.entryPoints ?? []) if (point.import) needles.add(point.import);
  }
  return [...needles];
}

/** Whether a file's base name makes it a configuration file some entry point reads (always read then). */
export function isEntryPointConfig(rel: string, entries: readonly EntryPointSubject[]): boolean {
  const base = rel.slice(rel.lastIndexOf('/') + 1);
  return [...STREAMING_CONFIG, ...entries.flatMap((entry) => entry.entryPoints ?? [])].some((point) => point.config?.some((glob) => globMatch(glob, base)));
}

/**
 * Finds where the project streams and where it uses each entry's entry points. Files are searched in order.
 * Pass every entry of the database: an entry point of any of them means the project streams.
 */
export function findProjectUse(files: Iterable<ProjectText>, entries: readonly EntryPointSubject[]): ProjectUse {
  const use: ProjectUse = { streaming: null, entries: new Map() };
  const compiled = entries.map((entry) => ({ entry, points: (entry.entryPoints ?? []).map(compile) }));
  const streamingConfig = STREAMING_CONFIG.map(compile);
  for (const file of files) {
    for (const { entry, points } of compiled) {
      const site = entryUse(file, entry, points);
      if (site) {
        const sites = use.entries.get(entry.id);
        if (sites) sites.push(site);
        else use.entries.set(entry.id, [site]);
        use.streaming ??= site;
      }
    }
    if (!use.streaming) {
      for (const point of streamingConfig) {
        const site = entryUse(file, { id: '', package: '' }, [point]);
        if (site) {
          use.streaming = site;
          break;
        }
      }
    }
    if (!use.streaming) {
      for (const marker of LAMBDA_STREAMING_MARKERS) {
        const at = file.text.indexOf(marker);
        if (at !== -1) {
          use.streaming = { file: file.rel, line: lineAt(file.text, at), what: `mentions ${marker}` };
          break;
        }
      }
    }
  }
  return use;
}

interface CompiledPoint {
  point: EntryPoint;
  patterns: RegExp[];
  config: RegExp[];
}

function compile(point: EntryPoint): CompiledPoint {
  return {
    point,
    patterns: (point.match ?? []).map((source) => new RegExp(source, 'm')),
    config: (point.config ?? []).map(globRegExp),
  };
}

function entryUse(file: ProjectText, entry: EntryPointSubject, points: CompiledPoint[]): UseSite | null {
  const base = file.rel.slice(file.rel.lastIndexOf('/') + 1);
  for (const { point, patterns, config } of points) {
    if (point.config) {
      if (!config.some((re) => re.test(base))) continue;
      const at = allMatch(file.text, patterns);
      if (at === -1) continue;
      return { file: file.rel, line: lineAt(file.text, at), what: `configures ${point.label ?? `${point.config.join(', ')} with ${point.match?.join(', ') ?? ''}`}` };
    }
    if (!point.import) continue;
    const found = importOf(file.text, point);
    if (found === -1) continue;
    if (allMatch(file.text, patterns) === -1) continue;
    return { file: file.rel, line: lineAt(file.text, found), what: point.label ?? `imports ${point.names ? `${point.names.join(' or ')} from ` : ''}${point.import}` };
  }
  // A bundle (build output) that inlined the affected file: esbuild's and webpack's module path comments.
  if (file.origin === 'build-output' && entry.file) {
    const at = file.text.indexOf(`node_modules/${entry.package}/${entry.file}`);
    const names = points.flatMap((p) => p.point.names ?? []);
    if (at !== -1 && (names.length === 0 || names.some((name) => file.text.includes(name)))) {
      return { file: file.rel, line: lineAt(file.text, at), what: `bundles ${entry.package}/${entry.file}` };
    }
  }
  return null;
}

/** The offset of the first match when every pattern matches (0 with none), else -1. */
function allMatch(text: string, patterns: RegExp[]): number {
  let first = -1;
  for (const re of patterns) {
    const m = re.exec(text);
    if (!m) return -1;
    if (first === -1 || m.index < first) first = m.index;
  }
  return first === -1 ? 0 : first;
}

const IDENT = '[A-Za-z_$][\\w$]*';

/**
 * The offset of an import of `point.import` that brings one of `point.names` (any import without names),
 * or -1. Recognised: `import { a, b as c } from`, `import * as ns from` / `import x from` (then `ns.a`),
 * `export { a } from`, `export * from`, `require()` with a destructuring, a binding (`x.a`, TypeScript's
 * `(0, x.a)`) or `.a`, and `import()` the same way.
 */
function importOf(text: string, point: EntryPoint): number {
  const spec = point.import!;
  if (!text.includes(spec)) return -1;
  const quoted = `(['"\`])${escapeRegExp(spec)}${point.subpaths ? `(?:/[^'"\`]*)?` : ''}\\2`;
  const names = point.names;
  const uses = (clause: string | undefined, member: string | undefined): boolean => {
    if (!names) return true;
    if (member && names.includes(member)) return true;
    if (!clause) return false;
    const c = clause.trim();
    if (c === '*') return true; // export * from: everything passes through
    const braces = /\{([^}]*)\}/.exec(c);
    if (braces) {
      const imported = braces[1]!.split(',').map((part) => part.trim().replace(/^type\s+/, '').split(/\s+as\s+|\s*:\s*/)[0]!.trim());
      if (imported.some((name) => names.includes(name))) return true;
    }
    for (const binding of c.replace(/\{[^}]*\}/, '').split(',')) {
      const ns = /(?:\*\s*as\s+)?([A-Za-z_$][\w$]*)\s*$/.exec(binding.trim())?.[1];
      if (!ns || ns === 'type') continue;
      const access = new RegExp(`\\b${escapeRegExp(ns)}\\s*(?:\\.\\s*(?:${names.map(escapeRegExp).join('|')})\\b|\\[\\s*['"](?:${names.map(escapeRegExp).join('|')})['"]\\s*\\])`);
      if (access.test(text)) return true;
    }
    return false;
  };
  const forms: RegExp[] = [
    new RegExp(`\\b(?:import|export)\\s+(?!type\\s)([^;'"\`]*?)\\s*\\bfrom\\s*${quoted}`, 'g'),
    new RegExp(`(?:\\b(?:const|let|var)\\s+([^=;]+?)\\s*=\\s*)?\\brequire\\s*\\(\\s*${quoted}\\s*\\)(?:\\s*\\.\\s*(${IDENT}))?`, 'g'),
    new RegExp(`(?:\\b(?:const|let|var)\\s+([^=;]+?)\\s*=\\s*)?(?:await\\s+)?\\bimport\\s*\\(\\s*${quoted}\\s*\\)(?:\\s*\\)?\\s*\\.\\s*(${IDENT}))?`, 'g'),
  ];
  let best = -1;
  for (const re of forms) {
    for (const m of text.matchAll(re)) {
      if (uses(m[1], m[3])) {
        if (best === -1 || m.index < best) best = m.index;
        break;
      }
    }
  }
  return best;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function globRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map(escapeRegExp).join('.*')}$`);
}

function globMatch(glob: string, name: string): boolean {
  return globRegExp(glob).test(name);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
