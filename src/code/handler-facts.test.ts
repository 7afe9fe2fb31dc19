/**
 * The join between a deployment and its handler: facts of small handler modules written to a temporary
 * project (the module, the app it wraps, the helpers it imports).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handlerFactsFor, withoutComments } from './handler-facts.js';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Writes the files into a fresh project and returns the facts of `entry`'s `exportName`. */
function factsOf(files: Record<string, string>, entry: string, exportName = 'handler') {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sd-handler-facts-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return handlerFactsFor(root, path.join(root, entry), exportName);
}

describe('a module that does not parse', () => {
  it('is read as text: a streamified export still streams, with how saying the module does not parse', () => {
    const facts = factsOf(
      {
        'src/index.js': [
          'exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {',
          '  const body = { top_p: 1 anthropic_version: "x" };',
          '  responseStream.end();',
          '});',
        ].join('\n'),
      },
      'src/index.js',
    );
    expect(facts?.streaming).toEqual({ how: 'awslambda.streamifyResponse (read as text: the module does not parse)', line: 1 });
    expect(facts?.bufferedAdapter).toBeNull();
    expect(facts?.callbackStyle).toBeNull();
  });

  it('a commented-out streamifyResponse is not streaming', () => {
    const facts = factsOf({ 'index.js': '// export const handler = awslambda.streamifyResponse(h);\nexport const handler = async (event) => { return {;\n' }, 'index.js');
    expect(facts?.streaming).toBeNull();
  });
});

describe('withoutComments', () => {
  it('blanks line and block comments, keeps strings, offsets and line breaks', () => {
    const text = "const a = '//not'; // gone\n/* gone\n too */ const b = \"/* kept */\";";
    const out = withoutComments(text);
    expect(out).toHaveLength(text.length);
    expect(out.split('\n')).toHaveLength(3);
    expect(out).toContain("'//not'");
    expect(out).toContain('"/* kept */"');
    expect(out).not.toContain('gone');
  });
});
