import { REPORT_FIELDS, type ReportFieldName } from './report-fields.js';

/**
 * The fields of an audit report row by the tool's names, in the field table's order
 * (report-fields.ts): the CSV column order since March 2020; older CSV reports lack
 * requestedByServicePrincipal and templateArn. A field's index here is its F_* constant.
 */
export const FIELD_NAMES: readonly FieldName[] = REPORT_FIELDS.map((f) => f.name);

export type FieldName = ReportFieldName;
export const FIELD_COUNT = FIELD_NAMES.length;

export const F_ACCOUNT = 0;
export const F_REQUESTED_BY = 1;
export const F_ARN = 2;
export const F_SERIAL = 3;
export const F_SUBJECT = 4;
export const F_NOT_BEFORE = 5;
export const F_NOT_AFTER = 6;
export const F_ISSUED_AT = 7;
export const F_REVOKED_AT = 8;
export const F_REASON = 9;
export const F_TEMPLATE = 10;

/** The fields only reports since March 2020 carry (see ReportField.extended), by index. */
export const EXTENDED_FIELDS: readonly number[] = REPORT_FIELDS.flatMap((f, i) => (f.extended ? [i] : []));

/** The field values of one row as text, as written (after JSON/CSV unescaping); absent = undefined. */
export type AuditRecordFields = Partial<Record<FieldName, string>>;

/** One row read back for display or evidence. */
export interface AuditRecord {
  /** byte offset of the row in the (decompressed) report */
  offset: number;
  fields: AuditRecordFields;
}

/** Value kinds a scanner reports for a field. */
export const KIND_ABSENT = 0;
export const KIND_STRING = 1;
/** JSON value that is not a string or null (number, object, ...): present but unusable */
export const KIND_NOT_STRING = 2;

const decoder = new TextDecoder('utf-8');

/**
 * A row as the scanners hand it over: for each field, the buffer and span holding its bytes
 * (already unescaped), and its kind. Reused from row to row: copy what you keep.
 */
export class RecordView {
  readonly buf: Uint8Array[] = new Array(FIELD_COUNT);
  readonly start = new Int32Array(FIELD_COUNT);
  readonly end = new Int32Array(FIELD_COUNT);
  readonly kind = new Uint8Array(FIELD_COUNT);
  /** byte offset of the row's first byte in the whole (decompressed) input */
  offset = 0;
  /** 1-based line of the row's first byte */
  line = 1;

  reset(): void {
    // a loop, not fill(): a builtin call a row costs more than these few stores
    const kind = this.kind;
    for (let f = 0; f < kind.length; f++) kind[f] = KIND_ABSENT;
  }

  has(field: number): boolean {
    return this.kind[field] !== KIND_ABSENT;
  }

  /** The field as text (allocates: for findings and display, not the hot path). */
  text(field: number): string | undefined {
    if (this.kind[field] === KIND_ABSENT) return undefined;
    return decoder.decode(this.buf[field]!.subarray(this.start[field]!, this.end[field]!));
  }

  toRecord(): AuditRecord {
    const fields: AuditRecordFields = {};
    for (let f = 0; f < FIELD_COUNT; f++) {
      const t = this.text(f);
      if (t !== undefined) fields[FIELD_NAMES[f]!] = t;
    }
    return { offset: this.offset, fields };
  }
}
