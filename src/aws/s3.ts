/**
 * S3: list report keys, download an object to a file (streamed, verified, renamed into place), and
 * the small reads, conditional puts and deletes of the S3 state (src/store/s3-state.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type OpenFile, writeFileAtomic } from '../fs/atomic-file.js';
import { AwsError, call, LocalWriteError, pagesOf } from './errors.js';

export interface S3Object {
  key: string;
  size: number;
  /** epoch seconds */
  lastModified: number;
  etag?: string;
}

async function eachPage(
  s3: S3Client,
  bucket: string,
  prefix: string,
  delimiter: boolean,
  visit: (p: ListObjectsV2CommandOutput) => void,
) {
  const paginator = paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: prefix, ...(delimiter ? { Delimiter: '/' } : {}) },
  );
  for await (const page of pagesOf('ListObjectsV2', paginator)) visit(page);
}

/** Every object under a prefix (paginated). */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<S3Object[]> {
  const out: S3Object[] = [];
  await eachPage(s3, bucket, prefix, false, (page) => {
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      out.push({
        key: o.Key,
        size: o.Size ?? 0,
        lastModified: (o.LastModified?.getTime() ?? 0) / 1000,
        ...(o.ETag ? { etag: o.ETag.replace(/"/g, '') } : {}),
      });
    }
  });
  return out;
}

/** The "directories" under a prefix (ListObjectsV2 with a delimiter). */
export async function listPrefixes(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  await eachPage(s3, bucket, prefix, true, (page) => {
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
  });
  return out;
}

export interface Downloaded {
  size: number;
  sha256: string;
  /** epoch seconds */
  lastModified: number;
  etag?: string;
}

/** The file operations a download needs; tests inject a disk that fails. */
export interface DownloadFiles {
  open: OpenFile;
}

const NODE_FILES: DownloadFiles = { open: (path, flags, mode) => open(path, flags, mode) };

/** A single-part upload without SSE-KMS has its MD5 as its ETag; only then does the ETag prove content. */
export function isMd5Etag(etag: string | undefined): etag is string {
  return etag !== undefined && /^[0-9a-f]{32}$/.test(etag);
}

/** The MD5 and SHA-256 of a local file, and its length, read back from the disk. */
export async function fileDigests(
  path: string,
  files: DownloadFiles = NODE_FILES,
): Promise<{ size: number; md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  const handle = await files.open(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const part = buffer.subarray(0, bytesRead);
      md5.update(part);
      sha.update(part);
      size += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return { size, md5: md5.digest('hex'), sha256: sha.digest('hex') };
}

/** Why a local file operation failed, for a one-line message ("ENOSPC: no space left on device"). */
const why = (err: unknown) => (err as Error)?.message ?? String(err);

const FREE_SPACE = 'free some space (or choose another directory) and run again; nothing was kept';

/** A failed step of writing a download (writeFileAtomic names it in `syscall`), said for the file. */
function writeFailure(dest: string, err: unknown): unknown {
  if (err instanceof AwsError || err instanceof LocalWriteError) return err;
  const step = (err as NodeJS.ErrnoException | undefined)?.syscall;
  if (step === 'open') return new LocalWriteError(dest, `cannot create the file: ${why(err)}`);
  if (step === 'rename') return new LocalWriteError(dest, `cannot move the download into place: ${why(err)}`);
  return new LocalWriteError(dest, `the download could not be written: ${why(err)}`, FREE_SPACE);
}

/**
 * Streams an object into `dest` (src/fs/atomic-file.ts): written to `<dest>.partial-<pid>` beside it
 * (every write checked), its length checked against Content-Length and its MD5 against a
 * single-part, non-KMS ETag, fsynced, read back and compared with what was received (length and
 * SHA-256), then renamed into place. An interrupted, truncated or badly written download leaves
 * nothing at `dest`; a local failure is a LocalWriteError naming the file, a network or S3 one an
 * AwsError.
 */
export async function downloadObject(
  s3: S3Client,
  bucket: string,
  key: string,
  dest: string,
  files: DownloadFiles = NODE_FILES,
): Promise<Downloaded> {
  const operation = 'GetObject';
  const res = await call(operation, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  const body = res.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body) throw new AwsError(operation, 'EmptyBody', `s3://${bucket}/${key}: no body in the response`);
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  const etag = res.ETag?.replace(/"/g, '');
  /** the body, hashed and counted as it passes; checked against the response once it ends */
  const received = async function* (): AsyncGenerator<Uint8Array> {
    const chunks = body[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (err) {
        throw new AwsError(
          operation,
          'NetworkError',
          `s3://${bucket}/${key}: the download broke off after ${size} bytes (${(err as Error).message})`,
          res.$metadata.requestId,
        );
      }
      if (next.done) break;
      md5.update(next.value);
      sha.update(next.value);
      size += next.value.length;
      yield next.value;
    }
    const expected = res.ContentLength;
    if (expected !== undefined && size !== expected) {
      throw new AwsError(
        operation,
        'TruncatedDownload',
        `s3://${bucket}/${key}: got ${size} of ${expected} bytes`,
        res.$metadata.requestId,
        'run again; nothing was kept',
      );
    }
    if (isMd5Etag(etag) && res.ServerSideEncryption !== 'aws:kms') {
      const digest = md5.digest('hex');
      if (digest !== etag) {
        throw new AwsError(
          operation,
          'ChecksumMismatch',
          `s3://${bucket}/${key}: MD5 ${digest} does not match the ETag ${etag}`,
          res.$metadata.requestId,
          'run again; nothing was kept',
        );
      }
    }
  };
  let sha256 = '';
  // what the disk holds, not what was handed to it: a disk that drops writes is caught here
  const readBack = async (temp: string) => {
    sha256 = sha.digest('hex');
    const back = await fileDigests(temp, files).catch((err: unknown) => {
      throw new LocalWriteError(dest, `the written download could not be read back: ${why(err)}`);
    });
    if (back.size !== size || back.sha256 !== sha256) {
      throw new LocalWriteError(
        dest,
        back.size !== size
          ? `${size} bytes were written, but ${back.size} read back`
          : `the bytes read back differ from those downloaded (SHA-256 ${back.sha256}, not ${sha256})`,
        FREE_SPACE,
      );
    }
  };
  await writeFileAtomic(dest, received(), {
    replace: true,
    target: 'owned',
    mode: 0o600,
    verify: readBack,
    open: files.open,
  }).catch((err: unknown) => {
    throw writeFailure(dest, err);
  });
  return {
    size,
    sha256,
    lastModified: (res.LastModified?.getTime() ?? 0) / 1000,
    ...(etag ? { etag } : {}),
  };
}

/** One small object's text and ETag; undefined when there is none. */
export async function readSmallObject(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ text: string; etag?: string } | undefined> {
  try {
    const r = await call('GetObject', () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    return { text: (await r.Body?.transformToString()) ?? '', ...(r.ETag ? { etag: r.ETag } : {}) };
  } catch (err) {
    const name = (err as { errorName?: string }).errorName;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw err;
  }
}

/**
 * Puts an object: a text, or a local file streamed with its size. `condition`: only if there is
 * none (`{ ifNoneMatch: '*' }`) or only over the object of that ETag (`{ ifMatch }`); AWS refuses
 * otherwise (PreconditionFailed, ConditionalRequestConflict).
 */
export async function putObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string | { file: string; size: number },
  condition?: { ifNoneMatch: '*' } | { ifMatch: string },
): Promise<void> {
  await call('PutObject', () =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ...(typeof body === 'string'
          ? { Body: body }
          : { Body: createReadStream(body.file), ContentLength: body.size }),
        ...(condition && 'ifNoneMatch' in condition ? { IfNoneMatch: condition.ifNoneMatch } : {}),
        ...(condition && 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : {}),
      }),
    ),
  );
}

export async function deleteObject(s3: S3Client, bucket: string, key: string): Promise<void> {
  await call('DeleteObject', () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
}
