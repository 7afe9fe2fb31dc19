/**
 * A JSON reader that remembers the line of every object member, for lockfiles: a finding must point at the
 * line of a package's entry, which `JSON.parse` does not give. It also reads bun.lock's dialect (JSONC with
 * trailing commas; comments are skipped too). Strings are decoded by `JSON.parse` on their own slice, so
 * escapes are exactly JSON's. About 30 ms for a 1.7 MB package-lock.json.
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
    const start = pos;
    let escaped = false;
    for (pos++; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (c === 92) escaped = true;
      else if (c === 34) {
        pos++;
        const raw = text.slice(start, pos);
        if (!escaped) return raw.slice(1, -1);
        try {
          return JSON.parse(raw) as string;
        } catch {
          return fail('invalid string');
        }
      } else if (c === 10) fail('newline in string');
      if (c === 92) pos++;
    }
    return fail('unterminated string');
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
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(pos, pos + 64));
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
