/**
 * The project's package.json as the dependency fixes need it: where a dependency is declared and with which
 * range, and small edits that keep the file's own formatting (indentation, final newline, line endings).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from '../../util/semver.js';
import type { DependencyField } from './package-manager.js';

export interface ProjectManifest {
  /** The file text ('' when there is none). */
  text: string;
  json: Record<string, unknown> | undefined;
}

export function readProjectManifest(root: string): ProjectManifest {
  let text = '';
  try {
    text = readFileSync(path.join(root, 'package.json'), 'utf8');
  } catch {
    return { text: '', json: undefined };
  }
  try {
    const json: unknown = JSON.parse(text);
    return { text, json: json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined };
  } catch {
    return { text, json: undefined };
  }
}

export interface Declaration {
  field: DependencyField;
  spec: string;
}

const FIELDS: DependencyField[] = ['dependencies', 'devDependencies', 'optionalDependencies'];

/** Where `name` is declared in package.json (prod first), or undefined for a dependency of a dependency. */
export function declarationOf(manifest: ProjectManifest, name: string): Declaration | undefined {
  for (const field of FIELDS) {
    const deps = manifest.json?.[field];
    if (deps && typeof deps === 'object' && typeof (deps as Record<string, unknown>)[name] === 'string') {
      return { field, spec: (deps as Record<string, string>)[name] };
    }
  }
  return undefined;
}

export type RangeStyle = 'exact' | 'tilde' | 'caret';

/**
 * How the project pins the dependency, or why the package manager cannot upgrade it from the registry
 * (a workspace link, a file or git dependency, an `npm:` alias, a pnpm catalog).
 */
export function rangeStyle(spec: string): RangeStyle | { unsupported: string } {
  const trimmed = spec.trim();
  const protocol = /^([a-z+]+):/i.exec(trimmed)?.[1];
  if (protocol) return { unsupported: `declared as "${trimmed}" (${protocol}: dependency)` };
  if (/^(\.{0,2}\/|~\/)/.test(trimmed) || /^[^@\s]+\/[^@\s]+(#.*)?$/.test(trimmed)) return { unsupported: `declared as "${trimmed}" (a path or git dependency)` };
  if (semver.valid(trimmed.replace(/^=\s*/, ''))) return 'exact';
  if (trimmed.startsWith('~')) return 'tilde';
  return 'caret';
}

/** JSON.stringify with the indentation, final newline and line endings of `original`. */
export function formatLike(original: string, value: unknown): string {
  const indent = /^[ \t]+(?=")/m.exec(original)?.[0] ?? '  ';
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const finalNewline = original === '' || /\r?\n$/.test(original);
  const body = JSON.stringify(value, null, indent).replace(/\n/g, eol);
  return finalNewline ? body + eol : body;
}

/** The offsets of the root object's members: each key's value span, and the root's closing brace. */
function rootMembers(text: string): { members: Map<string, { start: number; end: number }>; close: number } | undefined {
  const members = new Map<string, { start: number; end: number }>();
  let depth = 0;
  let key: string | undefined;
  let valueStart = -1;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        key = JSON.parse(text.slice(i, j + 1)) as string;
        expectKey = false;
      } else if (depth === 1 && valueStart < 0) valueStart = i;
      i = j;
      continue;
    }
    if (/\s/.test(ch)) continue;
    if (ch === '{' || ch === '[') {
      if (depth === 0) {
        if (ch !== '{') return undefined;
        expectKey = true;
      } else if (depth === 1 && valueStart < 0) valueStart = i;
      depth++;
      continue;
    }
    if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) {
        if (key !== undefined && valueStart >= 0) members.set(key, { start: valueStart, end: trimEnd(text, i) });
        return { members, close: i };
      }
      continue;
    }
    if (depth !== 1) continue;
    if (ch === ':') continue;
    if (ch === ',') {
      if (key !== undefined && valueStart >= 0) members.set(key, { start: valueStart, end: trimEnd(text, i) });
      key = undefined;
      valueStart = -1;
      expectKey = true;
      continue;
    }
    if (valueStart < 0) valueStart = i; // number, true, false, null
  }
  return undefined;
}

function trimEnd(text: string, end: number): number {
  let i = end;
  while (i > 0 && /\s/.test(text[i - 1])) i--;
  return i;
}

/**
 * package.json with one top-level key set to `value`, changing only that member's text (the rest of the
 * file keeps its formatting); falls back to re-serialising the whole file when it cannot be located.
 */
export function setTopLevelKey(text: string, json: Record<string, unknown>, key: string, value: unknown): string {
  const indent = /^[ \t]+(?=")/m.exec(text)?.[0] ?? '  ';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const serialized = JSON.stringify(value, null, indent).replace(/\n/g, eol + indent);
  const found = text ? rootMembers(text) : undefined;
  if (!found) return formatLike(text, { ...json, [key]: value });
  const member = found.members.get(key);
  if (member) return text.slice(0, member.start) + serialized + text.slice(member.end);
  const last = trimEnd(text, found.close);
  const empty = found.members.size === 0 && text[last - 1] === '{';
  return text.slice(0, last) + (empty ? '' : ',') + eol + indent + JSON.stringify(key) + ': ' + serialized + eol + text.slice(found.close);
}
