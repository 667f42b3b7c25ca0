/** Issue 16 item 4: the pure shapes of run's AWS alerts (SNS message, CloudWatch metrics, ASFF findings). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { iamPolicy } from '../../src/core/bucket/iam-policy.js';
import { batches, securityHubPlan } from '../../src/core/run/asff.js';
import { emfLines, metricDataBatches, namespaceProblem } from '../../src/core/run/metrics.js';
import { type RunSummary, renderRunMarkdown } from '../../src/core/run/run-model.js';
import { SNS_MAX_BYTES, snsMessage, snsSubject } from '../../src/core/run/sns-message.js';
import { parseSnsTopicArn } from '../../src/core/run/sns-topic.js';
import { CA_ARN } from '../builders.js';

function summary(alerts: number, message = 'revoked, but no RevokeCertificate event'): RunSummary {
  return {
    schemaVersion: 1,
    runId: '20261203T020000Z-abcdef',
    startedAt: '2026-12-03T02:00:00Z',
    dryRun: false,
    failOn: 'warning',
    repeatAlerts: false,
    exitCode: alerts > 0 ? 1 : 0,
    cas: [
      {
        ca: CA_ARN,
        status: 'diffed',
        reportId: 'r2',
        previousReportId: 'r1',
        issued: 3,
        revoked: alerts,
        expired: 0,
        findings: { error: alerts, warning: 0, info: 0 },
        newAlerts: Array.from({ length: alerts }, (_, i) => ({
          code: 'REVOKED_WITHOUT_EVENT' as const,
          severity: 'error' as const,
          serial: `01:${(i % 256).toString(16).padStart(2, '0')}`,
          message,
        })),
        persistentAlerts: [],
        exitCode: alerts > 0 ? 1 : 0,
      },
    ],
    expiredAcknowledgements: [],
  };
}

describe('SNS message', () => {
  it('subject: counts, failed CAs and exit code; ASCII only, at most 100 characters', () => {
    expect(snsSubject(summary(2))).toBe('pca-audit run 20261203T020000Z-abcdef: 2 new alerts, exit 1');
    expect(snsSubject(summary(1))).toBe('pca-audit run 20261203T020000Z-abcdef: 1 new alert, exit 1');
    const odd = { ...summary(0), runId: `é\u0007${'x'.repeat(200)}` };
    const s = snsSubject(odd);
    expect(s).toHaveLength(100);
    expect(s).toMatch(/^[\x20-\x7e]+$/);
    const failed = summary(0);
    failed.cas[0]!.status = 'failed';
    expect(snsSubject(failed)).toMatch(/0 new alerts, 1 CA failed, exit 0$/);
  });

  it('body: the Markdown summary, or its JSON; attributes exitCode (Number), runId (String), newAlerts', () => {
    const s = summary(2);
    const md = snsMessage(s, 'markdown');
    expect(md.body).toBe(renderRunMarkdown(s));
    expect(md.truncated).toBe(false);
    expect(md.attributes).toEqual({
      exitCode: { DataType: 'Number', StringValue: '1' },
      runId: { DataType: 'String', StringValue: '20261203T020000Z-abcdef' },
      newAlerts: { DataType: 'Number', StringValue: '2' },
    });
    expect(JSON.parse(snsMessage(s, 'json').body)).toEqual(s);
  });

  it("over SNS's 256 KiB: Markdown is cut at a line and says so; JSON drops the alert lists and stays JSON", () => {
    const s = summary(3000, 'ü'.repeat(60)); // about 400 KB of Markdown
    expect(new TextEncoder().encode(renderRunMarkdown(s)).length).toBeGreaterThan(SNS_MAX_BYTES);
    const md = snsMessage(s, 'markdown');
    expect(md.truncated).toBe(true);
    const bytes = new TextEncoder().encode(md.body).length;
    expect(bytes).toBeLessThanOrEqual(SNS_MAX_BYTES - 1024);
    expect(bytes).toBeGreaterThan(SNS_MAX_BYTES - 4096);
    expect(md.body).toMatch(
      /\n\n\*\*truncated: the summary is \d+ bytes, over SNS's 256 KiB limit; the whole summary is runs\/20261203T020000Z-abcdef\/summary\.md in the state\*\*\n$/,
    );
    // no line was cut in the middle
    expect(
      md.body
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .every((l) => l.endsWith(' |')),
    ).toBe(true);
    const json = snsMessage(s, 'json');
    const parsed = JSON.parse(json.body);
    expect(parsed.truncated).toMatch(/summary\.json in the state$/);
    expect(parsed.cas[0].newAlerts).toEqual([]);
    expect(parsed.cas[0].findings).toEqual({ error: 3000, warning: 0, info: 0 });
  });

  it('topic ARNs', () => {
    expect(parseSnsTopicArn('arn:aws:sns:eu-west-1:123456789012:alerts')).toEqual({
      ok: true,
      partition: 'aws',
      region: 'eu-west-1',
      account: '123456789012',
      name: 'alerts',
    });
    expect(parseSnsTopicArn('arn:aws:sns:eu-west-1:123456789012:alerts.fifo').ok).toBe(true);
    for (const bad of ['alerts', 'arn:aws:sqs:eu-west-1:123456789012:q', 'arn:aws:sns:eu-west-1:1234:t'])
      expect(parseSnsTopicArn(bad).ok).toBe(false);
  });
});

describe('CloudWatch metrics', () => {
  const night = (): RunSummary => {
    const s = summary(2);
    s.cas[0]!.findings = { error: 2, warning: 1, info: 4 };
    s.cas[0]!.metrics = { certificates: 120, expiringSoon: 7, lastGoodReportAt: '2026-12-02T02:00:00Z' };
    s.cas.push({
      ca: 'arn:aws:acm-pca:us-east-1:444455556666:certificate-authority/99999999-8888-7777-6666-555555555555',
      status: 'failed',
      error: 'AWS DescribeCertificateAuthority failed: AccessDeniedException',
      findings: { error: 0, warning: 0, info: 0 },
      newAlerts: [],
      persistentAlerts: [],
      exitCode: 3,
      metrics: { lastGoodReportAt: '2026-11-30T14:00:00Z' },
    });
    return s;
  };

  it('EMF: one line per CA, the metrics known that night only, exactly', () => {
    expect(emfLines(night(), 'PcaAudit').map((l) => JSON.parse(l))).toEqual([
      {
        _aws: {
          Timestamp: Date.parse('2026-12-03T02:00:00Z'),
          CloudWatchMetrics: [
            {
              Namespace: 'PcaAudit',
              Dimensions: [['CertificateAuthority', 'Account', 'Region']],
              Metrics: [
                { Name: 'Errors', Unit: 'Count' },
                { Name: 'Warnings', Unit: 'Count' },
                { Name: 'Certificates', Unit: 'Count' },
                { Name: 'Issued', Unit: 'Count' },
                { Name: 'Revoked', Unit: 'Count' },
                { Name: 'ExpiringSoon', Unit: 'Count' },
                { Name: 'HoursSinceLastGoodReport', Unit: 'None' },
              ],
            },
          ],
        },
        CertificateAuthority: CA_ARN.split('/')[1],
        Account: CA_ARN.split(':')[4],
        Region: CA_ARN.split(':')[3],
        CertificateAuthorityArn: CA_ARN,
        RunId: '20261203T020000Z-abcdef',
        Status: 'diffed',
        Errors: 2,
        Warnings: 1,
        Certificates: 120,
        Issued: 3,
        Revoked: 2,
        ExpiringSoon: 7,
        HoursSinceLastGoodReport: 24,
      },
      {
        _aws: {
          Timestamp: Date.parse('2026-12-03T02:00:00Z'),
          CloudWatchMetrics: [
            {
              Namespace: 'PcaAudit',
              Dimensions: [['CertificateAuthority', 'Account', 'Region']],
              Metrics: [{ Name: 'HoursSinceLastGoodReport', Unit: 'None' }],
            },
          ],
        },
        CertificateAuthority: '99999999-8888-7777-6666-555555555555',
        Account: '444455556666',
        Region: 'us-east-1',
        CertificateAuthorityArn:
          'arn:aws:acm-pca:us-east-1:444455556666:certificate-authority/99999999-8888-7777-6666-555555555555',
        RunId: '20261203T020000Z-abcdef',
        Status: 'failed',
        HoursSinceLastGoodReport: 60,
      },
    ]);
    for (const l of emfLines(night(), 'X')) expect(l).not.toContain('\n');
  });

  it('PutMetricData: the same numbers, with dimensions, in batches of at most 1000', () => {
    const [batch, ...rest] = metricDataBatches(night());
    expect(rest).toEqual([]);
    expect(batch).toHaveLength(8);
    expect(batch![0]).toEqual({
      MetricName: 'Errors',
      Dimensions: [
        { Name: 'CertificateAuthority', Value: CA_ARN.split('/')[1] },
        { Name: 'Account', Value: CA_ARN.split(':')[4] },
        { Name: 'Region', Value: CA_ARN.split(':')[3] },
      ],
      Timestamp: Date.parse('2026-12-03T02:00:00Z') / 1000,
      Value: 2,
      Unit: 'Count',
    });
    const many = night();
    many.cas = Array.from({ length: 300 }, () => many.cas[0]!);
    expect(metricDataBatches(many).map((b) => b.length)).toEqual([1000, 1000, 100]);
    expect(metricDataBatches(many, 7).every((b) => b.length <= 7)).toBe(true);
  });

  it('namespaces', () => {
    expect(namespaceProblem('PcaAudit')).toBeUndefined();
    expect(namespaceProblem('Team/Pki')).toBeUndefined();
    expect(namespaceProblem('AWS/ACMPrivateCA')).toMatch(/AWS\//);
    expect(namespaceProblem('')).toBeDefined();
    expect(namespaceProblem('a b')).toBeDefined();
  });
});

describe('Security Hub (ASFF)', () => {
  const digest = (t: string) => createHash('sha256').update(t).digest('hex');
  const now = Date.parse('2026-12-03T02:00:00Z') / 1000;
  const id = CA_ARN.split('/')[1]!;
  const alert = (code: string, serial: string, severity: 'error' | 'warning' = 'error') => ({
    key: `${id}|${code}|${serial}|m ${serial}`,
    code,
    severity,
    serial,
    message: `m ${serial}`,
  });

  it('one alert, exactly', () => {
    const { findings } = securityHubPlan(
      CA_ARN,
      [alert('REVOKED_WITHOUT_EVENT', '01:02')],
      {},
      true,
      now,
      digest,
    );
    const [account, region] = [CA_ARN.split(':')[4], CA_ARN.split(':')[3]];
    expect(findings).toEqual([
      {
        SchemaVersion: '2018-10-08',
        Id: `${id}|REVOKED_WITHOUT_EVENT|01:02|m 01:02`,
        ProductArn: `arn:aws:securityhub:${region}:${account}:product/${account}/default`,
        GeneratorId: 'pca-audit/REVOKED_WITHOUT_EVENT',
        AwsAccountId: account,
        Types: ['Software and Configuration Checks/AWS Security Best Practices'],
        CreatedAt: '2026-12-03T02:00:00Z',
        UpdatedAt: '2026-12-03T02:00:00Z',
        FirstObservedAt: '2026-12-03T02:00:00Z',
        LastObservedAt: '2026-12-03T02:00:00Z',
        Severity: { Label: 'HIGH', Original: 'error' },
        FindingProviderFields: {
          Severity: { Label: 'HIGH', Original: 'error' },
          Types: ['Software and Configuration Checks/AWS Security Best Practices'],
        },
        Title: 'REVOKED_WITHOUT_EVENT 01:02',
        Description: 'm 01:02',
        Resources: [{ Type: 'Other', Id: CA_ARN, Partition: 'aws', Region: region }],
        ProductFields: { 'pca-audit/code': 'REVOKED_WITHOUT_EVENT', 'pca-audit/serial': '01:02' },
        RecordState: 'ACTIVE',
        Workflow: { Status: 'NEW' },
      },
    ]);
  });

  it('severities, acknowledgements, caps (Id 512, Title 256, Description 1024)', () => {
    const long = { ...alert('INVALID_RECORD', '03'), message: 'x'.repeat(3000) };
    long.key = `${id}|INVALID_RECORD|03|${long.message}`;
    const acked = {
      ...alert('REVOCATION_INCOMPLETE', '04', 'warning'),
      severity: 'info' as const,
      acknowledged: { originalSeverity: 'warning' as const, reason: 'INC-7' },
    };
    const { findings } = securityHubPlan(CA_ARN, [long, acked], {}, true, now, digest);
    expect(findings[0]!.Id).toHaveLength(512);
    expect(findings[0]!.Id).toMatch(/#sha256:[0-9a-f]{64}$/);
    expect((findings[0]!.Description as string).length).toBe(1024);
    expect(findings[1]).toMatchObject({
      Severity: { Label: 'MEDIUM', Original: 'warning' },
      Workflow: { Status: 'SUPPRESSED' },
      ProductFields: { 'pca-audit/acknowledged': 'INC-7' },
    });
    const info = securityHubPlan(
      CA_ARN,
      [{ ...alert('CRL_STALE', '05'), severity: 'info' }],
      {},
      true,
      now,
      digest,
    );
    expect(info.findings[0]!.Severity).toEqual({ Label: 'INFORMATIONAL', Original: 'info' });
  });

  it('the next night: still there keeps FirstObservedAt; gone is ARCHIVED and RESOLVED by a workflow update; not judged (unchanged night) is kept', () => {
    const a = alert('REVOKED_WITHOUT_EVENT', '01');
    const b = alert('REVOKED_WITHOUT_EVENT', '02');
    const night1 = securityHubPlan(CA_ARN, [a, b], {}, true, now, digest);
    expect(night1.updates).toEqual([]);
    const later = now + 86400;
    const night2 = securityHubPlan(CA_ARN, [a], night1.next, true, later, digest);
    // existing findings: no Workflow in the import (Security Hub would ignore it)
    expect(night2.findings.map((f) => [f.Id, f.RecordState, f.Workflow])).toEqual([
      [a.key, 'ACTIVE', undefined],
      [b.key, 'ARCHIVED', undefined],
    ]);
    expect(night2.findings[0]).toMatchObject({
      FirstObservedAt: '2026-12-03T02:00:00Z',
      UpdatedAt: '2026-12-04T02:00:00Z',
    });
    expect(night2.findings[1]).toMatchObject({
      FirstObservedAt: '2026-12-03T02:00:00Z',
      UpdatedAt: '2026-12-04T02:00:00Z',
    });
    const [account, region] = [CA_ARN.split(':')[4], CA_ARN.split(':')[3]];
    const productArn = `arn:aws:securityhub:${region}:${account}:product/${account}/default`;
    expect(night2.updates).toEqual([
      {
        status: 'RESOLVED',
        note: "pca-audit: no longer raised by the CA's audit; archived",
        findings: [{ Id: b.key, ProductArn: productArn }],
      },
    ]);
    expect(night2.next[b.key]).toMatchObject({ workflow: 'RESOLVED', archivedAt: '2026-12-04T02:00:00Z' });
    const unchanged = securityHubPlan(CA_ARN, [], night1.next, false, later, digest);
    expect(unchanged.findings).toEqual([]);
    expect(unchanged.updates).toEqual([]);
    expect(unchanged.next).toEqual(night1.next);
    // night 3: b is archived already (nothing sent); a returns NEW after being acknowledged
    const night3 = securityHubPlan(CA_ARN, [a], night2.next, true, later + 86400, digest);
    expect(night3.findings.map((f) => f.Id)).toEqual([a.key]);
    expect(night3.updates).toEqual([]);
    expect(Object.keys(night3.next)).toEqual([a.key, b.key]);
  });

  it('workflow updates: acknowledged is SUPPRESSED, a returning finding NEW again; archived ones forgotten after 90 days', () => {
    const a = alert('REVOCATION_INCOMPLETE', '01', 'warning');
    const acked = {
      ...a,
      severity: 'info' as const,
      acknowledged: { originalSeverity: 'warning' as const, reason: 'INC-7' },
    };
    const night1 = securityHubPlan(CA_ARN, [a], {}, true, now, digest);
    const night2 = securityHubPlan(CA_ARN, [acked], night1.next, true, now + 86400, digest);
    expect(night2.findings[0]!.Workflow).toBeUndefined();
    expect(night2.updates.map((u) => [u.status, u.findings.map((f) => f.Id)])).toEqual([
      ['SUPPRESSED', [a.key]],
    ]);
    expect(night2.updates[0]!.note).toMatch(/acknowledged/);
    // the same acknowledgement the next night: no update
    expect(securityHubPlan(CA_ARN, [acked], night2.next, true, now + 2 * 86400, digest).updates).toEqual([]);
    // first imported acknowledged: SUPPRESSED by the import, no update
    const fresh = securityHubPlan(CA_ARN, [acked], {}, true, now, digest);
    expect(fresh.findings[0]!.Workflow).toEqual({ Status: 'SUPPRESSED' });
    expect(fresh.updates).toEqual([]);
    // gone, then back: RESOLVED, then NEW again (imported ACTIVE without Workflow)
    const gone = securityHubPlan(CA_ARN, [], night1.next, true, now + 86400, digest);
    const back = securityHubPlan(CA_ARN, [a], gone.next, true, now + 2 * 86400, digest);
    expect(back.findings.map((f) => [f.RecordState, f.Workflow])).toEqual([['ACTIVE', undefined]]);
    expect(back.updates.map((u) => [u.status, u.note])).toEqual([
      ['NEW', "pca-audit: raised again by the CA's audit"],
    ]);
    expect(back.next[a.key]).toEqual({
      firstObservedAt: '2026-12-03T02:00:00Z',
      finding: expect.anything(),
      workflow: 'NEW',
    });
    // archived 90 days ago: Security Hub has deleted it, so it is forgotten, and a return is a first import
    const kept = securityHubPlan(CA_ARN, [], gone.next, true, now + 90 * 86400, digest);
    expect(Object.keys(kept.next)).toEqual([a.key]);
    const forgotten = securityHubPlan(CA_ARN, [], gone.next, true, now + 91 * 86400, digest);
    expect(forgotten.next).toEqual({});
    const again = securityHubPlan(CA_ARN, [a], forgotten.next, true, now + 92 * 86400, digest);
    expect(again.findings[0]!.Workflow).toEqual({ Status: 'NEW' });
    expect(again.updates).toEqual([]);
  });

  it('older state without workflow: the status of the finding as imported', () => {
    const a = alert('REVOKED_WITHOUT_EVENT', '01');
    const night1 = securityHubPlan(CA_ARN, [a], {}, true, now, digest);
    const { workflow: _, ...old } = night1.next[a.key]!;
    const gone = securityHubPlan(CA_ARN, [], { [a.key]: old }, true, now + 86400, digest);
    expect(gone.updates.map((u) => u.status)).toEqual(['RESOLVED']);
  });

  it('batches of at most 100', () => {
    expect(batches(Array.from({ length: 250 }, (_, i) => i)).map((b) => b.length)).toEqual([100, 100, 50]);
  });
});

describe('iam-policy for run with alert channels', () => {
  const scope = { partition: 'aws', buckets: ['b'], caArns: [] };
  const sids = (doc: Record<string, unknown>) =>
    (doc.Statement as Array<{ Sid: string }>).map((s) => s.Sid).filter((s) => /Run|Findings/.test(s));
  it('only the channels named get rights; PutMetricData is held to the namespace', () => {
    expect(sids(iamPolicy(['run'], scope))).toEqual([]);
    const doc = iamPolicy(['run'], {
      ...scope,
      alerts: {
        snsTopics: ['arn:aws:sns:eu-west-1:111122223333:alerts'],
        securityHub: true,
        cloudwatchNamespace: 'PcaAudit',
      },
    });
    const byId = Object.fromEntries((doc.Statement as Array<{ Sid: string }>).map((s) => [s.Sid, s]));
    expect(byId.PublishRunSummary).toEqual({
      Sid: 'PublishRunSummary',
      Effect: 'Allow',
      Action: ['sns:Publish'],
      Resource: ['arn:aws:sns:eu-west-1:111122223333:alerts'],
    });
    expect(byId.ImportFindings).toMatchObject({
      Action: ['securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings'],
      Resource: '*',
    });
    expect(byId.PutRunMetrics).toEqual({
      Sid: 'PutRunMetrics',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricData'],
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'PcaAudit' } },
    });
    // another command's policy never gets them
    expect(sids(iamPolicy(['diff'], { ...scope, alerts: { securityHub: true } }))).toEqual([]);
  });
});
