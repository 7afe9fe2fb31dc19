import type { Finding } from '../model/finding.js';

/**
 * Inline suppression directives:
 *
 *   // stream-doctor-disable-next-line <rule>[, <rule>] -- <reason>
 *   /* stream-doctor-disable-next-line <rule> -- <reason> *\/
 *   code(); // stream-doctor-disable-line <rule> -- <reason>
 *
 * The reason is required: a directive without " -- reason" suppresses nothing and is reported as a
 * problem, so that every accepted risk in a code base says why it was accepted. In YAML, Terraform,
 * TOML, Python, shell and Dockerfiles the same directives are written in `#` comments.
 */

export type DirectiveKind = 'disable-next-line' | 'disable-line';

export interface Directive {
  kind: DirectiveKind;
  /** 1-based line on which the directive's comment starts. */
  line: number;
  /** 1-based line whose findings the directive suppresses. */
  targetLine: number;
  /** Rule ids, in the order written. */
  rules: string[];
  /** The text after " -- ", whitespace collapsed. Never empty. */
  reason: string;
}

export interface DirectiveProblem {
  line: number;
  message: string;
}

/** `js`: `//` and `/* *\/` comments (JS, TS, JSX); `hash`: `#` (and `//`) line comments; `none`: no comments (JSON). */
export type CommentStyle = 'js' | 'hash' | 'none';

const HASH_EXTENSIONS = new Set(['.yaml', '.yml', '.tf', '.hcl', '.toml', '.py', '.sh', '.bash', '.env']);

/** The comment syntax to look for directives in, by file name. */
export function commentStyleFor(file: string): CommentStyle {
  const base = file.slice(file.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot).toLowerCase() : '';
  if (ext === '.json' || ext === '.map') return 'none';
  if (HASH_EXTENSIONS.has(ext) || /^dockerfile/i.test(base) || /\.dockerfile$/i.test(base)) return 'hash';
  return 'js';
}

interface Comment {
  body: string;
  startLine: number;
  endLine: number;
  block: boolean;
}

const MARKER = 'stream-doctor-';

/** Finds the suppression directives in a file's text, and the malformed ones as problems. */
export function parseDirectives(
  text: string,
  options: { commentStyle?: CommentStyle } = {},
): { directives: Directive[]; problems: DirectiveProblem[] } {
  const directives: Directive[] = [];
  const problems: DirectiveProblem[] = [];
  const style = options.commentStyle ?? 'js';
  if (style === 'none' || !text.includes(MARKER)) return { directives, problems };

  const comments = style === 'hash' ? hashComments(text) : jsComments(text);
  for (const comment of comments) {
    const parsed = parseComment(comment);
    if (parsed === undefined) continue;
    if ('message' in parsed) problems.push(parsed);
    else directives.push(parsed);
  }
  return { directives, problems };
}

function parseComment(comment: Comment): Directive | DirectiveProblem | undefined {
  // Block comments written over several lines may start continuation lines with "*".
  const body = comment.block ? comment.body.replace(/\n[ \t]*\*(?!\/)/g, '\n') : comment.body;
  const match = /^\s*stream-doctor-((?:disable|enable)[\w-]*)(?=\s|$)([\s\S]*)$/.exec(body);
  if (!match) return undefined;
  const keyword = match[1]!;
  const rest = match[2]!;
  const line = comment.startLine;

  if (keyword !== 'disable-next-line' && keyword !== 'disable-line') {
    return {
      line,
      message: `unknown directive "stream-doctor-${keyword}": use stream-doctor-disable-next-line or stream-doctor-disable-line`,
    };
  }
  const kind: DirectiveKind = keyword;
  const name = `stream-doctor-${kind}`;

  if (kind === 'disable-line' && comment.endLine !== comment.startLine) {
    return { line, message: `${name} must be written on a single line` };
  }

  const separator = /(^|\s)--(\s|$)/.exec(rest);
  const rulesText = separator ? rest.slice(0, separator.index) : rest;
  const reason = separator ? rest.slice(separator.index + separator[0].length).replace(/\s+/g, ' ').trim() : '';
  const rules = rulesText.split(/[\s,]+/).filter((id) => id !== '');

  if (rules.length === 0) {
    return { line, message: `${name} names no rule: list the rule ids to disable, then " -- <reason>"` };
  }
  if (reason === '') {
    return {
      line,
      message: `${name} ${rules.join(', ')} has no reason and suppresses nothing: add " -- <why this is acceptable>"`,
    };
  }
  return { kind, line, targetLine: kind === 'disable-next-line' ? comment.endLine + 1 : comment.startLine, rules, reason };
}

/** Words after which a `/` starts a regular expression rather than a division. */
const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);

/**
 * The comments of a JS/TS file, found by a small lexer that skips strings, template literals
 * (including `${}` nesting) and regular expression literals, so that a directive quoted inside a
 * string is not taken for a real one. Linear in the text length.
 */
function jsComments(text: string): Comment[] {
  const comments: Comment[] = [];
  const length = text.length;
  let i = 0;
  let line = 1;
  /** Last significant token class: '' (start), 'value' (identifier, literal, `)`, `]`, `}`) or the punctuator. */
  let previous = '';
  /** Open-brace depth inside each `${` we are in; empty when not inside a template substitution. */
  const templateDepths: number[] = [];

  const scanTemplate = (): void => {
    // At the character after "`" or after the "}" closing a substitution.
    while (i < length) {
      const ch = text.charCodeAt(i);
      if (ch === 92 /* \ */) {
        if (text.charCodeAt(i + 1) === 10) line++;
        i += 2;
      } else if (ch === 96 /* ` */) {
        i++;
        previous = 'value';
        return;
      } else if (ch === 36 /* $ */ && text.charCodeAt(i + 1) === 123 /* { */) {
        i += 2;
        templateDepths.push(0);
        previous = '{';
        return;
      } else {
        if (ch === 10) line++;
        i++;
      }
    }
  };

  while (i < length) {
    const ch = text.charCodeAt(i);
    if (ch === 10 /* \n */) {
      line++;
      i++;
    } else if (ch === 32 || ch === 9 || ch === 13 || ch === 11 || ch === 12) {
      i++;
    } else if (ch === 47 /* / */) {
      const next = text.charCodeAt(i + 1);
      if (next === 47) {
        let end = text.indexOf('\n', i + 2);
        if (end === -1) end = length;
        comments.push({ body: text.slice(i + 2, end).replace(/\r$/, ''), startLine: line, endLine: line, block: false });
        i = end;
      } else if (next === 42 /* * */) {
        let end = text.indexOf('*/', i + 2);
        if (end === -1) end = length;
        const body = text.slice(i + 2, end);
        const startLine = line;
        for (let k = 0; k < body.length; k++) if (body.charCodeAt(k) === 10) line++;
        comments.push({ body: body.replace(/\r\n/g, '\n'), startLine, endLine: line, block: true });
        i = end + 2;
      } else if (previous !== 'value') {
        // Regular expression literal: to the closing "/" outside a character class, never past the line.
        i++;
        let inClass = false;
        while (i < length) {
          const c = text.charCodeAt(i);
          if (c === 10) break;
          if (c === 92) {
            i += 2;
            continue;
          }
          i++;
          if (c === 91 /* [ */) inClass = true;
          else if (c === 93 /* ] */) inClass = false;
          else if (c === 47 && !inClass) break;
        }
        previous = 'value';
      } else {
        i++;
        previous = '/';
      }
    } else if (ch === 34 /* " */ || ch === 39 /* ' */) {
      i++;
      while (i < length) {
        const c = text.charCodeAt(i);
        if (c === 92) {
          if (text.charCodeAt(i + 1) === 10) line++;
          i += 2;
          continue;
        }
        if (c === 10) break; // unterminated: stop at the end of the line
        i++;
        if (c === ch) break;
      }
      previous = 'value';
    } else if (ch === 96 /* ` */) {
      i++;
      scanTemplate();
    } else if (ch === 123 /* { */) {
      if (templateDepths.length > 0) templateDepths[templateDepths.length - 1]!++;
      i++;
      previous = '{';
    } else if (ch === 125 /* } */) {
      i++;
      if (templateDepths.length > 0) {
        const top = templateDepths.length - 1;
        if (templateDepths[top] === 0) {
          templateDepths.pop();
          scanTemplate();
          continue;
        }
        templateDepths[top]!--;
      }
      previous = 'value';
    } else if (isIdentifierChar(ch)) {
      const start = i;
      while (i < length && isIdentifierChar(text.charCodeAt(i))) i++;
      previous = KEYWORDS_BEFORE_EXPRESSION.has(text.slice(start, i)) ? 'keyword' : 'value';
    } else {
      i++;
      previous = ch === 41 /* ) */ || ch === 93 /* ] */ ? 'value' : String.fromCharCode(ch);
    }
  }
  return comments;
}

function isIdentifierChar(ch: number): boolean {
  return (
    (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57) || ch === 95 || ch === 36 || ch > 127
  );
}

/** `#` comments (and `//`, for HCL) that start at a line start or after whitespace, outside quotes. */
function hashComments(text: string): Comment[] {
  const comments: Comment[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const lineText = raw.replace(/\r$/, '');
    let quote = 0;
    for (let k = 0; k < lineText.length; k++) {
      const c = lineText.charCodeAt(k);
      if (quote !== 0) {
        if (c === 92) k++;
        else if (c === quote) quote = 0;
        continue;
      }
      if (c === 34 || c === 39) {
        quote = c;
        continue;
      }
      const atBoundary = k === 0 || /\s/.test(lineText[k - 1]!);
      if (atBoundary && c === 35 /* # */) {
        comments.push({ body: lineText.slice(k + 1), startLine: index + 1, endLine: index + 1, block: false });
        return;
      }
      if (atBoundary && c === 47 && lineText.charCodeAt(k + 1) === 47) {
        comments.push({ body: lineText.slice(k + 2), startLine: index + 1, endLine: index + 1, block: false });
        return;
      }
    }
  });
  return comments;
}

export interface UnusedDirective {
  file: string;
  /** Line of the directive's comment. */
  line: number;
  rule: string;
}

export interface FileDirectiveProblem extends DirectiveProblem {
  file: string;
}

/**
 * Moves findings covered by a directive (same rule, finding's start line = the directive's target
 * line) to `suppressed`, with `suppressed: { kind: 'inSource', justification: reason }`.
 * `unusedDirectives` lists every rule of a directive that suppressed nothing, and `problems` every
 * malformed directive, in the files that were looked at: the files of the findings plus
 * `options.files` (pass the files that contain "stream-doctor-disable" to report unused directives
 * in files without findings). Output order: findings keep their input order; the lists are sorted.
 */
export function applySuppressions(
  findings: Finding[],
  textByFile: (file: string) => string | undefined,
  options: { files?: Iterable<string> } = {},
): { kept: Finding[]; suppressed: Finding[]; unusedDirectives: UnusedDirective[]; problems: FileDirectiveProblem[] } {
  const parsed = new Map<string, { directives: Directive[]; used: Set<string>[] }>();
  const problems: FileDirectiveProblem[] = [];

  const directivesOf = (file: string) => {
    let entry = parsed.get(file);
    if (entry === undefined) {
      const text = textByFile(file);
      const result = text === undefined ? { directives: [], problems: [] } : parseDirectives(text, { commentStyle: commentStyleFor(file) });
      for (const problem of result.problems) problems.push({ file, ...problem });
      entry = { directives: result.directives, used: result.directives.map(() => new Set<string>()) };
      parsed.set(file, entry);
    }
    return entry;
  };

  const kept: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const finding of findings) {
    const { directives, used } = directivesOf(finding.file);
    const index = directives.findIndex((d) => d.targetLine === finding.line && d.rules.includes(finding.ruleId));
    if (index === -1) {
      kept.push(finding);
      continue;
    }
    used[index]!.add(finding.ruleId);
    suppressed.push({ ...finding, suppressed: { kind: 'inSource', justification: directives[index]!.reason } });
  }

  for (const file of options.files ?? []) directivesOf(file);

  const unusedDirectives: UnusedDirective[] = [];
  for (const [file, { directives, used }] of parsed) {
    directives.forEach((directive, index) => {
      for (const rule of directive.rules) {
        if (!used[index]!.has(rule)) unusedDirectives.push({ file, line: directive.line, rule });
      }
    });
  }
  unusedDirectives.sort((a, b) => compareText(a.file, b.file) || a.line - b.line || compareText(a.rule, b.rule));
  problems.sort((a, b) => compareText(a.file, b.file) || a.line - b.line);
  return { kept, suppressed, unusedDirectives, problems };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
