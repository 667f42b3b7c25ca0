/**
 * Issue 13 item 13: writeFileAtomic replaces files whole, and never renames over what is not a file.
 * Issue 17: it is the one writer of --output, the state and S3 downloads; its options are tested here.
 */
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createFile,
  FileError,
  type OpenFile,
  partialPath,
  removeOnSignal,
  TargetExistsError,
  TEMP_FILE,
  uniqueTempPath,
  writeFileAtomic,
} from '../../src/fs/atomic-file.js';

const dir = mkdtempSync(join(tmpdir(), 'pca-audit-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic (issue 13 item 13)', () => {
  it('writes a new file and leaves nothing beside it', async () => {
    const d = mkdtempSync(join(dir, 'new-'));
    await writeFileAtomic(join(d, 'a.txt'), 'hello\n', { replace: false });
    expect(readdirSync(d)).toEqual(['a.txt']);
    expect(readFileSync(join(d, 'a.txt'), 'utf8')).toBe('hello\n');
  });

  it('refuses an existing file without replace, and leaves it and nothing else', async () => {
    const d = mkdtempSync(join(dir, 'kept-'));
    writeFileSync(join(d, 'a.txt'), 'old');
    await expect(writeFileAtomic(join(d, 'a.txt'), 'new', { replace: false })).rejects.toBeInstanceOf(
      TargetExistsError,
    );
    expect(readdirSync(d)).toEqual(['a.txt']);
    expect(readFileSync(join(d, 'a.txt'), 'utf8')).toBe('old');
  });

  it('follows a symlink: the file it points to is replaced, the link stays', async () => {
    const d = mkdtempSync(join(dir, 'link-'));
    writeFileSync(join(d, 'real.txt'), 'old');
    symlinkSync('real.txt', join(d, 'link.txt'));
    await writeFileAtomic(join(d, 'link.txt'), 'new', { replace: true });
    expect(lstatSync(join(d, 'link.txt')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(d, 'link.txt'))).toBe('real.txt');
    expect(readFileSync(join(d, 'real.txt'), 'utf8')).toBe('new');
    expect(readdirSync(d).sort()).toEqual(['link.txt', 'real.txt']);
  });

  it('writes a device in place: /dev/null stays a device (no rename over it)', async () => {
    await writeFileAtomic('/dev/null', 'x', { replace: true });
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(readdirSync('/dev').filter((n) => n.startsWith('null.partial-'))).toEqual([]);
  });

  it('a directory is refused with EISDIR and its path', async () => {
    await expect(writeFileAtomic(dir, 'x', { replace: true })).rejects.toMatchObject({
      code: 'EISDIR',
      path: dir,
    });
  });

  it('partialPath is <target>.partial-<pid>, the name S3 downloads use', () => {
    expect(partialPath('/a/b.json', 42)).toBe('/a/b.json.partial-42');
  });

  it('removeOnSignal listens only while something is pending', () => {
    const before = process.listenerCount('SIGTERM');
    const forgetA = removeOnSignal(join(dir, 'x.partial-1'));
    const forgetB = removeOnSignal(join(dir, 'y.partial-1'));
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    forgetA();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    forgetB();
    forgetB();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

/** Real files whose writes go through `write` (bytes asked for in, bytes taken out). */
function diskWith(write: (asked: number) => number, opened: string[] = []): OpenFile {
  return async (path, flags, mode) => {
    opened.push(`${flags} ${path}`);
    const real = await open(path, flags, mode);
    return new Proxy(real, {
      get(target, prop) {
        if (prop === 'write')
          return async (buffer: Uint8Array, offset: number, length: number) => {
            const n = write(length);
            return n > 0 ? target.write(buffer, offset, n, null) : { bytesWritten: 0, buffer };
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as FileHandle;
  };
}

async function* parts(...items: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const item of items) yield item;
}

describe('writeFileAtomic options (issue 17: one helper for every writer)', () => {
  it("target 'owned' replaces a symlink itself, never the file it points to", async () => {
    const d = mkdtempSync(join(dir, 'owned-link-'));
    writeFileSync(join(d, 'elsewhere.txt'), 'not ours');
    symlinkSync('elsewhere.txt', join(d, 'state.json'));
    await writeFileAtomic(join(d, 'state.json'), 'new', { replace: true, target: 'owned' });
    expect(lstatSync(join(d, 'state.json')).isFile()).toBe(true);
    expect(readFileSync(join(d, 'state.json'), 'utf8')).toBe('new');
    expect(readFileSync(join(d, 'elsewhere.txt'), 'utf8')).toBe('not ours');
  });

  it("target 'owned' does not keep a replaced file's mode: the given mode holds", async () => {
    const d = mkdtempSync(join(dir, 'owned-mode-'));
    writeFileSync(join(d, 'a.json'), 'old', { mode: 0o644 });
    await writeFileAtomic(join(d, 'a.json'), 'new', { replace: true, target: 'owned', mode: 0o600 });
    expect((statSync(join(d, 'a.json')).mode & 0o777).toString(8)).toBe('600');
  });

  it('mode applies to a new file', async () => {
    const d = mkdtempSync(join(dir, 'mode-'));
    await writeFileAtomic(join(d, 'a.txt'), 'x', { replace: false, mode: 0o600 });
    expect((statSync(join(d, 'a.txt')).mode & 0o777).toString(8)).toBe('600');
  });

  it("temp 'unique': <target>.tmp-<pid>-<8 hex>, created exclusively; parallel writers of one target all succeed", async () => {
    const d = mkdtempSync(join(dir, 'unique-'));
    const target = join(d, 'commit.json');
    const opened: string[] = [];
    const open = diskWith((n) => n, opened);
    const texts = Array.from({ length: 8 }, (_, i) => `writer ${i}\n`.repeat(1000));
    await Promise.all(texts.map((t) => writeFileAtomic(target, t, { replace: true, temp: 'unique', open })));
    expect(texts).toContain(readFileSync(target, 'utf8'));
    expect(readdirSync(d)).toEqual(['commit.json']);
    expect(opened).toHaveLength(8);
    for (const o of opened)
      expect(o).toMatch(new RegExp(`^wx .*commit\\.json\\.tmp-${process.pid}-[0-9a-f]{8}$`));
  });

  it('the temporary names both kinds of writes use are those the state cleanup recognises, with their PID', () => {
    expect(TEMP_FILE.exec(partialPath('/s/r.json', 42))?.slice(1)).toEqual([undefined, '42']);
    expect(TEMP_FILE.exec(uniqueTempPath('/s/c.json', 42))?.slice(1)).toEqual(['42', undefined]);
    expect(TEMP_FILE.test('/s/c.json')).toBe(false);
  });

  it('a streamed source of strings and bytes is written whole', async () => {
    const d = mkdtempSync(join(dir, 'stream-'));
    const target = join(d, 'out.bin');
    await writeFileAtomic(target, parts('ab', Buffer.from([0, 255]), 'é'), { replace: false });
    expect(readFileSync(target)).toEqual(
      Buffer.concat([Buffer.from('ab'), Buffer.from([0, 255]), Buffer.from('é')]),
    );
  });

  it("a source's error passes unchanged (its path not set to the target's), leaving the old file and nothing else", async () => {
    const d = mkdtempSync(join(dir, 'broken-'));
    const target = join(d, 'out.json');
    writeFileSync(target, 'old');
    const broken = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    async function* source() {
      yield 'half of it';
      throw broken;
    }
    await expect(writeFileAtomic(target, source(), { replace: true })).rejects.toBe(broken);
    expect(broken).not.toHaveProperty('path');
    expect(readdirSync(d)).toEqual(['out.json']);
    expect(readFileSync(target, 'utf8')).toBe('old');
  });

  it('verify sees the whole fsynced temporary file before the rename; what it throws keeps nothing', async () => {
    const d = mkdtempSync(join(dir, 'verify-'));
    const target = join(d, 'report.json');
    writeFileSync(target, 'old');
    const seen: string[] = [];
    const refused = new Error('read back differs');
    const verify = async (temp: string) => {
      seen.push(readFileSync(temp, 'utf8'));
      expect(readFileSync(target, 'utf8')).toBe('old');
      throw refused;
    };
    await expect(writeFileAtomic(target, parts('new ', 'report'), { replace: true, verify })).rejects.toBe(
      refused,
    );
    expect(seen).toEqual(['new report']);
    expect(readdirSync(d)).toEqual(['report.json']);
    expect(readFileSync(target, 'utf8')).toBe('old');
  });

  it('short writes are finished: the file is whole', async () => {
    const d = mkdtempSync(join(dir, 'short-'));
    const target = join(d, 'a.txt');
    const text = 'x'.repeat(10_000);
    await writeFileAtomic(target, text, { replace: false, open: diskWith((n) => Math.min(n, 777)) });
    expect(readFileSync(target, 'utf8')).toBe(text);
  });

  it('a write that makes no progress is a full disk (ENOSPC on the target), nothing kept', async () => {
    const d = mkdtempSync(join(dir, 'full-'));
    const target = join(d, 'a.txt');
    let room = 1000;
    const full = diskWith((n) => {
      const took = Math.min(n, room);
      room -= took;
      return took;
    });
    const err = await writeFileAtomic(target, 'y'.repeat(5000), { replace: false, open: full }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FileError);
    expect(err).toMatchObject({ code: 'ENOSPC', path: target, syscall: 'write' });
    expect((err as Error).message).toBe('the disk took 1000 of 5000 bytes, then none');
    expect(readdirSync(d)).toEqual([]);
  });

  it('an OS error without a path or system call names the target and the failed step', async () => {
    const d = mkdtempSync(join(dir, 'step-'));
    const target = join(d, 'a.txt');
    const refusing: OpenFile = async () => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    };
    await expect(writeFileAtomic(target, 'x', { replace: true, open: refusing })).rejects.toMatchObject({
      code: 'EROFS',
      path: target,
      syscall: 'open',
    });
    expect(readdirSync(d)).toEqual([]);
  });

  it("createFile (the lock's): writes a new file whole with its mode, and refuses an existing one (EEXIST), leaving it", async () => {
    const d = mkdtempSync(join(dir, 'create-'));
    const path = join(d, 'lock');
    await createFile(path, '{"pid":1}', 0o600);
    expect(readFileSync(path, 'utf8')).toBe('{"pid":1}');
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
    await expect(createFile(path, 'other')).rejects.toMatchObject({ code: 'EEXIST', path });
    expect(readFileSync(path, 'utf8')).toBe('{"pid":1}');
  });
});
