/** issue 16 item 1: the config's `accounts`, validated and planned into (account, Region) targets. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bucketNameProblem,
  expandBucketPattern,
  parseAccounts,
  planTargets,
  targetName,
} from '../../src/core/run/targets.js';

const CA_A =
  'arn:aws:acm-pca:eu-west-1:444455556666:certificate-authority/11111111-2222-4333-8444-555555555555';
const CA_B =
  'arn:aws:acm-pca:us-east-1:444455556666:certificate-authority/21111111-2222-4333-8444-555555555555';
const ROLE = 'arn:aws:iam::444455556666:role/pca-audit-member';

const member = (more: Record<string, unknown> = {}) => ({
  roleArn: ROLE,
  regions: ['eu-west-1', 'us-east-1'],
  bucketPattern: 'pca-audit-{account}-{region}',
  ...more,
});

const problem = (accounts: unknown) => {
  const p = parseAccounts(accounts);
  if (p.ok) throw new Error('expected a problem');
  return `${p.path}: ${p.reason}`;
};

describe('accounts: validation', () => {
  it.each([
    ['not a list', {}, /^accounts: must be a non-empty list/],
    ['an empty list', [], /^accounts: must be a non-empty list/],
    ['an entry that is not an object', [1], /^accounts\[0\]: must be a JSON object/],
    ['an unknown key', [member({ role: 'x' })], /^accounts\[0\]\.role: is not a key of an account/],
    [
      'a bad account id',
      [member({ accountId: '1234' })],
      /^accounts\[0\]\.accountId: "1234" is not an account id/,
    ],
    [
      'a bad role ARN',
      [member({ roleArn: 'arn:aws:iam::44445555666:role/x' })],
      /^accounts\[0\]\.roleArn: .* is not an IAM role ARN/,
    ],
    [
      'a user ARN for a role',
      [member({ roleArn: 'arn:aws:iam::444455556666:user/x' })],
      /^accounts\[0\]\.roleArn:/,
    ],
    [
      'an account id other than the role’s',
      [member({ accountId: '111122223333' })],
      /^accounts\[0\]\.roleArn: names account 444455556666, but accountId is 111122223333/,
    ],
    [
      'an externalId without a role',
      [{ regions: ['eu-west-1'], bucket: 'b-1', externalId: 'abc' }],
      /^accounts\[0\]\.externalId: needs a roleArn/,
    ],
    ['a bad external id', [member({ externalId: 'a b' })], /^accounts\[0\]\.externalId:/],
    ['a bad session name', [member({ sessionName: 'x' })], /^accounts\[0\]\.sessionName:/],
    ['no regions', [member({ regions: [] })], /^accounts\[0\]\.regions: must be a non-empty list/],
    [
      'a bad Region',
      [member({ regions: ['eu-west-1', 'Europe'] })],
      /^accounts\[0\]\.regions\[1\]: "Europe" is not a Region/,
    ],
    [
      'a Region twice',
      [member({ regions: ['eu-west-1', 'eu-west-1'] })],
      /^accounts\[0\]\.regions\[1\]: "eu-west-1" is listed twice/,
    ],
    [
      'both bucket and bucketPattern',
      [member({ bucket: 'b-1' })],
      /^accounts\[0\]: give exactly one of "bucket" and "bucketPattern"/,
    ],
    [
      'neither bucket nor bucketPattern',
      [{ roleArn: ROLE, regions: ['eu-west-1'] }],
      /^accounts\[0\]: give exactly one/,
    ],
    [
      'a bad bucket',
      [{ roleArn: ROLE, regions: ['eu-west-1'], bucket: 'Bad_Bucket' }],
      /^accounts\[0\]\.bucket: "Bad_Bucket" is not a bucket name/,
    ],
    [
      'one bucket for two Regions',
      [member({ bucketPattern: undefined, bucket: 'b-1' })],
      /^accounts\[0\]\.bucket: one bucket cannot serve several Regions/,
    ],
    [
      'an unknown placeholder',
      [member({ bucketPattern: 'pca-{acount}-{region}' })],
      /^accounts\[0\]\.bucketPattern: .*unknown placeholder \{acount\}/,
    ],
    [
      'an unmatched brace',
      [member({ bucketPattern: 'pca-{region}-}' })],
      /^accounts\[0\]\.bucketPattern: .*unmatched/,
    ],
    [
      '{account} without an account',
      [{ regions: ['eu-west-1'], bucketPattern: 'pca-{account}-{region}' }],
      /^accounts\[0\]\.bucketPattern: uses \{account\}, but the entry names no account/,
    ],
    [
      'a name invalid after expansion',
      [member({ bucketPattern: 'pca-audit-reports-of-the-whole-organisation-{account}-{region}' })],
      /^accounts\[0\]\.bucketPattern: gives "pca-audit-reports-of-the-whole-organisation-444455556666-eu-west-1" for eu-west-1, not a bucket name: must be 3 to 63/,
    ],
    [
      'a pattern without {region} for two Regions',
      [member({ bucketPattern: 'pca-{account}' })],
      /^accounts\[0\]\.bucketPattern: gives one bucket for several Regions/,
    ],
    [
      'cas that is neither a list nor "all"',
      [member({ cas: 'some' })],
      /^accounts\[0\]\.cas: must be "all" or a non-empty list/,
    ],
    [
      'a bad CA ARN',
      [member({ cas: [CA_A, 'arn:aws:acm-pca:x'] })],
      /^accounts\[0\]\.cas\[1\]: "arn:aws:acm-pca:x" is not a CA ARN/,
    ],
    [
      'a CA of another Region',
      [member({ regions: ['eu-west-1'], bucketPattern: 'p-{region}', cas: [CA_B] })],
      /^accounts\[0\]\.cas\[0\]: is in us-east-1, not in one of the entry's Regions \(eu-west-1\)/,
    ],
    [
      'a CA of another account',
      [member({ roleArn: 'arn:aws:iam::111122223333:role/r', cas: [CA_A] })],
      /^accounts\[0\]\.cas\[0\]: is of account 444455556666, not of the entry's account 111122223333/,
    ],
    [
      'an account and Region twice',
      [member(), member({ regions: ['us-east-1'] })],
      /^accounts\[1\]\.regions\[0\]: us-east-1 of account 444455556666 is already audited by accounts\[0\]/,
    ],
  ])('refuses %s, naming the JSON path', (_what, accounts, expected) => {
    expect(problem(accounts)).toMatch(expected);
  });

  it('takes a valid organisation: default credentials, roles, patterns, listed CAs', () => {
    const p = parseAccounts([
      { regions: ['eu-west-1'], bucket: 'central-reports' },
      member({ externalId: 'org-audit', sessionName: 'nightly', cas: [CA_A, CA_B] }),
    ]);
    expect(p.ok).toBe(true);
  });
});

describe('accounts: buckets', () => {
  it('expands {account} and {region}, every time they occur', () => {
    expect(expandBucketPattern('a-{account}-{region}-{region}', '444455556666', 'eu-west-1')).toBe(
      'a-444455556666-eu-west-1-eu-west-1',
    );
  });

  it.each([
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['My-bucket', /lowercase/],
    ['-bucket', /start and end/],
    ['a..b', /two dots/],
    ['192.168.1.1', /IP address/],
    ['xn--bucket', /xn--/],
    ['bucket-s3alias', /s3alias/],
  ])('a bucket name like %s is refused', (name, why) => {
    expect(bucketNameProblem(name)).toMatch(why);
  });

  it('a good name passes', () =>
    expect(bucketNameProblem('pca-audit-444455556666-eu-west-1')).toBeUndefined());
});

describe('accounts: planned targets', () => {
  it('one target per account and Region, with its bucket, role and CAs of that Region', () => {
    const p = parseAccounts([
      { regions: ['eu-west-1'], bucket: 'central-reports' },
      member({ externalId: 'org-audit', cas: [CA_A, CA_B] }),
      member({ roleArn: 'arn:aws:iam::777788889999:role/r', regions: ['eu-west-1'] }),
    ]);
    if (!p.ok) throw new Error(p.reason);
    const targets = planTargets(p.value);
    expect(targets.map(targetName)).toEqual([
      'default/eu-west-1',
      '444455556666/eu-west-1',
      '444455556666/us-east-1',
      '777788889999/eu-west-1',
    ]);
    expect(targets[0]).toEqual({ region: 'eu-west-1', bucket: 'central-reports', cas: 'all' });
    expect(targets[1]).toMatchObject({
      account: '444455556666',
      bucket: 'pca-audit-444455556666-eu-west-1',
      roleArn: ROLE,
      externalId: 'org-audit',
    });
    expect((targets[1]!.cas as { arn: string }[]).map((c) => c.arn)).toEqual([CA_A]);
    expect((targets[2]!.cas as { arn: string }[]).map((c) => c.arn)).toEqual([CA_B]);
    expect(targets[3]).toMatchObject({ bucket: 'pca-audit-777788889999-eu-west-1', cas: 'all' });
  });
});

describe('accounts: the README samples', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  it.each([
    ['Accounts and Regions', /### Accounts and Regions[\s\S]*?```json\n([\s\S]*?)```/],
    ['Organisation setup', /<!-- org-config:begin[^>]*-->[\s\S]*?```json\n([\s\S]*?)```/],
  ])('the config of %s is valid', (_name, where) => {
    const doc = JSON.parse(where.exec(readme)![1]!) as { accounts: unknown };
    const p = parseAccounts(doc.accounts);
    expect(p.ok ? 'ok' : `${p.path}: ${p.reason}`).toBe('ok');
  });
});
