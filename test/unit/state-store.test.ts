/**
 * The state directory's store (src/store/fs-store.ts): the lock under concurrent takers, file
 * system failures as state errors naming the path, state files of the wrong shape, private
 * directories, and the temporary files killed runs leave (issue 13).
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  acquireLock,
  cleanStaleTemps,
  objectWith,
  openStateDir,
  readJson,
  StateError,
  stateFailure,
  writeAtomic,
} from '../../src/store/fs-store.js';
import { assertBuilt, ROOT } from '../e2e/cli.js';

/** errors injected into node:fs/promises, for what root (the test user) cannot provoke with chmod */
const inject = vi.hoisted(() => ({
  link: undefined as string | undefined,
  open: undefined as string | undefined,
}));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const fail = (code: string, path: unknown) =>
    Promise.reject(Object.assign(new Error(`${code}: injected, '${String(path)}'`), { code, path }));
  return {
    ...real,
    link: (from: string, to: string) => (inject.link ? fail(inject.link, to) : real.link(from, to)),
    open: (path: string, ...rest: [string, number?]) =>
      inject.open && String(path).includes('.tmp-') ? fail(inject.open, path) : real.open(path, ...rest),
  };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-store-'));
});
afterEach(() => {
  inject.link = undefined;
  inject.open = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const now = () => Date.now() / 1000;
/** a PID above the largest Linux allows: never running */
const DEAD_PID = 2 ** 22 + 12345;

function staleLock(path: string): void {
  writeFileSync(
    path,
    JSON.stringify({ pid: DEAD_PID, host: hostname(), startedAt: new Date().toISOString(), token: 'old' }),
  );
}

describe('the lock', () => {
  it('issue 13 item 7: 20 concurrent takers of a stale lock: exactly one wins', async () => {
    for (let round = 0; round < 5; round++) {
      const d = join(dir, `round-${round}`);
      mkdirSync(d);
      staleLock(join(d, 'lock'));
      const notes: string[] = [];
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => acquireLock(d, now, 3600, (m) => notes.push(m))),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StateError);
      expect(notes.filter((n) => /taking over a stale lock/.test(n))).toHaveLength(1);
      // the winner's lock is the one on disk, and its release removes it
      await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value();
      expect(readdirSync(d)).toEqual([]);
    }
  });

  it('issue 13 item 7: 20 processes taking over one stale lock: exactly one wins', async () => {
    assertBuilt();
    staleLock(join(dir, 'lock'));
    const store = join(ROOT, 'dist', 'store', 'fs-store.js');
    const script = `
      const { acquireLock } = await import(${JSON.stringify(store)});
      try {
        await acquireLock(${JSON.stringify(dir)}, () => Date.now() / 1000, 3600, () => {});
        process.stdout.write('won');
        await new Promise((r) => process.stdin.once('data', r));
      } catch (err) {
        process.stdout.write(err.name === 'StateError' ? 'lost' : 'crashed ' + err.message);
      }`;
    const children = Array.from({ length: 20 }, () =>
      spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    // each child answers once it has won or lost; the winners hold on until stdin says go
    const answers = await Promise.all(
      children.map(
        (c) =>
          new Promise<string>((resolve) => {
            let out = '';
            c.stdout!.on('data', (b: Buffer) => {
              out += b.toString();
              if (out === 'won' || out === 'lost' || out.startsWith('crashed')) resolve(out);
            });
            c.on('exit', () => resolve(out));
          }),
      ),
    );
    // a loser may have exited already: writing to its closed stdin is EPIPE, which is no failure here
    for (const c of children) {
      c.stdin!.on('error', () => {});
      if (c.exitCode === null) c.stdin!.end('go');
    }
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode === null ? c.on('exit', r) : r(0)))),
    );
    expect(answers.filter((a) => a === 'won')).toHaveLength(1);
    expect(answers.filter((a) => a === 'lost')).toHaveLength(19);
  });

  it('on a file system without hard links (link fails EPERM) the lock still works', async () => {
    inject.link = 'EPERM';
    const release = await acquireLock(dir, now, 3600, () => {});
    await expect(acquireLock(dir, now, 3600, () => {})).rejects.toThrow(/another pca-audit run holds/);
    await release();
    staleLock(join(dir, 'lock'));
    const notes: string[] = [];
    const again = await acquireLock(dir, now, 3600, (m) => notes.push(m));
    expect(notes).toHaveLength(1);
    await again();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a lock held by a live process is not taken over', async () => {
    const release = await acquireLock(dir, now, 3600, () => {});
    await expect(acquireLock(dir, now, 3600, () => {})).rejects.toThrow(/another pca-audit run holds/);
    await release();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });
});

describe('file system failures on the state', () => {
  it('issue 13 item 9: a file where the state directory should be (ENOTDIR) is a StateError naming it', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    const state = join(dir, 'file', 'state');
    const err = await openStateDir(state).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).path).toBe(state);
    expect((err as StateError).message).toMatch(/\(ENOTDIR\)$/);
  });

  it('issue 13 item 9: a directory where a state file should be (EISDIR) is a StateError naming it', async () => {
    mkdirSync(join(dir, 'state.json'));
    const err = await openStateDir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).path).toBe(join(dir, 'state.json'));
    expect((err as StateError).message).toMatch(/\(EISDIR\)$/);
    // and written over: the rename onto a directory fails the same way
    const err2 = await writeAtomic(join(dir, 'state.json'), '{}').catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(StateError);
    expect((err2 as StateError).path).toBe(join(dir, 'state.json'));
    expect(readdirSync(dir)).toEqual(['state.json']); // no temporary file left
  });

  it.each(['EROFS', 'EACCES', 'ENOSPC', 'EDQUOT', 'EIO'])(
    'issue 13 item 9: %s (injected) becomes a StateError on the path with the code',
    (code) => {
      const cause = Object.assign(new Error(`${code}: failed, open '/x/y.tmp-1-abcdef01'`), { code });
      const err = stateFailure('/x/y', 'write', cause);
      expect(err).toBeInstanceOf(StateError);
      expect((err as StateError).path).toBe('/x/y');
      expect((err as StateError).message).toMatch(new RegExp(`\\(${code}\\)$`));
    },
  );

  it.each(['EROFS', 'EACCES', 'ENOSPC'])(
    'issue 13 item 9: %s (injected) while writing a state file is a StateError naming the file, not the temp',
    async (code) => {
      inject.open = code;
      const path = join(dir, 'cas', 'ca1', 'checkpoint.json');
      const err = await writeAtomic(path, '{}').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateError);
      expect((err as StateError).path).toBe(path);
      expect((err as StateError).message).toMatch(new RegExp(`\\(${code}\\)$`));
    },
  );

  it('a bug (no errno code) is not dressed up as a state error', () => {
    const bug = new TypeError('x is undefined');
    expect(stateFailure('/x', 'read', bug)).toBe(bug);
  });

  it.each([
    ['null', 'null'],
    ['an empty object', '{}'],
    ['a list', '[]'],
    ['a string', '"x"'],
  ])('issue 13 item 9: a state marker that is %s is refused naming the file', async (_name, text) => {
    writeFileSync(join(dir, 'state.json'), text);
    const err = await openStateDir(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).path).toBe(join(dir, 'state.json'));
  });

  it('issue 13 item 9: a state file of the wrong shape is refused, not read as nothing', async () => {
    const check = objectWith({ reportId: (v) => typeof v === 'string' });
    for (const text of ['null', '{}', '[]', '{"reportId":1}']) {
      writeFileSync(join(dir, 'cp.json'), text);
      await expect(readJson(join(dir, 'cp.json'), check), text).rejects.toBeInstanceOf(StateError);
    }
    writeFileSync(join(dir, 'cp.json'), '{"reportId":"r"}');
    expect(await readJson(join(dir, 'cp.json'), check)).toEqual({ reportId: 'r' });
    expect(await readJson(join(dir, 'missing.json'), check)).toBeUndefined();
  });
});

describe('private directories and stale temporary files', () => {
  it('issue 13 item 13: directories the state creates are 0700', async () => {
    const state = join(dir, 'a', 'state');
    await openStateDir(state);
    await writeAtomic(join(state, 'cas', 'ca1', 'history', 'x.json'), '{}');
    for (const d of [join(dir, 'a'), state, join(state, 'cas'), join(state, 'cas', 'ca1', 'history')])
      expect((statSync(d).mode & 0o777).toString(8), d).toBe('700');
    expect((statSync(join(state, 'state.json')).mode & 0o777).toString(8)).toBe('600');
  });

  it('issue 13 item 13: temporary files of dead processes, and old ones, are removed; live ones stay', async () => {
    const cas = join(dir, 'cas', 'ca1');
    mkdirSync(join(cas, 'reports'), { recursive: true });
    const dead = join(cas, `checkpoint.json.tmp-${DEAD_PID}-0123abcd`);
    const deadDownload = join(cas, 'reports', `r1.json.partial-${DEAD_PID}`);
    const live = join(cas, `alerted.json.tmp-${process.pid}-0123abcd`);
    const liveOld = join(dir, `state.json.tmp-${process.ppid}-89abcdef`);
    const notTemp = join(cas, 'reports', 'r2.json');
    for (const f of [dead, deadDownload, live, liveOld, notTemp]) writeFileSync(f, 'x');
    // a process that runs, but a file two hours old: its PID was reused, or it is another host's
    const twoHoursAgo = now() - 7200;
    utimesSync(liveOld, twoHoursAgo, twoHoursAgo);
    const removed = await cleanStaleTemps(dir);
    expect(removed.sort()).toEqual([dead, deadDownload, liveOld].sort());
    expect(existsSync(live)).toBe(true);
    expect(readFileSync(notTemp, 'utf8')).toBe('x');
  });
});
