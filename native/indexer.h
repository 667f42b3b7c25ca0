// The native twin of the report core's hot path: the JSON and CSV scanners
// (src/core/json-report-scanner.ts, src/core/csv-report-scanner.ts) and ReportIndexBuilder.add
// (src/core/report-index.ts). Same grammar, same checks, same columns, bit for bit: the tests
// compare the two on the samples, the seeds' malformed records and randomised reports.
//
// What the TypeScript keeps: the CSV header (it hands over the column map), error messages (on a
// syntax error the caller rescans the file with the TypeScript scanner, which says what and where),
// and finding texts (this side records events; the caller reads the rows back and words them).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace pca {

/** The notAfter column's value for "kept apart" (see ReportIndex.notAfter). */
constexpr uint32_t NOT_AFTER_ELSEWHERE = 0xffffffffu;
/** The group of a row whose pair is kept apart (see ReportIndex.group). */
constexpr uint8_t GROUP_ELSEWHERE = 255;

enum Field {
  F_ACCOUNT = 0,
  F_REQUESTED_BY,
  F_ARN,
  F_SERIAL,
  F_SUBJECT,
  F_NOT_BEFORE,
  F_NOT_AFTER,
  F_ISSUED_AT,
  F_REVOKED_AT,
  F_REASON,
  F_TEMPLATE,
  FIELD_COUNT
};

/** Finding events, recorded as (code, entry, field or other entry, what) in row order. */
enum EventCode : int32_t {
  EV_INVALID = 1,
  EV_MISMATCH = 2,
  EV_INCOMPLETE = 3,  // what: 1 = a time without a reason, 0 = a reason without a time
  EV_INVERTED = 4,
  EV_DUPLICATE = 5,   // entry: the later row; field slot: the first row
};

/** What an EV_INVALID event says about its field (the caller words it). */
enum What : int32_t {
  W_NOT_STRING = 1,
  W_MISSING,
  W_SERIAL_LONG,
  W_SERIAL_EMPTY,
  W_SERIAL_NOT_HEX,
  W_SERIAL_BAD_GROUP,
  W_ACCOUNT,
  W_ARN_NOT_ARN,
  W_ARN_NO_CA,
  W_ARN_NO_SERIAL,
  W_SUBJECT,
  W_INSTANT,
  W_REASON,
  W_TEMPLATE,
};

struct IndexOptions {
  bool csv = false;
  /** CSV: field per column (-1 for a column not used); the header itself is read by the caller */
  std::vector<int32_t> columns;
  /** where scanning starts: 0 for JSON, the first row after the header for CSV */
  uint64_t start = 0;
  uint32_t line = 1;
  double expectedRows = 0;
  /** bytes read at a time (tests make it tiny to cut rows at every byte) */
  size_t block = 1 << 20;
};

/** A malloc'd array handed to the caller, who frees it. */
struct Column {
  void* data = nullptr;
  size_t bytes = 0;
};

struct IndexResult {
  bool ok = false;
  /** on a syntax error: where this side noticed it (the caller rescans for the message) */
  uint64_t errorAt = 0;
  std::string systemError;

  uint32_t count = 0;
  Column arena, serialStart, fpA, fpB, flags, offset, table;
  /** the rows' groups: (CA id, extended fingerprint) pairs (see ReportIndex.group) */
  Column group, groupCa, groupExt, groupOtherEntry, groupOtherCa, groupOtherExt;
  /** notAfter in whole seconds, the others apart (see ReportIndex.notAfter) */
  Column notAfter, notAfterOtherEntry, notAfterOtherValue;
  /** the revocations (see ReportIndex.revokedEntry in src/core/report-index.ts) */
  Column revokedEntry, revokedTime, revokedReason;
  /** the lines, in runs (see ReportIndex.lineRunEntry) */
  Column lineRunEntry, lineRunFirst, lineRunStep;
  bool offset64 = false;
  uint32_t revoked = 0;
  uint32_t reasonCounts[256] = {};
  double latest = 0;
  std::vector<std::string> caPrefixes;  // index 0 unused
  std::vector<uint32_t> caCounts;
  std::vector<std::string> templates;
  std::vector<uint32_t> templateCounts;
  uint32_t noTemplate = 0;
  uint32_t seenMask = 0;  // JSON: fields present in any row
  std::vector<int32_t> events;
};

/** Indexes the file at path (plain, not gzip) from options.start. */
void index_file(const char* path, const IndexOptions& options, IndexResult& out);
/** Indexes a whole report held in memory, fed options.block bytes at a time. */
void index_buffer(const uint8_t* data, size_t n, const IndexOptions& options, IndexResult& out);
/** Releases the columns of a result that was not handed over. */
void free_result(IndexResult& out);

/** The columns of one index the join reads (see ReportIndex in src/core/report-index.ts). */
struct JoinSide {
  const uint8_t* arena;
  const uint32_t* serialStart;
  const uint8_t* flags;
  const int32_t* table;
  size_t tableSize;
  uint32_t count;
};

/**
 * For each entry of NEW, the OLD entry with its serial, -1 when OLD has none, or -2 when the NEW
 * entry cannot be joined (no usable serial, or a repeat). Same answers as diff.ts's loop.
 */
void join_serials(const JoinSide& oldSide, const JoinSide& newSide, int32_t* oldOf);

/** The columns of one index the diff reads besides the join's. */
struct DiffSide : JoinSide {
  const int32_t* fpA;
  const int32_t* fpB;
  const uint8_t* group;
  const int32_t* groupExt;
  uint32_t groups;
  const uint32_t* groupOtherEntry;
  const int32_t* groupOtherExt;
  uint32_t groupOthers;
  const uint32_t* notAfter;
  const uint32_t* notAfterOtherEntry;
  const double* notAfterOtherValue;
  uint32_t notAfterOthers;
  /** the revocations: revokedCount entries, ascending, with their times and reasons */
  const uint32_t* revokedEntry;
  const double* revokedTime;
  const uint8_t* revokedReason;
  uint32_t revokedCount;
};

/** Event kinds of DiffScan::events. */
enum DiffEvent : int32_t { DIFF_UNREVOKED = 1, DIFF_REVOCATION_CHANGED = 2 };

/** What the join finds (see JoinScan in src/core/diff.ts): the twin of scanJoin. */
struct DiffScan {
  std::vector<int32_t> issued, revoked, expired;  // NEW entries, in serial order
  std::vector<int32_t> changed;                   // [old, new] pairs, in the NEW serial's order
  std::vector<int32_t> events;                    // [kind, old, new], in NEW order
  std::vector<int32_t> disappeared;               // OLD entries, in OLD order
};

void diff_scan(const DiffSide& oldSide, const DiffSide& newSide, double from, double to, bool compareExtended,
               DiffScan& out);

/** Which report rows read_rows reads. */
struct RowsOptions {
  bool csv = false;
  /** CSV: field per column, as for IndexOptions */
  std::vector<int32_t> columns;
};

/** The rows read back: per row asked for, FIELD_COUNT kinds and [start, end) spans into data. */
struct RowsResult {
  std::string systemError;
  std::vector<uint8_t> data;     // the fields' bytes, unescaped
  std::vector<int32_t> spans;    // 2 * FIELD_COUNT per row
  std::vector<uint8_t> kinds;    // FIELD_COUNT per row
  std::vector<uint8_t> settled;  // 1: read; 0: not (cut off, not a row start, ...): the caller reads it
  std::vector<uint8_t> ascii;    // 1: the row's bytes are all ASCII
};

/**
 * The rows of a plain report file at the given byte offsets (ascending; each where a row starts),
 * scanned as the indexer scans them: the twin of readBack in src/io/load-report.ts, which reads
 * for itself whatever this leaves unsettled.
 */
void read_rows(const char* path, const RowsOptions& options, const double* offsets, size_t n, RowsResult& out);

// the building blocks, exported for the tests
double parse_instant(const uint8_t* b, size_t n);
int write_serial_octets(const uint8_t* b, size_t n, uint8_t* out);

}  // namespace pca
