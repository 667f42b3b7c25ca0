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
}

type Target = 'bucket' | 'objects' | 'reports' | 'probe' | 'ca' | 'any';

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
  ],
  generate: MAKE_REPORTS,
  run: [
    ...MAKE_REPORTS,
    { sid: 'FindCas', actions: ['acm-pca:ListCertificateAuthorities'], target: 'any' },
    LOOKUP_EVENTS,
  ],
  events: [
    LOOKUP_EVENTS,
    // s3:// trail buckets
    { sid: 'ListTrailLogs', actions: ['s3:ListBucket'], target: 'bucket' },
    { sid: 'ReadTrailLogs', actions: ['s3:GetObject'], target: 'objects' },
  ],
  diff: [
    // s3:// report inputs, --latest
    { sid: 'ListReports', actions: ['s3:ListBucket'], target: 'bucket' },
    { sid: 'ReadReports', actions: ['s3:GetObject'], target: 'objects' },
  ],
};

/** The probe object doctor writes and deletes to check the caller's own rights. */
export const PROBE_KEY = 'pca-audit-doctor-probe';

function resources(target: Target, scope: IamScope): string[] | string {
  const buckets = scope.buckets.length ? scope.buckets : ['*'];
  const arn = (b: string) => bucketArn(scope.partition, b);
  switch (target) {
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
  return {
    Version: '2012-10-17',
    Statement: [...bySid].map(([sid, e]) => ({
      Sid: sid,
      Effect: 'Allow',
      Action: [...e.actions].sort(),
      Resource: resources(e.target, scope),
    })),
  };
}
