import { describe, expect, it } from 'vitest';
import { caCanWrite, unconditionedServiceGrants } from '../../src/core/bucket/bucket-policy.js';
import { IAM_COMMANDS, iamPolicy } from '../../src/core/bucket/iam-policy.js';
import { jsonSpans } from '../../src/core/bucket/json-spans.js';
import { diffLines, unifiedHunks } from '../../src/core/bucket/line-diff.js';
import {
  DELIVERY_SID,
  deliveryStatement,
  grantFor,
  kmsKeyStatement,
  mergeDeliveryStatement,
  PolicyTextError,
  policyDiff,
} from '../../src/core/bucket/policy-merge.js';
import { type CaArn, parseCaArn } from '../../src/core/ca-arn.js';

const ca = (suffix: string, region = 'eu-west-1', account = '111122223333'): CaArn =>
  parseCaArn(
    `arn:aws:acm-pca:${region}:${account}:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c${suffix}`,
  )!;
const CA1 = ca('01');
const CA2 = ca('02');
const CA_OTHER_ACCOUNT = ca('03', 'eu-west-1', '444455556666');
const BUCKET = 'audit-reports';
const grant = (...cas: CaArn[]) => grantFor(BUCKET, cas);

/** Other statements, written the odd ways real policies are: spacing, escapes, unicode, key order. */
const OTHER_1 = `{ "Sid" :"DenyInsecure","Effect":"Deny",  "Principal":"*",
      "Action":"s3:*","Resource":["arn:aws:s3:::audit-reports","arn:aws:s3:::audit-reports/*"],
      "Condition":{"Bool":{"aws:SecureTransport":"false"}} }`;
const OTHER_2 = `{"Condition":{"StringLike":{"aws:userid":"AROA\\u00e9*"}},"Sid":"Caf\u00e9 \\"quoted\\" \\/ \\\\ 😀",
  "Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Auditor"},"Action":["s3:GetObject"],
  "Resource":"arn:aws:s3:::audit-reports/*" }`;

/** The text with every byte of each `keep` still present, in order, and nothing else lost. */
function expectKept(text: string, ...keep: string[]): void {
  let from = 0;
  for (const k of keep) {
    const at = text.indexOf(k, from);
    expect(at, `kept byte for byte: ${k.slice(0, 40)}`).toBeGreaterThanOrEqual(0);
    from = at + k.length;
  }
}

const statementsOf = (text: string) => {
  const s = (JSON.parse(text) as { Statement: unknown }).Statement;
  return (Array.isArray(s) ? s : [s]) as Array<Record<string, unknown>>;
};

describe('deliveryStatement', () => {
  it('is the least-privilege statement: the service, four actions, the bucket, both conditions', () => {
    expect(deliveryStatement(grant(CA2, CA1, CA1))).toEqual({
      Sid: 'PcaAuditReportDelivery',
      Effect: 'Allow',
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: ['s3:PutObject', 's3:PutObjectAcl', 's3:GetBucketAcl', 's3:GetBucketLocation'],
      Resource: ['arn:aws:s3:::audit-reports', 'arn:aws:s3:::audit-reports/*'],
      Condition: {
        StringEquals: { 'aws:SourceAccount': ['111122223333'], 'aws:SourceArn': [CA1.arn, CA2.arn] },
      },
    });
  });

  it('lets exactly the named CAs write (checked with the policy evaluator doctor uses)', () => {
    const policy = { Statement: [deliveryStatement(grant(CA1))] };
    expect(caCanWrite(policy, BUCKET, CA1.arn, CA1.account).allowed).toBe(true);
    expect(caCanWrite(policy, BUCKET, CA2.arn, CA2.account).allowed).toBe(false);
    expect(caCanWrite(policy, 'other-bucket', CA1.arn, CA1.account).allowed).toBe(false);
  });

  it('uses the CA partition in the bucket ARN', () => {
    const cn = parseCaArn(
      'arn:aws-cn:acm-pca:cn-north-1:111122223333:certificate-authority/5f1c2a7e-3b9d-4c60-8a2e-9d4b7f0e1c01',
    )!;
    expect(deliveryStatement(grantFor(BUCKET, [cn])).Resource).toEqual([
      'arn:aws-cn:s3:::audit-reports',
      'arn:aws-cn:s3:::audit-reports/*',
    ]);
  });
});

describe('mergeDeliveryStatement', () => {
  it('no policy: a new one with our statement only', () => {
    const r = mergeDeliveryStatement(undefined, grant(CA1));
    expect(r.action).toBe('created');
    expect(JSON.parse(r.text)).toEqual({ Version: '2012-10-17', Statement: [deliveryStatement(grant(CA1))] });
  });

  it('appends to a multi-line list, keeping every other byte', () => {
    const before = `{\n  "Version": "2012-10-17",\n  "Statement": [\n    ${OTHER_1},\n    ${OTHER_2}\n  ]\n}\n`;
    const r = mergeDeliveryStatement(before, grant(CA1));
    expect(r.action).toBe('appended');
    // everything up to the end of the last statement, and everything after it, unchanged
    const lastEnd = before.indexOf(OTHER_2) + OTHER_2.length;
    expect(r.text.startsWith(before.slice(0, lastEnd))).toBe(true);
    expect(r.text.endsWith(before.slice(lastEnd))).toBe(true);
    const statements = statementsOf(r.text);
    expect(statements).toHaveLength(3);
    expect(statements[0]).toEqual(JSON.parse(OTHER_1));
    expect(statements[1]).toEqual(JSON.parse(OTHER_2));
    expect(statements[2]).toEqual(deliveryStatement(grant(CA1)));
    // laid out like its neighbours: same separator, same indent
    expect(r.text).toContain(`${OTHER_2},\n    {\n      "Sid": "PcaAuditReportDelivery",`);
  });

  it('appends to a one-line policy on one line', () => {
    const before = `{"Version":"2012-10-17","Statement":[${OTHER_2.replace(/\n/g, ' ')}]}`;
    const r = mergeDeliveryStatement(before, grant(CA1));
    expect(r.text).not.toContain('\n');
    expect(r.text).toBe(`${before.slice(0, -2)},${JSON.stringify(deliveryStatement(grant(CA1)))}]}`);
  });

  it('appends to an empty list', () => {
    const r = mergeDeliveryStatement('{"Version":"2012-10-17","Statement":[ ]}', grant(CA1));
    expect(statementsOf(r.text)).toEqual([deliveryStatement(grant(CA1))]);
    const multi = mergeDeliveryStatement('{\n  "Statement": []\n}', grant(CA1));
    expect(statementsOf(multi.text)).toEqual([deliveryStatement(grant(CA1))]);
  });

  it('a single-object Statement becomes a list around the original bytes', () => {
    const before = `{\n  "Version": "2012-10-17",\n  "Statement": ${OTHER_2}\n}`;
    const r = mergeDeliveryStatement(before, grant(CA1));
    expect(r.action).toBe('appended');
    expect(r.text.startsWith(`{\n  "Version": "2012-10-17",\n  "Statement": [${OTHER_2}, {`)).toBe(true);
    expect(statementsOf(r.text)).toEqual([JSON.parse(OTHER_2), deliveryStatement(grant(CA1))]);
  });

  it('replaces our statement in place, unions its CAs and accounts, and keeps the rest', () => {
    const ours = `{"Sid":"${DELIVERY_SID}","Effect":"Allow","Principal":{"Service":"acm-pca.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::audit-reports/*","Condition":{"StringEquals":{"AWS:SourceArn":"${CA_OTHER_ACCOUNT.arn}","aws:sourceaccount":"${CA_OTHER_ACCOUNT.account}"}}}`;
    const before = `{"Statement":[\n${OTHER_1},\n${ours},\n${OTHER_2}\n]}`;
    const r = mergeDeliveryStatement(before, grant(CA1));
    expect(r.action).toBe('updated');
    expect(r.keptCaArns).toEqual([CA_OTHER_ACCOUNT.arn]);
    expectKept(r.text, `{"Statement":[\n${OTHER_1},\n`, `,\n${OTHER_2}\n]}`);
    const statements = statementsOf(r.text);
    expect(statements[1]).toEqual(deliveryStatement(grant(CA1, CA_OTHER_ACCOUNT)));
    expect((statements[1]!.Condition as Record<string, Record<string, unknown>>).StringEquals).toEqual({
      'aws:SourceAccount': ['111122223333', '444455556666'],
      'aws:SourceArn': [CA1.arn, CA_OTHER_ACCOUNT.arn],
    });
  });

  it('is idempotent: merging again changes nothing, whatever the formatting of our statement', () => {
    const first = mergeDeliveryStatement(`{"Statement":[${OTHER_1}]}`, grant(CA1, CA2));
    const second = mergeDeliveryStatement(first.text, grant(CA2));
    expect(second.action).toBe('unchanged');
    expect(second.text).toBe(first.text);
    // the same statement, reformatted and with keys reordered, is still up to date
    const s = deliveryStatement(grant(CA1));
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(s).reverse()), null, 4);
    expect(mergeDeliveryStatement(`{"Statement":${reordered}}`, grant(CA1)).action).toBe('unchanged');
  });

  it('a second CA widens the list; the first stays', () => {
    const first = mergeDeliveryStatement(undefined, grant(CA1));
    const second = mergeDeliveryStatement(first.text, grant(CA2));
    expect(second.action).toBe('updated');
    expect(statementsOf(second.text)).toEqual([deliveryStatement(grant(CA1, CA2))]);
  });

  it.each([
    ['not JSON', '{"Statement": [', /not valid JSON/],
    ['an array', '[]', /not a JSON object/],
    ['a string', '"policy"', /not a JSON object/],
    ['no Statement', '{"Version":"2012-10-17"}', /no Statement/],
    ['a Statement string', '{"Statement":"x"}', /neither a statement nor a list/],
    [
      'our Sid twice',
      `{"Statement":[{"Sid":"${DELIVERY_SID}"},{"Sid":"${DELIVERY_SID}"}]}`,
      /2 statements with Sid/,
    ],
  ])('refuses a policy that is %s', (_what, text, message) => {
    expect(() => mergeDeliveryStatement(text, grant(CA1))).toThrow(PolicyTextError);
    expect(() => mergeDeliveryStatement(text, grant(CA1))).toThrow(message);
  });

  it('takes the last of duplicate Statement keys, as JSON.parse does', () => {
    const before = '{"Statement":[{"Sid":"Gone"}],"Statement":[{"Sid":"Kept"}]}';
    const r = mergeDeliveryStatement(before, grant(CA1));
    expect(r.text.startsWith('{"Statement":[{"Sid":"Gone"}],"Statement":[{"Sid":"Kept"},')).toBe(true);
  });

  it('keeps tabs for a tab-indented policy', () => {
    const before = '{\n\t"Statement": [\n\t\t{"Sid": "A"}\n\t]\n}';
    const r = mergeDeliveryStatement(before, grant(CA1));
    expect(r.text).toContain('{"Sid": "A"},\n\t\t{\n\t\t\t"Sid": "PcaAuditReportDelivery"');
  });
});

describe('jsonSpans', () => {
  it('measures members and elements, strings with escaped quotes included', () => {
    const text = ' {"a\\"b" : [1, "x]", {"c":null}], "d":true } ';
    const s = jsonSpans(text);
    expect(s.kind).toBe('object');
    if (s.kind !== 'object') return;
    expect(s.members.map((m) => m.key)).toEqual(['a"b', 'd']);
    const arr = s.members[0]!.value;
    expect(text.slice(arr.start, arr.end)).toBe('[1, "x]", {"c":null}]');
    if (arr.kind !== 'array') return;
    expect(arr.elements.map((e) => text.slice(e.start, e.end))).toEqual(['1', '"x]"', '{"c":null}']);
  });
});

describe('line diff', () => {
  it('keeps, removes and adds lines, removals first', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c', 'd'])).toEqual([
      { op: ' ', line: 'a' },
      { op: '-', line: 'b' },
      { op: '+', line: 'x' },
      { op: ' ', line: 'c' },
      { op: '+', line: 'd' },
    ]);
  });

  it('shows hunks with three lines of context, numbered like diff -u', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i + 1}`);
    const after = [...before];
    after[9] = 'changed';
    expect(unifiedHunks(diffLines(before, after))).toEqual([
      '@@ -7,7 +7,7 @@',
      ' l7',
      ' l8',
      ' l9',
      '-l10',
      '+changed',
      ' l11',
      ' l12',
      ' l13',
    ]);
    expect(unifiedHunks(diffLines([], ['a']))).toEqual(['@@ -0,0 +1,1 @@', '+a']);
    expect(unifiedHunks(diffLines(['a'], ['a']))).toEqual([]);
  });

  it('diffs policies pretty-printed, so a one-line policy shows only what changed', () => {
    const first = mergeDeliveryStatement(undefined, grant(CA1));
    const compact = JSON.stringify(JSON.parse(first.text));
    const second = mergeDeliveryStatement(compact, grant(CA2));
    const diff = policyDiff(compact, second.text);
    expect(diff.filter((l) => l.startsWith('-'))).toEqual([`-            ${JSON.stringify(CA1.arn)}`]);
    expect(diff.filter((l) => l.startsWith('+'))).toEqual([
      `+            ${JSON.stringify(CA1.arn)},`,
      `+            ${JSON.stringify(CA2.arn)}`,
    ]);
  });
});

describe('kmsKeyStatement', () => {
  it('lets the CA service use the key for this bucket report objects only', () => {
    expect(kmsKeyStatement('aws', BUCKET)).toEqual({
      Sid: 'PcaAuditReportDeliveryKms',
      Effect: 'Allow',
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringLike: {
          'kms:EncryptionContext:aws:s3:arn': [
            'arn:aws:s3:::audit-reports/acm-pca-permission-test-key*',
            'arn:aws:s3:::audit-reports/audit-report/*',
          ],
        },
      },
    });
  });
});

describe('iamPolicy', () => {
  const scope = { partition: 'aws', buckets: [BUCKET], caArns: [CA1.arn] };
  const actions = (p: Record<string, unknown>) =>
    (p.Statement as Array<{ Action: string[] }>).flatMap((s) => s.Action).sort();

  it('bootstrap: exactly the calls bootstrap makes, on the bucket and (DescribeCertificateAuthority) the CA', () => {
    const p = iamPolicy(['bootstrap'], scope);
    expect(p).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'BootstrapBucket',
          Effect: 'Allow',
          Action: [
            's3:CreateBucket',
            's3:GetBucketObjectLockConfiguration',
            's3:GetBucketPolicy',
            's3:GetBucketPublicAccessBlock',
            's3:GetEncryptionConfiguration',
            's3:ListBucket',
            's3:PutBucketOwnershipControls',
            's3:PutBucketPolicy',
            's3:PutBucketPublicAccessBlock',
          ],
          Resource: ['arn:aws:s3:::audit-reports'],
        },
        {
          Sid: 'DescribeCa',
          Effect: 'Allow',
          Action: ['acm-pca:DescribeCertificateAuthority'],
          Resource: [CA1.arn],
        },
      ],
    });
  });

  it('generate: make and read reports of the named CA, nothing written to S3', () => {
    const p = iamPolicy(['generate'], scope);
    expect(actions(p)).toEqual([
      'acm-pca:CreateCertificateAuthorityAuditReport',
      'acm-pca:DescribeCertificateAuthorityAuditReport',
      's3:GetBucketObjectLockConfiguration',
      's3:GetBucketPolicy',
      's3:GetEncryptionConfiguration',
      's3:GetObject',
      's3:ListBucket',
    ]);
    const read = (p.Statement as Array<{ Sid: string; Resource: unknown }>).find(
      (s) => s.Sid === 'ReadReports',
    );
    expect(read?.Resource).toEqual(['arn:aws:s3:::audit-reports/audit-report/*']);
    const make = (p.Statement as Array<{ Sid: string; Resource: unknown }>).find(
      (s) => s.Sid === 'MakeReports',
    );
    expect(make?.Resource).toEqual([CA1.arn]);
  });

  it('run may describe its CAs and read their certificates, for the CRL and OCSP checks (issue 15 items 3, 4), in one statement', () => {
    const statements = iamPolicy(['run'], scope).Statement as Array<{
      Sid: string;
      Action: string[];
      Resource: unknown;
    }>;
    expect(statements.filter((s) => s.Action.includes('acm-pca:DescribeCertificateAuthority'))).toHaveLength(
      1,
    );
    const grant = statements.find((s) => s.Sid === 'ReadCaRevocation');
    expect(grant?.Action).toEqual([
      'acm-pca:DescribeCertificateAuthority',
      'acm-pca:GetCertificateAuthorityCertificate',
    ]);
    expect(grant?.Resource).toEqual([CA1.arn]);
  });

  it('events and run include LookupEvents; no command writes objects except doctor probe', () => {
    expect(actions(iamPolicy(['events'], scope))).toContain('cloudtrail:LookupEvents');
    expect(actions(iamPolicy(['run'], scope))).toContain('cloudtrail:LookupEvents');
    for (const c of IAM_COMMANDS) {
      const puts = (iamPolicy([c], scope).Statement as Array<{ Action: string[]; Resource: unknown }>).filter(
        (s) => s.Action.includes('s3:PutObject'),
      );
      if (c === 'doctor')
        expect(puts.map((s) => s.Resource)).toEqual([['arn:aws:s3:::audit-reports/pca-audit-doctor-probe']]);
      else expect(puts).toEqual([]);
    }
  });

  it('issue 15: run reads the CA’s revocation configuration, certificate and CRLs; doctor the CRL bucket policy', () => {
    const run = iamPolicy(['run'], { ...scope, crlBuckets: ['pki-crls'] });
    const sid = (p: Record<string, unknown>, id: string) =>
      (p.Statement as Array<{ Sid: string; Action: string[]; Resource: unknown }>).find((s) => s.Sid === id);
    expect(sid(run, 'ReadCaRevocation')).toMatchObject({
      Action: ['acm-pca:DescribeCertificateAuthority', 'acm-pca:GetCertificateAuthorityCertificate'],
      Resource: [CA1.arn],
    });
    expect(sid(run, 'ListCrls')).toMatchObject({
      Action: ['s3:ListBucket'],
      Resource: ['arn:aws:s3:::pki-crls'],
    });
    expect(sid(run, 'ReadCrls')).toMatchObject({
      Action: ['s3:GetObject'],
      Resource: ['arn:aws:s3:::pki-crls/*'],
    });
    // without --crl-bucket: the --bucket ones
    expect(sid(iamPolicy(['run'], scope), 'ReadCrls')?.Resource).toEqual(['arn:aws:s3:::audit-reports/*']);
    const doctor = iamPolicy(['doctor'], { ...scope, crlBuckets: ['pki-crls'] });
    expect(sid(doctor, 'CheckCrlBucket')).toMatchObject({
      Action: ['s3:GetBucketPolicy', 's3:ListBucket'],
      Resource: ['arn:aws:s3:::pki-crls'],
    });
    expect(sid(doctor, 'ReadCrls')?.Resource).toEqual(['arn:aws:s3:::pki-crls/*']);
  });

  it('without a scope: typed wildcards; without a command: the union, each Sid once', () => {
    const p = iamPolicy([], { partition: 'aws', buckets: [], caArns: [] });
    const sids = (p.Statement as Array<{ Sid: string }>).map((s) => s.Sid);
    expect(new Set(sids).size).toBe(sids.length);
    const all = new Set(actions(p));
    for (const c of IAM_COMMANDS)
      for (const a of actions(iamPolicy([c], scope))) expect(all.has(a)).toBe(true);
    const make = (p.Statement as Array<{ Sid: string; Resource: unknown }>).find(
      (s) => s.Sid === 'MakeReports',
    );
    expect(make?.Resource).toEqual(['arn:aws:acm-pca:*:*:certificate-authority/*']);
    // diff reads any object of the bucket: the wider resource wins for the shared Sid
    const read = (p.Statement as Array<{ Sid: string; Resource: unknown }>).find(
      (s) => s.Sid === 'ReadReports',
    );
    expect(read?.Resource).toEqual(['arn:aws:s3:::*/*']);
  });
});

// ---- issue 13 item 20 ----

type Statement = { Sid: string; Action: string[]; Resource: unknown; Condition?: unknown };
const statementsOfPolicy = (p: Record<string, unknown>) => p.Statement as Statement[];
const bySid = (p: Record<string, unknown>, sid: string) => statementsOfPolicy(p).find((s) => s.Sid === sid);

describe('iamPolicy: what diff and run call (issue 13 item 20)', () => {
  const scope = { partition: 'aws', buckets: [BUCKET], caArns: [CA1.arn] };

  it('issue 13 item 20: diff may call LookupEvents (--cloudtrail lookup) and read trail buckets', () => {
    const p = iamPolicy(['diff'], { ...scope, trailBuckets: ['org-trail'] });
    expect(bySid(p, 'LookupEvents')).toMatchObject({ Action: ['cloudtrail:LookupEvents'], Resource: '*' });
    expect(bySid(p, 'ListTrailLogs')?.Resource).toEqual(['arn:aws:s3:::org-trail']);
    expect(bySid(p, 'ReadTrailLogs')?.Resource).toEqual(['arn:aws:s3:::org-trail/*']);
    // reports (and a CRL) given as s3:// URIs
    expect(bySid(p, 'ReadReports')?.Resource).toEqual(['arn:aws:s3:::audit-reports/*']);
  });

  it('issue 13 item 20: run reads a trail bucket; without --trail-bucket, the --bucket ones', () => {
    const p = iamPolicy(['run'], { ...scope, trailBuckets: ['org-trail'] });
    expect(bySid(p, 'ListTrailLogs')?.Resource).toEqual(['arn:aws:s3:::org-trail']);
    expect(bySid(p, 'ReadTrailLogs')?.Action).toEqual(['s3:GetObject']);
    const fallback = iamPolicy(['run'], scope);
    expect(bySid(fallback, 'ReadTrailLogs')?.Resource).toEqual(['arn:aws:s3:::audit-reports/*']);
  });

  it('issue 13 item 20: run --state s3://: list, read, write and delete under the prefix only', () => {
    const p = iamPolicy(['run'], { ...scope, state: { bucket: 'job-state', prefix: 'pca-audit/' } });
    expect(bySid(p, 'ListState')).toEqual({
      Sid: 'ListState',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: ['arn:aws:s3:::job-state'],
      Condition: { StringLike: { 's3:prefix': ['pca-audit/*'] } },
    });
    expect(bySid(p, 'KeepState')).toMatchObject({
      Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      Resource: ['arn:aws:s3:::job-state/pca-audit/*'],
    });
    // without a state in S3, no write right anywhere but doctor's probe
    const onDisk = iamPolicy(['run'], scope);
    expect(bySid(onDisk, 'KeepState')).toBeUndefined();
    expect(bySid(onDisk, 'ListState')).toBeUndefined();
  });
});

describe('bucket policy evaluation: Deny and confused deputy (issue 13 item 20)', () => {
  const delivery = deliveryStatement(grant(CA1));
  const deny = (extra: Record<string, unknown> = {}) => ({
    Sid: 'NoServiceWrites',
    Effect: 'Deny',
    Principal: { Service: 'acm-pca.amazonaws.com' },
    Action: 's3:PutObject',
    Resource: 'arn:aws:s3:::audit-reports/*',
    ...extra,
  });

  it('issue 13 item 20: an explicit Deny of acm-pca is reported as a Deny, naming the statement', () => {
    const d = caCanWrite({ Statement: [delivery, deny()] }, BUCKET, CA1.arn, CA1.account);
    expect(d.allowed).toBe(false);
    if (d.allowed) return;
    expect(d.denied).toEqual({ statement: 'NoServiceWrites', action: 's3:PutObject' });
    // a Deny without a Sid is named by its position
    const { Sid: _, ...anonymous } = deny();
    const n = caCanWrite({ Statement: [delivery, anonymous] }, BUCKET, CA1.arn, CA1.account);
    expect(!n.allowed && n.denied?.statement).toBe('#2 (no Sid)');
    // no Allow at all is not a Deny
    const none = caCanWrite({ Statement: [] }, BUCKET, CA1.arn, CA1.account);
    expect(!none.allowed && none.denied).toBeUndefined();
    // a Deny whose condition excludes this CA does not deny it
    const other = deny({ Condition: { StringNotEquals: { 'aws:SourceArn': CA1.arn } } });
    expect(caCanWrite({ Statement: [delivery, other] }, BUCKET, CA1.arn, CA1.account).allowed).toBe(true);
  });

  it('issue 13 item 20: a grant to acm-pca without source conditions is a confused deputy', () => {
    const loose = {
      Sid: 'LegacyPcaWrite',
      Effect: 'Allow',
      Principal: { Service: 'acm-pca.amazonaws.com' },
      Action: ['s3:PutObject', 's3:GetBucketAcl'],
      Resource: ['arn:aws:s3:::audit-reports', 'arn:aws:s3:::audit-reports/*'],
    };
    expect(unconditionedServiceGrants({ Statement: [delivery] }, BUCKET)).toEqual([]);
    expect(unconditionedServiceGrants({ Statement: [delivery, loose] }, BUCKET)).toEqual(['LegacyPcaWrite']);
    // a single-object Statement, no Sid
    const { Sid: _, ...anonymous } = loose;
    expect(unconditionedServiceGrants({ Statement: anonymous }, BUCKET)).toEqual(['#1 (no Sid)']);
    // conditions that do not narrow the source: another key, IfExists, a wildcard value
    for (const Condition of [
      { Bool: { 'aws:SecureTransport': 'true' } },
      { StringEqualsIfExists: { 'aws:SourceAccount': CA1.account } },
      { StringLike: { 'aws:SourceArn': '*' } },
    ]) {
      expect(unconditionedServiceGrants({ Statement: [{ ...loose, Condition }] }, BUCKET)).toEqual([
        'LegacyPcaWrite',
      ]);
    }
    // either source key, or the organisation, narrows it
    for (const Condition of [
      { StringEquals: { 'AWS:SourceAccount': CA1.account } },
      { ArnLike: { 'aws:SourceArn': `arn:aws:acm-pca:eu-west-1:${CA1.account}:certificate-authority/*` } },
      { StringEquals: { 'aws:SourceOrgID': 'o-abc123' } },
    ]) {
      expect(unconditionedServiceGrants({ Statement: [{ ...loose, Condition }] }, BUCKET)).toEqual([]);
    }
    // another bucket, another service, a Deny: not this bucket's grant to acm-pca
    expect(
      unconditionedServiceGrants({ Statement: [{ ...loose, Resource: 'arn:aws:s3:::elsewhere/*' }] }, BUCKET),
    ).toEqual([]);
    expect(
      unconditionedServiceGrants(
        { Statement: [{ ...loose, Principal: { Service: 'logging.s3.amazonaws.com' } }] },
        BUCKET,
      ),
    ).toEqual([]);
    expect(unconditionedServiceGrants({ Statement: [{ ...loose, Effect: 'Deny' }] }, BUCKET)).toEqual([]);
  });
});
