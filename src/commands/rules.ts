import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allRuleMetas, ruleMetaById } from '../checks/index.js';
import { UsageError } from './errors.js';

/** `stream-doctor rules`: one line per rule, or JSON. */
export function listRules(format: 'text' | 'json'): string {
  const metas = allRuleMetas();
  if (format === 'json') return `${JSON.stringify(metas.map(({ triggers: _t, ...meta }) => meta), null, 2)}\n`;
  const width = Math.max(...metas.map((m) => m.id.length));
  const lines = metas.map(
    (m) => `${m.id.padEnd(width)}  ${m.severity.padEnd(7)}  ${m.category.padEnd(9)}  ${m.fixable ? 'fix ' : '    '}  ${m.title}`,
  );
  return `${lines.join('\n')}\n\n${metas.length} rules. \`stream-doctor explain <rule>\` shows one in full.\n`;
}

/** `stream-doctor explain <rule>`: the rule's docs page, or its metadata when the page is missing. */
export function explainRule(id: string): string {
  const meta = ruleMetaById(id);
  if (!meta) throw new UsageError(`unknown rule "${id}" (see \`stream-doctor rules\`)`);
  const page = fileURLToPath(new URL(`../../docs/rules/${id}.md`, import.meta.url));
  if (existsSync(page)) return readFileSync(page, 'utf8');
  return `# ${meta.id}\n\n${meta.title}\n\nSeverity: ${meta.severity}\n\n${meta.consequence}\n\nEvidence: ${meta.evidence}\n`;
}
