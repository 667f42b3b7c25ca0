/** `pca-audit iam-policy`: the IAM policy document pca-audit's own role needs. */
import {
  type IamCommand,
  type IamSide,
  memberRoleProblem,
  needsStateScope,
  iamPolicy as policyFor,
} from '../core/bucket/iam-policy.js';
import type { CaArn } from '../core/ca-arn.js';
import { UsageError } from '../core/errors.js';
import { safeText } from '../core/render/style.js';

export interface IamPolicyRequest {
  /** the command whose rights are asked for; absent: every command's */
  command?: IamCommand;
  /** report buckets: checked names, and wildcards made of bucket patterns (`pca-audit-*-*`) */
  buckets: string[];
  cas: CaArn[];
  /** CloudTrail trail buckets read through --cloudtrail s3://… */
  trailBuckets: string[];
  /** buckets CAs publish their CRLs into (run and doctor read them) */
  crlBuckets: string[];
  /** run's --state s3://bucket/prefix/ (the prefix ends in `/` or is empty) */
  state?: { bucket: string; prefix: string };
  /** run's alert channels (SNS topic ARNs checked) */
  snsTopics: string[];
  securityHub: boolean;
  cloudwatchNamespace?: string;
  /** run across accounts: the central role's policy, or a member role's */
  side?: IamSide;
  /** the member roles the central role assumes (unchecked ARNs: checked here) */
  roleArns: string[];
}

/** The policy, and notes for stderr (a right it leaves out for want of a flag). */
export function iamPolicy(req: IamPolicyRequest): { policy: Record<string, unknown>; notes: string[] } {
  if (req.side !== undefined && req.command !== 'run') {
    throw new UsageError(
      `--side ${req.side}: only run's policy is split between the central account and the member accounts`,
      `add --command run: pca-audit iam-policy --command run --side ${req.side}`,
    );
  }
  const roles = req.roleArns;
  if (roles.length > 0 && req.side === undefined)
    throw new UsageError('--role-arn names the member roles the central role assumes: add --side central');
  for (const r of roles) {
    const problem = memberRoleProblem(r);
    if (problem) throw new UsageError(`--role-arn: "${safeText(r)}" ${problem}`);
  }
  if (req.side === 'central' && roles.length === 0) {
    throw new UsageError(
      '--side central needs the member roles it assumes: --role-arn ARN (repeatable)',
      "all accounts' roles of one name: --role-arn 'arn:aws:iam::*:role/pca-audit-member'",
    );
  }
  const alerts = {
    ...(req.snsTopics.length ? { snsTopics: [...new Set(req.snsTopics)] } : {}),
    ...(req.securityHub ? { securityHub: true } : {}),
    ...(req.cloudwatchNamespace === undefined ? {} : { cloudwatchNamespace: req.cloudwatchNamespace }),
  };
  const commands = req.command ? [req.command] : [];
  const policy = policyFor(commands, {
    partition: req.cas[0]?.partition ?? 'aws',
    buckets: [...new Set(req.buckets)].sort(),
    caArns: req.cas.map((c) => c.arn),
    trailBuckets: [...new Set(req.trailBuckets)].sort(),
    crlBuckets: [...new Set(req.crlBuckets)].sort(),
    ...(req.state ? { state: req.state } : {}),
    alerts,
    ...(req.side === undefined ? {} : { side: req.side, memberRoles: roles }),
  });
  const notes =
    !req.state && needsStateScope(commands) && req.side !== 'member'
      ? [
          'run --state s3://… also needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the state prefix: add --state s3://BUCKET/PREFIX/ to include them',
        ]
      : [];
  return { policy, notes };
}
