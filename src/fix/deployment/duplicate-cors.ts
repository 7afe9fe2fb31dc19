/**
 * duplicate-cors: the Function URL and the app both send CORS headers. The fix keeps the app's: a CORS
 * middleware carries the origin policy and answers preflight requests itself, so the URL's configuration is
 * removed (SAM/CloudFormation `Cors`, serverless `url.cors`, Terraform `cors {}` / the module's `cors`, CDK
 * `cors`) or turned off where it is on by default (SST `cors: false`). When the app only sets
 * Access-Control-Allow-Origin by hand, it may not answer preflights the URL answers today: which side keeps
 * CORS is then the author's call, and the fixer suggests instead.
 */
import type { Node } from '../../code/ast.js';
import { propertyKey, unwrap, walk } from '../../code/ast.js';
import { isResolved } from '../../model/deployment.js';
import type { TextEdit } from '../../model/fix.js';
import { attempt } from './attempt.js';
import { allBlocks, blockAtLine, parseBody, removeEntry } from './hcl-text.js';
import { insertProperty, offsetOf, parseProgram, removeProperty } from './ts-text.js';
import { type DeploymentEdit, type DeploymentFixContext, type DeploymentFixer, CDK_OUT, formatOf } from './types.js';
import { Unsafe, nodeAt, readYaml, removePair, replaceValue } from './yaml-text.js';

export const duplicateCorsFixer: DeploymentFixer = {
  ruleId: 'duplicate-cors',
  fix: (context) => attempt(() => removeUrlCors(context)),
};

function removeUrlCors(context: DeploymentFixContext): DeploymentEdit {
  const { deployment: d, handler } = context.detail;
  if (!handler?.cors) throw new Unsafe('the app\'s CORS was not found');
  if (!/middleware$/.test(handler.cors.how)) {
    throw new Unsafe(
      `the app sets Access-Control-Allow-Origin by hand (${handler.cors.file}:${handler.cors.line}) and may not answer preflight requests the URL answers today: choose which side keeps CORS`,
    );
  }
  const cors = d.url?.cors;
  if (!cors || !isResolved(cors)) throw new Unsafe('the URL CORS configuration is an expression');
  const file = cors.at.file;
  const text = context.read(file);
  if (text === null) throw new Unsafe(`${file} cannot be read`);
  const title = `remove the Function URL's CORS configuration (${handler.cors.how} in ${handler.cors.file} answers CORS)`;
  switch (formatOf(file)) {
    case 'cdk-out':
      throw new Unsafe(CDK_OUT);
    case 'yaml':
    case 'serverless': {
      const path = cors.at.path ?? '';
      if (path.startsWith('Globals.')) throw new Unsafe('the URL CORS is configured in Globals, shared by every function of the template');
      const yaml = readYaml(file, text);
      const found = nodeAt(yaml.root, path);
      if (!found?.pair) throw new Unsafe('the CORS configuration was not found');
      // serverless `url: { cors: ... }` alone: `cors: false` keeps the URL (an empty `url:` would drop it)
      if (d.source === 'serverless' && found.pair.map.pairs.length === 1) return { title, file, edits: [replaceValue(yaml, found.pair, 'false')] };
      return { title, file, edits: [removePair(yaml, found.pair)] };
    }
    case 'terraform': {
      const body = parseBody(text, 0).entries;
      const offset = offsetOf(text, cors.at);
      const block = blockAtLine(text, body, cors.at.line);
      if (block?.type === 'cors' && block.labels.length === 0) return { title, file, edits: [removeEntry(text, block)] };
      for (const parent of allBlocks(body)) {
        const attr = parent.body.find((e) => e.kind === 'attr' && e.name === 'cors' && e.start === offset);
        if (attr) return { title, file, edits: [removeEntry(text, attr)] };
      }
      throw new Unsafe('the cors block was not found');
    }
    case 'typescript':
      return { title: d.source === 'sst' ? 'set the Function URL\'s cors: false (the app answers CORS)' : title, file, edits: [d.source === 'sst' ? sstCorsOff(file, text, offsetOf(text, cors.at)) : cdkCorsRemoved(file, text, offsetOf(text, cors.at))] };
    default:
      throw new Unsafe(`${file} is not a format the fixer edits`);
  }
}

/** The object literal and property `key` whose value (or, with `atKey`, key) starts at `offset`. */
function propertyAt(program: Node, offset: number, key: string, atKey = false): { object: Node; property: Node } | undefined {
  let found: { object: Node; property: Node } | undefined;
  walk(program, (node) => {
    if (found || node.end < offset || node.start > offset) return false;
    if (node.type === 'ObjectExpression') {
      for (const p of node.properties as Node[]) {
        if (p.type === 'Property' && propertyKey(p) === key && (atKey ? p.key.start : p.value.start) === offset) found = { object: node, property: p };
      }
    }
    return true;
  });
  return found;
}

function cdkCorsRemoved(file: string, text: string, offset: number): TextEdit {
  const found = propertyAt(parseProgram(file, text), offset, 'cors');
  if (!found) throw new Unsafe('cors is not written in the URL options');
  return removeProperty(text, found.object, found.property);
}

/** SST turns URL CORS on by default: `cors: false`, set or added. */
function sstCorsOff(file: string, text: string, offset: number): TextEdit {
  const program = parseProgram(file, text);
  const explicit = propertyAt(program, offset, 'cors');
  if (explicit) return { start: explicit.property.value.start, end: explicit.property.value.end, text: 'false' };
  const url = propertyAt(program, offset, 'url', true);
  const value = unwrap(url?.property.value);
  if (!url || !value) throw new Unsafe('the url option was not found');
  if (value.type === 'Literal' && value.value === true) return { start: value.start, end: value.end, text: '{ cors: false }' };
  if (value.type === 'ObjectExpression') return insertProperty(text, value, 'cors: false');
  throw new Unsafe('the url option is an expression');
}
