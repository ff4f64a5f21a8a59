// Each family-specific rule of the forward pass is exercised by a golden model, and breaking
// it must fail that model's short tier (../shared/golden/README.md "What bugs look like",
// the families table): SiLU vs ReLU², sub-norms, the untied lm_head, llama3 RoPE scaling,
// rms_norm_eps, rope_theta, the RoPE pairing of "llama" files, and an explicit head_dim.
// A mutation is applied where a real bug would sit: in config.json before conversion (what
// the converter must carry), in the GGUF keys (what the loader must read), or in the loaded
// hyper-parameters / weights (what the forward pass must honour).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "platform/environment.h"
#include "gguf_edit.h"
#include "golden_fixture.h"
#include "model/model_data.h"
#include "tern/error.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;

// Worst |logit - golden| over len1, len7, len33 and tie16[0..3]: the short tier (<= 1e-3).
double short_tier_error(const std::shared_ptr<const Model>& m, const std::string& golden) {
  const nlohmann::json& g = golden_json(golden);
  double worst = 0;
  for (const nlohmann::json& seq : g["sequences"]) {
    const std::string name = seq["name"];
    if (name == "len200") continue;
    const auto ids = seq["ids"].get<std::vector<int32_t>>();
    const int64_t V = seq["logits"]["shape"][1];
    const int64_t rows = name == "tie16" ? 4 : static_cast<int64_t>(ids.size());
    const std::vector<float> ref = read_f32(golden_dir(golden) / "golden" / seq["logits"]["file"].get<std::string>());
    const std::vector<float> got = eval_all(m, ids, golden_session_options(2));
    worst = std::max(worst, compare(got.data(), ref.data(), rows, V).max_abs);
  }
  return worst;
}

// The golden HF folder copied, config.json edited, converted to GGUF.
std::string convert_edited(const std::string& golden, const std::string& tag,
                           const std::function<void(nlohmann::json&)>& edit) {
  const fs::path dir = fs::temp_directory_path() / ("tern-family-rules-" + std::to_string(tern::process_id()) + "-" + tag);
  fs::remove_all(dir);
  fs::copy(golden_dir(golden), dir, fs::copy_options::recursive);
  fs::remove_all(dir / "golden");
  nlohmann::json j;
  std::ifstream(dir / "config.json") >> j;
  edit(j);
  std::ofstream(dir / "config.json") << j.dump(1);
  ConvertOptions o;
  o.input_dir = dir.string();
  o.output_path = (dir / "model.gguf").string();
  convert_hf_to_gguf(o);
  return o.output_path;
}

// A loaded model whose hyper-parameters or weights a test changes after loading.
model::ModelData& mutable_data(const std::shared_ptr<const Model>& m) { return const_cast<model::ModelData&>(m->data()); }

constexpr double kShort = 1e-3;

TEST(FamilyRules, EveryGoldenFamilyPassesUnmutated) {
  for (const char* g : {"bitnet158-latent-a", "llama158-a", "llama158-rope-a"}) {
    EXPECT_LE(short_tier_error(Model::load(converted_model(g)), g), kShort) << g;
  }
}

TEST(FamilyRules, ActivationSiluNotRelu2) {
  for (const char* g : {"bitnet158-latent-a", "llama158-a"}) {
    ModelOptions mo;
    mo.activation = FfnActivation::ReLU2;
    EXPECT_GT(short_tier_error(Model::load(converted_model(g), mo), g), 0.1) << g << ": ReLU² forced";
    const std::string relu = convert_edited(g, std::string(g) + "-relu2", [](auto& j) { j["hidden_act"] = "relu2"; });
    EXPECT_EQ(Model::load(relu)->hparams().activation, FfnActivation::ReLU2);
    EXPECT_GT(short_tier_error(Model::load(relu), g), 0.1) << g << ": config says relu2";
  }
}

TEST(FamilyRules, SubNormsOf1bitLLMAreApplied) {
  auto m = Model::load(converted_model("bitnet158-latent-a"));
  EXPECT_TRUE(m->hparams().sub_norms);
  mutable_data(m).hp.sub_norms = false;
  EXPECT_GT(short_tier_error(m, "bitnet158-latent-a"), 0.1);
}

TEST(FamilyRules, UntiedHeadIsUsed) {
  auto m = Model::load(converted_model("llama158-a"));
  EXPECT_EQ(m->report().lm_head, "output.weight");
  model::ModelData& d = mutable_data(m);
  d.w.lm_head = d.w.token_embd;
  EXPECT_GT(short_tier_error(m, "llama158-a"), 0.1);
}

TEST(FamilyRules, Llama3RopeScalingIsApplied) {
  auto m = Model::load(converted_model("llama158-rope-a"));
  ASSERT_TRUE(m->hparams().rope_llama3);
  const std::string plain = convert_edited("llama158-rope-a", "noscale", [](auto& j) { j.erase("rope_scaling"); });
  EXPECT_GT(short_tier_error(Model::load(plain), "llama158-rope-a"), 0.1);
}

// A peer's file carries llama.cpp's rope_freqs.weight divisors instead of tern's exact keys:
// the same frequencies up to float rounding, so the golden short tier still holds.
TEST(FamilyRules, RopeFreqsTensorAloneGivesTheSameModel) {
  const std::string path = copy_with(converted_model("llama158-rope-a"), kv_edit([](gguf::KeyValue& kv) {
                                       return kv.key.rfind("tern.rope.llama3.", 0) != 0;
                                     }),
                                     "rope-freqs-only");
  auto m = Model::load(path);
  EXPECT_FALSE(m->hparams().rope_llama3);
  EXPECT_TRUE(m->hparams().rope_freqs_tensor);
  EXPECT_LE(short_tier_error(m, "llama158-rope-a"), kShort);
  fs::remove(path);
}

TEST(FamilyRules, RmsEpsAndRopeThetaComeFromTheConfig) {
  const std::string eps = convert_edited("llama158-a", "eps", [](auto& j) { j["rms_norm_eps"] = 1e-6; });
  EXPECT_FLOAT_EQ(Model::load(eps)->hparams().rms_eps, 1e-6f);
  EXPECT_GT(short_tier_error(Model::load(eps), "llama158-a"), 2e-3);
  // 1bitLLM's theta is 10000, the Llama layout's 500000 here: swapping them must show.
  const std::string theta = convert_edited("bitnet158-latent-a", "theta", [](auto& j) { j["rope_theta"] = 500000.0; });
  EXPECT_GT(short_tier_error(Model::load(theta), "bitnet158-latent-a"), 0.1);
  // Without rope_theta the family's default applies (LlamaConfig: 10000), not 2B4T's 500000.
  const std::string dflt = convert_edited("llama158-a", "theta-default", [](auto& j) { j.erase("rope_theta"); });
  EXPECT_FLOAT_EQ(Model::load(dflt)->hparams().rope_theta, 10000.0f);
}

// "llama" files hold Q/K rows permuted for adjacent-pair RoPE: rotating halves instead
// (ignoring the arch's pairing) must fail.
TEST(FamilyRules, LlamaFilesRotateAdjacentPairs) {
  auto m = Model::load(converted_model("llama158-a"));
  EXPECT_EQ(m->hparams().arch, "llama");
  EXPECT_EQ(m->hparams().rope_pairing, RopePairing::Adjacent);
  mutable_data(m).hp.rope_pairing = RopePairing::Halves;
  EXPECT_GT(short_tier_error(m, "llama158-a"), 0.1);
}

// No golden model (and no real family: Falcon3's explicit 256 is hidden / heads too) has
// head_dim != hidden / heads, so the rule is checked on a synthetic model where it differs
// (hidden 256, 2 heads of 64: q_dim 128): it loads with the file's key_length, gives finite
// logits, the same logits prompt-at-once and token by token (the GEMM and GEMV attention
// paths), and without the key it no longer loads (the shapes follow head_dim).
TEST(FamilyRules, ExplicitHeadDimSetsTheAttentionShapes) {
  const fs::path path = fs::temp_directory_path() / ("tern-family-rules-" + std::to_string(tern::process_id()) + "-hd.gguf");
  const std::string cmd = std::string(TERN_BINARY) + " synth -o " + path.string() +
                          " --shape falcon3-1b-1.58 --layers 2 --hidden 256 --heads 2 --kv-heads 1 --head-dim 64"
                          " --ffn 512 --vocab 512 --ctx 64 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto m = Model::load(path.string());
  EXPECT_EQ(m->hparams().head_dim, 64);
  EXPECT_EQ(m->hparams().n_head * m->hparams().head_dim, 128);
  const std::vector<int32_t> ids = {300, 5, 77, 301, 9};
  const std::vector<float> all = eval_all(m, ids, golden_session_options(2));
  for (float v : all) ASSERT_TRUE(std::isfinite(v));
  Session s(m, golden_session_options(2));
  const int64_t V = m->hparams().n_vocab;
  for (size_t t = 0; t < ids.size(); ++t) {
    const std::span<const float> one = s.eval(std::span<const int32_t>(&ids[t], 1));
    EXPECT_LE(compare(one.data(), all.data() + t * V, 1, V).max_abs, 1e-4) << "position " << t;
  }
  const std::string broken = copy_with(path.string(), kv_edit([](gguf::KeyValue& kv) {
                                         return kv.key != "llama.attention.key_length";
                                       }),
                                       "headdim-broken");
  EXPECT_THROW(Model::load(broken), Error);
  fs::remove(broken);
  fs::remove(path);
}

}  // namespace
}  // namespace tern::test
