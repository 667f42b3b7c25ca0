/**
 * `run`'s OCSP step for one CA: when DescribeCertificateAuthority says OCSP is enabled, each
 * certificate the night's diff found newly revoked (up to --ocsp-max, sampled beyond) is asked
 * about at the CA's responder, and each answer is verified and compared with NEW.
 */
import { AwsError } from '../aws/errors.js';
import type { CaArn } from '../core/ca-arn.js';
import { FINDING_SEVERITY, type Finding } from '../core/finding.js';
import { findingMessage } from '../core/finding-catalogue.js';
import { buildOcspRequest, type OcspIssuer, ocspIssuer, verifyOcspResponse } from '../core/reconcile/ocsp.js';
import {
  type OcspSummary,
  type OcspTarget,
  ocspFindings,
  ocspResponderUrl,
  selectOcspTargets,
} from '../core/reconcile/ocsp-check.js';
import type { CertificateRow } from '../core/report/report-model.js';
import type { OcspPostResult } from '../io/ocsp-client.js';
import type { CaReads } from './crl-step.js';
import type { RunContext } from './run-context.js';

/** What the step needs of the CA's OcspConfiguration. */
export interface OcspConfiguration {
  enabled: boolean;
  customCname?: string;
}

export interface OcspSettings {
  enabled: boolean;
  /** at most this many certificates asked per CA and night */
  max: number;
  /** PCA_AUDIT_OCSP_URL: a loopback responder instead of the CA's (tests) */
  urlOverride?: string;
  /** seconds per request */
  timeout: number;
  /** requests in flight at once */
  concurrency: number;
}

/** What the step needs from the outside; the real ones come from `ocspDepsOf`, tests inject fakes. */
export interface OcspStepDeps {
  describe(ca: CaArn): Promise<OcspConfiguration>;
  /** the CA's certificate, PEM */
  caCertificate(ca: CaArn): Promise<string>;
  post(url: string, request: Uint8Array): Promise<OcspPostResult>;
  /** epoch seconds */
  now(): number;
}

export interface OcspStepResult {
  findings: Finding[];
  /** absent when nothing was asked: no revocation in the window, or OCSP disabled for the CA */
  summary?: OcspSummary;
}

export async function ocspDepsOf(
  ctx: RunContext,
  settings: OcspSettings,
  reads?: CaReads,
): Promise<OcspStepDeps> {
  const [{ caReadsOnce }, { postOcsp }] = await Promise.all([
    import('./crl-step.js'),
    import('../io/ocsp-client.js'),
  ]);
  const ca = reads ?? caReadsOnce(ctx.aws);
  return {
    describe: async (arn) => {
      const c = await ca.describeRevocation(arn);
      return { enabled: c.ocspEnabled, ...(c.ocspCustomCname ? { customCname: c.ocspCustomCname } : {}) };
    },
    caCertificate: (arn) => ca.caCertificatePem(arn),
    post: (url, request) => postOcsp(url, request, { timeout: settings.timeout }),
    now: ctx.now,
  };
}

/** A CA whose configuration or certificate cannot be had: one warning, the night goes on. */
function caProblem(ca: CaArn, err: unknown): Finding {
  const detail =
    err instanceof AwsError
      ? `AWS ${err.operation} failed: ${err.errorName}: ${err.message}`
      : `the CA certificate cannot be read: ${(err as Error)?.message ?? String(err)}`;
  return {
    code: 'OCSP_UNREACHABLE',
    severity: FINDING_SEVERITY.OCSP_UNREACHABLE,
    message: findingMessage('OCSP_UNREACHABLE', { notChecked: detail }),
    evidence: { ocsp: { ca: ca.arn, status: 'unreachable', cause: 'aws', detail } },
  };
}

export async function checkRevocationsByOcsp(
  ca: CaArn,
  revoked: readonly CertificateRow[],
  settings: OcspSettings,
  propagationAllowance: number,
  deps: OcspStepDeps,
): Promise<OcspStepResult> {
  if (!settings.enabled || revoked.length === 0) return { findings: [] };
  let config: OcspConfiguration;
  let issuer: OcspIssuer;
  try {
    config = await deps.describe(ca);
    if (!config.enabled) return { findings: [] };
    issuer = await ocspIssuer(await deps.caCertificate(ca));
  } catch (err) {
    // AwsError, or a certificate that does not parse; anything else is a bug
    if (err instanceof Error) return { findings: [caProblem(ca, err)] };
    throw err;
  }
  const url = ocspResponderUrl(ca.region, config.customCname, settings.urlOverride);
  const selection = await selectOcspTargets(revoked, settings.max, deps.now());
  const perTarget: Finding[][] = new Array(selection.asked.length);
  let revokedAsExpected = 0;
  let next = 0;
  let sent = 0;
  // a responder that answers none of the first requests (network, timeout) is not asked the rest:
  // 100 timeouts would hold the night (and its lock) for minutes. Each certificate still gets its finding.
  const giveUpAfter = Math.max(1, settings.concurrency);
  let answered = 0;
  let failedInARow = 0;
  let gaveUp: OcspPostResult | undefined;
  const ask = async (target: OcspTarget): Promise<Finding[]> => {
    let answer: OcspPostResult;
    if (gaveUp && !gaveUp.ok) {
      answer = {
        ...gaveUp,
        detail: `not asked: the first ${giveUpAfter} requests to ${url} got no answer (${gaveUp.detail})`,
      };
    } else {
      sent++;
      answer = await deps.post(url, buildOcspRequest(issuer, target.hex));
      if (!answer.ok && (answer.cause === 'network' || answer.cause === 'timeout')) {
        failedInARow++;
        if (answered === 0 && failedInARow >= giveUpAfter) gaveUp ??= answer;
      } else {
        answered++;
        failedInARow = 0;
      }
    }
    const now = deps.now();
    const verdict = answer.ok ? await verifyOcspResponse(answer.body, issuer, target.hex, { now }) : answer;
    const found = ocspFindings(target, verdict, { now, propagationAllowance, url });
    if (found.length === 0) revokedAsExpected++;
    return found;
  };
  const worker = async () => {
    while (next < selection.asked.length) {
      const i = next++;
      perTarget[i] = await ask(selection.asked[i]!);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(settings.concurrency, selection.asked.length)) }, worker),
  );
  return {
    findings: perTarget.flat(),
    summary: {
      url,
      asked: sent,
      notAskedUnreachable: selection.asked.length - sent,
      revokedAsExpected,
      sampledOut: selection.sampledOut,
      expired: selection.expired,
      sampling: 'smallest SHA-256 of the serial',
    },
  };
}
