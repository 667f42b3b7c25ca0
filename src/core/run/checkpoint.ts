/**
 * The checkpoint and its hash chain (pure): what a CA's checkpoint holds, its canonical JSON and
 * hash, the commit record a run writes ahead, and what is wrong with a history. Reading the
 * files is the state store's (src/store/state-store.ts); this module only judges what it read.
 * The SHA-256 is given (`Digest`, hex), as core does no I/O and imports no Node module.
 */
import { FINDING_SEVERITY, type Finding } from '../finding.js';

export interface Checkpoint {
  layout: 1;
  ca: string;
  reportId: string;
  bucket: string;
  key: string;
  format: 'json' | 'csv';
  /** when the report was made, UTC */
  createdAt: string;
  /** the kept report, relative to the CA's directory */
  reportFile: string;
  reportSha256: string;
  /** hash of the checkpoint this one follows (null for a baseline) */
  previous: string | null;
  runId: string;
  /** sha256 of this checkpoint's canonical JSON without `hash` */
  hash: string;
}

/** The notification channels a commit record tracks (src/run/notify.ts lists them). */
export type ChannelName = 'command' | 'webhook' | 'sns' | 'emf' | 'cloudwatch' | 'security-hub';

/** One channel's delivery of a run's notification. */
export interface ChannelState {
  delivered: boolean;
  attempts: number;
  lastError?: string;
}

/**
 * The write-ahead record of a run (`runs/<id>/commit.json`): the checkpoints it advances and the
 * alerts it raises, keyed by the CA's state key (`<account>/<region>/<CA_ID>`), and its pending
 * notification.
 */
export interface CommitRecord {
  runId: string;
  checkpoints: Record<string, Checkpoint>;
  alerted: Record<string, string[]>;
  applied: boolean;
  notification: {
    wanted: boolean;
    /** every channel took it */
    delivered: boolean;
    attempts: number;
    lastError?: string;
    /**
     * Per channel: one that took the notification is never run again for this run. Absent in
     * records of earlier versions: then every channel configured now is pending.
     */
    channels?: Partial<Record<ChannelName, ChannelState>>;
  };
}

/** JSON with object keys sorted and undefined members left out: the same value, the same text. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A hex SHA-256 of a text (node:crypto's, given by the shell). */
export type Digest = (text: string) => string;

/** SHA-256 of the checkpoint's canonical JSON without `hash`. */
export function checkpointHashWith(c: Omit<Checkpoint, 'hash'> & { hash?: string }, sha256: Digest): string {
  const { hash: _drop, ...rest } = c;
  return sha256(canonical(rest));
}

/**
 * What is wrong with a CA's history, as read: `previous` is the checkpoint `cp.previous` names
 * (undefined: missing; null: unreadable or not of a checkpoint's shape; absent for a baseline),
 * `reportSha256` the kept report's actual SHA-256 (undefined: missing). Empty when all is well.
 */
export function historyProblems(
  cp: Checkpoint,
  previous: Checkpoint | null | undefined,
  reportSha256: string | undefined,
  sha256: Digest,
): string[] {
  const checkpointHash = (c: Checkpoint) => checkpointHashWith(c, sha256);
  const problems: string[] = [];
  if (checkpointHash(cp) !== cp.hash) problems.push('the checkpoint does not match its own hash (edited?)');
  if (cp.previous !== null) {
    const short = `${cp.previous.slice(0, 12)}…`;
    if (previous === null) problems.push(`the previous checkpoint ${short} was edited`);
    else if (!previous) problems.push(`the previous checkpoint ${short} is missing from the history`);
    else if (checkpointHash(previous) !== cp.previous)
      problems.push(`the previous checkpoint ${short} was edited`);
  }
  if (reportSha256 === undefined) problems.push(`the kept report ${cp.reportFile} is missing`);
  else if (reportSha256 !== cp.reportSha256)
    problems.push(`the kept report ${cp.reportFile} no longer matches its SHA-256 (edited?)`);
  return problems;
}

/** HISTORY_TAMPERED findings of `historyProblems`. */
export function tamperedFindings(cp: Checkpoint, problems: readonly string[]): Finding[] {
  return problems.map((p) => ({
    code: 'HISTORY_TAMPERED',
    severity: FINDING_SEVERITY.HISTORY_TAMPERED,
    message: p,
    evidence: { checkpoint: 'checkpoint.json', reportId: cp.reportId, runId: cp.runId },
  }));
}
