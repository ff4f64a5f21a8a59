// Writer -> reader round trips: every value type (nested and empty arrays, empty strings),
// many tensors of several types written in uneven chunks, alignments 32 and 64; the file
// read back must hold identical metadata and identical tensor bytes. Also writer misuse.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_test_util.h"
#include "tern/error.h"

namespace tern::gguf::test {
namespace {

using VT = ValueType;

// Every value type, including arrays of every element type, nested and empty arrays.
std::vector<std::pair<std::string, Value>> all_value_kinds() {
  std::vector<std::pair<std::string, Value>> kv = {
      {"v.u8", make_uint(VT::U8, 200)},
      {"v.i8", make_int(VT::I8, -100)},
      {"v.u16", make_uint(VT::U16, 65535)},
      {"v.i16", make_int(VT::I16, -32768)},
      {"v.u32", make_uint(VT::U32, 4000000000u)},
      {"v.i32", make_int(VT::I32, -2000000000)},
      {"v.u64", make_uint(VT::U64, 0xFEDCBA9876543210ull)},
      {"v.i64", make_int(VT::I64, std::numeric_limits<int64_t>::min())},
      {"v.f32", make_float(VT::F32, 1.5e-5f)},
      {"v.f64", make_float(VT::F64, 3.141592653589793)},
      {"v.bool_true", make_uint(VT::BOOL, 1)},
      {"v.bool_false", make_uint(VT::BOOL, 0)},
      {"v.string", make_string("héllo, wörld {{ template }}")},
      {"v.empty_string", make_string("")},
      {"v.empty_array", make_array(VT::I32, {})},
      {"v.empty_string_array", make_array(VT::STRING, {})},
      {"v.strings", make_array(VT::STRING, {make_string("a"), make_string(""), make_string("Ġthe")})},
      {"v.u8s", make_array(VT::U8, {make_uint(VT::U8, 0), make_uint(VT::U8, 255)})},
      {"v.i8s", make_array(VT::I8, {make_int(VT::I8, -128), make_int(VT::I8, 127)})},
      {"v.u16s", make_array(VT::U16, {make_uint(VT::U16, 7)})},
      {"v.i16s", make_array(VT::I16, {make_int(VT::I16, -7)})},
      {"v.u32s", make_array(VT::U32, {make_uint(VT::U32, 1), make_uint(VT::U32, 2)})},
      {"v.i32s", make_array(VT::I32, {make_int(VT::I32, -1), make_int(VT::I32, 3)})},
      {"v.u64s", make_array(VT::U64, {make_uint(VT::U64, ~0ull)})},
      {"v.i64s", make_array(VT::I64, {make_int(VT::I64, -5)})},
      {"v.f32s", make_array(VT::F32, {make_float(VT::F32, -0.0f), make_float(VT::F32, 1e30f)})},
      {"v.f64s", make_array(VT::F64, {make_float(VT::F64, 1e-300)})},
      {"v.bools", make_array(VT::BOOL, {make_uint(VT::BOOL, 1), make_uint(VT::BOOL, 0)})},
      {"v.nested_ints", make_array(VT::ARRAY, {make_array(VT::I32, {make_int(VT::I32, 1), make_int(VT::I32, 2)}),
                                                make_array(VT::I32, {}),
                                                make_array(VT::U8, {make_uint(VT::U8, 9)})})},
      {"v.nested_strings", make_array(VT::ARRAY, {make_array(VT::STRING, {make_string("x"), make_string("")})})},
      {"v.nested3", make_array(VT::ARRAY, {make_array(VT::ARRAY, {make_array(VT::F64, {make_float(VT::F64, 2.5)})}),
                                           make_array(VT::ARRAY, {})})},
  };
  return kv;
}

struct TensorSpec {
  std::string name;
  TensorType type;
  std::vector<uint64_t> dims;
  uint64_t expected_nbytes;  // worked out by hand from the type table in gguf_types.h
};

std::vector<TensorSpec> tensor_specs() {
  return {
      {"token_embd.weight", TensorType::F16, {64, 10}, 64 * 10 * 2},
      {"output_norm.weight", TensorType::F32, {7}, 28},
      {"blk.0.attn_q.weight", TensorType::TERN_T2, {130, 3}, 3 * 2 * 32 + 32},
      {"blk.0.attn_k.weight", TensorType::TERN_T2, {128, 5}, 5 * 32 + 32},
      {"blk.0.ffn_up.weight", TensorType::TERN_T1, {300, 2}, 2 * 2 * 32 + 32},
      {"blk.0.ffn_gate.weight", TensorType::I2_S, {256, 3}, 256 * 3 / 4 + 32},
      {"blk.0.ffn_down.weight", TensorType::TQ2_0, {512, 2}, 2 * 2 * 66},
      {"blk.0.attn_v.weight", TensorType::TQ1_0, {256, 1}, 54},
      {"blk.0.attn_output.weight", TensorType::Q8_0, {64, 3}, 3 * 2 * 34},
      {"blk.1.attn_q.weight", TensorType::Q4_0, {32, 2, 2}, 4 * 18},
      {"blk.1.ffn_up.weight", TensorType::Q6_K, {256, 2}, 2 * 210},
      {"blk.1.attn_norm.weight", TensorType::BF16, {5, 1, 1, 2}, 20},
  };
}

std::vector<uint8_t> random_bytes(uint64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

class RoundTrip : public ::testing::TestWithParam<uint64_t> {};

TEST_P(RoundTrip, MetadataAndTensorBytesSurvive) {
  const uint64_t alignment = GetParam();
  TempDir dir;
  const std::string path = dir.file("rt.gguf");
  const auto kvs = all_value_kinds();
  const auto specs = tensor_specs();
  std::vector<std::vector<uint8_t>> data;
  {
    Writer w(path, alignment);
    w.set_string("general.architecture", "bitnet-b1.58");
    w.set_u32("bitnet-b1.58.block_count", 2);
    w.set_i32("x.i32", -3);
    w.set_u64("x.u64", 1ull << 40);
    w.set_f32("x.f32", 0.25f);
    w.set_bool("x.bool", true);
    w.set_string_array("tokenizer.ggml.tokens", {"<s>", "", "a b"});
    w.set_f32_array("tokenizer.ggml.scores", {0.f, -1.5f, 2.f});
    w.set_i32_array("tokenizer.ggml.token_type", {3, 1, 1});
    for (const auto& [k, v] : kvs) w.set_value(k, v);
    for (const TensorSpec& s : specs) w.add_tensor(s.name, s.type, s.dims);
    uint32_t seed = 1;
    for (const TensorSpec& s : specs) {
      data.push_back(random_bytes(s.expected_nbytes, seed++));
      const auto& d = data.back();
      // Uneven chunks, including an empty one, to exercise streaming.
      size_t pos = 0, chunk = 1;
      w.write_tensor_data(s.name, {});
      while (pos < d.size()) {
        const size_t n = std::min(chunk, d.size() - pos);
        w.write_tensor_data(s.name, std::span<const uint8_t>(d.data() + pos, n));
        pos += n;
        chunk = chunk * 3 + 1;
      }
    }
    w.finish();
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  const File f = File::open(path);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), alignment);
  EXPECT_EQ(f.data_offset() % alignment, 0u);
  if (alignment != 32) {
    EXPECT_EQ(f.get_uint("general.alignment"), alignment);
  } else {
    EXPECT_EQ(f.find("general.alignment"), nullptr);
  }
  EXPECT_EQ(f.get_string("general.architecture"), "bitnet-b1.58");
  EXPECT_EQ(f.get_uint("bitnet-b1.58.block_count"), 2u);
  EXPECT_EQ(f.find("x.i32")->i, -3);
  EXPECT_EQ(f.get_uint("x.u64"), 1ull << 40);
  EXPECT_EQ(f.get_float("x.f32"), 0.25);
  EXPECT_TRUE(f.get_bool("x.bool"));
  EXPECT_EQ(f.get_string_array("tokenizer.ggml.tokens"), (std::vector<std::string_view>{"<s>", "", "a b"}));
  EXPECT_EQ(f.find("tokenizer.ggml.scores")->items.at(1).f, -1.5);
  EXPECT_EQ(f.find("tokenizer.ggml.token_type")->items.at(0).i, 3);
  for (const auto& [k, v] : kvs) {
    const Value* got = f.find(k);
    ASSERT_NE(got, nullptr) << k;
    expect_same_value(v, *got, k);
  }
  // Metadata order is preserved: the writer's order, then general.alignment if added.
  ASSERT_GE(f.metadata().size(), 9 + kvs.size());
  EXPECT_EQ(f.metadata()[0].key, "general.architecture");
  EXPECT_EQ(f.metadata()[9].key, kvs[0].first);

  ASSERT_EQ(f.tensors().size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorInfo& t = f.tensors()[i];
    EXPECT_EQ(t.name, specs[i].name);
    EXPECT_EQ(t.type, specs[i].type) << t.name;
    EXPECT_EQ(t.dims, specs[i].dims) << t.name;
    EXPECT_EQ(t.nbytes, specs[i].expected_nbytes) << t.name;
    EXPECT_EQ(t.offset % alignment, 0u) << t.name;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % alignment, 0u) << t.name << " data not aligned in memory";
    ASSERT_TRUE(std::equal(data[i].begin(), data[i].end(), t.data)) << t.name << ": bytes differ";
  }
  // The file ends at the last tensor's padded end: nothing extra, nothing missing.
  const TensorInfo& last = f.tensors().back();
  EXPECT_EQ(f.file_size(), f.data_offset() + (last.offset + last.nbytes + alignment - 1) / alignment * alignment);
}

INSTANTIATE_TEST_SUITE_P(Alignments, RoundTrip, ::testing::Values(32, 64),
                         [](const ::testing::TestParamInfo<uint64_t>& i) { return "align" + std::to_string(i.param); });

TEST(RoundTripEdge, NoTensorsNoMetadata) {
  TempDir dir;
  const std::string path = dir.file("empty.gguf");
  Writer w(path);
  w.finish();
  const File f = File::open(path);
  EXPECT_TRUE(f.metadata().empty());
  EXPECT_TRUE(f.tensors().empty());
  EXPECT_EQ(f.file_size(), 32u);  // 24-byte header padded to 32
}

TEST(RoundTripEdge, WriterBytesAreDeterministic) {
  TempDir dir;
  auto make = [&](const std::string& name) {
    Writer w(dir.file(name), 64);
    w.set_string("general.architecture", "x");
    w.add_tensor("t", TensorType::TERN_T2, {200, 2});
    const auto d = random_bytes(2 * 64 + 32, 7);
    w.write_tensor_data("t", d);
    w.finish();
    return read_all(dir.file(name));
  };
  EXPECT_EQ(make("a.gguf"), make("b.gguf"));
}

// ---- writer misuse: each mistake is one clear error, and no half-written file is left ----

TEST(WriterErrors, DuplicateKey) {
  TempDir dir;
  Writer w(dir.file("w.gguf"));
  w.set_u32("a.b", 1);
  EXPECT_THROW(
      {
        try {
          w.set_string("a.b", "x");
        } catch (const tern::Error& e) {
          EXPECT_NE(std::string(e.what()).find("w.gguf: key 'a.b': duplicate key"), std::string::npos) << e.what();
          throw;
        }
      },
      tern::Error);
}

TEST(WriterErrors, BadAlignment) { EXPECT_THROW(Writer("/tmp/tern_never.gguf", 48), tern::Error); }

TEST(WriterErrors, DuplicateTensorAndBadShape) {
  TempDir dir;
  Writer w(dir.file("w.gguf"));
  w.add_tensor("t", TensorType::F32, {4});
  EXPECT_THROW(w.add_tensor("t", TensorType::F32, {4}), tern::Error);
  EXPECT_THROW(w.add_tensor("u", TensorType::Q8_0, {33}), tern::Error);
  EXPECT_THROW(w.add_tensor("v", TensorType::F32, {1, 1, 1, 1, 1}), tern::Error);
  EXPECT_THROW(w.add_tensor("z", TensorType::F32, {0}), tern::Error);
}

TEST(WriterErrors, OutOfOrderTooManyTooFewBytes) {
  TempDir dir;
  const std::string path = dir.file("w.gguf");
  {
    Writer w(path);
    w.add_tensor("a", TensorType::F32, {2});
    w.add_tensor("b", TensorType::F32, {2});
    const std::vector<uint8_t> four(4, 1), twelve(12, 2);
    EXPECT_THROW(w.write_tensor_data("b", four), tern::Error);      // 'a' comes first
    EXPECT_THROW(w.write_tensor_data("a", twelve), tern::Error);    // more than 8 bytes
    w.write_tensor_data("a", four);
    EXPECT_THROW(w.write_tensor_data("b", four), tern::Error);      // 'a' incomplete
    w.write_tensor_data("a", four);
    EXPECT_THROW(w.write_tensor_data("nope", four), tern::Error);   // never declared
    EXPECT_THROW(w.add_tensor("c", TensorType::F32, {2}), tern::Error);  // after data
    EXPECT_THROW(w.set_u32("late", 1), tern::Error);                     // after data
    w.write_tensor_data("b", four);
    try {
      w.finish();
      ADD_FAILURE() << "finish() accepted a short tensor";
    } catch (const tern::Error& e) {
      EXPECT_NE(std::string(e.what()).find("tensor 'b': only 4 of 8 bytes written"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(WriterErrors, ArrayItemOfWrongType) {
  TempDir dir;
  const std::string path = dir.file("w.gguf");
  Writer w(path);
  w.set_value("x", make_array(VT::I32, {make_int(VT::I32, 1), make_string("no")}));
  EXPECT_THROW(w.finish(), tern::Error);
}

TEST(WriterErrors, ConflictingAlignmentKey) {
  TempDir dir;
  Writer w(dir.file("w.gguf"), 64);
  w.set_u32("general.alignment", 32);
  EXPECT_THROW(w.finish(), tern::Error);
}

// ---- typed getters -------------------------------------------------------------------------

TEST(Getters, WrongTypesAndMissingKeysNameTheKey) {
  TempDir dir;
  const std::string path = dir.file("g.gguf");
  {
    Writer w(path);
    w.set_i32("neg", -1);
    w.set_string("s", "text");
    w.set_i32_array("ints", {1});
    w.finish();
  }
  const File f = File::open(path);
  auto expect_msg = [&](auto fn, const std::string& want) {
    try {
      fn();
      ADD_FAILURE() << "no error for " << want;
    } catch (const tern::Error& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).rfind(path, 0), 0u) << e.what();
    }
  };
  expect_msg([&] { f.get_uint("neg"); }, "key 'neg': expected a non-negative integer, found -1");
  expect_msg([&] { f.get_uint("s"); }, "key 's': expected an integer, found string");
  expect_msg([&] { f.get_string("missing.key"); }, "key 'missing.key': missing");
  expect_msg([&] { f.get_string_array("ints"); }, "key 'ints': expected an array of strings, found array of i32");
  expect_msg([&] { f.get_bool("s"); }, "key 's': expected a bool, found string");
  expect_msg([&] { f.tensor("blk.0.attn_q.weight"); }, "tensor 'blk.0.attn_q.weight': missing");
  EXPECT_EQ(f.get_float("neg"), -1.0);
  EXPECT_FALSE(f.get_uint_opt("missing").has_value());
}

}  // namespace
}  // namespace tern::gguf::test
