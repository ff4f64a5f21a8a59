#include "runtime/parse_double.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <locale>
#include <sstream>
#include <string>
#include <system_error>

namespace tern {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    if (c != lower[i]) return false;
  }
  return true;
}

// "nan" or "nan(" [A-Za-z0-9_]* ")", any case.
bool is_nan_text(std::string_view t) {
  if (t.size() < 3 || !equals_lower(t.substr(0, 3), "nan")) return false;
  if (t.size() == 3) return true;
  if (t[3] != '(' || t.back() != ')') return false;
  for (char c : t.substr(4, t.size() - 5))
    if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '_') return false;
  return true;
}

// digits [. digits] | . digits, then optionally (e|E) [+-] digits: the whole of `t`.
bool is_decimal_text(std::string_view t) {
  size_t i = 0, mantissa_digits = 0;
  for (; i < t.size() && is_digit(t[i]); ++i) ++mantissa_digits;
  if (i < t.size() && t[i] == '.')
    for (++i; i < t.size() && is_digit(t[i]); ++i) ++mantissa_digits;
  if (mantissa_digits == 0) return false;
  if (i == t.size()) return true;
  if (t[i] != 'e' && t[i] != 'E') return false;
  ++i;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  size_t exponent_digits = 0;
  for (; i < t.size() && is_digit(t[i]); ++i) ++exponent_digits;
  return exponent_digits > 0 && i == t.size();
}

}  // namespace

bool parse_double_portable(std::string_view text, double* out) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string_view t = text.substr(negative ? 1 : 0);
  double v = 0;
  if (equals_lower(t, "inf") || equals_lower(t, "infinity")) {
    v = std::numeric_limits<double>::infinity();
  } else if (is_nan_text(t)) {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (is_decimal_text(t)) {
    std::istringstream in{std::string(t)};
    in.imbue(std::locale::classic());
    in >> v;
    // Out of range: the stream fails (overflow) or returns ±HUGE_VAL; from_chars refuses.
    if (in.fail() || std::isinf(v)) return false;
  } else {
    return false;
  }
  *out = negative ? -v : v;
  return true;
}

bool parse_double(std::string_view text, double* out) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return false;
  *out = v;
  return true;
#else
  return parse_double_portable(text, out);
#endif
}

}  // namespace tern
