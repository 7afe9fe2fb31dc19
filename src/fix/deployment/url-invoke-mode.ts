/**
 * Sets a function's URL invoke mode to RESPONSE_STREAM, in whatever format declares the URL: SAM
 * `FunctionUrlConfig.InvokeMode`, CloudFormation `AWS::Lambda::Url` `InvokeMode` (YAML or JSON), serverless
 * `url.invokeMode` (`url: true` becomes a mapping), Terraform `invoke_mode` (the function URL resource or the
 * lambda module), CDK `invokeMode: <aws-lambda>.InvokeMode.RESPONSE_STREAM`, SST `streaming: true`. A value
 * that comes from somewhere shared (a template parameter, a Terraform variable, SAM Globals used by other
 * functions, a CDK variable) is not edited: the caller gets an Unsafe with the reason.
 */
import type { Deployment, FunctionUrl, Located, SourceLocation } from '../../model/deployment.js';
import type { UrlInvokeMode } from '../../iac/deployment-support.js';
import type { Node } from '../../code/ast.js';
import { propertyName, unwrap, walk } from '../../code/ast.js';
import type { TextEdit } from '../../model/fix.js';
import { type DeploymentEdit, type DeploymentFixContext, CDK_OUT, formatOf } from './types.js';
import { type ParsedSource, insertProperty, nodesAt, parseSource } from '../ast-support.js';
import { Unsafe, addPair, asMap, nodeAt, ownValue, readYaml, replaceScalar, scalarToMapping } from './yaml-text.js';
import { allBlocks } from '../../iac/hcl-scan.js';
import { blockAtLine, literalString, readHcl, setAttribute } from './hcl-text.js';
import { hasSpread, lambdaMember, offsetOf, propertyAt, propertyOf, replaceString } from './ts-text.js';

const TITLE = 'set the Function URL invoke mode to RESPONSE_STREAM';

/** `target` is the URL and its invoke mode as the rule read them: the written value, or none (BUFFERED). */
export function setUrlInvokeMode(context: DeploymentFixContext, target: UrlInvokeMode): DeploymentEdit {
  const d = context.detail.deployment;
  const { url, field: located } = target;
  const file = (located ?? url).at.file;
  const text = context.read(file);
  if (text === null) throw new Unsafe(`${file} cannot be read`);
  switch (formatOf(file, text)) {
    case 'cdk-out':
      throw new Unsafe(CDK_OUT);
    case 'yaml':
      return { title: TITLE, file, edits: [yamlInvokeMode(file, text, d, url, located, 'InvokeMode')] };
    case 'serverless':
      return { title: TITLE, file, edits: [yamlInvokeMode(file, text, d, url, located, 'invokeMode')] };
    case 'terraform':
      return { title: TITLE, file, edits: [terraformInvokeMode(text, d, url, located)] };
    case 'typescript':
      return d.source === 'sst' ? { title: 'set streaming: true (the URL invoke mode RESPONSE_STREAM)', file, edits: sstStreaming(file, text, d, located) } : { title: TITLE, file, edits: cdkInvokeMode(file, text, url, located) };
    default:
      throw new Unsafe(`${file} is not a format the fixer edits`);
  }
}

function yamlInvokeMode(file: string, text: string, d: Deployment, url: FunctionUrl, field: Located<string> | undefined, key: string): TextEdit {
  const yaml = readYaml(file, text);
  const urlPath = url.at.path;
  if (!urlPath) throw new Unsafe('the URL has no logical path');
  if (urlPath.startsWith('Globals.')) throw new Unsafe('the URL is configured in Globals, shared by every function of the template');
  if (field) {
    const path = field.at.path ?? '';
    if (path.startsWith('Parameters.')) throw new Unsafe(`the invoke mode comes from the Default of template parameter ${path.split('.')[1]}, which other places may use`);
    // InvokeMode from Globals: the function's own FunctionUrlConfig overrides it (added below)
    if (!path.startsWith('Globals.')) {
      if (!path.endsWith(`.${key}`)) throw new Unsafe('the invoke mode is not written where the URL is');
      const found = nodeAt(yaml.root, path);
      if (!found?.pair || !ownValue(found.pair)) throw new Unsafe('the invoke mode is an alias');
      return replaceScalar(yaml, found.node, 'RESPONSE_STREAM');
    }
  }
  const found = nodeAt(yaml.root, urlPath);
  if (!found) throw new Unsafe('the URL configuration was not found');
  const value = yaml.json ? '"RESPONSE_STREAM"' : 'RESPONSE_STREAM';
  if (d.source === 'serverless') {
    if (found.node.kind === 'scalar') {
      if (!found.pair) throw new Unsafe('unexpected URL value');
      return scalarToMapping(yaml, found.pair, [[key, value]]);
    }
    const map = asMap(found.node);
    if (!map) throw new Unsafe('the URL configuration is an expression');
    return addPair(yaml, map, key, value);
  }
  // SAM FunctionUrlConfig is the map itself; an AWS::Lambda::Url resource keeps it in Properties.
  const map = asMap(urlPath.endsWith('.FunctionUrlConfig') ? found.node : nodeAt(yaml.root, `${urlPath}.Properties`)?.node);
  if (!map || (found.pair && !ownValue(found.pair))) throw new Unsafe('the URL configuration is an expression or an alias');
  return addPair(yaml, map, key, value);
}

function terraformInvokeMode(text: string, d: Deployment, url: FunctionUrl, field: Located<string> | undefined): TextEdit {
  const body = readHcl(text);
  if (field) {
    const offset = offsetOf(text, field.at);
    for (const block of allBlocks(body)) {
      const attr = block.body.find((e) => e.kind === 'attr' && e.start === offset);
      if (attr?.kind !== 'attr') continue;
      if (attr.name !== 'invoke_mode') throw new Unsafe('unexpected attribute');
      if (literalString(text, attr.expr) === null) throw new Unsafe(`invoke_mode is an expression (${text.slice(attr.expr.start, attr.expr.end)}): set the value where it is defined`);
      return { start: attr.expr.start, end: attr.expr.end, text: '"RESPONSE_STREAM"' };
    }
    throw new Unsafe('invoke_mode was not found');
  }
  const path = url.at.path ?? '';
  if (path.startsWith('aws_lambda_function_url.')) {
    const block = blockAtLine(text, body, url.at.line);
    if (!block || block.type !== 'resource') throw new Unsafe('the URL resource was not found');
    return setAttribute(text, block, 'invoke_mode', '"RESPONSE_STREAM"');
  }
  if (path.startsWith('module.')) {
    const block = blockAtLine(text, body, d.at.line);
    if (!block || block.type !== 'module') throw new Unsafe('the module block was not found');
    return setAttribute(text, block, 'invoke_mode', '"RESPONSE_STREAM"', 'create_lambda_function_url');
  }
  throw new Unsafe('the URL is not declared in a form the fixer edits');
}

/** The value (unwrapped) of the `key: value` property whose value the reader located at `at`. */
function writtenValue(source: ParsedSource, at: SourceLocation, key: string): Node | null {
  return unwrap(propertyAt(source.program, offsetOf(source.text, at), key)?.property.value);
}

function cdkInvokeMode(file: string, text: string, url: FunctionUrl, field: Located<string> | undefined): TextEdit[] {
  const source = parseSource(file, text);
  const program = source.program;
  if (field) {
    const value = writtenValue(source, field.at, 'invokeMode');
    if (!value) throw new Unsafe('the invokeMode value is not written in the URL options');
    if (value.type === 'MemberExpression' && !value.computed && propertyName(value) !== null && value.property.type === 'Identifier') {
      const owner = unwrap(value.object);
      const ownerName = owner?.type === 'Identifier' ? owner.name : owner?.type === 'MemberExpression' ? propertyName(owner) : null;
      if (ownerName !== 'InvokeMode') throw new Unsafe('the invokeMode value is not an InvokeMode member');
      return [{ start: value.property.start, end: value.property.end, text: 'RESPONSE_STREAM' }];
    }
    return [replaceString(text, value, 'RESPONSE_STREAM')];
  }
  const offset = offsetOf(text, url.at);
  let owner: Node | undefined;
  let options: Node | undefined;
  walk(program, (node) => {
    if (owner || node.end < offset || node.start > offset) return false;
    const callee = unwrap(node.callee);
    if (node.type === 'CallExpression' && callee?.type === 'MemberExpression' && callee.property?.start === offset && propertyName(callee) === 'addFunctionUrl') {
      owner = node;
      options = node.arguments[0];
    } else if (node.type === 'NewExpression' && node.start === offset) {
      owner = node;
      options = node.arguments[2];
      if (!options) throw new Unsafe('the FunctionUrl has no options object');
    }
    return true;
  });
  if (!owner) throw new Unsafe('the URL declaration was not found');
  const member = lambdaMember(source, 'InvokeMode');
  if (!member) throw new Unsafe('the file does not import aws-lambda in a way the fixer can name InvokeMode with');
  const property = `invokeMode: ${member.ref}.RESPONSE_STREAM`;
  const edits: TextEdit[] = member.importEdit ? [member.importEdit] : [];
  if (!options) {
    const open = text.indexOf('(', unwrap(owner.callee)!.end);
    const close = owner.end - 1;
    if (open < 0 || text[close] !== ')' || text.slice(open + 1, close).trim() !== '') throw new Unsafe('unexpected call');
    edits.push({ start: open + 1, end: close, text: `{ ${property} }` });
    return edits;
  }
  const object = unwrap(options);
  if (object?.type !== 'ObjectExpression') throw new Unsafe('the URL options are not an object literal at the call');
  if (hasSpread(object)) throw new Unsafe('the URL options spread another object');
  edits.push(...insertProperty(source, object, property));
  return edits;
}

function sstStreaming(file: string, text: string, d: Deployment, field: Located<string> | undefined): TextEdit[] {
  const source = parseSource(file, text);
  if (field) {
    const value = writtenValue(source, field.at, 'streaming');
    if (value?.type !== 'Literal' || value.value !== false) throw new Unsafe('streaming is not written as `false` in the function arguments');
    return [{ start: value.start, end: value.end, text: 'true' }];
  }
  const construct = nodesAt(source.program, offsetOf(text, d.at)).find((n) => n.type === 'NewExpression');
  const args = unwrap(construct?.arguments?.[1]);
  if (args?.type !== 'ObjectExpression') throw new Unsafe('the function arguments are not an object literal');
  if (propertyOf(args, 'streaming')) throw new Unsafe('streaming is already written');
  return insertProperty(source, args, 'streaming: true', propertyOf(args, 'url'));
}
