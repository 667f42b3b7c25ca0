#!/usr/bin/env node
// The time a CRL adds to a diff (issue 15): a CA key and certificate, a 100,000-entry CRL made by
// `openssl ca -gencrl`, and a report pair whose NEW revokes the same 100,000 certificates; then
// `diff` without and with `--crl --ca-certificate`, each run 3 times (median wall time, peak RSS).
//   node scripts/bench/crl.mjs [--entries 100000] [--dir bench-data/crl]
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    dir: { type: 'string', default: 'bench-data/crl' },
  },
});
const N = Number(values.entries);
const dir = join(ROOT, values.dir);
mkdirSync(dir, { recursive: true });
const CA =
  'arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c35';
const ossl = (args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

if (!existsSync(join(dir, 'ca.pem'))) {
  ossl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/C=IE/O=Example Corp/CN=Bench Issuing CA',
    '-days',
    '3650',
  ]);
}
// serials: 16 random bytes, high bit clear
const serials = Array.from({ length: N }, () => {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  b[0] |= 0x10;
  return b.toString('hex');
});
const index = serials.map(
  (s) => `R\t271119000000Z\t261110000000Z,keyCompromise\t${s.toUpperCase()}\tunknown\t/CN=x\n`,
);
writeFileSync(join(dir, 'index.txt'), index.join(''));
writeFileSync(join(dir, 'crlnumber'), '1000\n');
writeFileSync(
  join(dir, 'ca.conf'),
  [
    '[ ca ]',
    'default_ca = d',
    '[ d ]',
    'database = index.txt',
    'certificate = ca.pem',
    'private_key = ca.key',
    'crlnumber = crlnumber',
    'default_md = sha256',
    'crl_extensions = e',
    '[ e ]',
    'authorityKeyIdentifier=keyid:always',
    '',
  ].join('\n'),
);
const t = Date.now();
ossl([
  'ca',
  '-gencrl',
  '-batch',
  '-config',
  'ca.conf',
  '-out',
  'crl.pem',
  '-crl_lastupdate',
  '20261120013000Z',
  '-crl_nextupdate',
  '20261127013000Z',
]);
ossl(['crl', '-in', 'crl.pem', '-outform', 'DER', '-out', 'ca.crl']);
console.log(`openssl ca -gencrl: ${N} entries in ${Date.now() - t} ms`);

const row = (s, revoked) =>
  JSON.stringify({
    awsAccountId: '111122223333',
    certificateArn: `${CA}/certificate/${s}`,
    serial: s.match(/../g).join(':'),
    subject: 'CN=x',
    notBefore: '2026-01-10T09:00:00+0000',
    notAfter: '2027-11-19T00:00:00+0000',
    issuedAt: '2026-01-10T10:00:00+0000',
    ...(revoked ? { revokedAt: '2026-11-10T00:00:00+0000', revocationReason: 'KEY_COMPROMISE' } : {}),
    templateArn: 'arn:aws:acm-pca:::template/EndEntityCertificate/V1',
  });
writeFileSync(join(dir, 'old.json'), `[\n${serials.map((s) => row(s, false)).join(',\n')}\n]\n`);
writeFileSync(join(dir, 'new.json'), `[\n${serials.map((s) => row(s, true)).join(',\n')}\n]\n`);

const bin = join(ROOT, 'bin', 'pca-audit.js');
const base = [
  'diff',
  join(dir, 'old.json'),
  join(dir, 'new.json'),
  '--format',
  'json',
  '--max-findings',
  '10',
  '--old-created-at',
  '2026-11-01T00:00:00Z',
  '--new-created-at',
  '2026-11-20T02:00:00Z',
];
function measure(label, args) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PCA_AUDIT_NOW: '2026-11-20T03:00:00Z' },
      maxBuffer: 1 << 28,
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const rss = Number(r.stderr.trim().split('\n').at(-1)) / 1024;
    if (r.status !== 0 && r.status !== 1) process.stderr.write(r.stderr);
    runs.push({ ms, rss, status: r.status, out: r.stdout });
  }
  runs.sort((a, b) => a.ms - b.ms);
  const m = runs[1];
  if (m.status !== 0 && m.status !== 1) throw new Error(`${label}: exit ${m.status}`);
  const out = JSON.parse(m.out);
  console.log(
    `${label}: median ${m.ms.toFixed(0)} ms (runs ${runs.map((r) => r.ms.toFixed(0)).join(', ')}), peak RSS ${m.rss.toFixed(0)} MiB, exit ${m.status}` +
      (out.crl
        ? `; crl: ${out.crl.entries} entries, ${out.crl.matched} matched, signature ${out.crl.signature}`
        : ''),
  );
  return m.ms;
}
const plain = measure('diff', base);
const withCrl = measure('diff --crl', [...base, '--crl', join(dir, 'ca.crl')]);
const verified = measure('diff --crl --ca-certificate', [
  ...base,
  '--crl',
  join(dir, 'ca.crl'),
  '--ca-certificate',
  join(dir, 'ca.pem'),
]);
console.log(
  `the CRL adds ${(withCrl - plain).toFixed(0)} ms read and compared, ${(verified - plain).toFixed(0)} ms verified too`,
);
