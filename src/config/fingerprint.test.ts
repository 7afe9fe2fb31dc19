import { describe, expect, it } from 'vitest';
import { fingerprintOf, normalizeSnippet } from './fingerprint.js';

describe('fingerprintOf', () => {
  it('is a stable 16-hex-digit sha256 prefix of rule, file and key', () => {
    const fp = fingerprintOf('stream-never-ended', 'src/handler.ts', 'return;#0');
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    // Pinned: a change here would turn every baselined finding and code scanning alert into a new one.
    expect(fp).toBe('5889d2d93bd88cd1');
    expect(fingerprintOf('stream-never-ended', 'src/handler.ts', 'return;#0')).toBe(fp);
  });

  it('changes with each part, and the parts cannot run into each other', () => {
    const fp = fingerprintOf('a', 'b/c', 'k');
    expect(fingerprintOf('a', 'b/c', 'k2')).not.toBe(fp);
    expect(fingerprintOf('a', 'b/d', 'k')).not.toBe(fp);
    expect(fingerprintOf('x', 'b/c', 'k')).not.toBe(fp);
    expect(fingerprintOf('a/b', 'c', 'k')).not.toBe(fingerprintOf('a', 'b/c', 'k'));
  });

  it('treats Windows separators like "/"', () => {
    expect(fingerprintOf('r', 'src\\handler.ts', 'k')).toBe(fingerprintOf('r', 'src/handler.ts', 'k'));
  });
});

describe('normalizeSnippet', () => {
  it('collapses whitespace so re-indentation and line breaks keep the fingerprint', () => {
    expect(normalizeSnippet('  stream.end(\n\t\tbody  );\r\n')).toBe('stream.end( body );');
    const a = fingerprintOf('r', 'f', normalizeSnippet('if (x) {\n  return;\n}'));
    const b = fingerprintOf('r', 'f', normalizeSnippet('if (x) {\n        return;\n    }'));
    expect(a).toBe(b);
  });
});
