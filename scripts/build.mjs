#!/usr/bin/env node
// `npm run build [-- --outDir DIR]`: the three steps of the build, in order (DIR defaults to dist/):
// 1. scripts/copy-grammars.mjs: the Python grammar and tree-sitter's runtime into DIR/grammars/;
// 2. tsc -p tsconfig.build.json: src/ to DIR/ (one .js per .ts: the tests, the benchmarks and the ESLint
//    plugin's in-repo users read these);
// 3. esbuild: DIR/cli.js and DIR/eslint/index.js bundled into DIR/bundle/, what the launcher runs and the
//    package exports. Each dynamic import() (a command, a reader, a rule family) stays its own chunk, so a
//    command loads what it used to load, in ~30 files instead of ~160, with the dependencies it imports
//    statically inside (commander, js-yaml, the AWS SDK...): Node 20's ES module loader costs about 1 ms
//    per file before any of the code runs (docs/performance.md, "Small projects"; docs/architecture.md,
//    "The bundle").
// Exit code: tsc's when it reports errors (the bundle is still written, as tsc still emits), else esbuild's.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const at = args.indexOf('--outDir');
const outDir = path.resolve(at >= 0 && args[at + 1] ? args[at + 1] : path.join(repo, 'dist'));

const step = (argv) => spawnSync(process.execPath, argv, { cwd: repo, stdio: 'inherit' }).status ?? 1;

let status = step([path.join(repo, 'scripts/copy-grammars.mjs'), '--outDir', outDir]);
if (status !== 0) process.exit(status);
const tsc = step([require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir]);
status = await bundle(outDir);
process.exit(tsc !== 0 ? tsc : status);

/**
 * Bundles DIR/cli.js and DIR/eslint/index.js into DIR/bundle/ (ES modules, one chunk per dynamic import).
 * Left out, and loaded at run time: oxc-parser (a native binding per platform, the one dependency), and
 * web-tree-sitter (copied into DIR/grammars/ and loaded by URL). Every other package is in the bundle, so
 * they are devDependencies.
 */
async function bundle(dir) {
  const esbuild = await import('esbuild');
  const { parseSync } = await import('oxc-parser');
  const out = path.join(dir, 'bundle');
  fs.rmSync(out, { recursive: true, force: true });
  // Code that finds a file next to itself (`new URL('../../data/x.json', import.meta.url)`) keeps finding it:
  // each `import.meta.url` of a built module becomes the URL of that module's own file (DIR/x/y.js), computed
  // from the chunk's URL, since every chunk lies in DIR/bundle/. Only real `import.meta.url` expressions are
  // rewritten (found on the syntax tree), not the same text in a string (the verify sandbox writes some).
  const ownUrl = {
    name: 'own-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, async ({ path: file }) => {
        if (!file.startsWith(dir + path.sep) || file.startsWith(out + path.sep)) return undefined;
        const text = await fs.promises.readFile(file, 'utf8');
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
        const program = parseSync(file, text, { sourceType: 'module' }).program;
        const from = JSON.stringify(path.relative(out, file).split(path.sep).join('/'));
        const edits = [];
        for (const statement of program.body) {
          if (isLocalRequire(statement)) edits.push([statement.start, statement.end, '']);
        }
        const spans = [];
        collectImportMetaUrl(program, spans);
        for (const [start, end] of spans) {
          if (text.slice(start, end) !== 'import.meta.url') throw new Error(`${file}: expected import.meta.url at ${start}`);
          if (!edits.some(([s, e]) => s <= start && end <= e)) edits.push([start, end, `new URL(${from}, import.meta.url).href`]);
        }
        let contents = '';
        let last = 0;
        for (const [start, end, replacement] of edits.sort((a, b) => a[0] - b[0])) {
          contents += text.slice(last, start) + replacement;
          last = end;
        }
        return { contents: contents + text.slice(last), loader: 'js' };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: { cli: path.join(dir, 'cli.js'), eslint: path.join(dir, 'eslint/index.js') },
    outdir: out,
    absWorkingDir: repo,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external: ['oxc-parser', 'web-tree-sitter'],
    plugins: [ownUrl],
    // Bundled CommonJS packages call require() for Node's built-ins; an ES module has no require of its own.
    banner: { js: "import { createRequire as __sdCreateRequire } from 'node:module'; const require = __sdCreateRequire(import.meta.url);" },
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  }).catch(() => undefined);
  if (!result || result.errors.length > 0) return 1;
  fs.writeFileSync(path.join(out, 'THIRD-PARTY-LICENSES.txt'), thirdPartyLicenses(Object.keys(result.metafile.inputs)));
  // What each bundle file holds (not shipped: outside dist/bundle/): test/cli-startup.test.ts maps the files a
  // command loads back to the modules in them, to check that --help loads no analysis.
  const contents = {};
  for (const [file, { inputs }] of Object.entries(result.metafile.outputs)) contents[path.basename(file)] = Object.keys(inputs).map((input) => path.relative(repo, path.resolve(repo, input)).split(path.sep).join('/'));
  fs.writeFileSync(path.join(dir, 'bundle-contents.json'), `${JSON.stringify(contents, null, 1)}\n`);
  return 0;
}

/** The licence texts of the packages whose code is in the bundle (their notices must travel with it). */
function thirdPartyLicenses(inputs) {
  const packages = new Map();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.split(path.sep).join('/'));
    if (m && !packages.has(m[1])) packages.set(m[1], path.resolve(repo, m[1]));
  }
  const byText = new Map();
  for (const folder of [...packages.values()].sort()) {
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
    const licence = fs.readdirSync(folder).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = licence ? fs.readFileSync(path.join(folder, licence), 'utf8').trim() : `License: ${manifest.license ?? 'see the package'}`;
    byText.set(text, [...(byText.get(text) ?? []), `${manifest.name}@${manifest.version}`]);
  }
  const sections = [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}\n`);
  return `stream-doctor's bundle (dist/bundle/) includes code from these packages:\n\n${sections.join('\n' + '-'.repeat(72) + '\n\n')}`;
}

/**
 * `const require = createRequire(import.meta.url);` at the top of a module (the code loads a CommonJS package
 * only when it needs it: `require('dockerfile-ast')`). Dropped from the bundle's input, so that esbuild sees
 * Node's `require` there and bundles the package behind a lazy wrapper: still run only on the first call, but
 * from the bundle instead of an installed dependency.
 */
function isLocalRequire(statement) {
  if (statement.type !== 'VariableDeclaration' || statement.declarations.length !== 1) return false;
  const [{ id, init }] = statement.declarations;
  return (
    id.type === 'Identifier' && id.name === 'require' && init?.type === 'CallExpression' && init.callee.type === 'Identifier' && init.callee.name === 'createRequire' &&
    init.arguments.length === 1 && init.arguments[0].type === 'MemberExpression' && init.arguments[0].object?.type === 'MetaProperty' && init.arguments[0].property?.name === 'url'
  );
}

/** The [start, end] offsets of every `import.meta.url` member expression under `node`. */
function collectImportMetaUrl(node, spans) {
  if (Array.isArray(node)) {
    for (const child of node) collectImportMetaUrl(child, spans);
    return;
  }
  if (!node || typeof node !== 'object') return;
  if (node.type === 'MemberExpression' && !node.computed && node.object?.type === 'MetaProperty' && node.object.meta?.name === 'import' && node.property?.name === 'url') {
    spans.push([node.start, node.end]);
    return;
  }
  for (const key in node) if (key !== 'parent' && typeof node[key] === 'object') collectImportMetaUrl(node[key], spans);
}
