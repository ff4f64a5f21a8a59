// The peers' own files of the three non-2B4T golden models (tests/fixtures/peers, made by
// bitnet.cpp, llama.cpp and ik_llama.cpp from ../shared/golden with their own converters and
// quantizers; how: tests/fixtures/peers/README.md) run in tern.
//
// What each file can be held to is derived from what it stores. For each peer file tern
// converts the golden checkpoint into a "twin" whose ternary weights carry the same scale
// storage (I2_S and IQ2_BN: an exact f32 of 1/weight_scale; TQ1_0/TQ2_0: f16 per block) and,
// where the peer's converter dropped something, the same omission; the peer's embedding and
// lm_head tables are spliced in unchanged where tern does not write their type (Q4_K,
// IQ4_NL; their decoding is tested against the peers' dequantizers in test_kernels). The
// twin then holds the same numbers, derived by tern from the checkpoint, so tern on the
// peer file must equal tern on the twin to float noise. The twin's distance to the golden
// logits is what the storage explains: where the storage is exact (I2_S/IQ2_BN scales, F16
// tables), the peer file meets the golden short tier and the greedy continuation exactly.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "platform/environment.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "golden_fixture.h"
#include "tern/error.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& model, const std::string& file) {
  return fs::path(TERN_SOURCE_DIR) / "tests" / "fixtures" / "peers" / model / file;
}

struct Logits {
  std::vector<std::vector<float>> seqs;  // len1, len7, len33, tie16 rows in golden.json order
  std::vector<int32_t> greedy;           // 32 ids from the golden prompt, one token per eval
  std::vector<float> greedy_steps;       // the logits of each greedy step
};

Logits run(const std::string& path, const std::string& golden) {
  auto m = Model::load(path);
  Logits out;
  const nlohmann::json& g = golden_json(golden);
  for (const nlohmann::json& seq : g["sequences"]) {
    if (seq["name"] == "len200") continue;
    out.seqs.push_back(eval_all(m, seq["ids"].get<std::vector<int32_t>>(), golden_session_options(2)));
  }
  Session s(m, golden_session_options(2));
  const int64_t V = m->hparams().n_vocab;
  std::span<const float> l = s.eval(g["greedy"]["prompt_ids"].get<std::vector<int32_t>>());
  for (int j = 0; j < 32; ++j) {
    out.greedy_steps.insert(out.greedy_steps.end(), l.begin(), l.end());
    const int32_t next = static_cast<int32_t>(argmax(l.data(), V));
    out.greedy.push_back(next);
    l = s.eval(std::span<const int32_t>(&next, 1));
  }
  return out;
}

// max |a - b| over the short-tier rows (tie16: positions 0..3).
double short_diff(const Logits& a, const Logits& b, const std::string& golden) {
  const nlohmann::json& g = golden_json(golden);
  double worst = 0;
  size_t i = 0;
  for (const nlohmann::json& seq : g["sequences"]) {
    if (seq["name"] == "len200") continue;
    const int64_t V = seq["logits"]["shape"][1];
    const int64_t rows = seq["name"] == "tie16" ? 4 : static_cast<int64_t>(seq["ids"].size());
    worst = std::max(worst, compare(a.seqs[i].data(), b.seqs[i].data(), rows, V).max_abs);
    ++i;
  }
  return worst;
}

Logits golden_logits(const std::string& golden) {
  Logits out;
  const nlohmann::json& g = golden_json(golden);
  for (const nlohmann::json& seq : g["sequences"]) {
    if (seq["name"] == "len200") continue;
    out.seqs.push_back(read_f32(golden_dir(golden) / "golden" / seq["logits"]["file"].get<std::string>()));
  }
  out.greedy = g["greedy"]["new_ids"].get<std::vector<int32_t>>();
  return out;
}

// The golden checkpoint converted by tern with the peer file's storage; `drop_rope_scaling`
// reproduces bitnet.cpp's converter, which drops llama3 rope_scaling.
std::string twin(const std::string& golden, WeightType wt, EmbdType et, bool drop_rope_scaling) {
  if (!drop_rope_scaling) return converted_model(golden, wt, et);
  const fs::path dir = fs::temp_directory_path() / ("tern-peer-twin-" + std::to_string(tern::process_id()) + "-" + golden);
  fs::remove_all(dir);
  fs::copy(golden_dir(golden), dir, fs::copy_options::recursive);
  nlohmann::json j;
  std::ifstream(dir / "config.json") >> j;
  j.erase("rope_scaling");
  std::ofstream(dir / "config.json") << j.dump(1);
  ConvertOptions o;
  o.input_dir = dir.string();
  o.output_path = (dir / "twin.gguf").string();
  o.weight_type = wt;
  o.embd_type = et;
  convert_hf_to_gguf(o);
  return o.output_path;
}

// `twin` with the peer file's token_embd / output tensors where their types differ.
std::string splice_tables(const std::string& twin_path, const std::string& peer_path) {
  const gguf::File tw = gguf::File::open(twin_path), peer = gguf::File::open(peer_path);
  auto pick = [&](const gguf::TensorInfo& t) -> const gguf::TensorInfo& {
    const bool table = t.name == "token_embd.weight" || t.name == "output.weight";
    const gguf::TensorInfo* p = table ? peer.find_tensor(t.name) : nullptr;
    return p != nullptr && p->type != t.type ? *p : t;
  };
  const std::string out = twin_path + ".spliced.gguf";
  gguf::Writer w(out, tw.alignment());
  for (const gguf::KeyValue& kv : tw.metadata()) {
    if (kv.key != "general.alignment") w.set_value(kv.key, kv.value);
  }
  for (const gguf::TensorInfo& t : tw.tensors()) w.add_tensor(t.name, pick(t).type, pick(t).dims);
  for (const gguf::TensorInfo& t : tw.tensors()) {
    const gguf::TensorInfo& src = pick(t);
    w.write_tensor_data(t.name, std::span<const uint8_t>(src.data, src.nbytes));
  }
  w.finish();
  return out;
}

struct PeerFile {
  const char* golden;
  const char* file;
  WeightType twin_type;
  EmbdType twin_embd;
  bool drops_rope_scaling;  // the peer's converter lost llama3 scaling (bitnet.cpp)
  bool exact_storage;       // codes, scales and tables as exact as tern's default conversion
};

class PeerFamilyFile : public ::testing::TestWithParam<PeerFile> {};

TEST_P(PeerFamilyFile, EqualsItsTwinAndTheGoldenWhereStorageIsExact) {
  const PeerFile& p = GetParam();
  const std::string path = fixture(p.golden, p.file).string();
  ASSERT_TRUE(fs::exists(path)) << path;
  const Logits peer = run(path, p.golden);
  const std::string twin_path =
      splice_tables(twin(p.golden, p.twin_type, p.twin_embd, p.drops_rope_scaling), path);
  const Logits tw = run(twin_path, p.golden);
  const Logits gold = golden_logits(p.golden);
  const double d_twin = short_diff(peer, tw, p.golden);
  const double d_twin_gold = short_diff(tw, gold, p.golden);
  const double d_gold = short_diff(peer, gold, p.golden);
  int greedy_same = 0;
  while (greedy_same < 32 && peer.greedy[greedy_same] == gold.greedy[greedy_same]) ++greedy_same;
  fs::remove(twin_path);
  std::printf("  %-40s vs twin %.3g | twin vs golden %.3g | vs golden %.3g | greedy %d/32 golden ids\n", p.file, d_twin,
              d_twin_gold, d_gold, greedy_same);
  EXPECT_LE(d_twin, 1e-5) << "the peer file and tern's twin hold the same numbers";
  EXPECT_EQ(peer.greedy, tw.greedy);
  if (p.exact_storage && !p.drops_rope_scaling) {
    EXPECT_LE(d_gold, 1e-3) << "exact storage: the golden short tier";
    EXPECT_EQ(peer.greedy, gold.greedy) << "exact storage: the golden greedy continuation";
  }
}

const PeerFile kPeerFiles[] = {
    {"llama158-a", "llama158-a-i2_s.gguf", WeightType::I2_S, EmbdType::F16, false, true},
    {"llama158-a", "llama158-a-tq2_0-embf16.gguf", WeightType::TQ2_0, EmbdType::F16, false, false},
    {"llama158-a", "llama158-a-tq2_0.gguf", WeightType::TQ2_0, EmbdType::F16, false, false},   // Q4_K / Q6_K tables
    {"llama158-a", "llama158-a-iq2_bn.gguf", WeightType::I2_S, EmbdType::F16, false, false},   // IQ4_NL / Q6_K tables
    {"llama158-rope-a", "llama158-rope-a-iq2_bn.gguf", WeightType::I2_S, EmbdType::F16, false, false},  // Q6_K table
    {"llama158-rope-a", "llama158-rope-a-i2_s.gguf", WeightType::I2_S, EmbdType::F16, true, true},
    {"bitnet158-latent-a", "bitnet158-latent-a-i2_s.gguf", WeightType::I2_S, EmbdType::F16, false, true},
    {"bitnet158-latent-a", "bitnet158-latent-a-tq1_0-embf16.gguf", WeightType::TQ1_0, EmbdType::F16, false, true},
    {"bitnet158-latent-a", "bitnet158-latent-a-iq2_bn-embf16.gguf", WeightType::I2_S, EmbdType::F16, false, true},
};

INSTANTIATE_TEST_SUITE_P(Peers, PeerFamilyFile, ::testing::ValuesIn(kPeerFiles), [](const auto& info) {
  std::string n = info.param.file;
  n = n.substr(0, n.size() - 5);
  for (char& c : n) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

}  // namespace
}  // namespace tern::test
