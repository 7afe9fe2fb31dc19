import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import type { Finding, Severity } from '../../model/finding.js';
import { defineObservedRule, observed } from '../../model/rule.js';
import { findingOf } from '../runner.js';

export const knownBadVersion = defineObservedRule({
  meta: {
    id: 'known-bad-version',
    surface: 'package',
    category: 'package',
    severity: 'error',
    title: 'An installed dependency version is known to break Lambda response streaming',
    consequence: 'The installed version ships a streaming bug (see the entry in data/known-bad-packages.json); upgrading fixes it.',
    evidence:
      'data/known-bad-packages.json: every entry was checked in the published tarballs of the last bad and first fixed versions, and links the issue and fix (docs/known-bad-packages.md).',
    fixable: true,
  },
  messages: {
    affected: '{{package}}@{{version}} is affected by {{entry}} ({{bugRule}}): {{summary}}',
  },
});


export interface KnownBadEntry {
  id: string;
  package: string;
  affected: string;
  fixed: string | null;
  ruleId: string;
  severity: Severity;
  summary: string;
  file?: string;
  evidence: string[];
}

export interface InstalledPackageInfo {
  name: string;
  version: string;
  /** Relative to the scan root. */
  dir: string;
  manifest: string;
}

let cached: KnownBadEntry[] | null = null;

/** The bundled database (data/known-bad-packages.json, shipped in the npm package). */
export function loadKnownBad(): KnownBadEntry[] {
  if (!cached) {
    const file = fileURLToPath(new URL('../../../data/known-bad-packages.json', import.meta.url));
    cached = (JSON.parse(readFileSync(file, 'utf8')) as { entries: KnownBadEntry[] }).entries;
  }
  return cached;
}

/**
 * Matches installed packages against the database. When a code rule already reported the same bug
 * class inside that package, that finding is enriched with the upgrade (one finding per cause);
 * otherwise a package-level finding points at the package's manifest.
 */
export function checkKnownBadVersions(
  packages: InstalledPackageInfo[],
  codeFindings: Finding[],
  entries: KnownBadEntry[] = loadKnownBad(),
): Finding[] {
  const out: Finding[] = [];
  for (const pkg of packages) {
    for (const entry of entries) {
      if (entry.package !== pkg.name || !semver.valid(pkg.version)) continue;
      if (!semver.satisfies(pkg.version, entry.affected, { includePrerelease: true })) continue;
      const upgrade = entry.fixed ? `Upgrade ${pkg.name} to ${entry.fixed} or later.` : `No fixed ${pkg.name} release is known; patch it (patch-package or your package manager's patch command) or replace it.`;
      const same = codeFindings.filter(
        (f) => f.ruleId === entry.ruleId && f.package?.name === pkg.name && f.package.version === pkg.version && f.file.startsWith(`${pkg.dir}/`),
      );
      if (same.length > 0) {
        for (const finding of same) {
          finding.fix = `${upgrade} ${finding.fix ?? ''}`.trim();
          finding.evidence = `${finding.evidence ?? ''} Known issue ${entry.id}: ${entry.evidence.join(', ')}`.trim();
        }
        continue;
      }
      const problem = observed(knownBadVersion, {
        messageId: 'affected',
        data: { package: pkg.name, version: pkg.version, entry: entry.id, bugRule: entry.ruleId, summary: entry.summary },
        severity: entry.severity,
        fix: upgrade,
      });
      out.push(
        findingOf(
          knownBadVersion.meta,
          problem,
          { file: pkg.manifest, line: 1, column: 1 },
          { origin: 'dependency', package: { name: pkg.name, version: pkg.version }, fixable: entry.fixed !== null, evidence: entry.evidence.join(', ') },
          `${entry.id}@${pkg.version}`,
        ),
      );
    }
  }
  return out;
}
