/**
 * issue 16 item 1: `accounts` in run's config file is checked before any AWS call: a problem is one
 * usage line naming the config file and the JSON path, exit 2, and said by pca-audit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, linesOf, runCli } from './cli.js';

let work: string;
beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-accounts-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** no AWS: an endpoint nobody listens on */
const env = {
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'eu-west-1',
  AWS_MAX_ATTEMPTS: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

function config(name: string, doc: unknown): string {
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify({ stateDir: join(work, `${name}-state`), ...(doc as object) }));
  return path;
}

const good = {
  roleArn: 'arn:aws:iam::444455556666:role/audit',
  regions: ['eu-west-1'],
  bucketPattern: 'r-{account}-{region}',
};

describe('run --config with accounts', () => {
  it.each([
    [
      'a bad Region',
      { accounts: [good, { ...good, regions: ['eu-west-2', 'mars-1'] }] },
      'accounts[1].regions[1]: "mars-1" is not a Region',
    ],
    [
      'an unknown placeholder',
      { accounts: [{ ...good, bucketPattern: 'r-{acct}' }] },
      'accounts[0].bucketPattern: "r-{acct}": unknown placeholder {acct}',
    ],
    [
      'a CA of another account',
      {
        accounts: [
          {
            ...good,
            cas: [
              'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/11111111-2222-4333-8444-555555555555',
            ],
          },
        ],
      },
      'accounts[0].cas[0]: is of account 111122223333',
    ],
    [
      'an unknown key',
      { accounts: [{ ...good, role: 'x' }] },
      'accounts[0].role: is not a key of an account',
    ],
  ])('refuses %s: exit 2, the file and the JSON path named', async (name, doc, message) => {
    const path = config(name.replace(/\W/g, '-'), doc);
    const r = await runCli(['run', '--config', path], { env });
    expect(r.code, r.stderr).toBe(2);
    expect(linesOf(r.stderr)[0]!.startsWith(`pca-audit: --config: "${path}": ${message}`), r.stderr).toBe(
      true,
    );
  });

  it('refuses a bucket or CAs beside accounts', async () => {
    const path = config('beside', { accounts: [good] });
    const r = await runCli(['run', '--config', path, '--bucket', 'b'], { env });
    expect(r.code).toBe(2);
    expect(linesOf(r.stderr)[0]).toMatch(/has "accounts": give no bucket beside it/);
  });

  it('a target whose role cannot be assumed (STS unreachable) fails alone with exit 3, naming the role', async () => {
    const path = config('sts-down', { accounts: [good] });
    const r = await runCli(['run', '--config', path, '--format', 'json'], { env });
    expect(r.code, r.stderr).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.targets).toEqual([
      expect.objectContaining({
        account: '444455556666',
        region: 'eu-west-1',
        status: 'failed',
        exitCode: 3,
      }),
    ]);
    expect(summary.targets[0].error).toMatch(
      /^AWS AssumeRole failed: NetworkError: sts:AssumeRole of arn:aws:iam::444455556666:role\/audit could not be made: /,
    );
  });
});
