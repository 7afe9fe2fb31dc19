/** Small helpers shared by the IaC readers. */
import type { SourceLocation } from '../model/deployment.js';
import { LineIndex } from '../code/ast.js';

/** Offsets -> SourceLocation for one file. */
export function locator(file: string, text: string): (offset: number, path?: string) => SourceLocation {
  const lines = new LineIndex(text);
  return (offset, path) => {
    const { line, column } = lines.position(Math.max(0, offset));
    return { file, line, column, ...(path ? { path } : {}) };
  };
}
