/**
 * The IAM policy pca-audit's own role needs, per command: exactly the calls each command makes
 * (S3 HeadBucket is authorised as s3:ListBucket, GetBucketEncryption as s3:GetEncryptionConfiguration,
 * GetObjectLockConfiguration as s3:GetBucketObjectLockConfiguration).
 */
import { bucketArn } from './policy-merge.js';

export type IamCommand = 'bootstrap' | 'doctor' | 'generate' | 'run' | 'events' | 'diff';
export const IAM_COMMANDS: readonly IamCommand[] = [
  'bootstrap',
  'doctor',
  'generate',
  'run',
  'events',
  'diff',
];

export interface IamScope {
  partition: string;
  /** bucket names; none: any bucket */
  buckets: string[];
  /** CA ARNs; none: any CA */
  caArns: string[];
  /** CloudTrail trail buckets (`--cloudtrail s3://…`); none: the `buckets`, else any bucket */
  trailBuckets?: string[];
  /** buckets the CAs publish CRLs into (run, doctor); none: the `buckets`, else any bucket */
  crlBuckets?: string[];
  /** `run --state s3://bucket/prefix/`; absent: run keeps its state on disk, no S3 rights for it */
  state?: { bucket: string; prefix: string };
  /** run's alert channels (issue 16): only those named get rights */
  alerts?: {
    /** --sns-topic-arn: sns:Publish on these topics */
    snsTopics?: string[];
    /** --security-hub: securityhub:BatchImportFindings and BatchUpdateFindings */
    securityHub?: boolean;
    /** --cloudwatch-namespace: cloudwatch:PutMetricData, limited to this namespace */
    cloudwatchNamespace?: string;
  };
  /**
   * run across accounts (issue 16 item 6): the central audit account's role (assumes the member
   * roles, keeps the state, sends the run's summary and metrics) or a member account's role (its
   * CAs, reports, CRLs, LookupEvents, and Security Hub, which takes findings only from the
   * finding's own account). Absent: one role does everything.
   */
  side?: IamSide;
  /** the member roles the central role assumes (sts:AssumeRole); wildcards as IAM allows */
  memberRoles?: string[];
}

export type IamSide = 'central' | 'member';
export const IAM_SIDES: readonly IamSide[] = ['central', 'member'];

/**
 * run's statements on each side. The trail's (ListTrailLogs, ReadTrailLogs) go where --trail-bucket
 * is given: an organisation trail's bucket is read by the central role (its bucket policy names it).
 */
const SIDE_SIDS: Record<IamSide, readonly string[]> = {
  central: ['ListState', 'KeepState'],
  member: [
    'MakeReports',
    'ListReports',
    'ReadReports',
    'DiagnoseReportFailure',
    'FindCas',
    'LookupEvents',
    'ReadCaRevocation',
    'ListCrls',
    'ReadCrls',
  ],
};
const TRAIL_SIDS = ['ListTrailLogs', 'ReadTrailLogs'];
const SIDE_ALERTS: Record<IamSide, readonly string[]> = {
  central: ['PublishRunSummary', 'PutRunMetrics'],
  member: ['ImportFindings'],
};

/** A role ARN (or an IAM wildcard pattern of one) the central role may assume, else why not. */
export function memberRoleProblem(arn: string): string | undefined {
  return /^arn:aws[a-z-]*:iam::(\d{12}|\*):role\/[\w+=,.@/*?-]{1,512}$/.test(arn)
    ? undefined
    : 'is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME; * and ? allowed)';
}

type Target =
  | 'bucket'
  | 'objects'
  | 'reports'
  | 'probe'
  | 'ca'
  | 'any'
  | 'trail-bucket'
  | 'trail-objects'
  | 'crl-bucket'
  | 'crl-objects'
  | 'state-bucket'
  | 'state-objects';

interface Grant {
  sid: string;
  actions: string[];
  target: Target;
}

const READ_REPORTS: Grant[] = [
  { sid: 'ListReports', actions: ['s3:ListBucket'], target: 'bucket' },
  { sid: 'ReadReports', actions: ['s3:GetObject'], target: 'reports' },
];
const MAKE_REPORTS: Grant[] = [
  {
    sid: 'MakeReports',
    actions: [
      'acm-pca:CreateCertificateAuthorityAuditReport',
      'acm-pca:DescribeCertificateAuthorityAuditReport',
    ],
    target: 'ca',
  },
  ...READ_REPORTS,
  // when a report FAILS, generate reads the bucket settings to say why
  {
    sid: 'DiagnoseReportFailure',
    actions: ['s3:GetBucketPolicy', 's3:GetEncryptionConfiguration', 's3:GetBucketObjectLockConfiguration'],
    target: 'bucket',
  },
];
const LOOKUP_EVENTS: Grant = { sid: 'LookupEvents', actions: ['cloudtrail:LookupEvents'], target: 'any' };
/** `--cloudtrail s3://trail-bucket/`: the walk lists the day prefixes and reads the log files */
const READ_TRAIL: Grant[] = [
  { sid: 'ListTrailLogs', actions: ['s3:ListBucket'], target: 'trail-bucket' },
  { sid: 'ReadTrailLogs', actions: ['s3:GetObject'], target: 'trail-objects' },
];
/**
 * issue 15: run reads each CA's RevocationConfiguration and certificate (for the CRL and for OCSP:
 * whether it is enabled, its CNAME, the key answers are checked with), and its CRL (one object, or a
 * partitioned CA's, listed) from the CRL bucket, which may be another than the reports'.
 */
const READ_CRLS: Grant[] = [
  {
    sid: 'ReadCaRevocation',
    actions: ['acm-pca:DescribeCertificateAuthority', 'acm-pca:GetCertificateAuthorityCertificate'],
    target: 'ca',
  },
  { sid: 'ListCrls', actions: ['s3:ListBucket'], target: 'crl-bucket' },
  { sid: 'ReadCrls', actions: ['s3:GetObject'], target: 'crl-objects' },
];
/** `run --state s3://…`: the state copied down, each file copied back, the lock object made and removed */
const S3_STATE: Grant[] = [
  { sid: 'ListState', actions: ['s3:ListBucket'], target: 'state-bucket' },
  {
    sid: 'KeepState',
    actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
    target: 'state-objects',
  },
];

const GRANTS: Record<IamCommand, Grant[]> = {
  bootstrap: [
    {
      sid: 'BootstrapBucket',
      actions: [
        's3:ListBucket',
        's3:CreateBucket',
        's3:PutBucketPublicAccessBlock',
        's3:GetBucketPublicAccessBlock',
        's3:PutBucketOwnershipControls',
        's3:GetBucketObjectLockConfiguration',
        's3:GetEncryptionConfiguration',
        's3:GetBucketPolicy',
        's3:PutBucketPolicy',
      ],
      target: 'bucket',
    },
    // a CA ARN that does not exist is refused, not granted
    { sid: 'DescribeCa', actions: ['acm-pca:DescribeCertificateAuthority'], target: 'ca' },
  ],
  doctor: [
    { sid: 'DescribeCa', actions: ['acm-pca:DescribeCertificateAuthority'], target: 'ca' },
    {
      sid: 'CheckBucket',
      actions: [
        's3:ListBucket',
        's3:GetBucketPolicy',
        's3:GetBucketPublicAccessBlock',
        's3:GetBucketObjectLockConfiguration',
        's3:GetEncryptionConfiguration',
      ],
      target: 'bucket',
    },
    { sid: 'ProbeWrite', actions: ['s3:PutObject', 's3:DeleteObject'], target: 'probe' },
    // issue 15 item 4: the CRL bucket's policy, and the CRL's age
    { sid: 'CheckCrlBucket', actions: ['s3:GetBucketPolicy', 's3:ListBucket'], target: 'crl-bucket' },
    { sid: 'ReadCrls', actions: ['s3:GetObject'], target: 'crl-objects' },
  ],
  generate: MAKE_REPORTS,
  run: [
    ...MAKE_REPORTS,
    { sid: 'FindCas', actions: ['acm-pca:ListCertificateAuthorities'], target: 'any' },
    LOOKUP_EVENTS,
    ...READ_TRAIL,
    ...READ_CRLS,
    ...S3_STATE,
  ],
  events: [LOOKUP_EVENTS, ...READ_TRAIL],
  diff: [
    // s3:// report inputs (and --crl s3://…), --latest
    { sid: 'ListReports', actions: ['s3:ListBucket'], target: 'bucket' },
    { sid: 'ReadReports', actions: ['s3:GetObject'], target: 'objects' },
    // --cloudtrail lookup, --cloudtrail s3://trail-bucket/
    LOOKUP_EVENTS,
    ...READ_TRAIL,
  ],
};

/** The probe object doctor writes and deletes to check the caller's own rights. */
export const PROBE_KEY = 'pca-audit-doctor-probe';

function resources(target: Target, scope: IamScope): string[] | string {
  const buckets = scope.buckets.length ? scope.buckets : ['*'];
  const trails = scope.trailBuckets?.length ? scope.trailBuckets : buckets;
  const crls = scope.crlBuckets?.length ? scope.crlBuckets : buckets;
  const arn = (b: string) => bucketArn(scope.partition, b);
  switch (target) {
    case 'trail-bucket':
      return trails.map(arn);
    case 'trail-objects':
      return trails.map((b) => `${arn(b)}/*`);
    case 'crl-bucket':
      return crls.map(arn);
    case 'crl-objects':
      return crls.map((b) => `${arn(b)}/*`);
    case 'state-bucket':
      return scope.state ? [arn(scope.state.bucket)] : [];
    case 'state-objects':
      return scope.state ? [`${arn(scope.state.bucket)}/${scope.state.prefix}*`] : [];
    case 'bucket':
      return buckets.map(arn);
    case 'objects':
      return buckets.map((b) => `${arn(b)}/*`);
    case 'reports':
      return buckets.map((b) => `${arn(b)}/audit-report/*`);
    case 'probe':
      return buckets.map((b) => `${arn(b)}/${PROBE_KEY}`);
    case 'ca':
      return scope.caArns.length
        ? [...scope.caArns].sort()
        : [`arn:${scope.partition}:acm-pca:*:*:certificate-authority/*`];
    case 'any':
      return '*';
  }
}

/** The IAM policy document for `commands` (all of them when empty), statements merged by Sid. */
export function iamPolicy(commands: readonly IamCommand[], scope: IamScope): Record<string, unknown> {
  const wanted = commands.length ? IAM_COMMANDS.filter((c) => commands.includes(c)) : IAM_COMMANDS;
  const bySid = new Map<string, { actions: Set<string>; target: Target }>();
  for (const c of wanted) {
    for (const g of GRANTS[c]) {
      const sid = g.sid;
      const entry = bySid.get(sid) ?? { actions: new Set<string>(), target: g.target };
      // one Sid, one resource kind: a wider target (all objects) absorbs a narrower one (reports)
      if (entry.target === 'reports' && g.target === 'objects') entry.target = 'objects';
      for (const a of g.actions) entry.actions.add(a);
      bySid.set(sid, entry);
    }
  }
  const state = scope.state;
  const side = scope.side;
  const onSide = (sid: string) =>
    side === undefined ||
    SIDE_SIDS[side].includes(sid) ||
    (TRAIL_SIDS.includes(sid) && (scope.trailBuckets?.length ?? 0) > 0);
  const alerts = (wanted.includes('run') ? alertStatements(scope) : []).filter(
    (a) => side === undefined || SIDE_ALERTS[side].includes(String(a.Sid)),
  );
  const assume =
    side === 'central'
      ? [
          {
            Sid: 'AssumeMemberRoles',
            Effect: 'Allow',
            Action: ['sts:AssumeRole'],
            Resource: [...new Set(scope.memberRoles ?? [])].sort(),
          },
        ]
      : [];
  return {
    Version: '2012-10-17',
    Statement: [
      ...assume,
      ...[...bySid]
        .filter(([sid]) => onSide(sid))
        // the S3 state's rights only when it is named: without --state, run keeps its state on disk
        .filter(
          ([, e]) => state !== undefined || (e.target !== 'state-bucket' && e.target !== 'state-objects'),
        )
        .map(([sid, e]) => ({
          Sid: sid,
          Effect: 'Allow',
          Action: [...e.actions].sort(),
          Resource: resources(e.target, scope),
          // the listing of the state bucket, limited to the state's prefix
          ...(e.target === 'state-bucket' && state?.prefix
            ? { Condition: { StringLike: { 's3:prefix': [`${state.prefix}*`] } } }
            : {}),
        })),
      ...alerts,
    ],
  };
}

/**
 * run's alert channels, each only when named (they are opt-in in run too): SNS Publish on the
 * topics; BatchImportFindings and BatchUpdateFindings (on any resource); PutMetricData (no resource-level
 * permission: any, held to the namespace by the cloudwatch:namespace condition key).
 */
function alertStatements(scope: IamScope): Array<Record<string, unknown>> {
  const a = scope.alerts ?? {};
  const out: Array<Record<string, unknown>> = [];
  if (a.snsTopics?.length)
    out.push({
      Sid: 'PublishRunSummary',
      Effect: 'Allow',
      Action: ['sns:Publish'],
      Resource: [...a.snsTopics].sort(),
    });
  if (a.securityHub)
    out.push({
      Sid: 'ImportFindings',
      Effect: 'Allow',
      Action: ['securityhub:BatchImportFindings', 'securityhub:BatchUpdateFindings'],
      Resource: '*',
    });
  if (a.cloudwatchNamespace !== undefined)
    out.push({
      Sid: 'PutRunMetrics',
      Effect: 'Allow',
      Action: ['cloudwatch:PutMetricData'],
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': a.cloudwatchNamespace } },
    });
  return out;
}

/** Whether the policy for `commands` would grant more with a `state` scope (run with --state s3://). */
export function needsStateScope(commands: readonly IamCommand[]): boolean {
  return commands.length === 0 || commands.includes('run');
}
