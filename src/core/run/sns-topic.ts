/** An SNS topic ARN, checked before the first AWS call: arn:<partition>:sns:<region>:<account>:<name>. */
export type SnsTopicParse =
  | { ok: true; partition: string; region: string; account: string; name: string }
  | { ok: false; reason: string };

const TOPIC = /^arn:(aws[a-z-]*):sns:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):([A-Za-z0-9_-]{1,256}(?:\.fifo)?)$/;

export function parseSnsTopicArn(text: string): SnsTopicParse {
  const m = TOPIC.exec(text);
  if (!m)
    return {
      ok: false,
      reason: 'is not an SNS topic ARN (arn:aws:sns:<region>:<12-digit account>:<topic name>)',
    };
  return { ok: true, partition: m[1]!, region: m[2]!, account: m[3]!, name: m[4]! };
}
