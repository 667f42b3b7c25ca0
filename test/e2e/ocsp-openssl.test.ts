/**
 * OCSP against an independent responder: openssl 3.0 answers each request (index.txt, signed by
 * the CA, a delegated responder, or a stranger), served on 127.0.0.1. The requests pca-audit
 * builds, the answers it verifies and the findings it draws, end to end but for AWS.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCaArn } from '../../src/core/ca-arn.js';
import { formatInstant } from '../../src/core/instant.js';
import type { CertificateRow } from '../../src/core/report/report-model.js';
import { formatSerial } from '../../src/core/report/serial.js';
import { postOcsp } from '../../src/io/ocsp-client.js';
import { checkRevocationsByOcsp, type OcspSettings, type OcspStepDeps } from '../../src/run/ocsp-step.js';
import {
  closedPort,
  indexLine,
  type OpensslCa,
  opensslCa,
  startOcspResponder,
} from '../support/ocsp-responder.js';

const CA = parseCaArn(
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35',
)!;
const REVOKED_AT = new Date('2026-11-19T13:48:02Z');
// the high bit set: the INTEGER needs its 00 sign octet, and the canonical hex has none
const SERIAL = '8badf00d0102030405';
let dir: string;
let ca: OpensslCa;
let stranger: OpensslCa;
let delegated: { cert: string; key: string };
let undelegated: { cert: string; key: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-ocsp-'));
  ca = opensslCa(dir, 'ca');
  stranger = opensslCa(dir, 'stranger', '/CN=ca/O=Example Corp/C=IE');
  delegated = ca.issue('responder', '01', 'extendedKeyUsage=OCSPSigning');
  undelegated = ca.issue('not-a-responder', '02', 'extendedKeyUsage=serverAuth');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function index(name: string, lines: string[]): string {
  const path = join(dir, `${name}.txt`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const row = (serialHex: string, reason = 'KEY_COMPROMISE', at = REVOKED_AT): CertificateRow => ({
  serial: formatSerial(serialHex),
  revokedAt: formatInstant(at.getTime() / 1000),
  revocationReason: reason,
  notAfter: '2027-11-19T13:48:02Z',
  line: 7,
});

const SETTINGS: OcspSettings = { enabled: true, max: 100, timeout: 5, concurrency: 8 };

function deps(caCert = ca.cert): OcspStepDeps {
  return {
    describe: async () => ({ enabled: true }),
    caCertificate: async () => readFileSync(caCert, 'utf8'),
    post: (u, request) => postOcsp(u, request, { timeout: 5 }),
    now: () => Date.now() / 1000,
  };
}

async function check(responder: { url: string }, rows: CertificateRow[], settings: OcspSettings = SETTINGS) {
  return checkRevocationsByOcsp(CA, rows, { ...settings, urlOverride: responder.url }, 3600, deps());
}

const codes = (fs: Array<{ code: string; severity: string }>) => fs.map((f) => `${f.severity} ${f.code}`);

describe('OCSP against openssl as the responder', () => {
  it('revoked, at the same second and for the same reason, signed by the CA: no finding', async () => {
    const r = await startOcspResponder({
      index: index('revoked', [indexLine(SERIAL, [REVOKED_AT, 'keyCompromise'])]),
      ca: ca.cert,
      signer: { cert: ca.cert, key: ca.key },
    });
    try {
      const out = await check(r, [row(SERIAL)]);
      expect(out.findings).toEqual([]);
      expect(out.summary).toMatchObject({ url: r.url, asked: 1, revokedAsExpected: 1, sampledOut: 0 });
      expect(r.requests).toBe(1);
    } finally {
      await r.close();
    }
  });

  it('revoked, signed by a delegated responder (id-kp-OCSPSigning, issued by the CA): no finding', async () => {
    const r = await startOcspResponder({
      index: index('delegated', [indexLine(SERIAL, [REVOKED_AT, 'keyCompromise'])]),
      ca: ca.cert,
      signer: delegated,
    });
    try {
      expect((await check(r, [row(SERIAL)])).findings).toEqual([]);
    } finally {
      await r.close();
    }
  });

  it('another time is OCSP_NOT_REVOKED (error), another reason OCSP_REASON_MISMATCH (warning)', async () => {
    const r = await startOcspResponder({
      index: index('other', [
        indexLine(SERIAL, [new Date('2026-11-19T13:48:03Z'), 'keyCompromise']),
        indexLine('0a0b', [REVOKED_AT, 'superseded']),
      ]),
      ca: ca.cert,
      signer: { cert: ca.cert, key: ca.key },
    });
    try {
      const out = await check(r, [row(SERIAL), row('0a0b')]);
      expect(out.findings.map((f) => `${f.severity} ${f.code} ${f.serial}`).sort()).toEqual([
        `error OCSP_NOT_REVOKED ${formatSerial(SERIAL)}`,
        'warning OCSP_REASON_MISMATCH 0a:0b',
      ]);
      expect(out.findings.find((f) => f.code === 'OCSP_REASON_MISMATCH')?.message).toMatch(
        /OCSP gives reason SUPERSEDED, the new report KEY_COMPROMISE/,
      );
    } finally {
      await r.close();
    }
  });

  it('good for a revoked certificate is OCSP_NOT_REVOKED (error); a serial it does not know, too (unknown)', async () => {
    const r = await startOcspResponder({
      index: index('good', [indexLine(SERIAL)]),
      ca: ca.cert,
      signer: { cert: ca.cert, key: ca.key },
    });
    try {
      const out = await check(r, [row(SERIAL), row('0c0d')]);
      expect(codes(out.findings)).toEqual(['error OCSP_NOT_REVOKED', 'error OCSP_NOT_REVOKED']);
      expect(out.findings.map((f) => (f.evidence.ocsp as { status: string }).status).sort()).toEqual([
        'good',
        'unknown',
      ]);
      expect(out.summary?.revokedAsExpected).toBe(0);
    } finally {
      await r.close();
    }
  });

  it('a responder that is not there, or answers HTTP 500: OCSP_UNREACHABLE (warning), the cause said', async () => {
    const port = await closedPort();
    const gone = await check({ url: `http://127.0.0.1:${port}` }, [row(SERIAL)]);
    expect(codes(gone.findings)).toEqual(['warning OCSP_UNREACHABLE']);
    expect(gone.findings[0]!.evidence.ocsp).toMatchObject({ cause: 'network' });
    expect(gone.findings[0]!.message).toMatch(/ECONNREFUSED/);

    const r = await startOcspResponder({ index: index('x', []), ca: ca.cert, signer: ca, fail: 500 });
    try {
      const out = await check(r, [row(SERIAL)]);
      expect(codes(out.findings)).toEqual(['warning OCSP_UNREACHABLE']);
      expect(out.findings[0]!.evidence.ocsp).toMatchObject({
        cause: 'http',
        detail: expect.stringMatching(/HTTP 500/),
      });
    } finally {
      await r.close();
    }
  });

  it('a responder that never answers: OCSP_UNREACHABLE with cause timeout, after --timeout', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const started = performance.now();
      const result = await postOcsp(url, new Uint8Array([0x30, 0x00]), { timeout: 0.5 });
      expect(result).toMatchObject({ ok: false, cause: 'timeout' });
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('signed by a stranger (same subject, another key), or by a CA certificate without OCSPSigning: OCSP_SIGNATURE_INVALID', async () => {
    const lines = [indexLine(SERIAL, [REVOKED_AT, 'keyCompromise'])];
    // the stranger's certificate carries the CA's very subject: only the key tells them apart
    const forged = await startOcspResponder({
      index: index('forged', lines),
      ca: ca.cert,
      signer: { cert: stranger.cert, key: stranger.key },
    });
    const wrongEku = await startOcspResponder({
      index: index('eku', lines),
      ca: ca.cert,
      signer: undelegated,
    });
    try {
      const a = await check(forged, [row(SERIAL)]);
      expect(codes(a.findings)).toEqual(['error OCSP_SIGNATURE_INVALID']);
      expect(a.findings[0]!.message).toMatch(/does not verify with the key of the CA/);
      const b = await check(wrongEku, [row(SERIAL)]);
      expect(codes(b.findings)).toEqual(['error OCSP_SIGNATURE_INVALID']);
      expect(b.findings[0]!.message).toMatch(/lacks id-kp-OCSPSigning/);
    } finally {
      await forged.close();
      await wrongEku.close();
    }
  });

  it('measures 100 checks; beyond --ocsp-max the same sample every time, the rest counted', async () => {
    const serials = Array.from({ length: 120 }, (_, i) => `7f${(i + 1).toString(16).padStart(4, '0')}`);
    const r = await startOcspResponder({
      index: index(
        'many',
        serials.map((s) => indexLine(s, [REVOKED_AT, 'keyCompromise'])),
      ),
      ca: ca.cert,
      signer: { cert: ca.cert, key: ca.key },
    });
    try {
      const started = performance.now();
      const out = await check(
        r,
        serials.map((s) => row(s)),
      );
      const ms = performance.now() - started;
      process.stderr.write(`ocsp: 100 checks against openssl on 127.0.0.1 took ${Math.round(ms)} ms\n`);
      expect(out.findings).toEqual([]);
      expect(out.summary).toMatchObject({ asked: 100, revokedAsExpected: 100, sampledOut: 20 });
      expect(r.requests).toBe(100);
    } finally {
      await r.close();
    }
  });
});
