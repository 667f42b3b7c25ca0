/**
 * Issue 14 item 7: the stand-in's shared CAs (a `share` knob standing in for RAM, the caller's
 * account from a 12-digit access key id), IssueCertificateDetails in the owner's and the requester's
 * trails, FAILED issuances, and PCA's native EventBridge events as JSON lines, read by pca-audit.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACMPCAClient,
  CreateCertificateAuthorityAuditReportCommand,
  GetCertificateCommand,
  IssueCertificateCommand,
  ListCertificateAuthoritiesCommand,
  RevokeCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt, runCommand } from '../e2e/cli.js';
import {
  createBucket,
  isolatedEnv,
  knob,
  readKnob,
  resetStack,
  TEST_CREDENTIALS,
} from '../support/aws-stack.js';
import { caStateDir, cliOnStack, colon, type TestPca, testPca } from '../support/pca.js';

const stack = inject('awsStack');
const OWNER = stack.account;
/** a second account: the stand-in takes a 12-digit access key id for the caller's account */
const MEMBER = '444455556666';
const MEMBER_CREDENTIALS = { accessKeyId: MEMBER, secretAccessKey: 'member-secret' };

let work: string;
let pca: TestPca;
let member: ACMPCAClient;
let csr: Buffer;

beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-shared-'));
  pca = testPca(stack, work);
  csr = readFileSync(join(work, 'req.csr'));
  member = new ACMPCAClient({
    region: stack.region,
    endpoint: stack.emulatorUrl,
    credentials: MEMBER_CREDENTIALS,
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
});

const cli = (args: string[], extra: Record<string, string> = {}) => cliOnStack(stack, args, extra, 60_000);

async function issueAs(client: ACMPCAClient, ca: string): Promise<string> {
  const r = await client.send(
    new IssueCertificateCommand({
      CertificateAuthorityArn: ca,
      Csr: csr,
      SigningAlgorithm: 'SHA256WITHRSA',
      Validity: { Type: 'DAYS', Value: 90 },
    }),
  );
  return r.CertificateArn!.split('/').pop()!;
}

async function errorOf(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
}

type TrailRecord = Record<string, unknown> & {
  eventName: string;
  eventType: string;
  recipientAccountId: string;
  userIdentity: Record<string, unknown>;
  serviceEventDetails?: Record<string, string>;
  resources?: { accountId: string; type: string; ARN: string }[];
};

async function trail(account: string): Promise<TrailRecord[]> {
  return (await readKnob<{ Records: TrailRecord[] }>(stack, `events?account=${account}`)).Records;
}

const detailsOf = (records: TrailRecord[], serial: string) =>
  records.filter(
    (r) =>
      r.eventName === 'IssueCertificateDetails' &&
      r.serviceEventDetails?.serialNumber === colon(serial).toUpperCase(),
  );

describe('shared CA: the share knob, the accounts, the trails', () => {
  it('an unshared CA is AccessDenied to another account; shared, it may issue, get and describe, not revoke', async () => {
    const ca = await pca.createCa();
    expect(ca).toContain(`:${OWNER}:certificate-authority/`);
    const denied = await errorOf(issueAs(member, ca));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.message).toContain(`acm-pca:IssueCertificate on resource: ${ca}`);
    const none = await member.send(
      new ListCertificateAuthoritiesCommand({ ResourceOwner: 'OTHER_ACCOUNTS' }),
    );
    expect(none.CertificateAuthorities).toEqual([]);

    await knob(stack, 'share', { caArn: ca, account: MEMBER });
    const shared = await member.send(
      new ListCertificateAuthoritiesCommand({ ResourceOwner: 'OTHER_ACCOUNTS' }),
    );
    expect(shared.CertificateAuthorities!.map((c) => [c.Arn, c.OwnerAccount])).toEqual([[ca, OWNER]]);
    const own = await member.send(new ListCertificateAuthoritiesCommand({}));
    expect(own.CertificateAuthorities).toEqual([]);

    const serial = await issueAs(member, ca);
    const got = await member.send(
      new GetCertificateCommand({
        CertificateAuthorityArn: ca,
        CertificateArn: `${ca}/certificate/${serial}`,
      }),
    );
    expect(got.Certificate).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const revoke = await errorOf(
      member.send(
        new RevokeCertificateCommand({
          CertificateAuthorityArn: ca,
          CertificateSerial: serial,
          RevocationReason: 'KEY_COMPROMISE',
        }),
      ),
    );
    expect(revoke.name).toBe('AccessDeniedException');
    const report = await errorOf(
      member.send(
        new CreateCertificateAuthorityAuditReportCommand({
          CertificateAuthorityArn: ca,
          S3BucketName: 'audit-reports',
          AuditReportResponseFormat: 'JSON',
        }),
      ),
    );
    expect(report.name).toBe('AccessDeniedException');

    // the owner's trail: IssueCertificateDetails, but not the member's call
    const ownerTrail = await trail(OWNER);
    expect(ownerTrail.filter((r) => r.eventName === 'IssueCertificate')).toEqual([]);
    const [ownerCopy] = detailsOf(ownerTrail, serial);
    expect(ownerCopy).toMatchObject({
      eventType: 'AwsServiceEvent',
      eventSource: 'acm-pca.amazonaws.com',
      userIdentity: { accountId: OWNER, invokedBy: 'acm-pca.amazonaws.com' },
      requestParameters: null,
      responseElements: null,
      recipientAccountId: OWNER,
      resources: [
        { accountId: OWNER, type: 'AWS::ACMPCA::CertificateAuthority', ARN: ca },
        { accountId: OWNER, type: 'AWS::ACMPCA::Certificate', ARN: `${ca}/certificate/${serial}` },
      ],
      serviceEventDetails: {
        serialNumber: colon(serial).toUpperCase(),
        subject: 'C=IE,O=Example Corp,CN=svc-ledger.prod.example.internal',
        templateArn: 'arn:aws:acm-pca:::template/EndEntityCertificate/V1',
        signingAlgorithm: 'SHA256WITHRSA',
        status: 'ISSUED',
        issuerName: 'CN=Example Test Root,O=Example Corp',
      },
    });
    const d = ownerCopy!.serviceEventDetails!;
    for (const k of ['notBefore', 'notAfter', 'issuedAt'])
      expect(d[k], k).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(d.issuerSerialNumber).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2})+$/);
    expect(d.issuerAuthorityKeyIdentifier).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){19}$/);
    // tbsCertificate is the certificate's own: its DER is inside the certificate's
    const der = Buffer.from(got.Certificate!.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(der.includes(Buffer.from(d.tbsCertificate!, 'base64'))).toBe(true);

    // the member's trail: its own call, and the same IssueCertificateDetails delivered to it
    const memberTrail = await trail(MEMBER);
    const call = memberTrail.find((r) => r.eventName === 'IssueCertificate')!;
    expect(call.userIdentity).toMatchObject({ accountId: MEMBER, accessKeyId: MEMBER });
    expect(call.recipientAccountId).toBe(MEMBER);
    const [memberCopy] = detailsOf(memberTrail, serial);
    expect(memberCopy).toMatchObject({ recipientAccountId: MEMBER, eventID: ownerCopy!.eventID });
    expect(memberTrail.map((r) => r.eventName)).not.toContain('CreateCertificateAuthority');

    // LookupEvents answers each account from its own trail
    const lookup = (credentials: typeof MEMBER_CREDENTIALS) =>
      new CloudTrailClient({ region: stack.region, endpoint: stack.emulatorUrl, credentials }).send(
        new LookupEventsCommand({}),
      );
    const seenByMember = (await lookup(MEMBER_CREDENTIALS)).Events!.map((e) => e.EventName).sort();
    expect(seenByMember).toEqual(memberTrail.map((r) => r.eventName).sort());
    await new Promise((r) => setTimeout(r, 600));
    const seenByOwner = (await lookup(TEST_CREDENTIALS)).Events!;
    expect(seenByOwner.map((e) => e.EventName)).toContain('IssueCertificateDetails');
    expect(seenByOwner.map((e) => e.EventName)).not.toContain('IssueCertificate');
    const detailsEvent = seenByOwner.find((e) => e.EventName === 'IssueCertificateDetails')!;
    expect(detailsEvent.Resources).toEqual([
      { ResourceType: 'AWS::ACMPCA::CertificateAuthority', ResourceName: ca },
      { ResourceType: 'AWS::ACMPCA::Certificate', ResourceName: `${ca}/certificate/${serial}` },
    ]);
    expect(detailsEvent.Username).toBeUndefined();
  });

  it('the aws CLI acts as the member account: lists the shared CA, issues from it', async () => {
    const ca = await pca.createCa();
    await knob(stack, 'share', { caArn: ca, account: MEMBER });
    const env = isolatedEnv(stack, {
      AWS_ACCESS_KEY_ID: MEMBER,
      AWS_SECRET_ACCESS_KEY: MEMBER_CREDENTIALS.secretAccessKey,
    });
    const aws = (args: string[]) =>
      runCommand('aws', [...args, '--output', 'json'], { env, timeoutMs: 30_000 });
    const listed = await aws([
      'acm-pca',
      'list-certificate-authorities',
      '--resource-owner',
      'OTHER_ACCOUNTS',
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).CertificateAuthorities[0]).toMatchObject({
      Arn: ca,
      OwnerAccount: OWNER,
    });
    const issued = await aws([
      'acm-pca',
      'issue-certificate',
      '--certificate-authority-arn',
      ca,
      '--csr',
      `fileb://${join(work, 'req.csr')}`,
      '--signing-algorithm',
      'SHA256WITHRSA',
      '--validity',
      'Value=30,Type=DAYS',
    ]);
    expect(issued.code, issued.stderr).toBe(0);
    const arn = JSON.parse(issued.stdout).CertificateArn as string;
    expect(arn.startsWith(`${ca}/certificate/`)).toBe(true);
    const events = await aws(['cloudtrail', 'lookup-events']);
    expect(events.code, events.stderr).toBe(0);
    const names = (JSON.parse(events.stdout).Events as { EventName: string }[]).map((e) => e.EventName);
    expect(names.sort()).toEqual([
      'IssueCertificate',
      'IssueCertificateDetails',
      'ListCertificateAuthorities',
    ]);
    // unshared: the aws CLI shows AWS's refusal
    await knob(stack, 'share', { caArn: ca, account: MEMBER, unshare: true });
    const refused = await aws([
      'acm-pca',
      'describe-certificate-authority',
      '--certificate-authority-arn',
      ca,
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/AccessDeniedException/);
  });

  it('fail-next-issuance: IssueCertificateDetails FAILED with its reason; GetCertificate says RequestFailed; no such certificate', async () => {
    const ca = await pca.createCa();
    await knob(stack, 'fail-next-issuance', {
      certificateAuthorityArn: ca,
      statusReason: 'The request violates the name constraints of the CA.',
    });
    const serial = await pca.issue(ca);
    const missing = await errorOf(
      pca.client.send(
        new GetCertificateCommand({
          CertificateAuthorityArn: ca,
          CertificateArn: `${ca}/certificate/${serial}`,
        }),
      ),
    );
    expect(missing.name).toBe('RequestFailedException');
    expect(missing.message).toContain('name constraints');
    const [failed] = detailsOf(await trail(OWNER), serial);
    expect(failed!.serviceEventDetails).toMatchObject({
      status: 'FAILED',
      statusReason: 'The request violates the name constraints of the CA.',
    });
    expect(failed!.serviceEventDetails!.notAfter).toBeUndefined();
    // the next issuance is ISSUED again
    const next = await pca.issue(ca);
    expect(detailsOf(await trail(OWNER), next)[0]!.serviceEventDetails!.status).toBe('ISSUED');
    const bus = (
      await readKnob<{ Events: { 'detail-type': string; detail: { result: string } }[] }>(
        stack,
        'eventbridge',
      )
    ).Events.filter((e) => e['detail-type'] === 'ACM Private CA Certificate Issuance');
    expect(bus.map((e) => e.detail.result)).toEqual(['failure', 'success']);
  });
});

describe('run: a shared CA over two nights (the owner runs it)', () => {
  it("the member's certificate is explained by IssueCertificateDetails; altered rows and a FAILED row are ISSUANCE_MISMATCH", async () => {
    await createBucket(stack, 'audit-reports');
    const ca = await pca.createCa();
    await knob(stack, 'share', { caArn: ca, account: MEMBER });
    const state = join(work, 'state-shared');
    const base = [
      'run',
      '--bucket',
      'audit-reports',
      '--ca',
      ca,
      '--state-dir',
      state,
      '--poll-interval',
      '1s',
      '--format',
      'json',
    ];
    const night1 = await cli(base);
    expect(night1.code, night1.stderr).toBe(0);
    expect(JSON.parse(night1.stdout).cas[0].status).toBe('baseline');

    await knob(stack, 'clock', { advance: 86400 });
    const byMember = await issueAs(member, ca);
    const byOwner = await pca.issue(ca);
    const subjectAltered = await pca.issue(ca);
    const notAfterAltered = await pca.issue(ca);
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: colon(subjectAltered),
      field: 'subject',
      value: 'CN=forged.example.internal',
    });
    await knob(stack, 'report-tamper', {
      certificateAuthorityArn: ca,
      serial: colon(notAfterAltered),
      field: 'notAfter',
      value: '2099-01-01T00:00:00+0000',
    });
    // a FAILED issuance that a (wrong) report lists all the same, and one it rightly leaves out
    await knob(stack, 'fail-next-issuance', { certificateAuthorityArn: ca, listed: true });
    const failedListed = await pca.issue(ca);
    await knob(stack, 'fail-next-issuance', { certificateAuthorityArn: ca });
    const failedUnlisted = await pca.issue(ca);
    await knob(stack, 'clock', { advance: 60 });

    const night2 = await cli(base);
    expect(night2.code, night2.stderr).toBe(1);
    const summary = JSON.parse(night2.stdout);
    expect(summary.cas[0]).toMatchObject({ status: 'diffed', issued: 5 });
    const result = JSON.parse(
      readFileSync(join(state, 'runs', summary.runId, `${ca.split('/').pop()}.json`), 'utf8'),
    );
    const found = (result.findings as { code: string; serial?: string; evidence?: { field?: string } }[])
      .map((f) => `${f.code} ${f.serial} ${f.evidence?.field ?? ''}`)
      .sort();
    expect(found).toEqual(
      [
        `ISSUANCE_MISMATCH ${colon(failedListed)} status`,
        `ISSUANCE_MISMATCH ${colon(notAfterAltered)} notAfter`,
        `ISSUANCE_MISMATCH ${colon(subjectAltered)} subject`,
      ].sort(),
    );
    // the member's certificate is new in the owner's report, and the owner's trail has no call for it
    expect(result.diff.changes.issued.map((r: { serial: string }) => r.serial)).toContain(colon(byMember));
    expect(result.diff.changes.issued.map((r: { serial: string }) => r.serial)).not.toContain(
      colon(failedUnlisted),
    );
    const ownerCalls = (await trail(OWNER)).filter((r) => r.eventName === 'IssueCertificate');
    expect(ownerCalls.some((r) => JSON.stringify(r.responseElements).includes(byMember))).toBe(false);
    const row = JSON.parse(
      readFileSync(join(caStateDir(state, ca), 'reports', `${summary.cas[0].reportId}.json`), 'utf8'),
    ).find((r: { serial: string }) => r.serial === colon(byMember));
    expect(row.awsAccountId).toBe(MEMBER);
    expect(byOwner).toBeTruthy();
  });
});

describe('EventBridge: PCA native events as JSON lines', () => {
  it('a revocation the trail lacks is explained by the Certificate Revocation line', async () => {
    await createBucket(stack, 'audit-reports');
    const bus = join(work, 'eventbridge.jsonl');
    rmSync(bus, { force: true });
    await knob(stack, 'config', { eventBridgeFile: bus });
    const ca = await pca.createCa();
    const victim = await pca.issue(ca);
    const quiet = await pca.issue(ca);
    const dir = join(work, 'eb-reports');
    const generate = async () => {
      const r = await cli([
        'generate',
        '--ca',
        ca,
        '--bucket',
        'audit-reports',
        '--out',
        dir,
        '--poll-interval',
        '1s',
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { path: string; createdAt: string };
    };
    const old = await generate();
    await knob(stack, 'clock', { advance: 3600 });
    await knob(stack, 'revoke-silently', { certificateAuthorityArn: ca, certificateSerial: victim });
    // no EventBridge line either: nothing explains this one
    await knob(stack, 'revoke-silently', {
      certificateAuthorityArn: ca,
      certificateSerial: quiet,
      eventBridge: false,
    });
    await knob(stack, 'clock', { advance: 60 });
    const neu = await generate();

    const lines = readFileSync(bus, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l['detail-type'])).toEqual([
      'ACM Private CA Certificate Authority Creation',
      'ACM Private CA Certificate Issuance',
      'ACM Private CA Certificate Issuance',
      'ACM Private CA Audit Report Generation',
      'ACM Private CA Certificate Revocation',
      'ACM Private CA Audit Report Generation',
    ]);
    expect(lines[4]).toMatchObject({
      version: '0',
      source: 'aws.acm-pca',
      account: OWNER,
      region: stack.region,
      resources: [ca, `${ca}/certificate/${victim}`],
      detail: { result: 'success' },
    });
    expect(lines[4].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const diff = (sources: string[]) =>
      cli([
        'diff',
        old.path,
        neu.path,
        '--old-created-at',
        old.createdAt,
        '--new-created-at',
        neu.createdAt,
        ...sources.flatMap((s) => ['--cloudtrail', s]),
        '--format',
        'json',
      ]);
    const revokedWithoutEvent = (stdout: string) =>
      (JSON.parse(stdout).findings as { code: string; serial: string }[])
        .filter((f) => f.code === 'REVOKED_WITHOUT_EVENT')
        .map((f) => f.serial)
        .sort();
    const trailOnly = await diff(['lookup']);
    expect(revokedWithoutEvent(trailOnly.stdout)).toEqual([colon(victim), colon(quiet)].sort());
    const withBus = await diff(['lookup', bus]);
    expect(withBus.code, withBus.stderr).toBe(1);
    expect(revokedWithoutEvent(withBus.stdout)).toEqual([colon(quiet)]);
    expect(JSON.parse(withBus.stdout).reconciliation).toMatchObject({ matchedRevocations: 1 });
  });
});
