import { describe, expect, it } from 'vitest';
import { HclSyntaxError, hclToJson } from './hcl-json.js';

// The expected values are what hcl2json (the Go HCL parser this replaced) printed for the same text.
describe('hclToJson', () => {
  it('builds the hcl2json form: scalars, strings with templates kept, expressions as ${...}', () => {
    const text = [
      'locals {',
      '  neg   = -1',
      '  flt   = 1.5e3',
      '  esc   = "tab\\there \\"q\\" $${literal} %%{x} \\u00e9"',
      '  tmpl  = "a-${var.x}-b"',
      '  cond  = var.x ? "a" : "b"',
      '  splat = aws_instance.x[*].id',
      '  idx   = [1, 2][0]',
      '  multi = "x" # comment',
      '  win   = "y" /* block */',
      '  obj = {',
      '    "quoted key" = 1',
      '    bare         = "x",',
      '    (var.k)      = 2',
      '    nested       = { deep = [1, "two", true, null] }',
      '  }',
      '}',
    ].join('\n');
    expect(hclToJson('main.tf', text)).toEqual({
      locals: [
        {
          neg: -1,
          flt: 1500,
          esc: 'tab\there "q" $${literal} %%{x} é',
          tmpl: 'a-${var.x}-b',
          cond: '${var.x ? "a" : "b"}',
          splat: '${aws_instance.x[*].id}',
          idx: '${[1, 2][0]}',
          multi: 'x',
          win: 'y',
          obj: { 'quoted key': 1, bare: 'x', '${(var.k)}': 2, nested: { deep: [1, 'two', true, null] } },
        },
      ],
    });
  });

  it('reads heredocs (<<- removes the common indentation) and multi-line calls', () => {
    const text = 'locals {\n  hd = <<EOT\nhello ${var.x}\n  world\nEOT\n  hd2 = <<-EOT\n    indented\n      more\n    EOT\n  call = merge(\n    { a = 1 },\n    var.m,\n  )\n}\n';
    expect(hclToJson('main.tf', text)).toEqual({
      locals: [{ hd: 'hello ${var.x}\n  world\n', hd2: 'indented\n  more\n', call: '${merge(\n    { a = 1 },\n    var.m,\n  )}' }],
    });
  });

  it('nests blocks under their type and labels, in lists, repeated addresses appended', () => {
    const text =
      'resource "a" "b" {\n  dynamic "setting" {\n    for_each = var.s\n    content {\n      name = setting.value\n    }\n  }\n  lifecycle { ignore_changes = [tags] }\n}\nresource "a" "b" {\n  x = 1\n}\n';
    expect(hclToJson('main.tf', text)).toEqual({
      resource: {
        a: {
          b: [
            { dynamic: { setting: [{ for_each: '${var.s}', content: [{ name: '${setting.value}' }] }] }, lifecycle: [{ ignore_changes: ['${tags}'] }] },
            { x: 1 },
          ],
        },
      },
    });
  });

  it('rejects a missing value with the position hcl2json gave, unterminated strings and unclosed blocks', () => {
    const error = (text: string) => {
      try {
        hclToJson('dir/main.tf', text);
      } catch (e) {
        expect(e).toBeInstanceOf(HclSyntaxError);
        return (e as Error).message;
      }
      return null;
    };
    expect(error('resource "a" "b" {\n  timeout =\n}\n')).toBe(
      'main.tf:2,12-3,1: Invalid expression; Expected the start of an expression, but found an invalid expression token.',
    );
    expect(error('resource "a" "b" {\n  x = "unterminated\n}\n')).toBe('main.tf:2,7-2,8: Unterminated template string; No closing marker was found for the string.');
    expect(error('resource "a" "b" {\n  x = 1\n')).toBe('main.tf:3,1: a block is not closed');
    expect(error('resource "a" "b" {\n  y = foo(\n}\n')).toBe('main.tf:3,1: unbalanced brackets');
  });

  it('keeps an expression hcl2json refused (two values on one line) as written: the reader reports it unresolved', () => {
    expect(hclToJson('main.tf', 'x = 1 2\n')).toEqual({ x: '${1 2}' });
  });
});

describe('hclToJson: line endings and a BOM', () => {
  it('reads CRLF files (a heredoc keeps its \\r, as hcl2json did) and a leading BOM', () => {
    expect(hclToJson('main.tf', 'resource "a" "b" {\r\n  x = "crlf"\r\n  y = <<EOT\r\nline\r\nEOT\r\n}\r\n')).toEqual({ resource: { a: { b: [{ x: 'crlf', y: 'line\r\n' }] } } });
    expect(hclToJson('main.tf', '\uFEFFvariable "v" {\n  default = 3\n}\n')).toEqual({ variable: { v: [{ default: 3 }] } });
  });
});
