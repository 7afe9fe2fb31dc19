#!/usr/bin/env node
// Launcher only: all logic lives in dist/bundle/cli.js (src/cli.ts, compiled and bundled by `npm run build`).
import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';

const args = process.argv.slice(2);
const cli = new URL('../dist/bundle/cli.js', import.meta.url);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // `--version` alone answers from package.json without loading the CLI (commander, the command table):
  // scripts and editors call it most, so it should cost little more than starting Node
  // (docs/performance.md, "Small projects"). The output is the one commander prints.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else if (!existsSync(cli)) {
  // A git checkout or git install of a commit without the build (dist/ is built by `npm run build` and
  // committed only on release tags, docs/ci.md).
  process.stderr.write('stream-doctor: dist/bundle/cli.js is missing: run `npm run build` in this checkout, or install a release (npm, or a release tag of the repository)\n');
  process.exitCode = 2;
} else {
  // Node >= 22.1 keeps the compiled code of our ~30 bundle files on disk between runs (in the OS temp folder;
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off); older Node has no such API and compiles them every time.
  module.enableCompileCache?.();
  const { main } = await import(cli.href);
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      // Last line of defence: never a stack trace, always exit 2 with one line.
      process.stderr.write(`stream-doctor: ${error && error.message ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
