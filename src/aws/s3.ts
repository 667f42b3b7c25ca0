/** S3: list report keys, download an object to a file (streamed, verified, renamed into place). */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { AwsError, call } from './errors.js';

export interface S3Object {
  key: string;
  size: number;
  /** epoch seconds */
  lastModified: number;
  etag?: string;
}

type ListPage = Awaited<ReturnType<typeof listPage>>;

function listPage(
  s3: S3Client,
  bucket: string,
  prefix: string,
  delimiter: boolean,
  token: string | undefined,
) {
  return call('ListObjectsV2', () =>
    s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(delimiter ? { Delimiter: '/' } : {}),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    ),
  );
}

async function eachPage(
  s3: S3Client,
  bucket: string,
  prefix: string,
  delimiter: boolean,
  visit: (p: ListPage) => void,
) {
  let token: string | undefined;
  do {
    const page = await listPage(s3, bucket, prefix, delimiter, token);
    visit(page);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
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

/**
 * Streams an object into `dest`: written to a temporary file beside it, its length checked against
 * Content-Length and its MD5 against a single-part, non-KMS ETag, fsynced, then renamed into place.
 * An interrupted or truncated download leaves nothing at `dest`.
 */
export async function downloadObject(
  s3: S3Client,
  bucket: string,
  key: string,
  dest: string,
): Promise<Downloaded> {
  const operation = 'GetObject';
  const res = await call(operation, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
  const body = res.Body as AsyncIterable<Uint8Array> | undefined;
  if (!body) throw new AwsError(operation, 'EmptyBody', `s3://${bucket}/${key}: no body in the response`);
  const temp = `${dest}.partial-${process.pid}`;
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  const handle = await open(temp, 'w', 0o600);
  let done = false;
  try {
    try {
      for await (const chunk of body) {
        md5.update(chunk);
        sha.update(chunk);
        size += chunk.length;
        await handle.write(chunk);
      }
    } catch (err) {
      throw new AwsError(
        operation,
        'NetworkError',
        `s3://${bucket}/${key}: the download broke off after ${size} bytes (${(err as Error).message})`,
        res.$metadata.requestId,
      );
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
    const etag = res.ETag?.replace(/"/g, '');
    // a single-part upload without SSE-KMS has the MD5 as its ETag
    if (etag && /^[0-9a-f]{32}$/.test(etag) && res.ServerSideEncryption !== 'aws:kms') {
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
    await handle.sync();
    await handle.close();
    await rename(temp, dest);
    done = true;
    return {
      size,
      sha256: sha.digest('hex'),
      lastModified: (res.LastModified?.getTime() ?? 0) / 1000,
      ...(etag ? { etag } : {}),
    };
  } finally {
    if (!done) {
      await handle.close().catch(() => {});
      await rm(temp, { force: true });
    }
  }
}
