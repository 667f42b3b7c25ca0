/**
 * Issue 16 item 1, its "done when": one `run` over two accounts × two Regions, against moto (S3,
 * STS, SNS, SQS, Security Hub) and the stand-in (ACM PCA, CloudTrail). The central account runs
 * with its default credentials; the member's role is assumed through moto's STS, and the stand-in
 * learns the account of those temporary keys from moto. One target is broken (its bucket is
 * missing): the others are audited, it fails alone, the exit code is the worst, the summary is
 * grouped; SNS (through SQS), Security Hub and EMF get the night; on a later night the broken
 * target recovers and a resolved finding is archived in the member's Security Hub.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { assertBuilt } from '../e2e/cli.js';
import { hubFindings, hubFront, receive, sdkOn, topicWithQueue } from '../support/alert-channels.js';
import { createBucket, knob, resetStack, TEST_CREDENTIALS } from '../support/aws-stack.js';
import { type AwsCredentials, caStateDir, cliOnStack, testPca } from '../support/pca.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const stack = inject('awsStack');
const CENTRAL = stack.account;
const MEMBER = '444455556666';
const ROLE = `arn:aws:iam::${MEMBER}:role/pca-audit-member`;
const REGIONS = ['eu-west-1', 'us-east-1'] as const;
const bucketOf = (account: string, region: string) => `org-${account}-${region}`;

let work: string;
let hub: Awaited<ReturnType<typeof hubFront>>;
beforeAll(() => {
  assertBuilt();
  work = mkdtempSync(join(tmpdir(), 'pca-audit-org-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(async () => {
  await resetStack(stack);
  await knob(stack, 'config', { reportDelayMs: 100 });
  hub = await hubFront(stack);
});
afterEach(() => hub.close());

/** The member role's keys, assumed through moto's STS from the test credentials (ASIA…). */
async function memberCredentials(): Promise<AwsCredentials> {
  const c = await fromTemporaryCredentials({
    params: { RoleArn: ROLE, RoleSessionName: 'org-test' },
    masterCredentials: TEST_CREDENTIALS,
    clientConfig: { region: stack.region, endpoint: stack.motoUrl },
  })();
  expect(c.accessKeyId).toMatch(/^ASIA/);
  return c;
}

interface Summary {
  exitCode: number;
  cas: Array<{ ca: string; account: string; region: string; status: string; newAlerts: unknown[] }>;
  targets: Array<{
    account?: string;
    region: string;
    bucket: string;
    status: string;
    error?: string;
    cas: number;
  }>;
}

describe('run over accounts × Regions', () => {
  it('audits every target, fails the broken one alone, groups the summary, feeds SNS, Security Hub and EMF; a later night archives a resolved finding', async () => {
    const member = await memberCredentials();
    // a CA in each account and Region, made by that account in that Region
    const cas: Record<string, string> = {};
    const serials: Record<string, string> = {};
    for (const region of REGIONS) {
      for (const [account, credentials] of [
        [CENTRAL, TEST_CREDENTIALS],
        [MEMBER, member],
      ] as const) {
        const pca = testPca(stack, work, '/CN=svc', { region, credentials });
        const ca = await pca.createCa(`Root ${account} ${region}`);
        expect(ca).toContain(`:acm-pca:${region}:${account}:`);
        cas[`${account}/${region}`] = ca;
        serials[`${account}/${region}`] = await pca.issue(ca, 90);
      }
    }
    // buckets per account and Region, but the member's us-east-1 one is missing: the broken target
    await createBucket(stack, bucketOf(CENTRAL, 'eu-west-1'), 'eu-west-1');
    await createBucket(stack, bucketOf(CENTRAL, 'us-east-1'), 'us-east-1');
    await createBucket(stack, bucketOf(MEMBER, 'eu-west-1'), 'eu-west-1');
    const { topicArn, queueUrl } = await topicWithQueue(stack, 'org-alerts', false);
    const state = join(work, 'state');
    const emf = join(work, 'org.emf');
    const config = join(work, 'org.json');
    writeFileSync(
      config,
      JSON.stringify({
        accounts: [
          { accountId: CENTRAL, regions: [...REGIONS], bucketPattern: 'org-{account}-{region}' },
          {
            roleArn: ROLE,
            externalId: 'org-audit',
            regions: [...REGIONS],
            bucketPattern: 'org-{account}-{region}',
          },
        ],
        stateDir: state,
        snsTopicArn: topicArn,
        securityHub: true,
        emf,
        pollInterval: '1s',
        concurrency: 2,
      }),
    );
    const env = {
      AWS_ENDPOINT_URL_SNS: stack.motoUrl,
      AWS_ENDPOINT_URL_SECURITYHUB: hub.url,
      AWS_ENDPOINT_URL_STS: stack.motoUrl,
    };
    const run = () => cliOnStack(stack, ['run', '--config', config], env, 180_000);

    // night 1: three baselines, the broken target failed (exit 3, the worst)
    const n1 = await run();
    expect(n1.code, n1.stderr).toBe(3);
    const s1 = JSON.parse(readFileSync(join(state, 'latest-summary.json'), 'utf8')) as Summary;
    expect(s1.targets.map((t) => [t.account, t.region, t.status, t.cas])).toEqual([
      [CENTRAL, 'eu-west-1', 'ok', 1],
      [CENTRAL, 'us-east-1', 'ok', 1],
      [MEMBER, 'eu-west-1', 'ok', 1],
      [MEMBER, 'us-east-1', 'failed', 0],
    ]);
    expect(s1.targets[3]!.error).toMatch(/NoSuchBucket: bucket org-444455556666-us-east-1 .*does not exist/);
    expect(s1.cas.map((c) => [c.account, c.region, c.status]).sort()).toEqual([
      [CENTRAL, 'eu-west-1', 'baseline'],
      [CENTRAL, 'us-east-1', 'baseline'],
      [MEMBER, 'eu-west-1', 'baseline'],
    ]);
    // text: a heading per account and Region, the failed target with its error
    expect(n1.stdout).toMatch(
      new RegExp(`^== ${CENTRAL} / eu-west-1 \\(bucket org-${CENTRAL}-eu-west-1\\): 1 CA\\(s\\)$`, 'm'),
    );
    expect(n1.stdout).toMatch(
      new RegExp(`^== ${MEMBER} / us-east-1 .*target FAILED: AWS HeadBucket failed: NoSuchBucket`, 'm'),
    );
    // state: each CA under its account and Region
    for (const key of [`${CENTRAL}/eu-west-1`, `${CENTRAL}/us-east-1`, `${MEMBER}/eu-west-1`])
      expect(readFileSync(join(caStateDir(state, cas[key]!), 'checkpoint.json'), 'utf8')).toContain(
        cas[key]!,
      );
    // SNS: a CA failed, so the night is published, grouped, with the exit code
    const [m1] = await receive(stack, queueUrl);
    expect(m1!.attributes.exitCode).toEqual({ type: 'Number', value: '3' });
    expect(m1!.body).toContain(`### ${MEMBER} / us-east-1 (bucket org-${MEMBER}-us-east-1)`);
    expect(m1!.body).toMatch(/Target FAILED \(exit 3\)/);
    // EMF: one line per audited CA, with its account and Region
    const lines1 = readFileSync(emf, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines1.map((l) => `${l.Account}/${l.Region}`).sort()).toEqual([
      `${CENTRAL}/eu-west-1`,
      `${CENTRAL}/us-east-1`,
      `${MEMBER}/eu-west-1`,
    ]);

    // night 2: a certificate of the member's CA revoked without a CloudTrail record
    await knob(stack, 'clock', { advance: 86400 });
    const victimCa = cas[`${MEMBER}/eu-west-1`]!;
    await knob(stack, 'revoke-silently', {
      certificateAuthorityArn: victimCa,
      certificateSerial: serials[`${MEMBER}/eu-west-1`],
    });
    const n2 = await run();
    expect(n2.code, n2.stderr).toBe(3); // the alert is 1, the broken target still 3: the worst
    const s2 = JSON.parse(readFileSync(join(state, 'latest-summary.json'), 'utf8')) as Summary;
    const victim = s2.cas.find((c) => c.ca === victimCa)!;
    expect(victim).toMatchObject({ account: MEMBER, region: 'eu-west-1', status: 'diffed' });
    expect(victim.newAlerts).toHaveLength(1);
    // the finding is in the member account's Security Hub (its own credentials), not the central one's
    const inMember = await hubFindings(stack, member.accessKeyId);
    expect([...inMember.values()].map((f) => [f.AwsAccountId, f.RecordState, f.GeneratorId])).toEqual([
      [MEMBER, 'ACTIVE', 'pca-audit/REVOKED_WITHOUT_EVENT'],
    ]);
    expect((await hubFindings(stack)).size).toBe(0);
    const [m2] = await receive(stack, queueUrl);
    expect(m2!.body).toContain('REVOKED_WITHOUT_EVENT');
    expect(readFileSync(emf, 'utf8').trimEnd().split('\n')).toHaveLength(6);

    // night 3: the bucket is made, the target recovers; the revocation is old news, its finding resolved
    await createBucket(stack, bucketOf(MEMBER, 'us-east-1'), 'us-east-1');
    await knob(stack, 'clock', { advance: 86400 });
    const n3 = await run();
    expect(n3.code, n3.stderr).toBe(0);
    const s3 = JSON.parse(readFileSync(join(state, 'latest-summary.json'), 'utf8')) as Summary;
    expect(s3.targets.every((t) => t.status === 'ok')).toBe(true);
    expect(s3.cas.find((c) => c.ca === cas[`${MEMBER}/us-east-1`])?.status).toBe('baseline');
    const [finding] = [...(await hubFindings(stack, member.accessKeyId)).values()];
    expect(finding).toMatchObject({ RecordState: 'ARCHIVED', Workflow: { Status: 'RESOLVED' } });
    expect(hub.updates.map((u) => u.Workflow.Status)).toEqual(['RESOLVED']);
  }, 600_000);
});

/** Every file under a directory, relative to it. */
function filesOf(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe('state layout 1 → 2', () => {
  it('a layout-1 state (local, and in S3) is moved on the next run, its history kept: the night is diffed, not a new baseline', async () => {
    await createBucket(stack, 'org-reports');
    await createBucket(stack, 'pca-state');
    const pca = testPca(stack, work, '/CN=svc');
    const ca = await pca.createCa('Layout Root');
    await pca.issue(ca, 90);
    const id = ca.split('/').pop()!;
    const base = ['run', '--bucket', 'org-reports', '--ca', ca, '--poll-interval', '1s', '--format', 'json'];
    // night 1 with this pca-audit, then the state turned back into what layout 1 looked like
    const legacy = join(work, 'legacy');
    expect((await cliOnStack(stack, [...base, '--state-dir', legacy])).code).toBe(0);
    mkdirSync(join(legacy, 'cas-1'));
    renameSync(caStateDir(legacy, ca), join(legacy, 'cas-1', id));
    rmSync(join(legacy, 'cas'), { recursive: true });
    renameSync(join(legacy, 'cas-1'), join(legacy, 'cas'));
    writeFileSync(join(legacy, 'state.json'), '{"layout": 1, "tool": "pca-audit"}\n');
    const [run1] = readdirSync(join(legacy, 'runs'));
    const commitPath = join(legacy, 'runs', run1!, 'commit.json');
    const commit = JSON.parse(readFileSync(commitPath, 'utf8'));
    commit.checkpoints = { [id]: Object.values(commit.checkpoints)[0] };
    commit.alerted = { [id]: Object.values(commit.alerted)[0] };
    writeFileSync(commitPath, JSON.stringify(commit));
    // the same layout-1 state in S3
    const s3 = new S3Client({ ...sdkOn(stack), forcePathStyle: true });
    for (const f of filesOf(legacy))
      await s3.send(
        new PutObjectCommand({ Bucket: 'pca-state', Key: `old/${f}`, Body: readFileSync(join(legacy, f)) }),
      );
    const local = join(work, 'legacy-local');
    cpSync(legacy, local, { recursive: true });

    await knob(stack, 'clock', { advance: 86400 });
    await pca.issue(ca, 90);
    const n2 = await cliOnStack(stack, [...base, '--state-dir', local]);
    expect(n2.code, n2.stderr).toBe(0);
    expect(JSON.parse(n2.stdout).cas[0]).toMatchObject({ status: 'diffed', issued: 1 });
    expect(n2.stderr).toMatch(/state moved to layout 2: 1 CA\(s\)/);
    expect(JSON.parse(readFileSync(join(local, 'state.json'), 'utf8')).layout).toBe(2);
    expect(existsSync(join(local, 'cas', id))).toBe(false);
    expect(existsSync(join(caStateDir(local, ca), 'history'))).toBe(true);

    const n2s3 = await cliOnStack(stack, [...base, '--state', 's3://pca-state/old/']);
    expect(n2s3.code, n2s3.stderr).toBe(0);
    expect(JSON.parse(n2s3.stdout).cas[0]).toMatchObject({ status: 'diffed', issued: 1 });
    const listing = await (await fetch(`${stack.motoUrl}/pca-state?list-type=2&prefix=old/`)).text();
    const keys = [...listing.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
    expect(keys).toContain(`old/cas/${stack.account}/${stack.region}/${id}/checkpoint.json`);
    expect(keys.filter((k) => k.startsWith(`old/cas/${id}/`))).toEqual([]);
    const marker = await s3.send(new GetObjectCommand({ Bucket: 'pca-state', Key: 'old/state.json' }));
    expect(JSON.parse(await marker.Body!.transformToString()).layout).toBe(2);
  }, 300_000);
});
