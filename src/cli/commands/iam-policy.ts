import {
  type IamCommand,
  type IamSide,
  iamPolicy,
  memberRoleProblem,
  needsStateScope,
} from '../../core/bucket/iam-policy.js';
import { parseS3Uri } from '../../core/bucket/s3-uri.js';
import { safeText } from '../../core/render/style.js';
import { namespaceProblem } from '../../core/run/metrics.js';
import { parseSnsTopicArn } from '../../core/run/sns-topic.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { checkBucketName, parseCaList } from './bootstrap.js';

export interface IamPolicyCommand {
  command?: IamCommand;
  bucket: string[];
  ca: string[];
  /** CloudTrail trail buckets read through --cloudtrail s3://… */
  trailBucket: string[];
  /** buckets CAs publish their CRLs into (run and doctor read them) */
  crlBucket?: string[];
  /** run's --state s3://bucket/prefix/ */
  state?: string;
  /** run's alert channels: --sns-topic-arn (repeatable), --security-hub, --cloudwatch-namespace */
  snsTopicArn?: string[];
  securityHub?: boolean;
  cloudwatchNamespace?: string;
  /** run across accounts: the central role's policy, or a member role's */
  side?: IamSide;
  /** --role-arn: the member roles the central role assumes */
  roleArn?: string[];
  /** --bucket-pattern: the config's bucketPattern ("pca-audit-{account}-{region}"), as a wildcard */
  bucketPattern?: string[];
}

/** `pca-audit-{account}-{region}` → `pca-audit-*-*`, once it is a bucket name with the fields filled. */
export function bucketOfPattern(pattern: string): string {
  if (!/\{(account|region)\}/.test(pattern))
    throw new UsageError(
      `--bucket-pattern: "${safeText(pattern)}" names neither {account} nor {region}`,
      'give a single bucket with --bucket, or a pattern like pca-audit-{account}-{region}',
    );
  try {
    checkBucketName(pattern.replace(/\{account\}/g, '111122223333').replace(/\{region\}/g, 'eu-west-1'));
  } catch {
    throw new UsageError(
      `--bucket-pattern: "${safeText(pattern)}" does not make an S3 bucket name`,
      'lowercase letters, digits, dots and hyphens around {account} and {region}',
    );
  }
  return pattern.replace(/\{(account|region)\}/g, '*');
}

/** `pca-audit iam-policy`: the IAM policy document pca-audit's own role needs. */
export async function runIamPolicy(
  cmd: IamPolicyCommand,
  ctx: Pick<CliContext, 'note' | 'streams'>,
): Promise<number> {
  for (const b of [...cmd.bucket, ...cmd.trailBucket, ...(cmd.crlBucket ?? [])]) checkBucketName(b);
  const cas = cmd.ca.length ? parseCaList(cmd.ca, false) : [];
  let state: { bucket: string; prefix: string } | undefined;
  if (cmd.state !== undefined) {
    const parsed = parseS3Uri(cmd.state);
    if (!parsed.ok) {
      throw new UsageError(
        `--state: "${cmd.state}" ${parsed.reason}`,
        'write it as run takes it: s3://bucket/prefix/',
      );
    }
    const { bucket, key } = parsed.location;
    // run treats the prefix as a directory
    state = { bucket, prefix: key === '' || key.endsWith('/') ? key : `${key}/` };
  }
  for (const t of cmd.snsTopicArn ?? []) {
    const parsed = parseSnsTopicArn(t);
    if (!parsed.ok) throw new UsageError(`--sns-topic-arn: "${safeText(t)}" ${parsed.reason}`);
  }
  if (cmd.cloudwatchNamespace !== undefined) {
    const problem = namespaceProblem(cmd.cloudwatchNamespace);
    if (problem)
      throw new UsageError(`--cloudwatch-namespace: "${safeText(cmd.cloudwatchNamespace)}" ${problem}`);
  }
  const alerts = {
    ...(cmd.snsTopicArn?.length ? { snsTopics: [...new Set(cmd.snsTopicArn)] } : {}),
    ...(cmd.securityHub ? { securityHub: true } : {}),
    ...(cmd.cloudwatchNamespace === undefined ? {} : { cloudwatchNamespace: cmd.cloudwatchNamespace }),
  };
  if (cmd.side !== undefined && cmd.command !== 'run') {
    throw new UsageError(
      `--side ${cmd.side}: only run's policy is split between the central account and the member accounts`,
      `add --command run: pca-audit iam-policy --command run --side ${cmd.side}`,
    );
  }
  const roles = cmd.roleArn ?? [];
  if (roles.length > 0 && cmd.side === undefined)
    throw new UsageError('--role-arn names the member roles the central role assumes: add --side central');
  for (const r of roles) {
    const problem = memberRoleProblem(r);
    if (problem) throw new UsageError(`--role-arn: "${safeText(r)}" ${problem}`);
  }
  if (cmd.side === 'central' && roles.length === 0) {
    throw new UsageError(
      '--side central needs the member roles it assumes: --role-arn ARN (repeatable)',
      "all accounts' roles of one name: --role-arn 'arn:aws:iam::*:role/pca-audit-member'",
    );
  }
  const commands = cmd.command ? [cmd.command] : [];
  const policy = iamPolicy(commands, {
    partition: cas[0]?.partition ?? 'aws',
    buckets: [...new Set([...cmd.bucket, ...(cmd.bucketPattern ?? []).map(bucketOfPattern)])].sort(),
    caArns: cas.map((c) => c.arn),
    trailBuckets: [...new Set(cmd.trailBucket)].sort(),
    crlBuckets: [...new Set(cmd.crlBucket ?? [])].sort(),
    ...(state ? { state } : {}),
    alerts,
    ...(cmd.side === undefined ? {} : { side: cmd.side, memberRoles: roles }),
  });
  if (!state && needsStateScope(commands) && cmd.side !== 'member') {
    ctx.note(
      'run --state s3://… also needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the state prefix: add --state s3://BUCKET/PREFIX/ to include them',
    );
  }
  await ctx.streams.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
  return 0;
}
