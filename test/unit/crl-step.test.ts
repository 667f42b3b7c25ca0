import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { type CaArn, parseCaArn } from '../../src/core/ca-arn.js';
import type { RevocationConfig } from '../../src/core/reconcile/crl-location.js';
import { type CrlStepDeps, caReadsOnce, fetchRevocationSources } from '../../src/run/crl-step.js';
import { aRecord, aSerial, crlCheckRun, epoch, someRecords, toJsonReport } from '../builders.js';
import { makeTestCa, makeTestCrl, type TestCa } from '../support/crl.js';

/** issue 15 item 3: run's CRL step, with the AWS reads faked */

const CA = parseCaArn(
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35',
) as CaArn;
const THIS_UPDATE = epoch('2026-11-20T01:30:00Z');
const hexOf = (serial: string) => serial.replace(/:/g, '');

let ca: TestCa;
beforeAll(async () => {
  ca = await makeTestCa();
});

/** A bucket of objects, and who asked for what. */
function fakes(config: RevocationConfig, objects: Record<string, Uint8Array>) {
  const calls: string[] = [];
  const deps: CrlStepDeps = {
    describeRevocation: async () => {
      calls.push('DescribeCertificateAuthority');
      return config;
    },
    caCertificate: async () => {
      calls.push('GetCertificateAuthorityCertificate');
      return new TextEncoder().encode(ca.cert.toString('pem'));
    },
    getObject: async (_ca, bucket, key) => {
      calls.push(`GetObject s3://${bucket}/${key}`);
      return objects[`${bucket}/${key}`];
    },
    listCrlKeys: async (_ca, bucket, prefix) => {
      calls.push(`ListObjectsV2 s3://${bucket}/${prefix}`);
      return Object.keys(objects)
        .filter((k) => k.startsWith(`${bucket}/${prefix}`) && k.endsWith('.crl'))
        .map((k) => k.slice(bucket.length + 1))
        .sort();
    },
  };
  return { deps, calls };
}

const crlOf = (entries: Array<{ serial: string; at: number }>) =>
  makeTestCrl(ca.keys.privateKey, { thisUpdate: THIS_UPDATE, entries });

describe('fetchRevocationSources (issue 15 item 3)', () => {
  it('NO_REVOCATION_PUBLISHED: CRLs and OCSP disabled; nothing read beyond the description', async () => {
    const { deps, calls } = fakes({ crl: { enabled: false }, ocspEnabled: false }, {});
    const r = await fetchRevocationSources(CA, deps);
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['NO_REVOCATION_PUBLISHED', 'warning']]);
    expect(r.crl).toBeUndefined();
    expect(calls).toEqual(['DescribeCertificateAuthority']);
    // no RevocationConfiguration at all reads the same
    const none = await fetchRevocationSources(CA, fakes({ ocspEnabled: false }, {}).deps);
    expect(none.findings.map((f) => f.code)).toEqual(['NO_REVOCATION_PUBLISHED']);
  });

  it('OCSP only: no finding, no CRL, a note', async () => {
    const r = await fetchRevocationSources(
      CA,
      fakes({ crl: { enabled: false }, ocspEnabled: true }, {}).deps,
    );
    expect(r).toEqual({ findings: [], notes: ['CRLs are disabled (OCSP only): no CRL checked'] });
  });

  it('COMPLETE: crl/<CA_ID>.crl from the CRL bucket (not the report bucket), verified with the CA certificate', async () => {
    const der = await crlOf([{ serial: 'aa01', at: THIS_UPDATE - 3600 }]);
    const { deps, calls } = fakes(
      { crl: { enabled: true, bucket: 'crl-bucket', type: 'COMPLETE' }, ocspEnabled: false },
      { [`crl-bucket/crl/${CA.id}.crl`]: der },
    );
    const r = await fetchRevocationSources(CA, deps);
    expect(r.findings).toEqual([]);
    expect(r.crl?.source).toBe(`s3://crl-bucket/crl/${CA.id}.crl`);
    expect(r.crl?.verification).toMatchObject({ signature: 'verified', issuerMatches: true });
    expect(r.crl?.crl.entries.map((e) => e.serial)).toEqual(['aa01']);
    expect(calls).toEqual([
      'DescribeCertificateAuthority',
      'GetCertificateAuthorityCertificate',
      `GetObject s3://crl-bucket/crl/${CA.id}.crl`,
    ]);
  });

  it('CustomPath replaces crl/', async () => {
    const der = await crlOf([]);
    const { deps } = fakes(
      { crl: { enabled: true, bucket: 'b', customPath: '/pki/crls/' }, ocspEnabled: false },
      { [`b/pki/crls/${CA.id}.crl`]: der },
    );
    expect((await fetchRevocationSources(CA, deps)).crl?.source).toBe(`s3://b/pki/crls/${CA.id}.crl`);
  });

  it('CRL_MISSING: enabled, but the object is not there, or not a CRL', async () => {
    const config: RevocationConfig = { crl: { enabled: true, bucket: 'b' }, ocspEnabled: true };
    const missing = await fetchRevocationSources(CA, fakes(config, {}).deps);
    expect(missing.findings.map((f) => [f.code, f.severity, f.message])).toEqual([
      [
        'CRL_MISSING',
        'error',
        `CRLs are enabled, but s3://b/crl/${CA.id}.crl is not there: relying parties cannot fetch a CRL`,
      ],
    ]);
    const junk = await fetchRevocationSources(
      CA,
      fakes(config, { [`b/crl/${CA.id}.crl`]: new Uint8Array([0x30, 0x05, 1]) }).deps,
    );
    expect(junk.findings.map((f) => f.code)).toEqual(['CRL_MISSING']);
    expect(junk.findings[0]!.message).toMatch(/is not a CRL \(byte 3: truncated/);
  });

  it('PARTITIONED: every partition under crl/<CA_ID>, merged and compared as one complete CRL', async () => {
    const records = someRecords(4, () => ({ notAfter: '2027-06-01T00:00:00+0000' }));
    for (const i of [1, 2, 3]) {
      records[i] = aRecord({
        ...records[i]!,
        revokedAt: '2026-11-19T10:00:00+0000',
        revocationReason: 'KEY_COMPROMISE',
      });
    }
    const at = epoch('2026-11-19T10:00:00Z');
    const { deps, calls } = fakes(
      { crl: { enabled: true, bucket: 'b', type: 'PARTITIONED' }, ocspEnabled: false },
      {
        [`b/crl/${CA.id}/0b5e2c4e-1.crl`]: await crlOf([{ serial: hexOf(aSerial(1)), at }]),
        [`b/crl/${CA.id}/7a9d0f11-2.crl`]: await crlOf([{ serial: hexOf(aSerial(2)), at }]),
        [`b/crl/${CA.id}/README.txt`]: new Uint8Array([1]),
      },
    );
    const r = await fetchRevocationSources(CA, deps);
    expect(calls.filter((c) => c.startsWith('GetObject'))).toHaveLength(2);
    expect(r.crl?.source).toBe(`s3://b/crl/${CA.id}*.crl (2 partitions)`);
    expect(r.crl?.crl.entries).toHaveLength(2);
    expect(r.crl?.crl.partition).toBeUndefined();
    // certificate 3 is on neither partition: with all partitions read, that is a missing revocation
    const checked = await crlCheckRun(toJsonReport(records), r.crl!.crl, {
      verification: r.crl!.verification,
      newCreatedAt: epoch('2026-11-20T02:00:00Z'),
    });
    expect(checked.findings.map((f) => [f.code, f.serial])).toEqual([['CRL_MISSING_REVOCATION', aSerial(3)]]);
    expect(checked.summary).toMatchObject({ matched: 2, signature: 'verified' });
    // no partition at all
    const none = await fetchRevocationSources(
      CA,
      fakes({ crl: { enabled: true, bucket: 'b', type: 'PARTITIONED' }, ocspEnabled: false }, {}).deps,
    );
    expect(none.findings.map((f) => f.message)).toEqual([
      'CRLs are enabled, but no partition CRL is in the bucket: relying parties cannot fetch a CRL',
    ]);
  });

  it('a partition signed by another key makes the whole CRL CRL_SIGNATURE_INVALID', async () => {
    const forger = await makeTestCa();
    const { deps } = fakes(
      { crl: { enabled: true, bucket: 'b', type: 'PARTITIONED' }, ocspEnabled: false },
      {
        [`b/crl/${CA.id}/1.crl`]: await crlOf([]),
        [`b/crl/${CA.id}/2.crl`]: await makeTestCrl(forger.keys.privateKey, { thisUpdate: THIS_UPDATE }),
      },
    );
    const r = await fetchRevocationSources(CA, deps);
    expect(r.crl?.verification.signature).toBe('invalid');
  });
});

describe('caReadsOnce: the CRL and OCSP steps share one read of the CA', () => {
  it('DescribeCertificateAuthority and GetCertificateAuthorityCertificate are called once per CA', async () => {
    const calls: string[] = [];
    const pca = {
      send: async (command: {
        constructor: { name: string };
        input: { CertificateAuthorityArn: string };
      }) => {
        calls.push(`${command.constructor.name} ${command.input.CertificateAuthorityArn.slice(-4)}`);
        return command.constructor.name === 'DescribeCertificateAuthorityCommand'
          ? {
              CertificateAuthority: {
                RevocationConfiguration: {
                  OcspConfiguration: { Enabled: true, OcspCustomCname: 'ocsp.example.com' },
                },
              },
            }
          : { Certificate: '-----BEGIN CERTIFICATE-----' };
      },
    };
    const reads = caReadsOnce(async () => ({ pca: () => pca }) as unknown as AwsClients);
    const a = parseCaArn(
      'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35',
    )!;
    const b = parseCaArn(
      'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/8e2f4a61-7c3d-4b9e-a5f0-1d6c8b3e9a27',
    )!;
    for (const ca of [a, a, b, a]) {
      expect(await reads.describeRevocation(ca)).toEqual({
        ocspEnabled: true,
        ocspCustomCname: 'ocsp.example.com',
      });
      await reads.caCertificatePem(ca);
    }
    expect(calls.sort()).toEqual([
      'DescribeCertificateAuthorityCommand 1c35',
      'DescribeCertificateAuthorityCommand 9a27',
      'GetCertificateAuthorityCertificateCommand 1c35',
      'GetCertificateAuthorityCertificateCommand 9a27',
    ]);
  });
});
