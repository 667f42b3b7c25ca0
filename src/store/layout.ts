/**
 * Where a CA's state lives, and the move from layout 1 to layout 2 (issue 16 item 1).
 *
 * Layout 1 kept a CA under `cas/<CA_ID>/`; one run over several accounts can meet two CAs with the
 * same id (another account's, or the stand-in's), so layout 2 keeps it under
 * `cas/<account>/<region>/<CA_ID>/`, and commit records name CAs by that key
 * (`<account>/<region>/<CA_ID>`). pca-audit of layout 1 refuses a layout-2 state by its marker.
 *
 * The move is crash-safe and idempotent, done under the run's lock before anything is read:
 * commit records are rewritten first (each atomically; a key already of layout 2 is left alone),
 * then each CA directory is renamed (atomic; with an S3 mirror, its files are copied to their new
 * keys before the old ones are removed), and the marker is written last. A crash anywhere leaves a
 * layout-1 marker, and the next run finishes the move: a directory already at its new place wins
 * over what is left at the old one (the mirror copied it whole before removing anything).
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type CaArn, parseCaArn } from '../core/ca-arn.js';
import { listDir, type Mirror, makeStateDir, readText, stateFailure, writeAtomic } from './fs-store.js';

/** A CA's key in the state: `<account>/<region>/<CA_ID>`. */
export const caKey = (ca: Pick<CaArn, 'account' | 'region' | 'id'>): string =>
  `${ca.account}/${ca.region}/${ca.id}`;

/** A CA's directory in the state (layout 2). */
export const caStateDir = (state: string, ca: Pick<CaArn, 'account' | 'region' | 'id'>): string =>
  join(state, 'cas', ca.account, ca.region, ca.id);

/** The directory of a state key (`<account>/<region>/<CA_ID>`). */
export const keyStateDir = (state: string, key: string): string => join(state, 'cas', ...key.split('/'));

const ACCOUNT_DIR = /^\d{12}$/;

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const arnIn = (v: unknown): CaArn | undefined =>
  typeof (v as { ca?: unknown })?.ca === 'string' ? parseCaArn((v as { ca: string }).ca) : undefined;

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

/**
 * The CA ARN of each layout-1 directory `cas/<CA_ID>/`, from what names it: its checkpoint, its
 * history, or a run's commit record or summary. A directory nothing names (the reports a first run
 * fetched before it was killed) is left where it is, and said so.
 */
async function layout1Cas(state: string, note: (m: string) => void): Promise<Map<string, CaArn>> {
  const ids = (await listDir(join(state, 'cas'))).filter((n) => !ACCOUNT_DIR.test(n));
  const found = new Map<string, CaArn>();
  const want = new Set(ids);
  const take = (ca: CaArn | undefined) => {
    if (ca && want.has(ca.id) && !found.has(ca.id)) found.set(ca.id, ca);
  };
  for (const id of ids) {
    const dir = join(state, 'cas', id);
    take(arnIn(parse(await readText(join(dir, 'checkpoint.json')).catch(() => undefined))));
    if (found.has(id)) continue;
    for (const h of await listDir(join(dir, 'history')).catch(() => [])) {
      take(arnIn(parse(await readText(join(dir, 'history', h)).catch(() => undefined))));
      if (found.has(id)) break;
    }
  }
  if (found.size < want.size) {
    for (const run of await listDir(join(state, 'runs'))) {
      const commit = parse(await readText(join(state, 'runs', run, 'commit.json')).catch(() => undefined));
      for (const cp of Object.values((commit as { checkpoints?: object })?.checkpoints ?? {}))
        take(arnIn(cp));
      const summary = parse(await readText(join(state, 'runs', run, 'summary.json')).catch(() => undefined));
      for (const c of (summary as { cas?: unknown[] })?.cas ?? []) take(arnIn(c));
    }
  }
  for (const id of ids)
    if (!found.has(id))
      note(
        `state layout 2: cas/${id} names no CA ARN (no checkpoint, history or run of it); left where it is`,
      );
  return found;
}

/** Rewrites a commit record's CA keys (layout 1: the CA id) to state keys; whether it changed. */
function rekeyCommit(record: Record<string, unknown>, byId: Map<string, CaArn>): boolean {
  let changed = false;
  const checkpoints = (record.checkpoints ?? {}) as Record<string, unknown>;
  const known = new Map(byId);
  for (const cp of Object.values(checkpoints)) {
    const ca = arnIn(cp);
    if (ca && !known.has(ca.id)) known.set(ca.id, ca);
  }
  for (const field of ['checkpoints', 'alerted'] as const) {
    const map = record[field] as Record<string, unknown> | undefined;
    if (!map || typeof map !== 'object') continue;
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(map)) {
      const ca = k.includes('/') ? undefined : known.get(k);
      next[ca ? caKey(ca) : k] = v;
      if (ca) changed = true;
    }
    record[field] = next;
  }
  return changed;
}

/**
 * Moves a layout-1 state to layout 2 (see the file comment). Called under the lock, with the
 * marker read as layout 1; writes the layout-2 marker last.
 */
export async function migrateToLayout2(
  state: string,
  marker: string,
  mirror: Mirror | undefined,
  note: (m: string) => void,
): Promise<void> {
  const save = async (path: string, data: string) => {
    await writeAtomic(path, data);
    await mirror?.put(path);
  };
  const byId = await layout1Cas(state, note);
  for (const run of await listDir(join(state, 'runs'))) {
    const path = join(state, 'runs', run, 'commit.json');
    const record = parse(await readText(path));
    if (!record || typeof record !== 'object' || Array.isArray(record)) continue;
    if (rekeyCommit(record as Record<string, unknown>, byId))
      await save(path, `${JSON.stringify(record, null, 2)}\n`);
  }
  for (const [id, ca] of byId) {
    const from = join(state, 'cas', id);
    const to = caStateDir(state, ca);
    const old = await filesUnder(from);
    if ((await listDir(to)).length > 0) {
      // moved before a crash: what stands at the new place is whole
      await rm(from, { recursive: true, force: true }).catch((err: unknown) => {
        throw stateFailure(from, 'remove the directory', err);
      });
    } else {
      await makeStateDir(join(state, 'cas', ca.account, ca.region));
      await rename(from, to).catch((err: unknown) => {
        throw stateFailure(from, 'move the directory', err);
      });
      for (const f of await filesUnder(to)) await mirror?.put(f);
    }
    for (const f of old) await mirror?.remove(f);
  }
  if (byId.size > 0)
    note(`state moved to layout 2: ${byId.size} CA(s) now under cas/<account>/<region>/<CA_ID>/`);
  await save(marker, `${JSON.stringify({ layout: 2, tool: 'pca-audit' }, null, 2)}\n`);
}
