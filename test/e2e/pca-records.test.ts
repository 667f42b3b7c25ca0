import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anIssueDetailsRecord,
  aPcaEventBridgeEvent,
  aRecord,
  aSerial,
  aServiceEventRecord,
  certificateArnOf,
  jsonLines,
  type ReportRecord,
  someRecords,
  toJsonReport,
  trailLog,
} from '../builders.js';
import { runCli } from './cli.js';

/**
 * Issue 14 items 1-3 through the built CLI: a CA shared through RAM, whose owner's trail holds
 * IssueCertificateDetails and service events but no IssueCertificate call, and PCA's own
 * EventBridge events as JSON lines.
 */

let dir: string;
const p = (name: string) => join(dir, name);

const OLD: ReportRecord[] = someRecords(4, (i) => ({
  issuedAt: `2026-0${1 + i}-10T10:00:00+0000`,
  notBefore: `2026-0${1 + i}-10T09:00:00+0000`,
  notAfter: '2027-06-01T00:00:00+0000',
}));
const issuedTo = (n: number) =>
  aRecord({
    serial: aSerial(n),
    subject: `CN=member-${n}.example.internal,O=Member Account,C=IE`,
    issuedAt: '2026-11-19T09:00:00+0000',
    notBefore: '2026-11-19T08:00:00+0000',
    notAfter: '2027-11-19T09:00:00+0000',
  });
const shared = issuedTo(60);
const signed61 = issuedTo(61);
/** certificate 61 as the report has it: a subject other than the CA signed */
const tampered61 = { ...signed61, subject: 'CN=payments.example.internal,O=Member Account,C=IE' };
/** NEW: 60 and 61 issued by a member account, certificate 1 revoked (only PCA's event says so) */
const NEW: ReportRecord[] = [
  ...OLD.map((r, i) =>
    i === 1
      ? aRecord({ ...r, revokedAt: '2026-11-19T14:03:11+0000', revocationReason: 'KEY_COMPROMISE' })
      : r,
  ),
  shared,
  tampered61,
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pca-audit-pca-records-'));
  writeFileSync(p('old.json'), toJsonReport(OLD));
  writeFileSync(p('new.json'), toJsonReport(NEW));
  writeFileSync(
    p('owner-trail.json'),
    trailLog([
      anIssueDetailsRecord(aSerial(60), '2026-11-19T09:00:01Z', { record: shared }),
      anIssueDetailsRecord(aSerial(61), '2026-11-19T09:00:02Z', { record: signed61 }),
      aServiceEventRecord('GenerateCRL', '2026-11-19T10:00:00Z'),
      aServiceEventRecord('SignCRL', '2026-11-19T10:00:01Z'),
      aServiceEventRecord('GenerateOCSPResponse', '2026-11-19T11:00:00Z'),
    ]),
  );
  writeFileSync(
    p('eventbridge.jsonl'),
    jsonLines([
      aPcaEventBridgeEvent('ACM Private CA Certificate Revocation', '2026-11-19T14:03:12Z', {
        resource: certificateArnOf(OLD[1]!.serial!),
      }),
      aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-19T14:30:00Z', {
        result: 'failure',
        reason: 'Failed to write CRL to S3. Check your S3 bucket permissions.',
      }),
      aPcaEventBridgeEvent('ACM Private CA CRL Generation', '2026-11-19T15:00:00Z'),
    ]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const diff = (...args: string[]) =>
  runCli([
    'diff',
    p('old.json'),
    p('new.json'),
    '--old-created-at',
    '2026-11-19T02:00:00Z',
    '--new-created-at',
    '2026-11-20T02:00:00Z',
    '--cloudtrail',
    p('owner-trail.json'),
    p('eventbridge.jsonl'),
    ...args,
  ]);

describe('issue 14 items 1-3: diff --cloudtrail with a shared CA', () => {
  it('details explain the member issuances, PCA’s event the revocation; a tampered row and a failed CRL are findings', async () => {
    const r = await diff('--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      findings: Array<{ code: string; serial?: string; evidence: Record<string, unknown> }>;
      reconciliation: Record<string, unknown>;
    };
    expect(out.findings.map((f) => [f.code, f.serial ?? null, f.evidence.field ?? null])).toEqual([
      ['CRL_GENERATION_FAILED', null, null],
      ['ISSUANCE_MISMATCH', aSerial(61), 'subject'],
    ]);
    expect(out.reconciliation).toMatchObject({
      records: 8,
      events: 8,
      matchedRevocations: 1,
      unexplainedRevocations: 0,
      issuance: { checked: true },
      issuanceDetailsChecked: 2,
      serviceEvents: {
        GenerateCRL: 1,
        GenerateOCSPResponse: 1,
        SignCRL: 1,
        'ACM Private CA CRL Generation': 2,
      },
      lastCrlGeneration: { eventTime: '2026-11-19T15:00:00Z', eventName: 'ACM Private CA CRL Generation' },
    });
  });

  it('the text output counts what is read and not tied to a certificate, and the last CRL generation', async () => {
    const r = await diff();
    expect(r.code).toBe(1);
    const line = r.stdout.split('\n').find((l) => l.includes('not tied to a certificate'));
    expect(line).toBeDefined();
    expect(line).toContain('2026-11-19T15:00:00Z');
    expect(line).toMatch(/\b1 SignCRL\b/);
    expect(r.stdout).toContain('ISSUANCE_MISMATCH');
  });

  it('events prints them normalised, with their kinds', async () => {
    const r = await runCli(['events', '--cloudtrail', p('owner-trail.json'), p('eventbridge.jsonl')]);
    expect(r.code).toBe(0);
    const kinds = r.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    expect(kinds).toEqual([
      'issue-details',
      'issue-details',
      'crl',
      'service',
      'service',
      'revoke',
      'crl',
      'crl',
    ]);
  });
});
