/**
 * Issue 13 item 4: a download written to a disk that fills up (or lies) must never be kept. The
 * disk is injected: a real file whose writes are cut short, fail, or are silently dropped.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalWriteError } from '../../src/aws/errors.js';
import { type DownloadFiles, downloadObject } from '../../src/aws/s3.js';

const work = mkdtempSync(join(tmpdir(), 'pca-audit-download-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DATA = Buffer.from(
  JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ serial: i.toString(16).padStart(32, '0') }))),
);

/** GetObject answering DATA in chunks of 4 KiB, with its length and MD5 ETag. */
function s3With(data: Buffer): S3Client {
  const md5 = createHash('md5').update(data).digest('hex');
  return {
    send: async () => ({
      Body: (async function* () {
        for (let i = 0; i < data.length; i += 4096) yield data.subarray(i, i + 4096);
      })(),
      ContentLength: data.length,
      ETag: `"${md5}"`,
      $metadata: { requestId: 'req-1' },
    }),
  } as unknown as S3Client;
}

type Write = (
  real: FileHandle,
  buffer: Uint8Array,
  offset: number,
  length: number,
) => Promise<{ bytesWritten: number }>;

/** Real files, whose writes (when opened for writing) go through `write`, and whose fsync may fail. */
function disk(write: Write, sync?: () => Promise<void>): DownloadFiles {
  return {
    open: async (path, flags, mode) => {
      const real = await open(path, flags, mode);
      if (flags !== 'w') return real;
      return new Proxy(real, {
        get(target, prop) {
          if (prop === 'write')
            return (buffer: Uint8Array, offset?: number, length?: number) =>
              write(target, buffer, offset ?? 0, length ?? buffer.length - (offset ?? 0));
          if (prop === 'sync' && sync) return sync;
          const v = Reflect.get(target, prop, target);
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
    },
  };
}

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** A disk that holds `capacity` bytes: the write that reaches it is cut short, later ones fail. */
function fullAt(capacity: number): DownloadFiles {
  let used = 0;
  return disk(async (real, buffer, offset, length) => {
    const n = Math.min(length, capacity - used);
    if (n <= 0) throw enospc();
    const r = await real.write(buffer, offset, n, null);
    used += r.bytesWritten;
    return r;
  });
}

async function failure(p: Promise<unknown>): Promise<LocalWriteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LocalWriteError);
  return err as LocalWriteError;
}

function dir(name: string): string {
  const d = join(work, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d);
  return d;
}

describe('downloadObject on a failing disk (issue 13 item 4)', () => {
  it('issue 13 item 4: a disk that fills up during the last write: LocalWriteError naming the file, nothing kept', async () => {
    const d = dir('full');
    const dest = join(d, 'report.json');
    // every chunk but the last fits: the last write is cut short and nothing else is written
    const err = await failure(downloadObject(s3With(DATA), 'b', 'k', dest, fullAt(DATA.length - 100)));
    expect(err.path).toBe(dest);
    expect(readdirSync(d)).toEqual([]);
  });

  it('issue 13 item 4: a disk that says it wrote what it dropped is caught by reading back: nothing kept', async () => {
    const d = dir('lying');
    const dest = join(d, 'report.json');
    let seen = 0;
    const lying = disk(async (real, buffer, offset, length) => {
      // the second chunk is acknowledged in full but never written
      seen++;
      if (seen === 2) return { bytesWritten: length };
      return real.write(buffer, offset, length, null);
    });
    const err = await failure(downloadObject(s3With(DATA), 'b', 'k', dest, lying));
    expect(err.path).toBe(dest);
    expect(readdirSync(d)).toEqual([]);
  });

  it('issue 13 item 4: fsync failing (EIO) is a LocalWriteError, nothing kept', async () => {
    const d = dir('eio');
    const dest = join(d, 'report.json');
    const eio = disk(
      (real, buffer, offset, length) => real.write(buffer, offset, length, null),
      async () => {
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      },
    );
    const err = await failure(downloadObject(s3With(DATA), 'b', 'k', dest, eio));
    expect(err.path).toBe(dest);
    expect(readdirSync(d)).toEqual([]);
  });

  it('issue 13 item 4: short writes with room left are finished: the kept file is whole', async () => {
    const d = dir('short');
    const dest = join(d, 'report.json');
    const short = disk((real, buffer, offset, length) =>
      real.write(buffer, offset, Math.min(length, 1000), null),
    );
    const got = await downloadObject(s3With(DATA), 'b', 'k', dest, short);
    expect(got.size).toBe(DATA.length);
    expect(readFileSync(dest).equals(DATA)).toBe(true);
    expect(got.sha256).toBe(createHash('sha256').update(DATA).digest('hex'));
    expect(readdirSync(d)).toEqual(['report.json']);
    expect(existsSync(`${dest}.partial-${process.pid}`)).toBe(false);
  });
});
