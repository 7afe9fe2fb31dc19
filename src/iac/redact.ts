/**
 * Code frames of infrastructure files must not show environment variable values (secrets live there:
 * database URLs, API keys). Every `UPPER_CASE_NAME` assignment in YAML, JSON, HCL, TypeScript object
 * literals and Dockerfile ENV lines has its value masked, except the streaming settings readers keep
 * (STREAMING_ENV_KEYS). Lines stay in place, so finding positions still match.
 */
import { STREAMING_ENV_KEYS } from './locate.js';

const MASK = '«redacted»';
const NAME = '[A-Z][A-Z0-9_]*';

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
  // Dockerfile: ENV A=1 B="2"  /  ENV A value
  const env = /^(\s*ENV\s+)(.*)$/i.exec(line);
  if (env) {
    const rest = env[2];
    if (new RegExp(`^${NAME}\\s+[^=\\s]`).test(rest) && !rest.includes('=')) {
      const [, name] = new RegExp(`^(${NAME})`).exec(rest)!;
      return keep(name) ? line : `${env[1]}${name} ${MASK}`;
    }
    return env[1] + rest.replace(new RegExp(`(${NAME})=("[^"]*"|'[^']*'|\\S+)`, 'g'), (m, name: string) => (keep(name) ? m : `${name}=${MASK}`));
  }
  // JSON / TS / HCL quoted values: "NAME": "v", NAME: 'v', NAME = "v"
  let out = line.replace(
    new RegExp(`(["']?)(${NAME})\\1(\\s*[:=]\\s*)("(?:[^"\\\\]|\\\\.)*"|'(?:[^'\\\\]|\\\\.)*'|\`[^\`]*\`)`, 'g'),
    (m, q: string, name: string, sep: string) => (keep(name) || name.length < 2 ? m : `${q}${name}${q}${sep}"${MASK}"`),
  );
  // YAML: NAME: value (unquoted, to the end of the line)
  out = out.replace(new RegExp(`^(\\s*-?\\s*)(${NAME})(\\s*:\\s+)([^"'\\s#{\\[][^#]*)$`), (m, lead: string, name: string, sep: string) =>
    keep(name) || name.length < 2 ? m : `${lead}${name}${sep}${MASK}`,
  );
  return out;
}
