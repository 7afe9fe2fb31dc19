/**
 * A line reader for the YAML that pnpm and Yarn 2+ write: block mappings with fixed indentation (pnpm: the
 * `packages:` section's entries at 2 spaces, their fields at 4; Yarn: entries at column 0, fields at 2), keys
 * and scalars plain or quoted on one line. It reads only the entries' keys, lines and a few scalar fields.
 *
 * Why: js-yaml's parser takes ~260 ms cold for a 540 KB pnpm-lock.yaml (most of a scan that has no
 * node_modules); this takes ~10 ms. Anything it does not know (an explicit `? ` key, a multi-line scalar, an
 * anchor, a tab) makes it return null, and the caller reads the file with the YAML parser instead. Both
 * readers are checked to agree on every lockfile in the tests.
 */

export interface BlockEntry {
  key: string;
  /** 1-based. */
  line: number;
  fields: Map<string, string>;
}

export interface BlockRead {
  /** Top-level scalar fields (`lockfileVersion`). */
  top: Map<string, string>;
  entries: BlockEntry[];
}

/**
 * `section`: the top-level key whose mapping holds the entries (pnpm `packages`), or null when the entries are
 * the top-level keys themselves (Yarn). `fields`: the entry fields to keep.
 */
export function readBlockEntries(text: string, section: string | null, fields: readonly string[]): BlockRead | null {
  const entryIndent = section === null ? 0 : 2;
  const fieldIndent = entryIndent + 2;
  const top = new Map<string, string>();
  const entries: BlockEntry[] = [];
  let inSection = section === null;
  let current: BlockEntry | null = null;
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue;
    let indent = 0;
    while (line.charCodeAt(indent) === 32) indent++;
    if (indent === line.length || line[indent] === '#') continue;
    if (line[indent] === '\t') return null;
    if (line === '---' || line.startsWith('--- ')) {
      // A new document: the last one is the lockfile (pnpm may write its environment document first).
      top.clear();
      entries.length = 0;
      current = null;
      inSection = section === null;
      continue;
    }
    if (indent === 0) {
      current = null;
      if (section !== null) {
        const pair = keyValue(line);
        if (!pair) return null;
        inSection = pair.key === section && pair.value === '';
        if (pair.value !== '') top.set(pair.key, pair.value);
        continue;
      }
    }
    if (!inSection) continue;
    if (indent === entryIndent) {
      const pair = keyValue(line.slice(indent));
      if (!pair) return null;
      if (pair.value !== '') {
        if (section === null) {
          top.set(pair.key, pair.value);
          current = null;
          continue;
        }
        return null; // an entry that is a scalar or a flow mapping: not the shape we know
      }
      current = { key: pair.key, line: lineNo, fields: new Map() };
      entries.push(current);
      continue;
    }
    if (indent === fieldIndent) {
      if (!current) return null;
      const pair = keyValue(line.slice(indent));
      if (!pair) return null;
      if (fields.includes(pair.key)) current.fields.set(pair.key, pair.value);
      continue;
    }
    if (indent < fieldIndent) return null;
    // Deeper lines (dependencies, flow mappings continued) belong to the current entry and are not read.
    if (!current) return null;
  }
  return { top, entries };
}

/** `key: value` or `key:` with a plain, single- or double-quoted key and scalar; null for anything else. */
function keyValue(line: string): { key: string; value: string } | null {
  const key = scalar(line, true);
  if (!key) return null;
  const rest = line.slice(key.length);
  if (!rest.startsWith(':')) return null;
  const after = rest.slice(1);
  if (after === '' || /^\s+#/.test(after)) return { key: key.value, value: '' };
  if (!after.startsWith(' ')) return null;
  const raw = after.trimStart();
  if (raw.startsWith('{') || raw.startsWith('[')) return { key: key.value, value: raw }; // flow collections: kept as text
  const value = scalar(raw, false);
  if (!value) return null;
  const tail = raw.slice(value.length).trim();
  if (tail !== '' && !tail.startsWith('#')) return null;
  return { key: key.value, value: value.value };
}

/** A scalar at the start of `text`: its decoded value and the length of its source. */
function scalar(text: string, asKey: boolean): { value: string; length: number } | null {
  const first = text[0];
  if (first === "'") {
    let i = 1;
    for (;;) {
      const q = text.indexOf("'", i);
      if (q === -1) return null;
      if (text[q + 1] === "'") {
        i = q + 2;
        continue;
      }
      return { value: text.slice(1, q).replace(/''/g, "'"), length: q + 1 };
    }
  }
  if (first === '"') {
    let i = 1;
    for (; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') break;
    }
    if (i >= text.length) return null;
    try {
      return { value: JSON.parse(text.slice(0, i + 1)) as string, length: i + 1 };
    } catch {
      return null;
    }
  }
  // Plain: no indicator first; a key ends at ": " or a final ":", a value at " #".
  if (first === undefined || '?&*!|>%@`{}[],#-'.includes(first)) {
    if (!(first === '-' && text[1] !== ' ' && text[1] !== undefined)) return null;
  }
  let end: number;
  if (asKey) {
    const colon = text.search(/:(?: |$)/);
    if (colon === -1) return null;
    end = colon;
  } else {
    const comment = text.search(/ #/);
    end = comment === -1 ? text.length : comment;
  }
  const value = text.slice(0, end).trimEnd();
  if (value.length === 0) return null;
  return { value, length: value.length };
}
