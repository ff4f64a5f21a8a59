// Raw Unicode tables generated from Python's unicodedata (see gen_unicode_tables.py).
// Only unicode.cpp reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace tern::chat::unicode::tables {

// Code points first, first+stride, ..., last all map to cp + delta.
struct CaseRun {
  uint32_t first, last, stride;
  int32_t delta;
};
// A code point whose mapping is several code points (zero-padded).
struct CaseMulti {
  uint32_t cp;
  uint32_t to[3];
};
struct Range {
  uint32_t first, last;
};

extern const CaseRun k_upper_runs[], k_lower_runs[], k_title_runs[];
extern const std::size_t k_upper_runs_size, k_lower_runs_size, k_title_runs_size;
extern const CaseMulti k_upper_multi[], k_lower_multi[], k_title_multi[];
extern const std::size_t k_upper_multi_size, k_lower_multi_size, k_title_multi_size;
extern const Range k_space[], k_cased[], k_case_ignorable[], k_nonprintable[];
extern const std::size_t k_space_size, k_cased_size, k_case_ignorable_size, k_nonprintable_size;

}  // namespace tern::chat::unicode::tables
