/**
 * Handler code written inside the infrastructure file: a Terraform `archive_file` whose `source { content =
 * <<EOF … EOF }` is the module, a CloudFormation/SAM `Code: ZipFile: |` block. The runtime loads that text
 * like any other module, so the code rules read it too. It is analysed as a module of its own whose lines are
 * the infrastructure file's lines (the text before it becomes blank lines), so findings point into the
 * infrastructure file at the right line.
 */

/** What must occur in embedded text for it to be read as a streaming handler (a Python ZipFile never has it). */
const STREAMING_MARKERS = /\bstreamifyResponse\b|\bHttpResponseStream\b/;

export interface EmbeddedModule {
  /** The embedded text, preceded by as many newlines as lines come before it in the file. */
  text: string;
  /** 1-based line of the first embedded line. */
  line: number;
}

export function embeddedModules(file: string, text: string): EmbeddedModule[] {
  if (!STREAMING_MARKERS.test(text)) return [];
  const lines = text.split('\n');
  const found = file.endsWith('.tf') ? terraformHeredocs(lines) : /\.(ya?ml|template)$/i.test(file) ? yamlZipFiles(lines) : [];
  return found.filter((m) => STREAMING_MARKERS.test(m.body.join('\n'))).map((m) => ({ text: '\n'.repeat(m.start) + m.body.join('\n') + '\n', line: m.start + 1 }));
}

interface Block {
  /** 0-based index of the first body line. */
  start: number;
  body: string[];
}

/**
 * `content = <<EOF` / `<<-EOF` up to the delimiter line. Terraform templates interpolate `${…}` and `%{…}`
 * in heredocs; the code writes a literal `${` as `$${`, which is what the runtime receives as `${`.
 */
function terraformHeredocs(lines: string[]): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*content\s*=\s*<<(-?)([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const [, indented, delimiter] = open;
    const end = lines.findIndex((line, j) => j > i && line.trim() === delimiter);
    if (end < 0) break;
    let body = lines.slice(i + 1, end);
    if (indented) {
      const indent = Math.min(...body.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
      body = body.map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)![0].length)));
    }
    blocks.push({ start: i + 1, body: body.map((l) => l.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')) });
    i = end;
  }
  return blocks;
}

/** `ZipFile: |` (or `|-`, `|+`) block scalars: the lines indented deeper than the key. */
function yamlZipFiles(lines: string[]): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)ZipFile:\s*\|[-+]?\s*$/.exec(lines[i]!);
    if (!open) continue;
    const keyIndent = open[1]!.length;
    let end = i + 1;
    while (end < lines.length && (lines[end]!.trim() === '' || /^\s*/.exec(lines[end]!)![0].length > keyIndent)) end++;
    const body = lines.slice(i + 1, end);
    const indent = Math.min(...body.filter((l) => l.trim()).map((l) => /^\s*/.exec(l)![0].length));
    blocks.push({ start: i + 1, body: body.map((l) => l.slice(Math.min(indent, /^\s*/.exec(l)![0].length))) });
    i = end - 1;
  }
  return blocks;
}
