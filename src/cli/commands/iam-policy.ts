import { iamPolicy } from '../../app/iam-policy.js';
import { checkBucketName, parseCaList } from '../../app/names.js';
import type { IamCommand, IamSide } from '../../core/bucket/iam-policy.js';
import { parseS3Uri } from '../../core/bucket/s3-uri.js';
import { UsageError } from '../../core/errors.js';
import { safeText } from '../../core/render/style.js';
import { namespaceProblem } from '../../core/run/metrics.js';
import { parseSnsTopicArn } from '../../core/run/sns-topic.js';
import type { CliContext } from '../context.js';
import { makeOutput } from '../output.js';

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

/**
 * `pca-audit iam-policy`: each flag's values checked here, then the use case (src/app/iam-policy.ts)
 * checks how they go together and makes the policy.
 */
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
  const { policy, notes } = iamPolicy({
    ...(cmd.command === undefined ? {} : { command: cmd.command }),
    buckets: [...cmd.bucket, ...(cmd.bucketPattern ?? []).map(bucketOfPattern)],
    cas,
    trailBuckets: cmd.trailBucket,
    crlBuckets: cmd.crlBucket ?? [],
    ...(state ? { state } : {}),
    snsTopics: cmd.snsTopicArn ?? [],
    securityHub: cmd.securityHub === true,
    ...(cmd.cloudwatchNamespace === undefined ? {} : { cloudwatchNamespace: cmd.cloudwatchNamespace }),
    ...(cmd.side === undefined ? {} : { side: cmd.side }),
    roleArns: cmd.roleArn ?? [],
  });
  for (const line of notes) ctx.note(line);
  await makeOutput(ctx.streams, { format: 'json' }).emit(`${JSON.stringify(policy, null, 2)}\n`);
  return 0;
}
