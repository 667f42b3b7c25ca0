#!/usr/bin/env node
// Deterministic generator of a pair of AWS Private CA audit reports (OLD, NEW) of one CA, in JSON and
// CSV, with a manifest of exactly what was planted. Same arguments, same bytes: every record is a pure
// function of (seed, record id), and every plan decision comes from one seeded PRNG.
//
//   node scripts/bench/generate.mjs --count 1000000 --out bench-data [--seed 1]
//
// Files are streamed in chunks with backpressure; memory holds one Int32Array of NEW's order
// (4 bytes a record) and a few records, never a whole file.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

// Bump whenever the bytes produced for the same arguments change: run.mjs regenerates on a mismatch.
export const GENERATOR_VERSION = 1;

export const OLD_CREATED_AT = '2026-11-19T02:00:00Z';
export const NEW_CREATED_AT = '2026-11-20T02:00:00Z';

const DAY = 86400;
const OLD_CREATED = Date.parse(OLD_CREATED_AT) / 1000;
const NEW_CREATED = Date.parse(NEW_CREATED_AT) / 1000;
// Revoked and planted certificates never expire within a day of the window, so "expired between the
// reports" means the same thing whether or not an implementation counts revoked or planted ones.
const GUARD_FROM = OLD_CREATED - DAY;
const GUARD_TO = NEW_CREATED + DAY;

const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const SERVICE_PRINCIPAL = 'acm.amazonaws.com';
const TEMPLATE_PREFIX = 'arn:aws:acm-pca:::template/';
const CSV_HEADER =
  'awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject,notBefore,notAfter,issuedAt,revokedAt,revocationReason,templateArn\n';

export const REVOCATION_REASONS = [
  'UNSPECIFIED',
  'KEY_COMPROMISE',
  'CERTIFICATE_AUTHORITY_COMPROMISE',
  'AFFILIATION_CHANGED',
  'SUPERSEDED',
  'CESSATION_OF_OPERATION',
  'PRIVILEGE_WITHDRAWN',
  'A_A_COMPROMISE',
];

const REVOKED_FRACTION = 0.04; // of OLD's certificates
// ~0.5% of OLD's unrevoked certificates: only those valid through the window are eligible (about 47%).
const NEWLY_REVOKED_PROBABILITY = 0.0107;
const NEWLY_ISSUED_FRACTION = 0.01;
const LEADING_ZERO_FRACTION = 0.03;
export const MIN_COUNT = 500;

// ---------------------------------------------------------------------------------------------------
// PRNG: xoshiro128** seeded through splitmix32.

class Rng {
  constructor() {
    this.a = 0;
    this.b = 0;
    this.c = 0;
    this.d = 0;
  }

  /** Re-seeds from two 32-bit words (e.g. seed and record id). */
  reseed(x, y) {
    let s = (Math.imul(x | 0, 0x9e3779b1) ^ Math.imul(y | 0, 0x85ebca77) ^ 0x27d4eb2f) | 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let t = s ^ (s >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) | 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
    return this;
  }

  u32() {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  float() {
    return this.u32() / 4294967296;
  }

  int(n) {
    return Math.floor(this.float() * n);
  }

  pick(list) {
    return list[this.int(list.length)];
  }
}

function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}

/** A bijection on 32-bit words (lowbias32): distinct record ids give distinct serial tails. */
function permute32(x) {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// Formatting helpers (cached: four dates a row, a few million rows).

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const dayCache = new Map();
const timeCache = new Array(DAY);

function formatDate(sec) {
  const days = Math.floor(sec / DAY);
  const tod = sec - days * DAY;
  let d = dayCache.get(days);
  if (d === undefined) {
    d = new Date(days * DAY * 1000).toISOString().slice(0, 10);
    dayCache.set(days, d);
  }
  let t = timeCache[tod];
  if (t === undefined) {
    t = `T${new Date(tod * 1000).toISOString().slice(11, 19)}+0000`;
    timeCache[tod] = t;
  }
  return d + t;
}

/** Calendar months, clamping the day like java.time's plusMonths. */
function addMonths(sec, months) {
  const date = new Date(sec * 1000);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + months;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), last);
  const tod = sec - Math.floor(sec / DAY) * DAY;
  return Date.UTC(y, m, day) / 1000 + tod;
}

function jsonString(s) {
  return s.includes('\\') || s.includes('"') ? JSON.stringify(s) : `"${s}"`;
}

function csvCell(s) {
  if (s.includes(',') || s.includes('"') || s.includes('\n') || s.includes('\r')) {
    return `"${s.replaceAll('"', '""')}"`;
  }
  return s;
}

function hexAscii(s) {
  let out = '';
  for (let i = 0; i < s.length; i++) out += HEX[s.charCodeAt(i)];
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Subjects: RFC 2253 as Java's X500Principal prints them.

const SERVICES = [
  'api',
  'web',
  'auth',
  'db',
  'cache',
  'queue',
  'worker',
  'gateway',
  'ingest',
  'billing',
  'search',
  'metrics',
  'mail',
  'vpn',
  'ldap',
  'grpc',
  'edge',
  'proxy',
  'store',
  'sync',
];
const TEAMS = [
  ['Payments', 'payments'],
  ['Identity', 'identity'],
  ['Platform', 'platform'],
  ['Data Engineering', 'data'],
  ['Security', 'security'],
  ['Retail', 'retail'],
  ['Logistics', 'logistics'],
  ['Marketing', 'marketing'],
  ['Research', 'research'],
  ['Mobile', 'mobile'],
  ['Infrastructure', 'infra'],
  ['Customer Support', 'support'],
];
const ENVS = ['prod', 'prod', 'prod', 'staging', 'dev', 'qa', 'perf'];
const DOMAINS = ['example.com', 'example.com', 'example.com', 'example.net', 'corp.example.com'];
const PLACES = [
  ['Seattle', 'Washington', 'US'],
  ['Seattle', 'Washington', 'US'],
  ['Seattle', 'Washington', 'US'],
  ['Arlington', 'Virginia', 'US'],
  ['Austin', 'Texas', 'US'],
  ['New York', 'New York', 'US'],
  ['San Francisco', 'California', 'US'],
  ['Dublin', 'Leinster', 'IE'],
  ['London', 'England', 'GB'],
  ['Berlin', 'Berlin', 'DE'],
  ['Tokyo', 'Tokyo', 'JP'],
  ['Sydney', 'New South Wales', 'AU'],
  ['Toronto', 'Ontario', 'CA'],
];
// Non-ASCII values are printed as UTF-8 by X500Principal; a byte scanner must not assume ASCII.
const PLACES_UTF8 = [
  ['München', 'Bayern', 'DE'],
  ['Zürich', 'Zürich', 'CH'],
  ['São Paulo', 'São Paulo', 'BR'],
  ['Paris', 'Île-de-France', 'FR'],
];
const FIRST_NAMES = ['John', 'Maria', 'Wei', 'Aisha', 'Carlos', 'Olga', 'Kenji', 'Fatima', 'Liam', 'Priya'];
const LAST_NAMES = [
  'Smith',
  'Garcia',
  'Chen',
  'Khan',
  'Silva',
  'Ivanova',
  'Tanaka',
  'Okafor',
  'Murphy',
  'Patel',
];

function organization(rng) {
  const r = rng.float();
  if (r < 0.01) return 'Example\\, Inc.'; // an escaped comma inside a value
  if (r < 0.011) return '\\"Example\\" Labs'; // an escaped quote: doubled inside a quoted CSV cell
  if (r < 0.1) return 'Example Holdings Ltd';
  return 'Example Corp';
}

function place(rng) {
  return rng.float() < 0.015 ? rng.pick(PLACES_UTF8) : rng.pick(PLACES);
}

function emailRdn(address) {
  // DER IA5String: tag 0x16, one length octet (addresses here are far below 128 bytes), the bytes.
  return `1.2.840.113549.1.9.1=#16${HEX[address.length]}${hexAscii(address)}`;
}

function serverSubject(rng) {
  const [ou, sub] = rng.pick(TEAMS);
  const host = `${rng.pick(SERVICES)}-${String(rng.int(1000000)).padStart(6, '0')}.${sub}.${rng.pick(ENVS)}.${rng.pick(DOMAINS)}`;
  const shape = rng.float();
  if (shape < 0.005) return { cn: host, subject: `CN=${host}`, ou: sub };
  if (shape < 0.035) return { cn: host, subject: `CN=${host},OU=Servers,DC=corp,DC=example,DC=com`, ou: sub };
  const [l, st, c] = place(rng);
  return { cn: host, subject: `CN=${host},OU=${ou},O=${organization(rng)},L=${l},ST=${st},C=${c}`, ou: sub };
}

function clientSubject(rng) {
  const [ou, sub] = rng.pick(TEAMS);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const shape = rng.float();
  let cn;
  let uid = '';
  if (shape < 0.1) cn = `${last}\\, ${first}`;
  else if (shape < 0.4) cn = `${first} ${last}`;
  else if (shape < 0.7) cn = `svc-${sub}-${String(rng.int(100000)).padStart(5, '0')}`;
  else cn = `device-${HEX[rng.int(256)]}${HEX[rng.int(256)]}${HEX[rng.int(256)]}${HEX[rng.int(256)]}`;
  if (shape >= 0.1 && shape < 0.4 && rng.float() < 0.3) {
    uid = `,UID=${first.toLowerCase()}.${last.toLowerCase()}${rng.int(100)}`;
  }
  const [, , c] = place(rng);
  return {
    cn,
    subject: `CN=${cn}${uid},OU=${ou},O=${organization(rng)},C=${c}`,
    ou: sub,
    person: `${first.toLowerCase()}.${last.toLowerCase()}`,
  };
}

function codeSigningSubject(rng) {
  const [l, st, c] = place(rng);
  const cn = `Example Corp Code Signing ${2024 + rng.int(3)}-${String(rng.int(1000)).padStart(3, '0')}`;
  return { cn, subject: `CN=${cn},OU=Release Engineering,O=${organization(rng)},L=${l},ST=${st},C=${c}` };
}

function subCaSubject(rng) {
  const cn = `Example Corp Issuing CA ${String(rng.int(100)).padStart(2, '0')}`;
  return { cn, subject: `CN=${cn},OU=PKI,O=Example Corp,C=US` };
}

function withEmail(rng, s) {
  const local = s.person ?? `${rng.pick(SERVICES)}-${s.ou ?? 'pki'}-ops`;
  const email = emailRdn(`${local}@${rng.pick(DOMAINS)}`);
  // AWS's own documentation example: an emailAddress, an empty RDN, and no CN at all.
  if (rng.float() < 0.01) return `${email},,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US`;
  return `${email},${s.subject}`;
}

// ---------------------------------------------------------------------------------------------------
// Records.

/**
 * The generation plan: everything derived from (count, seed) before the first byte is written.
 */
function makePlan(count, seed) {
  const rng = new Rng().reseed(seed, 0x7fffffff);
  const hex = (n) => Array.from({ length: n }, () => HEX[rng.int(256)]).join('');
  const caId = `${hex(4)}-${hex(2)}-4${hex(2).slice(1)}-${HEX[0x80 | rng.int(64)]}${hex(1)}-${hex(6)}`;
  const caArn = `arn:aws:acm-pca:${REGION}:${ACCOUNT}:certificate-authority/${caId}`;
  const newlyIssued = Math.max(1, Math.round(count * NEWLY_ISSUED_FRACTION));
  return {
    count,
    seed,
    rng,
    caId,
    caArn,
    serialKey: rng.u32(),
    newlyIssued,
    // Record ids: 0..count-1 are OLD's rows (0 is the CA's own certificate); count..count+newlyIssued-1
    // are newly issued; count+newlyIssued is the late issuance.
    lateId: count + newlyIssued,
  };
}

const recordRng = new Rng();

/** The record with this id as OLD holds it (or, for ids >= count, as NEW holds it). Pure. */
function makeRecord(plan, id) {
  const rng = recordRng.reseed(plan.seed, id);
  const isNew = id >= plan.count;
  const isRoot = id === 0;

  // Serial: 16 octets, the last four a bijection of the id, so serials are unique by construction.
  const octets = new Array(16);
  for (let i = 0; i < 12; i++) octets[i] = rng.int(256);
  const tail = permute32((id ^ plan.serialKey) >>> 0);
  octets[12] = tail >>> 24;
  octets[13] = (tail >>> 16) & 0xff;
  octets[14] = (tail >>> 8) & 0xff;
  octets[15] = tail & 0xff;
  if (rng.float() < LEADING_ZERO_FRACTION) octets[0] = 0;
  let start = 0;
  if (octets[0] === 0) {
    // The unsigned magnitude: a zero first octet is not printed (and the next one is made non-zero).
    start = 1;
    if (octets[1] === 0) octets[1] = 1 + rng.int(255);
  }
  let serial = HEX[octets[start]];
  let serialHex = serial;
  for (let i = start + 1; i < 16; i++) {
    serial += `:${HEX[octets[i]]}`;
    serialHex += HEX[octets[i]];
  }

  // Template and subject.
  let template;
  let s;
  if (isRoot) {
    template = 'RootCACertificate/V1';
    s = { subject: 'CN=Example Corp Root CA G1,OU=PKI,O=Example Corp,L=Seattle,ST=Washington,C=US' };
  } else {
    const t = rng.float();
    if (t < 0.8) {
      template = 'EndEntityCertificate/V1';
      s = serverSubject(rng);
    } else if (t < 0.94) {
      template = 'EndEntityClientAuthCertificate/V1';
      s = clientSubject(rng);
    } else if (t < 0.998) {
      template = 'CodeSigningCertificate/V1';
      s = codeSigningSubject(rng);
    } else {
      template = 'SubordinateCACertificate_PathLen0/V1';
      s = subCaSubject(rng);
    }
  }
  const subject = !isRoot && rng.float() < 0.05 ? withEmail(rng, s) : s.subject;
  // ACM requests only end-entity certificates; 25% of those is 20% of all rows.
  const principal = template === 'EndEntityCertificate/V1' && rng.float() < 0.25;

  // Validity.
  const lifetime = rng.float();
  const validity = (issuedAt) => {
    const notBefore = issuedAt - 3600;
    let notAfter;
    if (isRoot) notAfter = addMonths(notBefore, 120);
    else if (template === 'SubordinateCACertificate_PathLen0/V1') notAfter = addMonths(notBefore, 36);
    else if (lifetime < 0.6) notAfter = addMonths(notBefore, 13);
    else if (lifetime < 0.85) notAfter = addMonths(notBefore, 12);
    else notAfter = notBefore + 90 * DAY;
    return [notBefore, notAfter];
  };

  let issuedAt;
  if (isRoot) issuedAt = OLD_CREATED - 731 * DAY - 6 * 3600 - 17;
  else if (id === plan.lateId) issuedAt = OLD_CREATED - 3600 - rng.int(5 * 3600);
  else if (isNew) issuedAt = OLD_CREATED + 1 + rng.int(NEW_CREATED - OLD_CREATED - 2);
  else issuedAt = OLD_CREATED - 1 - rng.int(730 * DAY);

  const revoked = !isRoot && !isNew && rng.float() < REVOKED_FRACTION;
  if (revoked && OLD_CREATED - issuedAt < 3600) issuedAt -= DAY; // room for a revocation before OLD
  let [notBefore, notAfter] = validity(issuedAt);
  if (revoked && notAfter >= GUARD_FROM && notAfter <= GUARD_TO) {
    issuedAt -= 4 * DAY;
    [notBefore, notAfter] = validity(issuedAt);
  }
  // No expiry exactly at a report's creation time: (from, to] and [from, to) then agree.
  if (notAfter === OLD_CREATED || notAfter === NEW_CREATED) {
    issuedAt -= 1;
    [notBefore, notAfter] = validity(issuedAt);
  }

  let revokedAt = 0;
  let reason = '';
  const revDraw = rng.float();
  const revReason = rng.pick(REVOCATION_REASONS);
  if (revoked) {
    const until = Math.min(notAfter, OLD_CREATED);
    revokedAt = issuedAt + 1 + Math.floor(revDraw * (until - issuedAt - 2));
    reason = revReason;
  }

  // Newly revoked in NEW: unrevoked in OLD and valid through the window (so never also "expired").
  const newlyRevoked =
    !isRoot && !isNew && !revoked && notAfter > GUARD_TO && rng.float() < NEWLY_REVOKED_PROBABILITY;
  const newRevokedAt = OLD_CREATED + 1 + rng.int(NEW_CREATED - OLD_CREATED - 2);
  const newReason = rng.pick(REVOCATION_REASONS);

  return {
    id,
    principal,
    arn: `${plan.caArn}/certificate/${serialHex}`,
    serial,
    subject,
    issuedAt,
    notBefore,
    notAfter,
    revokedAt,
    reason,
    template,
    newlyRevoked,
    newRevokedAt: newlyRevoked ? newRevokedAt : 0,
    newReason: newlyRevoked ? newReason : '',
    json: '',
    csv: '',
    revision: null, // NEW's version, when newly revoked
  };
}

function toJson(r) {
  if (r.json) return r.json;
  let out = `{"awsAccountId":"${ACCOUNT}",`;
  if (r.principal) out += `"requestedByServicePrincipal":"${SERVICE_PRINCIPAL}",`;
  out += `"certificateArn":"${r.arn}","serial":"${r.serial}","subject":${jsonString(r.subject)},"notBefore":"${formatDate(r.notBefore)}","notAfter":"${formatDate(r.notAfter)}","issuedAt":"${formatDate(r.issuedAt)}"`;
  if (r.revokedAt) out += `,"revokedAt":"${formatDate(r.revokedAt)}"`;
  if (r.reason) out += `,"revocationReason":"${r.reason}"`;
  out += `,"templateArn":"${TEMPLATE_PREFIX}${r.template}"}`;
  r.json = out;
  return out;
}

function toCsv(r) {
  if (r.csv) return r.csv;
  const out = `${ACCOUNT},${r.principal ? SERVICE_PRINCIPAL : ''},${r.arn},${r.serial},${csvCell(r.subject)},${formatDate(r.notBefore)},${formatDate(r.notAfter)},${formatDate(r.issuedAt)},${r.revokedAt ? formatDate(r.revokedAt) : ''},${r.reason},${TEMPLATE_PREFIX}${r.template}\n`;
  r.csv = out;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Planted violations.

function pickRecords(plan, taken, n, eligible) {
  const picked = [];
  for (let attempts = 0; picked.length < n; attempts++) {
    if (attempts > 200000) throw new Error('cannot place the planted violations: use a larger --count');
    const id = 1 + plan.rng.int(plan.count - 1);
    if (taken.has(id)) continue;
    const r = makeRecord(plan, id);
    if (r.newlyRevoked || !eligible(r)) continue;
    taken.add(id);
    picked.push(r);
  }
  return picked;
}

const outsideGuard = (r) => r.notAfter < GUARD_FROM || r.notAfter > GUARD_TO;

/** Returns Map(id → NEW's version of the record, or null when it disappears) and the manifest entries. */
function plantViolations(plan) {
  const taken = new Set();
  const changes = new Map();
  const planted = {};

  const active = pickRecords(plan, taken, 2, (r) => !r.revokedAt && r.notAfter > GUARD_TO);
  const expired = pickRecords(plan, taken, 1, (r) => !r.revokedAt && r.notAfter < GUARD_FROM);
  planted.CERTIFICATE_DISAPPEARED = [...active, ...expired].map((r) => {
    changes.set(r.id, null);
    return { serial: r.serial };
  });

  planted.CERTIFICATE_UNREVOKED = pickRecords(plan, taken, 2, (r) => r.revokedAt > 0).map((r) => {
    changes.set(r.id, { ...r, revokedAt: 0, reason: '', json: '', csv: '' });
    return { serial: r.serial, revokedAt: formatDate(r.revokedAt), revocationReason: r.reason };
  });

  const [longLived] = pickRecords(plan, taken, 1, (r) => !r.revokedAt && r.notAfter > GUARD_TO);
  const [renamed] = pickRecords(plan, taken, 1, (r) => !r.revokedAt && outsideGuard(r));
  const extended = longLived.notAfter + DAY;
  const newSubject = renamed.subject.replace('CN=', 'CN=renamed-');
  changes.set(longLived.id, { ...longLived, notAfter: extended, json: '', csv: '' });
  changes.set(renamed.id, { ...renamed, subject: newSubject, json: '', csv: '' });
  planted.CERTIFICATE_CHANGED = [
    {
      serial: longLived.serial,
      field: 'notAfter',
      old: formatDate(longLived.notAfter),
      new: formatDate(extended),
    },
    { serial: renamed.serial, field: 'subject', old: renamed.subject, new: newSubject },
  ];

  const [reasonChanged] = pickRecords(plan, taken, 1, (r) => r.revokedAt > 0);
  const [timeChanged] = pickRecords(plan, taken, 1, (r) => r.revokedAt - r.issuedAt > 7200);
  const otherReasons = REVOCATION_REASONS.filter((x) => x !== reasonChanged.reason);
  const newReason = otherReasons[plan.rng.int(otherReasons.length)];
  const newTime = timeChanged.revokedAt - 3600; // still after issuance and before OLD was made
  changes.set(reasonChanged.id, { ...reasonChanged, reason: newReason, json: '', csv: '' });
  changes.set(timeChanged.id, { ...timeChanged, revokedAt: newTime, json: '', csv: '' });
  planted.REVOCATION_CHANGED = [
    { serial: reasonChanged.serial, field: 'revocationReason', old: reasonChanged.reason, new: newReason },
    {
      serial: timeChanged.serial,
      field: 'revokedAt',
      old: formatDate(timeChanged.revokedAt),
      new: formatDate(newTime),
    },
  ];

  const late = makeRecord(plan, plan.lateId);
  planted.LATE_ISSUANCE = [{ serial: late.serial, issuedAt: formatDate(late.issuedAt) }];
  return { changes, planted };
}

/** NEW's order: OLD's ids minus the disappeared, then the new ids (late issuance among them), then swaps. */
function newOrder(plan, changes) {
  const appended = Array.from({ length: plan.newlyIssued }, (_, i) => plan.count + i);
  appended.splice(plan.rng.int(appended.length + 1), 0, plan.lateId);
  let disappeared = 0;
  for (const v of changes.values()) if (v === null) disappeared++;
  const order = new Int32Array(plan.count - disappeared + appended.length);
  let q = 0;
  for (let id = 0; id < plan.count; id++) if (changes.get(id) !== null) order[q++] = id;
  for (const id of appended) order[q++] = id;
  // Swap random pairs (the CA's own certificate stays first) so that nothing can rely on order.
  const swaps = Math.min(300, Math.floor(order.length / 20));
  for (let i = 0; i < swaps; i++) {
    const a = 1 + plan.rng.int(order.length - 1);
    const b = 1 + plan.rng.int(order.length - 1);
    const t = order[a];
    order[a] = order[b];
    order[b] = t;
  }
  return { order, swaps };
}

// ---------------------------------------------------------------------------------------------------
// Output.

const CHUNK_CHARS = 1 << 20;

class ChunkWriter {
  constructor(path) {
    this.path = path;
    this.stream = createWriteStream(path, { highWaterMark: 4 << 20 });
    this.buffer = '';
    this.failed = null;
    this.stream.on('error', (err) => {
      this.failed = err;
    });
  }

  /** Writes the buffered text; resolves once the stream can take more (backpressure). */
  async flush() {
    if (this.failed) throw this.failed;
    if (this.buffer.length === 0) return;
    const ok = this.stream.write(this.buffer);
    this.buffer = '';
    if (!ok) {
      await new Promise((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
    }
    if (this.failed) throw this.failed;
  }

  async close() {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'close');
    if (this.failed) throw this.failed;
    return this.stream.bytesWritten;
  }
}

/**
 * Generates the pair into outDir. Returns the manifest (also written, last, as manifest.json).
 * @param {{count: number, out: string, seed?: number}} options
 */
export async function generate({ count, out, seed = 1 }) {
  if (!Number.isInteger(count) || count < MIN_COUNT || count > 50_000_000) {
    throw new Error(`--count must be an integer from ${MIN_COUNT} to 50000000, got ${count}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`--seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  const started = process.hrtime.bigint();
  const outDir = resolve(out);
  await mkdir(outDir, { recursive: true });
  // A manifest is the mark of a complete data set: remove it before touching the reports.
  await rm(join(outDir, 'manifest.json'), { force: true });

  const plan = makePlan(count, seed);
  const { changes, planted } = plantViolations(plan);
  const { order, swaps } = newOrder(plan, changes);

  const oldJson = new ChunkWriter(join(outDir, 'old.json'));
  const newJson = new ChunkWriter(join(outDir, 'new.json'));
  const oldCsv = new ChunkWriter(join(outDir, 'old.csv'));
  const newCsv = new ChunkWriter(join(outDir, 'new.csv'));
  const writers = [oldJson, newJson, oldCsv, newCsv];
  oldCsv.buffer = CSV_HEADER;
  newCsv.buffer = CSV_HEADER;

  // NEW's rows are mostly OLD's, a few positions apart: a small cache keyed by id avoids making a record twice.
  const cache = new Array(16).fill(null);
  const recordOf = (id) => {
    const slot = id & 15;
    const hit = cache[slot];
    if (hit !== null && hit.id === id) return hit;
    const r = makeRecord(plan, id);
    cache[slot] = r;
    return r;
  };
  const newVersion = (r) => {
    const changed = changes.get(r.id);
    if (changed !== undefined) return changed;
    if (!r.newlyRevoked) return r;
    if (r.revision === null) {
      r.revision = { ...r, revokedAt: r.newRevokedAt, reason: r.newReason, json: '', csv: '' };
    }
    return r.revision;
  };

  let revokedOld = 0;
  let revokedNew = 0;
  let newlyRevoked = 0;
  let expired = 0;
  const total = Math.max(count, order.length);
  for (let i = 0; i < total; i++) {
    if (i < count) {
      const r = recordOf(i);
      const sep = i === 0 ? '[' : ',';
      oldJson.buffer += sep + toJson(r);
      oldCsv.buffer += toCsv(r);
      if (r.revokedAt) revokedOld++;
    }
    if (i < order.length) {
      const r = newVersion(recordOf(order[i]));
      newJson.buffer += (i === 0 ? '[' : ',') + toJson(r);
      newCsv.buffer += toCsv(r);
      if (r.revokedAt) revokedNew++;
      if (r.newlyRevoked) newlyRevoked++;
      if (r.notAfter > OLD_CREATED && r.notAfter <= NEW_CREATED) expired++;
    }
    if ((i & 255) === 255) {
      for (const w of writers) if (w.buffer.length >= CHUNK_CHARS) await w.flush();
    }
  }
  oldJson.buffer += ']';
  newJson.buffer += ']';
  const [oldJsonBytes, newJsonBytes, oldCsvBytes, newCsvBytes] = await Promise.all(
    writers.map((w) => w.close()),
  );

  const findings = Object.fromEntries(Object.entries(planted).map(([code, list]) => [code, list.length]));
  const manifest = {
    generatorVersion: GENERATOR_VERSION,
    count,
    seed,
    oldCreatedAt: OLD_CREATED_AT,
    newCreatedAt: NEW_CREATED_AT,
    certificateAuthorityArn: plan.caArn,
    files: {
      'old.json': { bytes: oldJsonBytes, records: count },
      'new.json': { bytes: newJsonBytes, records: order.length },
      'old.csv': { bytes: oldCsvBytes, records: count },
      'new.csv': { bytes: newCsvBytes, records: order.length },
    },
    counts: {
      oldRecords: count,
      newRecords: order.length,
      revokedInOld: revokedOld,
      revokedInNew: revokedNew,
      newlyIssued: plan.newlyIssued,
      lateIssued: 1,
      newlyRevoked,
      expiredInWindow: expired,
      swappedPairs: swaps,
    },
    planted,
    expected: {
      // issued: serials in NEW and not in OLD (the newly issued ones and the late issuance);
      // revoked: revoked in NEW, unrevoked in OLD; expired: in both, notAfter in (old, new].
      // No revoked or planted certificate expires within a day of the window.
      summary: {
        issued: plan.newlyIssued + 1,
        revoked: newlyRevoked,
        expired,
        findings: { error: 9, warning: 1, info: 0 },
      },
      findings,
    },
  };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  manifest.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return manifest;
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function describe(manifest, outDir) {
  const f = manifest.files;
  const c = manifest.counts;
  return (
    `generated ${c.oldRecords} → ${c.newRecords} records (seed ${manifest.seed}) in ${manifest.seconds.toFixed(1)} s into ${outDir}: ` +
    `old.json ${mb(f['old.json'].bytes)}, new.json ${mb(f['new.json'].bytes)}, old.csv ${mb(f['old.csv'].bytes)}, new.csv ${mb(f['new.csv'].bytes)}; ` +
    `issued ${manifest.expected.summary.issued}, revoked ${c.newlyRevoked}, expired ${c.expiredInWindow}, planted 10 findings`
  );
}

async function main() {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '1000000' },
      out: { type: 'string', default: 'bench-data' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: node scripts/bench/generate.mjs [--count 1000000] [--out bench-data] [--seed 1]\n',
    );
    return 0;
  }
  const count = Number(values.count);
  const seed = Number(values.seed);
  const manifest = await generate({ count, out: values.out, seed });
  process.stdout.write(`${describe(manifest, values.out)}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = await main();
  } catch (err) {
    process.stderr.write(`generate: ${err instanceof Error ? err.message : err}\n`);
    process.exitCode = 2;
  }
}
