/**
 * The finding catalogue: every finding code pca-audit can emit, its severity, its one-line meaning
 * (the README's findings table is generated from it: scripts/update-readme.mjs, checked by
 * test/unit/finding-catalogue.test.ts) and the builder of its message. Codes are a contract: tests,
 * acknowledgements and users key on them (design.md). The order here is the README table's.
 *
 * Builders take values already formatted for display (instants, serials, durations): the wording
 * lives here, the formatting where the values are.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface CatalogueEntry<P> {
  /** the severity a finding of this code has unless its builder's caller says otherwise */
  readonly severity: Severity;
  /** one line for the README's findings table (Markdown) */
  readonly meaning: string;
  readonly message: (p: P) => string;
}

const entry = <P = void>(
  severity: Severity,
  meaning: string,
  message: (p: P) => string,
): CatalogueEntry<P> => ({ severity, meaning, message });

/** how long a field's value may be inside a message (the evidence keeps it whole) */
const clip = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** what the new report says of a revocation, for the OCSP messages */
const reportSays = (p: { reportReason?: string | undefined; reportRevokedAt?: string | undefined }) =>
  `the new report says ${p.reportReason ?? 'revoked'} at ${p.reportRevokedAt ?? 'an unknown time'}`;

const eventFailed = (p: { eventName: string; at: string; why?: string | undefined }) =>
  `${p.eventName} of this CA failed at ${p.at}${p.why === undefined ? '' : `: ${p.why}`}`;

interface RevokeEvent {
  actor: string;
  at: string;
  /** ` (… before the new report was made)`, or '' without the new report's time */
  age: string;
  /** within the propagation allowance */
  young: boolean;
}

export const FINDING_CATALOGUE = {
  DUPLICATE_SERIAL: entry(
    'error',
    'a serial appears twice in one report (also when written differently)',
    (p: { serial: string; line: number; firstLine: number }) =>
      `serial ${p.serial} appears again on line ${p.line} (first on line ${p.firstLine})`,
  ),
  SERIAL_ARN_MISMATCH: entry(
    'error',
    "the `certificateArn` does not end in the row's serial",
    (p: { arnSerial: string; serial: string }) =>
      `certificateArn ends in ${p.arnSerial}, not the serial ${p.serial}`,
  ),
  FOREIGN_CA: entry(
    'error',
    "the `certificateArn` names another CA than the report's (`--ca`, else the CA most rows name)",
    (p: { other: string; expected: string }) => `certificateArn names ${p.other}, not ${p.expected}`,
  ),
  INVALID_RECORD: entry(
    'error',
    'a field cannot be parsed (line and field given); the row still counts',
    (p: { line: number; field: string; value?: string | undefined; what: string }) =>
      `line ${p.line}, field ${p.field}: ${p.value === undefined ? '' : `${JSON.stringify(clip(p.value))} `}${p.what}`,
  ),
  REVOCATION_INCOMPLETE: entry(
    'warning',
    'a revocation reason without a time, or a time without a reason',
    (p: { revokedAt: string; reason?: undefined } | { reason: string; revokedAt?: undefined }) =>
      p.revokedAt !== undefined
        ? `revoked at ${p.revokedAt} without a revocationReason`
        : `revocationReason ${p.reason} without a revokedAt`,
  ),
  VALIDITY_INVERTED: entry(
    'warning',
    '`notBefore` after `notAfter`',
    (p: { notBefore: string; notAfter: string }) =>
      `notBefore ${p.notBefore} is after notAfter ${p.notAfter}`,
  ),
  CERTIFICATE_DISAPPEARED: entry(
    'error',
    'in OLD, missing from NEW (nothing ever leaves a report)',
    () => 'in the old report, missing from the new one',
  ),
  CERTIFICATE_UNREVOKED: entry(
    'error',
    'revoked in OLD, not in NEW',
    (p: { was: string }) => `revoked in the old report (${p.was}), not in the new one`,
  ),
  CERTIFICATE_CHANGED: entry(
    'error',
    'an immutable field changed (one finding per field, old and new values)',
    (p: { field: string; from: string; to: string }) => `${p.field} changed from ${p.from} to ${p.to}`,
  ),
  REVOCATION_CHANGED: entry(
    'error',
    'the time or reason of an existing revocation changed',
    (p: { from: string; to: string }) => `revocation changed from ${p.from} to ${p.to}`,
  ),
  LATE_ISSUANCE: entry(
    'warning',
    'new in NEW, but issued before OLD was made',
    (p: { issuedAt: string; oldCreatedAt: string }) =>
      `new in the new report, but issued at ${p.issuedAt}, before the old report was made (${p.oldCreatedAt})`,
  ),
  REVOKED_WITHOUT_EVENT: entry(
    'error',
    "newly revoked in NEW, but no successful RevokeCertificate call (or PCA's Certificate Revocation event) of this CA for it in the sources",
    (p: { reason?: string | undefined; revokedAt?: string | undefined }) =>
      `revoked in the new report (${p.reason ?? 'no reason'} at ${p.revokedAt ?? 'an unknown time'}), but no successful RevokeCertificate call of this CA for it in the sources`,
  ),
  EVENT_WITHOUT_REVOCATION: entry(
    'error',
    'a successful RevokeCertificate in the window, but the certificate is not revoked in NEW (warning within `--propagation-allowance` of NEW)',
    (p: RevokeEvent) =>
      `revoked by ${p.actor} at ${p.at}${p.age}, not revoked in the new report${p.young ? ' (within the propagation allowance)' : ''}`,
  ),
  EVENT_FOR_UNKNOWN_CERTIFICATE: entry(
    'error',
    'a successful RevokeCertificate in the window of a serial in neither report (warning within the allowance)',
    (p: RevokeEvent) =>
      `revoked by ${p.actor} at ${p.at}${p.age}, but in neither report${p.young ? ' (may not be in the report yet)' : ''}`,
  ),
  REVOCATION_REASON_MISMATCH: entry(
    'error',
    "the call's revocation reason differs from NEW's",
    (p: { actor: string; eventReason: string; reportReason: string }) =>
      `revoked by ${p.actor} with reason ${p.eventReason}, the new report says ${p.reportReason}`,
  ),
  REVOCATION_TIME_MISMATCH: entry(
    'warning',
    "the call and NEW's `revokedAt` are more than `--time-tolerance` apart",
    (p: {
      /** the name of PCA's EventBridge event, when that (not a call) is the evidence */
      pcaEvent?: string | undefined;
      at: string;
      revokedAt: string;
      apart: string;
    }) =>
      `${p.pcaEvent === undefined ? 'RevokeCertificate called at' : `${p.pcaEvent} event at`} ${p.at}, the new report says revoked at ${p.revokedAt} (${p.apart} apart)`,
  ),
  ISSUED_WITHOUT_EVENT: entry(
    'error',
    'new in NEW, issued while the sources were recording, but no IssueCertificate call, ISSUED IssueCertificateDetails or Certificate Issuance event for it',
    (p: { issuedAt: string }) =>
      `new in the new report, issued at ${p.issuedAt}, but no successful IssueCertificate call of this CA for it in the sources`,
  ),
  ISSUANCE_MISMATCH: entry(
    'error',
    'a row of NEW differs from the IssueCertificateDetails of its serial in subject, notBefore, notAfter, issuedAt or templateArn (one finding per field, both values given; instants compared as instants, subjects after normalisation), or that event says FAILED',
    (
      p:
        | { field: string; reportValue: string; eventValue: string; status?: undefined }
        | { status: string; statusReason?: string | undefined },
    ) =>
      p.status === undefined
        ? `${p.field} differs: the new report says ${p.reportValue}, IssueCertificateDetails says ${p.eventValue}`
        : `in the new report, but IssueCertificateDetails says ${p.status}${p.statusReason === undefined ? '' : `: ${p.statusReason}`}`,
  ),
  REVOKE_ATTEMPT_FAILED: entry(
    'info',
    'a RevokeCertificate call in the window failed (its `errorCode` given)',
    (p: { eventName: string; actor: string; error: string; why?: string | undefined }) =>
      `${p.eventName} by ${p.actor} failed with ${p.error}${p.why ? `: ${p.why}` : ''}`,
  ),
  EVENT_UNMATCHABLE: entry(
    'info',
    "an event that cannot be tied to a serial (ACM's RevokeCertificate names an ACM ARN; an unreadable serial)",
    (p: { eventSource: string; eventName: string; actor: string; at: string; why: string }) =>
      `${p.eventSource} ${p.eventName} by ${p.actor} at ${p.at}: ${p.why}`,
  ),
  CRL_GENERATION_FAILED: entry(
    'error',
    'a CRL Generation event (`detail.result: failure`, its `detail.reason` given) or a failed GenerateCRL of this CA in the window',
    eventFailed,
  ),
  AUDIT_REPORT_GENERATION_FAILED: entry(
    'warning',
    'an Audit Report Generation event of this CA in the window failed (a report is missing, not wrong)',
    eventFailed,
  ),
  CRL_MISSING_REVOCATION: entry(
    'error',
    'revoked and unexpired in NEW, old enough to be on the CRL, but not on it',
    (p: { reason?: string | undefined; revokedAt: string; thisUpdate: string }) =>
      `revoked in the new report (${p.reason ?? 'no reason'} at ${p.revokedAt}), unexpired, but not on the CRL of ${p.thisUpdate}`,
  ),
  CRL_UNKNOWN_ENTRY: entry(
    'error',
    'on the CRL, but not revoked in NEW',
    (p: { revokedAt: string; inReport: boolean }) =>
      `on the CRL (revoked at ${p.revokedAt}), but not ${p.inReport ? 'revoked ' : ''}in the new report`,
  ),
  CRL_REASON_MISMATCH: entry(
    'warning',
    "the CRL entry's reason differs from NEW's",
    (p: { crlReason: string; reasonGiven: boolean; reportReason: string }) =>
      `the CRL gives reason ${p.crlReason}${p.reasonGiven ? '' : ' (no reasonCode)'}, the new report ${p.reportReason}`,
  ),
  CRL_SIGNATURE_INVALID: entry(
    'error',
    "the CRL's signature does not verify with the CA certificate's key (`--ca-certificate`; in `run`, GetCertificateAuthorityCertificate)",
    (p: { problem?: string | undefined }) =>
      `the CRL's signature does not verify with the CA certificate's key${p.problem ? ` (${p.problem})` : ''}: relying parties reject it, so for them it revokes nothing`,
  ),
  CRL_ISSUER_MISMATCH: entry(
    'error',
    "the CRL's issuer is not the CA certificate's subject; its entries are then not compared",
    (p: { issuer: string; caSubject: string }) =>
      `the CRL's issuer "${p.issuer}" is not the CA certificate's subject "${p.caSubject}": its entries are not compared`,
  ),
  CRL_STALE: entry(
    'error',
    "the CRL's nextUpdate has passed (warning: its thisUpdate is older than `--crl-max-age`, by default half its validity and an hour)",
    (
      p:
        | { nextUpdate: string; thisUpdate: string }
        | { thisUpdate: string; olderThan: string; nextUpdate?: undefined },
    ) =>
      p.nextUpdate !== undefined
        ? `nextUpdate ${p.nextUpdate} has passed (thisUpdate ${p.thisUpdate}): relying parties that check it reject the CRL`
        : `thisUpdate ${p.thisUpdate} is older than ${p.olderThan}: the CA may have stopped publishing`,
  ),
  CRL_ENTRY_AFTER_THISUPDATE: entry(
    'warning',
    "a CRL entry revoked after the CRL's own thisUpdate",
    (p: { revokedAt: string; thisUpdate: string }) =>
      `revoked at ${p.revokedAt}, after the CRL's thisUpdate ${p.thisUpdate}: a CRL cannot list a later revocation (a wrong clock, or not made by the CA)`,
  ),
  CRL_MISSING: entry(
    'error',
    '(`run`) CRLs are enabled, but the CRL object is not in the CRL bucket, or is not a CRL',
    (p: { why: string }) => `CRLs are enabled, but ${p.why}: relying parties cannot fetch a CRL`,
  ),
  NO_REVOCATION_PUBLISHED: entry(
    'warning',
    '(`run`) the CA publishes neither a CRL nor OCSP: nobody can learn of its revocations',
    () =>
      'the CA publishes neither a CRL nor OCSP (RevocationConfiguration): no relying party can learn of its revocations',
  ),
  OCSP_NOT_REVOKED: entry(
    'error',
    "(`run`) the CA's OCSP responder answers good or unknown for a certificate revoked in NEW, or gives another revocation time (to the second); a warning while the revocation is younger than `--propagation-allowance`",
    (
      p: { reportReason?: string | undefined; reportRevokedAt?: string | undefined } & (
        | { status: string; recent: boolean; ocspRevokedAt?: undefined }
        | { ocspRevokedAt: string }
      ),
    ) =>
      p.ocspRevokedAt === undefined
        ? `OCSP answers ${p.status} for a revoked certificate; ${reportSays(p)}${p.recent ? ' (within the propagation allowance)' : ''}`
        : `OCSP says revoked at ${p.ocspRevokedAt}; ${reportSays(p)}`,
  ),
  OCSP_REASON_MISMATCH: entry(
    'warning',
    "(`run`) the OCSP answer's revocation reason differs from NEW's",
    (p: { ocspReason: string; reasonGiven: boolean; reportReason: string }) =>
      `OCSP gives reason ${p.ocspReason}${p.reasonGiven ? '' : ' (no revocationReason)'}, the new report ${p.reportReason}`,
  ),
  OCSP_UNREACHABLE: entry(
    'warning',
    "(`run`) no usable OCSP answer: network error, timeout, HTTP error, a refusal (`tryLater`, …), a malformed or stale response, or the CA's OCSP configuration could not be read (`evidence.ocsp.cause` says which)",
    (p: { cause: string; detail: string } | { cause?: undefined; notChecked: string }) =>
      p.cause !== undefined
        ? `no usable OCSP answer (${p.cause}): ${p.detail}`
        : `OCSP not checked: ${p.notChecked}`,
  ),
  OCSP_SIGNATURE_INVALID: entry(
    'error',
    "(`run`) the OCSP answer is signed neither by the CA's key nor by a responder certificate the CA issued with `id-kp-OCSPSigning`, or its signature does not verify",
    (p: { detail: string }) => `the OCSP answer is not to be trusted: ${p.detail}`,
  ),
  HISTORY_TAMPERED: entry(
    'error',
    '(`run`) a stored checkpoint or kept report no longer matches the hash chain',
    (p: { problem: string } | { problem?: undefined; checkpointMissing: string }) =>
      p.problem !== undefined
        ? p.problem
        : `the checkpoint is missing, though the CA has history (${p.checkpointMissing}): deleted?`,
  ),
  REPORT_STALE: entry(
    'error',
    '(`run`) no successful report of the CA for more than `--max-report-age` (default 36 h), failed nights included (no serial; the CA in the evidence)',
    (
      p: ({ newest: string; firstTried?: undefined } | { firstTried: string; newest?: undefined }) & {
        maxAge: string;
      },
    ) =>
      `${
        p.newest !== undefined
          ? `no successful audit report of this CA since ${p.newest}`
          : `no successful audit report of this CA since the job first tried it, at ${p.firstTried}`
      }, more than ${p.maxAge} (--max-report-age): certificates issued or revoked since are not audited`,
  ),
  AUDIT_REPORT_FAILED: entry(
    'error',
    "(`run`) the CA's report of the night ended `FAILED`, with the diagnosis of why",
    (p: { status: string; causes: readonly string[] }) =>
      `the CA's audit report ended ${p.status}: ${p.causes.length > 0 ? p.causes.join('; ') : 'no cause found in the bucket settings (check the CA status and your own permissions)'}`,
  ),
  CLOUDTRAIL_GAP: entry(
    'warning',
    "the CloudTrail sources do not cover part of the window: a trail bucket without a log file of the CA's account and Region for more than an hour of it, or a window starting more than 90 days ago with `lookup` (the message gives the uncovered span and the source)",
    (p: {
      reason: 'lookup-retention' | 'no-trail-file';
      source: string;
      account: string;
      region: string;
      from: string;
      to: string;
      span: string;
    }) =>
      p.reason === 'lookup-retention'
        ? `LookupEvents keeps 90 days: ${p.from} → ${p.to} (${p.span}) of the window is not covered (account ${p.account}, ${p.region})`
        : `${p.source}: no log file of account ${p.account} in ${p.region} from ${p.from} to ${p.to} (${p.span}): events of that span may be missing`,
  ),
} as const;

export type FindingCode = keyof typeof FINDING_CATALOGUE;

/** The parameters of a code's message builder. */
export type MessageParams<C extends FindingCode> = Parameters<(typeof FINDING_CATALOGUE)[C]['message']>[0];

export const FINDING_CODES = Object.keys(FINDING_CATALOGUE) as readonly FindingCode[];

/** The message of a finding of `code`, worded as the catalogue says. */
export function findingMessage<C extends FindingCode>(
  code: C,
  ...p: Parameters<(typeof FINDING_CATALOGUE)[C]['message']>
): string {
  return (FINDING_CATALOGUE[code].message as (p: unknown) => string)(p[0]);
}

/** The README's findings table (Markdown), one row per code, in catalogue order. */
export function findingsTable(): string {
  const rows = FINDING_CODES.map((code) => {
    const e = FINDING_CATALOGUE[code];
    return `| \`${code}\` | ${e.severity} | ${e.meaning} |`;
  });
  return `${['| code | severity | meaning |', '| --- | --- | --- |', ...rows].join('\n')}\n`;
}
