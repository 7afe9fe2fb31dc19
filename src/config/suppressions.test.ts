import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import { applySuppressions, commentStyleFor, parseDirectives } from './suppressions.js';

function finding(overrides: Partial<Finding>): Finding {
  return {
    ruleId: 'stream-never-ended',
    severity: 'error',
    message: 'm',
    file: 'src/handler.ts',
    line: 1,
    column: 1,
    fixable: false,
    fingerprint: 'f',
    origin: 'project',
    ...overrides,
  };
}

describe('parseDirectives', () => {
  it('reads next-line directives in line and block comments, with one or several rules', () => {
    const text = [
      '// stream-doctor-disable-next-line stream-never-ended -- ended by the wrapper',
      'return;',
      '/* stream-doctor-disable-next-line write-after-end, metadata-after-write -- legacy path, removed in v3 */',
      'stream.write(x);',
    ].join('\n');
    expect(parseDirectives(text)).toEqual({
      directives: [
        { kind: 'disable-next-line', line: 1, targetLine: 2, rules: ['stream-never-ended'], reason: 'ended by the wrapper' },
        {
          kind: 'disable-next-line',
          line: 3,
          targetLine: 4,
          rules: ['write-after-end', 'metadata-after-write'],
          reason: 'legacy path, removed in v3',
        },
      ],
      problems: [],
    });
  });

  it('reads disable-line directives after code, targeting their own line', () => {
    const text = 'const a = 1;\nstream.end(); // stream-doctor-disable-line write-after-end -- second end is a no-op here\n';
    expect(parseDirectives(text).directives).toEqual([
      { kind: 'disable-line', line: 2, targetLine: 2, rules: ['write-after-end'], reason: 'second end is a no-op here' },
    ]);
    const block = 'stream.end(); /* stream-doctor-disable-line write-after-end -- guarded */';
    expect(parseDirectives(block).directives[0]).toMatchObject({ kind: 'disable-line', targetLine: 1, reason: 'guarded' });
  });

  it('targets the line after the end of a multi-line block comment', () => {
    const text = ['/*', ' * stream-doctor-disable-next-line stream-never-ended -- the framework', ' * ends the stream for us', ' */', 'return;'].join('\n');
    // JSDoc style: the leading "*" of continuation lines is ignored.
    expect(parseDirectives(text).directives).toEqual([
      { kind: 'disable-next-line', line: 1, targetLine: 5, rules: ['stream-never-ended'], reason: 'the framework ends the stream for us' },
    ]);
    const direct = ['/* stream-doctor-disable-next-line stream-never-ended -- the framework', '   ends the stream for us */', 'return;'].join('\n');
    expect(parseDirectives(direct).directives).toEqual([
      { kind: 'disable-next-line', line: 1, targetLine: 3, rules: ['stream-never-ended'], reason: 'the framework ends the stream for us' },
    ]);
  });

  it('does not accept a directive without a reason, and reports it', () => {
    const text = [
      '// stream-doctor-disable-next-line stream-never-ended',
      'return;',
      '// stream-doctor-disable-line write-after-end --',
      '// stream-doctor-disable-next-line -- no rule named',
      '// stream-doctor-disable stream-never-ended -- whole file?',
    ].join('\n');
    const { directives, problems } = parseDirectives(text);
    expect(directives).toEqual([]);
    expect(problems).toEqual([
      { line: 1, message: 'stream-doctor-disable-next-line stream-never-ended has no reason and suppresses nothing: add " -- <why this is acceptable>"' },
      { line: 3, message: 'stream-doctor-disable-line write-after-end has no reason and suppresses nothing: add " -- <why this is acceptable>"' },
      { line: 4, message: 'stream-doctor-disable-next-line names no rule: list the rule ids to disable, then " -- <reason>"' },
      { line: 5, message: 'unknown directive "stream-doctor-disable": use stream-doctor-disable-next-line or stream-doctor-disable-line' },
    ]);
  });

  it('ignores directives quoted in strings, templates and regular expressions', () => {
    const text = [
      "const a = '// stream-doctor-disable-next-line x -- y';",
      'const b = "/* stream-doctor-disable-line x -- y */";',
      'const c = `${a} // stream-doctor-disable-line x -- y ${`nested // stream-doctor-disable-line x -- y`}`;',
      'const d = /\\/\\/ stream-doctor-disable-line x -- y/;',
      'const e = a / 2; // stream-doctor-disable-line real-rule -- real reason',
      'const f = `${{ k: 1 }.k}`; // stream-doctor-disable-line other-rule -- after a template with braces',
    ].join('\n');
    expect(parseDirectives(text).directives.map((d) => [d.line, d.rules[0]])).toEqual([
      [5, 'real-rule'],
      [6, 'other-rule'],
    ]);
  });

  it('handles CRLF line endings', () => {
    const text = '// stream-doctor-disable-next-line a -- why\r\nreturn;\r\n';
    expect(parseDirectives(text).directives).toEqual([{ kind: 'disable-next-line', line: 1, targetLine: 2, rules: ['a'], reason: 'why' }]);
  });

  it('reads # comments in YAML and similar files', () => {
    const yaml = ['Resources:', '  # stream-doctor-disable-next-line buffered-url -- streamed through CloudFront instead', '  Url:', "    Note: 'a # stream-doctor-disable-line x -- y'"].join('\n');
    expect(parseDirectives(yaml, { commentStyle: 'hash' }).directives).toEqual([
      { kind: 'disable-next-line', line: 2, targetLine: 3, rules: ['buffered-url'], reason: 'streamed through CloudFront instead' },
    ]);
    expect(commentStyleFor('template.yaml')).toBe('hash');
    expect(commentStyleFor('infra/main.tf')).toBe('hash');
    expect(commentStyleFor('Dockerfile')).toBe('hash');
    expect(commentStyleFor('src/handler.ts')).toBe('js');
    expect(commentStyleFor('package.json')).toBe('none');
    expect(parseDirectives('{"// stream-doctor-disable-line x -- y": 1}', { commentStyle: 'none' }).directives).toEqual([]);
  });
});

describe('applySuppressions', () => {
  const text = [
    'export const handler = streamifyResponse(async (event, stream) => {', // 1
    '  // stream-doctor-disable-next-line stream-never-ended -- the caller ends it', // 2
    '  return;', // 3
    '  stream.end(); stream.write(x); // stream-doctor-disable-line write-after-end, metadata-after-write -- dead code', // 4
    '  // stream-doctor-disable-next-line unawaited-stream-pump', // 5
    '  pump(stream);', // 6
    '});', // 7
  ].join('\n');
  const files: Record<string, string> = { 'src/handler.ts': text, 'src/other.ts': '// stream-doctor-disable-next-line stream-never-ended -- stale\nok();\n' };
  const textByFile = (file: string) => files[file];

  it('suppresses by next-line and by line, with the reason as justification', () => {
    const findings = [
      finding({ line: 3 }),
      finding({ line: 4, ruleId: 'write-after-end' }),
      finding({ line: 4, ruleId: 'stream-never-ended' }),
      finding({ line: 6, ruleId: 'unawaited-stream-pump' }),
      finding({ line: 2 }),
    ];
    const { kept, suppressed, unusedDirectives, problems } = applySuppressions(findings, textByFile);
    expect(suppressed).toEqual([
      { ...findings[0], suppressed: { kind: 'inSource', justification: 'the caller ends it' } },
      { ...findings[1], suppressed: { kind: 'inSource', justification: 'dead code' } },
    ]);
    // A next-line directive does not cover its own line; disable-line covers only the rules it names;
    // a directive without a reason covers nothing.
    expect(kept).toEqual([findings[2], findings[3], findings[4]]);
    expect(unusedDirectives).toEqual([{ file: 'src/handler.ts', line: 4, rule: 'metadata-after-write' }]);
    expect(problems).toEqual([
      {
        file: 'src/handler.ts',
        line: 5,
        message: 'stream-doctor-disable-next-line unawaited-stream-pump has no reason and suppresses nothing: add " -- <why this is acceptable>"',
      },
    ]);
    expect(findings[0]!.suppressed).toBeUndefined();
  });

  it('reports unused directives in extra files, and keeps findings of files without text', () => {
    const lost = finding({ file: 'src/gone.ts', line: 3 });
    const { kept, unusedDirectives } = applySuppressions([lost], textByFile, { files: ['src/other.ts'] });
    expect(kept).toEqual([lost]);
    expect(unusedDirectives).toEqual([{ file: 'src/other.ts', line: 1, rule: 'stream-never-ended' }]);
  });
});
