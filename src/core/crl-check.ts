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
