/**
 * Issue 16 item 6: `iam-policy --command run --side central|member`: run's policy split between
 * the central audit account's role and the member accounts' roles, every statement of the one-role
 * policy on a side, and the central role allowed to assume the member roles only.
 */
import { describe, expect, it } from 'vitest';
import { bucketOfPattern, runIamPolicy } from '../../src/cli/commands/iam-policy.js';
import { memoryStreams } from '../../src/cli/streams.js';
import { type IamScope, iamPolicy } from '../../src/core/bucket/iam-policy.js';
import { UsageError } from '../../src/core/errors.js';

type Statement = { Sid: string; Action: string[]; Resource: string[] | string };
const statements = (p: Record<string, unknown>) => p.Statement as Statement[];
const sids = (p: Record<string, unknown>) => statements(p).map((s) => s.Sid);

const scope: IamScope = {
  partition: 'aws',
  buckets: ['pca-audit-*-*'],
  caArns: [],
  state: { bucket: 'pca-audit-state', prefix: 'nightly/' },
  alerts: {
    snsTopics: ['arn:aws:sns:eu-west-1:999988887777:pca-audit'],
    securityHub: true,
    cloudwatchNamespace: 'PcaAudit',
  },
};
const ROLE = 'arn:aws:iam::*:role/pca-audit-member';

describe('iam-policy --side (issue 16 item 6)', () => {
  it('central: assumes the member roles, keeps the state, sends the summary and metrics; no CA, report or CloudTrail right', () => {
    const central = iamPolicy(['run'], { ...scope, side: 'central', memberRoles: [ROLE] });
    expect(sids(central)).toEqual([
      'AssumeMemberRoles',
      'ListState',
      'KeepState',
      'PublishRunSummary',
      'PutRunMetrics',
    ]);
    expect(statements(central)[0]).toMatchObject({ Action: ['sts:AssumeRole'], Resource: [ROLE] });
    const actions = statements(central).flatMap((s) => s.Action);
    expect(actions.filter((a) => /^(acm-pca|cloudtrail|securityhub):/.test(a))).toEqual([]);
  });

  it('member: the CAs, reports, CRLs, LookupEvents and Security Hub (findings come from their own account); no sts, state or SNS', () => {
    const member = iamPolicy(['run'], { ...scope, side: 'member' });
    expect(sids(member)).toEqual([
      'MakeReports',
      'ListReports',
      'ReadReports',
      'DiagnoseReportFailure',
      'FindCas',
      'LookupEvents',
      'ReadCaRevocation',
      'ListCrls',
      'ReadCrls',
      'ImportFindings',
    ]);
    const actions = statements(member).flatMap((s) => s.Action);
    expect(actions.filter((a) => /^(sts|sns|cloudwatch):/.test(a))).toEqual([]);
    expect(statements(member).find((s) => s.Sid === 'ListReports')!.Resource).toEqual([
      'arn:aws:s3:::pca-audit-*-*',
    ]);
  });

  it('every statement of the one-role policy is on exactly one side; the trail where --trail-bucket is given', () => {
    const one = iamPolicy(['run'], scope);
    const central = iamPolicy(['run'], { ...scope, side: 'central', memberRoles: [ROLE] });
    const member = iamPolicy(['run'], { ...scope, side: 'member' });
    const byside = [...sids(central).filter((s) => s !== 'AssumeMemberRoles'), ...sids(member)];
    // without --trail-bucket the one-role policy reads trails in the report buckets: no side does
    expect(byside.sort()).toEqual(
      sids(one)
        .filter((s) => !/TrailLogs$/.test(s))
        .sort(),
    );
    for (const sid of byside) {
      const whole = statements(one).find((s) => s.Sid === sid)!;
      const part = [...statements(central), ...statements(member)].find((s) => s.Sid === sid)!;
      expect(part).toEqual(whole);
    }
    const trail = { ...scope, trailBuckets: ['org-trail-logs'] };
    expect(sids(iamPolicy(['run'], { ...trail, side: 'central', memberRoles: [ROLE] }))).toContain(
      'ReadTrailLogs',
    );
    expect(sids(iamPolicy(['run'], { ...trail, side: 'member' }))).toContain('ReadTrailLogs');
  });

  it("bucketPattern: the config's pattern becomes a wildcard; refused when it names no field or makes no bucket name", () => {
    expect(bucketOfPattern('pca-audit-{account}-{region}')).toBe('pca-audit-*-*');
    expect(() => bucketOfPattern('pca-audit')).toThrow(/names neither \{account\} nor \{region\}/);
    expect(() => bucketOfPattern('PCA_{account}')).toThrow(/does not make an S3 bucket name/);
  });

  it('refusals, each naming the flag: --side without --command run, central without --role-arn, a role that is not a role ARN, --role-arn without --side', async () => {
    const base = { bucket: [], ca: [], trailBucket: [] };
    const refused = async (cmd: Parameters<typeof runIamPolicy>[0]) => {
      const err = await runIamPolicy(cmd, { note: () => {}, streams: memoryStreams() }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    };
    expect(await refused({ ...base, side: 'member' })).toMatch(/^--side member: only run's policy/);
    expect(await refused({ ...base, command: 'run', side: 'central' })).toMatch(
      /^--side central needs the member roles/,
    );
    expect(await refused({ ...base, command: 'run', side: 'central', roleArn: ['arn:aws:s3:::x'] })).toMatch(
      /^--role-arn: "arn:aws:s3:::x" is not an IAM role ARN/,
    );
    expect(await refused({ ...base, command: 'run', roleArn: [ROLE] })).toMatch(
      /^--role-arn names the member roles/,
    );
  });
});
