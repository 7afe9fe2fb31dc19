/**
 * Terraform reader: all `.tf` files of one directory (one module) -> one Deployment per
 * `aws_lambda_function` and per `terraform-aws-modules/lambda/aws` module call, joined with the Function
 * URLs and front doors that point at them (`aws_apigatewayv2_integration` / `_api` quick create,
 * `aws_api_gateway_integration`, `aws_lb_target_group_attachment`, and the `apigateway-v2` / `alb`
 * registry modules). Image functions get the Docker build context as codeLocation when Terraform builds
 * the image (`lambda/aws//modules/docker-build`, `docker_image`), so they can be joined to their Dockerfile.
 *
 * One pass of the structural scanner of hcl-scan.ts (`scanHcl`) finds the position of every block header,
 * attribute, object key and list item; hcl-json.ts turns the same scan into values in the JSON form
 * `hcl2json` prints (expressions kept as `"${var.timeout}"`); the two are paired by block address.
 * Nothing is loaded or compiled: a Terraform module costs what reading its text costs.
 *
 * `var.X` resolves to `terraform.tfvars` / `*.auto.tfvars` (when given in `files`) or else the variable's
 * `default`, `local.X` to its literal; `path.module` is the module directory. Anything else is
 * `Unresolved`, with the expression as written. Environment values are never read, except for the few
 * keys that configure streaming (STREAMING_ENV_KEYS).
 */
import path from 'node:path';
import type {
  AuthType,
  Deployment,
  Field,
  FrontDoor,
  FunctionUrl,
  Located,
  PackageType,
  ReaderResult,
  SourceLocation,
  UrlCors,
} from '../model/deployment.js';
import { type HclBlock, type HclEntry, type HclExpr, attributeOf, blocksOf, scanHcl } from './hcl-scan.js';
import { HclSyntaxError, type Json, hclToJson } from './hcl-json.js';
import { STREAMING_ENV_KEYS, locator, newDeployment } from './locate.js';
import { isResolved } from '../model/deployment.js';

export async function readTerraform(files: Array<{ file: string; text: string }>): Promise<ReaderResult> {
  const result: ReaderResult = { deployments: [], notes: [] };
  // Nothing Lambda-related in the module: nothing to parse.
  if (!files.some((f) => LAMBDA_MARKER.test(f.text))) return result;
  const sources: Source[] = [];
  const tfvars: Array<{ file: string; json: Json }> = [];
  for (const f of [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const base = path.posix.basename(f.file);
    const isVars = base === 'terraform.tfvars' || base.endsWith('.auto.tfvars');
    if (!isVars && !base.endsWith('.tf')) continue;
    if (base === 'override.tf' || base.endsWith('_override.tf')) {
      result.notes.push({ file: f.file, reason: 'Terraform override files are not merged; settings they override may be reported as written in the original block' });
      continue;
    }
    let json: Json;
    let body: HclEntry[];
    try {
      const scan = scanHcl(f.text);
      json = hclToJson(f.file, f.text, scan);
      body = scan.body;
    } catch (error) {
      result.notes.push({ file: f.file, reason: `${error instanceof HclSyntaxError ? 'cannot parse' : 'cannot read'} Terraform: ${firstLine(error)}` });
      continue;
    }
    if (isVars) {
      tfvars.push({ file: f.file, json });
      continue;
    }
    const dir = path.posix.dirname(f.file.replace(/\\/g, '/'));
    sources.push({ file: f.file, dir, text: f.text, loc: locator(f.file, f.text), json, body });
  }
  try {
    readModule(sources, tfvars, result);
  } catch (error) {
    result.notes.push({ file: files[0]?.file ?? '.', reason: `cannot read Terraform: ${firstLine(error)}` });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Helpers

const LAMBDA_MARKER = /aws_lambda_function|terraform-aws-modules\/lambda|terraform-aws-lambda/;

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

// ---------------------------------------------------------------------------------------------------
// The module: blocks paired with their positions, variables, locals

type Loc = (offset: number, path?: string) => SourceLocation;

interface Source {
  file: string;
  /** Directory of the file relative to the scan root ('.' at the root). */
  dir: string;
  text: string;
  loc: Loc;
  json: Json;
  body: HclEntry[];
}

/** One block (or the top of a block) with its JSON values and its scanned positions. */
interface Scope {
  src: Source;
  json: Json;
  body: HclEntry[];
  /** Offset of the block header. */
  offset: number;
  /** Logical path for fingerprints: `aws_lambda_function.api`. */
  path: string;
}

interface ModuleIndex {
  resources: Map<string, Map<string, Scope>>;
  data: Map<string, Map<string, Scope>>;
  modules: Map<string, Scope>;
  variables: Map<string, Scope>;
  locals: Map<string, { raw: unknown; scope: Scope }>;
  tfvars: Map<string, unknown>;
}

function indexModule(sources: Source[], tfvars: Array<{ file: string; json: Json }>): ModuleIndex {
  const index: ModuleIndex = { resources: new Map(), data: new Map(), modules: new Map(), variables: new Map(), locals: new Map(), tfvars: new Map() };
  for (const src of sources) {
    const seen = new Map<string, number>();
    const nth = (key: string) => {
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      return n;
    };
    for (const block of src.body) {
      if (block.kind !== 'block') continue;
      const scope = (json: unknown, pathName: string): Scope | null => {
        const obj = asObject(json);
        return obj ? { src, json: obj, body: block.body, offset: block.start, path: pathName } : null;
      };
      const [a, b] = block.labels;
      if ((block.type === 'resource' || block.type === 'data') && a !== undefined && b !== undefined) {
        const group = asObject(asObject(src.json[block.type])?.[a]);
        const s = scope(at(group?.[b], nth(`${block.type}.${a}.${b}`)), block.type === 'data' ? `data.${a}.${b}` : `${a}.${b}`);
        const map = block.type === 'resource' ? index.resources : index.data;
        if (s && !map.get(a)?.has(b)) map.set(a, (map.get(a) ?? new Map<string, Scope>()).set(b, s));
      } else if ((block.type === 'module' || block.type === 'variable') && a !== undefined && block.labels.length === 1) {
        const s = scope(at(asObject(src.json[block.type])?.[a], nth(`${block.type}.${a}`)), `${block.type === 'module' ? 'module' : 'var'}.${a}`);
        const map = block.type === 'module' ? index.modules : index.variables;
        if (s && !map.has(a)) map.set(a, s);
      } else if (block.type === 'locals' && block.labels.length === 0) {
        const s = scope(at(src.json.locals, nth('locals')), 'locals');
        if (s) for (const [name, raw] of Object.entries(s.json)) if (!index.locals.has(name)) index.locals.set(name, { raw, scope: s });
      }
    }
  }
  // terraform.tfvars first, then *.auto.tfvars in lexical order: later files win, as in Terraform.
  const ordered = [...tfvars].sort((x, y) => rank(x.file) - rank(y.file) || (x.file < y.file ? -1 : 1));
  for (const v of ordered) for (const [name, raw] of Object.entries(v.json)) index.tfvars.set(name, raw);
  return index;
}

function rank(file: string): number {
  return path.posix.basename(file) === 'terraform.tfvars' ? 0 : 1;
}

function at(list: unknown, n: number): unknown {
  return Array.isArray(list) ? list[n] : undefined;
}

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Resolution of var.*, local.*, path.* and templates

type Resolved = { ok: true; value: unknown } | { ok: false };
const FAIL: Resolved = { ok: false };
const MAX_DEPTH = 8;

class Resolver {
  constructor(private readonly index: ModuleIndex) {}

  value(raw: unknown, depth = 0): Resolved {
    if (depth > MAX_DEPTH) return FAIL;
    if (typeof raw === 'string') return this.template(raw, depth);
    if (Array.isArray(raw)) {
      const out: unknown[] = [];
      for (const item of raw) {
        const r = this.value(item, depth);
        if (!r.ok) return FAIL;
        out.push(r.value);
      }
      return { ok: true, value: out };
    }
    const obj = asObject(raw);
    if (obj) {
      const out: Json = {};
      for (const [k, v] of Object.entries(obj)) {
        const r = this.value(v, depth);
        if (!r.ok) return FAIL;
        out[k] = r.value;
      }
      return { ok: true, value: out };
    }
    return { ok: true, value: raw };
  }

  private template(str: string, depth: number): Resolved {
    const parts = templateParts(str);
    if (!parts) return FAIL;
    if (parts.length === 1 && typeof parts[0] !== 'string') return this.ref(parts[0]!.expr, depth);
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') {
        out += part;
        continue;
      }
      const r = this.ref(part.expr, depth);
      if (!r.ok || !isScalar(r.value)) return FAIL;
      out += String(r.value);
    }
    return { ok: true, value: out };
  }

  private ref(expr: string, depth: number): Resolved {
    const m = /^(var|local|path)\.([A-Za-z_][\w-]*)$/.exec(expr);
    if (!m) return FAIL;
    const [, kind, name] = m as unknown as [string, string, string];
    if (kind === 'path') return name === 'module' || name === 'root' || name === 'cwd' ? { ok: true, value: '.' } : FAIL;
    if (kind === 'local') {
      const local = this.index.locals.get(name);
      return local ? this.value(local.raw, depth + 1) : FAIL;
    }
    if (this.index.tfvars.has(name)) return this.value(this.index.tfvars.get(name), depth + 1);
    const variable = this.index.variables.get(name);
    if (!variable || !('default' in variable.json) || variable.json.default === null) return FAIL;
    return this.value(variable.json.default, depth + 1);
  }
}

function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * Splits a JSON-ified HCL string into literal text and `${...}` interpolations; null when it holds a
 * `%{...}` directive (if/for templates), which is never resolved.
 */
function templateParts(str: string): Array<string | { expr: string }> | null {
  const parts: Array<string | { expr: string }> = [];
  let literal = '';
  let i = 0;
  while (i < str.length) {
    const c = str[i]!;
    if ((c === '$' || c === '%') && str[i + 1] === c && str[i + 2] === '{') {
      literal += `${c}{`;
      i += 3;
      continue;
    }
    if ((c === '$' || c === '%') && str[i + 1] === '{') {
      if (c === '%') return null;
      const end = matchingBrace(str, i + 1);
      if (end < 0) return null;
      if (literal) parts.push(literal);
      literal = '';
      parts.push({ expr: str.slice(i + 2, end).replace(/^~/, '').replace(/~$/, '').trim() });
      i = end + 1;
      continue;
    }
    literal += c;
    i++;
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

/** Index of the `}` closing the `{` at `open` inside an interpolation (skips quoted strings). */
function matchingBrace(str: string, open: number): number {
  let depth = 0;
  for (let i = open; i < str.length; i++) {
    const c = str[i];
    if (c === '"') {
      for (i++; i < str.length && str[i] !== '"'; i++) if (str[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** `${aws_lambda_function.api.arn}` -> `aws_lambda_function.api.arn`; other strings as they are. */
function displayText(raw: unknown): string {
  if (typeof raw === 'string') {
    const parts = templateParts(raw);
    if (parts && parts.length === 1 && typeof parts[0] !== 'string') return parts[0]!.expr;
    return raw;
  }
  return JSON.stringify(raw) ?? String(raw);
}

// ---------------------------------------------------------------------------------------------------
// Field reading

type Conv<T> = (v: unknown) => T | undefined;
const asString: Conv<string> = (v) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const asNumber: Conv<number> = (v) =>
  typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : undefined;
const asBool: Conv<boolean> = (v) => (typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined);
const asStringList: Conv<string[]> = (v) => (Array.isArray(v) && v.every(isScalar) ? v.map(String) : undefined);

class Reader {
  readonly resolve: Resolver;
  constructor(readonly index: ModuleIndex) {
    this.resolve = new Resolver(index);
  }

  attrLoc(scope: Scope, name: string): SourceLocation {
    const attr = attributeOf(scope.body, name);
    return scope.src.loc(attr ? attr.start : scope.offset, `${scope.path}.${name}`);
  }

  /** The attribute's expression as written (`var.timeout`), for Unresolved.text. */
  attrText(scope: Scope, name: string): string {
    const attr = attributeOf(scope.body, name);
    return attr ? exprText(scope.src.text, attr.expr) : displayText(scope.json[name]);
  }

  has(scope: Scope, name: string): boolean {
    return name in scope.json && scope.json[name] !== null;
  }

  field<T>(scope: Scope, name: string, conv: Conv<T>): Field<T> {
    if (!this.has(scope, name)) return undefined;
    const at = this.attrLoc(scope, name);
    const r = this.resolve.value(scope.json[name]);
    const value = r.ok ? conv(r.value) : undefined;
    if (value === undefined) return { unresolved: true, text: this.attrText(scope, name), at };
    return { value, at };
  }

  /** A resolved literal or nothing (for values that only help: names, qualifiers, switches). */
  literal<T>(scope: Scope, name: string, conv: Conv<T>): T | undefined {
    if (!this.has(scope, name)) return undefined;
    const r = this.resolve.value(scope.json[name]);
    return r.ok ? conv(r.value) : undefined;
  }

  /** Nested blocks `type { ... }` (not `dynamic "type"`), paired by order with their JSON. */
  blocks(scope: Scope, type: string): Scope[] {
    const json = scope.json[type];
    const nodes = blocksOf(scope.body, type);
    if (!Array.isArray(json)) return [];
    const out: Scope[] = [];
    json.forEach((item, k) => {
      const obj = asObject(item);
      const node = nodes[k];
      if (obj && node) out.push({ src: scope.src, json: obj, body: node.body, offset: node.start, path: `${scope.path}.${type}` });
    });
    return out;
  }

  dynamicBlock(scope: Scope, type: string): HclBlock | undefined {
    return scope.body.find((b): b is HclBlock => b.kind === 'block' && b.type === 'dynamic' && b.labels[0] === type);
  }

  /** Keys of a map attribute (`variables = { K = ... }`) with their positions; values only for STREAMING_ENV_KEYS. */
  environment(scope: Scope, name: string, d: Deployment): void {
    if (!this.has(scope, name)) return;
    const attr = attributeOf(scope.body, name);
    let map = asObject(scope.json[name]);
    const literalMap = !!map;
    if (!map) {
      // `variables = var.env` / `local.env`: keys (and streaming values) when it resolves.
      const r = this.resolve.value(scope.json[name]);
      map = r.ok ? asObject(r.value) : undefined;
      if (!map) return;
    }
    const entries = literalMap && attr?.expr.kind === 'object' ? attr.expr.entries : [];
    // In source order (hcl2json sorts keys), then any key the scanner did not place.
    const keys = [...new Set([...entries.map((e) => e.key).filter((k) => Object.hasOwn(map, k)), ...Object.keys(map)])];
    for (const key of keys) {
      const raw = map[key];
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
      const entry = entries.find((e) => e.key === key);
      const at = scope.src.loc(entry ? entry.start : attr ? attr.start : scope.offset, `${scope.path}.${name}.${key}`);
      const keyIndex = d.environmentKeys.findIndex((k) => k.value === key);
      if (keyIndex >= 0) d.environmentKeys.splice(keyIndex, 1);
      d.environmentKeys.push({ value: key, at });
      if (!STREAMING_ENV_KEYS.has(key)) continue;
      const r = literalMap ? this.resolve.value(raw) : { ok: true as const, value: raw };
      if (r.ok && isScalar(r.value)) d.streamingEnvironment[key] = { value: String(r.value), at };
      else d.streamingEnvironment[key] = { unresolved: true, text: entry ? exprText(scope.src.text, entry.value) : displayText(raw), at };
    }
  }

  /** Each list item with its position; unresolved items keep their text (`aws_lambda_layer_version.x.arn`). */
  list(scope: Scope, name: string): Array<Located<string>> {
    if (!this.has(scope, name)) return [];
    const raw = scope.json[name];
    const attr = attributeOf(scope.body, name);
    if (Array.isArray(raw)) {
      const items = attr?.expr.kind === 'tuple' ? attr.expr.items : [];
      return raw.map((item, k) => {
        const r = this.resolve.value(item);
        const value = r.ok && isScalar(r.value) ? String(r.value) : displayText(item);
        const node = items[k];
        return { value, at: scope.src.loc(node ? node.start : attr ? attr.start : scope.offset, `${scope.path}.${name}[${k}]`) };
      });
    }
    const r = this.resolve.value(raw);
    if (!r.ok || !Array.isArray(r.value)) return [];
    return r.value.filter(isScalar).map((v, k) => ({ value: String(v), at: scope.src.loc(attr ? attr.start : scope.offset, `${scope.path}.${name}[${k}]`) }));
  }

  /** A path attribute (`filename`, `source_dir`, `source_path`) relative to the scan root. */
  codePath(scope: Scope, name: string): Located<string> | undefined {
    const value = this.literal(scope, name, asString);
    if (value === undefined || value === '') return undefined;
    return { value: rootRelative(scope.src.dir, value), at: this.attrLoc(scope, name) };
  }
}

function rootRelative(dir: string, p: string): string {
  if (path.posix.isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p) || /^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return p;
  const joined = path.posix.normalize(path.posix.join(dir, p.replace(/\\/g, '/')));
  return joined.replace(/\/$/, '') || '.';
}

function exprText(text: string, expr: HclExpr): string {
  return text.slice(expr.start, expr.end).trim();
}

// ---------------------------------------------------------------------------------------------------
// Deployments

/** References that identify a function: resource attributes, module outputs, aliases. */
/** The name of the `type` resource an expression refers to: `aws_lambda_function_url.api.url_id` -> `api`. */
function refersTo(value: unknown, type: string): string | undefined {
  return new RegExp(`\\b${type}\\.([A-Za-z_][\\w-]*)`).exec(typeof value === 'string' ? value : '')?.[1];
}

const FUNCTION_REF = /\baws_lambda_function\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.(?:function_name|arn|id|invoke_arn|qualified_arn|qualified_invoke_arn|response_streaming_invoke_arn)\b/;
const MODULE_REF = /\bmodule\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.lambda_function_(?:name|arn|invoke_arn|qualified_arn|qualified_invoke_arn)\b/;
const ALIAS_REF = /\baws_lambda_alias\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.(?:arn|invoke_arn|function_name|name)\b/;
const LAMBDA_MODULE_SOURCE = /^(?:(?:registry\.terraform\.io\/)?terraform-aws-modules\/lambda\/aws|(?:git::)?(?:https:\/\/|ssh:\/\/git@|git@)?github\.com[/:]terraform-aws-modules\/terraform-aws-lambda(?:\.git)?)(?:\?[^/]*)?$/;

function readModule(sources: Source[], tfvars: Array<{ file: string; json: Json }>, result: ReaderResult): void {
  const index = indexModule(sources, tfvars);
  const r = new Reader(index);
  /** Deployment by address: `aws_lambda_function.api`, `module.api`. */
  const byAddress = new Map<string, Deployment>();
  const byFunctionName = new Map<string, string>();

  for (const [name, scope] of index.resources.get('aws_lambda_function') ?? []) {
    const d = readFunctionResource(r, name, scope);
    if (!d) continue;
    byAddress.set(`aws_lambda_function.${name}`, d);
    const fn = r.literal(scope, 'function_name', asString);
    if (fn) byFunctionName.set(fn, `aws_lambda_function.${name}`);
  }
  for (const [name, scope] of index.modules) {
    const d = readLambdaModule(r, name, scope);
    if (!d) continue;
    byAddress.set(`module.${name}`, d);
    const fn = r.literal(scope, 'function_name', asString);
    if (fn) byFunctionName.set(fn, `module.${name}`);
  }
  if (byAddress.size === 0) return;

  const target = (raw: unknown, depth = 0): Deployment | undefined => {
    if (typeof raw !== 'string' || depth > 2) return undefined;
    const fn = FUNCTION_REF.exec(raw);
    if (fn) return byAddress.get(`aws_lambda_function.${fn[1]}`);
    const mod = MODULE_REF.exec(raw);
    if (mod) return byAddress.get(`module.${mod[1]}`);
    const alias = ALIAS_REF.exec(raw);
    if (alias) {
      const aliasScope = index.resources.get('aws_lambda_alias')?.get(alias[1]!);
      return aliasScope ? target(aliasScope.json.function_name, depth + 1) : undefined;
    }
    const literal = r.resolve.value(raw);
    if (literal.ok && typeof literal.value === 'string') {
      const address = byFunctionName.get(literal.value) ?? byFunctionName.get(literal.value.split(':').pop() ?? '');
      return address ? byAddress.get(address) : undefined;
    }
    return undefined;
  };

  // Function URLs: one per function; the unqualified one wins over URLs on aliases.
  for (const [name, scope] of index.resources.get('aws_lambda_function_url') ?? []) {
    const d = target(scope.json.function_name);
    if (!d || skippedByCount(r, scope)) continue;
    const url = readUrlResource(r, name, scope);
    if (!d.url || (d.url.qualifier !== undefined && url.qualifier === undefined)) d.url = url;
  }

  // CloudFront distributions whose origin is a function's URL (`domain_name` refers to aws_lambda_function_url.<name>):
  // the origin access control of origin type lambda it names, and the first behaviour to it that allows POST or PUT.
  for (const [, scope] of index.resources.get('aws_cloudfront_distribution') ?? []) {
    if (skippedByCount(r, scope)) continue;
    const behaviors = [...r.blocks(scope, 'default_cache_behavior'), ...r.blocks(scope, 'ordered_cache_behavior')];
    for (const origin of r.blocks(scope, 'origin')) {
      const urlName = refersTo(origin.json.domain_name, 'aws_lambda_function_url');
      const urlScope = urlName ? index.resources.get('aws_lambda_function_url')?.get(urlName) : undefined;
      const d = urlScope ? target(urlScope.json.function_name) : undefined;
      if (!d) continue;
      const door: FrontDoor = { kind: 'cloudfront', at: origin.src.loc(origin.offset, origin.path) };
      const oacName = refersTo(origin.json.origin_access_control_id, 'aws_cloudfront_origin_access_control');
      const oac = oacName ? index.resources.get('aws_cloudfront_origin_access_control')?.get(oacName) : undefined;
      if (oac && r.literal(oac, 'origin_access_control_origin_type', asString)?.toLowerCase() === 'lambda') {
        const signing = r.literal(oac, 'signing_behavior', asString);
        door.originAccessControl = { at: r.field(origin, 'origin_access_control_id', asString)?.at ?? door.at, ...(signing ? { signing } : {}) };
      }
      const originId = r.literal(origin, 'origin_id', asString);
      for (const behavior of behaviors) {
        if (originId === undefined || r.literal(behavior, 'target_origin_id', asString) !== originId) continue;
        const methods = r.field(behavior, 'allowed_methods', asStringList);
        const body = isResolved(methods) ? methods.value.map((m) => m.toUpperCase()).filter((m) => m === 'POST' || m === 'PUT') : [];
        if (isResolved(methods) && body.length > 0) {
          door.bodyMethods = { methods: body, at: methods.at };
          break;
        }
      }
      d.frontDoors.push(door);
    }
  }

  // API Gateway HTTP APIs (v2): integrations, and "quick create" APIs with `target`.
  for (const [name, scope] of index.resources.get('aws_apigatewayv2_integration') ?? []) {
    const d = target(scope.json.integration_uri);
    if (!d || skippedByCount(r, scope)) continue;
    const api = /\baws_apigatewayv2_api\.([A-Za-z_][\w-]*)/.exec(typeof scope.json.api_id === 'string' ? scope.json.api_id : '');
    const apiScope = api ? index.resources.get('aws_apigatewayv2_api')?.get(api[1]!) : undefined;
    const websocket = apiScope ? r.literal(apiScope, 'protocol_type', asString) === 'WEBSOCKET' : false;
    d.frontDoors.push({ kind: websocket ? 'unknown' : 'http-api', at: scope.src.loc(scope.offset, `aws_apigatewayv2_integration.${name}`) });
  }
  for (const [name, scope] of index.resources.get('aws_apigatewayv2_api') ?? []) {
    const d = target(scope.json.target);
    if (d) d.frontDoors.push({ kind: 'http-api', at: scope.src.loc(scope.offset, `aws_apigatewayv2_api.${name}`) });
  }

  // API Gateway REST APIs: stream only with response_transfer_mode STREAM and the streaming URI.
  for (const [name, scope] of index.resources.get('aws_api_gateway_integration') ?? []) {
    const d = target(scope.json.uri);
    if (!d || skippedByCount(r, scope)) continue;
    const uri = typeof scope.json.uri === 'string' ? scope.json.uri : '';
    const door: FrontDoor = {
      kind: 'rest-api',
      at: scope.src.loc(scope.offset, `aws_api_gateway_integration.${name}`),
      streamingInvocationUri: /response-streaming-invocations|\.response_streaming_invoke_arn\b/.test(uri),
    };
    const mode = r.field(scope, 'response_transfer_mode', asString);
    if (mode) door.transferMode = mode;
    d.frontDoors.push(door);
  }

  // Application Load Balancers: lambda target groups and their attachments.
  for (const type of ['aws_lb_target_group_attachment', 'aws_alb_target_group_attachment']) {
    for (const [name, scope] of index.resources.get(type) ?? []) {
      const d = target(scope.json.target_id);
      if (!d || skippedByCount(r, scope)) continue;
      const tg = /\baws_a?lb_target_group\.([A-Za-z_][\w-]*)/.exec(typeof scope.json.target_group_arn === 'string' ? scope.json.target_group_arn : '');
      const tgScope = tg ? (index.resources.get('aws_lb_target_group')?.get(tg[1]!) ?? index.resources.get('aws_alb_target_group')?.get(tg[1]!)) : undefined;
      if (tgScope && r.literal(tgScope, 'target_type', asString) !== 'lambda') continue;
      d.frontDoors.push({ kind: 'alb', at: scope.src.loc(scope.offset, `${type}.${name}`) });
    }
  }

  // The popular front-door modules: HTTP API routes and ALB lambda target groups (one door per module
  // and function, at the first route or target group that reaches it).
  for (const [name, scope] of index.modules) {
    const source = r.literal(scope, 'source', asString) ?? '';
    const apigw = /terraform-aws-modules\/apigateway-v2\/aws|terraform-aws-apigateway-v2/.test(source);
    const alb = /terraform-aws-modules\/alb\/aws|terraform-aws-alb(?:\.git)?(?:$|[?/])/.test(source);
    if (!apigw && !alb) continue;
    const kind: FrontDoor['kind'] = alb ? 'alb' : r.literal(scope, 'protocol_type', asString) === 'WEBSOCKET' ? 'unknown' : 'http-api';
    const map = asObject(scope.json[apigw ? 'routes' : 'target_groups']);
    const attr = attributeOf(scope.body, apigw ? 'routes' : 'target_groups');
    const reached = new Set<Deployment>();
    const entries = attr?.expr.kind === 'object' ? attr.expr.entries : [];
    const keys = [...new Set([...entries.map((e) => e.key), ...Object.keys(map ?? {})])].filter((k) => map && Object.hasOwn(map, k));
    for (const key of keys) {
      const value = map![key];
      const obj = asObject(value);
      if (alb && (obj?.target_type !== 'lambda' || typeof obj.target_id !== 'string')) continue;
      const d = target(alb ? obj!.target_id : JSON.stringify(value));
      if (!d || reached.has(d)) continue;
      reached.add(d);
      const entry = entries.find((e) => e.key === key);
      d.frontDoors.push({ kind, at: scope.src.loc(entry?.start ?? attr?.start ?? scope.offset, `module.${name}.${apigw ? 'routes' : 'target_groups'}.${key}`) });
    }
  }

  result.deployments.push(...byAddress.values());
}

/** `count = 0` (literally, or through a variable's default): the resource is not created. */
function skippedByCount(r: Reader, scope: Scope): boolean {
  return r.literal(scope, 'count', asNumber) === 0;
}


function readFunctionResource(r: Reader, name: string, scope: Scope): Deployment | null {
  if (skippedByCount(r, scope)) return null;
  const d = newDeployment(name, 'terraform', scope.src.loc(scope.offset, scope.path), 3);
  d.runtime = r.field(scope, 'runtime', asString);
  d.packageType = packageType(r, scope);
  if (d.packageType === 'image') {
    const config = r.blocks(scope, 'image_config')[0];
    if (config) d.handler = commandField(r, config, 'command');
  } else d.handler = r.field(scope, 'handler', asString);
  d.timeout = r.field(scope, 'timeout', asNumber);
  d.memory = r.field(scope, 'memory_size', asNumber);
  d.reservedConcurrency = reservedConcurrency(r.field(scope, 'reserved_concurrent_executions', asNumber));
  const environment = r.blocks(scope, 'environment')[0];
  if (environment) r.environment(environment, 'variables', d);
  d.layers = r.list(scope, 'layers');
  setWebAdapter(d);
  const architectures = architecturesAsWritten(r.field(scope, 'architectures', asStringList));
  if (architectures) d.architectures = architectures;
  const vpc = r.blocks(scope, 'vpc_config')[0];
  if (vpc && !isEmptyList(r, vpc, 'subnet_ids')) d.vpc = vpc.src.loc(vpc.offset, vpc.path);
  const code = functionCode(r, scope);
  if (code) d.codeLocation = code;
  const dockerfile = imageDockerfile(r, scope.json.image_uri, code);
  if (dockerfile) d.dockerfile = dockerfile;
  return d;
}

/** `docker_image { build { context, dockerfile = "docker/lambda.Dockerfile" } }`: the Dockerfile, relative to the root. */
function imageDockerfile(r: Reader, raw: unknown, context: Located<string> | undefined): Located<string> | undefined {
  if (typeof raw !== 'string' || !context) return undefined;
  const image = /\bdocker_image\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\./.exec(raw);
  const build = image ? r.index.resources.get('docker_image')?.get(image[1]!) : undefined;
  const block = build ? r.blocks(build, 'build')[0] : undefined;
  const name = block ? r.literal(block, 'dockerfile', asString) : undefined;
  if (!block || !name) return undefined;
  return { value: path.posix.join(context.value, name), at: r.attrLoc(block, 'dockerfile') };
}

function readLambdaModule(r: Reader, name: string, scope: Scope): Deployment | null {
  const source = r.literal(scope, 'source', asString);
  if (!source || !LAMBDA_MODULE_SOURCE.test(source)) return null;
  // create_layer = true makes the module build a layer instead of a function.
  if (r.literal(scope, 'create', asBool) === false || r.literal(scope, 'create_function', asBool) === false || r.literal(scope, 'create_layer', asBool) === true) return null;
  if (skippedByCount(r, scope)) return null;
  const d = newDeployment(name, 'terraform', scope.src.loc(scope.offset, scope.path), 3);
  d.runtime = r.field(scope, 'runtime', asString);
  d.packageType = packageType(r, scope);
  d.handler = d.packageType === 'image' ? commandField(r, scope, 'image_config_command') : r.field(scope, 'handler', asString);
  d.timeout = r.field(scope, 'timeout', asNumber);
  d.memory = r.field(scope, 'memory_size', asNumber);
  d.reservedConcurrency = reservedConcurrency(r.field(scope, 'reserved_concurrent_executions', asNumber));
  r.environment(scope, 'environment_variables', d);
  d.layers = r.list(scope, 'layers');
  setWebAdapter(d);
  const architectures = architecturesAsWritten(r.field(scope, 'architectures', asStringList));
  if (architectures) d.architectures = architectures;
  if (r.has(scope, 'vpc_subnet_ids') && !isEmptyList(r, scope, 'vpc_subnet_ids')) d.vpc = r.attrLoc(scope, 'vpc_subnet_ids');
  const code = d.packageType === 'image' ? imageContext(r, scope.json.image_uri) : (modulePath(r, scope, 'source_path') ?? r.codePath(scope, 'local_existing_package'));
  if (code) d.codeLocation = code;

  // The module creates the URL only with create_lambda_function_url = true (default false).
  if (r.literal(scope, 'create_lambda_function_url', asBool) === true) {
    const urlAt = r.attrLoc(scope, 'create_lambda_function_url');
    const url: FunctionUrl = {
      at: urlAt,
      invokeMode: r.field(scope, 'invoke_mode', asString),
      // The module's default is NONE (a public URL): made explicit, at the line that creates the URL.
      authType: (r.field(scope, 'authorization_type', asString) as Field<AuthType>) ?? { value: 'NONE', at: urlAt },
      cors: moduleCors(r, scope),
    };
    d.url = url;
  }
  return d;
}

function packageType(r: Reader, scope: Scope): PackageType | undefined {
  if (!r.has(scope, 'package_type')) return r.has(scope, 'image_uri') ? 'image' : 'zip';
  const value = r.literal(scope, 'package_type', asString);
  return value === 'Image' ? 'image' : value === 'Zip' ? 'zip' : undefined;
}

/** An image's command (`["app.handler"]`, `["uvicorn", "main:app"]`) as one string. */
function commandField(r: Reader, scope: Scope, name: string): Field<string> {
  const list = r.field(scope, name, asStringList);
  if (!list || 'unresolved' in list) return list;
  return list.value.length ? { value: list.value.join(' '), at: list.at } : undefined;
}

/** -1 is the provider's "no reservation". */
function reservedConcurrency(field: Field<number>): Field<number> {
  return field && !('unresolved' in field) && field.value < 0 ? undefined : field;
}

function isEmptyList(r: Reader, scope: Scope, name: string): boolean {
  const list = r.literal(scope, name, (v) => (Array.isArray(v) ? v : undefined));
  return !!list && list.length === 0;
}

/**
 * `architectures`; an unresolved one (`[var.arch]` without a default) is kept as the expression as written,
 * so that a missing field really means Lambda's default x86_64.
 */
function architecturesAsWritten(field: Field<string[]>): Located<string[]> | undefined {
  if (field === undefined) return undefined;
  return 'unresolved' in field ? { value: [field.text], at: field.at } : field;
}

/**
 * The layer whose ARN names the Lambda Web Adapter; for images (where the adapter is baked in and
 * invisible to Lambda), an `AWS_LWA_*` environment variable is the sign that it is there.
 */
function setWebAdapter(d: Deployment): void {
  const layer = d.layers.find((l) => /LambdaAdapterLayer/.test(l.value));
  if (layer) {
    d.webAdapter = layer;
    return;
  }
  if (d.packageType !== 'image') return;
  const key = d.environmentKeys.find((k) => k.value.startsWith('AWS_LWA_'));
  if (key) d.webAdapter = { value: `environment ${key.value}`, at: key.at };
}

/**
 * The code on disk: `filename` or the source of the `data.archive_file` it names; for images, the
 * Docker build context of the image `image_uri` names (the lambda module's `docker-build` submodule,
 * or a `docker_image` / `docker_registry_image` resource), which is where its Dockerfile is.
 */
function functionCode(r: Reader, scope: Scope): Located<string> | undefined {
  if (r.has(scope, 'image_uri')) return imageContext(r, scope.json.image_uri);
  const raw = scope.json.filename;
  if (typeof raw === 'string') {
    const archive = /\bdata\.archive_file\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.output_path\b/.exec(raw);
    if (archive) {
      const data = r.index.data.get('archive_file')?.get(archive[1]!);
      if (data) return r.codePath(data, 'source_dir') ?? r.codePath(data, 'source_file') ?? r.codePath(data, 'output_path');
      return undefined;
    }
    return r.codePath(scope, 'filename');
  }
  return undefined;
}

const DOCKER_BUILD_SOURCE = /terraform-aws-modules\/lambda\/aws\/\/modules\/docker-build|terraform-aws-lambda(?:\.git)?\/\/modules\/docker-build/;

function imageContext(r: Reader, raw: unknown, depth = 0): Located<string> | undefined {
  if (typeof raw !== 'string' || depth > 2) return undefined;
  const mod = /\bmodule\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.image_uri\b/.exec(raw);
  if (mod) {
    const m = r.index.modules.get(mod[1]!);
    return m && DOCKER_BUILD_SOURCE.test(r.literal(m, 'source', asString) ?? '') ? r.codePath(m, 'source_path') : undefined;
  }
  const image = /\bdocker_image\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\./.exec(raw);
  if (image) {
    const build = r.index.resources.get('docker_image')?.get(image[1]!);
    const block = build ? r.blocks(build, 'build')[0] : undefined;
    return block ? r.codePath(block, 'context') : undefined;
  }
  const pushed = /\bdocker_registry_image\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\./.exec(raw);
  const registry = pushed ? r.index.resources.get('docker_registry_image')?.get(pushed[1]!) : undefined;
  return registry ? imageContext(r, registry.json.name, depth + 1) : undefined;
}

/** The module's `source_path`: a string, a list of strings, or a list of `{ path = ... }`. */
function modulePath(r: Reader, scope: Scope, name: string): Located<string> | undefined {
  if (!r.has(scope, name)) return undefined;
  const resolved = r.resolve.value(scope.json[name]);
  if (!resolved.ok) return undefined;
  let value = resolved.value;
  if (Array.isArray(value)) value = value[0];
  const obj = asObject(value);
  if (obj) value = obj.path;
  if (typeof value !== 'string' || value === '') return undefined;
  return { value: rootRelative(scope.src.dir, value), at: r.attrLoc(scope, name) };
}

function readUrlResource(r: Reader, name: string, scope: Scope): FunctionUrl {
  const url: FunctionUrl = {
    at: scope.src.loc(scope.offset, `aws_lambda_function_url.${name}`),
    invokeMode: r.field(scope, 'invoke_mode', asString),
    authType: r.field(scope, 'authorization_type', asString) as Field<AuthType>,
    cors: undefined,
  };
  const cors = r.blocks(scope, 'cors')[0];
  const dynamic = r.dynamicBlock(scope, 'cors');
  if (cors) url.cors = { value: corsOf(r, cors), at: cors.src.loc(cors.offset, cors.path) };
  else if (dynamic) url.cors = { unresolved: true, text: 'dynamic "cors"', at: scope.src.loc(dynamic.start, `${scope.path}.cors`) };
  if (r.has(scope, 'qualifier')) url.qualifier = r.literal(scope, 'qualifier', asString) ?? r.attrText(scope, 'qualifier');
  return url;
}

function corsOf(r: Reader, cors: Scope): UrlCors {
  const value: UrlCors = { enabled: true };
  const list = (name: string) => r.literal(cors, name, asStringList);
  const origins = list('allow_origins');
  const methods = list('allow_methods');
  const headers = list('allow_headers');
  const credentials = r.literal(cors, 'allow_credentials', asBool);
  if (origins) value.allowOrigins = origins;
  if (methods) value.allowMethods = methods;
  if (headers) value.allowHeaders = headers;
  if (credentials !== undefined) value.allowCredentials = credentials;
  return value;
}

/** The module's `cors` map input; an empty map means no CORS (the module skips the block). */
function moduleCors(r: Reader, scope: Scope): Field<UrlCors> {
  if (!r.has(scope, 'cors')) return undefined;
  const at = r.attrLoc(scope, 'cors');
  const resolved = r.resolve.value(scope.json.cors);
  const map = resolved.ok ? asObject(resolved.value) : undefined;
  if (!map) return { unresolved: true, text: r.attrText(scope, 'cors'), at };
  if (Object.keys(map).length === 0) return undefined;
  const value: UrlCors = { enabled: true };
  const origins = asStringList(map.allow_origins);
  const methods = asStringList(map.allow_methods);
  const headers = asStringList(map.allow_headers);
  const credentials = asBool(map.allow_credentials);
  if (origins) value.allowOrigins = origins;
  if (methods) value.allowMethods = methods;
  if (headers) value.allowHeaders = headers;
  if (credentials !== undefined) value.allowCredentials = credentials;
  return { value, at };
}
