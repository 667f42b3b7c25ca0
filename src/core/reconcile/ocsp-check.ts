/**
 * What the OCSP answers about a night's revocations mean (pure): which certificates are asked
 * (bounded, sampled deterministically), and the findings each answer raises.
 */
import { FINDING_SEVERITY, type Finding } from '../finding.js';
import { findingMessage } from '../finding-catalogue.js';
import { formatInstant, parseInstant } from '../instant.js';
import type { CertificateRow } from '../report/report-model.js';
import { hexToOctets, octetsToHex, parseSerial } from '../report/serial.js';
import type { OcspAnswer } from './ocsp.js';

/** A certificate to ask about: its row in NEW and its canonical serial. */
export interface OcspTarget {
  row: CertificateRow;
  hex: string;
}

/** Why an answer could not be had: the transport's failures, or an unusable response. */
export type OcspFailure = {
  status: 'unreachable';
  cause: 'network' | 'timeout' | 'http' | 'aws';
  detail: string;
};

export interface OcspSelection {
  asked: OcspTarget[];
  /** revoked in the window, not asked: beyond --ocsp-max */
  sampledOut: number;
  /** revoked in the window, expired by now: a responder may forget them, so they are not asked */
  expired: number;
}

async function sha256Hex(hex: string): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', hexToOctets(hex)));
  return octetsToHex(digest, 0, digest.length);
}

/**
 * The newly revoked, unexpired certificates to ask about: all of them up to `max`; beyond it the
 * `max` whose serial octets have the smallest SHA-256 (the same choice every night for the same
 * set, spread over the set rather than its smallest or first serials). The rest are counted. A row
 * whose serial does not parse is an INVALID_RECORD already and is not asked about.
 */
export async function selectOcspTargets(
  revoked: readonly CertificateRow[],
  max: number,
  now: number,
): Promise<OcspSelection> {
  const live: OcspTarget[] = [];
  let expired = 0;
  for (const row of revoked) {
    const serial = parseSerial(row.serial);
    if (!serial.ok) continue;
    const notAfter = row.notAfter === undefined ? Number.NaN : parseInstant(row.notAfter);
    if (notAfter <= now) {
      expired++;
      continue;
    }
    live.push({ row, hex: serial.hex });
  }
  if (live.length <= max) return { asked: live, sampledOut: 0, expired };
  const keyed = await Promise.all(live.map(async (t) => ({ t, key: await sha256Hex(t.hex) })));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { asked: keyed.slice(0, max).map((k) => k.t), sampledOut: live.length - max, expired };
}

export interface OcspCheckOptions {
  /** epoch seconds, when the answers were had */
  now: number;
  /** AWS: an OCSP answer may take up to an hour to show a revocation; a good answer inside it is a warning */
  propagationAllowance: number;
  /** the responder's URL, for the evidence */
  url: string;
}

/** The counts a run shows for its OCSP checks. */
export interface OcspSummary {
  url: string;
  /** requests sent */
  asked: number;
  /** selected, but not asked: the responder had answered none of the first requests */
  notAskedUnreachable: number;
  revokedAsExpected: number;
  sampledOut: number;
  expired: number;
  /** how `sampledOut` were left out */
  sampling: 'smallest SHA-256 of the serial';
}

/** The findings of one answer (none when the responder says revoked, at the same second, for the same reason). */
export function ocspFindings(
  target: OcspTarget,
  answer: OcspAnswer | OcspFailure,
  options: OcspCheckOptions,
): Finding[] {
  const { row } = target;
  const evidence: Record<string, unknown> = {
    new: { line: row.line },
    ocsp: { url: options.url, status: answer.status },
  };
  const ocsp = evidence.ocsp as Record<string, unknown>;
  const expectedAt = row.revokedAt === undefined ? Number.NaN : parseInstant(row.revokedAt);
  const said = { reportReason: row.revocationReason, reportRevokedAt: row.revokedAt };
  switch (answer.status) {
    case 'unreachable':
    case 'unusable':
      Object.assign(ocsp, { cause: answer.cause, detail: answer.detail });
      return [
        {
          code: 'OCSP_UNREACHABLE',
          severity: FINDING_SEVERITY.OCSP_UNREACHABLE,
          serial: row.serial,
          message: findingMessage('OCSP_UNREACHABLE', { cause: answer.cause, detail: answer.detail }),
          evidence,
        },
      ];
    case 'signature-invalid':
      ocsp.detail = answer.detail;
      return [
        {
          code: 'OCSP_SIGNATURE_INVALID',
          severity: FINDING_SEVERITY.OCSP_SIGNATURE_INVALID,
          serial: row.serial,
          message: findingMessage('OCSP_SIGNATURE_INVALID', { detail: answer.detail }),
          evidence,
        },
      ];
    case 'good':
    case 'unknown': {
      Object.assign(ocsp, { signer: answer.signer, thisUpdate: formatInstant(answer.thisUpdate) });
      // AWS: "OCSP responses may take up to 60 minutes to reflect the new status"
      const recent = !Number.isNaN(expectedAt) && expectedAt > options.now - options.propagationAllowance;
      return [
        {
          code: 'OCSP_NOT_REVOKED',
          severity: recent ? 'warning' : FINDING_SEVERITY.OCSP_NOT_REVOKED,
          serial: row.serial,
          message: findingMessage('OCSP_NOT_REVOKED', { ...said, status: answer.status, recent }),
          evidence,
        },
      ];
    }
    case 'revoked': {
      Object.assign(ocsp, {
        signer: answer.signer,
        thisUpdate: formatInstant(answer.thisUpdate),
        revokedAt: formatInstant(answer.revokedAt),
        reason: answer.reason,
        reasonGiven: answer.reasonGiven,
      });
      const out: Finding[] = [];
      if (!Number.isNaN(expectedAt) && Math.floor(expectedAt) !== answer.revokedAt) {
        out.push({
          code: 'OCSP_NOT_REVOKED',
          severity: FINDING_SEVERITY.OCSP_NOT_REVOKED,
          serial: row.serial,
          message: findingMessage('OCSP_NOT_REVOKED', {
            ...said,
            ocspRevokedAt: formatInstant(answer.revokedAt),
          }),
          evidence,
        });
      }
      if (row.revocationReason !== undefined && row.revocationReason !== answer.reason) {
        out.push({
          code: 'OCSP_REASON_MISMATCH',
          severity: FINDING_SEVERITY.OCSP_REASON_MISMATCH,
          serial: row.serial,
          message: findingMessage('OCSP_REASON_MISMATCH', {
            ocspReason: answer.reason,
            reasonGiven: answer.reasonGiven,
            reportReason: row.revocationReason,
          }),
          evidence,
        });
      }
      return out;
    }
  }
}

/**
 * Where the CA's OCSP requests go: the test override (loopback only), else `http://<OcspCustomCname>`,
 * else AWS's regional responder (its URL in the certificates PCA issues with OCSP enabled).
 */
export function ocspResponderUrl(region: string, customCname?: string, override?: string): string {
  if (override) return override;
  if (customCname) return `http://${customCname.replace(/\/+$/, '')}`;
  return `http://ocsp.acm-pca.${region}.amazonaws.com`;
}

/** `PCA_AUDIT_OCSP_URL`: an http URL on a loopback address, or why not. */
export function parseOcspOverride(text: string): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'is not a URL' };
  }
  if (url.protocol !== 'http:') return { ok: false, reason: 'is not an http URL' };
  const host = url.hostname;
  if (!(host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)))
    return {
      ok: false,
      reason: 'is not on a loopback address (127.0.0.0/8, ::1, localhost): it is for tests',
    };
  return { ok: true, url: url.href.replace(/\/$/, '') };
}
