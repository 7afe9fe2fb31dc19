#!/usr/bin/env node
// Launcher only: all logic lives in dist/cli.js (built from src/cli.ts).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  // A git checkout or git install of a commit without the build (dist/ is built by `npm run build` and
  // committed only on release tags, docs/ci.md).
  process.stderr.write('stream-doctor: dist/cli.js is missing: run `npm run build` in this checkout, or install a release (npm, or a release tag of the repository)\n');
  process.exit(2);
}
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
