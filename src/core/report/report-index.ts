/**
 * The compact per-serial index of one report. The code is in report/index/, by concern:
 * - model.ts: the index as plain data (ReportIndex) and the reads of an entry's values;
 * - hash-table.ts: the hash table on the serial and the lookups;
 * - columns.ts: the columns gathered apart while building (groups, revocations, lines);
 * - builder.ts: ReportIndexBuilder, the checks and fingerprint of each row;
 * - row-findings.ts: the findings of a single row, worded by the catalogue;
 * - finish.ts: the report-wide part (the report's CA, FOREIGN_CA, the counts).
 * This module keeps the public names in one place for the importers.
 */
export { ReportIndexBuilder } from './index/builder.js';
export { LineRuns, RevocationColumns, RowGroups, SparseNumbers } from './index/columns.js';
export { finishIndex, type IndexParts } from './index/finish.js';
export {
  findSerial,
  findSerialHex,
  homeSlot,
  sameBytes,
  tableBits,
  tableSizeFor,
} from './index/hash-table.js';
export {
  caIdOf,
  entrySerialHex,
  entrySerialText,
  FLAG_DUPLICATE,
  FLAG_INVALID,
  FLAG_NO_SERIAL,
  FLAG_REVOKED,
  fpExtOf,
  GROUP_ELSEWHERE,
  type IndexOptions,
  lineOf,
  NOT_AFTER_ELSEWHERE,
  notAfterOf,
  type ReportFormat,
  type ReportIndex,
  reasonOf,
  revocationSlot,
  revokedAtOf,
} from './index/model.js';
export {
  duplicateFinding,
  incompleteFinding,
  invalidFinding,
  invertedFinding,
  mismatchFinding,
  subjectWhat,
  WHAT_ACCOUNT,
  WHAT_ARN_NO_CA,
  WHAT_ARN_NO_SERIAL,
  WHAT_ARN_NOT_ARN,
  WHAT_INSTANT,
  WHAT_MISSING,
  WHAT_NOT_STRING,
  WHAT_REASON,
  WHAT_SERIAL_LONG,
  WHAT_TEMPLATE,
} from './index/row-findings.js';
