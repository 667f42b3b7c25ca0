/**
 * The bucket policy statement that lets ACM PCA deliver audit reports, and its merge into a bucket's
 * current policy. PutBucketPolicy replaces the whole policy, so the merge works on the policy TEXT as
 * GetBucketPolicy returned it: only the statement with our Sid is replaced (or appended); every other
 * byte, other statements' odd spacing, escapes and key order included, stays as it was.
 */
import type { CaArn } from '../ca-arn.js';
import { PcaAuditError } from '../errors.js';
import { type JsonSpan, jsonSpans } from './json-spans.js';
import { diffLines, unifiedHunks } from './line-diff.js';

/** The Sid pca-audit owns in a bucket policy; a statement with it is rewritten, never another. */
export const DELIVERY_SID = 'PcaAuditReportDelivery';
export const DELIVERY_ACTIONS = [
  's3:PutObject',
  's3:PutObjectAcl',
  's3:GetBucketAcl',
  's3:GetBucketLocation',
];
const PCA_SERVICE = 'acm-pca.amazonaws.com';

/** A policy that cannot be merged into: not JSON, or not a policy. Nothing may be written. */
export class PolicyTextError extends PcaAuditError {
  override readonly name = 'PolicyTextError';
  readonly errorKind = 'usage';
  constructor(
    message: string,
    override readonly hint: string,
  ) {
    super(message);
  }
}

export interface DeliveryGrant {
  partition: string;
  bucket: string;
  /** the CAs' accounts (aws:SourceAccount) */
  accounts: string[];
  /** the CA ARNs (aws:SourceArn) */
  caArns: string[];
}

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

export function bucketArn(partition: string, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

/** The least-privilege statement: the CA service, four actions, this bucket, these CAs only. */
export function deliveryStatement(g: DeliveryGrant): Record<string, unknown> {
  const arn = bucketArn(g.partition, g.bucket);
  return {
    Sid: DELIVERY_SID,
    Effect: 'Allow',
    Principal: { Service: PCA_SERVICE },
    Action: [...DELIVERY_ACTIONS],
    Resource: [arn, `${arn}/*`],
    // without these, any account's CA could write into the bucket (confused deputy)
    Condition: {
      StringEquals: {
        'aws:SourceAccount': sortedUnique(g.accounts),
        'aws:SourceArn': sortedUnique(g.caArns),
      },
    },
  };
}

/** The grant for a set of CAs. */
export function grantFor(bucket: string, cas: readonly CaArn[]): DeliveryGrant {
  return {
    partition: cas[0]?.partition ?? 'aws',
    bucket,
    accounts: cas.map((c) => c.account),
    caArns: cas.map((c) => c.arn),
  };
}

/**
 * The statement to add to a customer managed KMS key's policy so ACM PCA can write SSE-KMS objects
 * (the bucket policy alone is not enough). Limited by encryption context to the report keys and the
 * permission-test objects PCA writes before a report.
 */
export function kmsKeyStatement(partition: string, bucket: string): Record<string, unknown> {
  const arn = bucketArn(partition, bucket);
  return {
    Sid: `${DELIVERY_SID}Kms`,
    Effect: 'Allow',
    Principal: { Service: PCA_SERVICE },
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: '*',
    Condition: {
      StringLike: {
        'kms:EncryptionContext:aws:s3:arn': [`${arn}/acm-pca-permission-test-key*`, `${arn}/audit-report/*`],
      },
    },
  };
}

export type MergeAction = 'created' | 'appended' | 'updated' | 'unchanged';

export interface MergeResult {
  /** the policy to write (equal to the input when unchanged) */
  text: string;
  action: MergeAction;
  /** the statement as written */
  statement: Record<string, unknown>;
  /** CAs in the statement that were already there and were not asked for */
  keptCaArns: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const strings = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');

/** A StringEquals condition value, the key matched case-insensitively as IAM does. */
function conditionValues(statement: Record<string, unknown>, key: string): string[] {
  const cond = statement.Condition;
  if (!isObject(cond) || !isObject(cond.StringEquals)) return [];
  const block = cond.StringEquals;
  const found = Object.keys(block).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? [] : strings(block[found]);
}

/** JSON with object keys sorted: equal for documents that mean the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The whitespace that starts the line `at` is on. */
function lineIndent(text: string, at: number): string {
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, at))?.[0] ?? '';
}

/** Our statement, laid out like its surroundings: one line in a one-line policy, else indented. */
function render(statement: Record<string, unknown>, multiline: boolean, indent: string): string {
  if (!multiline) return JSON.stringify(statement);
  const unit = indent.includes('\t') ? '\t' : '  ';
  return JSON.stringify(statement, null, unit).replace(/\n/g, `\n${indent}`);
}

const NOT_A_POLICY_HINT =
  'fix or delete the bucket policy by hand (aws s3api get-bucket-policy / delete-bucket-policy), then run again';

/**
 * Merges the delivery statement for `grant` into `current` (undefined: the bucket has no policy).
 * The CA ARNs and accounts already in a statement with our Sid are kept (unioned), so bootstrapping
 * a second CA never drops the first.
 */
export function mergeDeliveryStatement(current: string | undefined, grant: DeliveryGrant): MergeResult {
  if (current === undefined) {
    const statement = deliveryStatement(grant);
    return {
      text: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }, null, 2),
      action: 'created',
      statement,
      keptCaArns: [],
    };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(current);
  } catch (err) {
    throw new PolicyTextError(
      `the bucket policy is not valid JSON (${(err as Error).message})`,
      NOT_A_POLICY_HINT,
    );
  }
  if (!isObject(doc)) throw new PolicyTextError('the bucket policy is not a JSON object', NOT_A_POLICY_HINT);
  const spans = jsonSpans(current);
  if (spans.kind !== 'object')
    throw new PolicyTextError('the bucket policy is not a JSON object', NOT_A_POLICY_HINT);
  // JSON.parse keeps the last of duplicate keys, and so does this
  const member = spans.members.filter((m) => m.key === 'Statement').at(-1);
  const value = doc.Statement;
  if (member === undefined || !(Array.isArray(value) || isObject(value))) {
    throw new PolicyTextError(
      member === undefined
        ? 'the bucket policy has no Statement'
        : 'the bucket policy Statement is neither a statement nor a list of them',
      NOT_A_POLICY_HINT,
    );
  }
  const multiline = current.includes('\n');
  const list = Array.isArray(value) ? value : [value];
  const ours = list.flatMap((s, i) => (isObject(s) && s.Sid === DELIVERY_SID ? [i] : []));
  if (ours.length > 1) {
    throw new PolicyTextError(
      `the bucket policy has ${ours.length} statements with Sid ${DELIVERY_SID}`,
      `keep one of them (or rename the others), then run again`,
    );
  }
  const index = ours[0];
  const existing = index === undefined ? undefined : (list[index] as Record<string, unknown>);
  const asked = new Set(grant.caArns);
  const keptCaArns = existing
    ? sortedUnique(conditionValues(existing, 'aws:SourceArn').filter((a) => !asked.has(a)))
    : [];
  const statement = deliveryStatement({
    ...grant,
    accounts: [...grant.accounts, ...(existing ? conditionValues(existing, 'aws:SourceAccount') : [])],
    caArns: [...grant.caArns, ...keptCaArns],
  });
  if (existing && canonical(existing) === canonical(statement)) {
    return { text: current, action: 'unchanged', statement, keptCaArns };
  }
  const splice = (s: JsonSpan, replacement: string) =>
    current.slice(0, s.start) + replacement + current.slice(s.end);
  const target = member.value;

  if (target.kind === 'array') {
    if (index !== undefined) {
      const element = target.elements[index]!;
      const text = splice(element, render(statement, multiline, lineIndent(current, element.start)));
      return { text, action: 'updated', statement, keptCaArns };
    }
    const last = target.elements.at(-1);
    if (last === undefined) {
      // an empty list: ours becomes its only element
      const indent = lineIndent(current, target.start);
      const inner = multiline ? `${indent}  ` : '';
      const body = multiline
        ? `[\n${inner}${render(statement, true, inner)}\n${indent}]`
        : `[${render(statement, false, '')}]`;
      return { text: splice(target, body), action: 'appended', statement, keptCaArns };
    }
    // the separator between the last two elements, else a comma and the first element's lead
    const previous = target.elements.at(-2);
    const separator = previous
      ? current.slice(previous.end, last.start)
      : `,${current.slice(target.start + 1, last.start) || (multiline ? ' ' : '')}`;
    const indent = lineIndent(current, last.start);
    const text =
      current.slice(0, last.end) + separator + render(statement, multiline, indent) + current.slice(last.end);
    return { text, action: 'appended', statement, keptCaArns };
  }

  // a single statement object
  const indent = lineIndent(current, target.start);
  if (index !== undefined) {
    return {
      text: splice(target, render(statement, multiline, indent)),
      action: 'updated',
      statement,
      keptCaArns,
    };
  }
  const original = current.slice(target.start, target.end);
  const text = splice(target, `[${original}, ${render(statement, multiline, indent)}]`);
  return { text, action: 'appended', statement, keptCaArns };
}

/** A policy as a reader sees it: pretty-printed, so a one-line policy still diffs line by line. */
export function policyLines(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    return JSON.stringify(JSON.parse(text), null, 2).split('\n');
  } catch {
    return text.split('\n');
  }
}

/** The unified diff from one policy text to another ([] when they mean the same). */
export function policyDiff(before: string | undefined, after: string): string[] {
  return unifiedHunks(diffLines(policyLines(before), policyLines(after)));
}
