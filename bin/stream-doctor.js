#!/usr/bin/env node
// Launcher only: all logic lives in dist/cli.js (built from src/cli.ts).
import { main } from '../dist/cli.js';

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
