#include "indexer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "subject.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace pca {
namespace {

constexpr long NEED_MORE = -1;
constexpr long SYNTAX = -2;
/** the longest row (CSV row with its line end; JSON record): MAX_ROW_BYTES of chunked-scanner.ts */
constexpr long MAX_ROW_BYTES = 1 << 20;

constexpr uint8_t KIND_ABSENT = 0;
constexpr uint8_t KIND_STRING = 1;
constexpr uint8_t KIND_NOT_STRING = 2;

constexpr uint8_t FLAG_NO_SERIAL = 1;
constexpr uint8_t FLAG_REVOKED = 2;
constexpr uint8_t FLAG_DUPLICATE = 4;
constexpr uint8_t FLAG_INVALID = 8;

constexpr uint8_t CA_UNKNOWN = 0;
constexpr uint8_t CA_OVERFLOW = 255;
constexpr int MAX_ARN_SERIAL = 200;
constexpr uint32_t TAG_CANONICAL_ARN = 0x102;
constexpr uint8_t NO_REASON = 0;
constexpr uint8_t INVALID_REASON = 255;

const char* const FIELD_NAMES[FIELD_COUNT] = {
    "awsAccountId", "requestedByServicePrincipal", "certificateArn", "serial", "subject", "notBefore",
    "notAfter",     "issuedAt",                    "revokedAt",      "revocationReason", "templateArn"};

const size_t KEY_LEN[FIELD_COUNT] = {12, 27, 14, 6, 7, 9, 8, 8, 9, 16, 11};

/** Whether b starts with the literal (its length a constant: the compare is inlined, not a call). */
template <size_t N>
inline bool starts_with(const uint8_t* b, const char (&lit)[N]) {
  return std::memcmp(b, lit, N - 1) == 0;
}

/** Whether the KEY_LEN[f] bytes at b are field f's key, FIELD_NAMES[f]. */
inline bool is_key(int f, const uint8_t* b) {
  switch (f) {
    case F_ACCOUNT: return starts_with(b, "awsAccountId");
    case F_REQUESTED_BY: return starts_with(b, "requestedByServicePrincipal");
    case F_ARN: return starts_with(b, "certificateArn");
    case F_SERIAL: return starts_with(b, "serial");
    case F_SUBJECT: return starts_with(b, "subject");
    case F_NOT_BEFORE: return starts_with(b, "notBefore");
    case F_NOT_AFTER: return starts_with(b, "notAfter");
    case F_ISSUED_AT: return starts_with(b, "issuedAt");
    case F_REVOKED_AT: return starts_with(b, "revokedAt");
    case F_REASON: return starts_with(b, "revocationReason");
    case F_TEMPLATE: return starts_with(b, "templateArn");
    default: return false;
  }
}

const char* const REASONS[8] = {"UNSPECIFIED",         "KEY_COMPROMISE",         "CERTIFICATE_AUTHORITY_COMPROMISE",
                                "AFFILIATION_CHANGED", "SUPERSEDED",             "CESSATION_OF_OPERATION",
                                "PRIVILEGE_WITHDRAWN", "A_A_COMPROMISE"};

const uint8_t CERTIFICATE_SEGMENT[] = "/certificate/";
constexpr size_t CERTIFICATE_SEGMENT_LEN = 13;
const char LOWER_HEX[] = "0123456789abcdef";

struct Tables {
  int8_t hex[256];
  int8_t digit[256];
  uint8_t strict[FIELD_COUNT];
  Tables() {
    for (int i = 0; i < 256; i++) {
      hex[i] = -1;
      digit[i] = -1;
    }
    for (int i = 0; i < 10; i++) {
      hex['0' + i] = i;
      digit['0' + i] = i;
    }
    for (int i = 0; i < 6; i++) {
      hex['A' + i] = 10 + i;
      hex['a' + i] = 10 + i;
    }
    for (int f = 0; f < FIELD_COUNT; f++) strict[f] = 0;
    for (int f : {F_ACCOUNT, F_ARN, F_SERIAL, F_NOT_BEFORE, F_NOT_AFTER, F_ISSUED_AT, F_REVOKED_AT, F_REASON,
                  F_TEMPLATE})
      strict[f] = 1;
  }
};
const Tables T;

inline bool same(const uint8_t* a, size_t alen, const uint8_t* b, size_t blen) {
  return alen == blen && (alen == 0 || std::memcmp(a, b, alen) == 0);
}

// ---- fingerprint.ts ----

inline uint32_t imul(uint32_t a, uint32_t b) { return a * b; }

struct Fingerprint {
  uint32_t a = 0, b = 0;
  void reset() {
    a = 0x811c9dc5u;
    b = 0x9747b28cu;
  }
  void bytes(uint32_t tag, const uint8_t* buf, size_t n) {
    uint32_t x = imul(a ^ tag, 0x01000193u);
    uint32_t y = imul(b ^ (tag + static_cast<uint32_t>(n)), 0x5bd1e995u);
    size_t i = 0;
    for (; i + 3 < n; i += 4) {
      uint32_t w = static_cast<uint32_t>(buf[i]) | (static_cast<uint32_t>(buf[i + 1]) << 8) |
                   (static_cast<uint32_t>(buf[i + 2]) << 16) | (static_cast<uint32_t>(buf[i + 3]) << 24);
      x = imul(x ^ w, 0x01000193u);
      x ^= x >> 15;
      y = imul(y ^ w, 0x5bd1e995u);
      y ^= y >> 13;
    }
    for (; i < n; i++) {
      uint32_t c = buf[i];
      x = imul(x ^ c, 0x01000193u);
      y = imul(y ^ c, 0x5bd1e995u);
      y ^= y >> 13;
    }
    a = x;
    b = y;
  }
  void words(uint32_t tag, uint32_t x, uint32_t y) {
    a = imul(imul(a ^ tag, 0x01000193u) ^ x, 0x01000193u);
    uint32_t v = imul(b ^ (tag * 0x9e3779b1u), 0x5bd1e995u);
    v = imul(v ^ y, 0x5bd1e995u);
    b = v ^ (v >> 15);
  }
  static uint32_t toInt32(double d) {
    // ECMAScript ToInt32 for an integral double of any size
    if (d > -9.2e18 && d < 9.2e18) return static_cast<uint32_t>(static_cast<int64_t>(d));
    if (!std::isfinite(d)) return 0;
    double m = std::fmod(d, 4294967296.0);
    if (m < 0) m += 4294967296.0;
    return static_cast<uint32_t>(static_cast<uint64_t>(m));
  }
  static double jsRound(double x) {
    double r = std::floor(x);
    if (x - r >= 0.5) r += 1;
    return r;
  }
  void number(uint32_t tag, double value) {
    uint32_t lo, hi, frac;
    if (std::isnan(value)) {
      lo = 0;
      hi = 0x7ff80000u;
      frac = static_cast<uint32_t>(-1);
    } else {
      double whole = std::floor(value);
      lo = toInt32(whole);
      hi = toInt32(std::floor(whole / 4294967296.0));
      frac = toInt32(jsRound((value - whole) * 1e9));
    }
    tag = (tag * 0x9e3779b1u) ^ frac;
    uint32_t x = imul(a ^ tag, 0x01000193u);
    x = imul(x ^ lo, 0x01000193u);
    x = imul(x ^ hi, 0x01000193u);
    uint32_t y = imul(b ^ (tag * 31u), 0x5bd1e995u);
    y = imul(y ^ lo, 0x5bd1e995u);
    y ^= y >> 15;
    y = imul(y ^ hi, 0x5bd1e995u);
    a = x;
    b = y;
  }
};

/** The least b with 2^b >= size: the bits of a table value holding entry + 1 (the twin of tableBits). */
inline int table_bits(size_t size) {
  int b = 0;
  while ((size_t{1} << b) < size) b++;
  return b;
}

/** Where a hash starts probing: floor(hash * size / 2^32) (the twin of homeSlot). */
inline size_t home_slot(uint32_t h, size_t size) {
  return static_cast<size_t>((static_cast<uint64_t>(h) * size) >> 32);
}

/** The hash's low bits above entry + 1 in a table value (the twin of slotTag). */
inline uint32_t slot_tag(uint32_t h, int bits) { return (bits >= 32 ? 0 : h << bits) & 0x7fffffffu; }

inline uint32_t hash_bytes(const uint8_t* p, size_t n) {
  uint32_t h = 0x811c9dc5u;
  for (size_t i = 0; i < n; i++) h = imul(h ^ p[i], 0x01000193u);
  return h ^ (h >> 16);
}

void hash_of(const uint8_t* p, size_t n, uint32_t& x, uint32_t& y) {
  Fingerprint fp;
  fp.reset();
  fp.bytes(0, p, n);
  x = fp.a;
  y = fp.b;
}

// ---- instant.ts ----

inline long long floor_div(long long a, long long b) {
  long long q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
  return q;
}

double days_from_civil(int year, int month, int day) {
  long long y = month <= 2 ? year - 1 : year;
  long long era = floor_div(y, 400);
  long long yoe = y - era * 400;
  long long mp = (month + 9) % 12;
  long long doy = (153 * mp + 2) / 5 + day - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<double>(era * 146097 + doe - 719468);
}

inline int days_in_month(int year, int month) {
  if (month == 2) return ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0) ? 29 : 28;
  return (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
}

inline int digits(const uint8_t* b, size_t n, size_t at, int count) {
  int v = 0;
  for (int i = 0; i < count; i++) {
    // past the end reads as undefined in the TypeScript: not a digit
    if (at + i >= n) return -1;
    int d = T.digit[b[at + i]];
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

const double NaN = std::numeric_limits<double>::quiet_NaN();

double parse_usual(const uint8_t* b) {
  const int8_t* D = T.digit;
  int y0 = D[b[0]], y1 = D[b[1]], y2 = D[b[2]], y3 = D[b[3]], mo0 = D[b[5]], mo1 = D[b[6]], d0 = D[b[8]],
      d1 = D[b[9]], h0 = D[b[11]], h1 = D[b[12]], mi0 = D[b[14]], mi1 = D[b[15]], s0 = D[b[17]], s1 = D[b[18]],
      oh0 = D[b[20]], oh1 = D[b[21]], om0 = D[b[22]], om1 = D[b[23]];
  uint8_t sign = b[19];
  if ((y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1 | oh0 | oh1 | om0 | om1) < 0 ||
      b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || (sign != '+' && sign != '-'))
    return NaN;
  int year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  int month = mo0 * 10 + mo1, day = d0 * 10 + d1, hour = h0 * 10 + h1, minute = mi0 * 10 + mi1,
      second = s0 * 10 + s1, oh = oh0 * 10 + oh1, om = om0 * 10 + om1;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
      second > 59 || oh > 23 || om > 59)
    return NaN;
  double offsetMinutes = (sign == '+' ? 1 : -1) * (oh * 60 + om);
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
}

}  // namespace

double parse_instant(const uint8_t* b, size_t n) {
  if (n == 24) {
    double v = parse_usual(b);
    if (!std::isnan(v)) return v;
  }
  if (n < 20) return NaN;
  int year = digits(b, n, 0, 4);
  if (year < 0 || b[4] != '-') return NaN;
  int month = digits(b, n, 5, 2);
  if (month < 1 || month > 12 || b[7] != '-') return NaN;
  int day = digits(b, n, 8, 2);
  if (day < 1 || day > days_in_month(year, month) || b[10] != 'T') return NaN;
  int hour = digits(b, n, 11, 2);
  if (hour < 0 || hour > 23 || b[13] != ':') return NaN;
  int minute = digits(b, n, 14, 2);
  if (minute < 0 || minute > 59 || b[16] != ':') return NaN;
  int second = digits(b, n, 17, 2);
  if (second < 0 || second > 59) return NaN;
  size_t p = 19;
  double fraction = 0;
  if (p < n && b[p] == '.') {
    p++;
    double scale = 0.1;
    size_t first = p;
    while (p < n) {
      int d = static_cast<int>(b[p]) - '0';
      if (d < 0 || d > 9) break;
      fraction += d * scale;
      scale /= 10;
      p++;
    }
    if (p == first) return NaN;
  }
  double offsetMinutes = 0;
  int sign = p < n ? b[p] : -1;
  if (sign == 'Z') {
    p++;
  } else if (sign == '+' || sign == '-') {
    int oh = digits(b, n, p + 1, 2);
    int om;
    if (p + 3 < n && b[p + 3] == ':') {
      om = digits(b, n, p + 4, 2);
      p += 6;
    } else {
      om = digits(b, n, p + 3, 2);
      p += 5;
    }
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMinutes = (sign == '+' ? 1 : -1) * (oh * 60 + om);
  } else {
    return NaN;
  }
  if (p != n) return NaN;
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60 +
         fraction;
}

// ---- serial.ts ----

int write_serial_octets(const uint8_t* b, size_t len, uint8_t* out) {
  constexpr int TOO_SHORT = -1, NOT_HEX = -2, BAD_GROUP = -3;
  if (len == 0) return TOO_SHORT;
  const int8_t* H = T.hex;
  int n = 0;
  if (std::memchr(b, ':', len) != nullptr) {
    size_t i = 0;
    for (;;) {
      if (i + 2 > len) return BAD_GROUP;
      int hi = H[b[i]], lo = H[b[i + 1]];
      if (hi < 0 || lo < 0) return hi < 0 && b[i] != ':' ? NOT_HEX : BAD_GROUP;
      int octet = (hi << 4) | lo;
      if (octet != 0 || n != 0) out[n++] = static_cast<uint8_t>(octet);
      i += 2;
      if (i == len) break;
      if (b[i] != ':') return H[b[i]] < 0 ? NOT_HEX : BAD_GROUP;
      i++;
    }
  } else {
    size_t i = 0;
    if (len & 1) {
      int v = H[b[0]];
      if (v < 0) return NOT_HEX;
      if (v != 0) out[n++] = static_cast<uint8_t>(v);
      i++;
    }
    for (; i < len; i += 2) {
      int hi = H[b[i]], lo = H[b[i + 1]];
      if (hi < 0 || lo < 0) return NOT_HEX;
      int octet = (hi << 4) | lo;
      if (octet != 0 || n != 0) out[n++] = static_cast<uint8_t>(octet);
    }
  }
  if (n == 0) out[n++] = 0;
  return n;
}

namespace {

// ---- the hand-written twins of report-index.ts's two regular expressions ----

/** arn:aws[a-z-]*:acm-pca: ; returns the index after it, or 0 */
size_t arn_lead(const uint8_t* b, size_t n) {
  if (n < 7 || std::memcmp(b, "arn:aws", 7) != 0) return 0;
  size_t i = 7;
  while (i < n && ((b[i] >= 'a' && b[i] <= 'z') || b[i] == '-')) i++;
  if (n - i < 9 || std::memcmp(b + i, ":acm-pca:", 9) != 0) return 0;
  return i + 9;
}

inline bool lower_hex_run(const uint8_t* b, size_t at, size_t count) {
  for (size_t k = 0; k < count; k++) {
    uint8_t c = b[at + k];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/** ^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:\d{12}:certificate-authority\/<uuid>$ */
bool is_ca_arn(const uint8_t* b, size_t n) {
  size_t i = arn_lead(b, n);
  if (i == 0) return false;
  size_t r = i;
  while (i < n && ((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') || b[i] == '-')) i++;
  if (i == r || i >= n || b[i] != ':') return false;
  i++;
  for (int k = 0; k < 12; k++, i++)
    if (i >= n || b[i] < '0' || b[i] > '9') return false;
  static const char mid[] = ":certificate-authority/";
  if (n - i < 23 || std::memcmp(b + i, mid, 23) != 0) return false;
  i += 23;
  // 8-4-4-4-12
  if (n - i != 36) return false;
  const int groups[5] = {8, 4, 4, 4, 12};
  for (int g = 0; g < 5; g++) {
    if (g > 0) {
      if (b[i] != '-') return false;
      i++;
    }
    if (!lower_hex_run(b, i, groups[g])) return false;
    i += groups[g];
  }
  return i == n;
}

/** ^arn:aws[a-z-]*:acm-pca:::template\/[A-Za-z0-9_]+\/V\d+$ */
bool is_template_arn(const uint8_t* b, size_t n) {
  size_t i = arn_lead(b, n);
  if (i == 0) return false;
  if (n - i < 11 || std::memcmp(b + i, "::template/", 11) != 0) return false;
  i += 11;
  size_t r = i;
  while (i < n && ((b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9') ||
                   b[i] == '_'))
    i++;
  if (i == r || i >= n || b[i] != '/') return false;
  i++;
  if (i >= n || b[i] != 'V') return false;
  i++;
  r = i;
  while (i < n && b[i] >= '0' && b[i] <= '9') i++;
  return i > r && i == n;
}

uint8_t reason_code_of(const uint8_t* b, size_t n) {
  for (int r = 0; r < 8; r++) {
    size_t len = std::strlen(REASONS[r]);
    if (len == n && std::memcmp(REASONS[r], b, n) == 0) return static_cast<uint8_t>(r + 1);
  }
  return INVALID_REASON;
}

// ---- growable malloc'd arrays (handed over to the caller as they are) ----

template <class T>
struct Vec;

/** Room for n in each of parallel columns. */
template <class... V>
bool reserve_all(size_t n, V&... columns) {
  return (columns.reserve(n) && ...);
}

template <class T>
struct Vec {
  T* p = nullptr;
  size_t cap = 0;
  /** Room for n; only the hash table asks for zeroes (every other column is written before it is read). */
  bool reserve(size_t n, bool zero = false) {
    if (n <= cap) return true;
    T* q;
    if (p == nullptr) {
      // fresh pages cost nothing until touched: room estimated generously costs address space, not
      // memory. Zeroes (the hash table, probed at random) are written now: a page read before it is
      // written maps the shared zero page, and the write after it then costs every CPU a TLB flush.
      q = static_cast<T*>(std::malloc(n * sizeof(T)));
      if (q != nullptr && zero) std::memset(q, 0, n * sizeof(T));
    } else {
      q = static_cast<T*>(std::realloc(p, n * sizeof(T)));
      if (q != nullptr && zero) std::memset(q + cap, 0, (n - cap) * sizeof(T));
    }
    if (q == nullptr) return false;
    p = q;
    cap = n;
    return true;
  }
  void release() {
    std::free(p);
    p = nullptr;
    cap = 0;
  }
  /** Hands over the first n, the room past them given back (glibc shrinks a mapped block in place). */
  Column take(size_t n) {
    if (p != nullptr && n < cap) {
      void* q = std::realloc(p, (n > 0 ? n : 1) * sizeof(T));
      if (q != nullptr) p = static_cast<T*>(q);
    }
    Column c{p, n * sizeof(T)};
    p = nullptr;
    cap = 0;
    return c;
  }
};

struct View {
  const uint8_t* ptr[FIELD_COUNT];
  size_t len[FIELD_COUNT];
  uint8_t kind[FIELD_COUNT];
  uint64_t offset = 0;
  uint32_t line = 1;
  void reset() { std::memset(kind, 0, sizeof kind); }
};

// ---- ReportIndexBuilder ----

class Builder {
 public:
  bool oom = false;

  /** Scanners stop after a row when this says so: a builder takes every row. */
  static constexpr bool stop() { return false; }

  explicit Builder(double expectedRows) {
    double e = std::ceil(expectedRows);
    cap_ = e > 1024 ? static_cast<size_t>(e) : 1024;
    if (!arena_.reserve(cap_ * 17) || !serialStart_.reserve(cap_ + 1) || !fpA_.reserve(cap_) ||
        !fpB_.reserve(cap_) || !group_.reserve(cap_) || !notAfter_.reserve(cap_) || !flags_.reserve(cap_) ||
        !off32_.reserve(cap_) || !groupOtherEntry_.reserve(16) || !groupOtherCa_.reserve(16) ||
        !groupOtherExt_.reserve(16) || !revokedEntry_.reserve(256) || !revokedTime_.reserve(256) ||
        !revokedReason_.reserve(256) || !notAfterOtherEntry_.reserve(64) || !notAfterOtherValue_.reserve(64) ||
        !lineRunEntry_.reserve(16) || !lineRunFirst_.reserve(16) || !lineRunStep_.reserve(16)) {
      oom = true;
    }
    // sized for the estimate at three quarters full (the twin of tableSizeFor): rehashing copes with more
    const double rows = expectedRows > 0 ? expectedRows : 0;
    const double want = std::ceil(rows * 4 / 3);
    size_t size = want > 1024 ? static_cast<size_t>(want) : 1024;
    if (!table_.reserve(size, true)) oom = true;
    if (!oom) serialStart_.p[0] = 0;
    tableSize_ = size;
    bits_ = table_bits(size);
    mask_ = static_cast<uint32_t>((uint64_t{1} << bits_) - 1);
    caPrefixes_.emplace_back();
    caLeads_.emplace_back();
    caHashA_.push_back(0);
    caHashB_.push_back(0);
    caCounts_.push_back(0);
  }

  ~Builder() {
    arena_.release();
    serialStart_.release();
    fpA_.release();
    fpB_.release();
    group_.release();
    groupOtherEntry_.release();
    groupOtherCa_.release();
    groupOtherExt_.release();
    revokedEntry_.release();
    notAfterOtherEntry_.release();
    notAfterOtherValue_.release();
    revokedTime_.release();
    revokedReason_.release();
    lineRunEntry_.release();
    lineRunFirst_.release();
    lineRunStep_.release();
    notAfter_.release();
    flags_.release();
    off32_.release();
    off64_.release();
    table_.release();
  }

  void add(View& v) {
    if (count_ == cap_ && !grow()) {
      oom = true;
      return;
    }
    const uint32_t i = count_++;
    uint8_t flags = 0;
    if (v.offset > 0xffffffffu && !offset64_) {
      if (!off64_.reserve(cap_)) {
        oom = true;
        return;
      }
      for (uint32_t k = 0; k < i; k++) off64_.p[k] = off32_.p[k];
      off32_.release();
      offset64_ = true;
    }
    if (offset64_)
      off64_.p[i] = static_cast<double>(v.offset);
    else
      off32_.p[i] = static_cast<uint32_t>(v.offset);
    if (!add_line(i, v.line)) {
      oom = true;
      return;
    }

    notString_ = 0;
    for (int f = 0; f < FIELD_COUNT; f++) {
      if (v.kind[f] == KIND_NOT_STRING) {
        notString_ |= 1u << f;
        invalid(i, f, W_NOT_STRING);
        flags |= FLAG_INVALID;
        v.kind[f] = KIND_ABSENT;
      }
    }

    // serial
    const size_t serialAt = arenaUsed_;
    if (serialAt + 256 > arena_.cap && !arena_.reserve(arena_.cap * 2)) {
      oom = true;
      return;
    }
    int serialLen = 0;
    if (v.kind[F_SERIAL] == KIND_ABSENT) {
      missing(i, F_SERIAL);
      flags |= FLAG_NO_SERIAL | FLAG_INVALID;
    } else if (v.len[F_SERIAL] > 512) {
      invalid(i, F_SERIAL, W_SERIAL_LONG);
      flags |= FLAG_NO_SERIAL | FLAG_INVALID;
    } else {
      serialLen = write_serial_octets(v.ptr[F_SERIAL], v.len[F_SERIAL], arena_.p + serialAt);
      if (serialLen < 0) {
        invalid(i, F_SERIAL, serialLen == -1 ? W_SERIAL_EMPTY : serialLen == -2 ? W_SERIAL_NOT_HEX : W_SERIAL_BAD_GROUP);
        flags |= FLAG_NO_SERIAL | FLAG_INVALID;
        serialLen = 0;
      }
    }
    arenaUsed_ = serialAt + serialLen;
    serialStart_.p[i + 1] = static_cast<uint32_t>(arenaUsed_);
    // the hash table is far bigger than the caches: start fetching the serial's slot now, and
    // insert once the rest of the row is checked
    uint32_t serialHash = 0;
    if ((flags & FLAG_NO_SERIAL) == 0) {
      if (static_cast<size_t>(count_) * 4 > tableSize_ * 3 && !rehash()) {
        oom = true;
        return;
      }
      serialHash = hash_bytes(arena_.p + serialAt, serialLen);
      __builtin_prefetch(table_.p + home_slot(serialHash, tableSize_), 1);
    }

    Fingerprint& fp = fp_;
    fp.reset();
    if (v.kind[F_ACCOUNT] != KIND_ABSENT) {
      const uint8_t* b = v.ptr[F_ACCOUNT];
      size_t n = v.len[F_ACCOUNT];
      bool ok = n == 12;
      for (size_t k = 0; ok && k < n; k++) ok = b[k] >= '0' && b[k] <= '9';
      if (!ok) {
        invalid(i, F_ACCOUNT, W_ACCOUNT);
        flags |= FLAG_INVALID;
      }
      fp.bytes(1, b, n);
    } else {
      missing(i, F_ACCOUNT);
      flags |= FLAG_INVALID;
    }

    uint8_t ca = CA_UNKNOWN;
    if (v.kind[F_ARN] != KIND_ABSENT) {
      const uint8_t* b = v.ptr[F_ARN];
      size_t n = v.len[F_ARN];
      const std::string& lead = caLeads_[lastCa_];
      if (lastCa_ != CA_UNKNOWN && (flags & FLAG_NO_SERIAL) == 0 && n == lead.size() + 2 * serialLen &&
          2 * serialLen <= MAX_ARN_SERIAL && std::memcmp(lead.data(), b, lead.size()) == 0 &&
          is_lower_hex_of(b + lead.size(), arena_.p + serialAt, serialLen)) {
        ca = lastCa_;
        fp.words(TAG_CANONICAL_ARN, caHashA_[ca], caHashB_[ca]);
      } else {
        int r = check_arn(i, b, n, serialAt, (flags & FLAG_NO_SERIAL) == 0 ? serialLen : -1);
        ca = static_cast<uint8_t>(r & 0xff);
        if (r > 0xff) flags |= FLAG_INVALID;
      }
    } else {
      missing(i, F_ARN);
      flags |= FLAG_INVALID;
    }
    if (ca != CA_UNKNOWN) caCounts_[ca]++;

    if (v.kind[F_SUBJECT] != KIND_ABSENT) {
      if (!subject_ok(v.ptr[F_SUBJECT], v.len[F_SUBJECT])) {
        invalid(i, F_SUBJECT, W_SUBJECT);
        flags |= FLAG_INVALID;
      }
      fp.bytes(3, v.ptr[F_SUBJECT], v.len[F_SUBJECT]);
    }

    double notBefore = instant(v, i, F_NOT_BEFORE, true);
    double notAfter = instant(v, i, F_NOT_AFTER, true);
    double issuedAt = instant(v, i, F_ISSUED_AT, true);
    if (std::isnan(notBefore) || std::isnan(notAfter) || std::isnan(issuedAt)) flags |= FLAG_INVALID;
    fp.number(5, notBefore);
    fp.number(6, notAfter);
    fp.number(7, issuedAt);
    fpA_.p[i] = static_cast<int32_t>(fp.a);
    fpB_.p[i] = static_cast<int32_t>(fp.b);
    if (notAfter >= 0 && notAfter < NOT_AFTER_ELSEWHERE && notAfter == std::floor(notAfter)) {
      notAfter_.p[i] = static_cast<uint32_t>(notAfter);
    } else {
      notAfter_.p[i] = NOT_AFTER_ELSEWHERE;
      if (!push_other_not_after(i, notAfter)) {
        oom = true;
        return;
      }
    }
    if (notBefore > notAfter) event(EV_INVERTED, i, 0, 0);
    if (issuedAt > latest_ || std::isnan(latest_)) latest_ = issuedAt;

    bool hasTime = v.kind[F_REVOKED_AT] != KIND_ABSENT;
    bool hasReason = v.kind[F_REASON] != KIND_ABSENT;
    uint8_t reason = NO_REASON;
    double revokedAt = NaN;
    if (hasTime) {
      revokedAt = instant(v, i, F_REVOKED_AT, false);
      if (std::isnan(revokedAt))
        flags |= FLAG_INVALID;
      else if (revokedAt > latest_ || std::isnan(latest_))
        latest_ = revokedAt;
    }
    if (hasReason) {
      reason = reason_code_of(v.ptr[F_REASON], v.len[F_REASON]);
      if (reason == INVALID_REASON) {
        invalid(i, F_REASON, W_REASON);
        flags |= FLAG_INVALID;
      }
    }
    if (hasTime || hasReason) {
      flags |= FLAG_REVOKED;
      revoked_++;
      reasonCounts_[reason]++;
      if (hasTime != hasReason) event(EV_INCOMPLETE, i, 0, hasTime ? 1 : 0);
      if (!push_revocation(i, revokedAt, reason)) {
        oom = true;
        return;
      }
    }

    fp.reset();
    if (v.kind[F_REQUESTED_BY] != KIND_ABSENT) fp.bytes(8, v.ptr[F_REQUESTED_BY], v.len[F_REQUESTED_BY]);
    if (v.kind[F_TEMPLATE] != KIND_ABSENT) {
      if (!count_template(i, v.ptr[F_TEMPLATE], v.len[F_TEMPLATE])) flags |= FLAG_INVALID;
    } else {
      noTemplate_++;
    }
    int g = group_of(i, ca, static_cast<int32_t>(fp.a ^ imul(fp.b, 0x27d4eb2du)));
    if (g < 0) {
      oom = true;
      return;
    }
    group_.p[i] = static_cast<uint8_t>(g);
    flags_.p[i] = flags;

    if ((flags & FLAG_NO_SERIAL) == 0) insert(i, serialAt, serialLen, serialHash);
  }

  void finish(IndexResult& out) {
    out.count = count_;
    out.arena = arena_.take(arenaUsed_);
    out.serialStart = serialStart_.take(count_ + 1);
    out.fpA = fpA_.take(count_);
    out.fpB = fpB_.take(count_);
    out.group = group_.take(count_);
    out.groupCa = copy_of(groupCa_);
    out.groupExt = copy_of(groupExt_);
    out.groupOtherEntry = groupOtherEntry_.take(groupOthers_);
    out.groupOtherCa = groupOtherCa_.take(groupOthers_);
    out.groupOtherExt = groupOtherExt_.take(groupOthers_);
    out.revokedEntry = revokedEntry_.take(revokedCount_);
    out.revokedTime = revokedTime_.take(revokedCount_);
    out.revokedReason = revokedReason_.take(revokedCount_);
    out.notAfter = notAfter_.take(count_);
    out.notAfterOtherEntry = notAfterOtherEntry_.take(notAfterOthers_);
    out.notAfterOtherValue = notAfterOtherValue_.take(notAfterOthers_);
    out.flags = flags_.take(count_);
    out.offset64 = offset64_;
    out.offset = offset64_ ? off64_.take(count_) : off32_.take(count_);
    out.lineRunEntry = lineRunEntry_.take(lineRuns_);
    out.lineRunFirst = lineRunFirst_.take(lineRuns_);
    out.lineRunStep = lineRunStep_.take(lineRuns_);
    out.table = table_.take(tableSize_);
    out.revoked = revoked_;
    for (int r = 0; r < 256; r++) out.reasonCounts[r] = reasonCounts_[r];
    out.latest = latest_;
    out.caPrefixes = caPrefixes_;
    out.caCounts = caCounts_;
    out.templates = templates_;
    out.templateCounts = templateCounts_;
    out.noTemplate = noTemplate_;
    out.events.swap(events_);
  }

 private:
  size_t cap_;
  uint32_t count_ = 0;
  Vec<uint8_t> arena_;
  size_t arenaUsed_ = 0;
  Vec<uint32_t> serialStart_;
  Vec<int32_t> fpA_, fpB_;
  // the rows' groups (see ReportIndex.group)
  Vec<uint8_t> group_;
  std::vector<uint8_t> groupCa_;
  std::vector<int32_t> groupExt_;
  std::unordered_map<uint64_t, uint8_t> groupIds_;
  int lastGroupCa_ = -1;
  int32_t lastGroupExt_ = 0;
  uint8_t lastGroup_ = 0;
  Vec<uint32_t> groupOtherEntry_;
  Vec<uint8_t> groupOtherCa_;
  Vec<int32_t> groupOtherExt_;
  size_t groupOthers_ = 0;
  Vec<uint32_t> notAfter_;
  // the notAfters that are not whole seconds from 1970 to 2106 (see ReportIndex.notAfter)
  Vec<uint32_t> notAfterOtherEntry_;
  Vec<double> notAfterOtherValue_;
  size_t notAfterOthers_ = 0;
  Vec<uint8_t> flags_;
  // the revocations, kept apart (see ReportIndex.revokedEntry)
  Vec<uint32_t> revokedEntry_;
  Vec<double> revokedTime_;
  Vec<uint8_t> revokedReason_;
  size_t revokedCount_ = 0;
  // the lines, in runs (see ReportIndex.lineRunEntry)
  Vec<uint32_t> lineRunEntry_, lineRunFirst_, lineRunStep_;
  size_t lineRuns_ = 0;
  bool lineRunSingle_ = false;
  Vec<uint32_t> off32_;
  Vec<double> off64_;
  bool offset64_ = false;
  Vec<int32_t> table_;
  size_t tableSize_;
  int bits_;
  uint32_t mask_;

  Fingerprint fp_;
  std::vector<std::string> caPrefixes_;
  std::vector<std::string> caLeads_;
  std::vector<uint32_t> caHashA_, caHashB_, caCounts_;
  uint8_t lastCa_ = 0;
  std::vector<std::string> templates_;
  std::vector<uint32_t> templateCounts_;
  std::vector<uint8_t> templateValid_;
  std::vector<uint32_t> templateHashA_, templateHashB_;
  int lastTemplate_ = -1;
  uint32_t noTemplate_ = 0;
  uint32_t revoked_ = 0;
  uint32_t reasonCounts_[256] = {};
  double latest_ = NaN;
  uint8_t scratchSerial_[256];
  uint32_t notString_ = 0;
  std::vector<int32_t> events_;

  void event(int32_t code, uint32_t entry, int32_t field, int32_t what) {
    events_.push_back(code);
    events_.push_back(static_cast<int32_t>(entry));
    events_.push_back(field);
    events_.push_back(what);
  }
  void invalid(uint32_t i, int field, What what) { event(EV_INVALID, i, field, what); }
  void missing(uint32_t i, int field) {
    if ((notString_ & (1u << field)) == 0) invalid(i, field, W_MISSING);
  }

  static bool is_lower_hex_of(const uint8_t* b, const uint8_t* octets, int len) {
    for (int k = 0; k < len; k++) {
      uint8_t o = octets[k];
      if (b[2 * k] != LOWER_HEX[o >> 4] || b[2 * k + 1] != LOWER_HEX[o & 15]) return false;
    }
    return true;
  }

  double instant(const View& v, uint32_t i, int field, bool required) {
    if (v.kind[field] == KIND_ABSENT) {
      if (required) missing(i, field);
      return NaN;
    }
    double t = parse_instant(v.ptr[field], v.len[field]);
    if (std::isnan(t)) invalid(i, field, W_INSTANT);
    return t;
  }

  int check_arn(uint32_t i, const uint8_t* b, size_t n, size_t serialAt, int serialLen) {
    int bad = 0;
    uint8_t ca = CA_UNKNOWN;
    bool canonical = false;
    long cut = -1;
    if (n >= CERTIFICATE_SEGMENT_LEN) {
      for (long k = static_cast<long>(n - CERTIFICATE_SEGMENT_LEN); k >= 0; k--) {
        if (b[k] == '/' && std::memcmp(b + k, CERTIFICATE_SEGMENT, CERTIFICATE_SEGMENT_LEN) == 0) {
          cut = k;
          break;
        }
      }
    }
    if (cut < 0 || n < 4 || std::memcmp(b, "arn:", 4) != 0) {
      invalid(i, F_ARN, W_ARN_NOT_ARN);
      bad = 0x100;
    } else {
      ca = ca_of(b, static_cast<size_t>(cut));
      if (ca == CA_UNKNOWN) {
        invalid(i, F_ARN, W_ARN_NO_CA);
        bad = 0x100;
      }
      size_t suf = static_cast<size_t>(cut) + CERTIFICATE_SEGMENT_LEN;
      int m = n - suf > static_cast<size_t>(MAX_ARN_SERIAL) ? -1 : write_serial_octets(b + suf, n - suf, scratchSerial_);
      if (m < 0) {
        invalid(i, F_ARN, W_ARN_NO_SERIAL);
        bad = 0x100;
      } else if (serialLen >= 0 && !same(scratchSerial_, m, arena_.p + serialAt, serialLen)) {
        event(EV_MISMATCH, i, 0, 0);
      } else if (serialLen >= 0 && ca != CA_UNKNOWN && n - suf == static_cast<size_t>(2 * serialLen) &&
                 is_lower_hex_of(b + suf, arena_.p + serialAt, serialLen)) {
        canonical = true;
      }
    }
    if (!canonical) {
      fp_.bytes(2, b, n);
    } else if (ca != CA_OVERFLOW) {
      fp_.words(TAG_CANONICAL_ARN, caHashA_[ca], caHashB_[ca]);
    } else {
      uint32_t x, y;
      hash_of(b, static_cast<size_t>(cut), x, y);
      fp_.words(TAG_CANONICAL_ARN, x, y);
    }
    return ca | bad;
  }

  uint8_t ca_of(const uint8_t* b, size_t n) {
    const std::string& last = caPrefixes_[lastCa_];
    if (lastCa_ != CA_UNKNOWN && same(reinterpret_cast<const uint8_t*>(last.data()), last.size(), b, n))
      return lastCa_;
    for (size_t id = 1; id < caPrefixes_.size(); id++) {
      const std::string& p = caPrefixes_[id];
      if (same(reinterpret_cast<const uint8_t*>(p.data()), p.size(), b, n)) {
        lastCa_ = static_cast<uint8_t>(id);
        return lastCa_;
      }
    }
    if (!is_ca_arn(b, n)) return CA_UNKNOWN;
    if (caPrefixes_.size() >= CA_OVERFLOW) return CA_OVERFLOW;
    std::string prefix(reinterpret_cast<const char*>(b), n);
    caPrefixes_.push_back(prefix);
    caLeads_.push_back(prefix + "/certificate/");
    uint32_t x, y;
    hash_of(b, n, x, y);
    caHashA_.push_back(x);
    caHashB_.push_back(y);
    caCounts_.push_back(0);
    lastCa_ = static_cast<uint8_t>(caPrefixes_.size() - 1);
    return lastCa_;
  }

  /** Counts the row's template and fingerprints it; false when it is not a template ARN. */
  bool count_template(uint32_t i, const uint8_t* b, size_t n) {
    int id = -1;
    if (lastTemplate_ >= 0 &&
        same(reinterpret_cast<const uint8_t*>(templates_[lastTemplate_].data()), templates_[lastTemplate_].size(), b, n)) {
      id = lastTemplate_;
    } else {
      for (size_t t = 0; t < templates_.size(); t++) {
        if (same(reinterpret_cast<const uint8_t*>(templates_[t].data()), templates_[t].size(), b, n)) {
          id = static_cast<int>(t);
          break;
        }
      }
      if (id < 0) {
        bool valid = is_template_arn(b, n);
        uint32_t x, y;
        hash_of(b, n, x, y);
        if (templates_.size() >= 1000) {
          fp_.words(9, x, y);
          if (!valid) invalid(i, F_TEMPLATE, W_TEMPLATE);
          return valid;
        }
        id = static_cast<int>(templates_.size());
        templates_.emplace_back(reinterpret_cast<const char*>(b), n);
        templateCounts_.push_back(0);
        templateValid_.push_back(valid ? 1 : 0);
        templateHashA_.push_back(x);
        templateHashB_.push_back(y);
      }
      lastTemplate_ = id;
    }
    fp_.words(9, templateHashA_[id], templateHashB_[id]);
    bool valid = templateValid_[id] != 0;
    if (!valid) invalid(i, F_TEMPLATE, W_TEMPLATE);
    templateCounts_[id]++;
    return valid;
  }

  void insert(uint32_t i, size_t at, int len, uint32_t h) {
    const uint8_t* arena = arena_.p;
    int32_t* table = table_.p;
    const uint32_t mask = mask_;
    const size_t size = tableSize_;
    uint32_t tag = slot_tag(h, bits_);
    size_t slot = home_slot(h, size);
    for (;;) {
      uint32_t v = static_cast<uint32_t>(table[slot]);
      if (v == 0) {
        table[slot] = static_cast<int32_t>(tag | (i + 1));
        return;
      }
      if ((v & ~mask) == tag) {
        uint32_t j = (v & mask) - 1;
        uint32_t js = serialStart_.p[j];
        if (same(arena + js, serialStart_.p[j + 1] - js, arena + at, len)) {
          flags_.p[i] |= FLAG_DUPLICATE;
          event(EV_DUPLICATE, i, static_cast<int32_t>(j), 0);
          return;
        }
      }
      slot = slot + 1 == size ? 0 : slot + 1;
    }
  }

  bool rehash() {
    size_t size = tableSize_ * 2;
    // written, not calloc'd (see Vec::reserve)
    int32_t* table = static_cast<int32_t*>(std::malloc(size * sizeof(int32_t)));
    if (table == nullptr) return false;
    std::memset(table, 0, size * sizeof(int32_t));
    const uint32_t oldMask = mask_;
    const int bits = table_bits(size);
    for (size_t k = 0; k < tableSize_; k++) {
      uint32_t v = static_cast<uint32_t>(table_.p[k]);
      if (v == 0) continue;
      uint32_t e = v & oldMask;
      uint32_t j = e - 1;
      uint32_t h = hash_bytes(arena_.p + serialStart_.p[j], serialStart_.p[j + 1] - serialStart_.p[j]);
      size_t slot = home_slot(h, size);
      while (table[slot] != 0) slot = slot + 1 == size ? 0 : slot + 1;
      table[slot] = static_cast<int32_t>(slot_tag(h, bits) | e);
    }
    std::free(table_.p);
    table_.p = table;
    table_.cap = size;
    tableSize_ = size;
    bits_ = bits;
    mask_ = static_cast<uint32_t>((uint64_t{1} << bits) - 1);
    return true;
  }

  /** The twin of RowGroups.of: the group of entry i, of CA id ca and extended fingerprint ext; -1 out of memory. */
  int group_of(uint32_t i, uint8_t ca, int32_t ext) {
    if (ca == lastGroupCa_ && ext == lastGroupExt_) return lastGroup_;
    const uint64_t key = (static_cast<uint64_t>(ca) << 32) | static_cast<uint32_t>(ext);
    auto it = groupIds_.find(key);
    uint8_t id;
    if (it != groupIds_.end()) {
      id = it->second;
    } else {
      if (groupCa_.size() == GROUP_ELSEWHERE) {
        size_t n = groupOthers_;
        if (n == groupOtherEntry_.cap && !reserve_all(n * 2, groupOtherEntry_, groupOtherCa_, groupOtherExt_)) {
          return -1;
        }
        groupOtherEntry_.p[n] = i;
        groupOtherCa_.p[n] = ca;
        groupOtherExt_.p[n] = ext;
        groupOthers_ = n + 1;
        return GROUP_ELSEWHERE;
      }
      id = static_cast<uint8_t>(groupCa_.size());
      groupIds_.emplace(key, id);
      groupCa_.push_back(ca);
      groupExt_.push_back(ext);
    }
    lastGroupCa_ = ca;
    lastGroupExt_ = ext;
    lastGroup_ = id;
    return id;
  }

  /** A malloc'd copy of a small vector, to hand over as a column. */
  template <class T>
  static Column copy_of(const std::vector<T>& v) {
    void* p = std::malloc(v.empty() ? 1 : v.size() * sizeof(T));
    if (p != nullptr && !v.empty()) std::memcpy(p, v.data(), v.size() * sizeof(T));
    return Column{p, p == nullptr ? 0 : v.size() * sizeof(T)};
  }

  /** The twin of SparseNumbers.push. */
  bool push_other_not_after(uint32_t i, double value) {
    size_t n = notAfterOthers_;
    if (n == notAfterOtherEntry_.cap && !reserve_all(n * 2, notAfterOtherEntry_, notAfterOtherValue_)) {
      return false;
    }
    notAfterOtherEntry_.p[n] = i;
    notAfterOtherValue_.p[n] = value;
    notAfterOthers_ = n + 1;
    return true;
  }

  /** The twin of RevocationColumns.push. */
  bool push_revocation(uint32_t i, double time, uint8_t reason) {
    size_t n = revokedCount_;
    if (n == revokedEntry_.cap && !reserve_all(n * 2, revokedEntry_, revokedTime_, revokedReason_)) {
      return false;
    }
    revokedEntry_.p[n] = i;
    revokedTime_.p[n] = time;
    revokedReason_.p[n] = reason;
    revokedCount_ = n + 1;
    return true;
  }

  /** The twin of LineRuns.add: a row extends the last run when it lies where the run's step puts it. */
  bool add_line(uint32_t i, uint32_t line) {
    if (lineRuns_ > 0) {
      size_t k = lineRuns_ - 1;
      uint64_t first = lineRunFirst_.p[k];
      if (lineRunSingle_) {
        if (line >= first) {
          lineRunStep_.p[k] = static_cast<uint32_t>(line - first);
          lineRunSingle_ = false;
          return true;
        }
      } else if (first + static_cast<uint64_t>(i - lineRunEntry_.p[k]) * lineRunStep_.p[k] == line) {
        return true;
      }
    }
    size_t n = lineRuns_;
    if (n == lineRunEntry_.cap && !reserve_all(n * 2, lineRunEntry_, lineRunFirst_, lineRunStep_)) {
      return false;
    }
    lineRunEntry_.p[n] = i;
    lineRunFirst_.p[n] = line;
    lineRunStep_.p[n] = 0;
    lineRuns_ = n + 1;
    lineRunSingle_ = true;
    return true;
  }

  bool grow() {
    size_t cap = static_cast<size_t>(std::ceil(cap_ * 1.5));
    bool ok = serialStart_.reserve(cap + 1) && fpA_.reserve(cap) && fpB_.reserve(cap) && group_.reserve(cap) &&
              notAfter_.reserve(cap) && flags_.reserve(cap) &&
              (offset64_ ? off64_.reserve(cap) : off32_.reserve(cap));
    if (ok) cap_ = cap;
    return ok;
  }
};

// ---- scanners ----

inline bool is_ws(uint8_t b) { return b == ' ' || b == '\n' || b == '\r' || b == '\t'; }

/**
 * The first index in [q, end) holding one of the stop bytes or (when controls) a byte under 0x20;
 * end if none. Sixteen bytes a step where SSE2 is there.
 */
template <bool controls, char... stops>
inline long find_first_of(const uint8_t* buf, long q, long end) {
#ifdef __SSE2__
  const __m128i high = _mm_set1_epi8(static_cast<char>(0xe0));
  const __m128i zero = _mm_setzero_si128();
  while (q + 16 <= end) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(buf + q));
    __m128i hit = zero;
    ((hit = _mm_or_si128(hit, _mm_cmpeq_epi8(x, _mm_set1_epi8(stops)))), ...);
    if (controls) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_and_si128(x, high), zero));
    int m = _mm_movemask_epi8(hit);
    if (m != 0) return q + __builtin_ctz(static_cast<unsigned>(m));
    q += 16;
  }
#endif
  for (; q < end; q++) {
    const uint8_t c = buf[q];
    if (((c == static_cast<uint8_t>(stops)) || ...) || (controls && c < 0x20)) return q;
  }
  return end;
}

/** JSON: where a string's plain run ends (a quote, a backslash, or when controls a control byte). */
template <bool controls>
inline long find_stop(const uint8_t* buf, long q, long end) {
  return find_first_of<controls, '"', '\\'>(buf, q, end);
}

/** CSV: where an unquoted cell ends (, \n \r, or a stray quote). */
inline long find_unquoted_stop(const uint8_t* buf, long q, long end) {
  return find_first_of<false, ',', '\n', '\r', '"'>(buf, q, end);
}

/** CSV: where a quoted cell's plain run ends (a quote, or a newline to count). */
inline long find_quoted_stop(const uint8_t* buf, long q, long end) {
  return find_first_of<false, '"', '\n'>(buf, q, end);
}

/** The bytes being scanned: buf[0, end) is the input from absolute offset base. */
struct Input {
  const uint8_t* buf = nullptr;
  long end = 0;
  uint64_t base = 0;
};

/** Sink: what takes the rows (Builder; RowSink when rows are read back). */
template <class Sink>
class JsonScanner {
 public:
  Sink& builder;
  uint32_t seenMask = 0;
  uint32_t line;

  JsonScanner(Sink& b, uint32_t startLine) : builder(b), line(startLine) {}

  /** Scans whole rows from pos; returns where to resume, or SYNTAX (errorAt set). */
  long scan(const Input& in, long pos, bool final) {
    in_ = in;
    const uint8_t* buf = in.buf;
    const long end = in.end;
    long p = pos;
    for (;;) {
      while (p < end && is_ws(buf[p])) {
        if (buf[p] == '\n') line++;
        p++;
      }
      if (p >= end) return p;
      uint8_t b = buf[p];
      switch (state_) {
        case BEFORE_ARRAY:
          if (b != '[') return fail(p);
          state_ = FIRST_ELEMENT;
          p++;
          break;
        case FIRST_ELEMENT:
        case ELEMENT: {
          if (b == ']' && state_ == FIRST_ELEMENT) {
            state_ = DONE;
            p++;
            break;
          }
          if (b != '{') return fail(p);
          long next = scan_object(p, final);
          if (next == NEED_MORE) return end - p > MAX_ROW_BYTES ? fail(p) : p;
          if (next == SYNTAX) return SYNTAX;
          p = next;
          state_ = AFTER_ELEMENT;
          if (builder.stop()) return p;
          break;
        }
        case AFTER_ELEMENT:
          if (b == ',')
            state_ = ELEMENT;
          else if (b == ']')
            state_ = DONE;
          else
            return fail(p);
          p++;
          break;
        default:
          return fail(p);
      }
    }
  }

  bool done() const { return state_ == DONE; }
  uint64_t errorAt = 0;

  /** Back to before the array, for another input (its scratch kept). */
  void restart(uint32_t startLine) {
    state_ = BEFORE_ARRAY;
    line = startLine;
    seenMask = 0;
    errorAt = 0;
    scratchUsed_ = 0;
    strEnd_ = 0;
    strEscaped_ = false;
  }

 private:
  enum { BEFORE_ARRAY, FIRST_ELEMENT, AFTER_ELEMENT, ELEMENT, DONE } state_ = BEFORE_ARRAY;
  Input in_;
  View view_;
  std::vector<uint8_t> scratch_;
  size_t scratchUsed_ = 0;
  long strEnd_ = 0;
  bool strEscaped_ = false;

  long fail(long at) {
    errorAt = in_.base + static_cast<uint64_t>(at);
    return SYNTAX;
  }

  /** 1: found, 0: input ended first, SYNTAX */
  int scan_string(long p) {
    const uint8_t* buf = in_.buf;
    const long end = in_.end;
    long q = p + 1;
    bool escaped = false;
    for (;;) {
      q = find_stop<true>(buf, q, end);
      if (q >= end) return 0;
      uint8_t c = buf[q];
      if (c == '"') break;
      if (c == '\\') {
        escaped = true;
        q += 2;
        continue;
      }
      fail(q);
      return SYNTAX;
    }
    strEnd_ = q;
    strEscaped_ = escaped;
    return 1;
  }

  /** scan_string for a field validated byte by byte later: control characters are its check's to find */
  int scan_validated_string(long p) {
    const uint8_t* buf = in_.buf;
    long c = find_stop<false>(buf, p + 1, in_.end);
    if (c >= in_.end) return 0;
    if (buf[c] == '\\') return scan_string(p);
    strEnd_ = c;
    strEscaped_ = false;
    return 1;
  }

  int hex4(long at) {
    int v = 0;
    for (int k = 0; k < 4; k++) {
      if (at + k >= in_.end) return -1;
      int d = T.hex[in_.buf[at + k]];
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  static size_t write_utf8(uint8_t* out, size_t o, uint32_t cp) {
    if (cp < 0x80) {
      out[o++] = static_cast<uint8_t>(cp);
    } else if (cp < 0x800) {
      out[o++] = static_cast<uint8_t>(0xc0 | (cp >> 6));
      out[o++] = static_cast<uint8_t>(0x80 | (cp & 63));
    } else if (cp < 0x10000) {
      out[o++] = static_cast<uint8_t>(0xe0 | (cp >> 12));
      out[o++] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 63));
      out[o++] = static_cast<uint8_t>(0x80 | (cp & 63));
    } else {
      out[o++] = static_cast<uint8_t>(0xf0 | (cp >> 18));
      out[o++] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 63));
      out[o++] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 63));
      out[o++] = static_cast<uint8_t>(0x80 | (cp & 63));
    }
    return o;
  }

  /** Decodes the escapes of [start, end) into scratch; false on a bad escape. Sets outStart/outEnd. */
  bool unescape(long start, long end, size_t& outStart, size_t& outEnd) {
    const uint8_t* buf = in_.buf;
    size_t need = scratchUsed_ + static_cast<size_t>(end - start);
    if (scratch_.size() < need) return false;  // sized at the row's start: cannot happen
    uint8_t* out = scratch_.data();
    size_t o = scratchUsed_;
    outStart = o;
    for (long i = start; i < end; i++) {
      uint8_t c = buf[i];
      if (c != '\\') {
        out[o++] = c;
        continue;
      }
      ++i;
      int e = i < in_.end ? buf[i] : -1;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out[o++] = static_cast<uint8_t>(e);
          break;
        case 'b':
          out[o++] = 0x08;
          break;
        case 'f':
          out[o++] = 0x0c;
          break;
        case 'n':
          out[o++] = 0x0a;
          break;
        case 'r':
          out[o++] = 0x0d;
          break;
        case 't':
          out[o++] = 0x09;
          break;
        case 'u': {
          int cp = hex4(i + 1);
          if (cp < 0) {
            fail(i - 1);
            return false;
          }
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdbff && i + 2 < in_.end && buf[i + 1] == '\\' && buf[i + 2] == 'u') {
            int lo = hex4(i + 3);
            if (lo < 0) {
              fail(i + 1);
              return false;
            }
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
              i += 6;
            }
          }
          if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
          o = write_utf8(out, o, static_cast<uint32_t>(cp));
          break;
        }
        default:
          fail(i - 1);
          return false;
      }
    }
    scratchUsed_ = o;
    outEnd = o;
    return true;
  }

  static int field_of_key(const uint8_t* b, size_t n) {
    for (int f = 0; f < FIELD_COUNT; f++) {
      if (KEY_LEN[f] == n && is_key(f, b)) return f;
    }
    return -1;
  }

  long skip_space(long p) {
    const uint8_t* buf = in_.buf;
    while (p < in_.end && is_ws(buf[p])) {
      if (buf[p] == '\n') line++;
      p++;
    }
    return p;
  }

  long more(bool final, long at) { return final ? fail(at) : NEED_MORE; }

  long skip_number(long p, bool final) {
    const uint8_t* buf = in_.buf;
    const long end = in_.end;
    auto digit = [&](long at) { return at < end && buf[at] >= '0' && buf[at] <= '9'; };
    auto digits = [&](long at) {
      while (digit(at)) at++;
      return at;
    };
    long q = p;
    if (buf[q] == '-') q++;
    if (q >= end) return final ? fail(p) : NEED_MORE;
    if (buf[q] == '0')
      q++;
    else if (digit(q))
      q = digits(q);
    else
      return fail(p);
    if (q < end && buf[q] == '.') {
      if (!digit(q + 1)) return q + 1 >= end && !final ? NEED_MORE : fail(p);
      q = digits(q + 1);
    }
    if (q < end && (buf[q] == 'e' || buf[q] == 'E')) {
      q++;
      if (q < end && (buf[q] == '+' || buf[q] == '-')) q++;
      if (!digit(q)) return q >= end && !final ? NEED_MORE : fail(p);
      q = digits(q);
    }
    if (q >= end && !final) return NEED_MORE;
    return q;
  }

  long skip_value(long p, bool final, int depth) {
    const uint8_t* buf = in_.buf;
    const long end = in_.end;
    if (depth > 64) return fail(p);
    if (p >= end) return more(final, p);
    uint8_t c = buf[p];
    if (c == '"') {
      int r = scan_string(p);
      if (r == SYNTAX) return SYNTAX;
      if (r == 0) return more(final, p);
      if (strEscaped_) {
        size_t mark = scratchUsed_, s, e;
        if (!unescape(p + 1, strEnd_, s, e)) return SYNTAX;
        scratchUsed_ = mark;
      }
      return strEnd_ + 1;
    }
    if (c == 't' || c == 'f' || c == 'n') {
      const char* word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      long len = static_cast<long>(std::strlen(word));
      for (long k = 0; k < len; k++) {
        if (p + k >= end) return more(final, p);
        if (buf[p + k] != static_cast<uint8_t>(word[k])) return fail(p);
      }
      return p + len;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return skip_number(p, final);
    if (c != '{' && c != '[') return fail(p);
    const uint8_t close = c == '{' ? '}' : ']';
    long q = skip_space(p + 1);
    if (q >= end) return more(final, q);
    if (buf[q] == close) return q + 1;
    for (;;) {
      if (close == '}') {
        if (buf[q] != '"') return fail(q);
        int r = scan_string(q);
        if (r == SYNTAX) return SYNTAX;
        if (r == 0) return more(final, q);
        q = skip_space(strEnd_ + 1);
        if (q >= end) return more(final, q);
        if (buf[q] != ':') return fail(q);
        q = skip_space(q + 1);
      }
      long v = skip_value(q, final, depth + 1);
      if (v == NEED_MORE || v == SYNTAX) return v;
      q = skip_space(v);
      if (q >= end) return more(final, q);
      if (buf[q] == close) return q + 1;
      if (buf[q] != ',') return fail(q);
      q = skip_space(q + 1);
      if (q >= end) return more(final, q);
    }
  }

  long need_more(bool final, uint32_t startLine) {
    if (final) return fail(in_.end);
    line = startLine;
    return NEED_MORE;
  }

  long scan_object(long p, bool final) {
    const uint8_t* buf = in_.buf;
    const long end = in_.end;
    View& view = view_;
    const uint32_t startLine = line;
    view.reset();
    view.offset = in_.base + static_cast<uint64_t>(p);
    view.line = startLine;
    // decoded text is never longer than its escaped form: the rest of the input bounds a row's
    if (scratch_.size() < static_cast<size_t>(end - p)) scratch_.resize(static_cast<size_t>(end - p));
    scratchUsed_ = 0;
    long q = p + 1;
    int at = 0;
    int nextField = 0;
    for (;;) {
      while (q < end && is_ws(buf[q])) {
        if (buf[q] == '\n') line++;
        q++;
      }
      if (q >= end) return need_more(final, startLine);
      uint8_t c = buf[q];
      if (at == 2) {
        if (c == '}') {
          q++;
          break;
        }
        if (c != ',') return fail(q);
        q++;
        at = 1;
        continue;
      }
      if (c == '}' && at == 0) {
        q++;
        break;
      }
      if (c != '"') return fail(q);
      // AWS writes the keys in one order, leaving out those without a value: try the key after
      // the previous one and the two after it, then read the key the long way
      int field = -1;
      for (int f = nextField, stop = nextField + 3 < FIELD_COUNT ? nextField + 3 : FIELD_COUNT; f < stop; f++) {
        const long keyEnd = q + 1 + static_cast<long>(KEY_LEN[f]);
        if (keyEnd < end && buf[keyEnd] == '"' && is_key(f, buf + q + 1)) {
          field = f;
          strEnd_ = keyEnd;
          break;
        }
      }
      int r;
      if (field >= 0) {
      } else if ((r = scan_string(q)) == SYNTAX) {
        return SYNTAX;
      } else if (r == 0) {
        return need_more(final, startLine);
      } else if (!strEscaped_) {
        field = field_of_key(buf + q + 1, static_cast<size_t>(strEnd_ - q - 1));
      } else {
        size_t mark = scratchUsed_, s, e;
        if (!unescape(q + 1, strEnd_, s, e)) return SYNTAX;
        field = field_of_key(scratch_.data() + s, e - s);
        scratchUsed_ = mark;
      }
      if (field >= 0) nextField = field + 1;
      q = strEnd_ + 1;
      while (q < end && is_ws(buf[q])) {
        if (buf[q] == '\n') line++;
        q++;
      }
      if (q >= end) return need_more(final, startLine);
      if (buf[q] != ':') return fail(q);
      q++;
      while (q < end && is_ws(buf[q])) {
        if (buf[q] == '\n') line++;
        q++;
      }
      if (q >= end) return need_more(final, startLine);
      c = buf[q];
      if (c == '"') {
        r = field >= 0 && T.strict[field] ? scan_validated_string(q) : scan_string(q);
        if (r == SYNTAX) return SYNTAX;
        if (r == 0) return need_more(final, startLine);
        if (field >= 0) {
          if (strEscaped_) {
            size_t s, e;
            if (!unescape(q + 1, strEnd_, s, e)) return SYNTAX;
            view.ptr[field] = scratch_.data() + s;
            view.len[field] = e - s;
          } else {
            view.ptr[field] = buf + q + 1;
            view.len[field] = static_cast<size_t>(strEnd_ - q - 1);
          }
          view.kind[field] = KIND_STRING;
        } else if (strEscaped_) {
          size_t mark = scratchUsed_, s, e;
          if (!unescape(q + 1, strEnd_, s, e)) return SYNTAX;
          scratchUsed_ = mark;
        }
        q = strEnd_ + 1;
      } else {
        long valueEnd = skip_value(q, final, 0);
        if (valueEnd == NEED_MORE) {
          line = startLine;
          return NEED_MORE;
        }
        if (valueEnd == SYNTAX) return SYNTAX;
        if (valueEnd == q) return fail(q);
        if (field >= 0) {
          if (valueEnd - q == 4 && c == 'n') {
            view.kind[field] = KIND_ABSENT;
          } else {
            view.ptr[field] = buf + q;
            view.len[field] = static_cast<size_t>(valueEnd - q);
            view.kind[field] = KIND_NOT_STRING;
          }
        }
        q = valueEnd;
      }
      at = 2;
    }
    if (q - p > MAX_ROW_BYTES) return fail(p);
    for (int f = 0; f < FIELD_COUNT; f++)
      if (view.kind[f] != KIND_ABSENT) seenMask |= 1u << f;
    builder.add(view);
    return q;
  }
};

template <class Sink>
class CsvScanner {
 public:
  Sink& builder;
  uint32_t line;
  uint64_t errorAt = 0;

  CsvScanner(Sink& b, const std::vector<int32_t>& columns, uint32_t startLine)
      : builder(b), line(startLine), columns_(columns) {}

  long scan(const Input& in, long pos, bool final) {
    in_ = in;
    const uint8_t* buf = in.buf;
    const long end = in.end;
    long p = pos;
    while (p < end) {
      uint8_t b = buf[p];
      if (b == '\n') {
        line++;
        p++;
        continue;
      }
      if (b == '\r' && p + 1 < end && buf[p + 1] == '\n') {
        line++;
        p += 2;
        continue;
      }
      if (b == '\r' && p + 1 >= end && !final) return p;
      long next = scan_row(p, final);
      if (next == NEED_MORE) return end - p > MAX_ROW_BYTES ? fail(p) : p;
      if (next == SYNTAX) return SYNTAX;
      p = next;
      if (builder.stop()) return p;
    }
    return p;
  }

 private:
  const std::vector<int32_t>& columns_;
  Input in_;
  View view_;
  std::vector<const uint8_t*> cellPtr_;
  std::vector<size_t> cellLen_;
  std::vector<uint8_t> scratch_;

  long fail(long at) {
    errorAt = in_.base + static_cast<uint64_t>(at);
    return SYNTAX;
  }

  long scan_row(long p, bool final) {
    const uint8_t* buf = in_.buf;
    const long end = in_.end;
    const uint32_t startLine = line;
    uint32_t ln = startLine;
    long q = p;
    size_t cell = 0;
    if (scratch_.size() < static_cast<size_t>(end - p)) scratch_.resize(static_cast<size_t>(end - p));
    size_t scratchUsed = 0;
    for (;;) {
      if (cell >= cellPtr_.size()) {
        cellPtr_.resize(cell * 2 + 16);
        cellLen_.resize(cell * 2 + 16);
      }
      if (q < end && buf[q] == '"') {
        const long open = q;
        long r = q + 1;
        bool doubled = false;
        for (;;) {
          if (r >= end) return final ? fail(open) : NEED_MORE;
          r = find_quoted_stop(buf, r, end);
          if (r >= end) continue;
          uint8_t c = buf[r];
          if (c == '"') {
            if (r + 1 >= end && !final) return NEED_MORE;
            if (r + 1 < end && buf[r + 1] == '"') {
              doubled = true;
              r += 2;
              continue;
            }
            break;
          }
          if (c == '\n') ln++;
          r++;
        }
        if (doubled) {
          uint8_t* out = scratch_.data();
          size_t at = scratchUsed, o = at;
          for (long i = open + 1; i < r; i++) {
            out[o++] = buf[i];
            if (buf[i] == '"') i++;
          }
          scratchUsed = o;
          cellPtr_[cell] = out + at;
          cellLen_[cell] = o - at;
        } else {
          cellPtr_[cell] = buf + open + 1;
          cellLen_[cell] = static_cast<size_t>(r - open - 1);
        }
        q = r + 1;
        if (q < end) {
          uint8_t c = buf[q];
          if (c != ',' && c != '\n' && c != '\r') return fail(q);
        }
      } else {
        long r = q;
        r = find_unquoted_stop(buf, r, end);
        if (r < end && buf[r] == '"') return fail(r);
        cellPtr_[cell] = buf + q;
        cellLen_[cell] = static_cast<size_t>(r - q);
        q = r;
      }
      cell++;
      // a last row without its line end is a truncation (csv-report-scanner.ts says why)
      if (q >= end) return final ? fail(p) : NEED_MORE;
      uint8_t c = buf[q];
      if (c == ',') {
        q++;
        continue;
      }
      if (c == '\n') {
        q++;
        break;
      }
      if (q + 1 >= end && !final) return NEED_MORE;
      if (q + 1 >= end || buf[q + 1] != '\n') return fail(q);
      q += 2;
      break;
    }
    if (q - p > MAX_ROW_BYTES) return fail(p);
    line = ln + 1;
    if (cell != columns_.size()) return fail(p);
    View& view = view_;
    view.reset();
    view.offset = in_.base + static_cast<uint64_t>(p);
    view.line = startLine;
    for (size_t k = 0; k < cell; k++) {
      int f = columns_[k];
      if (f < 0) continue;
      if (cellLen_[k] == 0) {
        view.kind[f] = KIND_ABSENT;
        continue;
      }
      view.ptr[f] = cellPtr_[k];
      view.len[f] = cellLen_[k];
      view.kind[f] = KIND_STRING;
    }
    builder.add(view);
    return q;
  }
};

/** Feeds a scanner from a source of blocks, carrying a row cut at a block's end into the next. */
template <class Read>
void drive(const IndexOptions& options, Read read, IndexResult& out) {
  Builder builder(options.expectedRows);
  if (builder.oom) {
    out.systemError = "out of memory";
    return;
  }
  JsonScanner<Builder> json(builder, options.line);
  CsvScanner<Builder> csv(builder, options.columns, options.line);
  std::vector<uint8_t> buf(options.block < 1 ? 1 : options.block);
  size_t have = 0;     // bytes in buf
  size_t pos = 0;      // where scanning resumes
  uint64_t base = options.start;  // absolute offset of buf[0]
  bool first = options.start == 0;
  bool eof = false;
  for (;;) {
    // keep the unscanned rest, then fill the buffer
    if (pos > 0) {
      std::memmove(buf.data(), buf.data() + pos, have - pos);
      have -= pos;
      base += pos;
      pos = 0;
    }
    if (!eof) {
      if (have == buf.size()) buf.resize(buf.size() * 2);  // one row longer than a block
      long n = read(buf.data() + have, buf.size() - have);
      if (n < 0) {
        out.systemError = std::strerror(errno);
        return;
      }
      if (n == 0) eof = true;
      have += static_cast<size_t>(n);
    }
    if (first && have >= 3) {
      first = false;
      if (buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) pos = 3;
    } else if (first && eof) {
      first = false;
      if (have >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) pos = 3;
    }
    if (first) continue;  // a BOM not fully arrived yet
    Input in{buf.data(), static_cast<long>(have), base};
    long next = options.csv ? csv.scan(in, static_cast<long>(pos), eof) : json.scan(in, static_cast<long>(pos), eof);
    if (next == SYNTAX) {
      out.errorAt = options.csv ? csv.errorAt : json.errorAt;
      return;
    }
    if (builder.oom) {
      out.systemError = "out of memory";
      return;
    }
    pos = static_cast<size_t>(next);
    if (eof) break;
  }
  if (!options.csv && !json.done()) {
    out.errorAt = base + have;
    return;
  }
  if (pos < have) {
    out.errorAt = base + pos;
    return;
  }
  builder.finish(out);
  out.seenMask = json.seenMask;
  out.ok = true;
}

}  // namespace

void index_file(const char* path, const IndexOptions& options, IndexResult& out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.systemError = std::strerror(errno);
    return;
  }
  uint64_t at = options.start;
  drive(
      options,
      [&](uint8_t* dst, size_t n) -> long {
        for (;;) {
          ssize_t r = pread(fd, dst, n, static_cast<off_t>(at));
          if (r < 0 && errno == EINTR) continue;
          if (r > 0) at += static_cast<uint64_t>(r);
          return static_cast<long>(r);
        }
      },
      out);
  close(fd);
}

void index_buffer(const uint8_t* data, size_t n, const IndexOptions& options, IndexResult& out) {
  size_t at = options.start;
  drive(
      options,
      [&](uint8_t* dst, size_t room) -> long {
        size_t k = n - at < room ? n - at : room;
        if (options.block < room && options.block < k) k = options.block;
        std::memcpy(dst, data + at, k);
        at += k;
        return static_cast<long>(k);
      },
      out);
}

namespace {

/** Takes the first row a scanner settles, when it starts where it was asked for, and stops it. */
struct RowSink {
  RowsResult& out;
  uint64_t want = 0;
  bool got = false;
  bool ok = false;

  bool stop() const { return got; }

  void add(const View& v) {
    if (got) return;
    got = true;
    ok = v.offset == want;
    if (!ok) return;
    uint8_t high = 0;
    for (int f = 0; f < FIELD_COUNT; f++) {
      out.kinds.push_back(v.kind[f]);
      const int32_t at = static_cast<int32_t>(out.data.size());
      if (v.kind[f] == KIND_ABSENT) {
        out.spans.push_back(at);
        out.spans.push_back(at);
        continue;
      }
      out.data.insert(out.data.end(), v.ptr[f], v.ptr[f] + v.len[f]);
      out.spans.push_back(at);
      out.spans.push_back(static_cast<int32_t>(out.data.size()));
      for (size_t k = 0; k < v.len[f]; k++) high |= v.ptr[f][k];
    }
    out.ascii.push_back((high & 0x80) == 0);
  }
};

constexpr size_t ROW_WINDOW = 4096;
constexpr size_t ROWS_BLOCK = 256 * 1024;

}  // namespace

void read_rows(const char* path, const RowsOptions& options, const double* offsets, size_t n, RowsResult& out) {
  out.settled.assign(n, 0);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    out.systemError = std::strerror(errno);
    return;
  }
  std::vector<uint8_t> buf(ROWS_BLOCK);
  uint64_t bufStart = 0;
  size_t bufLen = 0;
  bool bufEof = false;
  bool any = false;
  static const uint8_t OPEN_ARRAY[] = {'['};
  // one sink and one scanner for every row, their state reset a row (their buffers kept)
  RowSink sink{out};
  JsonScanner<RowSink> json(sink, 1);
  CsvScanner<RowSink> csv(sink, options.columns, 1);
  for (size_t k = 0; k < n; k++) {
    const double d = offsets[k];
    if (!(d >= 0 && d < 9007199254740992.0) || d != std::floor(d)) {
      // not a position: left to the caller
      out.kinds.resize(out.kinds.size() + FIELD_COUNT, KIND_ABSENT);
      out.spans.resize(out.spans.size() + 2 * FIELD_COUNT, 0);
      out.ascii.push_back(0);
      continue;
    }
    const uint64_t off = static_cast<uint64_t>(d);
    // the row's window in the buffer, else a read: from the row, as far as the offsets after it
    // lie within a row window of one another (successive rows are read with one pread)
    if (!any || off < bufStart || (off + ROW_WINDOW > bufStart + bufLen && !(bufEof && off <= bufStart + bufLen))) {
      size_t want = ROW_WINDOW;
      uint64_t last = off;
      for (size_t j = k + 1; j < n; j++) {
        const double dj = offsets[j];
        if (!(dj >= static_cast<double>(last)) || dj - static_cast<double>(last) > ROW_WINDOW ||
            dj + ROW_WINDOW - static_cast<double>(off) > ROWS_BLOCK) {
          break;
        }
        last = static_cast<uint64_t>(dj);
      }
      want = static_cast<size_t>(last - off) + ROW_WINDOW;
      size_t got = 0;
      while (got < want) {
        ssize_t r = pread(fd, buf.data() + got, want - got, static_cast<off_t>(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
          out.systemError = std::strerror(errno);
          close(fd);
          return;
        }
        if (r == 0) break;
        got += static_cast<size_t>(r);
      }
      bufStart = off;
      bufLen = got;
      bufEof = got < want;
      any = true;
    }
    const size_t from = static_cast<size_t>(off - bufStart);
    if (from >= bufLen) {
      out.kinds.resize(out.kinds.size() + FIELD_COUNT, KIND_ABSENT);
      out.spans.resize(out.spans.size() + 2 * FIELD_COUNT, 0);
      out.ascii.push_back(0);
      continue;
    }
    sink.want = off;
    sink.got = false;
    sink.ok = false;
    const size_t mark = out.data.size();
    // a row window first (a scanner sizes its scratch to what it is given), all there is if the
    // row is longer
    const size_t avail = bufLen - from;
    for (size_t size = avail < ROW_WINDOW ? avail : ROW_WINDOW;; size = avail) {
      Input in{buf.data() + from, static_cast<long>(size), off};
      const bool final = bufEof && size == avail;
      if (options.csv) {
        csv.line = 1;
        csv.scan(in, 0, final);
      } else {
        json.restart(1);
        Input open{OPEN_ARRAY, 1, off - 1};
        json.scan(open, 0, false);
        json.scan(in, 0, final);
      }
      if (sink.got || size == avail) break;
    }
    if (sink.ok) {
      out.settled[k] = 1;
    } else {
      // nothing of it kept: the row's kinds and spans say absent, the caller reads it itself
      out.data.resize(mark);
      out.kinds.resize(out.kinds.size() + FIELD_COUNT, KIND_ABSENT);
      out.spans.resize(out.spans.size() + 2 * FIELD_COUNT, 0);
      out.ascii.push_back(0);
    }
  }
  close(fd);
}

void join_serials(const JoinSide& o, const JoinSide& n, int32_t* oldOf) {
  const size_t size = o.tableSize;
  const int bits = table_bits(size);
  const uint32_t mask = static_cast<uint32_t>((uint64_t{1} << bits) - 1);
  uint32_t guess = 0;
  for (uint32_t k = 0; k < n.count; k++) {
    if ((n.flags[k] & (FLAG_NO_SERIAL | FLAG_DUPLICATE)) != 0) {
      oldOf[k] = -2;
      continue;
    }
    const uint8_t* s = n.arena + n.serialStart[k];
    const uint32_t len = n.serialStart[k + 1] - n.serialStart[k];
    int64_t found = -1;
    // successive reports list mostly the same certificates in the same order
    if (guess < o.count && (o.flags[guess] & (FLAG_NO_SERIAL | FLAG_DUPLICATE)) == 0 &&
        same(o.arena + o.serialStart[guess], o.serialStart[guess + 1] - o.serialStart[guess], s, len)) {
      found = guess;
    } else {
      uint32_t h = hash_bytes(s, len);
      uint32_t tag = slot_tag(h, bits);
      for (size_t slot = home_slot(h, size);; slot = slot + 1 == size ? 0 : slot + 1) {
        uint32_t v = static_cast<uint32_t>(o.table[slot]);
        if (v == 0) break;
        if ((v & ~mask) == tag) {
          uint32_t j = (v & mask) - 1;
          if (same(o.arena + o.serialStart[j], o.serialStart[j + 1] - o.serialStart[j], s, len)) {
            found = j;
            break;
          }
        }
      }
    }
    if (found >= 0) guess = static_cast<uint32_t>(found) + 1;
    oldOf[k] = static_cast<int32_t>(found);
  }
}

/** Where entry i is among n entries kept apart (ascending), or -1 (the twin of slotOf). */
static int64_t slot_of(const uint32_t* entries, uint32_t n, uint32_t i) {
  const uint32_t* at = std::lower_bound(entries, entries + n, i);
  return at != entries + n && *at == i ? at - entries : -1;
}

/** Entry i's fingerprint of the extended fields (the twin of fpExtOf). */
static int32_t fp_ext(const DiffSide& side, uint32_t i) {
  const uint8_t g = side.group[i];
  if (g != GROUP_ELSEWHERE) return g < side.groups ? side.groupExt[g] : 0;
  const int64_t k = slot_of(side.groupOtherEntry, side.groupOthers, i);
  return k < 0 ? 0 : side.groupOtherExt[k];
}

/** Entry i's notAfter (the twin of notAfterOf). */
static double not_after(const DiffSide& side, uint32_t i) {
  const uint32_t v = side.notAfter[i];
  if (v != NOT_AFTER_ELSEWHERE) return v;
  const int64_t k = slot_of(side.notAfterOtherEntry, side.notAfterOthers, i);
  return k < 0 ? NaN : side.notAfterOtherValue[k];
}

void diff_scan(const DiffSide& o, const DiffSide& n, double from, double to, bool compareExtended, DiffScan& out) {
  std::vector<int32_t> oldOf(n.count);
  join_serials(o, n, oldOf.data());
  std::vector<uint8_t> matched(o.count);
  for (uint32_t k = 0; k < n.count; k++) {
    const int32_t j = oldOf[k];
    if (j == -2) continue;
    const bool nRevoked = (n.flags[k] & FLAG_REVOKED) != 0;
    const double na = not_after(n, k);
    if (!nRevoked && na > from && na <= to) out.expired.push_back(static_cast<int32_t>(k));
    if (j < 0) {
      out.issued.push_back(static_cast<int32_t>(k));
      if (nRevoked) out.revoked.push_back(static_cast<int32_t>(k));
      continue;
    }
    matched[j] = 1;
    if (o.fpA[j] != n.fpA[k] || o.fpB[j] != n.fpB[k] || (compareExtended && fp_ext(o, static_cast<uint32_t>(j)) != fp_ext(n, k))) {
      out.changed.push_back(j);
      out.changed.push_back(static_cast<int32_t>(k));
    }
    const bool oRevoked = (o.flags[j] & FLAG_REVOKED) != 0;
    if (!oRevoked && nRevoked) {
      out.revoked.push_back(static_cast<int32_t>(k));
    } else if (oRevoked && !nRevoked) {
      out.events.insert(out.events.end(), {DIFF_UNREVOKED, j, static_cast<int32_t>(k)});
    } else if (oRevoked && nRevoked) {
      const int64_t os = slot_of(o.revokedEntry, o.revokedCount, static_cast<uint32_t>(j));
      const int64_t ns = slot_of(n.revokedEntry, n.revokedCount, k);
      const double ot = os < 0 ? NaN : o.revokedTime[os];
      const double nt = ns < 0 ? NaN : n.revokedTime[ns];
      const bool sameTime = ot == nt || (std::isnan(ot) && std::isnan(nt));
      const int oReason = os < 0 ? NO_REASON : o.revokedReason[os];
      const int nReason = ns < 0 ? NO_REASON : n.revokedReason[ns];
      if (!sameTime || oReason != nReason)
        out.events.insert(out.events.end(), {DIFF_REVOCATION_CHANGED, j, static_cast<int32_t>(k)});
    }
  }
  for (uint32_t j = 0; j < o.count; j++) {
    if (matched[j] == 0 && (o.flags[j] & (FLAG_NO_SERIAL | FLAG_DUPLICATE)) == 0)
      out.disappeared.push_back(static_cast<int32_t>(j));
  }
  // serial order: by magnitude (length, then octets), as compareEntrySerials
  auto before = [&n](int32_t a, int32_t b) {
    const uint32_t as = n.serialStart[a], al = n.serialStart[a + 1] - as;
    const uint32_t bs = n.serialStart[b], bl = n.serialStart[b + 1] - bs;
    if (al != bl) return al < bl;
    return std::memcmp(n.arena + as, n.arena + bs, al) < 0;
  };
  std::stable_sort(out.issued.begin(), out.issued.end(), before);
  std::stable_sort(out.revoked.begin(), out.revoked.end(), before);
  std::stable_sort(out.expired.begin(), out.expired.end(), before);
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (size_t k = 0; k < out.changed.size(); k += 2) pairs.emplace_back(out.changed[k], out.changed[k + 1]);
  std::stable_sort(pairs.begin(), pairs.end(), [&before](const auto& a, const auto& b) { return before(a.second, b.second); });
  for (size_t k = 0; k < pairs.size(); k++) {
    out.changed[2 * k] = pairs[k].first;
    out.changed[2 * k + 1] = pairs[k].second;
  }
}

void free_result(IndexResult& out) {
  for (Column* c : {&out.arena, &out.serialStart, &out.fpA, &out.fpB, &out.group, &out.groupCa, &out.groupExt,
                    &out.groupOtherEntry, &out.groupOtherCa, &out.groupOtherExt, &out.notAfter,
                    &out.notAfterOtherEntry, &out.notAfterOtherValue, &out.revokedEntry,
                    &out.revokedTime, &out.revokedReason, &out.flags, &out.offset, &out.lineRunEntry,
                    &out.lineRunFirst, &out.lineRunStep, &out.table}) {
    std::free(c->data);
    c->data = nullptr;
  }
}

}  // namespace pca
