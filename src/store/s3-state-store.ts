/**
 * The state store on an S3 prefix (`run --state s3://bucket/prefix`; the contracts:
 * src/store/state-store.ts). Opening it takes the S3 lock (a conditional PutObject), checks the
 * prefix's layout marker and copies the state down to a local working copy
 * (src/store/s3-state.ts); from then on it is the local store on that copy, with every write and
 * removal copied to the same key under the prefix as soon as it is made, in order, so the crash
 * rules of the local layout hold in S3 too. `close` releases the S3 lock.
 */

import { FsStateStore } from './fs-state-store.js';
import type { Mirror } from './fs-store.js';
import { openS3State } from './s3-state.js';

export class S3StateStore extends FsStateStore {
  private constructor(
    workDir: string,
    mirror: Mirror | undefined,
    /** releases the S3 lock (nothing for a read-only open) */
    readonly close: () => Promise<void>,
  ) {
    super(workDir, mirror);
  }

  /**
   * Opens `s3://bucket/prefix` into `workDir` (an empty local directory). `readOnly` (a dry run):
   * no lock, nothing written, the layout checked and the state copied down all the same.
   */
  static async open(o: {
    /** the S3 client (src/aws/clients.ts): the store imports no SDK itself */
    s3: Parameters<typeof openS3State>[0];
    bucket: string;
    prefix: string;
    workDir: string;
    now: () => number;
    staleAfter: number;
    note: (m: string) => void;
    readOnly?: boolean;
  }): Promise<S3StateStore> {
    const opened = await openS3State(
      o.s3,
      o.bucket,
      o.prefix,
      o.workDir,
      o.now,
      o.staleAfter,
      o.note,
      o.readOnly ?? false,
    );
    return new S3StateStore(o.workDir, o.readOnly ? undefined : opened.mirror, opened.release);
  }
}
