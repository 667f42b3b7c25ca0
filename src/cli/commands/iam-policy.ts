import { type IamCommand, iamPolicy, needsStateScope } from '../../core/iam-policy.js';
import { namespaceProblem } from '../../core/metrics.js';
import { safeText } from '../../core/render/style.js';
import { parseS3Uri } from '../../core/s3-uri.js';
import { parseSnsTopicArn } from '../../core/sns-topic.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { writeStdout } from '../output.js';
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
}

/** `pca-audit iam-policy`: the IAM policy document pca-audit's own role needs. */
export async function runIamPolicy(cmd: IamPolicyCommand, ctx?: Pick<CliContext, 'note'>): Promise<number> {
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
  const commands = cmd.command ? [cmd.command] : [];
  const policy = iamPolicy(commands, {
    partition: cas[0]?.partition ?? 'aws',
    buckets: [...new Set(cmd.bucket)].sort(),
    caArns: cas.map((c) => c.arn),
    trailBuckets: [...new Set(cmd.trailBucket)].sort(),
    crlBuckets: [...new Set(cmd.crlBucket ?? [])].sort(),
    ...(state ? { state } : {}),
    alerts,
  });
  if (!state && needsStateScope(commands)) {
    ctx?.note(
      'run --state s3://… also needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on the state prefix: add --state s3://BUCKET/PREFIX/ to include them',
    );
  }
  await writeStdout(`${JSON.stringify(policy, null, 2)}\n`);
  return 0;
}
