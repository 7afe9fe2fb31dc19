/**
 * Writing fixed files safely: only inside the project root (symlinks resolved), never through a symlink,
 * never over a file that changed since it was read (content hash), atomically (a temp file in the same
 * directory, then rename), keeping the file's mode. Every check runs for every file before the first
 * write: one refusal and nothing is written.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class FixRefused extends Error {}

export interface PlannedWrite {
  /** Relative to the root. */
  rel: string;
  /** The content the fix was computed from; null for a file the fix creates. */
  original: string | null;
  text: string;
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function insideRoot(realRoot: string, candidate: string): boolean {
  const rel = path.relative(realRoot, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The nearest existing ancestor of a path, resolved (for files the fix creates). */
function realExistingAncestor(abs: string): string {
  let current = abs;
  while (!existsSync(current)) current = path.dirname(current);
  return realpathSync(current);
}

/** Throws FixRefused naming the file when a write would be unsafe. */
export function checkWrite(root: string, plan: PlannedWrite): void {
  const realRoot = realpathSync(root);
  const abs = path.resolve(root, plan.rel);
  if (!insideRoot(path.resolve(root), abs)) throw new FixRefused(`refusing to write ${plan.rel}: outside the project`);
  if (plan.original === null) {
    if (existsSync(abs)) throw new FixRefused(`refusing to create ${plan.rel}: it already exists`);
    const ancestor = realExistingAncestor(path.dirname(abs));
    if (ancestor !== realRoot && !insideRoot(realRoot, ancestor)) throw new FixRefused(`refusing to write ${plan.rel}: its directory resolves outside the project`);
    return;
  }
  const stat = lstatSync(abs, { throwIfNoEntry: false });
  if (!stat) throw new FixRefused(`refusing to write ${plan.rel}: it no longer exists`);
  if (stat.isSymbolicLink()) throw new FixRefused(`refusing to write ${plan.rel}: it is a symbolic link`);
  if (!insideRoot(realRoot, realpathSync(abs))) throw new FixRefused(`refusing to write ${plan.rel}: it resolves outside the project`);
  if (contentHash(readFileSync(abs, 'utf8')) !== contentHash(plan.original)) {
    throw new FixRefused(`refusing to write ${plan.rel}: it changed since it was read (unsaved edits?); run fix again`);
  }
}

/** Checks every planned write, then writes them all; throws FixRefused before writing anything. */
export function writeAll(root: string, plans: PlannedWrite[]): void {
  for (const plan of plans) checkWrite(root, plan);
  for (const plan of plans) {
    // Re-checked right before the rename: the window between the checks and the write stays tiny.
    checkWrite(root, plan);
    const abs = path.resolve(root, plan.rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    const mode = plan.original === null ? 0o644 : statSync(abs).mode & 0o7777;
    const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.stream-doctor.tmp`);
    try {
      writeFileSync(tmp, plan.text, { flag: 'wx', mode });
      renameSync(tmp, abs);
    } catch (error) {
      rmSync(tmp, { force: true });
      throw new FixRefused(`could not write ${plan.rel}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
}
