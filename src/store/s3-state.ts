/**
 * `run --state s3://bucket/prefix`: the state directory lives in S3, for runners without a disk of
 * their own. It is copied to a local working directory under an S3 lock (a conditional PutObject),
 * every state file is copied back as soon as it is written (in the order of writing, so the crash
 * rules of the local layout hold), and the lock is removed at the end.
 *
 * Like the local layout, the prefix holds a layout marker (`state.json`): it is checked before any
 * state is read (a dry run too), a newer layout is refused, and a prefix without one gets one.
 *
 * This is the opening of the S3 StateStore (src/store/s3-state-store.ts): the job reads and writes
 * the working copy only through that store, which copies each write up through the mirror here.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { deleteObject, downloadObject, listObjects, putObject, readSmallObject } from '../aws/s3.js';
import {
  checkLayout,
  LAYOUT_MARKER,
  layoutMarker,
  type Mirror,
  StateError,
  stateFailure,
  writeAtomic,
} from './fs-store.js';

export interface S3State {
  mirror: Mirror;
  release(): Promise<void>;
}

function keyOf(prefix: string, root: string, path: string): string {
  return `${prefix}${relative(root, path).split(sep).join('/')}`;
}

interface HeldLock {
  pid?: number;
  host?: string;
  startedAt?: string;
}

/** The prefix's layout marker, checked: whether there is one. A newer layout is refused. */
async function checkRemoteLayout(s3: S3Client, bucket: string, prefix: string): Promise<boolean> {
  const uri = `s3://${bucket}/${prefix}state.json`;
  const marker = await readSmallObject(s3, bucket, `${prefix}state.json`);
  if (marker === undefined) return false;
  let value: unknown;
  try {
    value = JSON.parse(marker.text);
  } catch {
    throw new StateError(uri, 'is not valid JSON (edited or damaged?)');
  }
  checkLayout(uri, value);
  return true;
}

export async function openS3State(
  s3: S3Client,
  bucket: string,
  rawPrefix: string,
  localDir: string,
  now: () => number,
  staleAfter: number,
  note: (m: string) => void,
  /** a dry run: no lock, nothing written; the layout is checked and the state read all the same */
  readOnly = false,
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
  const release = async () => {
    const current = await readSmallObject(s3, bucket, lockKey).catch(() => undefined);
    if (current?.text.includes(token)) {
      await deleteObject(s3, bucket, lockKey);
    }
  };
  for (let attempt = 0; !readOnly; attempt++) {
    try {
      await putObject(s3, bucket, lockKey, body, { ifNoneMatch: '*' });
      break;
    } catch (err) {
      const name = (err as { errorName?: string }).errorName;
      if (name !== 'PreconditionFailed' && name !== 'ConditionalRequestConflict') throw err;
    }
    const got = await readSmallObject(s3, bucket, lockKey).catch(() => undefined);
    let held: HeldLock = {};
    try {
      held = got ? (JSON.parse(got.text) as HeldLock) : {};
    } catch {
      held = {};
    }
    const age = held.startedAt ? now() - Date.parse(held.startedAt) / 1000 : Number.POSITIVE_INFINITY;
    const busy = () =>
      new StateError(
        uri,
        `another pca-audit run holds the lock (pid ${held.pid ?? '?'} on ${held.host ?? '?'}, since ${held.startedAt ?? '?'})`,
        `wait for it to finish; if it is gone, delete ${uri}`,
      );
    if (attempt > 0 || age <= staleAfter) throw busy();
    if (got?.etag) {
      // replaced only if it is still the stale lock read above: of many takers, one wins
      try {
        await putObject(s3, bucket, lockKey, body, { ifMatch: got.etag });
      } catch (err) {
        const name = (err as { errorName?: string }).errorName;
        if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || name === 'NoSuchKey')
          throw busy();
        throw err;
      }
      note(`taking over a stale lock (${uri}, since ${held.startedAt ?? '?'})`);
      break;
    }
    note(`taking over a stale lock (${uri}, since ${held.startedAt ?? '?'})`);
    await deleteObject(s3, bucket, lockKey);
  }
  try {
    // the layout first: a newer one is refused before anything of it is read
    const marked = await checkRemoteLayout(s3, bucket, prefix);
    // the state, copied down (the lock itself excepted)
    let legacy = false;
    for (const o of await listObjects(s3, bucket, prefix)) {
      if (o.key === lockKey || o.key.endsWith('/')) continue;
      if (o.key.startsWith(`${prefix}cas/`)) legacy = true;
      const path = join(localDir, ...o.key.slice(prefix.length).split('/'));
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await downloadObject(s3, bucket, o.key, path);
    }
    const mirror: Mirror = {
      put: async (path) => {
        const size = (await stat(path)).size;
        await putObject(s3, bucket, keyOf(prefix, localDir, path), { file: path, size });
      },
      remove: async (path) => {
        await deleteObject(s3, bucket, keyOf(prefix, localDir, path));
      },
    };
    if (!marked && !readOnly) {
      // a new prefix, or one written before the marker existed (layout 1, which the run then moves)
      const marker = join(localDir, 'state.json');
      await writeAtomic(marker, legacy ? layoutMarker(1) : LAYOUT_MARKER);
      await mirror.put(marker);
    }
    return { mirror, release: readOnly ? async () => {} : release };
  } catch (err) {
    if (!readOnly) await release().catch(() => {});
    // a full or read-only working directory is a state error naming it, not a bug
    throw stateFailure(localDir, 'copy the state down', err);
  }
}
