// The peers' own GGUF files of the golden models (../shared/peers): bitnet.cpp's I2_S and
// llama.cpp's TQ2_0 / TQ1_0, repacked to TERN_T2 at load, computing the golden semantics.
// I2_S files must match the golden logits; TQ files golden-tq (their f16 block scales).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "model_test_util.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;

struct PeerCase {
  const char* file_suffix;
  bool tq;  // oracle golden-tq, arch "bitnet" (SiLU unless told)
};
const PeerCase kCases[] = {{"-i2_s.gguf", false}, {"-i2_s-embf32.gguf", false}, {"-tq2_0.gguf", true}, {"-tq1_0.gguf", true}};

TEST(ModelPeers, I2sTq2Tq1MatchTheirOracles) {
  for (const char* model : {"tiny-a", "tiny-b"}) {
    for (const PeerCase& c : kCases) {
      const fs::path file = shared_dir() / "peers" / model / (std::string(model) + c.file_suffix);
      SCOPED_TRACE(file.string());
      ASSERT_TRUE(fs::exists(file));
      ModelOptions mo;
      if (c.tq) mo.activation = FfnActivation::ReLU2;  // the files hold ReLU² models, lack the key
      auto m = Model::load(file.string(), mo);
      EXPECT_FALSE(m->report().zero_copy);
      EXPECT_EQ(m->report().repacked_tensors, m->hparams().n_layer * 7);
      const fs::path oracle = c.tq ? shared_dir() / "peers" / model / "golden-tq" : golden_dir(model) / "golden";
      const nlohmann::json& g = golden_json(model);
      for (const auto& seq : g["sequences"]) {
        const std::string name = seq["name"];
        if (name != "len1" && name != "len7" && name != "len33") continue;
        const auto ids = seq["ids"].get<std::vector<int32_t>>();
        const std::vector<float> ref = read_f32(oracle / ("logits_" + name + ".bin"));
        SessionOptions so;
        so.kv_type = KvType::F32;
        so.n_ctx = 64;
        const std::vector<float> got = eval_all(m, ids, so);
        const Diff d = compare(got.data(), ref.data(), static_cast<int64_t>(ids.size()), m->hparams().n_vocab);
        std::printf("  %-28s %-6s max|d| %.3g top-1 %lld/%lld\n", file.filename().c_str(), name.c_str(), d.max_abs,
                    static_cast<long long>(d.top1_agree), static_cast<long long>(d.rows));
        EXPECT_LE(d.max_abs, 1e-3) << name;
      }
    }
  }
}

// Without the override the TQ files (arch "bitnet", no hidden_activation) run SiLU, as
// llama.cpp does; the loader says so.
TEST(ModelPeers, BitnetArchDefaultsToSilu) {
  auto m = Model::load((shared_dir() / "peers" / "tiny-a" / "tiny-a-tq2_0.gguf").string());
  EXPECT_EQ(m->hparams().arch, "bitnet");
  EXPECT_EQ(m->hparams().activation, FfnActivation::SiLU);
  EXPECT_FALSE(m->hparams().activation_from_file);
  auto b = Model::load((shared_dir() / "peers" / "tiny-a" / "tiny-a-i2_s.gguf").string());
  EXPECT_EQ(b->hparams().arch, "bitnet-b1.58");
  EXPECT_EQ(b->hparams().activation, FfnActivation::ReLU2);
}

}  // namespace
}  // namespace tern::test
