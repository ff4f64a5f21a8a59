// The malformed-file table: every case is a GGUF image made here, written to "<case>.gguf",
// opened, and must fail with one tern::Error naming the file, the field and the problem.
// Then sweeps: every truncation of a valid file and every single-byte corruption of its
// header must either parse or throw tern::Error (never crash, hang or read out of bounds;
// the ASan build checks the latter).
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "gguf/gguf_file.h"
#include "gguf_test_util.h"
#include "tern/error.h"

namespace tern::gguf::test {
namespace {

constexpr uint32_t kF32 = 0, kQ8_0 = 8;

// A small valid file: two metadata keys, two F32 tensors "a" [8,2] (64 B) and "b" [4] (16 B
// at offset 64), 80 data bytes.
RawFile valid() {
  RawFile f;
  f.kvs.push_back(kv_str("general.architecture", "test"));
  f.kvs.push_back(kv_u32("test.block_count", 2));
  f.tensors.push_back(tensor_info({"a", {8, 2}, kF32, 0}));
  f.tensors.push_back(tensor_info({"b", {4}, kF32, 64}));
  f.data_bytes = 80;
  return f;
}

// valid() with one more key.
RawFile with_kv(Bytes extra) {
  RawFile f = valid();
  f.kvs.push_back(std::move(extra));
  return f;
}

// valid() with tensor "b" replaced.
RawFile with_b(RawTensor b) {
  RawFile f = valid();
  f.tensors[1] = tensor_info(b);
  return f;
}

std::vector<uint8_t> truncated(std::vector<uint8_t> v, size_t n) {
  v.resize(n);
  return v;
}

// An array value nested `depth` levels deep: [[[ ... [] ... ]]].
Bytes nested_arrays(int depth) {
  Bytes v;
  for (int d = 0; d < depth; ++d) v.u32(static_cast<uint32_t>(ValueType::ARRAY)).u64(1);
  v.u32(static_cast<uint32_t>(ValueType::U8)).u64(0);
  return v;
}

struct Case {
  const char* name;
  std::function<std::vector<uint8_t>()> make;
  const char* field;    // the message must name this field...
  const char* problem;  // ...and this problem
};

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"empty_file", [] { return std::vector<uint8_t>{}; }, "header", "truncated"},
      {"bad_magic", [] { auto v = valid().encode(); v[0] = 'X'; return v; }, "header", "bad magic 'XGUF'"},
      {"version_1", [] { RawFile f = valid(); f.version = 1; return f.encode(); }, "version",
       "GGUF version 1 is not supported"},
      {"version_99", [] { RawFile f = valid(); f.version = 99; return f.encode(); }, "version",
       "unsupported GGUF version 99"},
      {"big_endian", [] { RawFile f = valid(); f.version = 0x03000000; return f.encode(); }, "version",
       "big-endian"},
      {"truncated_in_counts", [] { return truncated(valid().encode(), 12); }, "tensor count", "truncated"},
      {"huge_kv_count", [] { RawFile f = valid(); f.n_kv = int64_t{1} << 60; return f.encode(); },
       "metadata count", "cannot fit"},
      {"huge_tensor_count", [] { RawFile f = valid(); f.n_tensors = int64_t{1} << 40; return f.encode(); },
       "tensor count", "cannot fit"},
      {"truncated_in_key", [] {
         RawFile f;
         f.kvs.push_back(kv_u32(std::string(100, 'k'), 1));
         return truncated(f.encode(), 24 + 8 + 50);  // half of the key's bytes
       }, "metadata key #0", "truncated: the key length 100"},
      {"huge_key_length", [] { RawFile f = valid(); Bytes k; k.u64(uint64_t{1} << 62).raw("abc", 3); f.kvs[0] = k; return f.encode(); },
       "metadata key #0", "exceeds"},
      {"empty_key", [] { return with_kv(kv("", ValueType::U8, Bytes().u8(1))).encode(); }, "metadata key #2",
       "empty key"},
      {"bad_value_type", [] { return with_kv(Bytes().str("x.bad").u32(13).u32(0)).encode(); }, "key 'x.bad'",
       "unknown value type 13"},
      {"truncated_value", [] { RawFile f; f.kvs.push_back(Bytes().str("x.v").u32(4).raw("\x01\x02", 2)); return truncated(f.encode(), 24 + 8 + 3 + 4 + 2); },
       "key 'x.v'", "truncated"},
      {"huge_string_length", [] { return with_kv(kv("x.s", ValueType::STRING, Bytes().u64(uint64_t{1} << 50))).encode(); },
       "key 'x.s'", "string length 1125899906842624"},
      {"bad_array_elem_type", [] { return with_kv(kv("x.arr", ValueType::ARRAY, Bytes().u32(77).u64(1).u8(0))).encode(); },
       "key 'x.arr'", "unknown array element type 77"},
      {"huge_array_count", [] { return with_kv(kv("x.arr", ValueType::ARRAY, Bytes().u32(6).u64(uint64_t{1} << 61))).encode(); },
       "key 'x.arr'", "cannot fit"},
      {"huge_nested_array_count", [] {
         Bytes v;
         v.u32(9).u64(2).u32(0).u64(0).u32(8).u64(uint64_t{1} << 40);  // [[], [1<<40 strings]]
         return with_kv(kv("x.nest", ValueType::ARRAY, v)).encode();
       }, "key 'x.nest'[1]", "cannot fit"},
      {"nested_array_bomb", [] { return with_kv(kv("x.deep", ValueType::ARRAY, nested_arrays(40))).encode(); },
       "key 'x.deep'[0][0][0][0][0][0][0]", "nested deeper than 8"},
      {"bad_string_in_array", [] {
         Bytes v;
         v.u32(8).u64(3).str("ok").str("fine").u64(999999);
         return with_kv(kv("tokenizer.ggml.tokens", ValueType::ARRAY, v)).encode();
       }, "key 'tokenizer.ggml.tokens'[2]", "string length 999999"},
      {"bad_bool", [] { return with_kv(kv("x.flag", ValueType::BOOL, Bytes().u8(7))).encode(); }, "key 'x.flag'",
       "bool value 7 is neither 0 nor 1"},
      {"duplicate_key", [] { return with_kv(kv_u32("test.block_count", 3)).encode(); }, "key 'test.block_count'",
       "duplicate key"},
      {"alignment_zero", [] { return with_kv(kv_u32("general.alignment", 0)).encode(); }, "key 'general.alignment'",
       "not a non-zero power of two"},
      {"alignment_not_pow2", [] { return with_kv(kv_u32("general.alignment", 48)).encode(); },
       "key 'general.alignment'", "alignment 48 is not a non-zero power of two"},
      {"alignment_wrong_type", [] { return with_kv(kv_str("general.alignment", "32")).encode(); },
       "key 'general.alignment'", "must be a positive integer"},
      {"alignment_too_large", [] { return with_kv(kv("general.alignment", ValueType::U64, Bytes().u64(uint64_t{1} << 63))).encode(); },
       "key 'general.alignment'", "too large"},
      {"truncated_in_tensor_name", [] {
         RawFile f = valid();
         f.tensors = {tensor_info({std::string(100, 'w'), {4}, kF32, 0})};
         size_t header = 24;
         for (const Bytes& k : f.kvs) header += k.size();
         return truncated(f.encode(), header + 8 + 50);  // half of the name's bytes
       }, "tensor #0", "truncated: the tensor name length 100"},
      {"empty_tensor_name", [] { return with_b({"", {4}, kF32, 64}).encode(); }, "tensor #1", "empty tensor name"},
      // n_dims 0 is a scalar ([1], as ggml reads it): fine for F32 (gguf_scalar_tensor_test.cpp),
      // but one element is not a whole Q8_0 block.
      {"scalar_of_block_type", [] { return with_b({"b", {}, kQ8_0, 64}).encode(); }, "tensor 'b'",
       "row length 1 is not a multiple of Q8_0's block of 32"},
      {"n_dims_5", [] { return with_b({"b", {1, 1, 1, 1, 4}, kF32, 64}).encode(); }, "tensor 'b'",
       "n_dims 5 is not in 0..4"},
      {"dim_zero", [] { return with_b({"b", {4, 0}, kF32, 64}).encode(); }, "tensor 'b'", "dimension 1 is 0"},
      {"dims_overflow", [] { return with_b({"b", {uint64_t{1} << 32, uint64_t{1} << 32}, kF32, 64}).encode(); },
       "tensor 'b'", "element count overflows"},
      {"bytes_overflow", [] { return with_b({"b", {uint64_t{1} << 62}, kF32, 64}).encode(); }, "tensor 'b'",
       "overflows 64 bits"},
      {"unknown_tensor_type", [] { return with_b({"b", {4}, 99, 64}).encode(); }, "tensor 'b'",
       "unknown tensor type 99"},
      {"row_not_block_multiple", [] { return with_b({"b", {33}, kQ8_0, 64}).encode(); }, "tensor 'b'",
       "row length 33 is not a multiple of Q8_0's block of 32"},
      {"i2s_row_not_128", [] { return with_b({"b", {64, 2}, 36, 64}).encode(); }, "tensor 'b'",
       "row length 64 is not a multiple of I2_S's block of 128"},
      {"misaligned_offset", [] { return with_b({"b", {4}, kF32, 65}).encode(); }, "tensor 'b'",
       "data offset 65 is not a multiple of the alignment 32"},
      {"offset_out_of_range", [] { return with_b({"b", {4}, kF32, 96}).encode(); }, "tensor 'b'",
       "data offset 96 + size 16 exceeds the data section (80 bytes)"},
      {"offset_plus_size_wraps", [] { return with_b({"b", {8, 2}, kF32, ~uint64_t{31}}).encode(); }, "tensor 'b'",
       "exceeds the data section"},
      {"data_section_truncated", [] { RawFile f = valid(); f.data_bytes = 70; return f.encode(); }, "tensor 'b'",
       "data offset 64 + size 16 exceeds the data section (70 bytes)"},
      {"overlapping_tensors", [] { return with_b({"b", {4}, kF32, 32}).encode(); }, "tensor 'b'",
       "overlaps tensor 'a' [0, 64)"},
      {"duplicate_tensor_name", [] { return with_b({"a", {4}, kF32, 64}).encode(); }, "tensor 'a'",
       "duplicate tensor name"},
      {"data_section_past_eof", [] {
         // A header that ends unaligned, cut off before its padding, with a tensor to place.
         RawFile f = valid();
         f.data_bytes = 0;
         auto v = f.encode();
         size_t header = 24;
         for (const Bytes& k : f.kvs) header += k.size();
         for (const Bytes& t : f.tensors) header += t.size();
         return truncated(v, header);
       }, "data section", "past the end of the file"},
  };
  return table;
}

class Malformed : public ::testing::TestWithParam<size_t> {};

TEST_P(Malformed, FailsNamingFileFieldAndProblem) {
  const Case& c = cases()[GetParam()];
  TempDir dir;
  const std::string path = dir.write(std::string(c.name) + ".gguf", c.make());
  try {
    File::open(path);
    FAIL() << c.name << ": opened without error";
  } catch (const tern::Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << "message does not start with the path: " << msg;
    EXPECT_NE(msg.find(c.field), std::string::npos) << "field '" << c.field << "' missing from: " << msg;
    EXPECT_NE(msg.find(c.problem), std::string::npos) << "problem '" << c.problem << "' missing from: " << msg;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, Malformed, ::testing::Range<size_t>(0, cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) { return std::string(cases()[info.param].name); });

TEST(MalformedTable, HasAtLeast25DistinctCases) {
  EXPECT_GE(cases().size(), 25u);
  std::vector<std::vector<uint8_t>> images;
  for (const Case& c : cases()) images.push_back(c.make());
  for (size_t i = 0; i < images.size(); ++i) {
    for (size_t j = i + 1; j < images.size(); ++j) EXPECT_NE(images[i], images[j]) << cases()[i].name << " = " << cases()[j].name;
  }
}

TEST(MalformedBase, ValidFileParses) {
  const auto image = valid().encode();
  const File f = File::parse(image, "valid.gguf");
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.tensor("b").offset, 64u);
  EXPECT_EQ(f.get_uint("test.block_count"), 2u);
}

TEST(MalformedBase, Version2IsReadLikeVersion3) {
  RawFile f = valid();
  f.version = 2;
  const auto image = f.encode();
  const File file = File::parse(image, "v2.gguf");
  EXPECT_EQ(file.version(), 2u);
  EXPECT_EQ(file.tensors().size(), 2u);
}

// Every prefix that cuts into a tensor's data (or anything before it) must be rejected,
// each with a message naming the in-memory name.
TEST(MalformedSweep, EveryTruncationIsRejected) {
  const auto image = valid().encode();
  for (size_t n = 0; n < image.size(); ++n) {
    std::span<const uint8_t> prefix(image.data(), n);
    try {
      File::parse(prefix, "cut.gguf");
      ADD_FAILURE() << "prefix of " << n << " bytes parsed";
    } catch (const tern::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut.gguf: ", 0), 0u) << e.what();
    }
  }
}

// Each single byte of the header set to several values: parse or tern::Error, nothing else.
TEST(MalformedSweep, EveryHeaderByteCorruptionIsHandled) {
  RawFile f = valid();
  f.kvs.push_back(kv("x.arr", ValueType::ARRAY, Bytes().u32(8).u64(2).str("ab").str("")));
  const auto image = f.encode();
  const size_t header = image.size() - f.data_bytes;
  size_t rejected = 0;
  for (size_t i = 0; i < header; ++i) {
    for (uint8_t v : {uint8_t{0}, uint8_t{1}, uint8_t{0x7f}, uint8_t{0xff}}) {
      auto bad = image;
      bad[i] = v;
      try {
        File::parse(bad, "bad.gguf");
      } catch (const tern::Error&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, header);  // most corruptions are detected
}

}  // namespace
}  // namespace tern::gguf::test
