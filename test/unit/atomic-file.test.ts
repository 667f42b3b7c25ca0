/** Issue 13 item 13: writeFileAtomic replaces files whole, and never renames over what is not a file. */
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
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { partialPath, removeOnSignal, TargetExistsError, writeFileAtomic } from '../../src/io/atomic-file.js';

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
