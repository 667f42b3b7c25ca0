/** The revocation reasons an audit report may hold, in the API's order; the index + 1 is the code. */
export const REVOCATION_REASONS = [
  'UNSPECIFIED',
  'KEY_COMPROMISE',
  'CERTIFICATE_AUTHORITY_COMPROMISE',
  'AFFILIATION_CHANGED',
  'SUPERSEDED',
  'CESSATION_OF_OPERATION',
  'PRIVILEGE_WITHDRAWN',
  'A_A_COMPROMISE',
] as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** 0: no reason given; 1..8: REVOCATION_REASONS[code - 1]; INVALID_REASON: a value outside the enum. */
export const NO_REASON = 0;
export const INVALID_REASON = 255;

const REASON_BYTES = REVOCATION_REASONS.map((r) => new TextEncoder().encode(r));

export function reasonCodeOf(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  outer: for (let r = 0; r < REASON_BYTES.length; r++) {
    const candidate = REASON_BYTES[r]!;
    if (candidate.length !== len) continue;
    for (let i = 0; i < len; i++) if (candidate[i] !== bytes[start + i]) continue outer;
    return r + 1;
  }
  return INVALID_REASON;
}

export function reasonName(code: number): RevocationReason | undefined {
  return code >= 1 && code <= REVOCATION_REASONS.length ? REVOCATION_REASONS[code - 1] : undefined;
}

/** A CRLReason (RFC 5280 §5.3.1, CRLs and OCSP alike) in PCA's names, or CODE_n for one outside it. */
export type CrlReasonName = RevocationReason | 'CERTIFICATE_HOLD' | 'REMOVE_FROM_CRL' | `CODE_${number}`;

/** RFC 5280 CRLReason codes, in PCA's names (7 is unused). */
const CRL_REASON_CODES: Record<number, CrlReasonName> = {
  0: 'UNSPECIFIED',
  1: 'KEY_COMPROMISE',
  2: 'CERTIFICATE_AUTHORITY_COMPROMISE',
  3: 'AFFILIATION_CHANGED',
  4: 'SUPERSEDED',
  5: 'CESSATION_OF_OPERATION',
  6: 'CERTIFICATE_HOLD',
  8: 'REMOVE_FROM_CRL',
  9: 'PRIVILEGE_WITHDRAWN',
  10: 'A_A_COMPROMISE',
};

/** The name of a CRLReason code as a CRL entry or an OCSP answer carries it. */
export function crlReasonName(code: number): CrlReasonName {
  return CRL_REASON_CODES[code] ?? `CODE_${code}`;
}
