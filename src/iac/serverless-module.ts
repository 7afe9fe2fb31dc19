/**
 * serverless.ts / serverless.js -> the located tree serverless.yml is read into (src/iac/cloudformation.ts),
 * so one reader serves both. The configuration is the object the module exports (`export default X`,
 * `module.exports = X`, `export = X`), read statically with oxc like the CDK reader reads props: object and
 * array literals, strings, numbers, booleans, same-file constants and spreads, and values imported from the
 * project's own modules (`import functions from './resources/functions'`, named or default exports) are
 * followed. Anything else (`process.env.X`, a call, an object with a spread that cannot be followed) is an
 * expression the reader leaves unresolved. Every node keeps the file it is written in, so a finding about a
 * function declared in `resources/functions.ts` points there.
 */
import path from 'node:path';
import type { Node } from '../code/ast.js';
import { propertyKey, unwrap } from '../code/ast.js';
import { parseModule } from '../code/facts.js';
import { StaticScope } from './cdk.js';
import { EXPRESSION_TAG, type NodeOrigin, type YamlDocument, type YamlNode, type YamlScalar } from './cloudformation.js';
import { locator } from './locate.js';

interface Module {
  file: string;
  program: Node;
  scope: StaticScope;
  origin: NodeOrigin;
}

/** Reads a project file by its root-relative path; null when it does not exist or cannot be read. */
export type ReadProjectFile = (rel: string) => string | null;

const MAX_DEPTH = 32;
const MAX_MODULES = 24;
const EXTENSIONS = ['', '.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '/index.ts', '/index.js'];

/** The exported configuration as a located document; `error` when the module cannot be parsed (empty: nothing exported). */
export function moduleDocument(file: string, text: string, readFile: ReadProjectFile): { doc: YamlDocument; notes: Array<{ file: string; reason: string }> } | { error: string } {
  const reader = new ModuleReader(readFile);
  const main = reader.load(file, text);
  if (!main) return { error: `cannot parse serverless config: ${reader.parseError ?? 'unknown error'}` };
  const exported = reader.exportOf(main, 'default');
  if (!exported) return { error: '' };
  return { doc: { contents: reader.convert(exported.module, exported.node, 0) }, notes: reader.notes };
}

class ModuleReader {
  private readonly modules = new Map<string, Module | null>();
  readonly notes: Array<{ file: string; reason: string }> = [];
  parseError: string | undefined;

  constructor(private readonly readFile: ReadProjectFile) {}

  load(file: string, text: string): Module | null {
    if (this.modules.has(file)) return this.modules.get(file)!;
    let module: Module | null = null;
    try {
      const program = parseModule(file, text);
      module = { file, program, scope: new StaticScope(program, text), origin: { file, text, loc: locator(file, text) } };
    } catch (error) {
      this.parseError ??= String((error as Error)?.message ?? error).split('\n')[0];
      if (this.modules.size > 0) this.notes.push({ file, reason: `cannot parse a module the serverless config imports: ${this.parseError}` });
    }
    this.modules.set(file, module);
    return module;
  }

  /** A relative import of `from`, read from the project; null for packages and files that cannot be read. */
  private imported(from: Module, specifier: string): Module | null {
    if (!specifier.startsWith('.') || this.modules.size >= MAX_MODULES) return null;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(from.file), specifier));
    const candidates = [...EXTENSIONS.map((ext) => base + ext), ...(/\.[cm]?js$/.test(base) ? [base.replace(/\.([cm]?)js$/, '.$1ts')] : [])];
    for (const candidate of candidates) {
      if (candidate.startsWith('..')) return null;
      const text = this.readFile(candidate);
      if (text !== null) return this.load(candidate, text);
    }
    return null;
  }

  /** `export default X`, `module.exports = X`, `export = X`, `export const name = X`, `export { x as name }`. */
  exportOf(module: Module, name: string): { module: Module; node: Node } | null {
    let found: Node | null = null;
    for (const statement of module.program.body as Node[]) {
      if (name === 'default' && statement.type === 'ExportDefaultDeclaration') found = statement.declaration;
      else if (name === 'default' && statement.type === 'TSExportAssignment') found = statement.expression;
      else if (name === 'default' && statement.type === 'ExpressionStatement') {
        const expr = unwrap(statement.expression);
        if (expr?.type === 'AssignmentExpression' && isModuleExports(expr.left)) found = expr.right;
      } else if (statement.type === 'ExportNamedDeclaration') {
        const decl = statement.declaration;
        if (decl?.type === 'VariableDeclaration') {
          for (const d of decl.declarations) if (d.id.type === 'Identifier' && d.id.name === name && d.init) found = d.init;
        }
        for (const spec of statement.specifiers ?? []) {
          const exported = spec.exported?.name ?? spec.exported?.value;
          const local = spec.local?.name ?? spec.local?.value;
          if (exported !== name || !local) continue;
          if (statement.source) {
            const next = this.imported(module, statement.source.value);
            return next ? this.exportOf(next, local) : null;
          }
          found = this.topLevel(module, local);
          if (!found) {
            const source = this.importOf(module, local);
            const next = source ? this.imported(module, source.from) : null;
            return next && source ? this.exportOf(next, source.name) : null;
          }
        }
      }
    }
    return found ? { module, node: found } : null;
  }

  /** A top-level `const name = X` of the module (for `export { name }`). */
  private topLevel(module: Module, name: string): Node | null {
    for (const statement of module.program.body as Node[]) {
      const decl = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
      if (decl?.type !== 'VariableDeclaration') continue;
      for (const d of decl.declarations) if (d.id.type === 'Identifier' && d.id.name === name && d.init) return d.init;
    }
    return null;
  }

  /** Follows same-file bindings and imports from the project's modules to the value written. */
  private follow(module: Module, node: Node | null | undefined, depth = 0): { module: Module; node: Node } | null {
    const resolved = module.scope.resolve(node);
    if (!resolved) return null;
    if (resolved.type === 'Identifier' && depth < 8) {
      const source = this.importOf(module, resolved.name);
      if (source) {
        const next = this.imported(module, source.from);
        const target = next ? this.exportOf(next, source.name) : null;
        if (target) return this.follow(target.module, target.node, depth + 1);
      }
    }
    return { module, node: resolved };
  }

  /** The module and export name an identifier is imported as (`import x from './a'`, `import { y as x } from './a'`, `const x = require('./a')`). */
  private importOf(module: Module, local: string): { from: string; name: string } | null {
    for (const statement of module.program.body as Node[]) {
      if (statement.type === 'ImportDeclaration') {
        for (const spec of statement.specifiers ?? []) {
          if (spec.local?.name !== local) continue;
          if (spec.type === 'ImportDefaultSpecifier') return { from: statement.source.value, name: 'default' };
          if (spec.type === 'ImportSpecifier') return { from: statement.source.value, name: spec.imported?.name ?? spec.imported?.value };
          return null; // a namespace import is not an object literal
        }
      }
      if (statement.type === 'VariableDeclaration') {
        for (const d of statement.declarations) {
          const init = unwrap(d.init);
          if (d.id.type !== 'Identifier' || d.id.name !== local || init?.type !== 'CallExpression' || init.callee?.name !== 'require') continue;
          const from = init.arguments[0]?.value;
          if (typeof from === 'string') return { from, name: 'default' };
        }
      }
    }
    return null;
  }

  /** A value as a located node: literals and collections as such, anything else an unresolved expression. */
  convert(module: Module, node: Node | null | undefined, depth: number): YamlNode {
    const target = depth > MAX_DEPTH ? null : this.follow(module, node);
    if (!target) return this.expression(module, node);
    const { module: m, node: n } = target;
    const origin = m.origin;
    switch (n.type) {
      case 'ObjectExpression': {
        const pairs: Array<{ key: YamlNode; value: YamlNode }> = [];
        for (const p of n.properties as Node[]) {
          if (p.type === 'SpreadElement') {
            const inner = this.convert(m, p.argument, depth + 1);
            if (inner.kind !== 'map') return this.expression(m, n); // a spread that cannot be followed: the whole object is unknown
            pairs.push(...inner.pairs);
            continue;
          }
          const key = propertyKey(p);
          if (key === null || p.kind !== 'init' || p.method) continue;
          const keyNode: YamlScalar = { kind: 'scalar', tag: null, start: p.key.start, end: p.key.end, tagStart: -1, value: key, source: key, origin };
          pairs.push({ key: keyNode, value: this.convert(m, p.value, depth + 1) });
        }
        return { kind: 'map', tag: null, start: n.start, end: n.end, tagStart: -1, pairs, origin };
      }
      case 'ArrayExpression': {
        const items: YamlNode[] = [];
        for (const el of n.elements as Array<Node | null>) {
          if (!el) continue;
          if (el.type === 'SpreadElement') {
            const inner = this.convert(m, el.argument, depth + 1);
            if (inner.kind !== 'seq') return this.expression(m, n);
            items.push(...inner.items);
          } else items.push(this.convert(m, el, depth + 1));
        }
        return { kind: 'seq', tag: null, start: n.start, end: n.end, tagStart: -1, items, origin };
      }
      case 'Literal':
        if (n.value === null || ['string', 'number', 'boolean'].includes(typeof n.value)) {
          return { kind: 'scalar', tag: null, start: n.start, end: n.end, tagStart: -1, value: n.value as string | number | boolean | null, source: String(n.value), origin };
        }
        return this.expression(m, n);
      default: {
        const text = m.scope.string(n);
        const number = text === null ? m.scope.number(n) : null;
        const bool = text === null && number === null ? m.scope.boolean(n) : null;
        const value = text ?? number ?? bool;
        if (value === null) return this.expression(m, n);
        return { kind: 'scalar', tag: null, start: n.start, end: n.end, tagStart: -1, value, source: String(value), origin };
      }
    }
  }

  /** An expression that cannot be read statically: a scalar the serverless reader treats as unresolved. */
  private expression(module: Module, node: Node | null | undefined): YamlScalar {
    const n = unwrap(node) ?? node;
    const start = n?.start ?? 0;
    const end = n?.end ?? 0;
    const source = module.origin.text.slice(start, end);
    return { kind: 'scalar', tag: EXPRESSION_TAG, start, end, tagStart: -1, value: source, source, origin: module.origin };
  }
}

function isModuleExports(node: Node | null | undefined): boolean {
  const n = unwrap(node);
  return n?.type === 'MemberExpression' && unwrap(n.object)?.type === 'Identifier' && n.object.name === 'module' && (n.property?.name === 'exports' || n.property?.value === 'exports');
}
