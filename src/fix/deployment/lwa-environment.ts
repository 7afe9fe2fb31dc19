/**
 * Sets `AWS_LWA_INVOKE_MODE=response_stream` for a function running the Lambda Web Adapter: the written value
 * is replaced where it is (a template's `Environment.Variables`, serverless `environment`, Terraform
 * `variables` / `environment_variables`, a CDK or SST `environment` literal or `addEnvironment` call, a
 * Dockerfile `ENV`); a missing variable is added where the adapter is installed: the Dockerfile (an `ENV` line
 * after the adapter's `COPY`) or the function's own environment in the infrastructure code (created when the
 * function has none). A value set for every function (SAM Globals, serverless provider) is overridden in the
 * function's own environment rather than changed for all.
 */
import { createRequire } from 'node:module';
import type * as DockerfileAst from 'dockerfile-ast';
import type { Deployment, Located } from '../../model/deployment.js';
import type { YamlMap } from '../../iac/cloudformation.js';
import type { Node } from '../../code/ast.js';
import { propertyKey, unwrap, walk } from '../../code/ast.js';
import type { TextEdit } from '../../model/fix.js';
import { insertProperty, nodesAt, parseSource, quoted } from '../ast-support.js';
import { indentationAt, newlineOf } from '../text.js';
import type { WebAdapterMode } from '../../iac/deployment-support.js';
import { type DeploymentEdit, type DeploymentFixContext, CDK_OUT, formatOf } from './types.js';
import { Unsafe, addPair, asMap, nodeAt, ownValue, pairOf, readYaml, replaceScalar, type YamlFile, type YamlValue } from './yaml-text.js';
import { allBlocks, attributeOf, blocksOf } from '../../iac/hcl-scan.js';
import { HCL_STEP, addObjectEntry, blockAtLine, insertBlock, literalString, objectOf, readHcl, setAttribute } from './hcl-text.js';
import { offsetOf, propertyOf, replaceString } from './ts-text.js';

const KEY = 'AWS_LWA_INVOKE_MODE';
const VALUE = 'response_stream';
const TITLE = `set ${KEY}=${VALUE} (the web adapter streams)`;

const require = createRequire(import.meta.url);

/** `target` is the adapter and its AWS_LWA_INVOKE_MODE as the rule read them (the variable may be missing). */
export function setLwaInvokeMode(context: DeploymentFixContext, target: WebAdapterMode): DeploymentEdit {
  const d = context.detail.deployment;
  const { adapter, variable: located } = target;
  // Written somewhere: there, unless it is a default for every function (then the function's own environment).
  const shared = located && /^(Globals\.|provider\.)/.test(located.at.path ?? '');
  const file = located && !shared ? located.at.file : shared ? d.at.file : adapter.at.file;
  const text = context.read(file);
  if (text === null) throw new Unsafe(`${file} cannot be read`);
  const field = located && !shared ? located : undefined;
  switch (formatOf(file, text)) {
    case 'cdk-out':
      throw new Unsafe(CDK_OUT);
    case 'yaml':
    case 'serverless':
      return { title: TITLE, file, edits: [yamlEnvironment(file, text, d, field)] };
    case 'terraform':
      return { title: TITLE, file, edits: [terraformEnvironment(text, d, field)] };
    case 'typescript':
      return { title: TITLE, file, edits: scriptEnvironment(file, text, d, field) };
    case 'dockerfile':
      return { title: field ? TITLE : `add ENV ${KEY}=${VALUE} after the web adapter`, file, edits: [dockerfileEnvironment(text, adapter, field)] };
    default:
      throw new Unsafe(`${file} is not a format the fixer edits`);
  }
}

function yamlEnvironment(file: string, text: string, d: Deployment, field: Located<string> | undefined): TextEdit {
  const yaml = readYaml(file, text);
  const value = yaml.json ? JSON.stringify(VALUE) : VALUE;
  if (field) {
    const path = field.at.path ?? '';
    if (path.startsWith('Parameters.')) throw new Unsafe(`${KEY} comes from the Default of template parameter ${path.split('.')[1]}, which other places may use`);
    if (!path.endsWith(`.${KEY}`)) throw new Unsafe(`${KEY} is not written in an environment map`);
    const found = nodeAt(yaml.root, path);
    if (!found?.pair || !ownValue(found.pair)) throw new Unsafe(`${KEY} is an alias`);
    return replaceScalar(yaml, found.node, VALUE);
  }
  const fn = d.at.path ? asMap(nodeAt(yaml.root, d.at.path)?.node) : undefined;
  if (!fn) throw new Unsafe('the function definition was not found');
  if (d.source === 'serverless') return addVariable(yaml, fn, ['environment'], value);
  const properties = asMap(pairOf(fn, 'Properties')?.value);
  if (!properties) throw new Unsafe('the function has no Properties mapping');
  return addVariable(yaml, properties, ['Environment', 'Variables'], value);
}

/** Adds KEY under the nested maps `path` of `map`, creating the ones that are missing. */
function addVariable(yaml: YamlFile, map: YamlMap, path: string[], value: string): TextEdit {
  let current = map;
  for (let k = 0; k < path.length; k++) {
    const pair = pairOf(current, path[k]);
    if (!pair) {
      let nested: YamlValue = [[KEY, value]];
      for (let j = path.length - 1; j > k; j--) nested = [[path[j], nested]];
      return addPair(yaml, current, path[k], nested);
    }
    const next = asMap(pair.value);
    if (!next || !ownValue(pair)) throw new Unsafe(`${path[k]} is an expression or an alias`);
    current = next;
  }
  return addPair(yaml, current, KEY, value);
}

function terraformEnvironment(text: string, d: Deployment, field: Located<string> | undefined): TextEdit {
  const body = readHcl(text);
  const value = JSON.stringify(VALUE);
  if (field) {
    const offset = offsetOf(text, field.at);
    for (const block of allBlocks(body)) {
      for (const attr of block.body) {
        if (attr.kind !== 'attr' || (attr.name !== 'variables' && attr.name !== 'environment_variables') || attr.expr.kind !== 'object') continue;
        const entry = objectOf(text, attr.expr, attr.name).entries.find((e) => e.start === offset);
        if (!entry) continue;
        if (literalString(text, entry.value) === null) throw new Unsafe(`${KEY} is an expression (${text.slice(entry.value.start, entry.value.end)})`);
        return { start: entry.value.start, end: entry.value.end, text: value };
      }
    }
    throw new Unsafe(`${KEY} is not written in a variables map (a variable or local holds it)`);
  }
  const block = blockAtLine(text, body, d.at.line);
  if (!block) throw new Unsafe('the function block was not found');
  if (block.type === 'module') {
    const attr = attributeOf(block.body, 'environment_variables');
    if (!attr) return setAttribute(text, block, 'environment_variables', `{ ${KEY} = ${value} }`);
    return addObjectEntry(text, objectOf(text, attr.expr, 'environment_variables'), KEY, value);
  }
  if (block.body.some((e) => e.kind === 'block' && e.type === 'dynamic' && e.labels[0] === 'environment')) throw new Unsafe('the environment is a dynamic block');
  const environment = blocksOf(block.body, 'environment')[0];
  if (!environment) {
    return insertBlock(text, block, ['environment {', `${HCL_STEP}variables = {`, `${HCL_STEP}${HCL_STEP}${KEY} = ${value}`, `${HCL_STEP}}`, '}']);
  }
  const variables = attributeOf(environment.body, 'variables');
  if (!variables) return setAttribute(text, environment, 'variables', `{ ${KEY} = ${value} }`);
  return addObjectEntry(text, objectOf(text, variables.expr, 'variables'), KEY, value);
}

function scriptEnvironment(file: string, text: string, d: Deployment, field: Located<string> | undefined): TextEdit[] {
  const source = parseSource(file, text);
  const program = source.program;
  if (field) {
    const offset = offsetOf(text, field.at);
    const value = nodesAt(program, offset).find((n) => n.type === 'Literal' || n.type === 'TemplateLiteral');
    if (!value || !writtenAsVariable(program, value)) throw new Unsafe(`${KEY} is not written as a literal in the function's environment`);
    return [replaceString(text, value, VALUE)];
  }
  const construct = nodesAt(program, offsetOf(text, d.at)).find((n) => n.type === 'NewExpression');
  const props = unwrap(construct?.arguments?.[d.source === 'sst' ? 1 : 2]);
  if (props?.type !== 'ObjectExpression') throw new Unsafe('the function properties are not an object literal');
  const entry = `${KEY}: ${quoted(source, VALUE)}`;
  const environment = propertyOf(props, 'environment');
  if (!environment) return insertProperty(source, props, `environment: { ${entry} }`);
  const object = unwrap(environment.value);
  if (object?.type !== 'ObjectExpression') throw new Unsafe('environment is not an object literal here');
  return insertProperty(source, object, entry);
}

/** The literal is the value of `AWS_LWA_INVOKE_MODE: ...` in an object, or of `addEnvironment('AWS_LWA_INVOKE_MODE', ...)`. */
function writtenAsVariable(program: Node, value: Node): boolean {
  let ok = false;
  walk(program, (node) => {
    if (ok || node.end < value.start || node.start > value.end) return false;
    if (node.type === 'Property' && unwrap(node.value) === value && propertyKey(node) === KEY) ok = true;
    if (node.type === 'CallExpression' && node.arguments[1] && unwrap(node.arguments[1]) === value && unwrap(node.arguments[0])?.value === KEY) ok = true;
    return true;
  });
  return ok;
}

function dockerfileEnvironment(text: string, adapter: Located<string>, field: Located<string> | undefined): TextEdit {
  const ast = require('dockerfile-ast') as typeof DockerfileAst;
  const dockerfile = ast.DockerfileParser.parse(text);
  const offsetAt = (pos: { line: number; character: number }) => offsetOf(text, { file: '', line: pos.line + 1, column: pos.character + 1 });
  if (field) {
    const offset = offsetOf(text, field.at);
    for (const instruction of dockerfile.getInstructions()) {
      if (instruction.getKeyword() !== 'ENV') continue;
      for (const property of (instruction as DockerfileAst.Env).getProperties()) {
        if (property.getName() !== KEY || offsetAt(property.getNameRange().start) !== offset) continue;
        const range = property.getValueRange();
        if (!range) throw new Unsafe(`${KEY} has no value`);
        const start = offsetAt(range.start);
        const end = offsetAt(range.end);
        const raw = text.slice(start, end);
        if (/[$\\\n]/.test(raw)) throw new Unsafe(`${KEY} is built from variables or continued lines`);
        return { start, end, text: VALUE };
      }
    }
    throw new Unsafe(`the ENV ${KEY} line was not found`);
  }
  const copy = dockerfile.getInstructions().find((i) => (i.getKeyword() === 'COPY' || i.getKeyword() === 'ADD') && i.getRange().start.line + 1 === adapter.at.line);
  if (!copy) throw new Unsafe('the adapter COPY line was not found');
  const end = offsetAt(copy.getRange().end);
  const indent = indentationAt(text, offsetAt(copy.getRange().start));
  return { start: end, end, text: `${newlineOf(text)}${indent}ENV ${KEY}=${VALUE}` };
}
