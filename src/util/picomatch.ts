/**
 * picomatch, loaded on first use. It is CommonJS: importing it as an ES module runs Node's CJS export lexer
 * over it on every start, and a scan without globs never needs it (the walk and the configuration load it
 * only for --include/--exclude or a configuration's globs). In the bundle this `require` is esbuild's: the
 * package is bundled behind a lazy wrapper and still runs only on the first call (scripts/build.mjs).
 */
import { createRequire } from 'node:module';
import type picomatchType from 'picomatch';

const require = createRequire(import.meta.url);

export const loadPicomatch = (): typeof picomatchType => require('picomatch') as typeof picomatchType;
