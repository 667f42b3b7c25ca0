/**
 * The state store on a local directory (the contracts: src/store/state-store.ts). With a mirror,
 * every write and removal is copied there right after it is made, in order: that is the S3
 * store (src/store/s3-state-store.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Checkpoint, type CommitRecord, checkpointHashWith } from '../core/run/checkpoint.js';
import {
  acquireLock,
  cleanStaleTemps,
  listDir,
  type Mirror,
  makeStateDir,
  objectWith,
  openStateDir,
  readJson,
  readText,
  StateError,
  writeAtomic,
} from './fs-store.js';
import { caKey, caStateDir, keyStateDir, migrateToLayout2 } from './layout.js';
import type { CaRef, CaState, StateFiles, StateStore } from './state-store.js';

const isString = (v: unknown) => typeof v === 'string';
const isRecord = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const HASH = /^[0-9a-f]{64}$/;

/**
 * What a checkpoint must look like before anything trusts it. `reportFile` and `previous` become
 * paths: they are held to names inside the CA's directory, so an edited checkpoint cannot make the
 * job read (or diff against) a file elsewhere.
 */
export const CHECKPOINT_SHAPE = objectWith({
  layout: (v) => v === 1,
  ca: isString,
  reportId: isString,
  bucket: isString,
  key: isString,
  format: (v) => v === 'json' || v === 'csv',
  createdAt: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  reportFile: (v) => typeof v === 'string' && /^reports\/[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v),
  reportSha256: isString,
  previous: (v) => v === null || (typeof v === 'string' && HASH.test(v)),
  runId: isString,
  hash: isString,
});

const COMMIT_SHAPE = objectWith({
  runId: isString,
  checkpoints: isRecord,
  alerted: isRecord,
  applied: (v) => typeof v === 'boolean',
  notification: isRecord,
});

const ALERTED_SHAPE = (v: unknown) =>
  v === null
    ? 'is null'
    : !isRecord(v) || !Object.values(v as object).every(isString)
      ? 'is not a JSON object of alert keys and run ids'
      : undefined;

const pretty = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** node:crypto's SHA-256 of a text, hex (the core's Digest). */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A file's SHA-256, hex (streamed). */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** core's checkpoint hash with node:crypto's SHA-256. */
export const checkpointHash = (c: Omit<Checkpoint, 'hash'> & { hash?: string }): string =>
  checkpointHashWith(c, sha256);

export class FsStateStore implements StateStore {
  constructor(
    readonly root: string,
    /** where writes are copied as they are made (the S3 store's prefix) */
    protected readonly mirror?: Mirror,
  ) {}

  /** Writes atomically, then copies to the mirror: the mirror sees writes in order. */
  protected async save(path: string, data: string): Promise<void> {
    await writeAtomic(path, data);
    await this.mirror?.put(path);
  }

  async open(readOnly = false): Promise<number | undefined> {
    await openStateDir(this.root, readOnly);
    return this.layout();
  }

  async layout(): Promise<number | undefined> {
    return (await readJson<{ layout: number }>(join(this.root, 'state.json')))?.layout;
  }

  lock(now: () => number, staleAfter: number, note: (m: string) => void): Promise<() => Promise<void>> {
    return acquireLock(this.root, now, staleAfter, note);
  }

  cleanTemps(): Promise<string[]> {
    return cleanStaleTemps(this.root);
  }

  moveLayout(note: (m: string) => void): Promise<void> {
    return migrateToLayout2(this.root, join(this.root, 'state.json'), this.mirror, note);
  }

  ca(ca: CaRef | string): CaState {
    const key = typeof ca === 'string' ? ca : caKey(ca);
    const dir = typeof ca === 'string' ? keyStateDir(this.root, ca) : caStateDir(this.root, ca);
    return new FsCaState(key, dir, (p, d) => this.save(p, d), this.mirror);
  }

  runIds(): Promise<string[]> {
    return listDir(join(this.root, 'runs'));
  }

  readCommit(runId: string): Promise<CommitRecord | undefined> {
    return readJson<CommitRecord>(this.runFilePath(runId, 'commit.json'), COMMIT_SHAPE);
  }

  writeCommit(record: CommitRecord): Promise<void> {
    return this.save(this.runFilePath(record.runId, 'commit.json'), pretty(record));
  }

  writeRunFile(runId: string, name: string, data: string): Promise<void> {
    return this.save(this.runFilePath(runId, name), data);
  }

  runFilePath(runId: string, name: string): string {
    return join(this.root, 'runs', runId, name);
  }

  readSummary(runId: string): Promise<unknown> {
    return readJson<unknown>(this.runFilePath(runId, 'summary.json'));
  }

  writeLatest(name: 'latest-summary.md' | 'latest-summary.json', data: string): Promise<void> {
    return this.save(join(this.root, name), data);
  }

  files(): StateFiles {
    return { dir: this.root, read: readText, save: (p: string, d: string) => this.save(p, d) };
  }
}

/** The state of the CA kept in `dir` (a CA directory of a local state), with no mirror. */
export function caStateAt(dir: string): CaState {
  return new FsCaState(dir, dir, writeAtomic, undefined);
}

class FsCaState implements CaState {
  constructor(
    readonly key: string,
    readonly dir: string,
    private readonly save: (path: string, data: string) => Promise<void>,
    private readonly mirror: Mirror | undefined,
  ) {}

  readCheckpoint(): Promise<Checkpoint | undefined> {
    return readJson<Checkpoint>(join(this.dir, 'checkpoint.json'), CHECKPOINT_SHAPE);
  }

  async writeCheckpoint(cp: Checkpoint): Promise<void> {
    const current = await this.readCheckpoint();
    if (current?.hash === cp.hash) return;
    // kept under the hash of its content, which is what the next checkpoint's `previous` names
    if (current)
      await this.save(join(this.dir, 'history', `${checkpointHash(current)}.json`), pretty(current));
    await this.save(join(this.dir, 'checkpoint.json'), pretty(cp));
  }

  async readHistory(hash: string): Promise<Checkpoint | null | undefined> {
    if (!HASH.test(hash)) return undefined;
    return readJson<Checkpoint>(join(this.dir, 'history', `${hash}.json`), CHECKPOINT_SHAPE).catch(
      (err: unknown) => (err instanceof StateError ? null : Promise.reject(err)),
    );
  }

  async historyCount(): Promise<number> {
    return (await listDir(join(this.dir, 'history'))).filter((n) => n.endsWith('.json')).length;
  }

  readAlerted(): Promise<Record<string, string> | undefined> {
    return readJson<Record<string, string>>(join(this.dir, 'alerted.json'), ALERTED_SHAPE);
  }

  async hasAlerted(): Promise<boolean> {
    return (await readText(join(this.dir, 'alerted.json'))) !== undefined;
  }

  async addAlerted(keys: readonly string[], runId: string): Promise<void> {
    const known = (await this.readAlerted()) ?? {};
    let changed = false;
    for (const k of keys) {
      if (!(k in known)) {
        known[k] = runId;
        changed = true;
      }
    }
    if (changed) await this.save(join(this.dir, 'alerted.json'), pretty(known));
  }

  async reportsDir(): Promise<string> {
    const dir = join(this.dir, 'reports');
    await makeStateDir(dir);
    return dir;
  }

  async keepReport(path: string): Promise<void> {
    await this.mirror?.put(path);
  }

  reportPath(reportFile: string): string {
    return join(this.dir, reportFile);
  }

  reportSha256(reportFile: string): Promise<string | undefined> {
    return fileSha256(this.reportPath(reportFile)).catch(() => undefined);
  }

  async pruneReports(keep: number, protect: string): Promise<void> {
    const reports = join(this.dir, 'reports');
    const names = await readdir(reports).catch(() => [] as string[]);
    const dated = await Promise.all(
      names.map(async (n) => ({ n, t: (await stat(join(reports, n))).mtimeMs })),
    );
    dated.sort((a, b) => b.t - a.t);
    for (const [i, { n }] of dated.entries()) {
      if (i < keep || n === protect || n.includes('.partial-')) continue;
      await rm(join(reports, n), { force: true });
      await this.mirror?.remove(join(reports, n));
    }
  }
}
