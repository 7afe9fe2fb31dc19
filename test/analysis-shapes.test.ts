/**
 * Shapes from real projects that span more than one file, scanned through the built CLI (the per-file
 * fixtures of test/fixtures/rules cannot express them).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'bin/stream-doctor.js');

function scan(files: Record<string, string>): Array<[string, string, number]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sd-shapes-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  const result = spawnSync(process.execPath, [bin, 'scan', dir, '--format', 'json', '--fail-on', 'none'], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return (JSON.parse(result.stdout).findings as Array<{ ruleId: string; file: string; line: number }>).map((f) => [f.ruleId, f.file, f.line]);
}

const RAW = `export const handler = async (event, responseStream) => {
  responseStream.write("hello");
  responseStream.end();
};
`;

describe('streaming-handler-not-streamified across modules', () => {
  it('reports a raw streaming handler nothing streamifies', () => {
    expect(scan({ 'src/handler.mjs': RAW })).toEqual([['streaming-handler-not-streamified', 'src/handler.mjs', 1]]);
  });

  it('is quiet when another module of the project imports it and streamifies it', () => {
    const findings = scan({
      'src/handler.mjs': RAW,
      'src/index.mjs': 'import { handler as raw } from "./handler.mjs";\nexport const handler = awslambda.streamifyResponse(raw);\n',
    });
    expect(findings.filter(([rule]) => rule === 'streaming-handler-not-streamified')).toEqual([]);
  });
});
