/**
 * Issue 16 item 2, through `run` against moto and the stand-in: the CAs of one account and Region
 * share one LookupEvents pass (the stand-in's request log, GET /_emulator/lookups, counts the
 * calls), and an organisation trail bucket's objects are each fetched once for all CAs (a loopback
 * proxy in front of moto counts the GETs: moto keeps no request log).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RevokeCertificateCommand } from '@aws-sdk/client-acm-pca';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { createBucket, knob, readKnob, resetStack } from '../support/aws-stack.js';
import { cliOnStack, colon, emulatorNow, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
let work: string;
let pca: TestPca;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-shared-'));
  pca = testPca(stack, work, '/CN=svc');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  await createBucket(stack, 'audit-reports');
});

interface Lookup {
  attribute: { AttributeKey: string; AttributeValue: string } | null;
  answered: boolean;
}
const lookups = async () => (await readKnob<{ Lookups: Lookup[] }>(stack, 'lookups')).Lookups;

interface CaFile {
  findings: Array<{ code: string; serial?: string }>;
  diff?: { reconciliation?: { inWindow: number; otherCa: number; matchedRevocations: number } };
}

async function night(cas: string[], state: string, extra: string[] = [], env: Record<string, string> = {}) {
  const r = await cliOnStack(
    stack,
    [
      'run',
      '--bucket',
      'audit-reports',
      ...cas.flatMap((ca) => ['--ca', ca]),
      '--state-dir',
      state,
      '--poll-interval',
      '1s',
      '--timeout',
      '10s',
      '--max-attempts',
      '3',
      '--crl-check',
      'off',
      '--concurrency',
      '4',
      '--format',
      'json',
      ...extra,
    ],
    env,
  );
  const runId = r.code !== null && r.code <= 1 ? (JSON.parse(r.stdout) as { runId: string }).runId : '';
  const result = (ca: string) =>
    JSON.parse(readFileSync(join(state, 'runs', runId, `${ca.split('/').pop()}.json`), 'utf8')) as CaFile;
  return { ...r, result };
}

describe('run: one LookupEvents pass per account and Region (issue 16 item 2)', () => {
  it('3 CAs of one account and Region: one pass of 5 calls (3 passes, 15 calls, before), each CA reconciled with its own revocations only', async () => {
    const cas = [
      await pca.createCa('Shared A'),
      await pca.createCa('Shared B'),
      await pca.createCa('Shared C'),
    ];
    const state = join(work, 'lookup');
    for (const ca of cas) await pca.issue(ca, 30);
    const n1 = await night(cas, state);
    expect(n1.code, n1.stderr).toBe(0);

    await knob(stack, 'clock', { advance: 86400 });
    const revoked: string[] = [];
    for (const ca of cas) {
      const serial = await pca.issue(ca, 30);
      await pca.client.send(
        new RevokeCertificateCommand({
          CertificateAuthorityArn: ca,
          CertificateSerial: colon(serial),
          RevocationReason: 'SUPERSEDED',
        }),
      );
      revoked.push(serial);
    }
    await knob(stack, 'clock', { advance: 3600 });
    const before = (await lookups()).length;
    const n2 = await night(cas, state);
    expect(n2.code, n2.stderr).toBe(0);
    const calls = (await lookups()).slice(before).filter((l) => l.answered);
    // one call per EventName, each one page: the three CAs waited for the one pass
    expect(calls.map((l) => l.attribute?.AttributeValue).sort()).toEqual(
      [
        'CreateCertificateAuthorityAuditReport',
        'GenerateCRL',
        'IssueCertificate',
        'IssueCertificateDetails',
        'RevokeCertificate',
      ].sort(),
    );
    for (const [i, ca] of cas.entries()) {
      const r = n2.result(ca);
      const rec = r.diff!.reconciliation!;
      // its own revocation matched; no record of the two other CAs handed to it
      expect(rec.matchedRevocations).toBe(1);
      expect(rec.otherCa).toBe(0);
      expect(r.findings.filter((f) => f.code === 'REVOKED_WITHOUT_EVENT')).toEqual([]);
      expect(r.findings.map((f) => f.serial)).not.toContain(revoked[(i + 1) % 3]);
    }
  });
});

/** A loopback proxy in front of moto that counts each GET of an object (not the listings). */
async function countingProxy(
  target: string,
): Promise<{ url: string; gets: Map<string, number>; server: Server }> {
  const gets = new Map<string, number>();
  const to = new URL(target);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target);
    if (req.method === 'GET' && !url.searchParams.has('list-type') && url.pathname.split('/').length > 2)
      gets.set(url.pathname, (gets.get(url.pathname) ?? 0) + 1);
    const up = request(
      { hostname: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, gets, server };
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('run: an organisation trail bucket read once for all CAs (issue 16 item 2)', () => {
  it("3 CAs: each log object of their account and Region fetched once (3 times before), another account's never; each CA reads its records", async () => {
    const cas = [await pca.createCa('Trail A'), await pca.createCa('Trail B'), await pca.createCa('Trail C')];
    const state = join(work, 'trail');
    await createBucket(stack, 'org-trail');
    for (const ca of cas) await pca.issue(ca, 30);
    const proxy = await countingProxy(stack.motoUrl);
    try {
      const env = { AWS_ENDPOINT_URL_S3: proxy.url };
      const args = ['--cloudtrail', 's3://org-trail/'];
      const n1 = await night(cas, state, args, env);
      expect(n1.code, n1.stderr).toBe(0);
      const start = await emulatorNow(stack);
      await knob(stack, 'clock', { advance: 6 * 3600 });
      // a log file every 30 minutes of the night, of this account and Region; one of them holds a
      // revocation by CA B of a certificate in neither report
      const orgRoot = `AWSLogs/o-abc123def4`;
      const keys: string[] = [];
      for (let t = start + 1800; t <= start + 6 * 3600; t += 1800) {
        const day = iso(t).slice(0, 10).replace(/-/g, '/');
        const stamp = iso(t).replace(/[-:]/g, '').slice(0, 13);
        const records =
          keys.length === 2
            ? [
                {
                  eventVersion: '1.08',
                  eventID: 'b-unknown-revoke',
                  eventTime: iso(t - 60),
                  eventSource: 'acm-pca.amazonaws.com',
                  eventName: 'RevokeCertificate',
                  awsRegion: stack.region,
                  recipientAccountId: stack.account,
                  userIdentity: {
                    type: 'AssumedRole',
                    arn: `arn:aws:sts::${stack.account}:assumed-role/pki/op`,
                  },
                  requestParameters: {
                    certificateAuthorityArn: cas[1],
                    certificateSerial: '7a:7a:7a:7a',
                    revocationReason: 'KEY_COMPROMISE',
                  },
                  responseElements: null,
                },
              ]
            : [];
        for (const account of [stack.account, '444455556666']) {
          const key = `${orgRoot}/${account}/CloudTrail/${stack.region}/${day}/${account}_CloudTrail_${stack.region}_${stamp}Z_f${keys.length}.json.gz`;
          const res = await fetch(`${stack.motoUrl}/org-trail/${key}`, {
            method: 'PUT',
            body: gzipSync(JSON.stringify({ Records: account === stack.account ? records : [] })),
          });
          expect(res.ok).toBe(true);
          if (account === stack.account) keys.push(key);
          else keys.push(`other:${key}`);
        }
      }
      await knob(stack, 'clock', { advance: 600 });
      proxy.gets.clear();
      const n2 = await night(cas, state, args, env);
      expect(n2.code, n2.stderr).toBeLessThanOrEqual(1);
      const mine = keys.filter((k) => !k.startsWith('other:'));
      const others = keys.filter((k) => k.startsWith('other:')).map((k) => k.slice(6));
      expect(mine.length).toBe(12);
      for (const k of mine) expect(proxy.gets.get(`/org-trail/${k}`), k).toBe(1);
      for (const k of others) expect(proxy.gets.get(`/org-trail/${k}`)).toBeUndefined();
      // B's revocation is B's finding only
      const unknown = cas.map(
        (ca) => n2.result(ca).findings.filter((f) => f.code === 'EVENT_FOR_UNKNOWN_CERTIFICATE').length,
      );
      expect(unknown).toEqual([0, 1, 0]);
    } finally {
      proxy.server.close();
    }
  });
});
