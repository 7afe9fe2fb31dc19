/**
 * HCL -> the JSON form the Terraform reader resolves (the form `hcl2json` prints), built from the scan of
 * hcl-scan.ts, so that values and positions come from one pass over the text and nothing has to start:
 * the Go-compiled hcl2json WebAssembly this replaces cost ~0.6 s and ~110 MB on its first call
 * (docs/architecture.md, "Dependencies and why").
 *
 * The form: a body is an object; an attribute is `name: value`; a block is appended to a list under its
 * type and labels (`resource.aws_lambda_function.api = [{...}]`, `environment = [{...}]`). Values: object
 * and tuple constructors become objects and arrays, `true` / `false` / `null` and numbers become JSON
 * scalars, a quoted string or a heredoc becomes its text with its `${...}` / `%{...}` templates kept as
 * written, and every other expression becomes `"${<expression as written>}"`.
 *
 * It rejects (throws `HclSyntaxError`) what the scanner could not place (unclosed blocks, unbalanced
 * brackets, stray text), attributes without a value and unterminated strings; other malformed expressions
 * (`x = 1 2`) are kept as written, which the reader then reports as unresolved where hcl2json refused the
 * file. On the repository's 87 Terraform files the JSON is identical to hcl2json's; the one difference
 * seen elsewhere is cosmetic: hcl2json re-spaced `%{ for x in xs }` directives as `%{for x in xs}`
 * (templates with directives are never resolved).
 */
import { type HclEntry, type HclExpr, type HclFile, heredocEnd, scanHcl, stringEnd, unquote } from './hcl-scan.js';

export type Json = Record<string, unknown>;

export class HclSyntaxError extends Error {}

/** `file`'s HCL as JSON; `scan` when the caller already has it. Throws HclSyntaxError (`main.tf:5,18-6,1: ...`). */
export function hclToJson(file: string, text: string, scan: HclFile = scanHcl(text)): Json {
  const name = file.replace(/\\/g, '/').split('/').pop()!;
  if (scan.problem !== null) {
    const at = position(text, scan.problemAt ?? 0);
    throw new HclSyntaxError(`${name}:${at.line},${at.column}: ${scan.problem.replace(/ at offset \d+$/, '')}`);
  }
  return new Converter(name, text).body(scan.body);
}

class Converter {
  constructor(
    private readonly file: string,
    private readonly text: string,
  ) {}

  body(entries: HclEntry[]): Json {
    const out: Json = {};
    for (const entry of entries) {
      if (entry.kind === 'attr') {
        // Terraform rejects duplicate arguments; the first one is the one the positions point at.
        if (!Object.hasOwn(out, entry.name)) out[entry.name] = this.value(entry.expr);
        continue;
      }
      let holder: Json = out;
      const keys = [entry.type, ...entry.labels];
      const last = keys.pop()!;
      for (const key of keys) {
        const next = holder[key];
        if (isObject(next)) holder = next;
        else holder = holder[key] = {};
      }
      const list = holder[last];
      const body = this.body(entry.body);
      if (Array.isArray(list)) list.push(body);
      else holder[last] = [body];
    }
    return out;
  }

  value(expr: HclExpr): unknown {
    if (expr.kind === 'object') {
      const out: Json = {};
      // A parenthesized key is an expression: `(var.k) = 1` is `"${(var.k)}": 1`, as hcl2json prints it.
      for (const entry of expr.entries) out[entry.key.startsWith('(') ? `\${${entry.key}}` : entry.key] = this.value(entry.value);
      return out;
    }
    if (expr.kind === 'tuple') return expr.items.map((item) => this.value(item));
    const s = this.text;
    const raw = s.slice(expr.start, expr.end);
    if (raw.trim() === '') throw this.invalidExpression(expr.start);
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (raw === 'null') return null;
    if (NUMBER.test(raw)) return Number(raw);
    if (s[expr.start] === '"' && stringEnd(s, expr.start) === expr.end) {
      if (raw.length < 2 || !raw.endsWith('"')) throw this.error(expr.start, 'Unterminated template string; No closing marker was found for the string.');
      return unquote(raw);
    }
    if (s.startsWith('<<', expr.start) && heredocEnd(s, expr.start) === expr.end) {
      const content = heredocContent(raw);
      if (content !== null) return content;
    }
    return `\${${raw}}`;
  }

  /** As HCL words it, with the range of the token found where the expression should start. */
  private invalidExpression(offset: number): HclSyntaxError {
    return this.error(offset, 'Invalid expression; Expected the start of an expression, but found an invalid expression token.');
  }

  /** `main.tf:5,18-6,1: message`: the range of the one character at `offset` (a newline ends at the next line). */
  private error(offset: number, message: string): HclSyntaxError {
    const from = position(this.text, offset);
    const to = position(this.text, Math.min(offset + 1, this.text.length));
    return new HclSyntaxError(`${this.file}:${from.line},${from.column}-${to.line},${to.column}: ${message}`);
  }
}

const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** The text of `<<EOT ... EOT` (each line with its newline); `<<-EOT` removes the lines' common indentation. */
function heredocContent(raw: string): string | null {
  const m = /^<<(-?)([A-Za-z_][\w-]*)[ \t]*\r?\n/.exec(raw);
  if (!m) return null;
  const lines = raw.slice(m[0].length).split('\n');
  lines.pop(); // the closing marker's line
  // CRLF files keep their `\r` in the text, as hcl2json did.
  let body = lines;
  if (m[1] === '-') {
    const indents = body.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
    const strip = indents.length > 0 ? Math.min(...indents) : 0;
    body = body.map((l) => l.slice(strip));
  }
  return body.map((l) => `${l}\n`).join('');
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** 1-based line and column (in UTF-16 units) of `offset`. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
