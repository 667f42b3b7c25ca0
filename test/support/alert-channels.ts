/**
 * The AWS alert channels' far ends in moto, shared by the tests of `run`'s channels (issue 16 item
 * 4) and of a run over accounts (item 1): an SNS topic read back through an SQS queue, and Security
 * Hub behind a loopback front that does what moto 5.2.1 lacks (BatchUpdateFindings).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchImportFindingsCommand,
  GetFindingsCommand,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsStack, TEST_CREDENTIALS } from './aws-stack.js';
import { loadBotocoreModel, validateShape } from './botocore-model.js';

/** SDK settings for moto: the stack's Region, and the test credentials or another access key id. */
export function sdkOn(stack: AwsStack, accessKeyId?: string, region = stack.region) {
  return {
    region,
    endpoint: stack.motoUrl,
    credentials: accessKeyId
      ? { accessKeyId, secretAccessKey: 'moto-checks-no-signature' }
      : TEST_CREDENTIALS,
  };
}

/** A topic with an SQS queue subscribed to it (raw delivery or not). */
export async function topicWithQueue(
  stack: AwsStack,
  name: string,
  raw: boolean,
): Promise<{ topicArn: string; queueUrl: string }> {
  const sns = new SNSClient(sdkOn(stack));
  const sqs = new SQSClient(sdkOn(stack));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-q` }));
  const attrs = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: QueueUrl!, AttributeNames: ['QueueArn'] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: TopicArn!,
      Protocol: 'sqs',
      Endpoint: attrs.Attributes!.QueueArn!,
      ...(raw ? { Attributes: { RawMessageDelivery: 'true' } } : {}),
    }),
  );
  return { topicArn: TopicArn!, queueUrl: QueueUrl! };
}

export interface Received {
  subject?: string;
  body: string;
  attributes: Record<string, { type: string; value: string }>;
}

/** What the queue holds, in the SNS envelope or raw: the same fields either way. */
export async function receive(stack: AwsStack, queueUrl: string): Promise<Received[]> {
  const sqs = new SQSClient(sdkOn(stack));
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      MessageAttributeNames: ['All'],
      WaitTimeSeconds: 0,
    }),
  );
  return (out.Messages ?? []).map((m) => {
    const body = m.Body ?? '';
    try {
      const envelope = JSON.parse(body) as {
        Type?: string;
        Subject?: string;
        Message: string;
        MessageAttributes?: Record<string, { Type: string; Value: string }>;
      };
      if (envelope.Type === 'Notification') {
        return {
          ...(envelope.Subject === undefined ? {} : { subject: envelope.Subject }),
          body: envelope.Message,
          attributes: Object.fromEntries(
            Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [
              k,
              { type: v.Type, value: v.Value },
            ]),
          ),
        };
      }
    } catch {
      // not the envelope: raw delivery
    }
    return {
      body,
      attributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
          k,
          { type: v.DataType ?? '', value: v.StringValue ?? '' },
        ]),
      ),
    };
  });
}

/**
 * Every finding moto's Security Hub holds, by Id: of the account the access key id stands for
 * (moto keeps one Security Hub per account; default: the test credentials').
 */
export async function hubFindings(
  stack: AwsStack,
  accessKeyId?: string,
): Promise<Map<string, Record<string, unknown>>> {
  const out = await new SecurityHubClient(sdkOn(stack, accessKeyId)).send(
    new GetFindingsCommand({ MaxResults: 100 }),
  );
  return new Map((out.Findings ?? []).map((f) => [f.Id!, f as unknown as Record<string, unknown>]));
}

export interface WorkflowRequest {
  FindingIdentifiers: Array<{ Id: string; ProductArn: string }>;
  Workflow: { Status: string };
  Note: { Text: string; UpdatedBy: string };
}

/**
 * Security Hub for the run: moto (5.2.1 has BatchImportFindings and GetFindings, not
 * BatchUpdateFindings) behind a loopback front that answers BatchUpdateFindings itself as AWS
 * does (PATCH /findings/batchupdate, ProcessedFindings and UnprocessedFindings), records each
 * request, and sets Workflow on moto's copy by re-importing it (moto keeps Workflow as sent), so
 * GetFindings shows the finding as AWS would; its requests and answers are checked against the
 * official botocore model. `unprocess` refuses the next requests' findings. Each request acts in
 * the account of its caller (the access key id of its SigV4 scope), as moto does.
 */
export async function hubFront(stack: AwsStack): Promise<{
  url: string;
  updates: WorkflowRequest[];
  unprocess: { next: number };
  close: () => void;
}> {
  const updates: WorkflowRequest[] = [];
  const unprocess = { next: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const caller = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
      try {
        if (req.method === 'PATCH' && req.url === '/findings/batchupdate') {
          const doc = JSON.parse(body.toString('utf8')) as WorkflowRequest;
          updates.push(doc);
          const requestProblems = validateShape(hubModel(), 'BatchUpdateFindingsRequest', doc);
          if (requestProblems.length) throw new Error(requestProblems.join('; '));
          res.setHeader('content-type', 'application/json');
          if (unprocess.next > 0) {
            unprocess.next--;
            res.end(
              answer({
                ProcessedFindings: [],
                UnprocessedFindings: doc.FindingIdentifiers.map((f) => ({
                  FindingIdentifier: f,
                  ErrorCode: 'FindingNotFound',
                  ErrorMessage: 'Finding Not Found',
                })),
              }),
            );
            return;
          }
          const have = await hubFindings(stack, caller);
          const changed = doc.FindingIdentifiers.map((f) => ({
            ...have.get(f.Id),
            Workflow: doc.Workflow,
            Note: { ...doc.Note, UpdatedAt: new Date().toISOString() },
          }));
          await new SecurityHubClient(sdkOn(stack, caller)).send(
            new BatchImportFindingsCommand({ Findings: changed as never }),
          );
          res.end(answer({ ProcessedFindings: doc.FindingIdentifiers, UnprocessedFindings: [] }));
          return;
        }
        // the rest as moto answers it, the stored Workflow kept: BatchImportFindings leaves it alone on AWS
        const toMoto = await fetch(`${stack.motoUrl}${req.url}`, {
          method: req.method!,
          headers: Object.fromEntries(
            Object.entries(req.headers).filter(
              ([k]) =>
                ![
                  'host',
                  'content-length',
                  'connection',
                  'keep-alive',
                  'transfer-encoding',
                  'expect',
                ].includes(k),
            ),
          ) as Record<string, string>,
          ...(body.length ? { body: await keepWorkflow(stack, req.url!, body, caller) } : {}),
        });
        res.statusCode = toMoto.status;
        toMoto.headers.forEach((v, k) => {
          if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'content-encoding')
            res.setHeader(k, v);
        });
        res.end(Buffer.from(await toMoto.arrayBuffer()));
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    updates,
    unprocess,
    close: () => server.close(),
  };
}

let model: ReturnType<typeof loadBotocoreModel> | undefined;
const hubModel = () => (model ??= loadBotocoreModel('securityhub', '2018-10-26'));

/** A BatchUpdateFindings answer, checked against the official model first. */
function answer(out: unknown): string {
  const problems = validateShape(hubModel(), 'BatchUpdateFindingsResponse', out);
  if (problems.length) throw new Error(problems.join('; '));
  return JSON.stringify(out);
}

/** An import of a finding moto holds keeps its stored Workflow (a new one gets NEW if it has none). */
async function keepWorkflow(
  stack: AwsStack,
  url: string,
  body: Buffer,
  caller: string | undefined,
): Promise<string> {
  if (url !== '/findings/import') return body.toString('utf8');
  const doc = JSON.parse(body.toString('utf8')) as { Findings: Array<Record<string, unknown>> };
  const have = await hubFindings(stack, caller);
  for (const f of doc.Findings) {
    const was = have.get(f.Id as string);
    if (was) f.Workflow = was.Workflow;
    else f.Workflow ??= { Status: 'NEW' };
  }
  return JSON.stringify(doc);
}
