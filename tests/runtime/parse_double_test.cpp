// parse_double reads what std::from_chars reads; parse_double_portable (used where the C++
// library has no floating-point from_chars: libc++ before LLVM 20, i.e. macOS) must agree
// with it on every input, value and verdict alike.
#include "runtime/parse_double.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace tern {
namespace {

struct Parsed {
  bool ok = false;
  double value = 0;
};

Parsed parse_with(bool (*parse)(std::string_view, double*), const std::string& text) {
  Parsed p;
  p.value = -12345.0;  // a failed parse must leave it alone
  p.ok = parse(text, &p.value);
  return p;
}

TEST(ParseDouble, ReadsDecimalTextExactly) {
  const std::vector<std::pair<std::string, double>> cases = {
      {"0", 0.0},        {"1", 1.0},          {"-2.5", -2.5},       {".5", 0.5},
      {"5.", 5.0},       {"1e3", 1000.0},     {"1E-3", 0.001},      {"2.5e+2", 250.0},
      {"0.1", 0.1},      {"3.14159", 3.14159}, {"1.7976931348623157e308", 1.7976931348623157e308},
      {"0000.0001", 1e-4}, {"123456789012345678901234567890", 123456789012345678901234567890.0}};
  for (const auto& [text, want] : cases) {
    for (auto parse : {&parse_double, &parse_double_portable}) {
      const Parsed p = parse_with(parse, text);
      ASSERT_TRUE(p.ok) << text;
      uint64_t got_bits = 0, want_bits = 0;
      std::memcpy(&got_bits, &p.value, 8);
      std::memcpy(&want_bits, &want, 8);
      EXPECT_EQ(got_bits, want_bits) << text;  // correctly rounded, not merely close
    }
  }
}

TEST(ParseDouble, ReadsInfinityAndNan) {
  for (auto parse : {&parse_double, &parse_double_portable}) {
    EXPECT_EQ(parse_with(parse, "inf").value, INFINITY);
    EXPECT_EQ(parse_with(parse, "-Infinity").value, -INFINITY);
    EXPECT_TRUE(std::isnan(parse_with(parse, "nan").value));
    EXPECT_TRUE(std::isnan(parse_with(parse, "NaN(123_abc)").value));
  }
}

TEST(ParseDouble, RefusesWhatFromCharsRefuses) {
  for (const std::string text : {"", "-", ".", "e5", "1e", "1e+", "+1", " 1", "1 ", "1.2.3", "0x10", "1,5",
                                 "--1", "infin", "nan(", "nan(a-b)", "1e400", "-1e400", "1_000", "١"}) {
    for (auto parse : {&parse_double, &parse_double_portable}) {
      const Parsed p = parse_with(parse, text);
      EXPECT_FALSE(p.ok) << "'" << text << "'";
      EXPECT_EQ(p.value, -12345.0) << "'" << text << "'";
    }
  }
}

TEST(ParseDouble, PortableAgreesWithFromCharsOnGeneratedNumbers) {
  // Mantissas and exponents across double's range, including its edges.
  int checked = 0;
  for (const char* mantissa : {"1", "9.999", "2.2250738585072014", "4.9406564584124654", "1.7976931348623157",
                               "0.30000000000000004", "123.456"}) {
    for (int e = -320; e <= 310; e += 7) {
      const std::string text = std::string(mantissa) + "e" + std::to_string(e);
      const Parsed a = parse_with(&parse_double, text), b = parse_with(&parse_double_portable, text);
      ASSERT_EQ(a.ok, b.ok) << text;
      if (a.ok) {
        EXPECT_EQ(a.value, b.value) << text;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 500);
}

}  // namespace
}  // namespace tern
