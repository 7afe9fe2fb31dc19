import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TOOL_NAME = 'stream-doctor';

/** Our own package.json, read once: the version and the repository can never disagree with it. */
const PACKAGE = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as { version: string; repository?: unknown };

export const TOOL_VERSION: string = PACKAGE.version;

/** package.json `repository` as written there (a string or `{ type, url, directory }`), if any. */
export const TOOL_REPOSITORY: unknown = PACKAGE.repository;
