/**
 * `run`'s CRL step (issue 15 item 3): the CA's own CRL, where its RevocationConfiguration says PCA
 * writes it, read and verified against the CA's certificate, for the diff to check against NEW with
 * the existing codes. A CA that publishes neither CRL nor OCSP, and a CRL that is not there or not
 * readable, are findings of their own.
 */
import type { AwsClients } from '../aws/clients.js';
import type { CaArn } from '../core/ca-arn.js';
import type { Finding } from '../core/finding.js';
import { formatInstant } from '../core/instant.js';
import { CrlError } from '../core/reconcile/crl.js';
import {
  type CheckedCrl,
  crlLocation,
  crlMissing,
  locationText,
  noRevocationPublished,
  type RevocationConfig,
  unionOfPartitions,
} from '../core/reconcile/crl-location.js';
import { CaCertificateError, verifyCrl } from '../core/reconcile/crl-verify.js';
import { crlSignatureText } from '../core/render/text.js';

export interface RevocationSources {
  /** NO_REVOCATION_PUBLISHED, CRL_MISSING */
  findings: Finding[];
  /** the CRL (a partitioned CA's partitions as one), verified, for the diff */
  crl?: CheckedCrl;
  /** for the run's notes */
  notes: string[];
}

/** The AWS reads the step makes; injected so the step is tested with fakes. */
export interface CrlStepDeps {
  describeRevocation(ca: CaArn): Promise<RevocationConfig>;
  caCertificate(ca: CaArn): Promise<Uint8Array>;
  /** undefined: no such object */
  getObject(ca: CaArn, bucket: string, key: string): Promise<Uint8Array | undefined>;
  listCrlKeys(ca: CaArn, bucket: string, prefix: string): Promise<string[]>;
}

/** What the CRL and OCSP steps read of a CA: its RevocationConfiguration and its certificate (PEM). */
export interface CaReads {
  describeRevocation(ca: CaArn): Promise<RevocationConfig>;
  caCertificatePem(ca: CaArn): Promise<string>;
}

/**
 * The CA reads made once per CA and run, however many steps ask (the CRL step, then the OCSP step):
 * DescribeCertificateAuthority and GetCertificateAuthorityCertificate are not called twice a night.
 */
export function caReadsOnce(clients: () => Promise<AwsClients>): CaReads {
  const aws = () => Promise.all([clients(), import('../aws/crl.js')]);
  const memo = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let p = memo.get(key) as Promise<T> | undefined;
    if (p === undefined) {
      p = read();
      memo.set(key, p);
    }
    return p;
  };
  return {
    describeRevocation: (ca) =>
      once(`describe ${ca.arn}`, async () => {
        const [c, m] = await aws();
        return m.describeRevocation(c.pca(ca.region), ca.arn);
      }),
    caCertificatePem: (ca) =>
      once(`certificate ${ca.arn}`, async () => {
        const [c, m] = await aws();
        return m.caCertificatePem(c.pca(ca.region), ca.arn);
      }),
  };
}

export function awsCrlStepDeps(
  clients: () => Promise<AwsClients>,
  reads: CaReads = caReadsOnce(clients),
): CrlStepDeps {
  const aws = () => Promise.all([clients(), import('../aws/crl.js')]);
  return {
    describeRevocation: (ca) => reads.describeRevocation(ca),
    caCertificate: async (ca) => new TextEncoder().encode(await reads.caCertificatePem(ca)),
    // the CRL bucket may be another than the report bucket; PCA puts it in the CA's Region
    getObject: async (ca, bucket, key) => {
      const [c, m] = await aws();
      return m.getCrlObject(c.s3(ca.region), bucket, key);
    },
    listCrlKeys: async (ca, bucket, prefix) => {
      const [c, m] = await aws();
      return m.listCrlKeys(c.s3(ca.region), bucket, prefix);
    },
  };
}

export async function fetchRevocationSources(ca: CaArn, deps: CrlStepDeps): Promise<RevocationSources> {
  const config = await deps.describeRevocation(ca);
  const location = crlLocation(ca.id, config);
  if (location === undefined) {
    if (!config.ocspEnabled) return { findings: [noRevocationPublished(ca.arn)], notes: [] };
    return { findings: [], notes: ['CRLs are disabled (OCSP only): no CRL checked'] };
  }
  const keys =
    location.kind === 'complete'
      ? [location.key]
      : await deps.listCrlKeys(ca, location.bucket, location.prefix);
  if (keys.length === 0) {
    return { findings: [crlMissing(location, 'no partition CRL is in the bucket')], notes: [] };
  }
  const { caCertificateFromBytes, crlFromBytes } = await import('../io/crl-source.js');
  let cert: ReturnType<typeof caCertificateFromBytes>;
  try {
    cert = caCertificateFromBytes(await deps.caCertificate(ca));
  } catch (err) {
    if (err instanceof CaCertificateError) {
      throw new CaCertificateError(`GetCertificateAuthorityCertificate of ${ca.arn}: ${err.message}`);
    }
    throw err;
  }
  const parts: CheckedCrl[] = [];
  for (const key of keys) {
    const source = `s3://${location.bucket}/${key}`;
    const bytes = await deps.getObject(ca, location.bucket, key);
    if (bytes === undefined) return { findings: [crlMissing(location, `${source} is not there`)], notes: [] };
    let doc: ReturnType<typeof crlFromBytes>;
    try {
      doc = crlFromBytes(bytes);
    } catch (err) {
      // for relying parties an unreadable CRL is no CRL
      if (!(err instanceof CrlError)) throw err;
      return { findings: [crlMissing(location, `${source} is not a CRL (${err.message})`)], notes: [] };
    }
    parts.push({ source, crl: doc.crl, verification: await verifyCrl(doc, cert) });
  }
  const crl =
    location.kind === 'complete'
      ? parts[0]!
      : unionOfPartitions(
          parts,
          `${locationText(location)} (${parts.length} partition${parts.length === 1 ? '' : 's'})`,
        );
  return { findings: [], crl, notes: [crlNote(crl)] };
}

/** What was checked, for the night's notes: where the CRL came from, its dates, size and signature. */
export function crlNote(c: CheckedCrl): string {
  const next =
    c.crl.nextUpdate === undefined ? 'no nextUpdate' : `nextUpdate ${formatInstant(c.crl.nextUpdate)}`;
  const n = c.crl.entries.length;
  return `CRL ${c.source}: thisUpdate ${formatInstant(c.crl.thisUpdate)}, ${next}, ${n} entr${n === 1 ? 'y' : 'ies'}, ${crlSignatureText(c.verification.signature)}`;
}
