/**
 * SST v3 ("ion") apps -> Deployments, read statically from `sst.config.ts` (or any module of the app
 * that creates SST components).
 *
 * Recognised: `new sst.aws.Function(name, args)` anywhere (also inside `$config({ async run() {} })`),
 * `$transform(sst.aws.Function, (args) => { args.timeout ??= ... })` (assignments to `args.<prop>` apply
 * to the functions created after it), routes of `sst.aws.ApiGatewayV2` / `ApiGatewayV1`
 * (`api.route('GET /', handler | fn.arn)`) and `sst.aws.Router` routes to `fn.url`.
 *
 * SST's defaults are applied, because they differ from Lambda's (all from `sst/sst`
 * `platform/src/components/aws/function.ts`, snapshot 08fa0a6 of 2024-10-24):
 * - timeout `"20 seconds"` (`normalizeTimeout`: `timeout ?? "20 seconds"`) -> defaultTimeoutSeconds 20;
 * - `url: true` -> `{}`; `authorization` default `"none"`, and anything but `"iam"` deploys `NONE`
 *   (`normalizeUrl`, `createUrl`: `url.authorization === "iam" ? "AWS_IAM" : "NONE"`);
 * - url `cors` default `true` = `{ allowHeaders: ["*"], allowMethods: ["*"], allowOrigins: ["*"] }`;
 *   `cors: false` = none; an object is merged over those defaults (`{ ...defaultCors, ...url.cors }`);
 * - invoke mode `streaming ? "RESPONSE_STREAM" : "BUFFERED"` on the URL (`createUrl`); `streaming`
 *   defaults to false and only matters with a `url`. A URL without `streaming` is left `undefined`
 *   (the model's "missing means BUFFERED"), `streaming: false` is a located BUFFERED.
 * - durations: `toSeconds` in `platform/src/components/duration.ts` (`"<n> second(s)|minute(s)|hour(s)|day(s)"`,
 *   integer part); sizes: `toMBs` in `size.ts` (`"<n> MB|GB"`).
 * The default runtime is not applied here: it changed between SST releases (`nodejs20.x` up to 4.0.3, `nodejs24.x`
 * since 4.0.4), so a function without `runtime` gets `runtimeDefault` and src/iac/tool-versions.ts resolves it
 * from the installed sst version.
 *
 * Not modelled: the SSR site components (`sst.aws.Nextjs`, `Nuxt`, `TanStackStart`, `Astro`, `Remix`,
 * `SolidStart`, `SvelteKit`, `Analog`, `React`). Their server function is created inside the component
 * (`ssr-site.ts` `buildServerOrigin`: `url: true`, `timeout: "20 seconds"`, behind CloudFront), and
 * whether it streams comes from the framework build, not from the config (`astro.ts`:
 * `streaming: buildMeta.responseMode === "stream"`, `tanstack-start.ts`: the Nitro preset, `remix.ts`:
 * `streaming: !isEdge`, `nextjs.ts`: the OpenNext output). They get a note instead.
 */
import path from 'node:path';
import type { AuthType, Deployment, Field, FunctionUrl, InvokeMode, ReaderResult, UrlCors } from '../model/deployment.js';
import { type Node, isFunction, memberPath, propertyName, unwrap, walk } from '../code/ast.js';
import { parseModule } from '../code/facts.js';
import { type PropEntry, type Props, ReaderKit, StaticScope } from './cdk.js';
import { newDeployment } from './locate.js';

/** `platform/src/components/aws/function.ts`: `timeout ?? "20 seconds"`. */
export const SST_DEFAULT_TIMEOUT_SECONDS = 20;

const SSR_COMPONENTS = new Set(['Nextjs', 'Nuxt', 'TanStackStart', 'Astro', 'Remix', 'SolidStart', 'SvelteKit', 'Analog', 'React']);

export function readSst(file: string, text: string): ReaderResult {
  if (!/\bsst\s*\.\s*aws\s*\./.test(text)) return { deployments: [], notes: [] };
  let program: Node;
  try {
    program = parseModule(file, text);
  } catch (error) {
    return { deployments: [], notes: [{ file, reason: `cannot parse SST config: ${firstLine(error)}` }] };
  }
  try {
    return new SstReader(file, text, program).read();
  } catch (error) {
    return { deployments: [], notes: [{ file, reason: `cannot read SST config: ${firstLine(error)}` }] };
  }
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0];
}

/** SST `toSeconds`: `"<count> <unit>"`, integer count, units second/minute/hour/day (singular or plural). */
export function sstSeconds(duration: string): number | null {
  const [count, unit] = duration.split(' ');
  const n = parseInt(count, 10);
  if (!unit || Number.isNaN(n)) return null;
  const u = unit.toLowerCase();
  if (u.startsWith('second')) return n;
  if (u.startsWith('minute')) return n * 60;
  if (u.startsWith('hour')) return n * 3600;
  if (u.startsWith('day')) return n * 86400;
  return null;
}

/** SST `toMBs`: `"<count> MB|GB"`. */
export function sstMegabytes(size: string): number | null {
  const [count, unit] = size.split(' ');
  const n = parseFloat(count);
  if (Number.isNaN(n)) return null;
  if (unit === 'MB') return n;
  if (unit === 'GB') return n * 1024;
  return null;
}

interface TransformEntry extends PropEntry {
  mode: 'set' | 'default';
}

/** `createUrl`'s CORS when `cors` is true or missing. */
function defaultCors(): UrlCors {
  return { enabled: true, allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] };
}

class SstReader {
  private readonly scope: StaticScope;
  private readonly kit: ReaderKit;
  private readonly configDir: string;
  private readonly functions = new Map<Node, Deployment>();
  private readonly extra: Deployment[] = [];
  private readonly transforms: Array<{ start: number; entries: Map<string, TransformEntry> }> = [];
  private readonly notes: ReaderResult['notes'] = [];

  constructor(
    private readonly file: string,
    text: string,
    private readonly program: Node,
  ) {
    this.scope = new StaticScope(program, text);
    this.kit = new ReaderKit(file, this.scope);
    const dir = path.posix.dirname(file);
    this.configDir = dir === '' ? '.' : dir;
  }

  read(): ReaderResult {
    const nodes: Node[] = [];
    walk(this.program, (node) => {
      if (node.type === 'NewExpression' || node.type === 'CallExpression') nodes.push(node);
      return true;
    });
    nodes.sort((a, b) => a.start - b.start);

    for (const node of nodes) if (node.type === 'CallExpression' && unwrap(node.callee)?.type === 'Identifier' && node.callee.name === '$transform') this.transform(node);

    for (const node of nodes) {
      if (node.type !== 'NewExpression') continue;
      const component = this.component(node);
      if (component === 'Function') {
        const name = this.nameOf(node.arguments[0]);
        this.functions.set(node, this.readFunction(node, name, this.scope.props(node.arguments[1])));
      } else if (component && SSR_COMPONENTS.has(component)) {
        this.notes.push({
          file: this.file,
          reason: `line ${this.kit.loc(node).line}: sst.aws.${component} "${this.nameOf(node.arguments[0])}" is not checked: SST creates its server function inside the component, and whether it streams comes from the framework build, not from the config`,
        });
      }
    }

    for (const node of nodes) {
      if (node.type === 'NewExpression' && this.component(node) === 'Router') this.routerRoutes(node);
      else if (node.type === 'CallExpression' && this.method(node) === 'route') this.route(node);
    }
    return { deployments: [...this.functions.values(), ...this.extra], notes: this.notes };
  }

  /** `sst.aws.Function` -> `Function`. */
  private component(node: Node): string | null {
    const p = memberPath(node.callee);
    return p && p.length === 3 && p[0] === 'sst' && p[1] === 'aws' ? p[2] : null;
  }

  private method(call: Node): string | null {
    const callee = unwrap(call.callee);
    return callee?.type === 'MemberExpression' ? propertyName(callee) : null;
  }

  private nameOf(node: Node | undefined): string {
    if (!node) return 'Function';
    return this.scope.string(node) ?? this.kit.text(node);
  }

  /** `$transform(sst.aws.Function, (args) => { args.timeout ??= "60 seconds"; })`. */
  private transform(call: Node): void {
    const [target, callback] = call.arguments as Node[];
    if (memberPath(target ?? null)?.join('.') !== 'sst.aws.Function') return;
    const fn = unwrap(callback);
    if (!isFunction(fn) || fn.params[0]?.type !== 'Identifier') return;
    const param = fn.params[0].name;
    const statements: Node[] = fn.body.type === 'BlockStatement' ? fn.body.body : [{ type: 'ExpressionStatement', expression: fn.body, start: fn.body.start, end: fn.body.end }];
    const entries = new Map<string, TransformEntry>();
    for (const statement of statements) {
      if (statement.type !== 'ExpressionStatement') continue;
      const e = unwrap(statement.expression);
      if (e?.type !== 'AssignmentExpression') continue;
      const left = unwrap(e.left);
      if (left?.type !== 'MemberExpression' || unwrap(left.object)?.type !== 'Identifier' || unwrap(left.object)!.name !== param) continue;
      const key = propertyName(left);
      const mode = e.operator === '=' ? 'set' : e.operator === '??=' || e.operator === '||=' ? 'default' : null;
      if (key && mode) entries.set(key, { key: left.property, value: e.right, mode });
    }
    if (entries.size > 0) this.transforms.push({ start: call.start, entries });
  }

  /** The args after the `$transform`s registered before `at`. */
  private withTransforms(props: Props, at: number): Props {
    const entries = new Map(props.entries);
    for (const t of this.transforms) {
      if (t.start > at) continue;
      for (const [key, entry] of t.entries) {
        if (entry.mode === 'set') entries.set(key, { key: entry.key, value: entry.value });
        else if (!entries.has(key) && !props.unknown) entries.set(key, { key: entry.key, value: entry.value });
      }
    }
    return { ...props, entries };
  }

  private readFunction(node: Node, name: string, rawProps: Props): Deployment {
    const props = this.withTransforms(rawProps, node.start);
    const kit = this.kit;
    const p = (key: string) => `${name}.${key}`;
    const d = newDeployment(name, 'sst', kit.loc(node, name), SST_DEFAULT_TIMEOUT_SECONDS);

    d.runtime = kit.field(props, 'runtime', p('runtime'), (v) => this.scope.string(v));
    // SST's default runtime changed between releases: resolved from the installed sst version (tool-versions.ts).
    if (d.runtime === undefined && !props.unknown) d.runtimeDefault = { kind: 'sst', at: d.at };
    d.handler = kit.field(props, 'handler', p('handler'), (v) => this.scope.string(v));
    // The handler path is relative to the config's directory, or to `bundle` when given.
    const bundle = props.entries.get('bundle');
    const bundleDir = bundle && !bundle.shadowedBy ? this.scope.string(bundle.value) : null;
    if (bundle && bundleDir !== null && !bundleDir.startsWith('/')) {
      d.codeLocation = { value: normalize(path.posix.join(this.configDir, bundleDir)), at: kit.loc(bundle.value, p('bundle')) };
    } else if (!bundle && d.handler && 'value' in d.handler) {
      d.codeLocation = { value: this.configDir, at: d.handler.at };
    }
    d.timeout = kit.field(props, 'timeout', p('timeout'), (v) => {
      const s = this.scope.string(v);
      return s === null ? null : sstSeconds(s);
    });
    d.memory = kit.field(props, 'memory', p('memory'), (v) => {
      const s = this.scope.string(v);
      return s === null ? null : sstMegabytes(s);
    });

    const env = props.entries.get('environment');
    if (env) kit.environment(d, env.value, p('environment'));
    const layers = props.entries.get('layers');
    if (layers) for (const el of this.scope.arrayElements(layers.value) ?? []) kit.addLayer(d, el, p('layers'));

    // An architecture that cannot be read (an expression, a spread) is kept as written: missing means x86_64.
    const arch = kit.field(props, 'architecture', p('architecture'), (v) => this.scope.string(v));
    if (arch) d.architectures = { value: ['unresolved' in arch ? arch.text : arch.value], at: arch.at };

    const concurrency = props.entries.get('concurrency');
    if (concurrency) {
      const inner = this.scope.props(concurrency.value);
      d.reservedConcurrency = kit.field(inner, 'reserved', p('concurrency.reserved'), (v) => this.scope.number(v));
    } else if (props.unknown) d.reservedConcurrency = kit.unresolved(props.unknown, p('concurrency.reserved'));

    const vpc = props.entries.get('vpc');
    if (vpc) d.vpc = kit.loc(vpc.value, p('vpc'));

    const url = this.url(props, name);
    if (url) d.url = url;
    return d;
  }

  private url(props: Props, name: string): FunctionUrl | undefined {
    const entry = props.entries.get('url');
    if (!entry) return undefined;
    const kit = this.kit;
    const p = (key: string) => `${name}.url.${key}`;
    const at = kit.loc(entry.key, `${name}.url`);
    const enabled = entry.shadowedBy ? null : this.scope.boolean(entry.value);
    if (enabled === false) return undefined;
    const object = entry.shadowedBy ? null : this.scope.resolve(entry.value);
    if (enabled === null && object?.type !== 'ObjectExpression') {
      const unknown = kit.unresolved(entry.value, `${name}.url`);
      return { at, invokeMode: unknown, authType: unknown, cors: unknown };
    }
    const options = enabled === true ? { entries: new Map(), unknown: null, object: null } : this.scope.props(object);

    // Invoke mode: `streaming` on the function.
    const streaming = props.entries.get('streaming');
    let invokeMode: Field<InvokeMode>;
    if (streaming) {
      const on = streaming.shadowedBy ? null : this.scope.boolean(streaming.value);
      invokeMode = on === null ? kit.unresolved(streaming.value, p('invokeMode')) : { value: on ? 'RESPONSE_STREAM' : 'BUFFERED', at: kit.loc(streaming.value, p('invokeMode')) };
    } else if (props.unknown) invokeMode = kit.unresolved(props.unknown, p('invokeMode'));

    // Authorization: default "none"; only "iam" deploys AWS_IAM.
    const auth = options.entries.get('authorization');
    let authType: Field<AuthType>;
    if (auth) {
      const s = auth.shadowedBy ? null : this.scope.string(auth.value);
      authType = s === null ? kit.unresolved(auth.value, p('authorization')) : { value: s === 'iam' ? 'AWS_IAM' : 'NONE', at: kit.loc(auth.value, p('authorization')) };
    } else if (options.unknown) authType = kit.unresolved(options.unknown, p('authorization'));
    else authType = { value: 'NONE', at: kit.loc(entry.key, p('authorization')) };

    // CORS: default on, allow *.
    const corsEntry = options.entries.get('cors');
    let cors: Field<UrlCors>;
    if (corsEntry) cors = corsEntry.shadowedBy ? kit.unresolved(corsEntry.value, p('cors')) : this.cors(corsEntry.value, p('cors'));
    else if (options.unknown) cors = kit.unresolved(options.unknown, p('cors'));
    else cors = { value: defaultCors(), at: kit.loc(entry.key, p('cors')) };

    return { at, invokeMode, authType, cors };
  }

  private cors(node: Node, logicalPath: string): Field<UrlCors> {
    const at = this.kit.loc(node, logicalPath);
    const flag = this.scope.boolean(node);
    if (flag === false) return { value: { enabled: false }, at };
    if (flag === true) return { value: defaultCors(), at };
    const props = this.scope.props(node);
    if (!props.object || props.unknown) return this.kit.unresolved(node, logicalPath);
    const cors = defaultCors();
    for (const [key, entry] of props.entries) {
      if (key === 'allowOrigins' || key === 'allowMethods' || key === 'allowHeaders') {
        const list = this.scope.stringArray(entry.value);
        if (!list) return this.kit.unresolved(node, logicalPath);
        cors[key] = list;
      } else if (key === 'allowCredentials') {
        const b = this.scope.boolean(entry.value);
        if (b === null) return this.kit.unresolved(node, logicalPath);
        cors.allowCredentials = b;
      }
    }
    return { value: cors, at };
  }

  // -- front doors ---------------------------------------------------------------------------------

  /** The function behind `fn.arn` / `fn.url` (`member`), when `fn` is an `sst.aws.Function` of this file. */
  private functionOf(expr: Node | undefined, member: 'arn' | 'url'): Deployment | null {
    const n = this.scope.resolve(expr);
    if (n?.type !== 'MemberExpression' || propertyName(n) !== member) return null;
    const target = this.scope.resolve(n.object);
    return (target && this.functions.get(target)) ?? null;
  }

  /** `api.route("GET /", handler)` on ApiGatewayV2 (HTTP API) / ApiGatewayV1 (REST API), or `router.route(path, fn.url)`. */
  private route(call: Node): void {
    const owner = this.scope.resolve(unwrap(call.callee)!.object);
    if (owner?.type !== 'NewExpression') return;
    const component = this.component(owner);
    const [routeNode, handler] = call.arguments as Node[];
    if (component === 'Router') {
      const fn = this.functionOf(handler, 'url');
      if (fn) fn.frontDoors.push({ kind: 'cloudfront', at: this.kit.loc(call, `${fn.name}.frontDoors.cloudfront`) });
      return;
    }
    if ((component !== 'ApiGatewayV2' && component !== 'ApiGatewayV1') || !handler) return;
    const kind = component === 'ApiGatewayV2' ? 'http-api' : 'rest-api';
    const existing = this.functionOf(handler, 'arn');
    if (existing) {
      existing.frontDoors.push({ kind, at: this.kit.loc(call, `${existing.name}.frontDoors.${kind}`) });
      return;
    }
    // A handler string or FunctionArgs: SST creates a function for the route, with the Function defaults.
    const resolved = this.scope.resolve(handler);
    let props: Props;
    if (resolved?.type === 'ObjectExpression') props = this.scope.props(resolved);
    else if (this.scope.string(handler) !== null) props = { entries: new Map([['handler', { key: handler, value: handler }]]), unknown: null, object: null };
    else return;
    const name = `${this.nameOf(owner.arguments[0])} ${routeNode ? this.nameOf(routeNode) : ''}`.trim();
    const d = this.readFunction(call, name, props);
    d.frontDoors.push({ kind, at: this.kit.loc(call, `${name}.frontDoors.${kind}`) });
    this.extra.push(d);
  }

  /** `new sst.aws.Router("Router", { routes: { "/api/*": fn.url } })`. */
  private routerRoutes(node: Node): void {
    const routes = this.scope.props(node.arguments[1]).entries.get('routes');
    if (!routes) return;
    for (const [, entry] of this.scope.props(routes.value).entries) {
      const target = this.scope.resolve(entry.value);
      const urlExpr = target?.type === 'ObjectExpression' ? this.scope.props(target).entries.get('url')?.value : entry.value;
      const fn = this.functionOf(urlExpr, 'url');
      if (fn) fn.frontDoors.push({ kind: 'cloudfront', at: this.kit.loc(entry.value, `${fn.name}.frontDoors.cloudfront`) });
    }
  }
}

function normalize(p: string): string {
  const n = path.posix.normalize(p).replace(/\/+$/, '');
  return n === '' ? '.' : n;
}
