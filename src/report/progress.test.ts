import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

/** A stream that says it is a terminal and records what is written to it. */
function fakeTty(columns: number | null = 80): NodeJS.WriteStream & { output: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & { output: () => string };
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  Object.assign(stream, {
    isTTY: true,
    columns: columns ?? undefined,
    rows: 24,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    output: () => chunks.join(''),
  });
  return stream;
}

describe('createProgress', () => {
  it('is a silent no-op when disabled', async () => {
    const stream = fakeTty();
    const progress = createProgress({ enabled: false, stream });
    progress.update('scanning');
    progress.succeed?.('done');
    progress.stop();
    await progress.ready;
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.output()).toBe('');
  });

  it('stays silent on a stream that is not a terminal, even when enabled', async () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let written = '';
    stream.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const progress = createProgress({ enabled: true, stream });
    progress.update('scanning');
    progress.stop();
    await progress.ready;
    expect(written).toBe('');
  });

  it.each([[0], [null], [5]])('never starts on a terminal that reports %s columns (ora looped forever there)', async (columns) => {
    const stream = fakeTty(columns);
    const progress = createProgress({ enabled: true, stream });
    progress.update('Scanning… a line longer than the terminal');
    await progress.ready;
    progress.update('Analysing src/handler.mjs');
    progress.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stream.output()).toBe('');
  });

  it('loads ora lazily, shows the latest text and persists the success line', async () => {
    const stream = fakeTty();
    const progress = createProgress({ enabled: true, stream });
    progress.update('walking files');
    progress.update('parsing 3 files');
    await progress.ready;
    progress.update('checking rules');
    progress.succeed?.('scanned 42 files');
    await new Promise((resolve) => setImmediate(resolve));
    const output = stream.output();
    expect(output).toContain('parsing 3 files');
    expect(output).toMatch(/scanned 42 files\n$/);
    // Later calls after finishing do nothing.
    progress.update('late');
    progress.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.output()).not.toContain('late');
  });

  it('never shows a spinner that was stopped before ora loaded', async () => {
    const stream = fakeTty();
    const progress = createProgress({ enabled: true, stream });
    progress.update('walking files');
    progress.stop();
    await progress.ready;
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.output()).toBe('');
  });
});
