/** The StateStore contract (test/support/state-store-contract.ts) on a local directory. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FsStateStore } from '../../src/store/fs-state-store.js';
import { stateStoreContract } from '../support/state-store-contract.js';

stateStoreContract('a local directory', async () => {
  const root = join(mkdtempSync(join(tmpdir(), 'pca-audit-contract-')), 'state');
  const now = () => Date.now() / 1000;
  return {
    seed: async (files) => {
      for (const [rel, text] of Object.entries(files)) {
        const path = join(root, ...rel.split('/'));
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text);
      }
    },
    writer: async () => {
      const store = new FsStateStore(root);
      await store.open();
      const release = await store.lock(now, 3600, () => {});
      return { store, release };
    },
    reader: async () => {
      const store = new FsStateStore(root);
      await store.open(true);
      return store;
    },
    cleanup: async () => rmSync(dirname(root), { recursive: true, force: true }),
  };
});
