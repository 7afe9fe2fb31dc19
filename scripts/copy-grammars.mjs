// Step 1 of `npm run build` (scripts/build.mjs; `--outDir X` as the build's): copies what the Python
// analysis loads into dist/grammars/ (X/grammars/), so that the published package ships
// those files alone (docs/architecture.md, "Dependencies and why"):
// - tree-sitter-python's prebuilt grammar .wasm (458 KB, MIT) and its licence, without depending on
//   tree-sitter-python (an install script, native prebuilds for six platforms and node-addon-api that
//   stream-doctor never loads);
// - web-tree-sitter's runtime, its ES module and its .wasm (360 KB, MIT) and its licence, without depending
//   on web-tree-sitter (4.6 MB installed: a debug build and source maps that stream-doctor never loads).
//   The module finds its .wasm beside itself (import.meta.url); its source-map comment is dropped, as the
//   map is not shipped.
// Both packages are devDependencies; the sources (tests) load them from node_modules. (web-tree-sitter
// exports its .wasm but not its package.json: the folder is found from the .wasm.)
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const at = process.argv.indexOf('--outDir');
const out = at >= 0 ? pathToFileURL(path.join(path.resolve(process.argv[at + 1]), 'grammars/')) : new URL('../dist/grammars/', import.meta.url);
mkdirSync(out, { recursive: true });
const dir = path.dirname(require.resolve('tree-sitter-python/package.json'));
copyFileSync(path.join(dir, 'tree-sitter-python.wasm'), new URL('tree-sitter-python.wasm', out));
copyFileSync(path.join(dir, 'LICENSE'), new URL('tree-sitter-python.LICENSE', out));

const runtime = path.dirname(require.resolve('web-tree-sitter/web-tree-sitter.wasm'));
const js = readFileSync(path.join(runtime, 'web-tree-sitter.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
writeFileSync(new URL('web-tree-sitter.js', out), js);
copyFileSync(path.join(runtime, 'web-tree-sitter.wasm'), new URL('web-tree-sitter.wasm', out));
copyFileSync(path.join(runtime, 'LICENSE'), new URL('web-tree-sitter.LICENSE', out));
