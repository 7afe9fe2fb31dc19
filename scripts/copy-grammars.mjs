// Part of `npm run build` (it runs first, so that arguments given to the build, `-- --outDir X`, reach
// tsc): copies the one tree-sitter grammar the analysis uses (tree-sitter-python's prebuilt .wasm,
// 458 KB, MIT) and its licence into dist/grammars/, so that the published package ships
// it without depending on tree-sitter-python (an install script, native prebuilds for six platforms and
// node-addon-api that stream-doctor never loads). docs/architecture.md, "Dependencies and why".
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const out = new URL('../dist/grammars/', import.meta.url);
mkdirSync(out, { recursive: true });
const dir = path.dirname(require.resolve('tree-sitter-python/package.json'));
copyFileSync(path.join(dir, 'tree-sitter-python.wasm'), new URL('tree-sitter-python.wasm', out));
copyFileSync(path.join(dir, 'LICENSE'), new URL('tree-sitter-python.LICENSE', out));
