/**
 * Types of `stream-doctor/eslint` (dist/eslint/index.js): an ESLint 9 flat-config plugin. Written by hand so
 * the package ships no other declarations; test/eslint-plugin.test.ts checks the implementation against it.
 */
import type { ESLint, Linter, Rule } from 'eslint';

export interface StreamDoctorRuleOptions {
  /** The lowest stream-doctor severity reported (default `warning`; `info` for the rules whose default is info). */
  minSeverity?: 'error' | 'warning' | 'info';
}

export interface StreamDoctorPlugin extends ESLint.Plugin {
  meta: { name: 'stream-doctor'; version: string };
  /** Every code rule, by its stream-doctor id (`stream-doctor/<id>` in a configuration). */
  rules: Record<string, Rule.RuleModule>;
  configs: {
    /** The plugin and every rule at its stream-doctor default: errors as `error`, warnings as `warn`, info rules `off`. */
    recommended: Linter.Config;
  };
}

declare const plugin: StreamDoctorPlugin;
export default plugin;
export { plugin };
