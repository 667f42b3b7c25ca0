/**
 * The field table: each field of an audit report row, how each format names it, and how the tool
 * treats it. One row a field, in the CSV column order of reports since March 2020 (the order of
 * `FIELD_NAMES` in audit-record.ts, which a test holds to this table).
 *
 * Everything that names or treats a field reads it here: audit-record.ts (`FIELD_NAMES`,
 * `EXTENDED_FIELDS`), the JSON scanner (its keys, and the strings it may skip checking), the CSV
 * scanner (the header's columns, the optional ones), the diff (immutable, extended, instant), the
 * output model and the reconciliation (instant). Imports nothing, so that all of them may.
 */

export interface ReportField<N extends string = string> {
  /** the name the tool uses (evidence, JSON output, messages) */
  readonly name: N;
  /** the key of the field in a JSON report */
  readonly jsonKey: string;
  /** the header cell of its column in a CSV report */
  readonly csvColumn: string;
  /**
   * its validator rejects every byte outside its grammar (hex, digits, ARN, enum, instant): the JSON
   * scanner may skip the per-byte string check for it; subjects and free text keep the full check
   */
  readonly strict: boolean;
  /** never changes once a certificate is in a report: a change is CERTIFICATE_CHANGED */
  readonly immutable: boolean;
  /** only in reports since March 2020 (older CSV reports have 9 columns and lack it) */
  readonly extended: boolean;
  /** an instant: compared as instants, shown in UTC */
  readonly instant: boolean;
}

const field = <N extends string>(
  name: N,
  flags: Partial<Pick<ReportField, 'strict' | 'immutable' | 'extended' | 'instant'>>,
): ReportField<N> => ({
  name,
  jsonKey: name,
  csvColumn: name,
  strict: false,
  immutable: false,
  extended: false,
  instant: false,
  ...flags,
});

export const REPORT_FIELDS = [
  field('awsAccountId', { strict: true, immutable: true }),
  field('requestedByServicePrincipal', { immutable: true, extended: true }),
  field('certificateArn', { strict: true, immutable: true }),
  // the key the reports are joined by, so never "changed"
  field('serial', { strict: true }),
  field('subject', { immutable: true }),
  field('notBefore', { strict: true, immutable: true, instant: true }),
  field('notAfter', { strict: true, immutable: true, instant: true }),
  field('issuedAt', { strict: true, immutable: true, instant: true }),
  // a revocation may appear; its changes are REVOCATION_CHANGED and CERTIFICATE_UNREVOKED
  field('revokedAt', { strict: true, instant: true }),
  field('revocationReason', { strict: true }),
  field('templateArn', { strict: true, immutable: true, extended: true }),
] as const;

/** The name of a field of the table. */
export type ReportFieldName = (typeof REPORT_FIELDS)[number]['name'];

const named = (test: (f: ReportField) => boolean): ReadonlySet<string> =>
  new Set(REPORT_FIELDS.filter(test).map((f) => f.name));

/** fields whose change is CERTIFICATE_CHANGED, in table order */
export const IMMUTABLE_FIELDS: readonly string[] = REPORT_FIELDS.filter((f) => f.immutable).map(
  (f) => f.name,
);
export const EXTENDED_FIELD_NAMES = named((f) => f.extended);
export const INSTANT_FIELDS = named((f) => f.instant);
export const STRICT_FIELDS = named((f) => f.strict);

export function isInstantField(name: string): boolean {
  return INSTANT_FIELDS.has(name);
}
