/** What OCSP answers mean for a night (pure), and the run step's wiring with injected fakes. */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../src/aws/errors.js';
import { parseCaArn } from '../../src/core/ca-arn.js';
import type { OcspAnswer } from '../../src/core/reconcile/ocsp.js';
import {
  type OcspFailure,
  ocspFindings,
  ocspResponderUrl,
  parseOcspOverride,
  selectOcspTargets,
} from '../../src/core/reconcile/ocsp-check.js';
import { renderDiffMarkdown } from '../../src/core/render/markdown.js';
import { renderDiffText } from '../../src/core/render/text.js';
import type { CertificateRow } from '../../src/core/report/report-model.js';
import { checkRevocationsByOcsp, type OcspSettings, type OcspStepDeps } from '../../src/run/ocsp-step.js';
import { aRecord, aSerial, diffOf, epoch, toJsonReport } from '../builders.js';

const NOW = Date.parse('2026-11-20T02:00:00Z') / 1000;
const at = (iso: string) => Date.parse(iso) / 1000;
const row = (serial: string, over: Partial<CertificateRow> = {}): CertificateRow => ({
  serial,
  revokedAt: '2026-11-19T13:48:02Z',
  revocationReason: 'KEY_COMPROMISE',
  notAfter: '2027-11-19T13:48:02Z',
  line: 12,
  ...over,
});
const OPTIONS = { now: NOW, propagationAllowance: 3600, url: 'http://ocsp.acm-pca.eu-west-1.amazonaws.com' };
const CA_SIGNED = { kind: 'ca' } as const;
const revoked = (over: Partial<Extract<OcspAnswer, { status: 'revoked' }>> = {}): OcspAnswer => ({
  status: 'revoked',
  revokedAt: at('2026-11-19T13:48:02Z'),
  reason: 'KEY_COMPROMISE',
  reasonGiven: true,
  signer: CA_SIGNED,
  thisUpdate: at('2026-11-20T01:00:00Z'),
  ...over,
});
const target = (r: CertificateRow) => ({ row: r, hex: r.serial.replace(/:/g, '') });
const findings = (r: CertificateRow, a: OcspAnswer | OcspFailure) =>
  ocspFindings(target(r), a, OPTIONS).map((f) => `${f.severity} ${f.code}`);

describe('ocspFindings', () => {
  it('revoked at the same second for the same reason: none; sub-second report times compare by the second', () => {
    expect(findings(row('0a'), revoked())).toEqual([]);
    expect(findings(row('0a', { revokedAt: '2026-11-19T13:48:02.700Z' }), revoked())).toEqual([]);
  });

  it('another second is OCSP_NOT_REVOKED (error); another reason OCSP_REASON_MISMATCH (warning)', () => {
    expect(findings(row('0a'), revoked({ revokedAt: at('2026-11-19T13:48:03Z') }))).toEqual([
      'error OCSP_NOT_REVOKED',
    ]);
    expect(findings(row('0a'), revoked({ reason: 'SUPERSEDED' }))).toEqual(['warning OCSP_REASON_MISMATCH']);
    // a report row without revokedAt (REVOCATION_INCOMPLETE) has no time to compare
    const { revokedAt: _none, ...incomplete } = row('0a');
    expect(findings(incomplete, revoked({ revokedAt: at('2020-01-01T00:00:00Z') }))).toEqual([]);
  });

  it('good or unknown: an error, a warning while the revocation is younger than the propagation allowance', () => {
    const good: OcspAnswer = { status: 'good', signer: CA_SIGNED, thisUpdate: NOW };
    expect(findings(row('0a'), good)).toEqual(['error OCSP_NOT_REVOKED']);
    expect(findings(row('0a'), { ...good, status: 'unknown' })).toEqual(['error OCSP_NOT_REVOKED']);
    expect(findings(row('0a', { revokedAt: '2026-11-20T01:30:00Z' }), good)).toEqual([
      'warning OCSP_NOT_REVOKED',
    ]);
  });

  it('no answer is OCSP_UNREACHABLE (warning) with its cause; a bad signature OCSP_SIGNATURE_INVALID (error)', () => {
    const [f] = ocspFindings(
      target(row('0a')),
      { status: 'unreachable', cause: 'timeout', detail: 'no answer' },
      OPTIONS,
    );
    expect(f).toMatchObject({
      code: 'OCSP_UNREACHABLE',
      severity: 'warning',
      serial: '0a',
      evidence: { new: { line: 12 }, ocsp: { url: OPTIONS.url, status: 'unreachable', cause: 'timeout' } },
    });
    expect(findings(row('0a'), { status: 'unusable', cause: 'status', detail: 'tryLater' })).toEqual([
      'warning OCSP_UNREACHABLE',
    ]);
    expect(findings(row('0a'), { status: 'signature-invalid', detail: 'x' })).toEqual([
      'error OCSP_SIGNATURE_INVALID',
    ]);
  });
});

describe('selectOcspTargets', () => {
  const sha = (hex: string) => createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
  const serials = Array.from({ length: 10 }, (_, i) => `5a:${(i + 16).toString(16)}`);

  it('all of them up to the bound; beyond it those with the smallest SHA-256 of the serial, whatever the order', async () => {
    const expected = serials
      .map((s) => s.replace(':', ''))
      .sort((a, b) => (sha(a) < sha(b) ? -1 : 1))
      .slice(0, 3);
    const a = await selectOcspTargets(
      serials.map((s) => row(s)),
      3,
      NOW,
    );
    const b = await selectOcspTargets(
      [...serials].reverse().map((s) => row(s)),
      3,
      NOW,
    );
    expect(a.asked.map((t) => t.hex)).toEqual(expected);
    expect(b.asked.map((t) => t.hex)).toEqual(expected);
    expect(a.sampledOut).toBe(7);
    const all = await selectOcspTargets(
      serials.map((s) => row(s)),
      10,
      NOW,
    );
    expect([all.asked.length, all.sampledOut]).toEqual([10, 0]);
  });

  it('expired certificates are counted, not asked', async () => {
    const s = await selectOcspTargets([row('0a'), row('0b', { notAfter: '2026-11-20T01:59:59Z' })], 100, NOW);
    expect(s.asked.map((t) => t.hex)).toEqual(['0a']);
    expect(s.expired).toBe(1);
  });
});

describe('where requests go', () => {
  it("AWS's regional responder, the custom CNAME, or the loopback override", () => {
    expect(ocspResponderUrl('eu-west-1')).toBe('http://ocsp.acm-pca.eu-west-1.amazonaws.com');
    expect(ocspResponderUrl('eu-west-1', 'ocsp.example.com')).toBe('http://ocsp.example.com');
    expect(ocspResponderUrl('eu-west-1', 'ocsp.example.com', 'http://127.0.0.1:9')).toBe(
      'http://127.0.0.1:9',
    );
  });

  it('PCA_AUDIT_OCSP_URL is loopback and http only', () => {
    expect(parseOcspOverride('http://127.0.0.1:8080/')).toEqual({ ok: true, url: 'http://127.0.0.1:8080' });
    expect(parseOcspOverride('http://[::1]:8080')).toMatchObject({ ok: true });
    expect(parseOcspOverride('http://localhost:8080')).toMatchObject({ ok: true });
    for (const bad of [
      'http://10.0.0.1:80',
      'http://ocsp.example.com',
      'https://127.0.0.1',
      'nonsense',
      'http://127.0.0.1.example.com',
    ])
      expect(parseOcspOverride(bad), bad).toMatchObject({ ok: false });
  });
});

describe('rendered', () => {
  it("the ocsp line, `ocsp` in WHERE, and a responder's text escaped", async () => {
    const old = [aRecord({ serial: aSerial(1) })];
    const now = [
      aRecord({
        serial: aSerial(1),
        revokedAt: '2026-11-19T10:00:00+0000',
        revocationReason: 'KEY_COMPROMISE',
      }),
    ];
    const out = await diffOf(toJsonReport(old), toJsonReport(now), {
      oldCreatedAt: epoch('2026-11-19T02:00:00Z'),
      newCreatedAt: epoch('2026-11-20T02:00:00Z'),
    });
    const [revokedRow] = out.changes.revoked;
    const found = ocspFindings(
      target(revokedRow!),
      {
        status: 'signature-invalid',
        detail: 'the responder certificate CN=\u001b[31mevil was issued by CN=x, not by the CA',
      },
      OPTIONS,
    );
    out.findings = [...out.findings, ...found];
    out.ocsp = {
      url: OPTIONS.url,
      asked: 1,
      notAskedUnreachable: 0,
      revokedAsExpected: 0,
      sampledOut: 4,
      expired: 0,
      sampling: 'smallest SHA-256 of the serial',
    };
    const text = renderDiffText(out, { color: false });
    expect(text).toContain(
      `ocsp       ${OPTIONS.url}: 1 asked, 0 revoked as expected; 4 not asked (beyond --ocsp-max: smallest SHA-256 of the serial)`,
    );
    expect(text).toMatch(
      new RegExp(`OCSP_SIGNATURE_INVALID +${revokedRow!.serial} +new:${revokedRow!.line} ocsp `),
    );
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\x1b[31mevil');
    const md = renderDiffMarkdown(out);
    expect(md).toContain(`new:${revokedRow!.line} ocsp`);
    expect(md).not.toContain('\u001b');
  });
});

describe('the run step, with injected AWS and HTTP', () => {
  const CA = parseCaArn(
    'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35',
  )!;
  const SETTINGS: OcspSettings = { enabled: true, max: 100, timeout: 5, concurrency: 4 };

  function fakes(over: Partial<OcspStepDeps> = {}) {
    const calls: string[] = [];
    const deps: OcspStepDeps = {
      describe: async () => {
        calls.push('describe');
        return { enabled: true, customCname: 'ocsp.example.com' };
      },
      caCertificate: async () => {
        calls.push('caCertificate');
        return CA_PEM;
      },
      post: async (url) => {
        calls.push(`post ${url}`);
        return { ok: false, status: 'unreachable', cause: 'network', detail: 'ECONNREFUSED' };
      },
      now: () => NOW,
      ...over,
    };
    return { deps, calls };
  }

  it('asks nothing when --no-ocsp, or when the window revoked nothing', async () => {
    const { deps, calls } = fakes();
    expect(
      await checkRevocationsByOcsp(CA, [row('0a')], { ...SETTINGS, enabled: false }, 3600, deps),
    ).toEqual({
      findings: [],
    });
    expect(await checkRevocationsByOcsp(CA, [], SETTINGS, 3600, deps)).toEqual({ findings: [] });
    expect(calls).toEqual([]);
  });

  it('asks nothing of a CA whose OCSP is disabled', async () => {
    const { deps, calls } = fakes({
      describe: async () => {
        calls.push('describe');
        return { enabled: false };
      },
    });
    expect(await checkRevocationsByOcsp(CA, [row('0a')], SETTINGS, 3600, deps)).toEqual({ findings: [] });
    expect(calls).toEqual(['describe']);
  });

  it("posts to the CA's custom CNAME, one request per certificate, and counts", async () => {
    const { deps, calls } = fakes();
    const out = await checkRevocationsByOcsp(CA, [row('0a'), row('0b')], SETTINGS, 3600, deps);
    expect(calls).toEqual([
      'describe',
      'caCertificate',
      'post http://ocsp.example.com',
      'post http://ocsp.example.com',
    ]);
    expect(out.findings.map((f) => `${f.code} ${f.serial}`)).toEqual([
      'OCSP_UNREACHABLE 0a',
      'OCSP_UNREACHABLE 0b',
    ]);
    expect(out.summary).toEqual({
      url: 'http://ocsp.example.com',
      asked: 2,
      notAskedUnreachable: 0,
      revokedAsExpected: 0,
      sampledOut: 0,
      expired: 0,
      sampling: 'smallest SHA-256 of the serial',
    });
  });

  it('a responder that answers none of the first requests is not asked the rest; each certificate still has its finding', async () => {
    const { deps, calls } = fakes();
    const rows = Array.from({ length: 30 }, (_, i) => row(`0a:${(i + 16).toString(16)}`));
    const out = await checkRevocationsByOcsp(CA, rows, SETTINGS, 3600, deps);
    expect(calls.filter((c) => c.startsWith('post'))).toHaveLength(SETTINGS.concurrency);
    expect(out.findings).toHaveLength(30);
    expect(new Set(out.findings.map((f) => f.code))).toEqual(new Set(['OCSP_UNREACHABLE']));
    expect(out.findings.filter((f) => /not asked: the first 4 requests/.test(f.message))).toHaveLength(26);
    expect(out.summary).toMatchObject({ asked: 4, notAskedUnreachable: 26 });
  });

  it('a failed DescribeCertificateAuthority is one OCSP_UNREACHABLE naming AWS, not a failed night', async () => {
    const { deps } = fakes({
      describe: async () => {
        throw new AwsError('DescribeCertificateAuthority', 'AccessDeniedException', 'not allowed');
      },
    });
    const out = await checkRevocationsByOcsp(CA, [row('0a')], SETTINGS, 3600, deps);
    expect(out.findings).toHaveLength(1);
    expect(out.findings[0]).toMatchObject({
      code: 'OCSP_UNREACHABLE',
      severity: 'warning',
      message:
        'OCSP not checked: AWS DescribeCertificateAuthority failed: AccessDeniedException: not allowed',
      evidence: { ocsp: { cause: 'aws' } },
    });
  });
});

// a throwaway self-signed EC certificate (openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256)
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBfjCCASOgAwIBAgIUGdxvXIZhFdHm6y/ARdjF1CWVytIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJVGVzdCBSb290MB4XDTI2MTIwMzA2MjIxMFoXDTM2MTEzMDA2
MjIxMFowFDESMBAGA1UEAwwJVGVzdCBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEb1+E5EwxLA47D2vPvfKeeTQoB1szCK0o/5KiHtVRY0lbUYIoLm1jiOiz
yzcetVOhOPSMa6J0vVuN2tE5F/ysaqNTMFEwHQYDVR0OBBYEFN7P417Q9vcsHy82
Z4zJDjnnkY6uMB8GA1UdIwQYMBaAFN7P417Q9vcsHy82Z4zJDjnnkY6uMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAODGEyYt8cJ9rI5bvX3Lgme7
dx/n3UVXmF8BJ6UIuH1UAiEAjM9Ybc+mwgILbW63mdG/d4r3gdS/qMJxEx1uDiwM
OZc=
-----END CERTIFICATE-----
`;
