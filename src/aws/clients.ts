/**
 * The SDK clients, built once per run from the global flags. This layer is the only code that
 * imports @aws-sdk (design.md, "Layers"). Two SDK generations are installed (toolchain.md):
 * never import @smithy/* here, and compare errors by name, never by class.
 */
import { ACMPCAClient } from '@aws-sdk/client-acm-pca';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { S3Client } from '@aws-sdk/client-s3';

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
}

export interface ClientConfig {
  region?: string;
  endpoint?: string;
  retryMode: 'standard' | 'adaptive';
  maxAttempts: number;
}

const S3_ENDPOINT_VARIABLES = ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'];

export function makeClients(options: AwsOptions, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const cache = new Map<string, unknown>();
  const common = (region: string | undefined): ClientConfig => ({
    ...((region ?? options.region) ? { region: region ?? options.region } : {}),
    ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
    retryMode: options.retryMode,
    maxAttempts: options.maxAttempts,
  });
  const once = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  // a local S3 (moto, MinIO) answers path-style only and computes no new-style checksums
  const customS3 = Boolean(options.endpointUrl) || S3_ENDPOINT_VARIABLES.some((v) => Boolean(env[v]));
  return {
    config: common,
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
