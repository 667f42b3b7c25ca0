/**
 * What the tests against the stand-in share: a PCA client on the emulator, a CA, certificates from
 * one CSR made by openssl, the emulator's clock, and the built CLI run on that clock.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACMPCAClient,
  CreateCertificateAuthorityCommand,
  IssueCertificateCommand,
} from '@aws-sdk/client-acm-pca';
import { type RunResult, runCli } from '../e2e/cli.js';
import { type AwsStack, isolatedEnv, readKnob, TEST_CREDENTIALS } from './aws-stack.js';

/** Keys as the SDK takes them (temporary ones with a session token). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface TestPca {
  client: ACMPCAClient;
  /** a new ROOT CA; its ARN */
  createCa(commonName?: string): Promise<string>;
  /** a certificate from the shared CSR; its serial as lowercase hex (from the ARN) */
  issue(ca: string, days?: number): Promise<string>;
}

/** A PCA client on the stand-in, and a CSR (key and request made by openssl in `dir`). */
export function testPca(
  stack: AwsStack,
  dir: string,
  subject = '/CN=svc-ledger.prod.example.internal/O=Example Corp/C=IE',
  /** another caller: its Region (where its CAs are made) and credentials (whose account they are) */
  as: { region?: string; credentials?: AwsCredentials } = {},
): TestPca {
  const csrPath = join(dir, 'req.csr');
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-subj',
      subject,
      '-out',
      csrPath,
    ],
    {
      stdio: 'ignore',
    },
  );
  const csr = readFileSync(csrPath);
  const client = new ACMPCAClient({
    region: as.region ?? stack.region,
    endpoint: stack.emulatorUrl,
    credentials: as.credentials ?? TEST_CREDENTIALS,
  });
  return {
    client,
    async createCa(commonName = 'Example Test Root') {
      const r = await client.send(
        new CreateCertificateAuthorityCommand({
          CertificateAuthorityType: 'ROOT',
          CertificateAuthorityConfiguration: {
            KeyAlgorithm: 'RSA_2048',
            SigningAlgorithm: 'SHA256WITHRSA',
            Subject: { CommonName: commonName, Organization: 'Example Corp' },
          },
        }),
      );
      return r.CertificateAuthorityArn!;
    },
    async issue(ca, days = 90) {
      const r = await client.send(
        new IssueCertificateCommand({
          CertificateAuthorityArn: ca,
          Csr: csr,
          SigningAlgorithm: 'SHA256WITHRSA',
          Validity: { Type: 'DAYS', Value: days },
        }),
      );
      return r.CertificateArn!.split('/').pop()!;
    },
  };
}

/** The emulator's clock, epoch seconds. */
export async function emulatorNow(stack: AwsStack): Promise<number> {
  return (await readKnob<{ now: number }>(stack, 'clock')).now;
}

/** The built CLI in the stack's environment, its clock (PCA_AUDIT_NOW) set to the emulator's. */
export async function cliOnStack(
  stack: AwsStack,
  args: string[],
  extra: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<RunResult> {
  const now = String(await emulatorNow(stack));
  return runCli(args, { env: isolatedEnv(stack, { PCA_AUDIT_NOW: now, ...extra }), timeoutMs });
}

/** `e8cbd2` → `e8:cb:d2` */
export const colon = (hex: string): string => hex.match(/../g)!.join(':');

/** A CA's directory in a `run` state (layout 2: cas/<account>/<region>/<CA_ID>/). */
export function caStateDir(state: string, caArn: string): string {
  const [, , , region, account, resource] = caArn.split(':');
  return join(state, 'cas', account!, region!, resource!.split('/').pop()!);
}
