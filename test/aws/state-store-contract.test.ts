/**
 * The StateStore contract (test/support/state-store-contract.ts) on an S3 prefix, against moto:
 * each writer and reader opens its own working copy, so what a writer did is read back from S3.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { beforeEach, inject } from 'vitest';
import { S3StateStore } from '../../src/store/s3-state-store.js';
import { createBucket, resetStack, TEST_CREDENTIALS } from '../support/aws-stack.js';
import { stateStoreContract } from '../support/state-store-contract.js';

const stack = inject('awsStack');
const BUCKET = 'pca-state-contract';
const PREFIX = 'team/pca-audit/';

beforeEach(async () => {
  await resetStack(stack);
  await createBucket(stack, BUCKET);
});

stateStoreContract('an S3 prefix (moto)', async () => {
  const s3 = new S3Client({
    region: stack.region,
    endpoint: stack.motoUrl,
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
  });
  const work = mkdtempSync(join(tmpdir(), 'pca-audit-s3-contract-'));
  let copies = 0;
  const open = (readOnly: boolean) =>
    S3StateStore.open({
      s3,
      bucket: BUCKET,
      prefix: PREFIX,
      workDir: mkdtempSync(join(work, `copy-${copies++}-`)),
      now: () => Date.now() / 1000,
      staleAfter: 3600,
      note: () => {},
      readOnly,
    });
  return {
    seed: async (files) => {
      for (const [rel, text] of Object.entries(files))
        await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${rel}`, Body: text }));
    },
    writer: async () => {
      const store = await open(false);
      try {
        await store.open();
        const unlock = await store.lock(
          () => Date.now() / 1000,
          3600,
          () => {},
        );
        return {
          store,
          release: async () => {
            await unlock();
            await store.close();
          },
        };
      } catch (err) {
        await store.close();
        throw err;
      }
    },
    reader: async () => {
      const store = await open(true);
      await store.open(true);
      return store;
    },
    cleanup: async () => {
      s3.destroy();
      rmSync(work, { recursive: true, force: true });
    },
  };
});
