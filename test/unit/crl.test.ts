import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Crl,
  type CrlEntry,
  CrlError,
  crlDer,
  describeCrl,
  parseCrl,
} from '../../src/core/reconcile/crl.js';
import { parseSerial } from '../../src/core/report/serial.js';
import {
  aRecord,
  aSerial,
  crlCheckRun,
  epoch,
  type ReportRecord,
  someRecords,
  toJsonReport,
} from '../builders.js';

/**
 * CRLs made by the real `openssl ca -gencrl` from an index.txt (a throwaway EC key in a temp dir),
 * read by parseCrl and compared, entry by entry, with what `openssl crl -text` prints.
 */

const b64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

let dir: string;
let n = 0;

const CA_SUBJECT = '/C=IE/O=Example Corp/CN=Example Issuing CA';

interface IndexEntry {
  /** uppercase hex as index.txt holds it */
  serial: string;
  /** YYMMDDHHMMSSZ */
  revoked?: string;
  reason?: string;
}

interface Made {
  der: Uint8Array;
  pem: string;
  /** `openssl crl -text -noout -nameopt RFC2253` */
  text: string;
}

/** Runs openssl ca -gencrl over these index entries. */
function makeCrl(
  entries: IndexEntry[],
  options: {
    crlNumber?: string;
    extensions?: boolean;
    lastUpdate?: string;
    nextUpdate?: string;
    /** more lines of the [ crl_ext ] section, and sections after it */
    crlExt?: string[];
    sections?: string[];
  } = {},
): Made {
  const d = join(dir, `ca${n++}`);
  execFileSync('mkdir', ['-p', d]);
  const index = entries
    .map(
      (e) =>
        `${e.revoked ? 'R' : 'V'}\t271119000000Z\t${e.revoked ? `${e.revoked}${e.reason ? `,${e.reason}` : ''}` : ''}\t${e.serial}\tunknown\t/CN=leaf-${e.serial}\n`,
    )
    .join('');
  writeFileSync(join(d, 'index.txt'), index);
  const conf = [
    '[ ca ]',
    'default_ca = CA_default',
    '[ CA_default ]',
    `database = ${join(d, 'index.txt')}`,
    `certificate = ${join(dir, 'ca.pem')}`,
    `private_key = ${join(dir, 'ca.key')}`,
    'default_md = sha256',
    ...(options.crlNumber === undefined ? [] : [`crlnumber = ${join(d, 'crlnumber')}`]),
    ...(options.extensions === false
      ? []
      : [
          'crl_extensions = crl_ext',
          '[ crl_ext ]',
          'authorityKeyIdentifier=keyid:always',
          ...(options.crlExt ?? []),
          ...(options.sections ?? []),
        ]),
    '',
  ].join('\n');
  writeFileSync(join(d, 'ca.conf'), conf);
  if (options.crlNumber !== undefined) writeFileSync(join(d, 'crlnumber'), `${options.crlNumber}\n`);
  const pemPath = join(d, 'crl.pem');
  execFileSync(
    'openssl',
    [
      'ca',
      '-gencrl',
      '-batch',
      '-config',
      join(d, 'ca.conf'),
      '-out',
      pemPath,
      '-crl_lastupdate',
      options.lastUpdate ?? '20261120020000Z',
      '-crl_nextupdate',
      options.nextUpdate ?? '20261127020000Z',
    ],
    { stdio: 'pipe' },
  );
  const der = new Uint8Array(execFileSync('openssl', ['crl', '-in', pemPath, '-outform', 'DER']));
  return { der, pem: readFileSync(pemPath, 'utf8'), text: opensslText(der) };
}

function opensslText(der: Uint8Array): string {
  return execFileSync('openssl', ['crl', '-inform', 'DER', '-text', '-noout', '-nameopt', 'RFC2253'], {
    input: der,
    encoding: 'utf8',
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** `Nov 19 15:00:00 2026 GMT` → epoch seconds */
function opensslTime(text: string): number {
  const m = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d{4}) GMT$/.exec(text.trim());
  if (!m) throw new Error(`openssl time ${text}`);
  return (
    Date.UTC(Number(m[6]), MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) /
    1000
  );
}

const OPENSSL_REASONS: Record<string, CrlEntry['reason']> = {
  Unspecified: 'UNSPECIFIED',
  'Key Compromise': 'KEY_COMPROMISE',
  'CA Compromise': 'CERTIFICATE_AUTHORITY_COMPROMISE',
  'Affiliation Changed': 'AFFILIATION_CHANGED',
  Superseded: 'SUPERSEDED',
  'Cessation Of Operation': 'CESSATION_OF_OPERATION',
  'Certificate Hold': 'CERTIFICATE_HOLD',
  'Privilege Withdrawn': 'PRIVILEGE_WITHDRAWN',
  'AA Compromise': 'A_A_COMPROMISE',
};

/** What `openssl crl -text` says the CRL is, in parseCrl's terms. */
function oracle(text: string): Crl {
  const field = (re: RegExp) => re.exec(text)?.[1];
  const crl: Crl = {
    issuer: field(/^\s*Issuer: (.*)$/m)!,
    thisUpdate: opensslTime(field(/^\s*Last Update: (.*)$/m)!),
    entries: [],
  };
  const next = field(/^\s*Next Update: (.*)$/m)!;
  if (next !== 'NONE') crl.nextUpdate = opensslTime(next);
  const number = field(/X509v3 CRL Number: *\n\s*(\d+)/);
  if (number !== undefined) crl.crlNumber = BigInt(number).toString(16).padStart(2, '0');
  const revoked = text.split(/^Revoked Certificates:$/m)[1] ?? '';
  for (const block of revoked.split(/^\s*Serial Number: /m).slice(1)) {
    const serial = parseSerial(block.split('\n')[0]!);
    if (!serial.ok) throw new Error(block);
    const reason = /X509v3 CRL Reason Code: *\n\s*(.+)$/m.exec(block)?.[1]?.trim();
    crl.entries.push({
      serial: serial.hex,
      revokedAt: opensslTime(/Revocation Date: (.*)$/m.exec(block)![1]!),
      reason: reason === undefined ? 'UNSPECIFIED' : OPENSSL_REASONS[reason]!,
      reasonGiven: reason !== undefined,
    });
  }
  return crl;
}

/** Sorts entries by serial so that openssl's order and ours compare. */
const sorted = (crl: Crl): Crl => ({
  ...crl,
  entries: [...crl.entries].sort(
    (a, b) => a.serial.length - b.serial.length || (a.serial < b.serial ? -1 : 1),
  ),
});

// ---- a little DER surgery, to make CRLs openssl ca cannot (no nextUpdate) ----

interface Node {
  tag: number;
  /** header + content */
  raw: Uint8Array;
  content: Uint8Array;
}
function children(content: Uint8Array): Node[] {
  const out: Node[] = [];
  for (let p = 0; p < content.length; ) {
    const tag = content[p]!;
    let len = content[p + 1]!;
    let h = 2;
    if (len & 0x80) {
      const k = len & 0x7f;
      len = 0;
      for (let i = 0; i < k; i++) len = len * 256 + content[p + 2 + i]!;
      h += k;
    }
    out.push({ tag, raw: content.subarray(p, p + h + len), content: content.subarray(p + h, p + h + len) });
    p += h + len;
  }
  return out;
}
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const len = content.length;
  const head = len < 0x80 ? [tag, len] : len < 0x100 ? [tag, 0x81, len] : [tag, 0x82, len >> 8, len & 0xff];
  return new Uint8Array([...head, ...content]);
}
const concat = (parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** The same CRL without its nextUpdate (the signature no longer verifies; nobody checks it here). */
function withoutNextUpdate(der: Uint8Array): Uint8Array {
  const [list] = children(der);
  const [tbs, alg, sig] = children(list!.content);
  const parts = children(tbs!.content);
  // version, signature, issuer, thisUpdate, nextUpdate, ...
  const kept = parts.filter((_p, i) => i !== 4).map((p) => p.raw);
  return tlv(0x30, concat([tlv(0x30, concat(kept)), alg!.raw, sig!.raw]));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-crl-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      join(dir, 'ca.key'),
      '-out',
      join(dir, 'ca.pem'),
      '-subj',
      CA_SUBJECT,
      '-days',
      '30',
    ],
    { stdio: 'pipe' },
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ENTRIES: IndexEntry[] = [
  { serial: '8C958E28C954A228286480318E8E34A7', revoked: '261119140311Z', reason: 'keyCompromise' },
  { serial: '05', revoked: '261119150000Z' },
  { serial: '7F01', revoked: '261118150000Z', reason: 'superseded' },
  {
    serial: '4B1F0C2E9A7D3B5C6E8F0A1B2C3D4E5F60718293',
    revoked: '261117000000Z',
    reason: 'cessationOfOperation',
  },
  { serial: 'A506CF87CDFEAF3DC123ED9A914577', revoked: '261116000000Z', reason: 'affiliationChanged' },
  { serial: '0102', revoked: '261115000000Z', reason: 'CACompromise' },
  { serial: '0103', revoked: '261114000000Z', reason: 'unspecified' },
  { serial: '06' }, // valid: not on the CRL
];

describe('parseCrl: CRLs made by openssl ca -gencrl, against openssl crl -text', () => {
  it('a v2 CRL with reasons, crlNumber, authority key id: DER and PEM agree with openssl', () => {
    const made = makeCrl(ENTRIES, { crlNumber: '1000' });
    const crl = parseCrl(made.der);
    expect(sorted(crl)).toEqual(sorted(oracle(made.text)));
    expect(parseCrl(crlDer(new TextEncoder().encode(made.pem), b64))).toEqual(crl);
    // and by hand, so that the oracle's reading is checked too
    expect(crl.issuer).toBe('CN=Example Issuing CA,O=Example Corp,C=IE');
    expect(crl.thisUpdate).toBe(epoch('2026-11-20T02:00:00Z'));
    expect(crl.nextUpdate).toBe(epoch('2026-11-27T02:00:00Z'));
    expect(crl.crlNumber).toBe('1000');
    expect(crl.entries).toHaveLength(7);
    const bySerial = new Map(crl.entries.map((e) => [e.serial, e]));
    expect(bySerial.get('8c958e28c954a228286480318e8e34a7')).toEqual({
      serial: '8c958e28c954a228286480318e8e34a7',
      revokedAt: epoch('2026-11-19T14:03:11Z'),
      reason: 'KEY_COMPROMISE',
      reasonGiven: true,
    });
    expect(bySerial.get('05')).toEqual({
      serial: '05',
      revokedAt: epoch('2026-11-19T15:00:00Z'),
      reason: 'UNSPECIFIED',
      reasonGiven: false,
    });
    expect(bySerial.get('a506cf87cdfeaf3dc123ed9a914577')?.reason).toBe('AFFILIATION_CHANGED');
    expect(bySerial.get('0102')?.reason).toBe('CERTIFICATE_AUTHORITY_COMPROMISE');
    expect(bySerial.has('06')).toBe(false);
  });

  it('the high-bit serial has a 00 sign octet in the DER, and none in the canonical serial', () => {
    const made = makeCrl(ENTRIES.slice(0, 1));
    const hex = Buffer.from(made.der).toString('hex');
    expect(hex).toContain('0211008c958e28c954a228286480318e8e34a7');
    expect(parseCrl(made.der).entries[0]!.serial).toBe('8c958e28c954a228286480318e8e34a7');
  });

  it('an empty v1 CRL (no extensions), nextUpdate after 2049 as GeneralizedTime', () => {
    const made = makeCrl([{ serial: '06' }], { extensions: false, nextUpdate: '20510101000000Z' });
    expect(made.text).toMatch(/Version 1 \(0x0\)/);
    expect(made.text).toMatch(/No Revoked Certificates/);
    const crl = parseCrl(made.der);
    expect(crl).toEqual(oracle(made.text));
    expect(crl).toEqual({
      issuer: 'CN=Example Issuing CA,O=Example Corp,C=IE',
      thisUpdate: epoch('2026-11-20T02:00:00Z'),
      nextUpdate: epoch('2051-01-01T00:00:00Z'),
      entries: [],
    });
    expect(describeCrl(crl)).toEqual({
      issuer: 'CN=Example Issuing CA,O=Example Corp,C=IE',
      thisUpdate: '2026-11-20T02:00:00Z',
      nextUpdate: '2051-01-01T00:00:00Z',
      entries: 0,
    });
  });

  it('a CRL without nextUpdate (entries follow thisUpdate directly), as openssl reads it', () => {
    const made = makeCrl(ENTRIES, { crlNumber: '01' });
    const der = withoutNextUpdate(made.der);
    const text = opensslText(der);
    expect(text).toMatch(/Next Update: NONE/);
    const crl = parseCrl(der);
    expect(crl.nextUpdate).toBeUndefined();
    expect(sorted(crl)).toEqual(sorted(oracle(text)));
    expect(crl.crlNumber).toBe('01');
    expect(crl.entries).toHaveLength(7);
  });

  it('a CRL without nextUpdate and without entries (extensions follow thisUpdate)', () => {
    const made = makeCrl([], { crlNumber: '7FFF' });
    const der = withoutNextUpdate(made.der);
    const crl = parseCrl(der);
    expect(crl).toEqual(oracle(opensslText(der)));
    expect(crl).toMatchObject({ crlNumber: '7fff', entries: [] });
    expect(crl.nextUpdate).toBeUndefined();
  });

  it('a CRL of 5,000 entries (beyond asn1js’s default limit of 10,000 ASN.1 nodes) is read whole', () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({
      serial: (0x100000 + i).toString(16).toUpperCase(),
      revoked: '261119140311Z',
      reason: 'keyCompromise',
    }));
    const crl = parseCrl(makeCrl(many).der);
    expect(crl.entries).toHaveLength(5000);
    expect(crl.entries[4999]).toMatchObject({
      serial: (0x100000 + 4999).toString(16),
      reason: 'KEY_COMPROMISE',
    });
  });

  it('a high-bit crlNumber is a magnitude too', () => {
    const made = makeCrl([], { crlNumber: '80' });
    expect(parseCrl(made.der).crlNumber).toBe('80');
    expect(oracle(made.text).crlNumber).toBe('80');
  });
});

describe('crlDer and parseCrl: what is not a CRL', () => {
  let good: Made;
  beforeAll(() => {
    good = makeCrl(ENTRIES, { crlNumber: '1000' });
  });

  const crlError = (f: () => unknown): CrlError => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(CrlError);
      return err as CrlError;
    }
    throw new Error('no CrlError');
  };

  it('every truncation of the DER is a CrlError', () => {
    for (let cut = 0; cut < good.der.length; cut++) {
      crlError(() => parseCrl(good.der.subarray(0, cut)));
    }
  });

  it('bytes after the CRL', () => {
    const e = crlError(() => parseCrl(concat([good.der, new Uint8Array([0])])));
    expect(e.message).toBe(`byte ${good.der.length}: 1 bytes after the CRL`);
  });

  it('any single corrupted byte: parsed or a CrlError, never another exception', () => {
    for (let i = 0; i < good.der.length; i++) {
      for (const x of [0x00, 0xff, 0x80]) {
        const bad = good.der.slice();
        bad[i] = bad[i]! ^ x || x;
        try {
          parseCrl(bad);
        } catch (err) {
          expect(err, `byte ${i} ^ ${x}`).toBeInstanceOf(CrlError);
        }
      }
    }
  });

  it('a certificate is not a CRL', () => {
    const cert = execFileSync('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-outform', 'DER']);
    const e = crlError(() => parseCrl(new Uint8Array(cert)));
    expect(e.what).toMatch(/not a CRL|expected tag/);
    const pem = readFileSync(join(dir, 'ca.pem'));
    expect(crlError(() => crlDer(pem, b64)).what).toBe('PEM, but not an "X509 CRL" block');
  });

  it('text that is neither, and a PEM block that is not base64', () => {
    expect(crlError(() => crlDer(new TextEncoder().encode('hello\n'), b64)).message).toBe(
      'byte 0: neither a DER CRL nor a PEM "X509 CRL" block',
    );
    const pem = '-----BEGIN X509 CRL-----\nnot*base64\n-----END X509 CRL-----\n';
    expect(crlError(() => crlDer(new TextEncoder().encode(pem), b64)).what).toBe(
      'the PEM block is not base64',
    );
  });

  it('unsupported DER lengths (indefinite, too long)', () => {
    expect(crlError(() => parseCrl(new Uint8Array([0x30, 0x80, 0, 0]))).what).toMatch(
      /unsupported DER length/,
    );
    expect(crlError(() => parseCrl(new Uint8Array([0x30, 0x87, 1, 1, 1, 1, 1, 1, 1]))).what).toMatch(
      /unsupported DER length/,
    );
  });
});

// ---- checkCrl ----

const NEW_AT = epoch('2026-11-20T02:00:00Z');
const THIS_UPDATE = epoch('2026-11-20T01:30:00Z');

/** Certificates valid well past the CRL; k=0..4 */
function base(count = 5): ReportRecord[] {
  return someRecords(count, (i) => ({
    issuedAt: `2026-0${1 + i}-10T10:00:00+0000`,
    notBefore: `2026-0${1 + i}-10T09:00:00+0000`,
    notAfter: '2027-06-01T00:00:00+0000',
  }));
}
const revoke = (r: ReportRecord, at: string, reason = 'KEY_COMPROMISE') =>
  aRecord({ ...r, revokedAt: at, revocationReason: reason });
const hexOf = (serial: string) => serial.replace(/:/g, '');

function aCrl(entries: Array<Partial<CrlEntry> & { serial: string }>, thisUpdate = THIS_UPDATE): Crl {
  return {
    issuer: 'CN=Example Issuing CA,O=Example Corp,C=IE',
    thisUpdate,
    nextUpdate: thisUpdate + 7 * 86400,
    crlNumber: '1000',
    entries: entries.map((e) => ({
      revokedAt: epoch('2026-11-19T14:03:11Z'),
      reason: 'KEY_COMPROMISE',
      reasonGiven: true,
      ...e,
    })),
  };
}

describe('checkCrl', () => {
  it('every revocation on the CRL with its reason: nothing, all matched', async () => {
    const records = base();
    records[1] = revoke(records[1]!, '2026-11-19T14:03:11+0000');
    records[2] = revoke(records[2]!, '2026-11-18T10:00:00+0000', 'SUPERSEDED');
    const r = await crlCheckRun(
      toJsonReport(records),
      aCrl([{ serial: hexOf(aSerial(1)) }, { serial: hexOf(aSerial(2)), reason: 'SUPERSEDED' }]),
      { newCreatedAt: NEW_AT },
    );
    expect(r.findings).toEqual([]);
    expect(r.summary).toEqual({
      source: 'ca.crl',
      issuer: 'CN=Example Issuing CA,O=Example Corp,C=IE',
      thisUpdate: '2026-11-20T01:30:00Z',
      nextUpdate: '2026-11-27T01:30:00Z',
      crlNumber: '1000',
      entries: 2,
      signature: 'not verified',
      matched: 2,
      notExpected: 0,
      afterNewReport: 0,
    });
  });

  it('CRL_MISSING_REVOCATION: revoked, unexpired, older than the allowance at thisUpdate', async () => {
    const records = base();
    records[3] = revoke(records[3]!, '2026-11-19T14:03:11+0000');
    const r = await crlCheckRun(toJsonReport(records), aCrl([]), { newCreatedAt: NEW_AT });
    expect(r.findings.map((f) => [f.code, f.severity, f.serial])).toEqual([
      ['CRL_MISSING_REVOCATION', 'error', aSerial(3)],
    ]);
    expect(r.findings[0]!.message).toBe(
      'revoked in the new report (KEY_COMPROMISE at 2026-11-19T14:03:11Z), unexpired, but not on the CRL of 2026-11-20T01:30:00Z',
    );
    expect(r.findings[0]!.evidence).toMatchObject({
      crl: { source: 'ca.crl', thisUpdate: '2026-11-20T01:30:00Z' },
      new: { report: 'new', line: 5 },
    });
  });

  it('the allowance boundary: revoked exactly allowance before thisUpdate is expected, a second later is not', async () => {
    const at = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', '+0000');
    for (const [age, expected] of [
      [3600, true],
      [3599, false],
      [0, false],
    ] as const) {
      const records = base();
      records[0] = revoke(records[0]!, at(THIS_UPDATE - age));
      const r = await crlCheckRun(toJsonReport(records), aCrl([]), { allowance: 3600 });
      expect(
        r.findings.map((f) => f.code),
        `revoked ${age} s before thisUpdate`,
      ).toEqual(expected ? ['CRL_MISSING_REVOCATION'] : []);
      expect(r.summary.notExpected).toBe(expected ? 0 : 1);
    }
  });

  it('not expected on the CRL: expired before thisUpdate (at it, too), or no revokedAt', async () => {
    const records = base();
    records[0] = aRecord({
      ...revoke(records[0]!, '2026-11-01T00:00:00+0000'),
      notAfter: '2026-11-20T01:30:00+0000',
    });
    records[1] = aRecord({
      ...revoke(records[1]!, '2026-11-01T00:00:00+0000'),
      notAfter: '2026-11-19T00:00:00+0000',
    });
    records[2] = aRecord({ ...records[2]!, revocationReason: 'KEY_COMPROMISE' });
    records[3] = aRecord({
      ...revoke(records[3]!, '2026-11-01T00:00:00+0000'),
      notAfter: '2026-11-20T01:30:01+0000',
    });
    const r = await crlCheckRun(toJsonReport(records), aCrl([]));
    expect(r.findings.map((f) => [f.code, f.serial])).toEqual([['CRL_MISSING_REVOCATION', aSerial(3)]]);
    expect(r.summary.notExpected).toBe(3);
  });

  it('CRL_UNKNOWN_ENTRY: a serial not in NEW, and one in NEW but not revoked', async () => {
    const records = base();
    const r = await crlCheckRun(
      toJsonReport(records),
      aCrl([{ serial: '7f0001' }, { serial: hexOf(aSerial(4)), revokedAt: epoch('2026-11-19T10:00:00Z') }]),
      { newCreatedAt: NEW_AT },
    );
    expect(r.findings.map((f) => [f.code, f.severity, f.serial])).toEqual([
      ['CRL_UNKNOWN_ENTRY', 'error', '7f:00:01'],
      ['CRL_UNKNOWN_ENTRY', 'error', aSerial(4)],
    ]);
    expect(r.findings[0]!.message).toBe(
      'on the CRL (revoked at 2026-11-19T14:03:11Z), but not in the new report',
    );
    expect(r.findings[0]!.evidence).not.toHaveProperty('new');
    expect(r.findings[1]!.message).toBe(
      'on the CRL (revoked at 2026-11-19T10:00:00Z), but not revoked in the new report',
    );
    expect(r.findings[1]!.evidence).toMatchObject({
      crl: { entry: { serial: aSerial(4), revokedAt: '2026-11-19T10:00:00Z', reason: 'KEY_COMPROMISE' } },
      new: { report: 'new', line: 6 },
    });
  });

  it('entries revoked after NEW was made are not expected in it (at NEW exactly, they are)', async () => {
    const records = base();
    const r = await crlCheckRun(
      toJsonReport(records),
      // a CRL made after NEW (an entry after the CRL's own thisUpdate is another finding)
      aCrl(
        [
          { serial: hexOf(aSerial(4)), revokedAt: NEW_AT + 1 },
          { serial: hexOf(aSerial(3)), revokedAt: NEW_AT },
        ],
        NEW_AT + 3600,
      ),
      { newCreatedAt: NEW_AT },
    );
    expect(r.findings.map((f) => [f.code, f.serial])).toEqual([['CRL_UNKNOWN_ENTRY', aSerial(3)]]);
    expect(r.summary.afterNewReport).toBe(1);
  });

  it('CRL_REASON_MISMATCH (warning): another reason, or no reasonCode against a named reason', async () => {
    const records = base();
    records[1] = revoke(records[1]!, '2026-11-19T14:03:11+0000', 'KEY_COMPROMISE');
    records[2] = revoke(records[2]!, '2026-11-19T14:03:11+0000', 'SUPERSEDED');
    records[3] = revoke(records[3]!, '2026-11-19T14:03:11+0000', 'UNSPECIFIED');
    const r = await crlCheckRun(
      toJsonReport(records),
      aCrl([
        { serial: hexOf(aSerial(1)), reason: 'CESSATION_OF_OPERATION' },
        { serial: hexOf(aSerial(2)), reason: 'UNSPECIFIED', reasonGiven: false },
        { serial: hexOf(aSerial(3)), reason: 'UNSPECIFIED', reasonGiven: false },
      ]),
    );
    expect(r.findings.map((f) => [f.code, f.severity, f.serial])).toEqual([
      ['CRL_REASON_MISMATCH', 'warning', aSerial(1)],
      ['CRL_REASON_MISMATCH', 'warning', aSerial(2)],
    ]);
    expect(r.findings[0]!.message).toBe(
      'the CRL gives reason CESSATION_OF_OPERATION, the new report KEY_COMPROMISE',
    );
    expect(r.findings[1]!.message).toBe(
      'the CRL gives reason UNSPECIFIED (no reasonCode), the new report SUPERSEDED',
    );
    expect(r.summary.matched).toBe(3);
  });

  it('a CRL made by openssl against a report: the three codes together', async () => {
    const records = base(3);
    const high = aRecord({ ...records[0]!, serial: '8c:95:8e:28:c9:54:a2:28:28:64:80:31:8e:8e:34:a7' });
    const rows = [
      revoke(high, '2026-11-19T14:03:11+0000', 'SUPERSEDED'), // on the CRL as keyCompromise
      revoke(aRecord({ ...records[1]!, serial: '05' }), '2026-11-19T15:00:00+0000', 'UNSPECIFIED'), // matches
      revoke(records[2]!, '2026-11-10T00:00:00+0000'), // missing from the CRL
    ];
    const made = makeCrl(ENTRIES.slice(0, 3), { lastUpdate: '20261120013000Z' });
    const r = await crlCheckRun(toJsonReport(rows), parseCrl(made.der), { newCreatedAt: NEW_AT });
    expect(r.findings.map((f) => [f.code, f.serial])).toEqual([
      ['CRL_REASON_MISMATCH', '8c:95:8e:28:c9:54:a2:28:28:64:80:31:8e:8e:34:a7'],
      ['CRL_MISSING_REVOCATION', aSerial(2)],
      ['CRL_UNKNOWN_ENTRY', '7f:01'],
    ]);
    expect(r.summary).toMatchObject({ entries: 3, matched: 2 });
  });
});

// ---- issue 13 item 12: partitioned and delta CRLs, unknown critical extensions ----

const PARTITION_URI = 'http://crl.example.internal/crl/5f1c2a7e-partition-1.crl';
const IDP = (...fields: string[]) => ({
  crlExt: ['issuingDistributionPoint=critical,@idp'],
  sections: ['[ idp ]', ...fields],
});

describe('parseCrl: what a CRL covers (issue 13 item 12)', () => {
  const crlError = (f: () => unknown): CrlError => {
    try {
      f();
    } catch (err) {
      expect(err).toBeInstanceOf(CrlError);
      return err as CrlError;
    }
    throw new Error('no CrlError');
  };

  it('issue 13 item 12: a partition (critical IDP with a distribution point URI), as openssl prints it', () => {
    const made = makeCrl(ENTRIES.slice(0, 2), IDP(`fullname=URI:${PARTITION_URI}`));
    expect(made.text).toMatch(/Issuing Distribution Point: critical/);
    expect(made.text).toContain(`URI:${PARTITION_URI}`);
    const crl = parseCrl(made.der);
    expect(crl.partition).toEqual({
      distributionPoint: PARTITION_URI,
      onlyContainsUserCerts: false,
      onlyContainsCACerts: false,
    });
    expect(crl.deltaOf).toBeUndefined();
    const { partition: _, ...rest } = crl;
    expect(sorted(rest)).toEqual(sorted(oracle(made.text)));
  });

  it('issue 13 item 12: IDP onlyContainsUserCerts / onlyContainsCACerts / onlySomeReasons', () => {
    const user = parseCrl(
      makeCrl([], IDP('onlyuser=TRUE', 'onlysomereasons=keyCompromise,CACompromise')).der,
    );
    expect(user.partition).toEqual({
      onlyContainsUserCerts: true,
      onlyContainsCACerts: false,
      onlySomeReasons: ['KEY_COMPROMISE', 'CERTIFICATE_AUTHORITY_COMPROMISE'],
    });
    const cas = parseCrl(makeCrl([], IDP('onlyCA=TRUE', 'onlysomereasons=superseded,AACompromise')).der);
    expect(cas.partition).toEqual({
      onlyContainsUserCerts: false,
      onlyContainsCACerts: true,
      onlySomeReasons: ['SUPERSEDED', 'A_A_COMPROMISE'],
    });
  });

  it('issue 13 item 12: an indirect CRL and an attribute-certificate CRL are refused', () => {
    expect(crlError(() => parseCrl(makeCrl([], IDP('indirectCRL=TRUE')).der)).what).toMatch(/indirect CRL/);
    expect(crlError(() => parseCrl(makeCrl([], IDP('onlyAA=TRUE')).der)).what).toMatch(
      /onlyContainsAttributeCerts/,
    );
  });

  it('issue 13 item 12: a delta CRL (critical deltaCRLIndicator) names its base', () => {
    const made = makeCrl(ENTRIES.slice(0, 2), {
      crlNumber: '11',
      crlExt: ['2.5.29.27=critical,ASN1:INTEGER:16'],
    });
    expect(made.text).toMatch(/Delta CRL Indicator: critical\s+16/);
    const crl = parseCrl(made.der);
    expect(crl.deltaOf).toBe('10');
    expect(crl.crlNumber).toBe('11');
    expect(crl.partition).toBeUndefined();
  });

  it('issue 13 item 12: an unknown critical CRL extension is refused; a non-critical one is ignored', () => {
    const critical = makeCrl(ENTRIES.slice(0, 1), { crlExt: ['1.3.6.1.4.1.99999.1=critical,ASN1:NULL'] });
    expect(crlError(() => parseCrl(critical.der)).what).toMatch(
      /unknown critical CRL extension 1\.3\.6\.1\.4\.1\.99999\.1/,
    );
    const plain = makeCrl(ENTRIES.slice(0, 1), { crlExt: ['1.3.6.1.4.1.99999.1=ASN1:NULL'] });
    expect(parseCrl(plain.der).entries).toHaveLength(1);
  });

  it('issue 13 item 12: an unknown critical CRL entry extension is refused', () => {
    const made = makeCrl([{ serial: '05', revoked: '261119150000Z', reason: 'keyCompromise' }]);
    // the entry's reasonCode extension, rewritten in place (same length) as a critical 2.5.29.99
    const hex = Buffer.from(made.der).toString('hex');
    const reasonExt = '300c300a0603551d150403' + '0a0101';
    expect(hex).toContain(reasonExt);
    const bad = Buffer.from(hex.replace(reasonExt, '300c300a0603551d630101ff0400'), 'hex');
    expect(opensslText(bad)).toMatch(/2\.5\.29\.99: critical/);
    expect(crlError(() => parseCrl(new Uint8Array(bad))).what).toMatch(
      /unknown critical CRL entry extension 2\.5\.29\.99/,
    );
  });
});

describe('checkCrl: partitioned and delta CRLs (issue 13 item 12)', () => {
  /** revoked 1..3 in NEW, well before thisUpdate; only 1 is on the CRL; 7f:00:01 is on it but in no report */
  function scenario(): ReportRecord[] {
    const records = base();
    records[1] = revoke(records[1]!, '2026-11-10T00:00:00+0000');
    records[2] = revoke(records[2]!, '2026-11-10T00:00:00+0000', 'SUPERSEDED');
    records[3] = revoke(records[3]!, '2026-11-10T00:00:00+0000', 'KEY_COMPROMISE');
    return records;
  }
  const entries = () => [{ serial: hexOf(aSerial(1)) }, { serial: '7f0001' }];

  it('issue 13 item 12: a partition gives no CRL_MISSING_REVOCATION, still checks its entries, and says so', async () => {
    const crl: Crl = {
      ...aCrl(entries()),
      partition: {
        distributionPoint: PARTITION_URI,
        onlyContainsUserCerts: false,
        onlyContainsCACerts: false,
      },
    };
    const r = await crlCheckRun(toJsonReport(scenario()), crl, { newCreatedAt: NEW_AT });
    expect(r.findings.map((f) => [f.code, f.serial])).toEqual([['CRL_UNKNOWN_ENTRY', '7f:00:01']]);
    expect(r.summary.matched).toBe(1);
    expect(r.summary.scope).toEqual({
      kind: 'partition',
      distributionPoint: PARTITION_URI,
      missingRevocationCheck: 'none',
      notCovered: 2,
    });
    // the same CRL read as complete: the two revocations not on it are findings
    const complete = await crlCheckRun(toJsonReport(scenario()), aCrl(entries()), { newCreatedAt: NEW_AT });
    expect(complete.findings.filter((f) => f.code === 'CRL_MISSING_REVOCATION')).toHaveLength(2);
    expect(complete.summary).not.toHaveProperty('scope');
  });

  it('issue 13 item 12: a delta CRL: only entries compared, no missing-revocation check', async () => {
    const crl: Crl = {
      ...aCrl([...entries(), { serial: hexOf(aSerial(4)), reason: 'REMOVE_FROM_CRL' }]),
      deltaOf: '0fff',
    };
    const r = await crlCheckRun(toJsonReport(scenario()), crl, { newCreatedAt: NEW_AT });
    // removeFromCRL of a certificate NEW does not show revoked is consistent, not an unknown entry
    expect(r.findings.map((f) => [f.code, f.serial])).toEqual([['CRL_UNKNOWN_ENTRY', '7f:00:01']]);
    expect(r.summary.scope).toEqual({
      kind: 'delta',
      deltaOf: '0fff',
      missingRevocationCheck: 'none',
      notCovered: 2,
    });
  });

  it('issue 13 item 12: onlySomeReasons alone: missing revocations checked for those reasons only', async () => {
    const crl: Crl = {
      ...aCrl(entries()),
      partition: {
        onlyContainsUserCerts: false,
        onlyContainsCACerts: false,
        onlySomeReasons: ['KEY_COMPROMISE'],
      },
    };
    const r = await crlCheckRun(toJsonReport(scenario()), crl, { newCreatedAt: NEW_AT });
    expect(r.findings.map((f) => [f.code, f.serial])).toEqual([
      ['CRL_MISSING_REVOCATION', aSerial(3)],
      ['CRL_UNKNOWN_ENTRY', '7f:00:01'],
    ]);
    expect(r.summary.scope).toMatchObject({ missingRevocationCheck: 'reasons-only', notCovered: 1 });
  });

  it('issue 13 item 12: onlyContainsCACerts: no missing-revocation check (a row does not say it is a CA)', async () => {
    const crl: Crl = {
      ...aCrl(entries()),
      partition: { onlyContainsUserCerts: false, onlyContainsCACerts: true },
    };
    const r = await crlCheckRun(toJsonReport(scenario()), crl, { newCreatedAt: NEW_AT });
    expect(r.findings.map((f) => f.code)).toEqual(['CRL_UNKNOWN_ENTRY']);
    expect(r.summary.scope).toMatchObject({ onlyContainsCACerts: true, missingRevocationCheck: 'none' });
  });

  it('issue 13 item 12: a partition made by openssl, against a report', async () => {
    const made = makeCrl(ENTRIES.slice(0, 1), {
      ...IDP(`fullname=URI:${PARTITION_URI}`),
      lastUpdate: '20261120013000Z',
    });
    const high = aRecord({ ...base(1)[0]!, serial: '8c:95:8e:28:c9:54:a2:28:28:64:80:31:8e:8e:34:a7' });
    const rows = [revoke(high, '2026-11-19T14:03:11+0000'), revoke(base(2)[1]!, '2026-11-10T00:00:00+0000')];
    const r = await crlCheckRun(toJsonReport(rows), parseCrl(made.der), { newCreatedAt: NEW_AT });
    expect(r.findings).toEqual([]);
    expect(r.summary).toMatchObject({ matched: 1, scope: { kind: 'partition', notCovered: 1 } });
  });
});
