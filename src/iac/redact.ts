/**
 * Code frames of infrastructure files must not show environment variable values (secrets live there:
 * database URLs, API keys). Every `UPPER_CASE_NAME` assignment in YAML, JSON, HCL, TypeScript object
 * literals and Dockerfile ENV lines has its value masked, except the streaming settings readers keep
 * (STREAMING_ENV_KEYS). Lines stay in place, so finding positions still match.
 */
import { STREAMING_ENV_KEYS } from './locate.js';

const MASK = '«redacted»';
const NAME = '[A-Z][A-Z0-9_]*';

// Compiled once: a 1,600-line template is redacted line by line.
/** Dockerfile: ENV A=1 B="2"  /  ENV A value */
const DOCKER_ENV = /^(\s*ENV\s+)(.*)$/i;
const DOCKER_ENV_SPACE_FORM = new RegExp(`^(${NAME})\\s+[^=\\s]`);
const DOCKER_ENV_PAIR = new RegExp(`(${NAME})=("[^"]*"|'[^']*'|\\S+)`, 'g');
/** JSON / TS / HCL quoted values: "NAME": "v", NAME: 'v', NAME = "v" */
const QUOTED = new RegExp(`(["']?)(${NAME})\\1(\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|\`[^\`]*\`)`, 'g');
/** YAML: NAME: value (unquoted, to the end of the line) */
const YAML_PLAIN = new RegExp(`^(\\s*-?\\s*)(${NAME})(\\s*:\\s+)([^"'\\s#{\\[][^#]*)$`);
/** Every masked form needs an upper-case letter followed by `=`, `:` or whitespace somewhere on the line. */
const MAYBE = /[A-Z][A-Z0-9_]*["']?\s*[:=\s]/;

export function redactEnvironmentValues(text: string): string {
  return text
    .split('\n')
    .map((line) => redactLine(line))
    .join('\n');
}

function keep(name: string): boolean {
  return STREAMING_ENV_KEYS.has(name);
}

function redactLine(line: string): string {
  if (!MAYBE.test(line)) return line;
  const env = DOCKER_ENV.exec(line);
  if (env) {
    const rest = env[2];
    const spaceForm = DOCKER_ENV_SPACE_FORM.exec(rest);
    if (spaceForm && !rest.includes('=')) {
      const name = spaceForm[1];
      return keep(name) ? line : `${env[1]}${name} ${MASK}`;
    }
    return env[1] + rest.replace(DOCKER_ENV_PAIR, (m, name: string) => (keep(name) ? m : `${name}=${MASK}`));
  }
  let out = line.replace(QUOTED, (m, q: string, name: string, sep: string) => (keep(name) || name.length < 2 ? m : `${q}${name}${q}${sep}"${MASK}"`));
  out = out.replace(YAML_PLAIN, (m, lead: string, name: string, sep: string) => (keep(name) || name.length < 2 ? m : `${lead}${name}${sep}${MASK}`));
  return out;
}
