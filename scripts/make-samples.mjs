#!/usr/bin/env node
// Generates the sample AWS Private CA audit reports in samples/ (used by the README).
//
//   node scripts/make-samples.mjs           regenerate samples/ (byte-identical on every run)
//   node scripts/make-samples.mjs --check   regenerate in memory, verify the invariants and
//                                           assert that the files in samples/ equal the output
//
// Deterministic: no clock, no Math.random; serials come from a seeded PRNG. Node built-ins only.
// Every planted difference between the two reports is re-derived from the generated data by an
// independent diff (see verify()), and samples/README.md is written from that diff.
// The CloudTrail records, the CRL and the end of samples/README.md are scripts/make-cloudtrail-samples.mjs's.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'samples');

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const CA_ID = '5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
const CA_ARN = `arn:aws:acm-pca:${REGION}:${ACCOUNT}:certificate-authority/${CA_ID}`;
const ACM = 'acm.amazonaws.com';
const SEED = 0x5f1c2a7e;

const OLD = { file: 'ca-2026-11-19.json', created: '2026-11-19T02:00:00Z' };
const NEW = { file: 'ca-2026-11-20.json', csv: 'ca-2026-11-20.csv', created: '2026-11-20T02:00:00Z' };

const KEYS = [
  'awsAccountId',
  'requestedByServicePrincipal',
  'certificateArn',
  'serial',
  'subject',
  'notBefore',
  'notAfter',
  'issuedAt',
  'revokedAt',
  'revocationReason',
  'templateArn',
];
const REASONS = [
  'UNSPECIFIED',
  'KEY_COMPROMISE',
  'CERTIFICATE_AUTHORITY_COMPROMISE',
  'AFFILIATION_CHANGED',
  'SUPERSEDED',
  'CESSATION_OF_OPERATION',
  'PRIVILEGE_WITHDRAWN',
  'A_A_COMPROMISE',
];

const tpl = (name) => `arn:aws:acm-pca:::template/${name}/V1`;
const TPL = {
  root: tpl('RootCACertificate'),
  sub: tpl('SubordinateCACertificate_PathLen0'),
  server: tpl('EndEntityServerAuthCertificate'),
  client: tpl('EndEntityClientAuthCertificate'),
  ee: tpl('EndEntityCertificate'),
  code: tpl('CodeSigningCertificate'),
};

// ---------------------------------------------------------------------------------------------
// Subjects, written the way Java's X500Principal.getName(RFC2253) prints them (AWS does that).

const dn = (cn, ou, { o = 'Example Corp', l = 'Dublin', c = 'IE' } = {}) =>
  `CN=${cn},OU=${ou},O=${o},L=${l},C=${c}`;
/** ACM-requested certificates carry only the domain plus the organisation of the CA. */
const acmDn = (domain) => `CN=${domain},O=Example Corp,C=IE`;
const host = (name, zone = 'prod') => `${name}.${zone}.${REGION}.example.internal`;
/** emailAddress (OID 1.2.840.113549.1.9.1) is an IA5String that Java prints as #16<len><hex>. */
const email = (addr) => {
  assert.ok(/^[\x20-\x7e]+$/.test(addr) && addr.length < 0x80, 'one-byte DER length, ASCII only');
  return `1.2.840.113549.1.9.1=#16${hex2(addr.length)}${Buffer.from(addr, 'ascii').toString('hex')}`;
};
const hex2 = (n) => n.toString(16).padStart(2, '0');

// ---------------------------------------------------------------------------------------------
// The certificates: cert(id, issuedAt UTC, validity, template, subject, options).
// notBefore = issuedAt - 1h, notAfter = issuedAt + validity.
// Options:
//   acm      requested by ACM (requestedByServicePrincipal acm.amazonaws.com)
//   serial   'high' forces the first octet >= 0x80, 'zero' makes the leading octet 0x00 (dropped in
//            the report); every other serial gets a first octet in 0x01..0x7f so the planted ones stand out
//   revoked  [revokedAt, reason] as of the OLD report
//   change   what the NEW report says differently (the planted differences)
//   onlyNew  the certificate appears in the newer report only (appended in issuance order)

const cert = (id, issued, validity, tpl, subject, options = {}) => ({
  id,
  issued,
  validity,
  tpl,
  subject,
  ...options,
});
const orders = dn(host('orders-api'), 'Commerce');
const billing = dn('svc-billing', 'Finance Platform');
const kafka1 = dn(host('kafka-broker-1', 'data'), 'Data Platform');
const kafka2 = dn(host('kafka-broker-2', 'data'), 'Data Platform');
const grafana = acmDn('grafana.ops.example.internal');
const wiki = acmDn('wiki.corp.example.internal');

const CERTS = [
  // --- the CA's own certificate and two subordinate CAs
  cert('root', '2024-09-03T10:14:07', '10y', 'root', 'CN=Example Corp Internal Root CA,O=Example Corp,C=IE'),
  cert(
    'sub-workloads',
    '2024-09-03T10:31:44',
    '5y',
    'sub',
    'CN=Example Corp Issuing CA - Workloads,OU=PKI,O=Example Corp,C=IE',
  ),
  cert(
    'sub-devices',
    '2024-09-04T08:02:19',
    '5y',
    'sub',
    'CN=Example Corp Issuing CA - Devices,OU=PKI,O=Example Corp,C=IE',
  ),
  // --- history: mostly expired by now
  cert('orders-2024-09', '2024-09-10T14:22:31', '90d', 'server', orders),
  cert('billing-2024', '2024-09-12T09:05:50', '1y', 'client', billing),
  cert('grafana-2024', '2024-10-01T11:47:03', '13m', 'ee', grafana, { acm: true }),
  cert('kafka1-2024', '2024-11-05T13:33:41', '1y', 'server', kafka1, {
    revoked: ['2025-01-22T08:47:19', 'UNSPECIFIED'],
  }),
  cert('orders-2024-12', '2024-12-02T10:12:26', '90d', 'server', orders),
  cert('kafka1-2025', '2025-01-22T09:15:03', '1y', 'server', kafka1),
  cert('inventory-2025', '2025-02-18T15:40:37', '1y', 'client', dn('svc-inventory', 'Supply Chain')),
  cert('orders-2025-02', '2025-02-24T10:05:44', '90d', 'server', orders),
  cert('wiki-2025', '2025-03-11T12:28:09', '13m', 'ee', wiki, { acm: true }),
  cert(
    'legacy-reports',
    '2025-04-07T08:51:33',
    '1y',
    'server',
    dn(host('legacy-reports'), 'Finance Platform'),
    {
      revoked: ['2025-12-01T17:20:45', 'CESSATION_OF_OPERATION'],
    },
  ),
  cert('orders-2025-05', '2025-05-19T11:02:15', '90d', 'server', orders),
  cert('recommendations', '2025-06-03T14:37:58', '1y', 'client', dn('svc-recommendations', 'Growth'), {
    revoked: ['2025-10-06T09:12:40', 'AFFILIATION_CHANGED'],
  }),
  cert('kafka2-2025', '2025-07-14T10:20:31', '1y', 'server', kafka2),
  cert('orders-2025-08', '2025-08-12T13:44:09', '90d', 'server', orders),
  cert('billing-2025', '2025-09-01T09:30:22', '1y', 'client', billing),
  cert('grafana-2025', '2025-09-22T16:05:47', '13m', 'ee', grafana, { acm: true }),
  cert('orders-2025-11', '2025-11-10T09:12:33', '90d', 'server', orders),
  cert('notifications-2025', '2025-11-19T17:02:55', '1y', 'client', dn('svc-notifications', 'Messaging')),
  cert('reports', '2025-12-01T17:24:10', '1y', 'server', dn(host('reports'), 'Finance Platform')),
  cert('search-indexer', '2025-12-15T11:39:20', '1y', 'server', dn(host('search-indexer'), 'Search'), {
    change: { kind: 'revoked', at: '2026-11-19T16:30:19', reason: 'CESSATION_OF_OPERATION' },
  }),
  // --- current generation
  cert(
    'code-signing',
    '2026-01-13T11:26:40',
    '1y',
    'code',
    dn('Example Corp Release Signing', 'Developer Productivity'),
  ),
  cert('kafka1-2026', '2026-01-22T08:30:15', '1y', 'server', kafka1, { serial: 'high' }),
  // emailAddress followed by an empty RDN (",,"), as in AWS's own CSV example
  cert(
    'sre-oncall',
    '2026-02-03T14:18:27',
    '1y',
    'ee',
    `${email('sre-oncall@example.com')},,OU=Site Reliability,O=Example Corp,L=Dublin,C=IE`,
  ),
  cert('orders-2026-02', '2026-02-08T10:05:51', '90d', 'server', orders),
  cert('wiki-2026', '2026-02-09T13:09:36', '13m', 'ee', wiki, { acm: true }),
  cert('inventory-2026', '2026-02-16T09:44:02', '1y', 'client', dn('svc-inventory', 'Supply Chain'), {
    serial: 'zero',
  }),
  cert('payments-2026-02', '2026-02-26T19:39:58', '1y', 'client', dn('svc-payments', 'Payments'), {
    revoked: ['2026-04-14T15:03:27', 'SUPERSEDED'],
    change: { kind: 'unrevoked' },
  }),
  cert(
    'admin-portal',
    '2026-03-17T10:27:49',
    '1y',
    'server',
    dn(host('admin-portal'), 'Platform Engineering'),
    {
      change: { kind: 'disappeared' },
    },
  ),
  cert('payments-2026-04', '2026-04-14T15:10:02', '1y', 'client', dn('svc-payments', 'Payments')),
  cert(
    'pki-admins',
    '2026-04-21T08:16:45',
    '1y',
    'client',
    `${email('pki-admins@example.com')},${dn('PKI Administrators', 'Platform Security')}`,
  ),
  cert('analytics', '2026-05-06T10:11:12', '1y', 'client', dn('svc-analytics', 'Data Platform'), {
    change: { kind: 'notAfter', notAfter: '2027-06-06T10:11:12' },
  }),
  cert('orders-2026-05', '2026-05-09T09:58:20', '90d', 'server', orders),
  // an escaped comma inside an attribute value (RFC 2253 "\,")
  cert(
    'partner-sftp',
    '2026-05-27T12:40:08',
    '1y',
    'server',
    'CN=sftp.partner.example.net,OU=B2B Integrations,O=Example\\, Ltd.,L=London,C=GB',
  ),
  cert(
    'deployer-2026-06',
    '2026-06-10T11:22:31',
    '1y',
    'client',
    dn('svc-deployer', 'Developer Productivity'),
    {
      revoked: ['2026-07-02T06:55:48', 'KEY_COMPROMISE'],
      change: { kind: 'reason', reason: 'SUPERSEDED' },
    },
  ),
  cert('contractor', '2026-06-23T14:06:19', '1y', 'client', dn('contractor-mkelly', 'Contractors'), {
    revoked: ['2026-09-30T17:45:00', 'PRIVILEGE_WITHDRAWN'],
  }),
  cert(
    'deployer-2026-07',
    '2026-07-02T08:14:37',
    '1y',
    'client',
    dn('svc-deployer', 'Developer Productivity'),
  ),
  cert('kafka2-2026', '2026-07-07T09:00:41', '1y', 'server', kafka2),
  cert('jira', '2026-07-20T15:31:26', '13m', 'ee', acmDn('jira.corp.example.internal'), { acm: true }),
  cert('orders-2026-08', '2026-08-03T09:20:14', '90d', 'server', orders),
  cert('checkout-2026-08', '2026-08-21T06:44:18', '90d', 'server', dn(host('checkout-web'), 'Commerce')),
  cert('grafana-2026', '2026-08-23T16:05:47', '13m', 'ee', grafana, { acm: true }),
  cert('billing-2026', '2026-08-25T10:52:03', '1y', 'client', billing, {
    change: { kind: 'revoked', at: '2026-11-19T13:48:02', reason: 'KEY_COMPROMISE' },
  }),
  cert(
    'ci-runner',
    '2026-09-14T10:30:05',
    '90d',
    'client',
    dn(host('ci-runner-07', 'build'), 'Developer Productivity'),
    {
      change: { kind: 'reasonOnly', reason: 'PRIVILEGE_WITHDRAWN' },
    },
  ),
  cert('orders-2026-09', '2026-09-28T09:36:50', '90d', 'server', orders, {
    serial: 'high',
    change: { kind: 'revoked', at: '2026-11-19T09:52:31', reason: 'SUPERSEDED' },
  }),
  cert('ledger-api', '2026-10-05T08:45:29', '1y', 'server', dn(host('ledger-api'), 'Payments')),
  cert('backstage', '2026-10-19T12:00:44', '13m', 'ee', acmDn('backstage.corp.example.internal'), {
    acm: true,
  }),
  cert('checkout-2026-11', '2026-11-03T09:14:22', '90d', 'server', dn(host('checkout-web'), 'Commerce')),
  cert('notifications-2026', '2026-11-12T11:08:37', '1y', 'client', dn('svc-notifications', 'Messaging')),
  cert('mqtt', '2026-11-17T15:47:10', '1y', 'server', dn(host('mqtt', 'devices'), 'IoT Platform')),
  // --- only in the newer report
  cert('batch-export', '2026-11-18T23:10:00', '90d', 'server', dn(host('batch-export'), 'Data Platform'), {
    onlyNew: true,
  }),
  cert('orders-2026-11', '2026-11-19T09:38:12', '90d', 'server', orders, { onlyNew: true }),
  cert('billing-2026-11', '2026-11-19T14:05:27', '1y', 'client', billing, { onlyNew: true }),
  cert('status', '2026-11-19T21:12:44', '13m', 'ee', acmDn('status.ops.example.internal'), {
    acm: true,
    onlyNew: true,
  }),
  cert('ledger-db', '2026-11-20T01:17:09', '1y', 'server', dn(host('ledger-db'), 'Payments'), {
    onlyNew: true,
  }),
];

// What verify() must find, by certificate id. README.md is written from what verify() finds.
const EXPECTED = {
  disappeared: ['admin-portal'],
  unrevoked: ['payments-2026-02'],
  changed: ['analytics'],
  revocationChanged: ['deployer-2026-06'],
  late: ['batch-export'],
  incomplete: ['ci-runner'],
  issued: ['orders-2026-11', 'billing-2026-11', 'status', 'ledger-db'],
  revoked: ['orders-2026-09', 'billing-2026', 'search-indexer'],
  expired: ['notifications-2025', 'checkout-2026-08'],
  highBit: ['kafka1-2026', 'orders-2026-09'],
  leadingZero: ['inventory-2026'],
};

// ---------------------------------------------------------------------------------------------
// Time

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Parses our UTC inputs ('2026-11-19T02:00:00', '...Z') and AWS's '...+0000'. */
const ms = (s) => {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(Z|\+0000)?$/.exec(s);
  assert.ok(m, `bad timestamp ${s}`);
  return Date.parse(`${m[1]}Z`);
};
const aws = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, '+0000');
const addValidity = (t, validity) => {
  const m = /^(\d+)([dmy])$/.exec(validity);
  const n = Number(m[1]);
  if (m[2] === 'd') return t + n * DAY;
  const d = new Date(t);
  assert.ok(d.getUTCDate() <= 28, 'month arithmetic needs a day <= 28');
  if (m[2] === 'm') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return d.getTime();
};

// ---------------------------------------------------------------------------------------------
// Serials: mulberry32, 16 octets, shown as the unsigned magnitude (leading 0x00 octets dropped).

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeSerial(rand, kind) {
  const octets = Array.from({ length: 16 }, () => Math.floor(rand() * 256));
  if (kind === 'high') octets[0] |= 0x80;
  else if (kind === 'zero') {
    octets[0] = 0;
    octets[1] ||= 0x01;
  } else octets[0] = octets[0] & 0x7f || 0x01;
  while (octets[0] === 0) octets.shift();
  return octets.map(hex2).join(':');
}

// ---------------------------------------------------------------------------------------------
// Records

function record(fields) {
  const out = {};
  for (const key of KEYS) if (fields[key] !== undefined) out[key] = fields[key];
  return out;
}

function buildReports() {
  const rand = mulberry32(SEED);
  const serials = new Set();
  const byId = new Map();
  const oldReport = [];
  const newReport = [];
  const appended = [];
  for (const cert of CERTS) {
    const serial = makeSerial(rand, cert.serial);
    assert.ok(!serials.has(serial), `duplicate serial ${serial}`);
    serials.add(serial);
    byId.set(cert.id, serial);
    const issued = ms(cert.issued);
    const base = {
      awsAccountId: ACCOUNT,
      requestedByServicePrincipal: cert.acm ? ACM : undefined,
      certificateArn: `${CA_ARN}/certificate/${serial.replaceAll(':', '')}`,
      serial,
      subject: cert.subject,
      notBefore: aws(issued - HOUR),
      notAfter: aws(addValidity(issued, cert.validity)),
      issuedAt: aws(issued),
      revokedAt: cert.revoked ? aws(ms(cert.revoked[0])) : undefined,
      revocationReason: cert.revoked?.[1],
      templateArn: TPL[cert.tpl],
    };
    if (cert.onlyNew) {
      appended.push(record(base));
      continue;
    }
    oldReport.push(record(base));
    const change = cert.change ?? { kind: 'none' };
    const next = { ...base };
    switch (change.kind) {
      case 'none':
        break;
      case 'disappeared':
        continue;
      case 'unrevoked':
        next.revokedAt = undefined;
        next.revocationReason = undefined;
        break;
      case 'notAfter':
        next.notAfter = aws(ms(change.notAfter));
        break;
      case 'reason':
        next.revocationReason = change.reason;
        break;
      case 'revoked':
        next.revokedAt = aws(ms(change.at));
        next.revocationReason = change.reason;
        break;
      case 'reasonOnly':
        next.revocationReason = change.reason;
        break;
      default:
        throw new Error(`unknown change ${change.kind}`);
    }
    newReport.push(record(next));
  }
  appended.sort((a, b) => ms(a.issuedAt) - ms(b.issuedAt));
  newReport.push(...appended);
  return { oldReport, newReport, byId };
}

// ---------------------------------------------------------------------------------------------
// Serialisation

const toJson = (records) => `[\n${records.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;

const csvCell = (v) => (v === undefined ? '' : /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const toCsv = (records) =>
  [KEYS.join(','), ...records.map((r) => KEYS.map((k) => csvCell(r[k])).join(','))]
    .map((l) => `${l}\r\n`)
    .join('');

/** Minimal RFC 4180 reader (quoted cells, doubled quotes, CRLF); returns rows of strings. */
function readCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') {
      assert.equal(cell, '', `stray quote at offset ${i}`);
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r') {
      assert.equal(text[i + 1], '\n', `bare CR at offset ${i}`);
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      assert.notEqual(ch, '\n', `bare LF at offset ${i}`);
      cell += ch;
    }
  }
  assert.ok(!quoted && cell === '' && row.length === 0, 'CSV must end with CRLF');
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Verification: record invariants, CSV twin, and an independent diff of the two reports.

const isRevoked = (r) => r.revokedAt !== undefined || r.revocationReason !== undefined;
const NON_REVOCATION_KEYS = KEYS.filter((k) => k !== 'revokedAt' && k !== 'revocationReason');

function checkRecord(r, createdAt) {
  const where = `record ${r.serial}`;
  assert.deepEqual(
    Object.keys(r),
    KEYS.filter((k) => k in r),
    `${where}: key order`,
  );
  for (const [k, v] of Object.entries(r))
    assert.ok(typeof v === 'string' && v !== '', `${where}: ${k} empty`);
  assert.equal(r.awsAccountId, ACCOUNT);
  assert.ok(r.requestedByServicePrincipal === undefined || r.requestedByServicePrincipal === ACM, where);
  assert.match(r.serial, /^[0-9a-f]{2}(:[0-9a-f]{2}){0,15}$/, where);
  assert.notEqual(r.serial.slice(0, 2), '00', `${where}: leading zero octet`);
  assert.equal(r.certificateArn, `${CA_ARN}/certificate/${r.serial.replaceAll(':', '')}`, `${where}: ARN`);
  assert.ok(Object.values(TPL).includes(r.templateArn), where);
  for (const k of ['notBefore', 'notAfter', 'issuedAt', 'revokedAt']) {
    if (r[k] !== undefined) assert.equal(aws(ms(r[k])), r[k], `${where}: ${k} format`);
  }
  const issued = ms(r.issuedAt);
  assert.equal(ms(r.notBefore), issued - HOUR, `${where}: notBefore`);
  assert.ok(ms(r.notAfter) > issued, `${where}: notAfter`);
  assert.ok(issued <= createdAt, `${where}: issued after the report`);
  if (r.revocationReason !== undefined) assert.ok(REASONS.includes(r.revocationReason), where);
  if (r.revokedAt !== undefined) {
    assert.ok(r.revocationReason !== undefined, `${where}: revokedAt without reason`);
    const at = ms(r.revokedAt);
    assert.ok(issued < at && at < ms(r.notAfter) && at <= createdAt, `${where}: revokedAt out of range`);
  }
  for (const m of r.subject.matchAll(/1\.2\.840\.113549\.1\.9\.1=#16([0-9a-f]{2})([0-9a-f]*)/g)) {
    assert.equal(Number.parseInt(m[1], 16) * 2, m[2].length, `${where}: emailAddress length byte`);
  }
}

function status(r, t) {
  if (r.revokedAt !== undefined ? ms(r.revokedAt) <= t : r.revocationReason !== undefined) return 'revoked';
  return ms(r.notAfter) < t ? 'expired' : 'active';
}

function counts(records, t) {
  const c = { total: records.length, active: 0, expired: 0, revoked: 0 };
  for (const r of records) c[status(r, t)]++;
  return c;
}

function verify(files, byId) {
  const oldT = ms(OLD.created);
  const newT = ms(NEW.created);
  const oldReport = JSON.parse(files[OLD.file]);
  const newReport = JSON.parse(files[NEW.file]);
  assert.ok(Array.isArray(oldReport) && Array.isArray(newReport));
  for (const name of [OLD.file, NEW.file]) {
    assert.match(files[name], /^\[\n(\{[^\n]*\},\n)*\{[^\n]*\}\n\]\n$/, `${name}: one object per line`);
  }
  for (const r of oldReport) checkRecord(r, oldT);
  for (const r of newReport) checkRecord(r, newT);

  // CSV twin: same records, same order; empty cell = absent value.
  const rows = readCsv(files[NEW.csv]);
  assert.deepEqual(rows[0], KEYS, 'CSV header');
  assert.equal(rows.length - 1, newReport.length, 'CSV row count');
  rows.slice(1).forEach((row, i) => {
    assert.equal(row.length, KEYS.length, `CSV row ${i + 1} width`);
    assert.deepEqual(record(Object.fromEntries(KEYS.map((k, j) => [k, row[j] || undefined]))), newReport[i]);
  });
  for (const line of files[NEW.csv].split('\r\n').slice(1, -1)) {
    assert.ok(line.split('"').length === 3, `subject quoted, nothing else: ${line}`);
  }

  // Shape of the old report.
  assert.equal(oldReport[0].templateArn, TPL.root, 'first record is the root CA');
  assert.equal(oldReport[0].subject, 'CN=Example Corp Internal Root CA,O=Example Corp,C=IE');
  assert.equal(ms(oldReport[0].notAfter), addValidity(ms(oldReport[0].issuedAt), '10y'));
  assert.equal(oldReport.filter((r) => r.templateArn === TPL.sub).length, 2);
  const preRevoked = oldReport.filter(isRevoked);
  assert.equal(preRevoked.length, 6);
  assert.equal(new Set(preRevoked.map((r) => r.revocationReason)).size, 6, 'different reasons');
  assert.ok(
    oldReport.some((r) => r.subject.includes('\\,')),
    'escaped comma',
  );
  assert.ok(
    oldReport.some((r) => r.subject.includes(',,')),
    'empty RDN',
  );
  assert.equal(oldReport.filter((r) => r.subject.includes('1.2.840.113549.1.9.1=#16')).length, 2);
  for (const report of [oldReport, newReport]) {
    assert.equal(new Set(report.map((r) => r.serial)).size, report.length, 'unique serials');
  }

  // Independent diff.
  const oldBy = new Map(oldReport.map((r) => [r.serial, r]));
  const newBy = new Map(newReport.map((r) => [r.serial, r]));
  const found = Object.fromEntries(Object.keys(EXPECTED).map((k) => [k, []]));
  for (const o of oldReport) if (!newBy.has(o.serial)) found.disappeared.push(o.serial);
  const added = newReport.filter((r) => !oldBy.has(r.serial));
  assert.deepEqual(newReport.slice(-added.length), added, 'new certificates are appended');
  assert.deepEqual(
    newReport.slice(0, -added.length).map((r) => r.serial),
    oldReport.filter((r) => newBy.has(r.serial)).map((r) => r.serial),
    'shared records keep their order',
  );
  for (const n of added) {
    const at = ms(n.issuedAt);
    if (at <= oldT) found.late.push(n.serial);
    else if (at <= newT) found.issued.push(n.serial);
    assert.ok(!isRevoked(n), 'new certificates are not revoked');
  }
  for (const n of newReport) {
    const o = oldBy.get(n.serial);
    if (!o) continue;
    const differing = NON_REVOCATION_KEYS.filter((k) => o[k] !== n[k]);
    if (differing.length > 0) {
      assert.deepEqual(differing, ['notAfter'], `${n.serial}: only notAfter changes`);
      found.changed.push(n.serial);
    }
    if (isRevoked(o) && !isRevoked(n)) found.unrevoked.push(n.serial);
    if (
      isRevoked(o) &&
      isRevoked(n) &&
      (o.revokedAt !== n.revokedAt || o.revocationReason !== n.revocationReason)
    ) {
      assert.equal(o.revokedAt, n.revokedAt, 'same revocation time');
      assert.deepEqual([o.revocationReason, n.revocationReason], ['KEY_COMPROMISE', 'SUPERSEDED']);
      found.revocationChanged.push(n.serial);
    }
    if (!isRevoked(o) && n.revokedAt !== undefined) {
      const at = ms(n.revokedAt);
      assert.ok(oldT < at && at <= newT, 'newly revoked inside the window');
      found.revoked.push(n.serial);
    }
  }
  for (const r of oldReport) assert.ok(r.revocationReason === undefined || r.revokedAt !== undefined);
  for (const r of newReport)
    if (r.revocationReason !== undefined && r.revokedAt === undefined) found.incomplete.push(r.serial);
  for (const r of newReport) {
    const t = ms(r.notAfter);
    if (oldT < t && t <= newT && !isRevoked(r)) found.expired.push(r.serial);
    if (oldT < t && t <= newT)
      assert.ok(oldBy.get(r.serial)?.notAfter === r.notAfter, 'expiry not via a change');
  }
  for (const r of [...oldReport, ...added]) {
    if (r.serial.length === 47 && Number.parseInt(r.serial.slice(0, 2), 16) >= 0x80)
      found.highBit.push(r.serial);
    if (r.serial.length < 47) found.leadingZero.push(r.serial);
  }
  assert.deepEqual([...found.revoked.map((s) => newBy.get(s).revocationReason)].sort(), [
    'CESSATION_OF_OPERATION',
    'KEY_COMPROMISE',
    'SUPERSEDED',
  ]);

  // Everything found is exactly what was planted, and nothing else.
  for (const [key, ids] of Object.entries(EXPECTED)) {
    assert.deepEqual([...found[key]].sort(), ids.map((id) => byId.get(id)).sort(), `planted ${key}`);
  }
  const planted = new Set([
    ...found.changed,
    ...found.unrevoked,
    ...found.revocationChanged,
    ...found.revoked,
  ]);
  planted.add(found.incomplete[0]);
  for (const n of newReport) {
    const o = oldBy.get(n.serial);
    if (o && !planted.has(n.serial)) assert.deepEqual(n, o, `${n.serial}: unplanted difference`);
  }

  return {
    oldReport,
    newReport,
    found,
    counts: {
      old: counts(oldReport, oldT),
      new: counts(newReport, newT),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// samples/README.md

function readme({ oldReport, newReport, found, counts: c }) {
  const all = new Map([...oldReport, ...newReport].map((r) => [r.serial, r]));
  const oldBy = new Map(oldReport.map((r) => [r.serial, r]));
  const newBy = new Map(newReport.map((r) => [r.serial, r]));
  /** Short label: the CN, else the decoded emailAddress. */
  const cn = (s) => {
    const subject = all.get(s).subject;
    const m = /(?:^|,)CN=((?:[^,\\]|\\.)*)/.exec(subject);
    return m ? m[1] : Buffer.from(/#16[0-9a-f]{2}([0-9a-f]+)/.exec(subject)[1], 'hex').toString('ascii');
  };
  const row = (what, s, detail) => `| ${what} | \`${s}\` | ${cn(s)} | ${detail} |`;
  const preRevoked = oldReport.filter(isRevoked).map((r) => r.revocationReason);
  const one = (key) => {
    assert.equal(found[key].length, 1);
    return found[key][0];
  };
  const d = (s) => s.replace('+0000', 'Z');
  const rev = (r) => `${r.revocationReason}${r.revokedAt ? ` at ${d(r.revokedAt)}` : ''}`;

  const violations = [
    ['CERTIFICATE_DISAPPEARED', one('disappeared'), 'in the old report (active), missing from the new one'],
    [
      'CERTIFICATE_UNREVOKED',
      one('unrevoked'),
      `old: revoked ${rev(oldBy.get(one('unrevoked')))}; new: no revokedAt/revocationReason`,
    ],
    [
      'CERTIFICATE_CHANGED',
      one('changed'),
      `notAfter ${d(oldBy.get(one('changed')).notAfter)} (old) → ${d(newBy.get(one('changed')).notAfter)} (new)`,
    ],
    [
      'REVOCATION_CHANGED',
      one('revocationChanged'),
      `revoked at ${d(newBy.get(one('revocationChanged')).revokedAt)}; reason ${
        oldBy.get(one('revocationChanged')).revocationReason
      } (old) → ${newBy.get(one('revocationChanged')).revocationReason} (new)`,
    ],
    [
      'LATE_ISSUANCE',
      one('late'),
      `new in the new report, but issuedAt ${d(newBy.get(one('late')).issuedAt)} is before the old report`,
    ],
    [
      'REVOCATION_INCOMPLETE',
      one('incomplete'),
      `new report only: revocationReason ${newBy.get(one('incomplete')).revocationReason}, no revokedAt (old: not revoked)`,
    ],
  ];
  const byIssue = (list) => [...list].sort((a, b) => ms(all.get(a).issuedAt) - ms(all.get(b).issuedAt));
  const changes = [
    ...byIssue(found.issued).map((s) => ['issued', s, `issuedAt ${d(newBy.get(s).issuedAt)}`]),
    ...found.revoked.map((s) => ['revoked', s, rev(newBy.get(s))]),
    ...found.expired.map((s) => ['expired', s, `notAfter ${d(newBy.get(s).notAfter)}`]),
  ];
  const octets = (s) => s.split(':').length;
  const edges = [
    ...found.highBit.map((s) => ['serial, high bit set', s, `first octet 0x${s.slice(0, 2)} (16 octets)`]),
    ...found.leadingZero.map((s) => ['serial, leading 0x00 dropped', s, `${octets(s)} octets shown`]),
    ...oldReport
      .filter((r) => r.subject.includes('\\,'))
      .map((r) => ['escaped comma in subject', r.serial, 'RFC 2253 `\\,` (JSON `\\\\,`)']),
    ...oldReport
      .filter((r) => r.subject.includes('#16'))
      .map((r) => [
        r.subject.includes(',,') ? 'emailAddress + empty RDN' : 'emailAddress as hex',
        r.serial,
        `\`#16\` IA5String = ${Buffer.from(/#16[0-9a-f]{2}([0-9a-f]+)/.exec(r.subject)[1], 'hex').toString('ascii')}`,
      ]),
  ];
  const acm = oldReport.filter((r) => r.requestedByServicePrincipal === ACM).length;
  const acmNew = newReport.filter((r) => r.requestedByServicePrincipal === ACM).length;
  const table = (head, rows) =>
    [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => row(...r))].join(
      '\n',
    );
  const countRow = (name, created, k) =>
    `| \`${name}\` | ${created} | ${k.total} | ${k.active} | ${k.expired} | ${k.revoked} |`;

  return `# Sample audit reports

Two audit reports of one AWS Private CA, a day apart, generated by \`scripts/make-samples.mjs\`.
Regenerate (byte-identical) with \`node scripts/make-samples.mjs\`; verify with \`node scripts/make-samples.mjs --check\`.

CA: \`${CA_ARN}\`

| File | What it is |
|---|---|
| \`${OLD.file}\` | Older report, created ${OLD.created}: ${c.old.total} certificates (first: the root CA's own certificate) |
| \`${NEW.file}\` | Newer report, created ${NEW.created}: ${c.new.total} certificates |
| \`${NEW.csv}\` | CSV twin of \`${NEW.file}\` (same records, same order, CRLF line ends) |

Status as of each report's creation time (revoked wins over expired; the REVOCATION_INCOMPLETE record counts as revoked):

| Report | Created | Certificates | Active | Expired | Revoked |
|---|---|---|---|---|---|
${countRow(OLD.file, OLD.created, c.old)}
${countRow(NEW.file, NEW.created, c.new)}

## Planted violations (exactly one each)

${table(['Violation', 'Serial', 'CN', 'What happened'], violations)}

## Ordinary changes between the reports (window ${OLD.created} .. ${NEW.created})

Shared records keep their order; the ${found.issued.length + found.late.length} certificates new in the newer report are appended in issuance order.

${table(['Change', 'Serial', 'CN', 'Details'], changes)}

## Format edge cases

${table(['Case', 'Serial', 'CN', 'Details'], edges)}

All other serials have a first octet between 0x01 and 0x7f. ${acm} certificates in the old report (${acmNew} in the new)
were requested by ACM (\`requestedByServicePrincipal\` = \`${ACM}\`); two are subordinate CAs
(\`SubordinateCACertificate_PathLen0/V1\`). Before the old report, ${preRevoked.length} certificates had been revoked
(${preRevoked.join(', ')}); nothing else differs between the two reports.
`;
}

// ---------------------------------------------------------------------------------------------

function generate() {
  const { oldReport, newReport, byId } = buildReports();
  const files = {
    [OLD.file]: toJson(oldReport),
    [NEW.file]: toJson(newReport),
    [NEW.csv]: toCsv(newReport),
  };
  const result = verify(files, byId);
  files['README.md'] = readme(result);
  return { files, result };
}

/**
 * samples/README.md goes on with what scripts/make-cloudtrail-samples.mjs writes (the CloudTrail
 * records and the CRL), from this line on: kept as it is, and checked by that script.
 */
const README_TAIL = '\n<!-- scripts/make-cloudtrail-samples.mjs writes the rest of this file -->';

function withTail(name, content) {
  if (name !== 'README.md') return content;
  let existing;
  try {
    existing = readFileSync(join(OUT_DIR, name), 'utf8');
  } catch {
    return content;
  }
  const i = existing.indexOf(README_TAIL);
  return i < 0 ? content : content + existing.slice(i);
}

const { files, result } = generate();
if (process.argv.includes('--check')) {
  const stale = Object.entries(files)
    .filter(([name, content]) => {
      try {
        return readFileSync(join(OUT_DIR, name), 'utf8') !== withTail(name, content);
      } catch {
        return true;
      }
    })
    .map(([name]) => `samples/${name}`);
  if (stale.length > 0) {
    console.error(`stale or missing: ${stale.join(', ')}; run: node scripts/make-samples.mjs`);
    process.exitCode = 1;
  } else console.log(`samples/ is up to date (${JSON.stringify(result.counts)})`);
} else {
  mkdirSync(OUT_DIR, { recursive: true });
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(OUT_DIR, name), withTail(name, content));
  console.log(`wrote ${Object.keys(files).length} files to samples/`);
}
