/**
 * duplicate-cors: the Function URL and the app both send CORS headers. The fix keeps the app's: a CORS
 * middleware carries the origin policy and answers preflight requests itself, so the URL's configuration is
 * removed (SAM/CloudFormation `Cors`, serverless `url.cors`, Terraform `cors {}` / the module's `cors`, CDK
 * `cors`) or turned off where it is on by default (SST `cors: false`). When the app only sets
 * Access-Control-Allow-Origin by hand, it may not answer preflights the URL answers today: which side keeps
 * CORS is then the author's call, and the fixer suggests instead.
 */
import { unwrap } from '../../code/ast.js';
import { type CorsSides, duplicateCors } from '../../checks/deployment/duplicate-cors.js';
import type { TextEdit } from '../../model/fix.js';
import { insertProperty, parseSource, removeProperty } from '../ast-support.js';
import { attempt } from './attempt.js';
import { allBlocks } from '../../iac/hcl-scan.js';
import { blockAtLine, readHcl, removeEntry } from './hcl-text.js';
import { offsetOf, propertyAt } from './ts-text.js';
import { type DeploymentEdit, type DeploymentFixContext, CDK_OUT, defineDeploymentFixer, formatOf } from './types.js';
import { Unsafe, nodeAt, readYaml, removePair, replaceValue } from './yaml-text.js';

export const duplicateCorsFixer = defineDeploymentFixer(duplicateCors, (problem, context) => attempt(() => removeUrlCors(context, problem.payload)));

function removeUrlCors(context: DeploymentFixContext, { url, app }: CorsSides): DeploymentEdit {
  const d = context.detail.deployment;
  if (!/middleware$/.test(app.how)) {
    throw new Unsafe(
      `the app sets Access-Control-Allow-Origin by hand (${app.file}:${app.line}) and may not answer preflight requests the URL answers today: choose which side keeps CORS`,
    );
  }
  const cors = url.field;
  // SST turns URL CORS on when no cors option is written (its reader writes that default out, so this is rare)
  if (!cors) throw new Unsafe('the URL CORS is on by default and not written in the source');
  const file = cors.at.file;
  const text = context.read(file);
  if (text === null) throw new Unsafe(`${file} cannot be read`);
  const title = `remove the Function URL's CORS configuration (${app.how} in ${app.file} answers CORS)`;
  switch (formatOf(file, text)) {
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
      const body = readHcl(text);
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
      return { title: d.source === 'sst' ? 'set the Function URL\'s cors: false (the app answers CORS)' : title, file, edits: d.source === 'sst' ? sstCorsOff(file, text, offsetOf(text, cors.at)) : [cdkCorsRemoved(file, text, offsetOf(text, cors.at))] };
    default:
      throw new Unsafe(`${file} is not a format the fixer edits`);
  }
}

function cdkCorsRemoved(file: string, text: string, offset: number): TextEdit {
  const source = parseSource(file, text);
  const found = propertyAt(source.program, offset, 'cors');
  if (!found) throw new Unsafe('cors is not written in the URL options');
  return removeProperty(source, found.object, found.property);
}

/** SST turns URL CORS on by default: `cors: false`, set or added. */
function sstCorsOff(file: string, text: string, offset: number): TextEdit[] {
  const source = parseSource(file, text);
  const explicit = propertyAt(source.program, offset, 'cors');
  if (explicit) return [{ start: explicit.property.value.start, end: explicit.property.value.end, text: 'false' }];
  const url = propertyAt(source.program, offset, 'url', true);
  const value = unwrap(url?.property.value);
  if (!url || !value) throw new Unsafe('the url option was not found');
  if (value.type === 'Literal' && value.value === true) return [{ start: value.start, end: value.end, text: '{ cors: false }' }];
  if (value.type === 'ObjectExpression') return insertProperty(source, value, 'cors: false');
  throw new Unsafe('the url option is an expression');
}
