// Downloads a Lambda function's deployed package (GetFunction's `Code.Location`) and unpacks it
// safely so the scanners can read it. The archive is untrusted input: names may try to escape the
// folder (zip-slip), entries may be symlinks, and sizes may be lies (zip bombs). The URL is a
// presigned S3 URL whose query string is a credential, so it never reaches a message.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

export interface CodeLimits {
  /** Largest zip we are willing to download (and open). */
  maxZipBytes: number;
  /** Largest total of unpacked bytes, declared or actually written. */
  maxTotalBytes: number;
  /** Most file entries (and, separately, most folder entries) in one archive. */
  maxFiles: number;
  /** Largest single unpacked entry. */
  maxFileBytes: number;
}

const MIB = 1024 * 1024;

/**
 * Lambda's own quotas, with a little headroom for the download: a package (function plus layers)
 * may unpack to 250 MB (262,144,000 bytes); zips uploaded through S3 can be larger than the 50 MB
 * direct-upload limit, so the download cap is 300 MB.
 */
export const DEFAULT_CODE_LIMITS: CodeLimits = Object.freeze({
  maxZipBytes: 300 * MIB,
  maxTotalBytes: 250 * MIB,
  maxFiles: 100_000,
  maxFileBytes: 250 * MIB,
});

export interface ExtractResult {
  /** The folder the package was unpacked into; the caller removes it when done. */
  dir: string;
  /** Regular files written. */
  files: number;
  /** Bytes written. */
  bytes: number;
  /** Entries deliberately not written (unsafe names, symlinks, conflicts...). */
  skipped: { file: string; reason: string }[];
}

/** A one-line, user-facing failure. Never carries the presigned URL's query string. */
export class CodeDownloadError extends Error {
  override name = 'CodeDownloadError';

  constructor(message: string) {
    super(message);
    // The message is the whole story for the user; a stack would only add noise to CLI output.
    this.stack = `${this.name}: ${message}`;
  }
}

/** Thrown inside the extraction pipeline when a limit trips, so it can be told apart from zip corruption. */
class LimitExceeded extends CodeDownloadError {}

/** The URL for messages: scheme://host/path. The query (signature, session token) and any user info are dropped. */
export function redactPresignedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    // An unparseable string could be anything, including the secret itself; show none of it.
    return '<unparseable URL>';
  }
}

/**
 * Streams the URL to a temp file under `tmpRoot` (bounded by maxZipBytes, abort on exceed),
 * extracts it into a fresh folder, deletes the zip.
 */
export async function downloadAndExtract(
  url: string,
  tmpRoot: string,
  limits: CodeLimits = DEFAULT_CODE_LIMITS,
  fetchImpl: typeof fetch = fetch,
): Promise<ExtractResult> {
  assertLimits(limits);
  const shownUrl = redactPresignedUrl(url);
  assertHttpUrl(url, shownUrl);
  await mkdir(tmpRoot, { recursive: true });
  // The zip gets its own private folder so deleting it never touches the extracted code.
  const zipDir = await mkdtemp(path.join(tmpRoot, 'stream-doctor-zip-'));
  try {
    const zipFile = path.join(zipDir, 'package.zip');
    await downloadTo(url, zipFile, limits.maxZipBytes, fetchImpl, shownUrl);
    const destDir = await mkdtemp(path.join(tmpRoot, 'stream-doctor-code-'));
    return await extractZip(zipFile, destDir, limits);
  } finally {
    await rm(zipDir, { recursive: true, force: true });
  }
}

function assertHttpUrl(url: string, shownUrl: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new CodeDownloadError('the deployment package location is not a valid URL');
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new CodeDownloadError(`the deployment package location ${shownUrl} is not an http(s) URL`);
  }
}

/** The presigned URL itself is valid for 10 minutes; a package that takes longer is given up. */
const DOWNLOAD_DEADLINE_MS = 5 * 60_000;

async function downloadTo(
  url: string,
  zipFile: string,
  maxZipBytes: number,
  fetchImpl: typeof fetch,
  shownUrl: string,
): Promise<void> {
  const failed = (why: string): CodeDownloadError =>
    new CodeDownloadError(`downloading the deployment package from ${shownUrl} failed: ${why}`);
  const controller = new AbortController();
  // A stalled connection must not hang the command: the whole download gets a deadline.
  const deadline = setTimeout(() => controller.abort(), DOWNLOAD_DEADLINE_MS);
  deadline.unref();
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: controller.signal });
  } catch (err) {
    // fetch's own messages can quote the URL (e.g. "Failed to parse URL from ..."), so only a code is kept.
    throw failed(describeNetworkError(err));
  }
  if (!response.ok) {
    await discardBody(response);
    throw failed(describeHttpStatus(response.status));
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxZipBytes) {
    controller.abort();
    throw tooLargeDownload(maxZipBytes);
  }
  if (response.body === null) throw failed('the response had no body');
  const chunks = boundedChunks(response.body.getReader(), maxZipBytes, controller);
  try {
    // 'wx' and 0o600: the file is new and private until it is deleted.
    await pipeline(Readable.from(chunks), createWriteStream(zipFile, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    if (err instanceof CodeDownloadError) throw err;
    throw failed(describeNetworkError(err));
  }
}

/** Yields the body's chunks and aborts the request as soon as more than `maxBytes` arrived. */
async function* boundedChunks(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  controller: AbortController,
): AsyncGenerator<Uint8Array> {
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    received += value.byteLength;
    if (received > maxBytes) {
      controller.abort();
      await reader.cancel().catch(() => undefined);
      throw tooLargeDownload(maxBytes);
    }
    yield value;
  }
}

async function discardBody(response: Response): Promise<void> {
  // An error body (S3's XML) is not needed; cancelling frees the connection.
  await response.body?.cancel().catch(() => undefined);
}

function tooLargeDownload(maxZipBytes: number): CodeDownloadError {
  return new CodeDownloadError(
    `the deployment package is larger than the ${formatBytes(maxZipBytes)} download limit; not downloading it`,
  );
}

function describeHttpStatus(status: number): string {
  if (status === 403) return 'HTTP 403 (the presigned URL may have expired; it is valid for 10 minutes)';
  if (status === 404) return 'HTTP 404 (the package is no longer at that location)';
  return `HTTP ${status}`;
}

/** A short reason for a network failure built only from error codes, never from messages. */
function describeNetworkError(err: unknown): string {
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) return 'the request was aborted';
  const code = errorCode(err) ?? errorCode(err instanceof Error ? err.cause : undefined);
  return code === undefined ? 'network error' : `network error (${code})`;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  // Only well-formed codes like ECONNREFUSED or UND_ERR_SOCKET; anything else could be free text.
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code) ? code : undefined;
}

/**
 * Unpacks `zipFile` into `destDir` (created if missing; it must be empty). Unsafe entries are
 * skipped and reported; a tripped limit or a corrupt archive throws CodeDownloadError and removes
 * `destDir`.
 */
export async function extractZip(
  zipFile: string,
  destDir: string,
  limits: CodeLimits = DEFAULT_CODE_LIMITS,
): Promise<ExtractResult> {
  assertLimits(limits);
  await prepareDestination(destDir);
  try {
    await assertZipSize(zipFile, limits.maxZipBytes);
    // Containment checks compare against the real path, so a symlinked temp root (macOS) still works.
    const root = await realpath(destDir);
    const zip = await openZip(zipFile);
    try {
      const result = await extractEntries(zip, root, limits);
      return { ...result, dir: destDir };
    } finally {
      zip.close();
    }
  } catch (err) {
    // A partial tree is worse than none: scanners would report on half a package.
    await rm(destDir, { recursive: true, force: true });
    throw toCodeDownloadError(err);
  }
}

function assertLimits(limits: CodeLimits): void {
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`CodeLimits.${key} must be a non-negative number`);
    }
  }
}

/** Only an empty or missing folder is accepted: pre-existing entries (say, a symlink) could redirect writes. */
async function prepareDestination(destDir: string): Promise<void> {
  await mkdir(destDir, { recursive: true, mode: 0o755 });
  const existing = await readdir(destDir);
  if (existing.length > 0) {
    throw new CodeDownloadError(`cannot extract the deployment package into ${destDir}: the folder is not empty`);
  }
}

async function assertZipSize(zipFile: string, maxZipBytes: number): Promise<void> {
  const { size } = await stat(zipFile);
  if (size > maxZipBytes) {
    throw new LimitExceeded(`the deployment package is larger than the ${formatBytes(maxZipBytes)} zip limit`);
  }
}

function openZip(zipFile: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false stops yauzl from failing the whole archive on one bad name; names are
    // decoded and judged per entry below, so a single hostile entry is skipped rather than fatal.
    yauzl.open(
      zipFile,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    );
  });
}

/** Reads the next central-directory entry, or undefined at the end. */
function readNextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (entry: Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

interface Tally {
  files: number;
  dirs: number;
  fileEntries: number;
  declaredBytes: number;
  writtenBytes: number;
  skipped: { file: string; reason: string }[];
}

async function extractEntries(zip: ZipFile, root: string, limits: CodeLimits): Promise<Omit<ExtractResult, 'dir'>> {
  const tally: Tally = { files: 0, dirs: 0, fileEntries: 0, declaredBytes: 0, writtenBytes: 0, skipped: [] };
  for (let entry = await readNextEntry(zip); entry !== undefined; entry = await readNextEntry(zip)) {
    await extractEntry(zip, entry, root, limits, tally);
  }
  return { files: tally.files, bytes: tally.writtenBytes, skipped: tally.skipped };
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

async function extractEntry(zip: ZipFile, entry: Entry, root: string, limits: CodeLimits, tally: Tally): Promise<void> {
  // Keep backslashes (strict) so they can be refused instead of silently turned into separators.
  const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const shown = printable(name);
  const skip = (reason: string): void => {
    tally.skipped.push({ file: shown, reason });
  };
  const fileType = (entry.externalFileAttributes >>> 16) & S_IFMT;
  const isDir = name.endsWith('/') || fileType === S_IFDIR;
  countEntry(isDir, limits, tally);

  const unsafe = unsafeNameReason(name);
  if (unsafe !== undefined) return skip(unsafe);
  const target = resolveInside(root, name);
  if (target === undefined) return skip('resolves outside the extraction folder');
  if (target === root) return; // "./" and the like: the folder already exists.
  if (fileType === S_IFLNK) return skip('symbolic link: not created and not followed');
  if (isDir) return makeDirectory(target, skip);
  if (fileType !== 0 && fileType !== S_IFREG) return skip('special file (device, FIFO or socket): not created');
  if (!entry.canDecodeFileData()) {
    return skip(entry.isEncrypted() ? 'encrypted entry' : `unsupported compression method ${entry.compressionMethod}`);
  }
  checkDeclaredSize(entry, shown, limits, tally);
  await writeFile(zip, entry, target, shown, limits, tally, skip);
}

/** Files and folders are counted separately so maxFiles means files, while folders stay bounded too. */
function countEntry(isDir: boolean, limits: CodeLimits, tally: Tally): void {
  if (isDir) tally.dirs += 1;
  else tally.fileEntries += 1;
  if (tally.fileEntries > limits.maxFiles || tally.dirs > limits.maxFiles) {
    throw new LimitExceeded(
      `the deployment package has more than ${limits.maxFiles} ${isDir ? 'folders' : 'files'}; stopped extracting`,
    );
  }
}

/** Why a name must not be used, judged on the raw string before any path arithmetic. */
function unsafeNameReason(name: string): string | undefined {
  if (name === '') return 'empty name';
  if (name.includes('\0')) return 'NUL character in name';
  if (name.includes('\\')) return 'backslash in name';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter in name';
  if (name.split('/').includes('..')) return "'..' segment in name";
  return undefined;
}

/** The absolute target path, or undefined when it would land outside `root` (belt and braces). */
function resolveInside(root: string, name: string): string | undefined {
  const normalised = path.posix.normalize(name);
  const target = path.resolve(root, ...normalised.split('/').filter((part) => part !== ''));
  const relative = path.relative(root, target);
  if (relative === '') return root;
  if (path.isAbsolute(relative) || relative === '..' || relative.startsWith(`..${path.sep}`)) return undefined;
  return target;
}

async function makeDirectory(target: string, skip: (reason: string) => void): Promise<void> {
  try {
    await mkdir(target, { recursive: true, mode: 0o755 });
  } catch (err) {
    const reason = conflictReason(err);
    if (reason === undefined) throw err;
    skip(reason);
  }
}

function checkDeclaredSize(entry: Entry, shown: string, limits: CodeLimits, tally: Tally): void {
  if (entry.uncompressedSize > limits.maxFileBytes) throw fileTooLarge(shown, limits.maxFileBytes);
  tally.declaredBytes += entry.uncompressedSize;
  if (tally.declaredBytes > limits.maxTotalBytes) throw totalTooLarge(limits.maxTotalBytes);
}

async function writeFile(
  zip: ZipFile,
  entry: Entry,
  target: string,
  shown: string,
  limits: CodeLimits,
  tally: Tally,
  skip: (reason: string) => void,
): Promise<void> {
  let handle;
  try {
    await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    // 'wx': never overwrite an earlier entry and never follow whatever already sits at the path.
    // 0o644 whatever the archive says: no executable, setuid or world-writable bits from untrusted input.
    handle = await open(target, 'wx', 0o644);
  } catch (err) {
    const reason = conflictReason(err);
    if (reason === undefined) throw err;
    return skip(reason);
  }
  let source: Readable;
  try {
    source = await openEntryStream(zip, entry);
  } catch (err) {
    await handle.close();
    throw err;
  }
  // The write stream owns the handle from here and closes it on success and on error alike.
  await pipeline(source, byteCounter(shown, limits, tally), handle.createWriteStream());
  tally.files += 1;
}

/** Name clashes inside the archive (duplicate entry, file where a folder should be) are skippable. */
function conflictReason(err: unknown): string | undefined {
  const code = errorCode(err);
  if (code === 'EEXIST') return 'an earlier entry already created this path';
  if (code === 'ENOTDIR' || code === 'EISDIR') return 'clashes with an earlier file or folder entry';
  if (code === 'ENAMETOOLONG') return 'name too long for this file system';
  return undefined;
}

function openEntryStream(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream)));
  });
}

/** Counts the bytes actually inflated, because declared sizes come from the attacker. */
function byteCounter(shown: string, limits: CodeLimits, tally: Tally): Transform {
  let entryBytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      entryBytes += chunk.length;
      tally.writtenBytes += chunk.length;
      if (entryBytes > limits.maxFileBytes) return callback(fileTooLarge(shown, limits.maxFileBytes));
      if (tally.writtenBytes > limits.maxTotalBytes) return callback(totalTooLarge(limits.maxTotalBytes));
      callback(null, chunk);
    },
  });
}

function fileTooLarge(shown: string, maxFileBytes: number): LimitExceeded {
  return new LimitExceeded(
    `the deployment package entry ${shown} unpacks to more than ${formatBytes(maxFileBytes)}; stopped extracting`,
  );
}

function totalTooLarge(maxTotalBytes: number): LimitExceeded {
  return new LimitExceeded(
    `the deployment package unpacks to more than ${formatBytes(maxTotalBytes)}; stopped extracting`,
  );
}

function toCodeDownloadError(err: unknown): CodeDownloadError {
  if (err instanceof CodeDownloadError) return err;
  const code = errorCode(err);
  // File-system trouble on our side (disk full, permissions) is not the archive's fault;
  // zlib's Z_* codes, on the other hand, mean corrupt compressed data.
  if (code !== undefined && !code.startsWith('Z_')) {
    return new CodeDownloadError(`extracting the deployment package failed: ${code}`);
  }
  const detail = err instanceof Error ? printable(err.message) : 'unknown error';
  return new CodeDownloadError(`the deployment package is not a readable zip: ${detail}`);
}

/** Entry names and library messages are untrusted: no control characters (terminal escapes, newlines), bounded length. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > 200 ? `${escaped.slice(0, 200)}…` : escaped;
}

function formatBytes(bytes: number): string {
  if (bytes >= MIB) return `${Number((bytes / MIB).toFixed(1))} MB`;
  return `${bytes} bytes`;
}
