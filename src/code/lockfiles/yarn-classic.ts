/**
 * The Yarn 1 ("classic") lockfile, hand-read: `@yarnpkg/lockfile`, the official parser, has had no release
 * since 2018 and gives no line numbers. The format (yarn v1 `src/lockfile/stringify.js`): `#` comments; an
 * entry starts at column 0 with its comma-separated descriptors and a colon
 * (`"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":`, quoted when they contain `@`, spaces or
 * colons at the start); its fields follow indented by two spaces as `key value` (`version "7.10.4"`, quotes
 * optional), and nested sections (`dependencies:`) are indented further. Only the top-level fields are read.
 */

export interface YarnClassicEntry {
  descriptors: string[];
  /** 1-based line of the entry's key. */
  line: number;
  fields: Map<string, string>;
}

export function parseYarnClassic(text: string): YarnClassicEntry[] {
  const entries: YarnClassicEntry[] = [];
  let current: YarnClassicEntry | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const indent = raw.length - trimmed.length;
    if (indent === 0) {
      if (!trimmed.endsWith(':')) {
        current = null;
        continue;
      }
      current = { descriptors: splitDescriptors(trimmed.slice(0, -1)), line: i + 1, fields: new Map() };
      entries.push(current);
      continue;
    }
    if (!current || indent !== 2 || trimmed.endsWith(':')) continue;
    const [key, rest] = readToken(trimmed);
    if (key === undefined) continue;
    const [value] = readToken(rest.trimStart());
    if (value !== undefined) current.fields.set(key, value);
  }
  return entries;
}

/** `a@^1, "b@^2"` -> ['a@^1', 'b@^2']. */
function splitDescriptors(key: string): string[] {
  const out: string[] = [];
  let rest = key.trim();
  while (rest.length > 0) {
    const [token, after] = readToken(rest, true);
    if (token === undefined) break;
    if (token) out.push(token);
    rest = after.replace(/^\s*,\s*/, '');
  }
  return out;
}

/**
 * One token: a double-quoted string (JSON escapes), or text up to whitespace (or, in a key, a comma).
 * Returns the token and the rest of the text.
 */
function readToken(text: string, inKey = false): [string | undefined, string] {
  if (text.startsWith('"')) {
    let i = 1;
    for (; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') break;
    }
    const raw = text.slice(0, i + 1);
    try {
      return [JSON.parse(raw) as string, text.slice(i + 1)];
    } catch {
      return [raw.slice(1, -1), text.slice(i + 1)];
    }
  }
  const match = (inKey ? /^[^,]+/ : /^\S+/).exec(text);
  if (!match) return [undefined, text];
  return [match[0].trim(), text.slice(match[0].length)];
}
