/**
 * `stream-doctor/eslint`: the code rules as an ESLint 9 flat-config plugin.
 *
 *   import streamDoctor from 'stream-doctor/eslint';
 *   export default [streamDoctor.configs.recommended];
 *
 * Every code rule is `stream-doctor/<id>` with the rule's own messages (same ids, same `{{placeholders}}`,
 * which ESLint fills the same way). The rules do not read ESLint's AST: the first rule to run on a file runs
 * stream-doctor's analysis (src/eslint/analysis.ts) and every rule reports its share of it. Only type imports
 * from `eslint`: it is an optional peer dependency, and this module loads the code analysis only (no
 * infrastructure readers, WASM parsers or AWS clients).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ESLint, Linter, Rule } from 'eslint';
import { codeRules } from '../checks/code/index.js';
import { handlerSyntaxError } from '../checks/code/handler-syntax-error.js';
import { codeFixersById } from '../fix/code/index.js';
import { DEFAULT_DOCS_BASE_URL, ruleDocsUrl } from '../report/markdown.js';
import { SEVERITY_RANK, type Severity } from '../model/finding.js';
import type { RuleMeta } from '../model/rule.js';
import { TOOL_VERSION } from '../version.js';
import { analysisFor } from './analysis.js';

/** The code rules the plugin exposes: every registered rule whose surface is code. */
const PLUGIN_RULES: ReadonlyArray<{ meta: RuleMeta; messages: Readonly<Record<string, string>> }> = [...codeRules, handlerSyntaxError];

export interface RuleOptions {
  /**
   * The lowest stream-doctor severity reported. A rule reports every problem at the one severity ESLint
   * gives it, so problems stream-doctor grades `info` (weaker evidence) are left out by default; rules whose
   * default severity is `info` report theirs.
   */
  minSeverity?: Severity;
}

/**
 * The rule page: on the web when package.json names the repository, else the page shipped in the package
 * (`docs/` is in `files`), as a file URL the editor opens.
 */
function docsUrl(id: string): string {
  if (DEFAULT_DOCS_BASE_URL) return ruleDocsUrl(id);
  const page = new URL(`../../docs/rules/${encodeURIComponent(id)}.md`, import.meta.url);
  return existsSync(fileURLToPath(page)) ? page.href : pathToFileURL(`docs/rules/${id}.md`).href;
}

function eslintRule(rule: (typeof PLUGIN_RULES)[number]): Rule.RuleModule {
  const { meta } = rule;
  const fixer = codeFixersById.get(meta.id);
  const defaultMin: Severity = meta.severity === 'info' ? 'info' : 'warning';
  return {
    meta: {
      type: 'problem',
      docs: { description: meta.title, url: docsUrl(meta.id), recommended: meta.severity !== 'info' },
      messages: { ...rule.messages },
      schema: [
        {
          type: 'object',
          properties: { minSeverity: { enum: ['error', 'warning', 'info'] } },
          additionalProperties: false,
        },
      ],
      ...(fixer ? { fixable: 'code' as const, hasSuggestions: true } : {}),
    },
    create(context) {
      const options = (context.options[0] ?? {}) as RuleOptions;
      const min = SEVERITY_RANK[options.minSeverity ?? defaultMin];
      return {
        Program() {
          const { sourceCode } = context;
          // `cwd` is ESLint 9's; a host without it (other linters' ESLint-compatible APIs) gets the process's.
          const analysis = analysisFor(context.filename, sourceCode.text, context.cwd ?? process.cwd());
          // A rule that threw is never a silent pass: ESLint reports a throwing rule with its id and fails the run,
          // as `scan` exits 2 on an internal error.
          const failure = analysis.failures.get(meta.id);
          if (failure !== undefined) throw new Error(`stream-doctor rule ${meta.id} failed on ${context.filename}: ${failure}`);
          for (const problem of analysis.byRule.get(meta.id) ?? []) {
            if (SEVERITY_RANK[problem.severity] < min) continue;
            const loc = { start: sourceCode.getLocFromIndex(problem.start), end: sourceCode.getLocFromIndex(problem.end) };
            const fix = problem.fix();
            const apply = (edits: NonNullable<typeof fix>['edits']) => (f: Rule.RuleFixer) => edits.map((e) => f.replaceTextRange([e.start, e.end], e.text));
            context.report({
              loc,
              messageId: problem.messageId,
              data: Object.fromEntries(Object.entries(problem.data).map(([k, v]) => [k, String(v)])),
              ...(fix?.kind === 'fix' ? { fix: apply(fix.edits) } : {}),
              ...(fix?.kind === 'suggest' ? { suggest: [{ desc: fix.title, fix: apply(fix.edits) }] } : {}),
            });
          }
        },
      };
    },
  };
}

const rules: Record<string, Rule.RuleModule> = Object.fromEntries(PLUGIN_RULES.map((rule) => [rule.meta.id, eslintRule(rule)]));

/** Errors and warnings at their stream-doctor defaults; the `info` rules are off (ESLint has no info level). */
const recommendedRules: Linter.RulesRecord = Object.fromEntries(
  PLUGIN_RULES.map(({ meta }) => [`stream-doctor/${meta.id}`, meta.severity === 'error' ? 'error' : meta.severity === 'warning' ? 'warn' : 'off']),
);

interface StreamDoctorPlugin extends ESLint.Plugin {
  meta: { name: 'stream-doctor'; version: string };
  rules: Record<string, Rule.RuleModule>;
  configs: { recommended: Linter.Config };
}

const plugin: StreamDoctorPlugin = {
  meta: { name: 'stream-doctor', version: TOOL_VERSION },
  rules,
  configs: { recommended: {} },
};
plugin.configs.recommended = { name: 'stream-doctor/recommended', plugins: { 'stream-doctor': plugin }, rules: recommendedRules };

export default plugin;
export { plugin };
