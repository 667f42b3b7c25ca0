import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../src/aws/errors.js';
import { listCas } from '../../src/aws/pca.js';
import { listObjects, listPrefixes } from '../../src/aws/s3.js';

interface Sent {
  name: string;
  input: Record<string, unknown>;
}

/** A client of `Ctor` (the SDK's paginators check the class) answering `pages` in turn, by the token asked for. */
function clientOf<C extends object>(
  Ctor: { prototype: C },
  answer: (input: Record<string, unknown>) => unknown,
): { client: C; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = Object.assign(Object.create(Ctor.prototype) as C, {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: { ...command.input } });
      return answer(command.input);
    },
  });
  return { client, sent };
}

const object = (key: string) => ({ Key: key, Size: 1, LastModified: new Date(0), ETag: '"e"' });

describe('listings through the SDK paginators', () => {
  it('ListObjectsV2: every page, by ContinuationToken, with the prefix and delimiter', async () => {
    const { client, sent } = clientOf(S3Client, (input) =>
      input.ContinuationToken === undefined
        ? { Contents: [object('a'), object('b')], IsTruncated: true, NextContinuationToken: 't1' }
        : input.ContinuationToken === 't1'
          ? { Contents: [object('c')], IsTruncated: true, NextContinuationToken: 't2' }
          : { Contents: [object('d')], IsTruncated: false },
    );
    const keys = (await listObjects(client, 'bucket', 'audit-report/')).map((o) => o.key);
    expect(keys).toEqual(['a', 'b', 'c', 'd']);
    expect(sent.map((s) => [s.name, s.input.Bucket, s.input.Prefix, s.input.ContinuationToken])).toEqual([
      ['ListObjectsV2Command', 'bucket', 'audit-report/', undefined],
      ['ListObjectsV2Command', 'bucket', 'audit-report/', 't1'],
      ['ListObjectsV2Command', 'bucket', 'audit-report/', 't2'],
    ]);
    expect(sent.every((s) => s.input.Delimiter === undefined)).toBe(true);

    const prefixes = clientOf(S3Client, (input) =>
      input.ContinuationToken === undefined
        ? { CommonPrefixes: [{ Prefix: 'x/' }], NextContinuationToken: 'n', IsTruncated: true }
        : { CommonPrefixes: [{ Prefix: 'y/' }], IsTruncated: false },
    );
    expect(await listPrefixes(prefixes.client, 'bucket', '')).toEqual(['x/', 'y/']);
    expect(prefixes.sent.map((s) => s.input.Delimiter)).toEqual(['/', '/']);
  });

  it('a page that fails is an AwsError naming the operation', async () => {
    const denied = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403, requestId: 'r-2' },
    });
    const { client } = clientOf(S3Client, (input) => {
      if (input.ContinuationToken === 't1') throw denied;
      return { Contents: [object('a')], IsTruncated: true, NextContinuationToken: 't1' };
    });
    const err = await listObjects(client, 'bucket', '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({ operation: 'ListObjectsV2', errorName: 'AccessDenied', requestId: 'r-2' });
  });

  it('ListCertificateAuthorities: every page by NextToken, shared ones with ResourceOwner', async () => {
    const { client, sent } = clientOf(ACMPCAClient, (input) =>
      input.NextToken === undefined
        ? {
            CertificateAuthorities: [{ Arn: 'arn:1', Status: 'ACTIVE' }, { Status: 'ACTIVE' }],
            NextToken: 'p2',
          }
        : { CertificateAuthorities: [{ Arn: 'arn:2', Status: 'DISABLED', OwnerAccount: '444455556666' }] },
    );
    expect(await listCas(client, true)).toEqual([
      { arn: 'arn:1', status: 'ACTIVE' },
      { arn: 'arn:2', status: 'DISABLED', ownerAccount: '444455556666' },
    ]);
    expect(sent.map((s) => [s.input.NextToken, s.input.ResourceOwner])).toEqual([
      [undefined, 'OTHER_ACCOUNTS'],
      ['p2', 'OTHER_ACCOUNTS'],
    ]);
  });
});
