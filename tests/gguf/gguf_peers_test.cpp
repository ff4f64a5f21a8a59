// The GGUF files written by bitnet.cpp (I2_S) and llama.cpp (TQ1_0, TQ2_0) for the golden
// tiny models (../shared/peers/): architecture, metadata, tensor count, types and shapes as
// documented in ../shared/peers/README.md and PEERS.md; and, as a check on every data
// offset, the ternary codes decoded from the I2_S file equal those of the TQ2_0 file.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/bitnet_names.h"
#include "gguf/gguf_file.h"

namespace tern::gguf {
namespace {

namespace n = names;

struct Model {
  const char* name;
  uint64_t hidden, ff, layers, heads, kv_heads;
};
constexpr Model kTinyA{"tiny-a", 256, 768, 2, 4, 1};
constexpr Model kTinyB{"tiny-b", 512, 1280, 3, 8, 2};

struct PeerFile {
  const char* suffix;
  const char* arch;
  TensorType linear;
  TensorType embd;
  uint64_t file_type;
};
constexpr PeerFile kFiles[] = {
    {"i2_s", "bitnet-b1.58", TensorType::I2_S, TensorType::F16, 40},
    {"i2_s-embf32", "bitnet-b1.58", TensorType::I2_S, TensorType::F32, 40},
    {"tq2_0", "bitnet", TensorType::TQ2_0, TensorType::F16, 37},
    {"tq1_0", "bitnet", TensorType::TQ1_0, TensorType::F16, 36},
};

std::string peer_path(const Model& m, const char* suffix) {
  return std::string(TERN_SHARED_DIR) + "/peers/" + m.name + "/" + m.name + "-" + suffix + ".gguf";
}

void check_file(const Model& m, const PeerFile& pf) {
  const std::string path = peer_path(m, pf.suffix);
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  const File f = File::open(path);
  SCOPED_TRACE(path);
  const std::string arch = pf.arch;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.get_string(n::kGeneralArchitecture), arch);
  EXPECT_EQ(f.get_uint(n::kGeneralFileType), pf.file_type);
  EXPECT_EQ(f.get_uint(n::kGeneralQuantVersion), 2u);
  EXPECT_EQ(f.get_uint(n::key(arch, n::kEmbeddingLength)), m.hidden);
  EXPECT_EQ(f.get_uint(n::key(arch, n::kFeedForwardLength)), m.ff);
  EXPECT_EQ(f.get_uint(n::key(arch, n::kBlockCount)), m.layers);
  EXPECT_EQ(f.get_uint(n::key(arch, n::kHeadCount)), m.heads);
  EXPECT_EQ(f.get_uint(n::key(arch, n::kHeadCountKv)), m.kv_heads);
  EXPECT_EQ(f.get_uint(n::key(arch, n::kContextLength)), 4096u);
  EXPECT_EQ(f.get_uint(n::key(arch, n::kRopeDimCount)), 64u);
  EXPECT_FLOAT_EQ(static_cast<float>(f.get_float(n::key(arch, n::kRmsEps))), 1e-5f);
  EXPECT_EQ(f.get_float(n::key(arch, n::kRopeFreqBase)), 500000.0);
  EXPECT_EQ(f.get_string(n::kTokModel), "gpt2");
  EXPECT_EQ(f.get_string(n::kTokPre), "llama-bpe");
  EXPECT_EQ(f.get_string_array(n::kTokTokens).size(), 1000u);
  EXPECT_EQ(f.get_string_array(n::kTokMerges).size(), 728u);
  EXPECT_EQ(f.get_uint(n::kTokBos), 984u);
  EXPECT_EQ(f.get_uint(n::kTokEos), 985u);
  EXPECT_EQ(f.get_uint(n::kTokEot), 993u);
  EXPECT_TRUE(f.get_bool(n::kTokAddBos));
  EXPECT_EQ(f.find(n::kTokScores), nullptr);
  EXPECT_GT(f.get_string(n::kChatTemplate).size(), 100u);

  const uint64_t head_dim = m.hidden / m.heads;
  ASSERT_EQ(f.tensors().size(), 2 + 11 * m.layers);
  auto expect = [&](const std::string& name, TensorType type, std::vector<uint64_t> dims) {
    const TensorInfo* t = f.find_tensor(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->type, type) << name;
    EXPECT_EQ(t->dims, dims) << name;
  };
  const TensorType F32 = TensorType::F32;
  expect(n::kTokenEmbd, pf.embd, {m.hidden, 1000});
  expect(n::kOutputNorm, F32, {m.hidden});
  EXPECT_EQ(f.find_tensor(n::kOutput), nullptr);  // tied embeddings
  for (int l = 0; l < static_cast<int>(m.layers); ++l) {
    expect(n::blk(l, n::kAttnNorm), F32, {m.hidden});
    expect(n::blk(l, n::kAttnQ), pf.linear, {m.hidden, m.hidden});
    expect(n::blk(l, n::kAttnK), pf.linear, {m.hidden, m.kv_heads * head_dim});
    expect(n::blk(l, n::kAttnV), pf.linear, {m.hidden, m.kv_heads * head_dim});
    expect(n::blk(l, n::kAttnOutput), pf.linear, {m.hidden, m.hidden});
    expect(n::blk(l, n::kAttnSubNorm), F32, {m.hidden});
    expect(n::blk(l, n::kFfnNorm), F32, {m.hidden});
    expect(n::blk(l, n::kFfnGate), pf.linear, {m.hidden, m.ff});
    expect(n::blk(l, n::kFfnUp), pf.linear, {m.hidden, m.ff});
    expect(n::blk(l, n::kFfnSubNorm), F32, {m.ff});
    expect(n::blk(l, n::kFfnDown), pf.linear, {m.ff, m.hidden});
  }
  // The tensors tile the data section in some order (no gaps beyond alignment padding).
  uint64_t total = 0;
  for (const TensorInfo& t : f.tensors()) total += (t.nbytes + f.alignment() - 1) / f.alignment() * f.alignment();
  EXPECT_EQ(f.data_offset() + total, f.file_size());
}

TEST(PeerFiles, TinyAMatchPeersDoc) {
  for (const PeerFile& pf : kFiles) check_file(kTinyA, pf);
}
TEST(PeerFiles, TinyBMatchPeersDoc) {
  for (const PeerFile& pf : kFiles) check_file(kTinyB, pf);
}

// Trit of element j of an I2_S tensor (128-element groups of 32 bytes; byte p holds
// elements p, p+32, p+64, p+96 in bits 7:6, 5:4, 3:2, 1:0; code = trit + 1).
int i2s_trit(const uint8_t* d, uint64_t j) {
  const uint64_t block = j / 128, in = j % 128;
  const int shift = 6 - 2 * static_cast<int>(in / 32);
  return ((d[block * 32 + in % 32] >> shift) & 3) - 1;
}
// TQ2_0: 66-byte blocks of 256; in half h, byte 32h+m holds 128h+m, +32, +64, +96 in bits
// 1:0, 3:2, 5:4, 7:6.
int tq2_trit(const uint8_t* d, uint64_t j) {
  const uint64_t block = j / 256, in = j % 256, h = in / 128, r = in % 128;
  const int shift = 2 * static_cast<int>(r / 32);
  return ((d[block * 66 + 32 * h + r % 32] >> shift) & 3) - 1;
}

TEST(PeerFiles, I2SAndTQ2CodesAgree) {
  for (const Model* m : {&kTinyA, &kTinyB}) {
    const File i2 = File::open(peer_path(*m, "i2_s"));
    const File tq = File::open(peer_path(*m, "tq2_0"));
    int checked = 0;
    for (const TensorInfo& a : i2.tensors()) {
      if (a.type != TensorType::I2_S) continue;
      const TensorInfo& b = tq.tensor(a.name);
      ASSERT_EQ(a.n_elements(), b.n_elements()) << a.name;
      uint64_t mismatches = 0, nonzero = 0;
      for (uint64_t j = 0; j < a.n_elements(); ++j) {
        const int t = i2s_trit(a.data, j);
        mismatches += t != tq2_trit(b.data, j);
        nonzero += t != 0;
      }
      EXPECT_EQ(mismatches, 0u) << m->name << " " << a.name;
      float scale = 0;
      std::memcpy(&scale, a.data + a.n_elements() / 4, 4);  // the f32 after the codes
      EXPECT_GE(scale, 0.0f) << a.name;
      EXPECT_EQ(scale == 0.0f, nonzero == 0) << a.name << ": scale " << scale;  // tiny-b's all-zero ffn_gate
      ++checked;
    }
    EXPECT_EQ(checked, static_cast<int>(7 * (m == &kTinyA ? 2 : 3)));
  }
}

}  // namespace
}  // namespace tern::gguf
