import { type IamCommand, iamPolicy } from '../../core/iam-policy.js';
import { writeStdout } from '../output.js';
import { checkBucketName, parseCaList } from './bootstrap.js';

export interface IamPolicyCommand {
  command?: IamCommand;
  bucket: string[];
  ca: string[];
}

/** `pca-audit iam-policy`: the IAM policy document pca-audit's own role needs. */
export async function runIamPolicy(cmd: IamPolicyCommand): Promise<number> {
  for (const b of cmd.bucket) checkBucketName(b);
  const cas = cmd.ca.length ? parseCaList(cmd.ca, false) : [];
  const policy = iamPolicy(cmd.command ? [cmd.command] : [], {
    partition: cas[0]?.partition ?? 'aws',
    buckets: [...new Set(cmd.bucket)].sort(),
    caArns: cas.map((c) => c.arn),
  });
  await writeStdout(`${JSON.stringify(policy, null, 2)}\n`);
  return 0;
}
