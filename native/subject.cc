// RFC 2253 subject check: a port of checkSubjectBytes (scan, scanOid, scanString, scanHex) in
// src/core/subject.ts. Only accept/reject is computed; the JS recomputes the reason for rejected subjects.
// The state machines follow the TypeScript step for step, so keep the two in sync when either changes.
#include "subject.h"

#if defined(__SSE2__) && !defined(PCA_SUBJECT_NO_SIMD)
#include <emmintrin.h>
#define PCA_SUBJECT_SSE2 1
#endif

namespace pca {
namespace {

constexpr uint8_t COMMA = 0x2c;
constexpr uint8_t PLUS = 0x2b;
constexpr uint8_t EQUALS = 0x3d;
constexpr uint8_t HASH = 0x23;
constexpr uint8_t BACKSLASH = 0x5c;
constexpr uint8_t DOT = 0x2e;

// VALUE_CLASS
constexpr uint8_t C_PLAIN = 0;
constexpr uint8_t C_TERMINATOR = 1;
constexpr uint8_t C_FORBIDDEN = 2;
constexpr uint8_t C_BACKSLASH = 3;
constexpr uint8_t C_NON_ASCII = 4;
constexpr uint8_t C_CONTROL = 5;  // C0 and DEL; C1 (0xc2 0x80-0x9f) is checked at its lead byte

// Attribute type character flags.
constexpr uint8_t F_LETTER = 1;
constexpr uint8_t F_DIGIT = 2;
constexpr uint8_t F_KEYWORD = 4;  // letter, digit or '-'

constexpr uint8_t TAG_UTF8_STRING = 0x0c;
constexpr uint8_t TAG_PRINTABLE_STRING = 0x13;
constexpr uint8_t TAG_IA5_STRING = 0x16;
constexpr uint8_t TAG_VISIBLE_STRING = 0x1a;
constexpr uint8_t TAG_UNIVERSAL_STRING = 0x1c;
constexpr uint8_t TAG_BMP_STRING = 0x1e;

struct Tables {
  uint8_t value_class[256];
  uint8_t type_flags[256];
  int8_t hex[256];
  uint8_t escapable[256];
  uint8_t printable[256];
  // Per UTF-8 lead byte: continuation bytes still needed (0: not a valid lead), and the range allowed for
  // the first continuation byte (excludes overlongs, surrogates and code points above U+10FFFF).
  uint8_t utf8_need[256];
  uint8_t utf8_lo[256];
  uint8_t utf8_hi[256];

  constexpr Tables()
      : value_class(), type_flags(), hex(), escapable(), printable(), utf8_need(), utf8_lo(), utf8_hi() {
    for (int c = 0; c < 256; c++) {
      const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
      const bool digit = c >= '0' && c <= '9';
      type_flags[c] = static_cast<uint8_t>((letter ? F_LETTER : 0) | (digit ? F_DIGIT : 0) |
                                           (letter || digit || c == '-' ? F_KEYWORD : 0));
      value_class[c] = c >= 0x80 ? C_NON_ASCII : c < 0x20 || c == 0x7f ? C_CONTROL : C_PLAIN;
      hex[c] = -1;
      printable[c] = letter || digit ? 1 : 0;
    }
    value_class[COMMA] = C_TERMINATOR;
    value_class[PLUS] = C_TERMINATOR;
    value_class[BACKSLASH] = C_BACKSLASH;
    value_class['"'] = C_FORBIDDEN;
    value_class['<'] = C_FORBIDDEN;
    value_class['>'] = C_FORBIDDEN;
    value_class[';'] = C_FORBIDDEN;
    for (int k = 0; k < 10; k++) hex['0' + k] = static_cast<int8_t>(k);
    for (int k = 0; k < 6; k++) {
      hex['a' + k] = static_cast<int8_t>(10 + k);
      hex['A' + k] = static_cast<int8_t>(10 + k);
    }
    const char* esc = ",+\"\\<>;=# ";
    for (int k = 0; esc[k] != 0; k++) escapable[static_cast<uint8_t>(esc[k])] = 1;
    const char* pr = " '()+,-./:=?";
    for (int k = 0; pr[k] != 0; k++) printable[static_cast<uint8_t>(pr[k])] = 1;
    leads(0xc2, 0xdf, 1, 0x80, 0xbf);
    leads(0xe0, 0xe0, 2, 0xa0, 0xbf);
    leads(0xe1, 0xec, 2, 0x80, 0xbf);
    leads(0xed, 0xed, 2, 0x80, 0x9f);
    leads(0xee, 0xef, 2, 0x80, 0xbf);
    leads(0xf0, 0xf0, 3, 0x90, 0xbf);
    leads(0xf1, 0xf3, 3, 0x80, 0xbf);
    leads(0xf4, 0xf4, 3, 0x80, 0x8f);
  }

  constexpr void leads(int from, int to, uint8_t need, uint8_t lo, uint8_t hi) {
    for (int c = from; c <= to; c++) {
      utf8_need[c] = need;
      utf8_lo[c] = lo;
      utf8_hi[c] = hi;
    }
  }
};

constexpr Tables T{};

/** The first index in [i, end) whose byte is not C_PLAIN, or end. */
inline size_t skip_plain(const uint8_t* b, size_t i, size_t end) {
#ifdef PCA_SUBJECT_SSE2
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i plus = _mm_set1_epi8('+');
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i semi = _mm_set1_epi8(';');
  const __m128i less = _mm_set1_epi8('<');
  const __m128i greater = _mm_set1_epi8('>');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i del = _mm_set1_epi8(0x7f);
  while (end - i >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
    __m128i special = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, plus));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(v, comma));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(v, semi));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(v, less));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(v, greater));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(v, backslash));
    // C_CONTROL: below ' ' (signed, so bytes >= 0x80 match too, as they must) or DEL
    special = _mm_or_si128(special, _mm_cmplt_epi8(v, space));
    special = _mm_or_si128(special, _mm_cmpeq_epi8(v, del));
    // Bytes >= 0x80 (C_NON_ASCII) have their sign bit set.
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(special, v)));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < end && T.value_class[b[i]] == C_PLAIN) i++;
  return i;
}

inline bool is_oid_prefix(const uint8_t* b, size_t at) {
  return (b[at] | 0x20) == 0x6f && (b[at + 1] | 0x20) == 0x69 && (b[at + 2] | 0x20) == 0x64;
}

/** scanOid: a dotted OID from start; on success *out is the position after it. */
inline bool scan_oid(const uint8_t* b, size_t start, size_t end, size_t* out) {
  size_t i = start;
  size_t arc_length = 0;
  size_t dots = 0;
  while (i < end) {
    const uint8_t c = b[i];
    if (T.type_flags[c] & F_DIGIT) {
      arc_length++;
    } else if (c == DOT) {
      if (arc_length == 0) return false;
      arc_length = 0;
      dots++;
    } else {
      break;
    }
    i++;
  }
  if (arc_length == 0 || dots == 0) return false;
  *out = i;
  return true;
}

/**
 * scanString: a string value from start (need == 0 there) up to its terminating unescaped ',' or '+' (or
 * the end); on success *out is that position.
 */
bool scan_string(const uint8_t* b, size_t start, size_t end, size_t* out) {
  size_t i = start;
  unsigned need = 0;
  unsigned lo = 0;
  unsigned hi = 0;
  bool from_escape = false;
  while (i < end) {
    unsigned c = b[i];
    if (need == 0) {
      if (T.value_class[c] == C_PLAIN) {
        i = skip_plain(b, i, end);
        if (i == end) break;
        c = b[i];
      }
    } else if (c != BACKSLASH) {
      if (from_escape) return false;
      if (c < lo || c > hi) return false;
      need--;
      lo = 0x80;
      hi = 0xbf;
      i++;
      continue;
    }
    switch (T.value_class[c]) {
      case C_PLAIN:  // not reached (need == 0 skipped the run; need != 0 only gets here on a backslash)
        i++;
        break;
      case C_TERMINATOR:
        *out = i;
        return true;
      case C_FORBIDDEN:
      case C_CONTROL:
        return false;
      case C_NON_ASCII:
        if (c == 0xc2 && i + 1 < end && b[i + 1] >= 0x80 && b[i + 1] <= 0x9f) return false;  // C1 control
        need = T.utf8_need[c];
        if (need == 0) return false;
        lo = T.utf8_lo[c];
        hi = T.utf8_hi[c];
        from_escape = false;
        i++;
        break;
      default: {  // C_BACKSLASH
        if (need != 0 && !from_escape) return false;
        if (i + 1 == end) return false;
        const uint8_t d = b[i + 1];
        const int h1 = T.hex[d];
        if (h1 < 0) {
          if (!T.escapable[d]) return false;
          if (need != 0) return false;
          i += 2;
          break;
        }
        if (i + 2 == end) return false;
        const int h2 = T.hex[b[i + 2]];
        if (h2 < 0) return false;
        const unsigned v = static_cast<unsigned>((h1 << 4) | h2);
        if (need != 0) {
          if (v < lo || v > hi) return false;
          need--;
          lo = 0x80;
          hi = 0xbf;
        } else if (v >= 0x80) {
          need = T.utf8_need[v];
          if (need == 0) return false;
          lo = T.utf8_lo[v];
          hi = T.utf8_hi[v];
          from_escape = true;
        }
        i += 3;
      }
    }
  }
  if (need != 0) return false;
  *out = end;
  return true;
}

enum Phase { P_TAG, P_TAG_NUMBER, P_LENGTH, P_LENGTH_OCTETS, P_CONTENT, P_DONE };
enum Mode { M_ANY, M_UTF8, M_PRINTABLE, M_IA5, M_VISIBLE, M_BMP, M_UNIVERSAL };

inline Mode content_mode(unsigned tag) {
  switch (tag) {
    case TAG_UTF8_STRING:
      return M_UTF8;
    case TAG_PRINTABLE_STRING:
      return M_PRINTABLE;
    case TAG_IA5_STRING:
      return M_IA5;
    case TAG_VISIBLE_STRING:
      return M_VISIBLE;
    case TAG_BMP_STRING:
      return M_BMP;
    case TAG_UNIVERSAL_STRING:
      return M_UNIVERSAL;
    default:
      // TeletexString is taken as latin1, so every byte is acceptable; so are other tags' contents.
      return M_ANY;
  }
}

/**
 * scanHex: the hex digits from start (just after '#') up to the terminating ',' or '+' (or the end) must be
 * exactly one DER TLV, string types checked against their character set; on success *out is the terminator.
 */
bool scan_hex(const uint8_t* b, size_t start, size_t end, size_t* out) {
  size_t i = start;
  Phase phase = P_TAG;
  unsigned tag = 0;
  unsigned length_octets = 0;
  uint64_t remaining = 0;  // at most 4 length octets: fits in 32 bits, kept wide for the multiply
  Mode mode = M_ANY;
  unsigned need = 0;
  unsigned lo = 0;
  unsigned hi = 0;
  uint32_t unit = 0;
  unsigned unit_bytes = 0;
  bool high_surrogate = false;
  while (i < end) {
    const uint8_t c = b[i];
    if (c == COMMA || c == PLUS) break;
    const int h1 = T.hex[c];
    if (h1 < 0) return false;
    if (i + 1 == end) return false;
    const int h2 = T.hex[b[i + 1]];
    if (h2 < 0) return false;
    const unsigned v = static_cast<unsigned>((h1 << 4) | h2);
    i += 2;
    if (phase == P_CONTENT) {
      switch (mode) {
        case M_UTF8:
          if (need != 0) {
            if (v < lo || v > hi) return false;
            need--;
            lo = 0x80;
            hi = 0xbf;
          } else if (v >= 0x80) {
            need = T.utf8_need[v];
            if (need == 0) return false;
            lo = T.utf8_lo[v];
            hi = T.utf8_hi[v];
          }
          break;
        case M_PRINTABLE:
          if (!T.printable[v]) return false;
          break;
        case M_IA5:
          if (v >= 0x80) return false;
          break;
        case M_VISIBLE:
          if (v < 0x20 || v > 0x7e) return false;
          break;
        case M_BMP:
          if (unit_bytes == 0) {
            unit = v;
            unit_bytes = 1;
            break;
          }
          unit = unit * 256 + v;
          unit_bytes = 0;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (high_surrogate) return false;
            high_surrogate = true;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            if (!high_surrogate) return false;
            high_surrogate = false;
          } else if (high_surrogate) {
            return false;
          }
          break;
        case M_UNIVERSAL:
          unit = unit * 256 + v;  // 4 bytes at most before the reset: no overflow
          if (++unit_bytes == 4) {
            if (unit > 0x10ffff || (unit >= 0xd800 && unit <= 0xdfff)) return false;
            unit = 0;
            unit_bytes = 0;
          }
          break;
        case M_ANY:
          break;
      }
      if (--remaining == 0) {
        if (need != 0) return false;
        if (high_surrogate) return false;
        phase = P_DONE;
      }
      continue;
    }
    switch (phase) {
      case P_TAG:
        tag = v;
        phase = (v & 0x1f) == 0x1f ? P_TAG_NUMBER : P_LENGTH;
        continue;
      case P_TAG_NUMBER:
        if ((v & 0x80) == 0) phase = P_LENGTH;
        continue;
      case P_LENGTH:
        if (v == 0x80) return false;
        if (v > 0x80) {
          length_octets = v & 0x7f;
          if (length_octets > 4) return false;
          phase = P_LENGTH_OCTETS;
          continue;
        }
        remaining = v;
        break;
      case P_LENGTH_OCTETS:
        if (remaining == 0 && v == 0) return false;
        remaining = remaining * 256 + v;
        if (--length_octets != 0) continue;
        if (remaining < 0x80) return false;
        break;
      default:  // P_DONE: data after the TLV
        return false;
    }
    // The length is complete.
    mode = content_mode(tag);
    if (mode == M_BMP && remaining % 2 != 0) return false;
    if (mode == M_UNIVERSAL && remaining % 4 != 0) return false;
    phase = remaining == 0 ? P_DONE : P_CONTENT;
  }
  if (phase != P_DONE) return false;  // P_TAG: empty #hex; otherwise truncated
  *out = i;
  return true;
}

}  // namespace

bool subject_ok(const uint8_t* b, size_t n) {
  // Zero RDNs; any non-empty input has one more RDN than it has unescaped commas.
  if (n == 0) return true;
  size_t i = 0;
  bool at_rdn_start = true;
  for (;;) {
    if (at_rdn_start) {
      if (i == n) return true;
      if (b[i] == COMMA) {  // empty RDN
        i++;
        continue;
      }
    }
    if (i == n) return false;
    const uint8_t first = b[i];
    const uint8_t flags = T.type_flags[first];
    if (flags & F_LETTER) {
      const size_t type_start = i;
      i++;
      while (i < n && (T.type_flags[b[i]] & F_KEYWORD)) i++;
      if (i < n && b[i] == DOT && i - type_start == 3 && is_oid_prefix(b, type_start)) {
        if (!scan_oid(b, i + 1, n, &i)) return false;
      }
    } else if (flags & F_DIGIT) {
      if (!scan_oid(b, i, n, &i)) return false;
    } else {
      return false;
    }
    if (i == n || b[i] != EQUALS) return false;
    i++;
    if (i < n && b[i] == HASH) {
      if (!scan_hex(b, i + 1, n, &i)) return false;
    } else {
      // Plain ASCII runs are skipped inline; scan_string resumes at anything else (no UTF-8 state pending).
      i = skip_plain(b, i, n);
      if (i < n && T.value_class[b[i]] != C_TERMINATOR) {
        if (!scan_string(b, i, n, &i)) return false;
      }
    }
    if (i == n) return true;
    // b[i] is ',' or '+'.
    at_rdn_start = b[i] == COMMA;
    i++;
  }
}

}  // namespace pca
