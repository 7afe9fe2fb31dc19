/**
 * The output format names alone, with no formatter behind them: the CLI declares its `--format` choices
 * from this without loading the formatters (report/index.ts re-exports it).
 */
export const FORMAT_NAMES = ['text', 'json', 'sarif', 'github', 'markdown', 'gitlab'] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];
