/**
 * The state of `run` behind one interface (issue 17 item 4), after certspotter's StateProvider:
 * what the nightly job reads and writes, each method's contract said here. Two implementations:
 * a local directory (src/store/fs-state-store.ts) and an S3 prefix (src/store/s3-state-store.ts,
 * a local working copy whose every write and removal is copied to S3 as it happens).
 *
 * Contracts that hold for every method unless said otherwise:
 * - Not found is `undefined` (or an empty list), never an error. A file that is there but cannot
 *   be trusted (not JSON, not of the shape pca-audit writes) is a StateError naming it, never
 *   "nothing stored yet".
 * - Every failure is a StateError naming the path (or s3:// URI) it concerns (exit 2), or for the
 *   S3 copy an AwsError of the call that failed (exit 3); never a bare Node error.
 * - Every write is atomic: a reader (or a crash) sees the old content or the new, never a part.
 *   Writes reach the store in the order they are made, so a crash after any write leaves a state
 *   the next run can finish (the write-ahead commit record relies on this).
 * - Writes are made only under the lock (`lock`), and by one run; reads need no lock. The methods
 *   may be called concurrently for different CAs; the same CA is never written concurrently.
 */
import type { CaArn } from '../core/ca-arn.js';
import type { Checkpoint, CommitRecord } from '../core/run/checkpoint.js';

/** What names a CA in the state: its account, Region and id (`<account>/<region>/<CA_ID>`). */
export type CaRef = Pick<CaArn, 'account' | 'region' | 'id'>;

/** The state of one CA (`cas/<account>/<region>/<CA_ID>/`). */
export interface CaState {
  /** `<account>/<region>/<CA_ID>`: the CA's key in commit records */
  readonly key: string;
  /** the CA's local directory (for the S3 store: in the working copy) */
  readonly dir: string;
  /**
   * The checkpoint (`checkpoint.json`); undefined when there is none. One that is not valid JSON
   * or not of a checkpoint's shape (its `reportFile` must be `reports/<name>`) is a StateError.
   */
  readCheckpoint(): Promise<Checkpoint | undefined>;
  /**
   * Writes `cp` as the checkpoint. The current one, if any and different, is first kept in the
   * history under the hash of its content (`history/<hash>.json`), which is what `cp.previous`
   * names. Writing the checkpoint already there (same hash) writes nothing: idempotent.
   */
  writeCheckpoint(cp: Checkpoint): Promise<void>;
  /**
   * The history entry `hash` names: undefined when missing, null when present but not valid JSON
   * or not of a checkpoint's shape (an edited entry, reported as such, not an error).
   */
  readHistory(hash: string): Promise<Checkpoint | null | undefined>;
  /** How many entries the history holds (0 when none). */
  historyCount(): Promise<number>;
  /**
   * The alerted set (`alerted.json`: alert key → the run that first raised it); undefined when
   * none was written. One that is not an object of strings is a StateError.
   */
  readAlerted(): Promise<Record<string, string> | undefined>;
  /** Whether an alerted set exists at all (its content unread: evidence of history). */
  hasAlerted(): Promise<boolean>;
  /**
   * Adds `keys` to the alerted set as raised by `runId`; a key already there keeps its first run.
   * Writes nothing when no key is new: idempotent.
   */
  addAlerted(keys: readonly string[], runId: string): Promise<void>;
  /** The directory reports are downloaded into (`reports/`), created (mode 0700) when missing. */
  reportsDir(): Promise<string>;
  /** Hands a report downloaded into `reportsDir()` to the store (the S3 store copies it up). */
  keepReport(path: string): Promise<void>;
  /** The local path of a kept report, `reportFile` as a checkpoint names it (`reports/<name>`). */
  reportPath(reportFile: string): string;
  /** The kept report's SHA-256 (hex); undefined when it is missing or unreadable. */
  reportSha256(reportFile: string): Promise<string | undefined>;
  /**
   * Removes kept reports beyond the newest `keep` (by modification time); `protect` (a name in
   * `reports/`) and partial downloads are never removed. Nothing kept: nothing done.
   */
  pruneReports(keep: number, protect: string): Promise<void>;
}

/** Files a channel keeps in the state, by local path under `dir`. */
export interface StateFiles {
  dir: string;
  read(path: string): Promise<string | undefined>;
  save(path: string, data: string): Promise<void>;
}

export interface StateStore {
  /** The local directory of the state (for the S3 store, its working copy). */
  readonly root: string;
  /**
   * Checks the layout marker (`state.json`): a newer layout than this pca-audit knows, or a
   * marker of another shape, is a StateError. Unless `readOnly`, creates the state (mode 0700)
   * and writes the marker when there is none: layout 1 when CA directories are already there
   * (written before the marker existed), else the current layout. Returns the layout the state
   * is in (undefined: a read-only open of a state without marker).
   */
  open(readOnly?: boolean): Promise<number | undefined>;
  /** The layout the marker names now; undefined when there is no marker. */
  layout(): Promise<number | undefined>;
  /**
   * Takes the state's lock for one run; resolves to its release. A lock held by a live run is a
   * StateError saying whose; a stale one (its process gone, or older than `staleAfter` seconds)
   * is taken over and said so through `note`. Of many concurrent takers exactly one wins. The
   * release removes the lock only if it is still this run's. (The S3 store also holds the S3
   * lock, taken when it was opened and released by its `close`.)
   */
  lock(now: () => number, staleAfter: number, note: (m: string) => void): Promise<() => Promise<void>>;
  /** Under the lock: removes temporary files killed runs left; returns their paths. */
  cleanTemps(): Promise<string[]>;
  /**
   * Under the lock, with the state at layout 1: moves it to layout 2 (src/store/layout.ts),
   * crash-safe and idempotent; the layout-2 marker is written last.
   */
  moveLayout(note: (m: string) => void): Promise<void>;
  /** The state of one CA (nothing is read or created until its methods are called). */
  ca(ca: CaRef | string): CaState;
  /** The run ids with a directory in `runs/`, sorted (oldest first: ids start with the time). */
  runIds(): Promise<string[]>;
  /**
   * A run's commit record (`runs/<id>/commit.json`); undefined when the run has none. One that is
   * not of a commit record's shape is a StateError: an unreadable record is never skipped.
   */
  readCommit(runId: string): Promise<CommitRecord | undefined>;
  /** Writes (or rewrites) a run's commit record, atomically. */
  writeCommit(record: CommitRecord): Promise<void>;
  /** Writes a file of a run's results (`runs/<id>/<name>`: a CA's result, the summary). */
  writeRunFile(runId: string, name: string, data: string): Promise<void>;
  /** The local path of a run's file (for notification commands given the summary's path). */
  runFilePath(runId: string, name: string): string;
  /** A run's summary (`runs/<id>/summary.json`) as JSON; undefined when missing; not JSON: StateError. */
  readSummary(runId: string): Promise<unknown>;
  /** Writes `latest-summary.<ext>` at the top of the state. */
  writeLatest(name: 'latest-summary.md' | 'latest-summary.json', data: string): Promise<void>;
  /**
   * Files a notification channel keeps in the state (Security Hub's `security-hub.json`), by
   * local path under `root`: `read` is undefined when missing; `save` is atomic and copied up.
   */
  files(): StateFiles;
}
