import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import {
  CodeDownloadError,
  DEFAULT_CODE_LIMITS,
  downloadAndExtract,
  extractZip,
  redactPresignedUrl,
  type CodeLimits,
} from './deployed-code.js';

const SECRET_QUERY = '?X-Amz-Security-Token=SECRET123&X-Amz-Signature=abc';

// ---------- zip builders ----------

interface YazlEntry {
  name: string;
  data?: Buffer;
  mode?: number;
  dir?: boolean;
}

/** A well-formed zip from yazl, which refuses unsafe names itself. */
function buildZip(entries: YazlEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.dir) zip.addEmptyDirectory(entry.name, {});
    else zip.addBuffer(entry.data ?? Buffer.alloc(0), entry.name, entry.mode === undefined ? {} : { mode: entry.mode });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

interface RawEntry {
  name: string;
  data: Buffer;
  /** Deflate the data (method 8) instead of storing it. */
  deflate?: boolean;
  /** Lie about the uncompressed size in both headers. */
  declaredSize?: number;
}

/**
 * A minimal zip writer for names yazl will not produce (`../x`, `/x`, backslashes): local file
 * headers, the central directory and the end record, with the UTF-8 flag set.
 */
function buildRawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const body = entry.deflate ? deflateRawSync(entry.data) : entry.data;
    const method = entry.deflate ? 8 : 0;
    const crc = crc32(entry.data);
    const size = entry.declaredSize ?? entry.data.length;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10); // time
    local.writeUInt16LE(0x21, 12); // date: 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + body.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, centralDir, end]);
}

// ---------- temp folders ----------

let work: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'deployed-code-test-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeZip(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, bytes);
  return file;
}

const small = (overrides: Partial<CodeLimits>): CodeLimits => ({ ...DEFAULT_CODE_LIMITS, ...overrides });

async function rejection(promise: Promise<unknown>): Promise<CodeDownloadError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CodeDownloadError);
  return err as CodeDownloadError;
}

// ---------- tests ----------

describe('redactPresignedUrl', () => {
  it('keeps scheme, host and path and drops the query', () => {
    const url = `https://awslambda-eu-west-1-tasks.s3.eu-west-1.amazonaws.com/snapshots/123456789012/fn-1a2b${SECRET_QUERY}#frag`;
    const shown = redactPresignedUrl(url);
    expect(shown).toBe('https://awslambda-eu-west-1-tasks.s3.eu-west-1.amazonaws.com/snapshots/123456789012/fn-1a2b');
    expect(shown).not.toContain('SECRET123');
    expect(shown).not.toContain('X-Amz');
  });

  it('drops user info and shows nothing of an unparseable string', () => {
    expect(redactPresignedUrl('https://user:pw@example.com/a?b=c')).toBe('https://example.com/a');
    expect(redactPresignedUrl(`not a url${SECRET_QUERY}`)).not.toContain('SECRET123');
  });
});

describe('DEFAULT_CODE_LIMITS', () => {
  it("follows Lambda's 250 MB unpacked quota", () => {
    expect(DEFAULT_CODE_LIMITS.maxTotalBytes).toBe(262_144_000);
    expect(DEFAULT_CODE_LIMITS.maxFileBytes).toBeLessThanOrEqual(DEFAULT_CODE_LIMITS.maxTotalBytes);
    expect(DEFAULT_CODE_LIMITS.maxZipBytes).toBe(300 * 1024 * 1024);
    expect(DEFAULT_CODE_LIMITS.maxFiles).toBe(100_000);
  });
});

describe('extractZip', () => {
  it('extracts a normal tree with nested folders and ignores archive modes', async () => {
    const zipFile = await writeZip(
      'ok.zip',
      await buildZip([
        { name: 'index.mjs', data: Buffer.from('export const handler = 1;\n') },
        { name: 'lib/util.js', data: Buffer.from('module.exports = 2;\n'), mode: 0o104777 },
        { name: 'node_modules/pkg/deep/nested/file.js', data: Buffer.from('x') },
        { name: 'empty/', dir: true },
      ]),
    );
    const dest = path.join(work, 'out');
    const result = await extractZip(zipFile, dest);

    expect(result).toEqual({ dir: dest, files: 3, bytes: 26 + 20 + 1, skipped: [] });
    expect(await readFile(path.join(dest, 'index.mjs'), 'utf8')).toBe('export const handler = 1;\n');
    expect(await readFile(path.join(dest, 'node_modules/pkg/deep/nested/file.js'), 'utf8')).toBe('x');
    expect((await stat(path.join(dest, 'empty'))).isDirectory()).toBe(true);
    // No setuid or executable bits survive from the archive.
    const utilMode = (await stat(path.join(dest, 'lib/util.js'))).mode;
    expect(utilMode & 0o7111).toBe(0);
    expect(utilMode & 0o777 & ~0o644).toBe(0);
    expect((await stat(path.join(dest, 'lib'))).mode & 0o7000).toBe(0);
  });

  it('never creates symlink entries', async () => {
    const zipFile = await writeZip(
      'link.zip',
      await buildZip([
        { name: 'passwd', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
        { name: 'real.txt', data: Buffer.from('ok') },
      ]),
    );
    const dest = path.join(work, 'out');
    const result = await extractZip(zipFile, dest);

    expect(result.files).toBe(1);
    expect(result.skipped).toEqual([{ file: 'passwd', reason: expect.stringContaining('symbolic link') }]);
    expect(existsSync(path.join(dest, 'passwd'))).toBe(false);
    await expect(lstat(path.join(dest, 'passwd'))).rejects.toThrow(/ENOENT/);
  });

  it('skips zip-slip names and writes nothing outside the destination', async () => {
    const zipFile = await writeZip(
      'slip.zip',
      buildRawZip([
        { name: '../evil.txt', data: Buffer.from('evil') },
        { name: '/abs.txt', data: Buffer.from('abs') },
        { name: 'a\\..\\b', data: Buffer.from('backslash') },
        { name: 'C:/drive.txt', data: Buffer.from('drive') },
        { name: 'ok/../../escape.txt', data: Buffer.from('escape') },
        { name: 'nul\0.txt', data: Buffer.from('nul') },
        { name: 'good.txt', data: Buffer.from('good') },
      ]),
    );
    const parent = path.join(work, 'parent');
    await mkdir(parent);
    const dest = path.join(parent, 'dest');
    const result = await extractZip(zipFile, dest);

    expect(result.files).toBe(1);
    expect(result.skipped.map((s) => s.file)).toEqual([
      '../evil.txt',
      '/abs.txt',
      'a\\..\\b',
      'C:/drive.txt',
      'ok/../../escape.txt',
      'nul\\u0000.txt',
    ]);
    expect(await readdir(dest)).toEqual(['good.txt']);
    expect(await readdir(parent)).toEqual(['dest']);
    expect((await readdir(work)).sort()).toEqual(['parent', 'slip.zip']);
  });

  it('keeps the first of two entries with the same name', async () => {
    const zipFile = await writeZip(
      'dup.zip',
      buildRawZip([
        { name: 'same.txt', data: Buffer.from('first') },
        { name: 'same.txt', data: Buffer.from('second') },
      ]),
    );
    const dest = path.join(work, 'out');
    const result = await extractZip(zipFile, dest);
    expect(result.files).toBe(1);
    expect(result.skipped).toEqual([{ file: 'same.txt', reason: expect.stringContaining('earlier entry') }]);
    expect(await readFile(path.join(dest, 'same.txt'), 'utf8')).toBe('first');
  });

  it('stops on a huge compressible entry (total limit) and removes the partial folder', async () => {
    const zipFile = await writeZip(
      'bomb.zip',
      await buildZip([
        { name: 'a.txt', data: Buffer.from('small') },
        { name: 'zeros.bin', data: Buffer.alloc(4 * 1024 * 1024) },
      ]),
    );
    const dest = path.join(work, 'out');
    const err = await rejection(extractZip(zipFile, dest, small({ maxTotalBytes: 64 * 1024 })));
    expect(err.message).toMatch(/unpacks to more than 65536 bytes/);
    expect(existsSync(dest)).toBe(false);
  });

  it('stops on a single entry over maxFileBytes', async () => {
    const zipFile = await writeZip('big.zip', await buildZip([{ name: 'zeros.bin', data: Buffer.alloc(1024 * 1024) }]));
    const dest = path.join(work, 'out');
    const err = await rejection(extractZip(zipFile, dest, small({ maxFileBytes: 1000 })));
    expect(err.message).toMatch(/entry zeros\.bin unpacks to more than 1000 bytes/);
    expect(existsSync(dest)).toBe(false);
  });

  it('does not trust a declared size that understates the data', async () => {
    const zipFile = await writeZip(
      'liar.zip',
      buildRawZip([{ name: 'liar.bin', data: Buffer.alloc(1024 * 1024), deflate: true, declaredSize: 10 }]),
    );
    const dest = path.join(work, 'out');
    await rejection(extractZip(zipFile, dest, small({ maxTotalBytes: 1000 })));
    expect(existsSync(dest)).toBe(false);
  });

  it('stops on a declared size over the limit before writing the entry', async () => {
    const zipFile = await writeZip(
      'claims.zip',
      buildRawZip([{ name: 'claims.bin', data: Buffer.from('tiny'), deflate: true, declaredSize: 0xfffffff0 }]),
    );
    const dest = path.join(work, 'out');
    const err = await rejection(extractZip(zipFile, dest));
    expect(err.message).toMatch(/entry claims\.bin unpacks to more than 250 MB/);
    expect(existsSync(dest)).toBe(false);
  });

  it('stops when there are more files than maxFiles', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(String(i)) }));
    const zipFile = await writeZip('many.zip', await buildZip(entries));
    const dest = path.join(work, 'out');
    const err = await rejection(extractZip(zipFile, dest, small({ maxFiles: 3 })));
    expect(err.message).toMatch(/more than 3 files/);
    expect(existsSync(dest)).toBe(false);
  });

  it('reports a truncated zip as unreadable, without a stack', async () => {
    const whole = await buildZip([{ name: 'index.js', data: Buffer.from('x'.repeat(1000)) }]);
    const zipFile = await writeZip('cut.zip', whole.subarray(0, Math.floor(whole.length / 2)));
    const dest = path.join(work, 'out');
    const err = await rejection(extractZip(zipFile, dest));
    expect(err.message).toMatch(/^the deployment package is not a readable zip: /);
    expect(err.message).not.toContain('\n');
    expect(err.stack).not.toMatch(/\n\s+at /);
    expect(existsSync(dest)).toBe(false);
  });

  it('reports a non-zip file as unreadable', async () => {
    const zipFile = await writeZip('text.zip', Buffer.from('<Error><Code>AccessDenied</Code></Error>'));
    const err = await rejection(extractZip(zipFile, path.join(work, 'out')));
    expect(err.message).toMatch(/not a readable zip/);
  });

  it('refuses a destination that already has content', async () => {
    const zipFile = await writeZip('ok.zip', await buildZip([{ name: 'a.txt', data: Buffer.from('a') }]));
    const dest = path.join(work, 'busy');
    await mkdir(dest);
    await writeFile(path.join(dest, 'keep.txt'), 'mine');
    const err = await rejection(extractZip(zipFile, dest));
    expect(err.message).toMatch(/not empty/);
    // Refusing happens before anything is written or removed: the caller's files stay.
    expect(await readdir(dest)).toEqual(['keep.txt']);
  });
});

describe('downloadAndExtract', () => {
  let server: Server;
  let base: string;
  let goodZip: Buffer;
  let tmpRoot: string;

  beforeAll(async () => {
    goodZip = await buildZip([
      { name: 'index.mjs', data: Buffer.from('export const handler = awslambda.streamifyResponse(() => {});\n') },
      { name: 'lib/a.js', data: Buffer.from('a') },
    ]);
    server = createServer((req, res) => {
      const route = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (route === '/snapshots/123/fn-ok') {
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': String(goodZip.length) });
        res.end(goodZip);
      } else if (route === '/snapshots/123/fn-expired') {
        res.writeHead(403, { 'content-type': 'application/xml' });
        res.end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      } else if (route === '/snapshots/123/fn-big-declared') {
        res.writeHead(200, { 'content-length': String(goodZip.length) });
        res.end(goodZip);
      } else if (route === '/snapshots/123/fn-big-chunked') {
        // No content-length: the cap has to be enforced while streaming.
        res.writeHead(200, { 'content-type': 'application/zip' });
        res.write(goodZip);
        res.end(goodZip);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(async () => {
    tmpRoot = path.join(work, 'tmp');
    await mkdir(tmpRoot);
  });

  it('downloads, extracts into a fresh folder and deletes the zip', async () => {
    const result = await downloadAndExtract(`${base}/snapshots/123/fn-ok${SECRET_QUERY}`, tmpRoot);
    expect(result.files).toBe(2);
    expect(path.dirname(result.dir)).toBe(tmpRoot);
    expect(await readFile(path.join(result.dir, 'lib/a.js'), 'utf8')).toBe('a');
    // Only the extracted folder remains: the zip and its folder are gone.
    expect(await readdir(tmpRoot)).toEqual([path.basename(result.dir)]);
  });

  it.each([
    ['fn-expired', /HTTP 403 \(the presigned URL may have expired/],
    ['fn-missing', /HTTP 404/],
  ])('reports %s with the status and the redacted URL only', async (fn, pattern) => {
    const err = await rejection(downloadAndExtract(`${base}/snapshots/123/${fn}${SECRET_QUERY}`, tmpRoot));
    expect(err.message).toMatch(pattern);
    expect(err.message).toContain(`${base}/snapshots/123/${fn} `);
    expect(err.message).not.toContain('SECRET123');
    expect(err.message).not.toContain('X-Amz');
    expect(err.stack).not.toContain('SECRET123');
    expect(await readdir(tmpRoot)).toEqual([]);
  });

  it('reports a network failure without the query string', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const err = await rejection(downloadAndExtract(`http://127.0.0.1:${port}/x${SECRET_QUERY}`, tmpRoot));
    expect(err.message).toMatch(/^downloading the deployment package from http:\/\/127\.0\.0\.1:\d+\/x failed: network error/);
    expect(err.message).not.toContain('SECRET123');
    expect(err.message).not.toContain('X-Amz');
    expect(await readdir(tmpRoot)).toEqual([]);
  });

  it.each(['fn-big-declared', 'fn-big-chunked'])('aborts %s over maxZipBytes and leaves nothing behind', async (fn) => {
    const limits = small({ maxZipBytes: goodZip.length - 1 });
    const err = await rejection(downloadAndExtract(`${base}/snapshots/123/${fn}${SECRET_QUERY}`, tmpRoot, limits));
    expect(err.message).toMatch(/larger than the \d+ bytes download limit/);
    expect(await readdir(tmpRoot)).toEqual([]);
  });

  it('uses the injected fetch', async () => {
    const calls: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response(new Uint8Array(goodZip), { status: 200 });
    };
    const result = await downloadAndExtract(`https://bucket.example/p${SECRET_QUERY}`, tmpRoot, undefined, fakeFetch);
    expect(calls).toEqual([`https://bucket.example/p${SECRET_QUERY}`]);
    expect(result.files).toBe(2);
  });

  it('refuses non-http URLs without echoing them', async () => {
    const err = await rejection(downloadAndExtract(`file:///etc/passwd${SECRET_QUERY}`, tmpRoot));
    expect(err.message).not.toContain('SECRET123');
  });
});
