/**
 * The SDK clients, built once per run from the global flags. This layer is the only code that
 * imports @aws-sdk (design.md, "Layers"). Two SDK generations are installed (toolchain.md):
 * never import @smithy/* here, and compare errors by name, never by class.
 */
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';
import { AwsError, toAwsError } from './errors.js';

export interface AwsOptions {
  /** --region; else the CA ARN's Region where one is known; else the SDK's chain */
  region?: string;
  /** --endpoint-url: every service at one endpoint (AWS_ENDPOINT_URL_<SERVICE> also works) */
  endpointUrl?: string;
  retryMode: 'standard' | 'adaptive';
  maxAttempts: number;
}

export interface AwsClients {
  pca(region?: string): ACMPCAClient;
  s3(region?: string): S3Client;
  cloudtrail(region?: string): CloudTrailClient;
  /**
   * The settings every client is built with (Region, --endpoint-url, retries), for the clients of
   * the alert channels (SNS, Security Hub, CloudWatch), which are loaded only when a run uses them.
   */
  config(region?: string): ClientConfig;
  /**
   * Resolves the clients' credentials once (an AssumeRole for a target with a role), so that a role
   * AWS refuses fails its target with one error naming the role, before any other call.
   */
  ready(): Promise<void>;
}

/** A role the clients assume from the default chain's credentials (a target of `accounts`). */
export interface AssumedRole {
  roleArn: string;
  externalId?: string;
  sessionName?: string;
}

/** Credentials as every SDK generation takes them: a function resolving to the keys. */
type CredentialProvider = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}>;

export interface ClientConfig {
  region?: string;
  endpoint?: string;
  retryMode: 'standard' | 'adaptive';
  maxAttempts: number;
  /** absent: the SDK's default chain */
  credentials?: CredentialProvider;
}

const S3_ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'];

/**
 * The credentials of an assumed role: `fromTemporaryCredentials` with the default chain as master
 * credentials, its STS client built with the same Region, endpoint and retry settings as the other
 * clients (AWS_ENDPOINT_URL_STS also works). Kept until 5 minutes before they expire; a failure is
 * not kept, so the next call asks again.
 */
function assumedCredentials(role: AssumedRole, sts: Omit<ClientConfig, 'credentials'>): CredentialProvider {
  let current: ReturnType<CredentialProvider> | undefined;
  let provider: CredentialProvider | undefined;
  return () => {
    const fresh = async () => {
      if (!provider) {
        const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
        provider = fromTemporaryCredentials({
          params: {
            RoleArn: role.roleArn,
            RoleSessionName: role.sessionName ?? 'pca-audit',
            ...(role.externalId ? { ExternalId: role.externalId } : {}),
          },
          clientConfig: sts,
        });
      }
      return provider();
    };
    const expired = async (c: ReturnType<CredentialProvider>) => {
      const e = (await c).expiration;
      return e !== undefined && e.getTime() - 300_000 < Date.now();
    };
    const got = (async () => {
      if (current && !(await expired(current).catch(() => true))) return current;
      current = fresh();
      current.catch(() => {
        current = undefined;
      });
      return current;
    })();
    return got;
  };
}

/** An AssumeRole that failed (AWS refused it, or it got no answer), as one error naming the role (exit 3). */
export function assumeRoleError(roleArn: string, err: unknown): AwsError {
  const e = toAwsError('AssumeRole', err);
  return new AwsError(
    'AssumeRole',
    e.errorName,
    // AWS refused, or the call never got an answer (no network, no STS at the endpoint)
    e.errorName === 'NetworkError'
      ? `sts:AssumeRole of ${roleArn} could not be made: ${e.message}`
      : `refused by AWS: sts:AssumeRole of ${roleArn}: ${e.message}`,
    e.requestId,
    "let the central account's credentials assume the role (its trust policy, and sts:AssumeRole on it), and check the externalId",
  );
}

export function makeClients(
  options: AwsOptions,
  env: NodeJS.ProcessEnv = process.env,
  role?: AssumedRole,
): AwsClients {
  const cache = new Map<string, unknown>();
  const base = (region: string | undefined): Omit<ClientConfig, 'credentials'> => ({
    ...((region ?? options.region) ? { region: region ?? options.region } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
    retryMode: options.retryMode,
    maxAttempts: options.maxAttempts,
  });
  const credentials = role ? assumedCredentials(role, base(undefined)) : undefined;
  const common = (region: string | undefined): ClientConfig => ({
    ...base(region),
    ...(credentials ? { credentials } : {}),
  });
  const once = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  // a local S3 (moto, MinIO) answers path-style only and computes no new-style checksums
  const customS3 = Boolean(options.endpointUrl) || S3_ENDPOINT_VARIABLES.some((v) => Boolean(env[v]));
  return {
    config: common,
    ready: async () => {
      if (!credentials || !role) return;
      try {
        await credentials();
      } catch (err) {
        throw assumeRoleError(role.roleArn, err);
      }
    },
    pca: (region) => once(`pca:${region}`, () => new ACMPCAClient(common(region))),
    cloudtrail: (region) => once(`ct:${region}`, () => new CloudTrailClient(common(region))),
    s3: (region) =>
      once(
        `s3:${region}`,
        () =>
          new S3Client({
            ...common(region),
            followRegionRedirects: true,
            ...(customS3
              ? {
                  forcePathStyle: true,
                  requestChecksumCalculation: 'WHEN_REQUIRED',
                  responseChecksumValidation: 'WHEN_REQUIRED',
                }
              : {}),
          }),
      ),
  };
}
