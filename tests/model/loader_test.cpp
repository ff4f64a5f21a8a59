// Model::load on damaged files: each error names the file and the key or tensor at fault.
// The files are copies of converted golden / peer models with one thing changed.
#include <gtest/gtest.h>


#include <cstring>
#include <filesystem>
#include <functional>

#include "gguf/bitnet_names.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_edit.h"
#include "model_test_util.h"
#include "tern/error.h"
#include "tern/tokenizer.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;
using gguf::TensorType;

void expect_error(const std::string& path, const std::vector<std::string>& fragments, const ModelOptions& mo = {}) {
  try {
    Model::load(path, mo);
    ADD_FAILURE() << "loading " << path << " should fail";
  } catch (const Error& err) {
    const std::string msg = err.what();
    EXPECT_NE(msg.find(fs::path(path).filename().string()), std::string::npos) << msg;
    for (const std::string& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
  }
  std::error_code ec;
  fs::remove(path, ec);
}

gguf::Value str(std::string_view s) {
  gguf::Value v;
  v.type = gguf::ValueType::STRING;
  v.str = s;
  return v;
}
gguf::Value u32(uint64_t x) {
  gguf::Value v;
  v.type = gguf::ValueType::U32;
  v.u = x;
  return v;
}

gguf::Value f32v(double x) {
  gguf::Value v;
  v.type = gguf::ValueType::F32;
  v.f = x;
  return v;
}

// llama.cpp's converters write <arch>.rope.scaling.type = "linear", factor 1 on every
// "bitnet" file (a no-op, accepted); any real scaling in those keys tern would not apply.
TEST(ModelLoader, RopeScalingKeysTernWouldIgnoreAreRefused) {
  const std::string src = converted_model("tiny-a");
  Edit noop;
  noop.add = {{"bitnet-b1.58.rope.scaling.type", str("linear")}, {"bitnet-b1.58.rope.scaling.factor", f32v(1.0)}};
  const std::string ok = copy_with(src, noop, "rope-noop");
  EXPECT_NO_THROW(Model::load(ok));
  std::filesystem::remove(ok);
  Edit yarn;
  yarn.add = {{"bitnet-b1.58.rope.scaling.type", str("yarn")}};
  expect_error(copy_with(src, yarn, "rope-yarn"), {"bitnet-b1.58.rope.scaling.type", "'yarn'"});
  Edit linear4;
  linear4.add = {{"bitnet-b1.58.rope.scaling.factor", f32v(4.0)}};
  expect_error(copy_with(src, linear4, "rope-linear4"), {"rope.scaling.type", "'linear' with factor 4"});
}

// A file whose arch has no sub-norms ("llama") but which carries them would run without
// them: the loader refuses any tensor the graph would not read, naming it.
TEST(ModelLoader, RefusesTensorsItWouldIgnore) {
  const std::string arch = "bitnet-b1.58";
  expect_error(copy_with(converted_model("tiny-a"), kv_edit([&](gguf::KeyValue& kv) {
                           if (kv.key == "general.architecture") kv.value = str("llama");
                           if (kv.key.rfind(arch + ".", 0) == 0) kv.key = "llama." + kv.key.substr(arch.size() + 1);
                           return true;
                         }),
                         "ignored"),
               {"attn_sub_norm.weight", "tern would ignore it"});
}

TEST(ModelLoader, RejectsDamagedFiles) {
  const std::string t2 = converted_model("tiny-a");
  const std::string arch = "bitnet-b1.58";
  expect_error(copy_with(t2, kv_edit([](gguf::KeyValue& kv) {
                                if (kv.key == "general.architecture") kv.value = str("gpt2");
                                return true;
                              }), "arch"),
               {"general.architecture", "'gpt2' is not a ternary model"});
  expect_error(copy_with(t2, drop("blk.1.ffn_down.weight"), "missing"), {"blk.1.ffn_down.weight"});
  expect_error(copy_with(t2, kv_edit([&](gguf::KeyValue& kv) {
                                if (kv.key == arch + ".attention.head_count_kv") kv.value = u32(3);
                                return true;
                              }), "kvheads"),
               {"head_count_kv", "multiple"});
  expect_error(copy_with(t2, kv_edit([&](gguf::KeyValue& kv) {
                                if (kv.key == arch + ".feed_forward_length") kv.value = u32(512);
                                return true;
                              }), "ffn"),
               {"blk.0.ffn_gate.weight", "shape"});
  expect_error(copy_with(t2, kv_edit([&](gguf::KeyValue& kv) { return kv.key != arch + ".attention.layer_norm_rms_epsilon"; }),
                         "eps"),
               {"layer_norm_rms_epsilon"});
  expect_error(copy_with(t2, kv_edit([&](gguf::KeyValue& kv) {
                                if (kv.key == arch + ".hidden_activation") kv.value = str("gelu");
                                return true;
                              }), "act"),
               {"hidden_activation", "gelu"});
  expect_error(copy_with(t2, kv_edit([&](gguf::KeyValue& kv) {
                                if (kv.key == arch + ".rope.dimension_count") kv.value = u32(32);
                                return true;
                              }), "rope"),
               {"rope.dimension_count", "partial"});
  // TERN_T2 weight_scale trailer of 0.
  expect_error(copy_with(t2, data_edit([](const std::string& name, std::vector<uint8_t>& b) {
                                if (name != "blk.0.attn_v.weight") return;
                                const float zero = 0;
                                std::memcpy(b.data() + (b.size() - 32), &zero, 4);
                              }), "scale"),
               {"blk.0.attn_v.weight", "weight_scale"});
  // Unknown kernel name.
  ModelOptions mo;
  mo.kernel = "no-such-kernel";
  EXPECT_THROW(Model::load(t2, mo), Error);
}

TEST(ModelLoader, RejectsBadForeignTernaryData) {
  const std::string i2s = (shared_dir() / "peers" / "tiny-a" / "tiny-a-i2_s.gguf").string();
  expect_error(copy_with(i2s, data_edit([](const std::string& name, std::vector<uint8_t>& b) {
                                 if (name == "blk.0.attn_k.weight") b[5] = 0xFF;
                               }), "i2s-code3"),
               {"blk.0.attn_k.weight", "code 3"});
  const std::string tq2 = (shared_dir() / "peers" / "tiny-b" / "tiny-b-tq2_0.gguf").string();
  expect_error(copy_with(tq2, data_edit([](const std::string& name, std::vector<uint8_t>& b) {
                                 if (name != "blk.0.attn_q.weight") return;
                                 b[66 + 64] ^= 0x01;  // block 1's f16 scale, one ulp off
                               }), "tq2-scales"),
               {"blk.0.attn_q.weight", "one scale per tensor"});
}

TEST(ModelLoader, ReportsWhatItDid) {
  auto t2 = Model::load(converted_model("tiny-b"));
  EXPECT_TRUE(t2->report().zero_copy);
  EXPECT_EQ(t2->report().ternary_type, "TERN_T2");
  EXPECT_EQ(t2->report().repacked_tensors, 0);
  EXPECT_EQ(t2->hparams().n_layer, 3);
  EXPECT_EQ(t2->hparams().n_head_kv, 2);
  EXPECT_EQ(t2->hparams().head_dim, 64);
  EXPECT_FLOAT_EQ(t2->hparams().rope_theta, 500000.0f);
  EXPECT_EQ(t2->hparams().activation, FfnActivation::ReLU2);
  EXPECT_TRUE(t2->hparams().activation_from_file);
  ASSERT_NE(t2->tokenizer(), nullptr);
  EXPECT_EQ(t2->tokenizer()->bos(), 984);
  auto tq1 = Model::load((shared_dir() / "peers" / "tiny-b" / "tiny-b-tq1_0.gguf").string());
  EXPECT_EQ(tq1->report().ternary_type, "TQ1_0");
  EXPECT_EQ(tq1->report().repacked_tensors, 21);
  EXPECT_GT(tq1->report().repacked_bytes, 0u);
}

}  // namespace
}  // namespace tern::test
