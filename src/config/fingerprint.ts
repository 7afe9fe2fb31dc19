import { createHash } from 'node:crypto';

/**
 * A stable, short identity for a finding: sha256 over rule id, file and a logical key, first 16 hex
 * characters. No line numbers go in, so the fingerprint survives code being added above the finding;
 * the pipeline chooses the logical key (normally the normalized source snippet plus an occurrence index).
 * The parts are joined with NUL so that ("a", "b/c") and ("a/b", "c") can never collide.
 */
export function fingerprintOf(ruleId: string, file: string, logicalKey: string): string {
  const portableFile = file.replace(/\\/g, '/');
  return createHash('sha256').update(`${ruleId}\u0000${portableFile}\u0000${logicalKey}`, 'utf8').digest('hex').slice(0, 16);
}

/** Collapses every run of whitespace (including newlines) into one space and trims both ends. */
export function normalizeSnippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
