import { defineConfig } from 'vitest/config';

/**
 * Two projects: everything that needs no AWS stand-in runs in parallel; the tests against
 * moto_server and the emulator (one of each per run, started by test/support/aws-stack.ts) run one
 * file at a time, because they reset the shared servers between tests.
 */
const AWS_TESTS = ['test/aws/**/*.test.ts', 'test/e2e/emulator.test.ts', 'test/e2e/bootstrap.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'core', include: ['test/**/*.test.ts'], exclude: AWS_TESTS },
      },
      {
        extends: true,
        test: {
          name: 'aws',
          include: AWS_TESTS,
          fileParallelism: false,
          testTimeout: 120_000,
          globalSetup: ['test/support/aws-stack.ts'],
        },
      },
    ],
  },
});
