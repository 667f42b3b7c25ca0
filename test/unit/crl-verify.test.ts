import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrlError, decodeCrl } from '../../src/core/reconcile/crl.js';
import { crlRefreshAge } from '../../src/core/reconcile/crl-check.js';
import { CaCertificateError, parseCaCertificate, verifyCrl } from '../../src/core/reconcile/crl-verify.js';
import { aRecord, aSerial, crlCheckRun, epoch, someRecords, toJsonReport } from '../builders.js';
import { makeTestCa, makeTestCrl, type SigningKey, type TestCa } from '../support/crl.js';

/**
 * issue 15 item 2: CRLs made with x509's X509CrlGenerator, signed by a CA key made here, verified
 * against the CA certificate; openssl cross-checks what a signature check says.
 */

const THIS_UPDATE = epoch('2026-11-20T01:30:00Z');
const NEW_AT = epoch('2026-11-20T02:00:00Z');
const b64 = (t: string) => new Uint8Array(Buffer.from(t, 'base64'));
const hexOf = (serial: string) => serial.replace(/:/g, '');
type Ca = TestCa;
const makeCa = makeTestCa;
const makeCrl = (
  key: SigningKey,
  options: Omit<Parameters<typeof makeTestCrl>[1], 'thisUpdate'> & { thisUpdate?: number } = {},
) => makeTestCrl(key, { ...options, thisUpdate: options.thisUpdate ?? THIS_UPDATE });

/** NEW: certificate 1 revoked (KEY_COMPROMISE) on 2026-11-19 */
function report(): string {
  const records = someRecords(3, () => ({ notAfter: '2027-06-01T00:00:00+0000' }));
  records[1] = aRecord({
    ...records[1]!,
    revokedAt: '2026-11-19T14:03:11+0000',
    revocationReason: 'KEY_COMPROMISE',
  });
  return toJsonReport(records);
}
const revokedEntry = () => ({ serial: hexOf(aSerial(1)), at: epoch('2026-11-19T14:03:11Z') });

async function check(der: Uint8Array, ca: Ca | undefined, extra: { now?: number; maxAge?: number } = {}) {
  const doc = decodeCrl(der);
  const verification = await verifyCrl(doc, ca?.cert);
  return crlCheckRun(report(), doc.crl, { newCreatedAt: NEW_AT, verification, ...extra });
}

let dir: string;
let ca: Ca;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-crl-verify-'));
  ca = await makeCa();
  writeFileSync(join(dir, 'ca.pem'), ca.cert.toString('pem'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `openssl crl -CAfile` says of the CRL's signature. */
function opensslVerifies(der: Uint8Array): boolean {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.crl`);
  writeFileSync(file, der);
  const r = spawnSync(
    'openssl',
    ['crl', '-inform', 'DER', '-in', file, '-CAfile', join(dir, 'ca.pem'), '-noout'],
    {
      encoding: 'utf8',
    },
  );
  return /verify OK/.test(r.stdout + r.stderr);
}

describe('verifyCrl and checkCrl: is the CRL the CA’s (issue 15 item 2)', () => {
  it('signed by the CA: verified (as openssl says), issuer matches, no trust finding', async () => {
    const der = await makeCrl(ca.keys.privateKey, { entries: [revokedEntry()] });
    expect(opensslVerifies(der)).toBe(true);
    const r = await check(der, ca, { now: NEW_AT, maxAge: 25 * 3600 });
    expect(r.findings).toEqual([]);
    // the same bytes as a Node Buffer inside a larger pool (as files are read): still verified
    const pooled = Buffer.concat([Buffer.from('xx'), der]).subarray(2);
    expect((await verifyCrl(decodeCrl(pooled), ca.cert)).signature).toBe('verified');
    expect(r.summary).toMatchObject({
      signature: 'verified',
      caSubject: 'CN=Example Issuing CA,O=Example Corp,C=IE',
      matched: 1,
    });
    expect(r.summary).not.toHaveProperty('notCompared');
  });

  it('without a CA certificate: "not verified", and nothing said of the signature', async () => {
    const other = await makeCa();
    const der = await makeCrl(other.keys.privateKey, { entries: [revokedEntry()] });
    const r = await check(der, undefined);
    expect(r.findings).toEqual([]);
    expect(r.summary.signature).toBe('not verified');
  });

  it('CRL_SIGNATURE_INVALID: one corrupted signature byte (openssl agrees)', async () => {
    const der = await makeCrl(ca.keys.privateKey, { entries: [revokedEntry()] });
    const bad = der.slice();
    bad[bad.length - 5] = bad[bad.length - 5]! ^ 0x01; // inside the ECDSA signature's s
    expect(opensslVerifies(bad)).toBe(false);
    const r = await check(bad, ca);
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([['CRL_SIGNATURE_INVALID', 'error']]);
    expect(r.summary.signature).toBe('invalid');
    // its entries are still compared: the operator sees what the CRL would have said
    expect(r.summary.matched).toBe(1);
  });

  it('CRL_SIGNATURE_INVALID: a forged CRL (the CA’s name, another key)', async () => {
    const forger = await makeCa();
    const der = await makeCrl(forger.keys.privateKey, { entries: [revokedEntry()] });
    expect(opensslVerifies(der)).toBe(false);
    const r = await check(der, ca);
    expect(r.findings.map((f) => f.code)).toEqual(['CRL_SIGNATURE_INVALID']);
  });

  it('CRL_ISSUER_MISMATCH: a CRL of another CA; its entries are not compared', async () => {
    const other = await makeCa('C=FR, O=Elsewhere, CN=Another CA');
    const der = await makeCrl(other.keys.privateKey, {
      issuer: 'C=FR, O=Elsewhere, CN=Another CA',
      entries: [{ serial: '7f0001', at: epoch('2026-11-19T00:00:00Z') }],
    });
    const r = await check(der, ca);
    expect(r.findings.map((f) => f.code).sort()).toEqual(['CRL_ISSUER_MISMATCH', 'CRL_SIGNATURE_INVALID']);
    expect(r.findings.find((f) => f.code === 'CRL_ISSUER_MISMATCH')!.message).toBe(
      'the CRL\'s issuer "CN=Another CA,O=Elsewhere,C=FR" is not the CA certificate\'s subject "CN=Example Issuing CA,O=Example Corp,C=IE": its entries are not compared',
    );
    // neither the unknown entry nor the revocation missing from it
    expect(r.summary).toMatchObject({
      matched: 0,
      notCompared: expect.stringContaining('CRL_ISSUER_MISMATCH'),
    });
  });

  it('CRL_STALE: nextUpdate passed is an error; older than --crl-max-age a warning; fresh nothing', async () => {
    const der = await makeCrl(ca.keys.privateKey, {
      entries: [revokedEntry()],
      nextUpdate: THIS_UPDATE + 3 * 86400,
    });
    const at = async (now: number) =>
      (await check(der, ca, { now, maxAge: 25 * 3600 })).findings.map((f) => [f.code, f.severity, f.message]);
    expect(await at(THIS_UPDATE + 25 * 3600)).toEqual([]);
    expect(await at(THIS_UPDATE + 25 * 3600 + 1)).toEqual([
      [
        'CRL_STALE',
        'warning',
        'thisUpdate 2026-11-20T01:30:00Z is older than --crl-max-age (25h): the CA may have stopped publishing',
      ],
    ]);
    expect(await at(THIS_UPDATE + 3 * 86400)).toHaveLength(1);
    expect(await at(THIS_UPDATE + 3 * 86400 + 1)).toEqual([
      [
        'CRL_STALE',
        'error',
        'nextUpdate 2026-11-23T01:30:00Z has passed (thisUpdate 2026-11-20T01:30:00Z): relying parties that check it reject the CRL',
      ],
    ]);
  });

  it('CRL_STALE without --crl-max-age: older than half its validity and an hour, when PCA replaces it', async () => {
    // a quiet CA's 7-day CRL (ExpirationInDays 7) is replaced after 3.5 days: 3 days old is no finding
    const der = await makeCrl(ca.keys.privateKey, {
      entries: [revokedEntry()],
      nextUpdate: THIS_UPDATE + 7 * 86400,
    });
    const at = async (now: number) =>
      (await check(der, ca, { now })).findings.map((f) => [f.code, f.severity, f.message]);
    expect(await at(THIS_UPDATE + 3 * 86400)).toEqual([]);
    expect(await at(THIS_UPDATE + 3.5 * 86400 + 3600)).toEqual([]);
    expect(await at(THIS_UPDATE + 3.5 * 86400 + 3601)).toEqual([
      [
        'CRL_STALE',
        'warning',
        'thisUpdate 2026-11-20T01:30:00Z is older than half its validity and an hour (85h), by when PCA replaces it: the CA may have stopped publishing',
      ],
    ]);
    expect(crlRefreshAge({ thisUpdate: 0, nextUpdate: 86400 })).toBe(13 * 3600);
    // without nextUpdate (not PCA's), a day and an hour
    expect(crlRefreshAge({ thisUpdate: 0 })).toBe(25 * 3600);
  });

  it('CRL_ENTRY_AFTER_THISUPDATE: an entry revoked after the CRL was made', async () => {
    const der = await makeCrl(ca.keys.privateKey, {
      entries: [revokedEntry(), { serial: hexOf(aSerial(2)), at: THIS_UPDATE + 60 }],
    });
    const r = await check(der, ca);
    expect(r.findings.map((f) => [f.code, f.severity, f.serial])).toEqual([
      ['CRL_ENTRY_AFTER_THISUPDATE', 'warning', aSerial(2)],
      ['CRL_UNKNOWN_ENTRY', 'error', aSerial(2)],
    ]);
  });
});

describe('parseCaCertificate', () => {
  it('PEM and DER give the same certificate; anything else is refused', () => {
    const pem = new TextEncoder().encode(ca.cert.toString('pem'));
    const der = new Uint8Array(ca.cert.rawData);
    expect(parseCaCertificate(pem, b64).subject).toBe(parseCaCertificate(der, b64).subject);
    expect(() => parseCaCertificate(new TextEncoder().encode('hello'), b64)).toThrow(CaCertificateError);
    expect(() => parseCaCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3]), b64)).toThrow(
      /not a DER certificate/,
    );
  });

  it('a CRL given as the certificate is refused, and a certificate as the CRL', () => {
    expect(() => decodeCrl(new Uint8Array(ca.cert.rawData))).toThrow(CrlError);
  });
});
