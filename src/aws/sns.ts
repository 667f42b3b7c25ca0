/**
 * SNS Publish for run's `--sns-topic-arn` channel. Loaded only when a run publishes, so the SNS
 * client never weighs on other commands' start.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SnsMessage } from '../core/run/sns-message.js';
import type { ClientConfig } from './clients.js';
import { call } from './errors.js';

/** Publishes one message; AWS's refusal becomes an AwsError (operation sns:Publish). */
export async function publishToTopic(config: ClientConfig, topicArn: string, m: SnsMessage): Promise<string> {
  const client = new SNSClient(config);
  try {
    const out = await call('sns:Publish', () =>
      client.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: m.subject,
          Message: m.body,
          MessageAttributes: m.attributes,
        }),
      ),
    );
    return out.MessageId ?? '';
  } finally {
    client.destroy();
  }
}
