// Decimal text → double, exactly as std::from_chars(first, last, double&) with the default
// chars_format::general reads it, and independent of the C locale: an optional '-', digits
// with an optional '.' (at least one digit), an optional exponent (e|E, optional sign,
// digits), or inf / infinity / nan / nan(chars) in any case. No leading whitespace or '+'.
//
// Why not std::from_chars directly: LLVM's libc++ (the C++ library on macOS, and Zig's)
// has no floating-point from_chars before LLVM 20, so the chat template code that reads
// float literals would not compile there. parse_double uses from_chars where the library
// has it (__cpp_lib_to_chars) and parse_double_portable elsewhere.
#pragma once

#include <string_view>

namespace tern {

// Reads the whole of `text` into *out. False (and *out unchanged) if `text` is not one
// number in the grammar above, or its value is out of double's range (from_chars's
// result_out_of_range).
bool parse_double(std::string_view text, double* out);

// The implementation used where std::from_chars has no double overload: the grammar is
// checked here, the digits are converted by the classic-locale stream. Tested against
// parse_double on every library (tests/runtime/parse_double_test.cpp).
bool parse_double_portable(std::string_view text, double* out);

}  // namespace tern
