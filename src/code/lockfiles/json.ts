/**
 * A JSON reader that remembers the line of every object member, for lockfiles: a finding must point at the
 * line of a package's entry, which `JSON.parse` does not give. It also reads bun.lock's dialect (JSONC with
 * trailing commas; comments are skipped too). Strings are decoded by `JSON.parse` on their own slice, so
 * escapes are exactly JSON's. package-lock.json v2/v3 is read with `JSON.parse` and `keyLines` instead (several
 * times faster); this reader is for bun.lock and lockfileVersion 1.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`${message} at line ${line}`);
  }
}

export interface LocatedJson {
  value: JsonValue;
  /** The 1-based line of a member's key, for every object read. */
  lineOf(object: JsonObject, key: string): number | undefined;
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON (and JSONC: comments, trailing commas). Throws JsonSyntaxError. */
export function parseLocatedJson(text: string): LocatedJson {
  const lines = new WeakMap<JsonObject, Map<string, number>>();
  let pos = 0;
  let line = 1;
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, line);
  };

  const skip = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 10) {
        line++;
        pos++;
      } else if (c === 32 || c === 9 || c === 13 || c === 0xfeff) pos++;
      else if (c === 47 && text.charCodeAt(pos + 1) === 47) {
        const end = text.indexOf('\n', pos);
        pos = end === -1 ? text.length : end;
      } else if (c === 47 && text.charCodeAt(pos + 1) === 42) {
        const end = text.indexOf('*/', pos + 2);
        if (end === -1) fail('unterminated comment');
        for (let i = pos; i < end; i++) if (text.charCodeAt(i) === 10) line++;
        pos = end + 2;
      } else return;
    }
  };

  const string = (): string => {
    // Jump from quote to quote; a quote preceded by an odd number of backslashes is escaped.
    let end = text.indexOf('"', pos + 1);
    for (;;) {
      if (end === -1) return fail('unterminated string');
      let slashes = 0;
      while (text.charCodeAt(end - 1 - slashes) === 92) slashes++;
      if (slashes % 2 === 0) break;
      end = text.indexOf('"', end + 1);
    }
    const raw = text.slice(pos, end + 1);
    pos = end + 1;
    if (raw.indexOf('\n') !== -1) fail('newline in string');
    if (raw.indexOf('\\') === -1) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail('invalid string');
    }
  };

  const value = (depth: number): JsonValue => {
    if (depth > 512) fail('nested too deeply');
    skip();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const object: JsonObject = {};
      const keyLines = new Map<string, number>();
      lines.set(object, keyLines);
      for (;;) {
        skip();
        if (text[pos] === '}') {
          pos++;
          return object;
        }
        if (text[pos] !== '"') fail('expected a key');
        const keyLine = line;
        const key = string();
        skip();
        if (text[pos] !== ':') fail('expected ":"');
        pos++;
        object[key] = value(depth + 1);
        if (!keyLines.has(key)) keyLines.set(key, keyLine);
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== '}') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const array: JsonValue[] = [];
      for (;;) {
        skip();
        if (text[pos] === ']') {
          pos++;
          return array;
        }
        array.push(value(depth + 1));
        skip();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== ']') fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    LITERAL.lastIndex = pos;
    const literal = LITERAL.exec(text);
    if (!literal) return fail(pos >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[pos])}`);
    pos += literal[0].length;
    const word = literal[0];
    return word === 'true' ? true : word === 'false' ? false : word === 'null' ? null : Number(word);
  };

  const result = value(0);
  skip();
  if (pos < text.length) fail('unexpected text after the value');
  return { value: result, lineOf: (object, key) => lines.get(object)?.get(key) };
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The line of the first object member named by each key in `wanted`, found without parsing: every `"key": {`
 * (or `"key": [`) in the text, in order. For keys that name one member in the whole document (package-lock's
 * `node_modules/...` install paths), with the values read by `JSON.parse`.
 */
export function keyLines(text: string, wanted: ReadonlySet<string>): Map<string, number> {
  const lines = new Map<string, number>();
  const member = /"((?:[^"\\\n]|\\.)*)"\s*:\s*[{[]/g;
  let line = 1;
  let counted = 0;
  for (const m of text.matchAll(member)) {
    let key = m[1]!;
    if (key.includes('\\')) {
      try {
        key = JSON.parse(`"${key}"`) as string;
      } catch {
        continue;
      }
    }
    if (!wanted.has(key) || lines.has(key)) continue;
    for (let i = text.indexOf('\n', counted); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) line++;
    counted = m.index;
    lines.set(key, line);
  }
  return lines;
}
