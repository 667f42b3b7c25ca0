// RFC 2253 subject check: the native twin of checkSubjectBytes in src/core/subject.ts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace pca {
/** Whether bytes[0, n) is a subject checkSubjectBytes accepts (returns null for). */
bool subject_ok(const uint8_t* bytes, size_t n);
}  // namespace pca
