/**
 * What the emulated PCA tells the world besides its answers: IssueCertificateDetails service events
 * (CloudTrail, to the CA owner and the requester) and PCA's native EventBridge events (source
 * aws.acm-pca). The service hands them to the HTTP shell, which records or writes them.
 */
import { randomUUID } from 'node:crypto';
import { formatInstant } from '../core/instant.js';

export const PCA_EVENTBRIDGE_SOURCE = 'aws.acm-pca';

export type PcaEventDetailType =
  | 'ACM Private CA Certificate Issuance'
  | 'ACM Private CA Certificate Revocation'
  | 'ACM Private CA CRL Generation'
  | 'ACM Private CA Audit Report Generation'
  | 'ACM Private CA Certificate Authority Creation';

export type Notice =
  | {
      kind: 'issue-details';
      /** epoch seconds */
      time: number;
      caArn: string;
      certificateArn: string;
      /** the CA's account */
      owner: string;
      /** the caller's account */
      requester: string;
      /** serviceEventDetails as AWS writes them */
      details: Record<string, string>;
    }
  | {
      /** a service event without per-certificate details (GenerateCRL, SignCRL), in the owner's trail */
      kind: 'service-event';
      time: number;
      eventName: string;
      caArn: string;
      owner: string;
    }
  | {
      kind: 'eventbridge';
      time: number;
      /** the CA owner's account: the bus the event is put on */
      account: string;
      detailType: PcaEventDetailType;
      resources: string[];
      result: 'success' | 'failure';
      reason?: string;
    };

/** Who is calling: the account (from the access key id), and the notices the call gives. */
export interface Caller {
  account: string;
  /** the Region of the request's SigV4 credential scope (else the emulator's --region) */
  region: string;
  notices: Notice[];
}

export interface PcaEventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': PcaEventDetailType;
  source: typeof PCA_EVENTBRIDGE_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { result: 'success' | 'failure'; reason?: string };
}

/** PCA's own EventBridge event: `id`/`time`, resources[0] the CA, `detail.result` (and `reason`). */
export function buildPcaEvent(
  n: Extract<Notice, { kind: 'eventbridge' }>,
  region: string,
  id: string = randomUUID(),
): PcaEventBridgeEvent {
  return {
    version: '0',
    id,
    'detail-type': n.detailType,
    source: PCA_EVENTBRIDGE_SOURCE,
    account: n.account,
    time: formatInstant(Math.floor(n.time)),
    region,
    resources: n.resources,
    detail: { result: n.result, ...(n.reason === undefined ? {} : { reason: n.reason }) },
  };
}
