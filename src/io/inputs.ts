/**
 * Inputs named on the command line: a file, `-` (stdin), or `s3://bucket/key` (downloaded to a
 * temporary file, streamed and verified, removed when done). Every reader then works on a file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsClients } from '../aws/clients.js';
import { isS3Uri, parseS3Uri } from '../core/bucket/s3-uri.js';
import { InputError, openReportFile, type ReportFile } from './report-source.js';

export interface InputContext {
  /** the AWS clients, built on first use */
  aws(): Promise<AwsClients>;
  /** the Region to use for S3 when nothing else tells (the CA's) */
  region?: string;
  stdin?: NodeJS.ReadableStream;
}

export interface OpenedInput extends ReportFile {
  /** for an s3:// input: when the object was last modified (epoch seconds) */
  lastModified?: number;
}

/** Downloads s3://bucket/key into a fresh temporary directory; returns the path and a remover. */
export async function fetchS3(
  uri: string,
  ctx: InputContext,
  kind: string,
): Promise<{ path: string; lastModified: number; remove(): Promise<void> }> {
  const parsed = parseS3Uri(uri);
  if (!parsed.ok) throw new InputError(uri, parsed.reason, { kind });
  const { bucket, key } = parsed.location;
  if (key === '' || key.endsWith('/')) {
    throw new InputError(uri, 'names a prefix, not an object', { kind });
  }
  const dir = await mkdtemp(join(tmpdir(), 'pca-audit-s3-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const path = join(dir, key.split('/').pop() || 'object');
    const { downloadObject } = await import('../aws/s3.js');
    const got = await downloadObject((await ctx.aws()).s3(ctx.region), bucket, key, path);
    return { path, lastModified: got.lastModified, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

export async function openInput(name: string, ctx: InputContext, kind = 'report'): Promise<OpenedInput> {
  if (!isS3Uri(name)) return openReportFile(name, ctx.stdin);
  const got = await fetchS3(name, ctx, kind);
  try {
    const file = await openReportFile(got.path);
    return { ...file, name, lastModified: got.lastModified, dispose: got.remove };
  } catch (err) {
    await got.remove();
    if (err instanceof InputError) throw new InputError(name, err.message, { cause: err, kind });
    throw err;
  }
}
