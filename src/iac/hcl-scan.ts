/**
 * A structural HCL scanner, shared by the Terraform reader (positions for findings, and the values
 * hcl-json.ts builds from the same scan) and the Terraform fixers (offsets for edits). It knows strings with `${...}` / `%{...}`
 * templates, heredocs, the three comment forms and bracket nesting; blocks carry the offsets of their
 * braces, attributes the range of their expression, and object and tuple constructors are split into
 * entries (key and value ranges) and items.
 *
 * It never throws: text it cannot place is skipped (to the end of the line, or past the brackets) and the
 * first such place is reported as `problem`, so that a reader can go on while an editor refuses the file.
 * Collections it does not split (`for` expressions, keys it cannot read) are kept whole as `other`.
 */

export interface HclAttribute {
  kind: 'attr';
  name: string;
  /** Offset of the name. */
  start: number;
  expr: HclExpr;
}

export interface HclBlock {
  kind: 'block';
  type: string;
  labels: string[];
  /** Offset of the type name. */
  start: number;
  /** Offsets of the `{` and of the matching `}` (the end of the text when it is missing). */
  open: number;
  close: number;
  body: HclEntry[];
}

export type HclEntry = HclAttribute | HclBlock;

/** An expression: `start` is its first character, `end` is past its last one (trailing blanks and comments excluded). */
export type HclExpr = HclObject | HclTuple | { kind: 'other'; start: number; end: number };

/** `{ K = v, ... }`: `start` is the `{`, `end` is past the `}`. */
export interface HclObject {
  kind: 'object';
  start: number;
  end: number;
  entries: HclObjectEntry[];
}

export interface HclObjectEntry {
  /** The key: a name (`a.b` too), a string's value, or a parenthesized expression as written. */
  key: string;
  /** Offsets of the key as written (quotes and parentheses included). */
  start: number;
  keyEnd: number;
  value: HclExpr;
}

/** `[a, b]`: `start` is the `[`, `end` is past the `]`. */
export interface HclTuple {
  kind: 'tuple';
  start: number;
  end: number;
  items: HclExpr[];
}

export interface HclFile {
  body: HclEntry[];
  /** The first text the scanner could not place (`unexpected text at offset 12`), or null. */
  problem: string | null;
  /** Where that text starts. */
  problemAt: number | null;
}

/** The end of the quoted string that starts at `start` (past its closing quote; the line end when it is unterminated). */
export function stringEnd(text: string, start: number): number {
  return new HclScanner(text).stringFrom(start);
}

/** The end of the heredoc that starts at `start` (`<<EOT`), before the newline after its closing marker. */
export function heredocEnd(text: string, start: number): number {
  return new HclScanner(text).heredocFrom(start);
}

export function scanHcl(text: string): HclFile {
  const scanner = new HclScanner(text);
  const body = scanner.body(true).entries;
  return { body, problem: scanner.problem, problemAt: scanner.problemAt };
}

/** The first attribute `name` of a body (Terraform rejects duplicates; the first one is where it is written). */
export function attributeOf(body: HclEntry[], name: string): HclAttribute | undefined {
  for (const entry of body) if (entry.kind === 'attr' && entry.name === name) return entry;
  return undefined;
}

/** The nested blocks `type { ... }` of a body (without labels, so not `dynamic "type"`), in order. */
export function blocksOf(body: HclEntry[], type: string): HclBlock[] {
  return body.filter((e): e is HclBlock => e.kind === 'block' && e.type === type && e.labels.length === 0);
}

/** Every block of a body, nested ones included, in source order. */
export function allBlocks(body: HclEntry[], out: HclBlock[] = []): HclBlock[] {
  for (const entry of body) {
    if (entry.kind !== 'block') continue;
    out.push(entry);
    allBlocks(entry.body, out);
  }
  return out;
}

const IDENT = /[A-Za-z_][\w-]*/y;
const OBJECT_KEY = /[A-Za-z0-9_][\w.-]*/y;
const HEREDOC = /<<-?([A-Za-z_][\w-]*)/y;

class HclScanner {
  private i = 0;
  problem: string | null = null;
  problemAt: number | null = null;
  constructor(private readonly s: string) {}

  stringFrom(start: number): number {
    this.i = start;
    this.string();
    return this.i;
  }

  heredocFrom(start: number): number {
    this.i = start;
    this.heredoc();
    return this.i;
  }

  private fail(message: string, at = this.i): void {
    if (this.problem !== null) return;
    this.problem = `${message} at offset ${at}`;
    this.problemAt = at;
  }

  /** The entries of a body up to its `}` (consumed) or, at the top level, the end of the text. */
  body(top: boolean): { entries: HclEntry[]; close: number } {
    const s = this.s;
    const entries: HclEntry[] = [];
    for (;;) {
      this.skipAll();
      if (this.i >= s.length) {
        if (!top) this.fail('a block is not closed');
        return { entries, close: s.length };
      }
      if (s[this.i] === '}') {
        if (!top) return { entries, close: this.i++ };
        this.fail('unbalanced `}`');
        this.i++;
        continue;
      }
      const start = this.i;
      const name = this.ident();
      if (!name) {
        this.fail('unexpected text');
        this.skipLine();
        if (this.i === start) this.i++;
        continue;
      }
      this.skipInline();
      if (s[this.i] === '=' && s[this.i + 1] !== '=') {
        this.i++;
        entries.push({ kind: 'attr', name, start, expr: this.expr('\n}') });
        continue;
      }
      const labels: string[] = [];
      while (this.i < s.length) {
        if (s[this.i] === '"') {
          const from = this.i;
          this.string();
          labels.push(unquote(s.slice(from, this.i)));
        } else {
          const label = this.ident();
          if (!label) break;
          labels.push(label);
        }
        this.skipInline();
      }
      if (s[this.i] === '{') {
        const open = this.i++;
        const inner = this.body(false);
        entries.push({ kind: 'block', type: name, labels, start, open, close: inner.close, body: inner.entries });
      } else {
        this.fail('unexpected text');
        this.skipLine();
      }
    }
  }

  /** An expression up to one of `terms` (at nesting depth 0); `\n` in terms ends it at the line end. */
  private expr(terms: string): HclExpr {
    const s = this.s;
    this.skipInline();
    const start = this.i;
    let collection: HclExpr | null = null;
    if (s[this.i] === '{') collection = this.object();
    else if (s[this.i] === '[') collection = this.tuple();
    if (collection) {
      const after = this.i;
      this.skipInline();
      if (this.i >= s.length || terms.includes(s[this.i]!)) {
        this.i = after;
        return collection;
      }
      // `[...][0]`, `{...}[k]`: an expression that merely starts with a collection.
    }
    const end = this.other(terms);
    return { kind: 'other', start, end };
  }

  /** Scans a generic expression; returns its end offset (before trailing comments and spaces). */
  private other(terms: string): number {
    const s = this.s;
    let end = this.i;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (terms.includes(c)) break;
      if (c === '#' || (c === '/' && s[this.i + 1] === '/')) {
        this.skipLine();
        if (terms.includes('\n')) break;
        continue;
      }
      if (c === '/' && s[this.i + 1] === '*') {
        this.blockComment();
        continue;
      }
      if (c === ')' || c === ']' || c === '}') break; // unbalanced: the enclosing construct ends here
      if (c === '"') this.string();
      else if (c === '<' && s[this.i + 1] === '<' && /[-A-Za-z_]/.test(s[this.i + 2] ?? '')) this.heredoc();
      else if (c === '(' || c === '[' || c === '{') this.balanced();
      else this.i++;
      if (!/\s/.test(c)) end = this.i;
    }
    return end;
  }

  private object(): HclExpr {
    const s = this.s;
    const start = this.i;
    this.i++;
    const entries: HclObjectEntry[] = [];
    while (this.nextItem('}', start)) {
      const keyStart = this.i;
      let key: string | null = null;
      if (entries.length === 0 && this.atFor()) return this.bail(start);
      if (s[this.i] === '"') {
        this.string();
        key = unquote(s.slice(keyStart, this.i));
      } else if (s[this.i] === '(') {
        this.balanced();
        key = s.slice(keyStart, this.i);
      } else {
        OBJECT_KEY.lastIndex = this.i;
        const m = OBJECT_KEY.exec(s);
        if (m) {
          key = m[0];
          this.i += key.length;
        }
      }
      if (key === null) return this.bail(start);
      const keyEnd = this.i;
      this.skipInline();
      if ((s[this.i] === '=' && s[this.i + 1] !== '=' && s[this.i + 1] !== '>') || s[this.i] === ':') this.i++;
      else return this.bail(start);
      entries.push({ key, start: keyStart, keyEnd, value: this.expr('\n,}') });
    }
    return { kind: 'object', start, end: this.i, entries };
  }

  private tuple(): HclExpr {
    const start = this.i;
    this.i++;
    const items: HclExpr[] = [];
    while (this.nextItem(']', start)) {
      if (items.length === 0 && this.atFor()) return this.bail(start);
      const before = this.i;
      items.push(this.expr(',]'));
      if (this.i === before) {
        this.fail('unbalanced brackets');
        this.i++;
      }
    }
    return { kind: 'tuple', start, end: this.i, items };
  }

  /**
   * Skips blanks, comments and commas to the next entry of the collection opened at `start`: false at its
   * `close` (consumed) or at the end of the text.
   */
  private nextItem(close: string, start: number): boolean {
    this.skipAll(',');
    if (this.i >= this.s.length) {
      this.fail(close === '}' ? 'an object is not closed' : 'a tuple is not closed', start);
      return false;
    }
    if (this.s[this.i] !== close) return true;
    this.i++;
    return false;
  }

  /** At a `for` expression (`[for x in xs : x]`, `{for k, v in m : k => v}`). */
  private atFor(): boolean {
    return this.s.startsWith('for', this.i) && /\s/.test(this.s[this.i + 3] ?? '');
  }

  /** A collection we do not split (for-expressions, odd keys): skip it whole. */
  private bail(start: number): HclExpr {
    this.i = start;
    this.balanced();
    return { kind: 'other', start, end: this.i };
  }

  /** Skips a bracketed expression (the bracket at `i` through its match). */
  private balanced(): void {
    const s = this.s;
    const start = this.i;
    const stack: string[] = [];
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '(' || c === '[' || c === '{') {
        stack.push(c === '(' ? ')' : c === '[' ? ']' : '}');
        this.i++;
      } else if (c === ')' || c === ']' || c === '}') {
        if (c === stack[stack.length - 1]) stack.pop();
        else this.fail('unbalanced brackets');
        this.i++;
        if (stack.length === 0) return;
      } else if (c === '"') this.string();
      else if (c === '<' && s[this.i + 1] === '<' && /[-A-Za-z_]/.test(s[this.i + 2] ?? '')) this.heredoc();
      else if (c === '#' || (c === '/' && s[this.i + 1] === '/')) this.skipLine();
      else if (c === '/' && s[this.i + 1] === '*') this.blockComment();
      else this.i++;
    }
    this.fail('unbalanced brackets', start);
  }

  /** A quoted string, templates and escapes included; an unterminated one stops at the line end. */
  private string(): void {
    const s = this.s;
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '\\') this.i += 2;
      else if (c === '"') {
        this.i++;
        return;
      } else if (c === '\n') return;
      else if ((c === '$' || c === '%') && s[this.i + 1] === c && s[this.i + 2] === '{') this.i += 3;
      else if ((c === '$' || c === '%') && s[this.i + 1] === '{') {
        this.i++;
        this.balanced();
      } else this.i++;
    }
  }

  /** `<<EOT` / `<<-EOT` through the line holding the closing marker (stops before its newline). */
  private heredoc(): void {
    const s = this.s;
    HEREDOC.lastIndex = this.i;
    const m = HEREDOC.exec(s);
    if (!m) {
      this.i += 2;
      return;
    }
    const marker = m[1]!;
    let lineEnd = s.indexOf('\n', this.i);
    while (lineEnd >= 0) {
      const next = s.indexOf('\n', lineEnd + 1);
      const line = s.slice(lineEnd + 1, next < 0 ? s.length : next);
      if (line.trim() === marker) {
        this.i = next < 0 ? s.length : next;
        return;
      }
      lineEnd = next;
    }
    this.i = s.length;
  }

  private ident(): string | null {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.s);
    if (!m) return null;
    this.i += m[0].length;
    return m[0];
  }

  /** Spaces, tabs, CR, a BOM, block comments, and a line comment up to (not including) its newline. */
  private skipInline(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\uFEFF') this.i++;
      else if (c === '#' || (c === '/' && s[this.i + 1] === '/')) this.skipLine();
      else if (c === '/' && s[this.i + 1] === '*') this.blockComment();
      else return;
    }
  }

  /** Blanks and comments across lines, and any of `extra` (`,` between entries). */
  private skipAll(extra = ''): void {
    const s = this.s;
    while (this.i < s.length) {
      this.skipInline();
      const c = s[this.i];
      if (c === '\n' || (c !== undefined && extra.includes(c))) this.i++;
      else return;
    }
  }

  private skipLine(): void {
    const next = this.s.indexOf('\n', this.i);
    this.i = next < 0 ? this.s.length : next;
  }

  private blockComment(): void {
    const end = this.s.indexOf('*/', this.i + 2);
    this.i = end < 0 ? this.s.length : end + 2;
  }
}

/** A quoted string's value (escapes decoded; as written without its quotes when it is not valid JSON). */
export function unquote(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.replace(/^"|"$/g, '');
  }
}
