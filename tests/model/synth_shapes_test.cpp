// `tern synth --shape`: each real model's shape comes out with its family's graph (arch,
// head_dim, GQA, eps, theta, sub-norms, tied or untied head) and loads and runs in tern;
// the one model writer also stamps general.file_type for the peers' types. Layers, ffn and
// vocab are shrunk (--layers/--ffn/--vocab) to keep the files small; what is checked is the
// part the family decides.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "platform/environment.h"
#include "gguf/gguf_file.h"
#include "golden_fixture.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;

struct ShapeCase {
  const char* shape;
  const char* arch;
  const char* family;
  int64_t hidden, heads, kv_heads, head_dim;
  float eps, theta;
  bool sub_norms, tied;
  FfnActivation act;
};

class SynthShape : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(SynthShape, HasItsFamilysGraphAndRuns) {
  const ShapeCase& c = GetParam();
  const fs::path path = fs::temp_directory_path() / ("tern-synth-shape-" + std::to_string(tern::process_id()) + "-" + c.shape + ".gguf");
  const std::string cmd = std::string(TERN_BINARY) + " synth -o " + path.string() + " --shape " + c.shape +
                          " --layers 1 --ffn 256 --vocab 512 --ctx 64 --type i2_s 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  {
    const gguf::File f = gguf::File::open(path.string());
    EXPECT_EQ(f.get_uint("general.file_type"), 40u);  // MOSTLY_I2_S, as bitnet.cpp writes it
    auto m = Model::load(path.string());
    const ModelHParams& h = m->hparams();
    EXPECT_EQ(h.arch, c.arch);
    EXPECT_EQ(h.family, c.family);
    EXPECT_EQ(h.n_embd, c.hidden);
    EXPECT_EQ(h.n_head, c.heads);
    EXPECT_EQ(h.n_head_kv, c.kv_heads);
    EXPECT_EQ(h.head_dim, c.head_dim);
    EXPECT_FLOAT_EQ(h.rms_eps, c.eps);
    EXPECT_FLOAT_EQ(h.rope_theta, c.theta);
    EXPECT_EQ(h.sub_norms, c.sub_norms);
    EXPECT_EQ(h.activation, c.act);
    EXPECT_EQ(m->report().lm_head == "output.weight", !c.tied);
    const auto logits = eval_all(m, {1, 2, 3}, golden_session_options(2));
    for (float v : logits) ASSERT_TRUE(std::isfinite(v));
  }
  fs::remove(path);
}

const ShapeCase kShapes[] = {
    {"2b4t", "bitnet-b1.58", "bitnet-b1.58-2b4t", 2560, 20, 5, 128, 1e-5f, 500000.0f, true, true, FfnActivation::ReLU2},
    {"bitnet-3b", "bitnet", "bitnet-1bitllm", 3200, 32, 32, 100, 1e-5f, 10000.0f, true, true, FfnActivation::SiLU},
    {"llama3-8b-1.58", "llama", "llama-bitnet", 4096, 32, 8, 128, 1e-5f, 500000.0f, false, false, FfnActivation::SiLU},
    {"falcon3-10b-1.58", "llama", "llama-bitnet", 3072, 12, 4, 256, 1e-6f, 1000042.0f, false, false, FfnActivation::SiLU},
};

INSTANTIATE_TEST_SUITE_P(Shapes, SynthShape, ::testing::ValuesIn(kShapes), [](const auto& info) {
  std::string n = info.param.shape;
  for (char& ch : n) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

}  // namespace
}  // namespace tern::test
