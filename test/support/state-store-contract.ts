/**
 * The StateStore contract (src/store/state-store.ts), one suite run against every implementation:
 * the local directory (test/unit/state-store-contract.test.ts) and the S3 prefix against moto
 * (test/aws/state-store-contract.test.ts). A harness opens the state as a run does (`writer`) and
 * as a second, later reader does (`reader`: for S3 a new working copy from the bucket), so what a
 * writer did is checked where it must last, not in the writer's own copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCaArn } from '../../src/core/ca-arn.js';
import type { Checkpoint } from '../../src/core/run/checkpoint.js';
import { emptyCommit } from '../../src/run/commit-log.js';
import { checkpointHash } from '../../src/store/fs-state-store.js';
import { STATE_LAYOUT, StateError } from '../../src/store/fs-store.js';
import type { StateStore } from '../../src/store/state-store.js';

export interface StoreHarness {
  /** files of the state before any store opens it (path relative to the state → content) */
  seed(files: Record<string, string>): Promise<void>;
  /** the state opened for writing, as a run does: opened, its lock(s) held */
  writer(): Promise<{ store: StateStore; release(): Promise<void> }>;
  /** a fresh reader of what is stored, opened read-only */
  reader(): Promise<StateStore>;
  cleanup(): Promise<void>;
}

const CA_ARN =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
const CA = parseCaArn(CA_ARN)!;
const KEY = `${CA.account}/${CA.region}/${CA.id}`;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
/** a PID above the largest Linux allows: never running */
const DEAD_PID = 2 ** 22 + 12345;

function checkpoint(reportId: string, previous: Checkpoint | null): Checkpoint {
  const body = {
    layout: 1 as const,
    ca: CA_ARN,
    reportId,
    bucket: 'audit-reports',
    key: `audit-report/${CA.id}/${reportId}.json`,
    format: 'json' as const,
    createdAt: '2026-11-20T01:17:09Z',
    reportFile: `reports/${reportId}.json`,
    reportSha256: sha(reportId),
    previous: previous ? checkpointHash(previous) : null,
    runId: `run-${reportId}`,
  };
  return { ...body, hash: checkpointHash(body) };
}

export function stateStoreContract(name: string, make: () => Promise<StoreHarness>): void {
  const withHarness = (fn: (h: StoreHarness) => Promise<void>) => async () => {
    const h = await make();
    try {
      await fn(h);
    } finally {
      await h.cleanup();
    }
  };

  describe(`StateStore contract: ${name}`, () => {
    it(
      'a new state gets the current layout marker, which a later reader sees',
      withHarness(async (h) => {
        const w = await h.writer();
        expect(await w.store.layout()).toBe(STATE_LAYOUT);
        await w.release();
        expect(await (await h.reader()).layout()).toBe(STATE_LAYOUT);
      }),
    );

    it(
      'a newer layout is refused with a StateError naming the marker, by a writer and a reader',
      withHarness(async (h) => {
        await h.seed({ 'state.json': JSON.stringify({ layout: STATE_LAYOUT + 1, tool: 'pca-audit' }) });
        const namesMarker = (e: unknown) => e instanceof StateError && /state\.json$/.test(e.path);
        await expect(h.writer()).rejects.toSatisfy(namesMarker);
        await expect(h.reader()).rejects.toSatisfy(namesMarker);
        await expect(h.reader()).rejects.toThrow(/newer than this pca-audit understands/);
      }),
    );

    it(
      'not found is undefined or empty, never an error',
      withHarness(async (h) => {
        const { store, release } = await h.writer();
        const ca = store.ca(CA);
        expect(ca.key).toBe(KEY);
        expect(await ca.readCheckpoint()).toBeUndefined();
        expect(await ca.readHistory('0'.repeat(64))).toBeUndefined();
        expect(await ca.historyCount()).toBe(0);
        expect(await ca.readAlerted()).toBeUndefined();
        expect(await ca.hasAlerted()).toBe(false);
        expect(await ca.reportSha256('reports/none.json')).toBeUndefined();
        await ca.pruneReports(1, 'none.json');
        expect(await store.runIds()).toEqual([]);
        expect(await store.readCommit('none')).toBeUndefined();
        expect(await store.readSummary('none')).toBeUndefined();
        expect(await store.files().read(join(store.root, 'cas', 'none.json'))).toBeUndefined();
        await release();
      }),
    );

    it(
      'a checkpoint replaces the last, which is kept in the history under its hash; the same one again writes nothing',
      withHarness(async (h) => {
        const first = checkpoint('r1', null);
        const second = checkpoint('r2', first);
        const { store, release } = await h.writer();
        const ca = store.ca(KEY);
        await ca.writeCheckpoint(first);
        expect(await ca.historyCount()).toBe(0);
        await ca.writeCheckpoint(second);
        await ca.writeCheckpoint(second);
        expect(await ca.readCheckpoint()).toEqual(second);
        expect(await ca.historyCount()).toBe(1);
        await release();
        const later = (await h.reader()).ca(CA);
        expect(await later.readCheckpoint()).toEqual(second);
        expect(await later.readHistory(second.previous!)).toEqual(first);
        expect(await later.historyCount()).toBe(1);
      }),
    );

    it(
      'what pca-audit did not write is a StateError naming the file; an edited history entry reads as null',
      withHarness(async (h) => {
        const ca = `cas/${KEY}`;
        const hash = 'a'.repeat(64);
        await h.seed({
          [`${ca}/checkpoint.json`]: JSON.stringify({ ...checkpoint('r1', null), reportFile: '../../x' }),
          [`${ca}/history/${hash}.json`]: '{}',
          [`${ca}/alerted.json`]: '[1]',
          'runs/r/commit.json': 'null',
          'runs/s/summary.json': '{not json',
        });
        const { store, release } = await h.writer();
        const state = store.ca(CA);
        await expect(state.readCheckpoint()).rejects.toThrow(StateError);
        await expect(state.readCheckpoint()).rejects.toThrow(/no valid "reportFile"/);
        await expect(state.readCheckpoint()).rejects.toSatisfy((e) =>
          (e as StateError).path.endsWith(join('cas', CA.account, CA.region, CA.id, 'checkpoint.json')),
        );
        expect(await state.readHistory(hash)).toBeNull();
        await expect(state.readAlerted()).rejects.toThrow(/alerted\.json|not a JSON object/);
        await expect(store.readCommit('r')).rejects.toThrow(StateError);
        await expect(store.readSummary('s')).rejects.toThrow(StateError);
        await release();
      }),
    );

    it(
      'the alerted set keeps the run that first raised each key',
      withHarness(async (h) => {
        const { store, release } = await h.writer();
        await store.ca(CA).addAlerted(['a', 'b'], 'run1');
        await store.ca(KEY).addAlerted(['b', 'c'], 'run2');
        await store.ca(KEY).addAlerted(['a'], 'run3');
        await release();
        const later = (await h.reader()).ca(CA);
        expect(await later.hasAlerted()).toBe(true);
        expect(await later.readAlerted()).toEqual({ a: 'run1', b: 'run1', c: 'run2' });
      }),
    );

    it(
      'commit records are written, rewritten, listed by run and read back; results and summaries beside them',
      withHarness(async (h) => {
        const { store, release } = await h.writer();
        const a = emptyCommit('20261202T020000Z-aaaaaa');
        const b = {
          ...emptyCommit('20261203T020000Z-bbbbbb'),
          checkpoints: { [KEY]: checkpoint('r1', null) },
        };
        await store.writeCommit(b);
        await store.writeCommit(a);
        b.applied = true;
        await store.writeCommit(b);
        await store.writeRunFile(b.runId, 'summary.json', '{"runId":"b"}\n');
        await store.writeRunFile(b.runId, `${CA.id}.md`, '# b\n');
        await store.writeLatest('latest-summary.md', '# latest\n');
        expect(store.runFilePath(b.runId, 'summary.json')).toBe(
          join(store.root, 'runs', b.runId, 'summary.json'),
        );
        await release();
        const later = await h.reader();
        expect(await later.runIds()).toEqual([a.runId, b.runId]);
        expect(await later.readCommit(b.runId)).toEqual(b);
        expect(await later.readCommit(a.runId)).toEqual(a);
        expect(await later.readSummary(b.runId)).toEqual({ runId: 'b' });
        expect(existsSync(join(later.root, 'latest-summary.md'))).toBe(true);
        expect(existsSync(later.runFilePath(b.runId, `${CA.id}.md`))).toBe(true);
      }),
    );

    it(
      'kept reports: their SHA-256 read back; pruning keeps the newest and the protected one',
      withHarness(async (h) => {
        const { store, release } = await h.writer();
        const ca = store.ca(CA);
        const dir = await ca.reportsDir();
        const t = Date.now() / 1000;
        for (const [i, id] of ['r1', 'r2', 'r3', 'r4'].entries()) {
          const path = join(dir, `${id}.json`);
          writeFileSync(path, id);
          utimesSync(path, t - 400 + i * 100, t - 400 + i * 100);
          await ca.keepReport(path);
        }
        expect(ca.reportPath('reports/r1.json')).toBe(join(dir, 'r1.json'));
        expect(await ca.reportSha256('reports/r1.json')).toBe(sha('r1'));
        await ca.pruneReports(2, 'r1.json');
        expect(await ca.reportSha256('reports/r2.json')).toBeUndefined();
        await release();
        const later = (await h.reader()).ca(CA);
        expect(await later.reportSha256('reports/r1.json')).toBe(sha('r1'));
        expect(await later.reportSha256('reports/r2.json')).toBeUndefined();
        expect(await later.reportSha256('reports/r3.json')).toBe(sha('r3'));
        expect(await later.reportSha256('reports/r4.json')).toBe(sha('r4'));
      }),
    );

    it(
      'a second writer is refused with a StateError while the first holds the state, and let in after',
      withHarness(async (h) => {
        const first = await h.writer();
        await expect(h.writer()).rejects.toThrow(StateError);
        await expect(h.writer()).rejects.toThrow(/another pca-audit run holds the lock/);
        await first.release();
        const second = await h.writer();
        await second.release();
      }),
    );

    it(
      'a layout-1 state is moved to layout 2 under the lock, its checkpoint kept and the old place emptied',
      withHarness(async (h) => {
        const cp = checkpoint('r1', null);
        await h.seed({ [`cas/${CA.id}/checkpoint.json`]: JSON.stringify(cp) });
        const { store, release } = await h.writer();
        expect(await store.layout()).toBe(1);
        const notes: string[] = [];
        await store.moveLayout((m) => notes.push(m));
        expect(await store.layout()).toBe(2);
        expect(notes.join('\n')).toMatch(/state moved to layout 2: 1 CA/);
        expect(await store.ca(CA).readCheckpoint()).toEqual(cp);
        await release();
        const later = await h.reader();
        expect(await later.layout()).toBe(2);
        expect(await later.ca(CA).readCheckpoint()).toEqual(cp);
        expect(existsSync(join(later.root, 'cas', CA.id))).toBe(false);
      }),
    );

    it(
      'temporary files of killed runs are removed under the lock',
      withHarness(async (h) => {
        const temp = `runs/x/commit.json.tmp-${DEAD_PID}-abcdef12`;
        await h.seed({ [temp]: '{' });
        const { store, release } = await h.writer();
        expect(await store.cleanTemps()).toEqual([join(store.root, ...temp.split('/'))]);
        expect(existsSync(join(store.root, ...temp.split('/')))).toBe(false);
        await release();
      }),
    );

    it(
      "a channel's files are saved in the state and read back",
      withHarness(async (h) => {
        const { store, release } = await h.writer();
        const files = store.files();
        const path = join(files.dir, 'cas', CA.account, CA.region, CA.id, 'security-hub.json');
        await files.save(path, '{"imported":[]}\n');
        expect(await files.read(path)).toBe('{"imported":[]}\n');
        await release();
        const later = (await h.reader()).files();
        expect(
          await later.read(join(later.dir, 'cas', CA.account, CA.region, CA.id, 'security-hub.json')),
        ).toBe('{"imported":[]}\n');
      }),
    );
  });
}
