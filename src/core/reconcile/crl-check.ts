/** The CRL against the newer report: every revocation a relying party must see, and nothing else. */

import { type Finding, type FindingBody, type FindingCode, FindingCollector } from '../finding.js';
import { findingMessage } from '../finding-catalogue.js';
import { formatInstant } from '../instant.js';
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
} from '../report/report-index.js';
import { reasonName } from '../report/revocation-reason.js';
import { formatSerial } from '../report/serial.js';
import type { Crl, CrlEntry } from './crl.js';
import type { CrlVerification } from './crl-verify.js';

export interface CrlCheckOptions {
  /** where the CRL was read, for evidence */
  source: string;
  /** when NEW was made (NaN: unknown); CRL entries revoked later cannot be in NEW */
  newCreatedAt: number;
  /** a revocation younger than this at the CRL's thisUpdate may not be on it yet */
  allowance: number;
  /** the signature and issuer checks (crl-verify.ts); absent: not verified */
  verification?: CrlVerification;
  /** epoch seconds: the CRL's freshness is judged at this instant (absent: not judged) */
  now?: number;
  /**
   * seconds: a CRL whose thisUpdate is older than this at `now` is CRL_STALE (warning); absent, the
   * age PCA refreshes it by (crlRefreshAge)
   */
  maxAge?: number;
}

/** An hour beyond the refresh: PCA writes a CRL about 30 minutes late and retries every 15 minutes. */
const REFRESH_MARGIN = 3600;
/** A CRL without nextUpdate (not PCA's): a day and an hour, a nightly publisher's period. */
const NO_NEXT_UPDATE_MAX_AGE = 25 * 3600;

/**
 * The age by which a CRL should have been replaced, when --crl-max-age is not given. PCA refreshes
 * a CRL at half its validity (nextUpdate − thisUpdate, from ExpirationInDays) or on a revocation, so
 * a quiet CA's CRL of 7 days is legitimately 3.5 days old; a fixed day would warn every night.
 */
export function crlRefreshAge(crl: Pick<Crl, 'thisUpdate' | 'nextUpdate'>): number {
  if (crl.nextUpdate === undefined || crl.nextUpdate <= crl.thisUpdate) return NO_NEXT_UPDATE_MAX_AGE;
  return Math.floor((crl.nextUpdate - crl.thisUpdate) / 2) + REFRESH_MARGIN;
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
  /** 'verified' against the CA certificate, 'invalid', or 'not verified' (no CA certificate) */
  signature: CrlVerification['signature'];
  /** the CA certificate's subject, when one was given */
  caSubject?: string;
  /** set when the entries were not compared with NEW: why */
  notCompared?: string;
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
  const add = (code: FindingCode, f: FindingBody) => findings.offer(code, () => f);
  const summary: CrlSummary = {
    source: options.source,
    issuer: crl.issuer,
    thisUpdate: formatInstant(crl.thisUpdate),
    ...(crl.nextUpdate === undefined ? {} : { nextUpdate: formatInstant(crl.nextUpdate) }),
    ...(crl.crlNumber === undefined ? {} : { crlNumber: crl.crlNumber }),
    entries: crl.entries.length,
    signature: options.verification?.signature ?? 'not verified',
    ...(options.verification?.caSubject === undefined ? {} : { caSubject: options.verification.caSubject }),
    matched: 0,
    notExpected: 0,
    afterNewReport: 0,
  };
  const crlRef = (e?: CrlEntry) => ({
    source: options.source,
    thisUpdate: formatInstant(crl.thisUpdate),
    ...(e === undefined
      ? {}
      : {
          entry: { serial: formatSerial(e.serial), revokedAt: formatInstant(e.revokedAt), reason: e.reason },
        }),
  });
  if (!checkTrust(crl, options, add, crlRef)) {
    summary.notCompared = 'the CRL is not of this CA (CRL_ISSUER_MISMATCH)';
    return summary;
  }
  const scope = crlScope(crl);
  if (scope !== undefined) summary.scope = scope;
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
          message: findingMessage('CRL_REASON_MISMATCH', {
            crlReason: entry.reason,
            reasonGiven: entry.reasonGiven,
            reportReason: reason,
          }),
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
      message: findingMessage('CRL_MISSING_REVOCATION', {
        reason,
        revokedAt: formatInstant(revokedAt),
        thisUpdate: formatInstant(crl.thisUpdate),
      }),
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
      message: findingMessage('CRL_UNKNOWN_ENTRY', {
        revokedAt: formatInstant(e.revokedAt),
        inReport: i >= 0,
      }),
      evidence: { crl: crlRef(e), ...(i < 0 ? {} : { new: rowOf(i) }) },
    });
  }
  return summary;
}

/**
 * The CRL's own checks (signature, issuer, freshness, entries after thisUpdate) without a report to
 * compare its entries with: `run` on a night with no diff (a baseline, an unchanged report).
 */
export function crlTrustFindings(
  crl: Crl,
  options: Pick<CrlCheckOptions, 'source' | 'verification' | 'now' | 'maxAge'>,
  findingLimit: number,
): Finding[] {
  const findings = new FindingCollector(findingLimit);
  const add = (code: FindingCode, f: FindingBody) => findings.offer(code, () => f);
  const crlRef = (e?: CrlEntry) => ({
    source: options.source,
    thisUpdate: formatInstant(crl.thisUpdate),
    ...(e === undefined
      ? {}
      : {
          entry: { serial: formatSerial(e.serial), revokedAt: formatInstant(e.revokedAt), reason: e.reason },
        }),
  });
  checkTrust(crl, { ...options, newCreatedAt: Number.NaN, allowance: 0 }, add, crlRef);
  return findings.findings;
}

const duration = (s: number) =>
  s % 86400 === 0 ? `${s / 86400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;

/**
 * The CRL itself: the CA's signature and name, fresh, no entry from its future. Returns false when
 * its entries must not be compared with NEW (another issuer's CRL says nothing of this CA).
 */
function checkTrust(
  crl: Crl,
  options: CrlCheckOptions,
  add: (code: FindingCode, f: FindingBody) => void,
  crlRef: (e?: CrlEntry) => Record<string, unknown>,
): boolean {
  const v = options.verification;
  if (v?.signature === 'invalid') {
    add('CRL_SIGNATURE_INVALID', {
      message: findingMessage('CRL_SIGNATURE_INVALID', { problem: v.problem }),
      evidence: { crl: crlRef() },
    });
  }
  if (v?.issuerMatches === false) {
    add('CRL_ISSUER_MISMATCH', {
      message: findingMessage('CRL_ISSUER_MISMATCH', { issuer: crl.issuer, caSubject: v.caSubject ?? '' }),
      evidence: { crl: crlRef() },
    });
  }
  if (options.now !== undefined) {
    if (crl.nextUpdate !== undefined && options.now > crl.nextUpdate) {
      add('CRL_STALE', {
        message: findingMessage('CRL_STALE', {
          nextUpdate: formatInstant(crl.nextUpdate),
          thisUpdate: formatInstant(crl.thisUpdate),
        }),
        evidence: { crl: crlRef() },
      });
    } else if (options.now - crl.thisUpdate > (options.maxAge ?? crlRefreshAge(crl))) {
      const limit =
        options.maxAge === undefined
          ? `half its validity and an hour (${duration(crlRefreshAge(crl))}), by when PCA replaces it`
          : `--crl-max-age (${duration(options.maxAge)})`;
      add('CRL_STALE', {
        severity: 'warning',
        message: findingMessage('CRL_STALE', { thisUpdate: formatInstant(crl.thisUpdate), olderThan: limit }),
        evidence: { crl: crlRef() },
      });
    }
  }
  for (const e of crl.entries) {
    if (e.revokedAt <= crl.thisUpdate) continue;
    add('CRL_ENTRY_AFTER_THISUPDATE', {
      serial: formatSerial(e.serial),
      message: findingMessage('CRL_ENTRY_AFTER_THISUPDATE', {
        revokedAt: formatInstant(e.revokedAt),
        thisUpdate: formatInstant(crl.thisUpdate),
      }),
      evidence: { crl: crlRef(e) },
    });
  }
  return v?.issuerMatches !== false;
}
