/** The CRL against the newer report: every revocation a relying party must see, and nothing else. */
import type { Crl, CrlEntry } from './crl.js';
import { FINDING_SEVERITY, type Finding, type FindingCode, type FindingCollector } from './finding.js';
import { formatInstant } from './instant.js';
import {
  entrySerialHex,
  FLAG_DUPLICATE,
  FLAG_NO_SERIAL,
  FLAG_REVOKED,
  findSerialHex,
  lineOf,
  notAfterOf,
  type ReportIndex,
  reasonOf,
  revokedAtOf,
} from './report-index.js';
import { reasonName } from './revocation-reason.js';
import { formatSerial } from './serial.js';

export interface CrlCheckOptions {
  /** where the CRL was read, for evidence */
  source: string;
  /** when NEW was made (NaN: unknown); CRL entries revoked later cannot be in NEW */
  newCreatedAt: number;
  /** a revocation younger than this at the CRL's thisUpdate may not be on it yet */
  allowance: number;
}

/**
 * What a partitioned or delta CRL lets the check compare. A complete CRL has no scope: every
 * revoked, unexpired certificate of NEW must be on it.
 */
export interface CrlScope {
  kind: 'partition' | 'delta';
  /** the partition's distribution point name (issuingDistributionPoint) */
  distributionPoint?: string;
  onlyContainsUserCerts?: true;
  onlyContainsCACerts?: true;
  /** the only reasons the CRL covers */
  onlySomeReasons?: string[];
  /** a delta CRL: its base CRL's number */
  deltaOf?: string;
  /**
   * 'none': no CRL_MISSING_REVOCATION at all, since nothing in a report row says whether the CRL
   * covers the certificate; 'reasons-only': only for revocations with a reason the CRL covers
   */
  missingRevocationCheck: 'none' | 'reasons-only';
  /** revoked certificates of NEW not on the CRL that it may not cover, hence not checked */
  notCovered: number;
}

export interface CrlSummary {
  source: string;
  issuer: string;
  thisUpdate: string;
  nextUpdate?: string;
  crlNumber?: string;
  entries: number;
  /** revoked, unexpired certificates of NEW found on the CRL */
  matched: number;
  /** revoked in NEW too recently to be expected on this CRL, or expired before it */
  notExpected: number;
  /** CRL entries revoked after NEW was made */
  afterNewReport: number;
  /** present for a partitioned or delta CRL: what it covers, and so what was not checked */
  scope?: CrlScope;
}

/** The scope of a partitioned or delta CRL, undefined for a complete one. */
export function crlScope(crl: Crl): CrlScope | undefined {
  if (crl.deltaOf !== undefined) {
    // a delta lists only the changes since its base: an absent revocation may be on the base CRL
    return { kind: 'delta', deltaOf: crl.deltaOf, missingRevocationCheck: 'none', notCovered: 0 };
  }
  const p = crl.partition;
  if (p === undefined) return undefined;
  return {
    kind: 'partition',
    ...(p.distributionPoint === undefined ? {} : { distributionPoint: p.distributionPoint }),
    ...(p.onlyContainsUserCerts ? { onlyContainsUserCerts: true as const } : {}),
    ...(p.onlyContainsCACerts ? { onlyContainsCACerts: true as const } : {}),
    ...(p.onlySomeReasons === undefined ? {} : { onlySomeReasons: p.onlySomeReasons }),
    // a report row names the revocation's reason, but neither the certificate's partition (its
    // CRL distribution point) nor whether it is a CA certificate: only a reasons-only CRL can be
    // held to its missing revocations
    missingRevocationCheck:
      p.distributionPoint === undefined && !p.onlyContainsUserCerts && !p.onlyContainsCACerts
        ? 'reasons-only'
        : 'none',
    notCovered: 0,
  };
}

export function checkCrl(
  newIndex: ReportIndex,
  crl: Crl,
  findings: FindingCollector,
  options: CrlCheckOptions,
): CrlSummary {
  const add = (code: FindingCode, f: Omit<Finding, 'code' | 'severity'>) => {
    if (!findings.wants(code)) findings.count(code);
    else findings.add({ code, severity: FINDING_SEVERITY[code], ...f });
  };
  const summary: CrlSummary = {
    source: options.source,
    issuer: crl.issuer,
    thisUpdate: formatInstant(crl.thisUpdate),
    ...(crl.nextUpdate === undefined ? {} : { nextUpdate: formatInstant(crl.nextUpdate) }),
    ...(crl.crlNumber === undefined ? {} : { crlNumber: crl.crlNumber }),
    entries: crl.entries.length,
    matched: 0,
    notExpected: 0,
    afterNewReport: 0,
  };
  const scope = crlScope(crl);
  if (scope !== undefined) summary.scope = scope;
  const crlRef = (e?: CrlEntry) => ({
    source: options.source,
    thisUpdate: formatInstant(crl.thisUpdate),
    ...(e === undefined
      ? {}
      : {
          entry: { serial: formatSerial(e.serial), revokedAt: formatInstant(e.revokedAt), reason: e.reason },
        }),
  });
  const rowOf = (i: number) => ({
    report: newIndex.source,
    line: lineOf(newIndex, i),
    byte: newIndex.offset[i]!,
  });
  // each CRL entry, looked up in NEW's serial table: revoked in NEW (matched), or not
  const entryOf = new Int32Array(newIndex.count).fill(-1);
  const unknown: Array<[CrlEntry, number]> = [];
  crl.entries.forEach((e, k) => {
    const i = findSerialHex(newIndex, e.serial);
    if (i >= 0 && entryOf[i]! >= 0) return; // the same serial listed twice
    if (i >= 0 && (newIndex.flags[i]! & FLAG_REVOKED) !== 0) entryOf[i] = k;
    // a delta's removeFromCRL says the certificate is no longer revoked: consistent with NEW
    else if (scope?.kind === 'delta' && e.reason === 'REMOVE_FROM_CRL') return;
    else unknown.push([e, i]);
  });
  // every revoked certificate of NEW: on the CRL with its reason, or missing where it should be
  for (let i = 0; i < newIndex.count; i++) {
    const flags = newIndex.flags[i]!;
    if ((flags & FLAG_REVOKED) === 0 || (flags & (FLAG_NO_SERIAL | FLAG_DUPLICATE)) !== 0) continue;
    const reason = reasonName(reasonOf(newIndex, i));
    const entry = entryOf[i]! >= 0 ? crl.entries[entryOf[i]!] : undefined;
    if (entry !== undefined) {
      summary.matched++;
      if (reason !== undefined && entry.reason !== reason) {
        add('CRL_REASON_MISMATCH', {
          serial: formatSerial(entry.serial),
          message: `the CRL gives reason ${entry.reason}${entry.reasonGiven ? '' : ' (no reasonCode)'}, the new report ${reason}`,
          evidence: { crl: crlRef(entry), new: rowOf(i) },
        });
      }
      continue;
    }
    if (
      scope !== undefined &&
      (scope.missingRevocationCheck === 'none' ||
        reason === undefined ||
        !(scope.onlySomeReasons ?? []).includes(reason))
    ) {
      scope.notCovered++;
      continue;
    }
    const revokedAt = revokedAtOf(newIndex, i);
    const notAfter = notAfterOf(newIndex, i);
    // expired certificates may leave the CRL; a revocation younger than the allowance may not be on it yet
    const expectedOnCrl =
      !(notAfter <= crl.thisUpdate) &&
      !Number.isNaN(revokedAt) &&
      revokedAt <= crl.thisUpdate - options.allowance;
    if (!expectedOnCrl) {
      summary.notExpected++;
      continue;
    }
    add('CRL_MISSING_REVOCATION', {
      serial: formatSerial(entrySerialHex(newIndex, i)),
      message: `revoked in the new report (${reason ?? 'no reason'} at ${formatInstant(revokedAt)}), unexpired, but not on the CRL of ${formatInstant(crl.thisUpdate)}`,
      evidence: { crl: crlRef(), new: rowOf(i) },
    });
  }
  // entries NEW does not show revoked (those revoked after NEW was made cannot be in it)
  for (const [e, i] of unknown) {
    if (!Number.isNaN(options.newCreatedAt) && e.revokedAt > options.newCreatedAt) {
      summary.afterNewReport++;
      continue;
    }
    add('CRL_UNKNOWN_ENTRY', {
      serial: formatSerial(e.serial),
      message:
        i < 0
          ? `on the CRL (revoked at ${formatInstant(e.revokedAt)}), but not in the new report`
          : `on the CRL (revoked at ${formatInstant(e.revokedAt)}), but not revoked in the new report`,
      evidence: { crl: crlRef(e), ...(i < 0 ? {} : { new: rowOf(i) }) },
    });
  }
  return summary;
}
