import { describe, expect, it } from 'vitest';
import { embeddedModules } from './embedded-code.js';

const HANDLER = ['export const handler = awslambda.streamifyResponse(async (event, responseStream) => {', '  responseStream.end(`$${event.rawPath}`);', '});'];

describe('embeddedModules', () => {
  it('reads a Terraform heredoc at its own lines, with $${ as the runtime receives it', () => {
    const tf = ['data "archive_file" "fn" {', '  source {', '    content  = <<EOF', ...HANDLER, 'EOF', '    filename = "index.mjs"', '  }', '}'].join('\n');
    const [module] = embeddedModules('main.tf', tf);
    expect(module!.line).toBe(4);
    const lines = module!.text.split('\n');
    expect(lines.slice(0, 3)).toEqual(['', '', '']);
    expect(lines[3]).toBe(HANDLER[0]);
    expect(lines[4]).toBe('  responseStream.end(`${event.rawPath}`);');
  });

  it('strips the indentation of an indented heredoc (<<-) and of a ZipFile block', () => {
    const tf = ['    content = <<-JS', ...HANDLER.map((l) => `      ${l}`), '    JS'].join('\n');
    expect(embeddedModules('main.tf', tf)[0]!.text.split('\n')[1]).toBe(HANDLER[0]);
    const yaml = ['Resources:', '  Fn:', '    Properties:', '      Code:', '        ZipFile: |', ...HANDLER.map((l) => `          ${l}`), '      Runtime: nodejs22.x'].join('\n');
    const [module] = embeddedModules('template.yaml', yaml);
    expect(module!.line).toBe(6);
    expect(module!.text.split('\n').slice(5, 8)).toEqual([HANDLER[0], '  responseStream.end(`$${event.rawPath}`);', '});']);
  });

  it('ignores embedded text that does not stream (Python ZipFiles, policies) and other files', () => {
    const yaml = ['Code:', '  ZipFile: |', '    def handler(event, context):', '      return {}'].join('\n');
    expect(embeddedModules('template.yaml', yaml)).toEqual([]);
    expect(embeddedModules('main.tf', 'content = <<EOF\n{"Version": "2012-10-17"}\nEOF\n')).toEqual([]);
    expect(embeddedModules('Dockerfile', HANDLER.join('\n'))).toEqual([]);
  });
});
