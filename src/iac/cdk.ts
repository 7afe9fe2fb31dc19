/**
 * CDK apps written in TypeScript/JavaScript -> Deployments, read statically from the source (no synth).
 *
 * Recognised: `new lambda.Function`, `new NodejsFunction` (also `lambdaNodejs.NodejsFunction`),
 * `new lambda.DockerImageFunction`; their props (runtime, handler, entry/code, timeout, memorySize,
 * environment keys, layers, reservedConcurrentExecutions, architecture, vpc); Function URLs from
 * `fn.addFunctionUrl({...})` and `new lambda.FunctionUrl(scope, id, { function: fn, ... })`; front doors
 * from `HttpLambdaIntegration` (HTTP API), `LambdaIntegration` / `LambdaRestApi` (REST API, with
 * `responseTransferMode`), `LambdaTarget` (ALB) and `FunctionUrlOrigin` (CloudFront).
 *
 * Names are matched through the file's imports (`import * as lambda from 'aws-cdk-lib/aws-lambda'`,
 * `import { aws_lambda as lambda } from 'aws-cdk-lib'`, `cdk.aws_lambda.Function`, `require(...)`);
 * the generic name `Function` (also JavaScript's own constructor) only when it comes from aws-lambda.
 *
 * Values are resolved through literals, same-file variables (`const fn = new ...`, `const TIMEOUT = 30`,
 * `this.fn = new ...`), object spreads of same-file objects, and simple arithmetic. Anything else is
 * `Unresolved` with the expression as written; a prop that may come from an unresolvable spread
 * (`{ ...props }`) is Unresolved too, so no rule assumes a default that may not apply.
 * Environment values are never stored, except the two that configure streaming.
 *
 * CDK defaults (left `undefined` here; the rules know them): Lambda timeout 3 s, Function URL authType
 * AWS_IAM, invokeMode BUFFERED, no CORS (aws-cdk-lib `aws-lambda/lib/function-url.ts`: `props.authType ??
 * FunctionUrlAuthType.AWS_IAM`, `invokeMode: props.invokeMode`, `cors: props.cors ? ... : undefined`).
 * Applied here because CDK renders them itself: CORS `allowMethods` defaults to `['*']` when `cors` is
 * given (`renderCors`: `cors.allowedMethods ?? [HttpMethod.ALL]`), and NodejsFunction's `handler`
 * defaults to `'handler'` (aws-lambda-nodejs `lib/function.ts`: `props.handler ?? 'handler'`).
 *
 * Paths: relative strings in `entry` / `Code.fromAsset` are resolved by CDK against the process working
 * directory, which is the CDK app root (the `cdk.json` directory); `path.join(__dirname, ...)` against
 * the file. The caller may pass the app root; without it, it is inferred from the file's path.
 */
import path from 'node:path';
import type {
  Deployment,
  Field,
  FrontDoor,
  FunctionUrl,
  InvokeMode,
  AuthType,
  Located,
  ReaderResult,
  SourceLocation,
  Unresolved,
  UrlCors,
} from '../model/deployment.js';
import { type Node, isFunction, memberPath, patternNames, propertyKey, propertyName, unwrap, walk } from '../code/ast.js';
import { isResolved } from '../model/deployment.js';
import { parseModule } from '../code/facts.js';
import { locator, LWA_LAYER, newDeployment, STREAMING_ENV_KEYS } from './locate.js';

export interface CdkReadOptions {
  /** The CDK app root (the directory holding cdk.json), relative to the scan root; inferred when missing. */
  appRoot?: string;
}

export function readCdk(file: string, text: string, options: CdkReadOptions = {}): ReaderResult {
  if (!/aws-cdk-lib|@aws-cdk\//.test(text)) return { deployments: [], notes: [] };
  let program: Node;
  try {
    program = parseModule(file, text);
  } catch (error) {
    return { deployments: [], notes: [{ file, reason: `cannot parse CDK app: ${firstLine(error)}` }] };
  }
  try {
    return new CdkReader(file, text, program, options.appRoot ?? inferAppRoot(file)).read();
  } catch (error) {
    return { deployments: [], notes: [{ file, reason: `cannot read CDK app: ${firstLine(error)}` }] };
  }
}

/**
 * `lib/stack.ts` -> `.`, `infra/lib/stacks/api.ts` -> `infra`, `src/main.ts` (projen) -> `.`: the directory
 * above the first conventional `bin/`, `lib/`, `src/`, `stacks/` or `constructs/` folder; otherwise the
 * file's own directory. A guess: callers that know where cdk.json is pass `appRoot`.
 */
export function inferAppRoot(file: string): string {
  const dirs = path.posix.dirname(file).split('/').filter((p) => p && p !== '.');
  let cut = -1;
  for (let i = 0; i < dirs.length; i++) if (/^(bin|lib|src|stacks|constructs)$/.test(dirs[i])) {
    cut = i;
    break;
  }
  const kept = cut >= 0 ? dirs.slice(0, cut) : dirs;
  return kept.length ? kept.join('/') : '.';
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}

// ---------------------------------------------------------------------------------------------------
// Static evaluation over one module, shared with the SST reader.
// ---------------------------------------------------------------------------------------------------

interface Binding {
  /** The initializer / assigned value; null for parameters and other unknowable bindings. */
  init: Node | null;
}

export interface PropEntry {
  key: Node;
  value: Node;
  /** An unresolvable spread after this entry may replace it. */
  shadowedBy?: Node;
}

export interface Props {
  entries: Map<string, PropEntry>;
  /** An unresolvable part (`...props`, or the whole object): missing keys may be set there. */
  unknown: Node | null;
  /** The object literal itself, when resolved. */
  object: Node | null;
}

const EMPTY_PROPS: Props = { entries: new Map(), unknown: null, object: null };

/** Same-file value resolution: variables, `this.x` fields, object spreads, literals and arithmetic. */
export class StaticScope {
  private readonly parents = new WeakMap<Node, Node>();
  private readonly scopes = new Map<Node, Map<string, Binding[]>>();
  private readonly fields = new Map<string, Binding[]>();

  constructor(
    readonly program: Node,
    readonly text: string,
  ) {
    walk(program, (node, parent) => {
      if (parent) this.parents.set(node, parent);
      if (isFunction(node)) {
        for (const param of node.params) for (const name of patternNames(param)) this.bind(node, name, null);
        if (node.type === 'FunctionDeclaration' && node.id) this.bind(this.scopeOf(node), node.id.name, null);
      } else if (node.type === 'VariableDeclarator') {
        if (node.id.type === 'Identifier') this.bind(this.scopeOf(node), node.id.name, node.init ?? null, !node.init);
        else for (const name of patternNames(node.id)) this.bind(this.scopeOf(node), name, null);
      } else if (node.type === 'AssignmentExpression' && node.operator === '=') {
        const target = unwrap(node.left);
        if (target?.type === 'Identifier') this.bind(this.scopeOf(node), target.name, node.right);
        else if (target?.type === 'MemberExpression' && unwrap(target.object)?.type === 'ThisExpression') {
          const name = propertyName(target);
          if (name) this.bindField(name, node.right);
        }
      } else if (node.type === 'PropertyDefinition' && node.value && !node.static) {
        const name = node.key?.type === 'Identifier' ? node.key.name : null;
        if (name) this.bindField(name, node.value);
      } else if (node.type === 'ImportDeclaration') {
        for (const spec of node.specifiers ?? []) this.bind(program, spec.local.name, null);
      } else if (node.type === 'ClassDeclaration' && node.id) {
        this.bind(this.scopeOf(node), node.id.name, null);
      }
      return true;
    });
  }

  /** The source text of a node. */
  source(node: Node): string {
    return this.text.slice(node.start, node.end);
  }

  /** The nearest enclosing function, or the program. */
  scopeOf(node: Node): Node {
    let current = this.parents.get(node);
    while (current) {
      if (isFunction(current)) return current;
      current = this.parents.get(current);
    }
    return this.program;
  }

  parentOf(node: Node): Node | undefined {
    return this.parents.get(node);
  }

  private bind(scope: Node, name: string, init: Node | null, declarationOnly = false): void {
    let names = this.scopes.get(scope);
    if (!names) this.scopes.set(scope, (names = new Map()));
    const list = names.get(name) ?? [];
    // `let fn;` followed by `fn = new ...`: the bare declaration adds no value.
    if (!declarationOnly) list.push({ init });
    names.set(name, list);
  }

  private bindField(name: string, init: Node): void {
    const list = this.fields.get(name) ?? [];
    list.push({ init });
    this.fields.set(name, list);
  }

  private lookup(name: string, from: Node): Binding[] | null {
    let scope: Node | undefined = this.scopeOf(from);
    while (scope) {
      const found = this.scopes.get(scope)?.get(name);
      if (found) return found;
      scope = scope === this.program ? undefined : this.scopeOf(scope);
    }
    return null;
  }

  /**
   * Follows identifiers and `this.x` to their single assigned value. Returns the last node reached:
   * still an Identifier (or `this.x`) when it cannot be followed.
   */
  resolve(node: Node | null | undefined, depth = 0): Node | null {
    const n = unwrap(node);
    if (!n || depth > 12) return n;
    let bindings: Binding[] | null | undefined = null;
    if (n.type === 'Identifier') bindings = this.lookup(n.name, n);
    else if (n.type === 'MemberExpression' && unwrap(n.object)?.type === 'ThisExpression') {
      const name = propertyName(n);
      if (name) bindings = this.fields.get(name);
    }
    if (!bindings || bindings.length !== 1 || !bindings[0].init) return n;
    return this.resolve(bindings[0].init, depth + 1);
  }

  string(node: Node | null | undefined): string | null {
    const n = this.resolve(node);
    if (!n) return null;
    if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
    if (n.type === 'TemplateLiteral') {
      let out = '';
      for (let i = 0; i < n.quasis.length; i++) {
        const cooked = n.quasis[i].value?.cooked;
        if (typeof cooked !== 'string') return null;
        out += cooked;
        if (i < n.expressions.length) {
          const part = this.string(n.expressions[i]) ?? numberText(this.number(n.expressions[i]));
          if (part === null) return null;
          out += part;
        }
      }
      return out;
    }
    if (n.type === 'BinaryExpression' && n.operator === '+') {
      const left = this.string(n.left) ?? numberText(this.number(n.left));
      const right = this.string(n.right) ?? numberText(this.number(n.right));
      if (left !== null && right !== null && (this.string(n.left) !== null || this.string(n.right) !== null)) return left + right;
    }
    return null;
  }

  number(node: Node | null | undefined): number | null {
    const n = this.resolve(node);
    if (!n) return null;
    if (n.type === 'Literal' && typeof n.value === 'number') return n.value;
    if (n.type === 'UnaryExpression' && (n.operator === '-' || n.operator === '+')) {
      const v = this.number(n.argument);
      return v === null ? null : n.operator === '-' ? -v : v;
    }
    if (n.type === 'BinaryExpression' && ['+', '-', '*', '/', '%'].includes(n.operator)) {
      const a = this.number(n.left);
      const b = this.number(n.right);
      if (a === null || b === null) return null;
      switch (n.operator) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b === 0 ? null : a / b;
        default:
          return b === 0 ? null : a % b;
      }
    }
    return null;
  }

  boolean(node: Node | null | undefined): boolean | null {
    const n = this.resolve(node);
    if (n?.type === 'Literal' && typeof n.value === 'boolean') return n.value;
    if (n?.type === 'UnaryExpression' && n.operator === '!') {
      const v = this.boolean(n.argument);
      return v === null ? null : !v;
    }
    return null;
  }

  /** `['a', 'b']` (with spreads of same-file arrays) -> strings; null when any element is unknown. */
  stringArray(node: Node | null | undefined, element: (n: Node) => string | null = (n) => this.string(n)): string[] | null {
    const elements = this.arrayElements(node);
    if (!elements) return null;
    const out: string[] = [];
    for (const el of elements) {
      const v = element(el);
      if (v === null) return null;
      out.push(v);
    }
    return out;
  }

  /** The elements of an array literal, spreads of same-file arrays flattened; null when unknown. */
  arrayElements(node: Node | null | undefined, depth = 0): Node[] | null {
    const n = this.resolve(node);
    if (!n || n.type !== 'ArrayExpression' || depth > 6) return null;
    const out: Node[] = [];
    for (const el of n.elements) {
      if (!el) return null;
      if (el.type === 'SpreadElement') {
        const inner = this.arrayElements(el.argument, depth + 1);
        if (!inner) return null;
        out.push(...inner);
      } else out.push(el);
    }
    return out;
  }

  /** An object literal's properties, same-file spreads merged in order. */
  props(node: Node | null | undefined, depth = 0): Props {
    if (!node) return EMPTY_PROPS;
    const n = this.resolve(node);
    if (!n || n.type !== 'ObjectExpression' || depth > 6) return { entries: new Map(), unknown: n ?? node, object: null };
    const entries = new Map<string, PropEntry>();
    let unknown: Node | null = null;
    for (const p of n.properties) {
      if (p.type === 'SpreadElement') {
        const inner = this.props(p.argument, depth + 1);
        for (const [key, entry] of inner.entries) entries.set(key, entry);
        if (inner.unknown) {
          const marker = inner.object ? inner.unknown : p;
          unknown ??= marker;
          for (const entry of entries.values()) if (!inner.entries.has(keyOf(entry))) entry.shadowedBy ??= marker;
        }
        continue;
      }
      const key = propertyKey(p);
      if (key === null || p.kind !== 'init') continue;
      entries.set(key, { key: p.key, value: p.value });
    }
    return { entries, unknown, object: n };
  }

  /** The tail of a member path, e.g. `['Duration','seconds']` for `cdk.Duration.seconds`. */
  tail(node: Node | null | undefined, length: number): string[] | null {
    const p = memberPath(node ?? null);
    if (!p || p.length < length) return null;
    return p.slice(p.length - length);
  }

  /** `X.Member` where `X` is the named enum (any qualifier), or a string literal; the member name. */
  enumMember(node: Node | null | undefined, enumName: string): string | null {
    const n = this.resolve(node);
    if (!n) return null;
    const t = this.tail(n, 2);
    if (t && t[0] === enumName) return t[1];
    return this.string(n);
  }
}

function keyOf(entry: PropEntry): string {
  const k = entry.key;
  return k.type === 'Identifier' ? k.name : String(k.value);
}

function numberText(n: number | null): string | null {
  return n === null ? null : String(n);
}

/** Location helpers and common field readers bound to one file. */
export class ReaderKit {
  private readonly at: (offset: number, path?: string) => SourceLocation;

  constructor(
    readonly file: string,
    readonly scope: StaticScope,
  ) {
    this.at = locator(file, scope.text);
  }

  loc(node: Node, logicalPath?: string): SourceLocation {
    return this.at(node.start, logicalPath);
  }

  /** The expression as written, short, for messages: calls and long literals are elided. */
  text(node: Node): string {
    const n = unwrap(node) ?? node;
    if (n.type === 'SpreadElement') return `...${this.text(n.argument)}`;
    if (n.type === 'CallExpression' || n.type === 'NewExpression') {
      const callee = this.scope.source(n.callee);
      return `${n.type === 'NewExpression' ? 'new ' : ''}${callee.length > 80 ? callee.slice(0, 79) + '…' : callee}(…)`;
    }
    if (n.type === 'ObjectExpression') return '{…}';
    // Object literals inside (`cond ? a : { KEY: 'value' }`) are elided too: they may hold environment values.
    const spans: Array<[number, number]> = [];
    walk(n, (inner) => {
      if (inner === n || inner.type !== 'ObjectExpression') return true;
      spans.push([inner.start, inner.end]);
      return false;
    });
    let src = '';
    let pos = n.start;
    for (const [start, end] of spans.sort((a, b) => a[0] - b[0])) {
      src += this.scope.text.slice(pos, start) + '{…}';
      pos = end;
    }
    src = (src + this.scope.text.slice(pos, n.end)).replace(/\s+/g, ' ');
    return src.length > 80 ? src.slice(0, 79) + '…' : src;
  }

  unresolved(node: Node, logicalPath: string): Unresolved {
    return { unresolved: true, text: this.text(node), at: this.loc(node, logicalPath) };
  }

  /** A prop read with `evaluate`; Unresolved when it cannot be, or may be set by an unresolvable spread. */
  field<T>(props: Props, key: string, logicalPath: string, evaluate: (value: Node) => T | null): Field<T> {
    const entry = props.entries.get(key);
    if (!entry) return props.unknown ? this.unresolved(props.unknown, logicalPath) : undefined;
    if (entry.shadowedBy) return this.unresolved(entry.value, logicalPath);
    const value = evaluate(entry.value);
    return value === null ? this.unresolved(entry.value, logicalPath) : { value, at: this.loc(entry.value, logicalPath) };
  }

  /** Environment keys (locations of the keys) and the streaming variables' values; other values are never read. */
  environment(d: Deployment, node: Node | null | undefined, logicalPath: string): void {
    if (!node) return;
    const props = this.scope.props(node);
    for (const [key, entry] of props.entries) this.environmentEntry(d, key, entry.key, entry.value, logicalPath, entry.shadowedBy);
  }

  environmentEntry(d: Deployment, key: string, keyNode: Node, value: Node, logicalPath: string, shadowed?: Node): void {
    const p = `${logicalPath}.${key}`;
    if (!d.environmentKeys.some((k) => k.value === key)) d.environmentKeys.push({ value: key, at: this.loc(keyNode, p) });
    if (!STREAMING_ENV_KEYS.has(key)) return;
    const v = shadowed ? null : this.scope.string(value);
    d.streamingEnvironment[key] = v === null ? this.unresolved(value, p) : { value: v, at: this.loc(value, p) };
  }

  /** A layer as written: its ARN (template literals keep their `${...}` parts), else the expression. */
  layerText(node: Node): { text: string; node: Node } {
    const n = this.scope.resolve(node) ?? node;
    if (n.type === 'CallExpression') {
      const t = this.scope.tail(n.callee, 1)?.[0];
      if (t === 'fromLayerVersionArn' && n.arguments[2]) return this.arnText(n.arguments[2]);
      if (t === 'fromLayerVersionAttributes' && n.arguments[2]) {
        const arn = this.scope.props(n.arguments[2]).entries.get('layerVersionArn');
        if (arn) return this.arnText(arn.value);
      }
    }
    return this.arnText(n);
  }

  arnText(node: Node): { text: string; node: Node } {
    const n = this.scope.resolve(node) ?? node;
    const s = this.scope.string(n);
    if (s !== null) return { text: s, node: n };
    if (n.type === 'TemplateLiteral') return { text: this.scope.source(n).slice(1, -1), node: n };
    if (n.type === 'CallExpression' && this.scope.tail(n.callee, 2)?.join('.') === 'Fn.sub') {
      const sub = this.scope.string(n.arguments[0]);
      if (sub !== null) return { text: sub, node: n };
    }
    return { text: this.text(n), node: n };
  }

  addLayer(d: Deployment, node: Node, logicalPath: string): void {
    const layer = this.layerText(node);
    const located = { value: layer.text, at: this.loc(layer.node, `${logicalPath}[${d.layers.length}]`) };
    d.layers.push(located);
    if (!d.webAdapter && LWA_LAYER.test(layer.text)) d.webAdapter = located;
  }
}

/** The Lambda Web Adapter's published layers (aws.md §3.3): `...:layer:LambdaAdapterLayerX86:26`. */
export { LWA_LAYER };


// ---------------------------------------------------------------------------------------------------
// The CDK reader.
// ---------------------------------------------------------------------------------------------------

type FunctionKind = 'function' | 'nodejs' | 'docker';

interface FunctionRecord {
  d: Deployment;
  node: Node;
}

interface FunctionRef {
  rec: FunctionRecord;
  qualifier?: string;
}

const DURATION_SECONDS: Record<string, number> = { millis: 0.001, seconds: 1, minutes: 60, hours: 3600, days: 86400 };

class CdkReader {
  private readonly scope: StaticScope;
  private readonly kit: ReaderKit;
  /** Local name -> normalized module (`aws-lambda`, `core`) for namespace imports, or `module.Export` for named ones. */
  private readonly imports = new Map<string, string>();
  private readonly records = new Map<Node, FunctionRecord>();
  /** addFunctionUrl calls and FunctionUrl constructs -> the function they belong to. */
  private readonly urlOwners = new Map<Node, FunctionRecord>();
  /** CloudFront origins of a function's URL (FunctionUrlOrigin nodes), for the cache behaviours that use them. */
  private readonly origins = new Map<Node, FrontDoor>();
  /** The same constructs -> the URL they created (escape hatches on `url.node.defaultChild` change it). */
  private readonly urls = new Map<Node, { rec: FunctionRecord; url: FunctionUrl }>();
  /** `new LambdaIntegration(fn)` -> the front door it adds to its function. */
  private readonly integrationDoors = new Map<Node, { rec: FunctionRecord; door: FrontDoor }>();
  /** `resource.addMethod(verb, integration)` / `new Method(...)` -> its integration. */
  private readonly methodIntegrations = new Map<Node, Node>();
  /** What escape hatches on each method's CfnMethod set. */
  private readonly methodOverrides = new Map<Node, MethodOverride>();
  private readonly notes: ReaderResult['notes'] = [];

  constructor(
    private readonly file: string,
    text: string,
    private readonly program: Node,
    private readonly appRoot: string,
  ) {
    this.scope = new StaticScope(program, text);
    this.kit = new ReaderKit(file, this.scope);
  }

  read(): ReaderResult {
    this.collectImports();
    const news: Node[] = [];
    const calls: Node[] = [];
    walk(this.program, (node) => {
      if (node.type === 'NewExpression') news.push(node);
      else if (node.type === 'CallExpression') calls.push(node);
      return true;
    });
    const ordered = [...news, ...calls].sort((a, b) => a.start - b.start);

    for (const node of news) {
      const kind = this.functionKind(node);
      if (kind) this.records.set(node, { d: this.readFunction(node, kind), node });
    }
    // URLs first: CloudFront origins and aliases refer to them.
    for (const node of ordered) {
      if (node.type === 'NewExpression' && this.is(node.callee, 'FunctionUrl')) this.functionUrlConstruct(node);
      else if (node.type === 'NewExpression' && this.is(node.callee, 'CfnUrl')) this.cfnUrl(node);
      else if (node.type === 'CallExpression' && this.method(node) === 'addFunctionUrl') this.addFunctionUrl(node);
    }
    for (const node of ordered) {
      if (node.type === 'CallExpression') {
        const method = this.method(node);
        if (method === 'addEnvironment') this.addEnvironment(node);
        else if (method === 'addLayers') this.addLayers(node);
        else if (method === 'withOriginAccessControl' && this.scope.tail(node.callee, 2)?.[0] === 'FunctionUrlOrigin') this.cloudFront(node, node.arguments[0], true);
      } else this.frontDoor(node);
    }
    // Cache behaviours that send to a Function URL origin: which methods they allow.
    if (this.origins.size > 0) {
      walk(this.program, (node) => {
        if (node.type === 'ObjectExpression') {
          const props = this.scope.props(node);
          const origin = props.entries.get('origin');
          if (origin) this.behavior(origin.value, props.entries.get('allowedMethods')?.value);
        } else if (node.type === 'CallExpression' && this.method(node) === 'addBehavior') {
          this.behavior(node.arguments[1], this.scope.props(node.arguments[2]).entries.get('allowedMethods')?.value);
        }
        return true;
      });
    }
    // REST API methods and their Lambda integration: escape hatches on a method's CfnMethod change its integration.
    for (const node of ordered) {
      if (node.type === 'CallExpression' && this.method(node) === 'addMethod') this.restMethod(node, node.arguments[1]);
      else if (node.type === 'NewExpression' && this.is(node.callee, 'Method')) this.restMethod(node, this.scope.props(node.arguments[2]).entries.get('integration')?.value);
    }
    // Escape hatches last: they change what the constructs above render.
    for (const node of calls) {
      const method = this.method(node);
      if (method && OVERRIDE_METHODS.has(method)) this.override(node, method);
    }
    this.applyMethodOverrides();
    return { deployments: [...this.records.values()].map((r) => r.d), notes: this.notes };
  }

  // -- imports and names ---------------------------------------------------------------------------

  private collectImports(): void {
    for (const statement of this.program.body) {
      if (statement.type === 'ImportDeclaration') {
        const module = normalizeModule(statement.source.value);
        if (!module) continue;
        for (const spec of statement.specifiers ?? []) {
          if (spec.type === 'ImportNamespaceSpecifier' || spec.type === 'ImportDefaultSpecifier') this.imports.set(spec.local.name, module);
          else if (spec.type === 'ImportSpecifier') {
            const imported = spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value);
            this.imports.set(spec.local.name, qualify(module, imported));
          }
        }
      }
    }
    // CommonJS: const lambda = require('aws-cdk-lib/aws-lambda'); const { Function } = require(...)
    walk(this.program, (node) => {
      if (node.type !== 'VariableDeclarator') return true;
      const init = unwrap(node.init);
      if (init?.type !== 'CallExpression' || unwrap(init.callee)?.type !== 'Identifier' || init.callee.name !== 'require') return true;
      const module = normalizeModule(this.scope.string(init.arguments[0]) ?? '');
      if (!module) return true;
      if (node.id.type === 'Identifier') this.imports.set(node.id.name, module);
      else if (node.id.type === 'ObjectPattern') {
        for (const p of node.id.properties) {
          const key = propertyKey(p);
          if (key && p.value?.type === 'Identifier') this.imports.set(p.value.name, qualify(module, key));
        }
      }
      return true;
    });
  }

  /** `lambda.Function` -> `aws-lambda.Function` through the imports; null when the base is not imported. */
  private qualified(node: Node | null | undefined): string | null {
    const p = memberPath(node ?? null);
    if (!p) return null;
    const base = this.imports.get(p[0]);
    if (!base) return null;
    let name = base;
    for (const part of p.slice(1)) name = qualify(name, part);
    return name;
  }

  /** The construct's own name: through the imports (so `import { X as Y }` still reads X), else the last member. */
  private nameOf(callee: Node): string | null {
    const q = this.qualified(callee);
    if (q) return q.slice(q.lastIndexOf('.') + 1);
    return this.scope.tail(callee, 1)?.[0] ?? null;
  }

  /** Whether `callee` names the construct: by import, or by its distinctive last name. */
  private is(callee: Node, name: string): boolean {
    return this.nameOf(callee) === name;
  }

  private functionKind(node: Node): FunctionKind | null {
    const last = this.nameOf(node.callee);
    if (last === 'NodejsFunction') return 'nodejs';
    if (last === 'DockerImageFunction') return 'docker';
    if (last !== 'Function') return null;
    // `Function` is also JavaScript's own constructor: only from aws-lambda.
    if (this.qualified(node.callee) === 'aws-lambda.Function') return 'function';
    // Conventional spellings whose import this reader does not see (`lambda.Function`).
    const p = memberPath(node.callee);
    return p && p.length === 2 && /^(lambda|awsLambda|aws_lambda)$/.test(p[0]) && !this.imports.has(p[0]) ? 'function' : null;
  }

  private method(call: Node): string | null {
    const callee = unwrap(call.callee);
    return callee?.type === 'MemberExpression' ? propertyName(callee) : null;
  }

  // -- functions -----------------------------------------------------------------------------------

  private readFunction(node: Node, kind: FunctionKind): Deployment {
    const idNode = node.arguments[1];
    const name = (idNode && this.scope.string(idNode)) ?? (idNode ? this.kit.text(idNode) : 'Function');
    const d = newDeployment(name, 'cdk', this.kit.loc(node, name), 3);
    const props = this.scope.props(node.arguments[2]);
    const p = (key: string) => `${name}.${key}`;
    const kit = this.kit;

    const code = props.entries.get('code');
    const codeInfo = code && !code.shadowedBy ? this.code(code.value, p('code')) : null;
    if (kind === 'docker' || codeInfo?.image) d.packageType = 'image';
    else if (kind === 'nodejs' || codeInfo) d.packageType = 'zip';

    if (d.packageType !== 'image') d.runtime = kit.field(props, 'runtime', p('runtime'), (v) => this.runtime(v));
    // NODEJS_LATEST and NodejsFunction's missing runtime depend on the aws-cdk-lib version (and a feature flag):
    // src/iac/tool-versions.ts resolves them from the installed version.
    if (d.runtime && 'unresolved' in d.runtime && /(?:^|\.)Runtime\.NODEJS_LATEST$/.test(d.runtime.text)) {
      d.runtimeDefault = { kind: 'cdk-latest', at: d.runtime.at };
    } else if (kind === 'nodejs' && d.runtime === undefined && !props.unknown) {
      d.runtimeDefault = { kind: 'cdk-nodejs-function', at: d.at };
    }

    if (kind === 'nodejs' && !code) {
      // NodejsFunction bundles `entry`; the handler is the export name (default `handler`).
      const handler = kit.field(props, 'handler', p('handler'), (v) => this.scope.string(v));
      d.handler = handler ?? { value: 'handler', at: kit.loc(node, p('handler')) };
      const entry = props.entries.get('entry');
      if (entry && !entry.shadowedBy) {
        const location = this.path(entry.value);
        if (location !== null) d.codeLocation = { value: location, at: kit.loc(entry.value, p('entry')) };
      } else if (!entry && !props.unknown && /^[\w.-]+$/.test(name)) {
        // The default entry: `<defining-file>.<id>.ts` (or .js), next to the defining file.
        const ext = /\.[cm]?tsx?$/.test(this.file) ? '.ts' : '.js';
        const base = this.file.replace(/\.[^./]+$/, '');
        d.codeLocation = { value: `${base}.${name}${ext}`, at: kit.loc(node, p('entry')) };
      }
    } else if (d.packageType === 'image') {
      if (codeInfo?.cmd) d.handler = codeInfo.cmd;
      else if (!codeInfo && props.unknown) d.handler = kit.unresolved(props.unknown, p('handler'));
    } else {
      d.handler = kit.field(props, 'handler', p('handler'), (v) => this.scope.string(v));
    }
    if (codeInfo?.location) d.codeLocation = codeInfo.location;

    d.timeout = kit.field(props, 'timeout', p('timeout'), (v) => this.duration(v));
    d.memory = kit.field(props, 'memorySize', p('memorySize'), (v) => this.scope.number(v));
    d.reservedConcurrency = kit.field(props, 'reservedConcurrentExecutions', p('reservedConcurrentExecutions'), (v) => this.scope.number(v));

    const env = props.entries.get('environment');
    if (env) kit.environment(d, env.value, p('environment'));

    const layers = props.entries.get('layers');
    if (layers) for (const el of this.scope.arrayElements(layers.value) ?? []) kit.addLayer(d, el, p('layers'));

    // An architecture that cannot be read (a variable, a spread) is kept as written: missing means x86_64.
    const archs = props.entries.get('architectures');
    const arch = props.entries.has('architecture') || !archs ? kit.field(props, 'architecture', p('architecture'), (v) => this.architecture(v)) : undefined;
    if (arch) d.architectures = { value: ['unresolved' in arch ? arch.text : arch.value], at: arch.at };
    else if (archs) {
      const list = this.scope.stringArray(archs.value, (n) => this.architecture(n));
      d.architectures = { value: list ?? [kit.text(archs.value)], at: kit.loc(archs.value, p('architectures')) };
    }

    const vpc = props.entries.get('vpc');
    if (vpc) d.vpc = kit.loc(vpc.value, p('vpc'));
    return d;
  }

  /** `Code.fromAsset(dir)`, `Code.fromAssetImage(dir)`, `DockerImageCode.fromImageAsset(dir, { cmd })`... */
  private code(node: Node, logicalPath: string): { location?: Located<string>; image?: boolean; cmd?: Field<string> } | null {
    const n = this.scope.resolve(node);
    if (!n || (n.type !== 'CallExpression' && n.type !== 'NewExpression')) return null;
    const t = this.scope.tail(n.callee, 2);
    if (!t) return null;
    const [owner, factory] = t;
    const out: { location?: Located<string>; image?: boolean; cmd?: Field<string> } = {};
    const dirArg = n.arguments[0];
    const setLocation = () => {
      const location = dirArg ? this.path(dirArg) : null;
      if (location !== null) out.location = { value: location, at: this.kit.loc(dirArg, logicalPath) };
    };
    if (owner === 'Code' && (factory === 'fromAsset' || factory === 'fromDockerBuild')) setLocation();
    else if (n.type === 'NewExpression' && factory === 'AssetCode') setLocation();
    else if ((owner === 'Code' && factory === 'fromAssetImage') || (owner === 'DockerImageCode' && factory === 'fromImageAsset')) {
      out.image = true;
      setLocation();
      const opts = this.scope.props(n.arguments[1]);
      const cmd = opts.entries.get('cmd');
      if (cmd) {
        const list = this.scope.stringArray(cmd.value);
        out.cmd = list ? { value: list.join(' '), at: this.kit.loc(cmd.value, `${logicalPath}.cmd`) } : this.kit.unresolved(cmd.value, `${logicalPath}.cmd`);
      }
    } else if ((owner === 'DockerImageCode' && factory === 'fromEcr') || (owner === 'Code' && factory === 'fromEcrImage')) out.image = true;
    else if (owner !== 'Code') return null;
    return out;
  }

  /** A path expression -> a path relative to the scan root; null when not static. */
  private path(node: Node): string | null {
    const found = this.pathParts(node);
    if (!found) return null;
    const baseDir = found.base === 'file' ? path.posix.dirname(this.file) : this.appRoot;
    const joined = path.posix.normalize(path.posix.join(baseDir, ...found.parts)).replace(/\/+$/, '');
    return joined === '' ? '.' : joined;
  }

  private pathParts(node: Node): { base: 'file' | 'app'; parts: string[] } | null {
    const n = this.scope.resolve(node);
    if (!n) return null;
    const isDirname = (x: Node | undefined) => {
      const u = unwrap(x);
      if (!u) return false;
      if (u.type === 'Identifier' && u.name === '__dirname') return true;
      return u.type === 'MemberExpression' && unwrap(u.object)?.type === 'MetaProperty' && propertyName(u) === 'dirname';
    };
    const s = this.scope.string(n);
    if (s !== null) return s.startsWith('/') ? null : { base: 'app', parts: [s] };
    if (n.type === 'CallExpression') {
      const last = this.scope.tail(n.callee, 1)?.[0];
      if (last === 'join' || last === 'resolve') {
        const [first, ...rest] = n.arguments as Node[];
        if (!first) return null;
        const parts = rest.map((a) => this.scope.string(a));
        if (parts.some((x) => x === null || x.startsWith('/'))) return null;
        if (isDirname(first)) return { base: 'file', parts: parts as string[] };
        const head = this.pathParts(first);
        return head ? { base: head.base, parts: [...head.parts, ...(parts as string[])] } : null;
      }
      if (last === 'fileURLToPath' && n.arguments[0]) return this.urlPath(n.arguments[0]);
      return null;
    }
    if (n.type === 'MemberExpression' && propertyName(n) === 'pathname') return this.urlPath(n.object);
    if (n.type === 'TemplateLiteral' && n.expressions.length > 0 && n.quasis[0].value.cooked === '' && isDirname(n.expressions[0])) {
      let rest = '';
      for (let i = 1; i < n.quasis.length; i++) {
        rest += n.quasis[i].value.cooked ?? '';
        if (i < n.expressions.length) {
          const part = this.scope.string(n.expressions[i]);
          if (part === null) return null;
          rest += part;
        }
      }
      return { base: 'file', parts: [rest.replace(/^\/+/, '') || '.'] };
    }
    return null;
  }

  /** `new URL('../x', import.meta.url)` -> relative to the file. */
  private urlPath(node: Node): { base: 'file'; parts: string[] } | null {
    const n = this.scope.resolve(node);
    if (n?.type !== 'NewExpression' || this.scope.tail(n.callee, 1)?.[0] !== 'URL') return null;
    const rel = this.scope.string(n.arguments[0]);
    const base = unwrap(n.arguments[1]);
    if (rel === null || rel.startsWith('/') || base?.type !== 'MemberExpression' || unwrap(base.object)?.type !== 'MetaProperty') return null;
    return { base: 'file', parts: [rel] };
  }

  private runtime(node: Node): string | null {
    const n = this.scope.resolve(node);
    if (!n) return null;
    if (n.type === 'NewExpression' && this.scope.tail(n.callee, 1)?.[0] === 'Runtime') return this.scope.string(n.arguments[0]);
    const t = this.scope.tail(n, 2);
    if (t && t[0] === 'Runtime') return runtimeName(t[1]);
    return this.scope.string(n);
  }

  private duration(node: Node): number | null {
    const n = this.scope.resolve(node);
    if (n?.type !== 'CallExpression') return null;
    const t = this.scope.tail(n.callee, 2);
    if (!t || t[0] !== 'Duration' || !(t[1] in DURATION_SECONDS)) return null;
    const amount = this.scope.number(n.arguments[0]);
    if (amount === null) return null;
    return Math.round(amount * DURATION_SECONDS[t[1]] * 1000) / 1000;
  }

  private architecture(node: Node): string | null {
    const member = this.scope.enumMember(node, 'Architecture');
    if (member === 'ARM_64' || member === 'arm64') return 'arm64';
    if (member === 'X86_64' || member === 'x86_64') return 'x86_64';
    return null;
  }

  // -- references to functions ---------------------------------------------------------------------

  private fnRef(expr: Node | null | undefined, depth = 0): FunctionRef | null {
    const n = this.scope.resolve(expr);
    if (!n || depth > 6) return null;
    const rec = this.records.get(n);
    if (rec) return { rec };
    if (n.type === 'CallExpression' && this.method(n) === 'addAlias') {
      const base = this.fnRef(n.callee.object, depth + 1);
      const alias = this.scope.string(n.arguments[0]);
      return base ? { rec: base.rec, ...(alias !== null ? { qualifier: alias } : {}) } : null;
    }
    if (n.type === 'NewExpression' && this.scope.tail(n.callee, 1)?.[0] === 'Alias' && this.qualified(n.callee)?.startsWith('aws-lambda.') !== false) {
      const props = this.scope.props(n.arguments[2]);
      const version = props.entries.get('version');
      const aliasName = props.entries.get('aliasName');
      const versionNode = version ? this.scope.resolve(version.value) : null;
      const target = versionNode?.type === 'MemberExpression' ? versionNode.object : null;
      const base = target ? this.fnRef(target, depth + 1) : null;
      const alias = aliasName ? this.scope.string(aliasName.value) : null;
      return base ? { rec: base.rec, ...(alias !== null ? { qualifier: alias } : {}) } : null;
    }
    return null;
  }

  // -- Function URLs -------------------------------------------------------------------------------

  private addFunctionUrl(call: Node): void {
    const receiver = unwrap(call.callee)!.object as Node;
    const ref = this.fnRef(receiver);
    if (!ref) {
      this.notes.push({ file: this.file, reason: `line ${this.kit.loc(call).line}: \`${this.kit.text(receiver)}.addFunctionUrl\`: the function is not defined in this file or cannot be resolved statically; its URL is not checked` });
      return;
    }
    const property = unwrap(call.callee)!.property as Node;
    this.attachUrl(ref, call, this.kit.loc(property, `${ref.rec.d.name}.url`), call.arguments[0]);
  }

  private functionUrlConstruct(node: Node): void {
    const props = this.scope.props(node.arguments[2]);
    const target = props.entries.get('function');
    const ref = target ? this.fnRef(target.value) : null;
    if (!ref) {
      const what = target ? `\`${this.kit.text(target.value)}\`` : 'its function';
      this.notes.push({ file: this.file, reason: `line ${this.kit.loc(node).line}: FunctionUrl: ${what} is not defined in this file or cannot be resolved statically; the URL is not checked` });
      return;
    }
    this.attachUrl(ref, node, this.kit.loc(node, `${ref.rec.d.name}.url`), node.arguments[2]);
  }

  private attachUrl(ref: FunctionRef, owner: Node, at: SourceLocation, options: Node | undefined): void {
    const d = ref.rec.d;
    this.urlOwners.set(owner, ref.rec);
    if (d.url) {
      this.notes.push({ file: this.file, reason: `line ${at.line}: a second Function URL for \`${d.name}\`; only the first (line ${d.url.at.line}) is checked` });
      return;
    }
    d.url = this.urlOptions(options, at, d.name, ref.qualifier);
    this.urls.set(owner, { rec: ref.rec, url: d.url });
  }

  private urlOptions(options: Node | undefined, at: SourceLocation, name: string, qualifier?: string): FunctionUrl {
    const props = this.scope.props(options);
    const p = (key: string) => `${name}.url.${key}`;
    const url: FunctionUrl = {
      at,
      // As written (`InvokeMode.RESPONSE_STREAM` -> RESPONSE_STREAM, a cast string literal as is): only the exact enum value streams.
      invokeMode: this.kit.field<InvokeMode | string>(props, 'invokeMode', p('invokeMode'), (v) => this.scope.enumMember(v, 'InvokeMode')),
      authType: this.kit.field<AuthType>(props, 'authType', p('authType'), (v) => {
        const m = this.scope.enumMember(v, 'FunctionUrlAuthType');
        return m === 'NONE' || m === 'AWS_IAM' ? m : null;
      }),
      cors: undefined,
      // CDK grants the URL's public invoke permissions itself (FunctionUrl: fn.addPermission for AuthType NONE).
      ownPermissions: true,
    };
    const cors = props.entries.get('cors');
    if (cors) url.cors = cors.shadowedBy ? this.kit.unresolved(cors.value, p('cors')) : this.cors(cors.value, p('cors'));
    else if (props.unknown) url.cors = this.kit.unresolved(props.unknown, p('cors'));
    if (qualifier !== undefined) url.qualifier = qualifier;
    return url;
  }

  /** CDK `FunctionUrlCorsOptions`; any part not static makes the whole CORS value Unresolved. */
  private cors(node: Node, logicalPath: string): Field<UrlCors> {
    const props = this.scope.props(node);
    if (props.unknown || !props.object) return this.kit.unresolved(node, logicalPath);
    const cors: UrlCors = { enabled: true };
    const method = (n: Node) => {
      const m = this.scope.enumMember(n, 'HttpMethod');
      return m === 'ALL' ? '*' : m;
    };
    for (const [key, entry] of props.entries) {
      let ok = true;
      if (key === 'allowedOrigins') ok = !!(cors.allowOrigins = this.scope.stringArray(entry.value) ?? undefined);
      else if (key === 'allowedMethods') ok = !!(cors.allowMethods = this.scope.stringArray(entry.value, method) ?? undefined);
      else if (key === 'allowedHeaders') ok = !!(cors.allowHeaders = this.scope.stringArray(entry.value) ?? undefined);
      else if (key === 'allowCredentials') {
        const b = this.scope.boolean(entry.value);
        ok = b !== null;
        if (ok) cors.allowCredentials = b!;
      }
      if (!ok) return this.kit.unresolved(node, logicalPath);
    }
    cors.allowMethods ??= ['*']; // renderCors: `cors.allowedMethods ?? [HttpMethod.ALL]`
    return { value: cors, at: this.kit.loc(node, logicalPath) };
  }

  // -- environment and layers added later -----------------------------------------------------------

  private addEnvironment(call: Node): void {
    const ref = this.fnRef(unwrap(call.callee)!.object);
    const [keyNode, value] = call.arguments as Node[];
    const key = keyNode ? this.scope.string(keyNode) : null;
    if (!ref || key === null || !value) return;
    this.kit.environmentEntry(ref.rec.d, key, keyNode, value, `${ref.rec.d.name}.environment`);
  }

  private addLayers(call: Node): void {
    const ref = this.fnRef(unwrap(call.callee)!.object);
    if (!ref) return;
    for (const arg of call.arguments as Node[]) {
      if (arg.type === 'SpreadElement') for (const el of this.scope.arrayElements(arg.argument) ?? []) this.kit.addLayer(ref.rec.d, el, `${ref.rec.d.name}.layers`);
      else this.kit.addLayer(ref.rec.d, arg, `${ref.rec.d.name}.layers`);
    }
  }

  // -- front doors ---------------------------------------------------------------------------------

  private frontDoor(node: Node): void {
    switch (this.nameOf(node.callee)) {
      case 'HttpLambdaIntegration':
        this.door(node.arguments[1], { kind: 'http-api', at: this.kit.loc(node) });
        break;
      case 'LambdaIntegration':
        this.restDoor(node, node.arguments[0], node.arguments[1]);
        break;
      case 'LambdaRestApi': {
        const props = this.scope.props(node.arguments[2]);
        const handler = props.entries.get('handler');
        const options = props.entries.get('integrationOptions');
        if (handler) this.restDoor(node, handler.value, options?.value, props.unknown && !options ? props.unknown : null);
        break;
      }
      case 'LambdaTarget':
        this.door(node.arguments[0], { kind: 'alb', at: this.kit.loc(node) });
        break;
      case 'FunctionUrlOrigin':
        this.cloudFront(node, node.arguments[0]);
        break;
      case 'HttpOrigin':
        // The older spelling: new HttpOrigin(Fn.select(2, Fn.split('/', fnUrl.url)))
        for (const arg of node.arguments as Node[]) {
          walk(arg, (inner) => {
            if (inner.type === 'MemberExpression' && propertyName(inner) === 'url') this.cloudFront(node, inner.object);
            return true;
          });
        }
        break;
      default:
        break;
    }
  }

  private restDoor(node: Node, fn: Node | undefined, options: Node | undefined, unknown: Node | null = null): void {
    const ref = this.fnRef(fn);
    if (!ref) return;
    const name = ref.rec.d.name;
    const at = this.kit.loc(node, `${name}.frontDoors.rest-api`);
    const props = unknown ? { entries: new Map(), unknown, object: null } : this.scope.props(options);
    const transferMode = this.kit.field<string>(props, 'responseTransferMode', `${name}.frontDoors.rest-api.responseTransferMode`, (v) =>
      this.scope.enumMember(v, 'ResponseTransferMode'),
    );
    const door: FrontDoor = { kind: 'rest-api', at, ...(transferMode !== undefined ? { transferMode } : {}) };
    ref.rec.d.frontDoors.push(door);
    this.integrationDoors.set(node, { rec: ref.rec, door });
  }

  private door(fn: Node | undefined, door: FrontDoor): void {
    const ref = this.fnRef(fn);
    if (!ref) return;
    door.at = { ...door.at, path: `${ref.rec.d.name}.frontDoors.${door.kind}` };
    ref.rec.d.frontDoors.push(door);
  }

  /**
   * A CloudFront origin of a function's URL. `FunctionUrlOrigin.withOriginAccessControl(url)` creates an origin
   * access control of origin type lambda (signing always, unless an `originAccessControl` of the caller's says
   * otherwise: then the signing is not known).
   */
  private cloudFront(node: Node, urlExpr: Node | undefined, oac = false): void {
    const target = this.scope.resolve(urlExpr);
    const rec = target ? this.urlOwners.get(target) : undefined;
    if (!rec) return;
    const door: FrontDoor = { kind: 'cloudfront', at: this.kit.loc(node, `${rec.d.name}.frontDoors.cloudfront`) };
    if (oac) {
      const custom = this.scope.props(node.arguments[1]).entries.has('originAccessControl');
      door.originAccessControl = { at: door.at, ...(custom ? {} : { signing: 'always' }) };
    }
    rec.d.frontDoors.push(door);
    this.origins.set(node, door);
  }

  /** `{ origin, allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL }` (a behaviour) for an origin of a function's URL. */
  private behavior(originExpr: Node | undefined, methodsExpr: Node | undefined): void {
    const origin = this.scope.resolve(originExpr);
    const door = origin ? this.origins.get(origin) : undefined;
    if (!door || door.bodyMethods || !methodsExpr) return;
    // AllowedMethods.ALLOW_ALL is GET, HEAD, OPTIONS, PUT, PATCH, POST, DELETE; the other two constants have no body.
    if (memberPath(unwrap(methodsExpr))?.at(-1) === 'ALLOW_ALL') door.bodyMethods = { methods: ['PUT', 'POST'], at: this.kit.loc(methodsExpr) };
  }

  // -- L1 resources and escape hatches ---------------------------------------------------------------

  /**
   * `new lambda.CfnUrl(scope, id, { targetFunctionArn: fn.functionArn, authType, invokeMode, cors, qualifier })`:
   * the CloudFormation resource itself, with CloudFormation's values (strings) and no permission of its own.
   */
  private cfnUrl(node: Node): void {
    const props = this.scope.props(node.arguments[2]);
    const target = props.entries.get('targetFunctionArn');
    const owner = target ? this.scope.resolve(target.value) : null;
    const ref = owner?.type === 'MemberExpression' && /^function(Arn|Name)$/.test(propertyName(owner) ?? '') ? this.fnRef(owner.object) : null;
    if (!ref) {
      const what = target ? `\`${this.kit.text(target.value)}\`` : 'its function';
      this.notes.push({ file: this.file, reason: `line ${this.kit.loc(node).line}: CfnUrl: ${what} is not defined in this file or cannot be resolved statically; the URL is not checked` });
      return;
    }
    const d = ref.rec.d;
    const at = this.kit.loc(node, `${d.name}.url`);
    this.urlOwners.set(node, ref.rec);
    if (d.url) {
      this.notes.push({ file: this.file, reason: `line ${at.line}: a second Function URL for \`${d.name}\`; only the first (line ${d.url.at.line}) is checked` });
      return;
    }
    const p = (key: string) => `${d.name}.url.${key}`;
    const qualifier = props.entries.get('qualifier');
    const qualifierText = qualifier ? this.scope.string(qualifier.value) : null;
    d.url = {
      at,
      invokeMode: this.kit.field<string>(props, 'invokeMode', p('invokeMode'), (v) => this.scope.string(v)),
      authType: this.kit.field<AuthType>(props, 'authType', p('authType'), (v) => {
        const m = this.scope.string(v);
        return m === 'NONE' || m === 'AWS_IAM' ? m : null;
      }),
      cors: undefined,
      // An L1 URL is created alone: CloudFormation adds no permission for it (unlike addFunctionUrl / FunctionUrl).
      ownPermissions: false,
      ...(qualifierText !== null ? { qualifier: qualifierText } : ref.qualifier !== undefined ? { qualifier: ref.qualifier } : {}),
    };
    const cors = props.entries.get('cors');
    if (cors) d.url.cors = cors.shadowedBy ? this.kit.unresolved(cors.value, p('cors')) : this.cfnCors(cors.value, p('cors'));
    else if (props.unknown) d.url.cors = this.kit.unresolved(props.unknown, p('cors'));
    this.urls.set(node, { rec: ref.rec, url: d.url });
  }

  /** `CfnUrl.CorsProperty` (`allowOrigins`, `allowMethods`...): any part not static makes the whole value Unresolved. */
  private cfnCors(node: Node, logicalPath: string): Field<UrlCors> {
    const props = this.scope.props(node);
    if (props.unknown || !props.object) return this.kit.unresolved(node, logicalPath);
    const cors: UrlCors = { enabled: true };
    for (const [key, entry] of props.entries) {
      let ok = true;
      if (key === 'allowOrigins') ok = !!(cors.allowOrigins = this.scope.stringArray(entry.value) ?? undefined);
      else if (key === 'allowMethods') ok = !!(cors.allowMethods = this.scope.stringArray(entry.value) ?? undefined);
      else if (key === 'allowHeaders') ok = !!(cors.allowHeaders = this.scope.stringArray(entry.value) ?? undefined);
      else if (key === 'allowCredentials') {
        const b = this.scope.boolean(entry.value);
        ok = b !== null;
        if (ok) cors.allowCredentials = b!;
      }
      if (!ok) return this.kit.unresolved(node, logicalPath);
    }
    return { value: cors, at: this.kit.loc(node, logicalPath) };
  }

  /** A REST API method and the Lambda integration it uses (when that integration was read above). */
  private restMethod(method: Node, integration: Node | undefined): void {
    const target = this.scope.resolve(integration);
    if (target && this.integrationDoors.has(target)) this.methodIntegrations.set(method, target);
  }

  /**
   * `cfn.addOverride('Properties.X', v)`, `cfn.addPropertyOverride('X', v)` and their deletion forms on the
   * L1 resource of a construct (`construct.node.defaultChild as CfnY`): the synthesized template has the
   * overridden value, so the Deployment gets it too. Read for Function URLs (InvokeMode, AuthType),
   * functions (Timeout, MemorySize, ReservedConcurrentExecutions, the streaming environment variables) and
   * REST API methods (Integration.ResponseTransferMode, Integration.Uri).
   */
  private override(call: Node, method: string): void {
    const [pathArg, valueArg] = call.arguments as Node[];
    let property = pathArg ? this.scope.string(pathArg) : null;
    if (property === null) return;
    if (method === 'addOverride' || method === 'addDeletionOverride') {
      if (!property.startsWith('Properties.')) return;
      property = property.slice('Properties.'.length);
    }
    const value = method.includes('Deletion') ? null : (valueArg ?? null);
    if (value?.type === 'SpreadElement') return;
    for (const target of this.cfnTargets(unwrap(call.callee)!.object as Node)) this.applyOverride(target, property, value, pathArg!);
  }

  private applyOverride(target: CfnTarget, property: string, value: Node | null, pathArg: Node): void {
    const d = target.rec.d;
    const field = <T>(logicalPath: string, evaluate: (v: Node) => T | null): Field<T> => {
      if (value === null) return undefined;
      const v = evaluate(value);
      return v === null ? this.kit.unresolved(value, logicalPath) : { value: v, at: this.kit.loc(value, logicalPath) };
    };
    if (target.kind === 'url') {
      if (property === 'InvokeMode') target.url.invokeMode = field(`${d.name}.url.invokeMode`, (v) => this.scope.string(v));
      else if (property === 'AuthType') {
        target.url.authType = field<AuthType>(`${d.name}.url.authType`, (v) => {
          const m = this.scope.string(v);
          return m === 'NONE' || m === 'AWS_IAM' ? m : null;
        });
      }
      return;
    }
    if (target.kind === 'function') {
      if (property === 'Timeout') d.timeout = field(`${d.name}.timeout`, (v) => this.scope.number(v));
      else if (property === 'MemorySize') d.memory = field(`${d.name}.memorySize`, (v) => this.scope.number(v));
      else if (property === 'ReservedConcurrentExecutions') d.reservedConcurrency = field(`${d.name}.reservedConcurrentExecutions`, (v) => this.scope.number(v));
      else if (property.startsWith('Environment.Variables.')) {
        const key = property.slice('Environment.Variables.'.length);
        if (value === null) {
          d.environmentKeys = d.environmentKeys.filter((k) => k.value !== key);
          delete d.streamingEnvironment[key];
        } else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) this.kit.environmentEntry(d, key, pathArg, value, `${d.name}.environment`);
      }
      return;
    }
    const overrides = this.methodOverrides.get(target.method) ?? {};
    if (property === 'Integration.ResponseTransferMode') {
      overrides.transferMode = field(`${d.name}.frontDoors.rest-api.responseTransferMode`, (v) => this.scope.string(v));
      overrides.transferModeSet = true;
    } else if (property === 'Integration.Uri') {
      overrides.streamingUri = value === null ? undefined : /\/response-streaming-invocations\b/.test(this.kit.arnText(value).text);
    }
    this.methodOverrides.set(target.method, overrides);
  }

  /**
   * An integration's front door takes its methods' overrides when every method that uses it has the same
   * transfer mode written; otherwise each method becomes a door of its own (located at the method).
   */
  private applyMethodOverrides(): void {
    for (const [integration, { rec, door }] of this.integrationDoors) {
      const methods = [...this.methodIntegrations].filter(([, i]) => i === integration).map(([m]) => m);
      const overridden = methods.map((m) => this.methodOverrides.get(m));
      if (methods.length === 0 || overridden.every((o) => !o)) continue;
      const modes = overridden.map((o) => (o?.transferModeSet ? o.transferMode : door.transferMode));
      const same = modes.every((m) => sameTransferMode(m, modes[0]));
      const uris = overridden.map((o) => o?.streamingUri ?? door.streamingInvocationUri);
      if (same) {
        if (modes[0] === undefined) delete door.transferMode;
        else door.transferMode = modes[0];
        if (uris.every((u) => u === uris[0]) && uris[0] !== undefined) door.streamingInvocationUri = uris[0];
        continue;
      }
      rec.d.frontDoors = rec.d.frontDoors.filter((other) => other !== door);
      methods.forEach((method, i) => {
        const at = this.kit.loc(method, `${rec.d.name}.frontDoors.rest-api`);
        rec.d.frontDoors.push({
          kind: 'rest-api',
          at,
          ...(modes[i] !== undefined ? { transferMode: modes[i] } : {}),
          ...(uris[i] !== undefined ? { streamingInvocationUri: uris[i] } : {}),
        });
      });
    }
  }

  /** What an escape hatch's receiver is the L1 resource of: `x.node.defaultChild` (x possibly a loop variable), or a CfnUrl. */
  private cfnTargets(receiver: Node): CfnTarget[] {
    const n = this.scope.resolve(receiver);
    if (!n) return [];
    if (n.type === 'MemberExpression' && propertyName(n) === 'defaultChild') {
      const nodeProp = unwrap(n.object);
      if (nodeProp?.type === 'MemberExpression' && propertyName(nodeProp) === 'node') {
        return this.possibleValues(nodeProp.object).flatMap((value) => this.constructTarget(value));
      }
      return [];
    }
    return this.constructTarget(n);
  }

  private constructTarget(n: Node): CfnTarget[] {
    const url = this.urls.get(n);
    if (url) return [{ kind: 'url', ...url }];
    const rec = this.records.get(n);
    if (rec) return [{ kind: 'function', rec }];
    const integration = this.methodIntegrations.get(n);
    if (integration) return [{ kind: 'method', method: n, rec: this.integrationDoors.get(integration)!.rec }];
    return [];
  }

  /** The value of an expression, or each element a loop variable takes (`[a, b].forEach((m) => …)`, `for (const m of [a, b])`). */
  private possibleValues(expr: Node): Node[] {
    const n = this.scope.resolve(expr);
    if (!n) return [];
    if (n.type === 'Identifier') {
      const elements = this.iteratedElements(n);
      if (elements) return elements.map((e) => this.scope.resolve(e) ?? e);
    }
    return [n];
  }

  private iteratedElements(id: Node): Node[] | null {
    for (let current = this.scope.parentOf(id); current; current = this.scope.parentOf(current)) {
      if (isFunction(current)) {
        const names = current.params.flatMap((param: Node) => patternNames(param));
        if (!names.includes(id.name)) continue;
        const first = current.params[0];
        const call = this.scope.parentOf(current);
        if (first?.type !== 'Identifier' || first.name !== id.name || call?.type !== 'CallExpression' || unwrap(call.arguments[0]) !== current) return null;
        if (!['forEach', 'map'].includes(this.method(call) ?? '')) return null;
        return this.scope.arrayElements(unwrap(call.callee)!.object);
      }
      if (current.type === 'ForOfStatement' && current.left?.type === 'VariableDeclaration') {
        const declared = current.left.declarations[0]?.id;
        if (declared?.type === 'Identifier' && declared.name === id.name) return this.scope.arrayElements(current.right);
      }
    }
    return null;
  }
}

const OVERRIDE_METHODS = new Set(['addOverride', 'addPropertyOverride', 'addDeletionOverride', 'addPropertyDeletionOverride']);

/** What an L1 escape hatch can change: a Function URL, a function, or a REST API method's integration. */
type CfnTarget =
  | { kind: 'url'; rec: FunctionRecord; url: FunctionUrl }
  | { kind: 'function'; rec: FunctionRecord }
  | { kind: 'method'; rec: FunctionRecord; method: Node };

interface MethodOverride {
  /** Set by `Integration.ResponseTransferMode` (undefined after a deletion override). */
  transferMode?: Field<string>;
  transferModeSet?: boolean;
  /** `Integration.Uri` ends in /response-streaming-invocations. */
  streamingUri?: boolean;
}

function sameTransferMode(a: Field<string>, b: Field<string>): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (!isResolved(a) || !isResolved(b)) return false;
  return a.value === b.value;
}

/** `aws-cdk-lib` -> `core`, `aws-cdk-lib/aws-lambda` -> `aws-lambda`, `@aws-cdk/aws-apigatewayv2-alpha` -> `aws-apigatewayv2`. */
function normalizeModule(source: string): string | null {
  if (source === 'aws-cdk-lib' || source === 'aws-cdk-lib/core' || source === '@aws-cdk/core') return 'core';
  const m = /^(?:aws-cdk-lib\/|@aws-cdk\/)([a-z0-9-]+?)(?:-alpha)?$/.exec(source);
  return m ? m[1] : null;
}

/** Extends a qualified name by one member; `core.aws_lambda` becomes the module `aws-lambda`. */
function qualify(base: string, member: string): string {
  if (base === 'core' && /^aws_[a-z0-9_]+$/.test(member)) return member.replace(/_/g, '-');
  return `${base}.${member}`;
}

/** `NODEJS_20_X` -> `nodejs20.x` (aws-cdk-lib `aws-lambda/lib/runtime.ts` names); null when not a fixed version. */
export function runtimeName(member: string): string | null {
  let m: RegExpExecArray | null;
  if ((m = /^NODEJS_(\d+)_X$/.exec(member))) return `nodejs${m[1]}.x`;
  if ((m = /^PYTHON_(\d+)_(\d+)$/.exec(member))) return `python${m[1]}.${m[2]}`;
  if (member === 'PROVIDED_AL2023') return 'provided.al2023';
  if (member === 'PROVIDED_AL2') return 'provided.al2';
  if (member === 'PROVIDED') return 'provided';
  if (member === 'JAVA_8_CORRETTO') return 'java8.al2';
  if ((m = /^JAVA_(\d+)$/.exec(member))) return `java${m[1]}`;
  if (member === 'DOTNET_CORE_3_1') return 'dotnetcore3.1';
  if ((m = /^DOTNET_(\d+)$/.exec(member))) return `dotnet${m[1]}`;
  if ((m = /^RUBY_(\d+)_(\d+)$/.exec(member))) return `ruby${m[1]}.${m[2]}`;
  if (member === 'GO_1_X') return 'go1.x';
  return null; // NODEJS_LATEST (depends on the CDK version), FROM_IMAGE, ...
}
