/**
 * `run --state s3://bucket/prefix`: the state directory lives in S3, for runners without a disk of
 * their own. It is copied to a local working directory under an S3 lock (a conditional PutObject),
 * every state file is copied back as soon as it is written (in the order of writing, so the crash
 * rules of the local layout hold), and the lock is removed at the end.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Mirror, StateError } from '../store/fs-store.js';
import { call } from './errors.js';
import { downloadObject, listObjects } from './s3.js';

export interface S3State {
  mirror: Mirror;
  release(): Promise<void>;
}

function keyOf(prefix: string, root: string, path: string): string {
  return `${prefix}${relative(root, path).split(sep).join('/')}`;
}

export async function openS3State(
  s3: S3Client,
  bucket: string,
  rawPrefix: string,
  localDir: string,
  now: () => number,
  staleAfter: number,
  note: (m: string) => void,
): Promise<S3State> {
  const prefix = rawPrefix === '' || rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
  const lockKey = `${prefix}lock`;
  const uri = `s3://${bucket}/${lockKey}`;
  const token = randomUUID();
  const body = JSON.stringify({
    pid: process.pid,
    host: hostname(),
    startedAt: new Date(now() * 1000).toISOString(),
    token,
  });
  for (let attempt = 0; ; attempt++) {
    try {
      await call('PutObject', () =>
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: lockKey, Body: body, IfNoneMatch: '*' })),
      );
      break;
    } catch (err) {
      const name = (err as { errorName?: string }).errorName;
      if (name !== 'PreconditionFailed' && name !== 'ConditionalRequestConflict') throw err;
    }
    const held = await call('GetObject', () =>
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: lockKey })),
    )
      .then(
        async (r) =>
          JSON.parse((await r.Body?.transformToString()) ?? '{}') as {
            pid?: number;
            host?: string;
            startedAt?: string;
          },
      )
      .catch(() => ({}) as { pid?: number; host?: string; startedAt?: string });
    const age = held.startedAt ? now() - Date.parse(held.startedAt) / 1000 : Number.POSITIVE_INFINITY;
    if (attempt > 0 || age <= staleAfter) {
      throw new StateError(
        uri,
        `another pca-audit run holds the lock (pid ${held.pid ?? '?'} on ${held.host ?? '?'}, since ${held.startedAt ?? '?'})`,
        `wait for it to finish; if it is gone, delete ${uri}`,
      );
    }
    note(`taking over a stale lock (${uri}, since ${held.startedAt ?? '?'})`);
    await call('DeleteObject', () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lockKey })));
  }
  // the state, copied down (the lock itself excepted)
  for (const o of await listObjects(s3, bucket, prefix)) {
    if (o.key === lockKey || o.key.endsWith('/')) continue;
    const path = join(localDir, ...o.key.slice(prefix.length).split('/'));
    await mkdir(dirname(path), { recursive: true });
    await downloadObject(s3, bucket, o.key, path);
  }
  return {
    mirror: {
      put: async (path) => {
        const size = (await stat(path)).size;
        const Key = keyOf(prefix, localDir, path);
        await call('PutObject', () =>
          s3.send(
            new PutObjectCommand({ Bucket: bucket, Key, Body: createReadStream(path), ContentLength: size }),
          ),
        );
      },
      remove: async (path) => {
        const Key = keyOf(prefix, localDir, path);
        await call('DeleteObject', () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key })));
      },
    },
    release: async () => {
      const current = await call('GetObject', () =>
        s3.send(new GetObjectCommand({ Bucket: bucket, Key: lockKey })),
      )
        .then(async (r) => (await r.Body?.transformToString()) ?? '')
        .catch(() => '');
      if (current.includes(token)) {
        await call('DeleteObject', () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lockKey })));
      }
    },
  };
}
