// Generator of the fuzz seed corpus (fuzz/corpus/gguf/): small valid GGUF files covering
// every value type, nested arrays, tern's and the peers' tensor types and both alignments.
// Disabled in normal runs; regenerate with
//   TERN_GGUF_SEED_DIR=fuzz/corpus/gguf build/release/tests/test_gguf
//     --gtest_also_run_disabled_tests --gtest_filter='FuzzSeeds.*'   (one command line)
// The enabled test checks that every committed seed still parses.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_test_util.h"

namespace tern::gguf::test {
namespace {

using VT = ValueType;

void write_seeds(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::vector<uint8_t> filler(4096, 0);
  for (size_t i = 0; i < filler.size(); ++i) filler[i] = static_cast<uint8_t>(i * 37 + 11);
  auto data = [&](uint64_t n) { return std::span<const uint8_t>(filler.data(), n); };
  {  // scalar metadata of every type, a few tiny tensors
    Writer w(dir + "/scalars.gguf");
    w.set_string("general.architecture", "bitnet-b1.58");
    w.set_value("v.u8", make_uint(VT::U8, 1));
    w.set_value("v.i8", make_int(VT::I8, -1));
    w.set_value("v.u16", make_uint(VT::U16, 2));
    w.set_value("v.i16", make_int(VT::I16, -2));
    w.set_u32("bitnet-b1.58.block_count", 1);
    w.set_i32("v.i32", -3);
    w.set_u64("v.u64", 4);
    w.set_value("v.i64", make_int(VT::I64, -4));
    w.set_f32("bitnet-b1.58.attention.layer_norm_rms_epsilon", 1e-5f);
    w.set_value("v.f64", make_float(VT::F64, 0.5));
    w.set_bool("v.bool", true);
    w.add_tensor("output_norm.weight", TensorType::F32, {8});
    w.add_tensor("token_embd.weight", TensorType::F16, {8, 4});
    w.write_tensor_data("output_norm.weight", data(32));
    w.write_tensor_data("token_embd.weight", data(64));
    w.finish();
  }
  {  // ternary types at alignment 64
    Writer w(dir + "/ternary64.gguf", 64);
    w.set_string("general.architecture", "bitnet");
    w.add_tensor("blk.0.attn_q.weight", TensorType::TERN_T2, {130, 2});
    w.add_tensor("blk.0.ffn_up.weight", TensorType::TERN_T1, {256, 1});
    w.add_tensor("blk.0.ffn_down.weight", TensorType::I2_S, {128, 2});
    w.add_tensor("blk.0.attn_k.weight", TensorType::TQ2_0, {256, 1});
    w.add_tensor("blk.0.attn_v.weight", TensorType::TQ1_0, {256, 1});
    w.add_tensor("blk.0.attn_output.weight", TensorType::Q8_0, {32, 2});
    w.write_tensor_data("blk.0.attn_q.weight", data(2 * 64 + 32));
    w.write_tensor_data("blk.0.ffn_up.weight", data(2 * 32 + 32));
    w.write_tensor_data("blk.0.ffn_down.weight", data(64 + 32));
    w.write_tensor_data("blk.0.attn_k.weight", data(66));
    w.write_tensor_data("blk.0.attn_v.weight", data(54));
    w.write_tensor_data("blk.0.attn_output.weight", data(68));
    w.finish();
  }
  {  // a tokenizer-shaped file
    Writer w(dir + "/tokenizer.gguf");
    w.set_string("general.architecture", "bitnet-b1.58");
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string_array("tokenizer.ggml.tokens", {"a", "b", "ab", "<|begin_of_text|>", ""});
    w.set_f32_array("tokenizer.ggml.scores", {0, 0, -1, 0, 0});
    w.set_i32_array("tokenizer.ggml.token_type", {1, 1, 1, 3, 1});
    w.set_string_array("tokenizer.ggml.merges", {"a b"});
    w.set_u32("tokenizer.ggml.bos_token_id", 3);
    w.set_string("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
    w.finish();
  }
  {  // nested and empty arrays
    Writer w(dir + "/nested.gguf");
    w.set_value("x.nested", make_array(VT::ARRAY, {make_array(VT::I32, {make_int(VT::I32, 1)}),
                                                   make_array(VT::STRING, {make_string("s")}),
                                                   make_array(VT::ARRAY, {make_array(VT::U8, {})})}));
    w.set_value("x.empty", make_array(VT::F64, {}));
    w.set_string("x.empty_string", "");
    w.add_tensor("t", TensorType::BF16, {2, 2, 2, 2});
    w.write_tensor_data("t", data(32));
    w.finish();
  }
}

TEST(FuzzSeeds, DISABLED_Generate) {
  const char* dir = std::getenv("TERN_GGUF_SEED_DIR");
  ASSERT_NE(dir, nullptr) << "set TERN_GGUF_SEED_DIR";
  write_seeds(dir);
}

// The committed seeds parse, are small, and equal what the generator makes today.
TEST(FuzzSeeds, CommittedSeedsAreCurrentAndValid) {
  const std::string committed = std::string(TERN_SOURCE_DIR) + "/fuzz/corpus/gguf";
  TempDir tmp;
  write_seeds(tmp.file("seeds"));
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.file("seeds"))) {
    const std::string name = e.path().filename().string();
    const auto fresh = read_all(e.path().string());
    EXPECT_LE(fresh.size(), 8192u) << name;
    EXPECT_EQ(read_all(committed + "/" + name), fresh) << name << " is stale; regenerate the corpus";
    EXPECT_NO_THROW(File::open(committed + "/" + name)) << name;
    ++n;
  }
  EXPECT_EQ(n, 4u);
}

}  // namespace
}  // namespace tern::gguf::test
