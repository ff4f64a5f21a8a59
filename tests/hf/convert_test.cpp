// End-to-end conversion of the golden checkpoints: every ternary tensor read back from the
// GGUF (gguf::File) and decoded by this test's own decoders must equal the trits unpacked
// here from the HF uint8 weights, with the reference scales; tiny-a and tiny-a-bf16 give
// byte-identical files' tensors; the peers' I2_S/TQ files made by bitnet.cpp and llama.cpp
// from the same weights hold the same bytes; bad input fails naming file and field and
// leaves nothing behind.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "gguf/bitnet_names.h"
#include "gguf/gguf_file.h"
#include "hf/safetensors.h"
#include "hf_test_util.h"
#include "tern/convert.h"
#include "tern/error.h"

namespace tern::hf::test {
namespace {

namespace names = gguf::names;

const char* const kLinearHf[] = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                 "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};
const char* const kLinearGguf[] = {"attn_q.weight",   "attn_k.weight", "attn_v.weight",  "attn_output.weight",
                                   "ffn_gate.weight", "ffn_up.weight", "ffn_down.weight"};

ConvertReport convert(const std::string& in, const std::string& out, WeightType t, EmbdType e = EmbdType::F16) {
  ConvertOptions o;
  o.input_dir = in;
  o.output_path = out;
  o.weight_type = t;
  o.embd_type = e;
  return convert_hf_to_gguf(o);
}

// The reference: trits and weight_scale of every linear, from the PACKED golden model.
struct RefLinear {
  std::vector<int8_t> t;
  int64_t rows, cols;
  float ws;
};
std::map<std::string, RefLinear> reference_linears(const std::string& packed_model) {
  const SafetensorsFile f = SafetensorsFile::open(golden(packed_model) + "/model.safetensors");
  std::map<std::string, RefLinear> ref;
  for (const StTensor& t : f.tensors()) {
    const std::string& n = t.name;
    const size_t pos = n.find(".weight_scale");
    if (pos == std::string::npos) continue;
    const std::string base = n.substr(0, pos);
    const StTensor* w = f.find(base + ".weight");
    const auto R = static_cast<int64_t>(w->shape[0]), K = static_cast<int64_t>(w->shape[1]);
    ref[base] = RefLinear{hf_unpack(w->data.data(), R, K), 4 * R, K, bf16_value(t.data.data())};
  }
  return ref;
}

std::string gguf_linear_name(const std::string& hf_base) {
  // model.layers.N.<which>
  const size_t a = std::string("model.layers.").size();
  const size_t dot = hf_base.find('.', a);
  const int layer = std::stoi(hf_base.substr(a, dot - a));
  const std::string which = hf_base.substr(dot + 1);
  for (size_t i = 0; i < 7; ++i) {
    if (which == kLinearHf[i]) return names::blk(layer, kLinearGguf[i]);
  }
  return "?";
}

float f32_at(const uint8_t* p) {
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

bool all_zero(const int8_t* t, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (t[i]) return false;
  }
  return true;
}

// Decodes tensor `ti` of type `type` and checks it against `ref`.
void check_linear(const gguf::TensorInfo& ti, const RefLinear& ref, gguf::TensorType type) {
  SCOPED_TRACE(ti.name);
  ASSERT_EQ(ti.dims, (std::vector<uint64_t>{static_cast<uint64_t>(ref.cols), static_cast<uint64_t>(ref.rows)}));
  const int64_t n = ref.rows * ref.cols;
  const float inv = 1.0f / ref.ws;
  const bool zero = all_zero(ref.t.data(), ref.t.size());
  std::vector<int8_t> got;
  switch (type) {
    case gguf::TensorType::TERN_T2: {
      got = t2_decode(ti.data, ref.rows, ref.cols);
      const uint8_t* trailer = ti.data + ref.rows * ((ref.cols + 127) / 128 * 32);
      EXPECT_EQ(ti.nbytes, static_cast<uint64_t>(trailer - ti.data) + 32);
      EXPECT_EQ(f32_at(trailer), ref.ws);  // the divisor, bit-exact
      for (int i = 4; i < 32; ++i) EXPECT_EQ(trailer[i], 0);
      break;
    }
    case gguf::TensorType::I2_S:
      got = i2s_decode(ti.data, n);
      EXPECT_EQ(ti.nbytes, static_cast<uint64_t>(n / 4 + 32));
      EXPECT_EQ(f32_at(ti.data + n / 4), zero ? 0.0f : inv);
      break;
    case gguf::TensorType::TQ2_0:
    case gguf::TensorType::TQ1_0: {
      std::vector<float> d;
      got = type == gguf::TensorType::TQ2_0 ? tq2_decode(ti.data, n, &d) : tq1_decode(ti.data, n, &d);
      for (size_t b = 0; b < d.size(); ++b) {
        if (all_zero(ref.t.data() + b * 256, 256)) {
          EXPECT_EQ(d[b], 0.0f);
        } else {
          EXPECT_LE(std::fabs(d[b] - inv), std::ldexp(std::fabs(inv), -11)) << "block " << b;  // f16 rounding
        }
      }
      break;
    }
    default: FAIL() << "unexpected type";
  }
  ASSERT_EQ(got.size(), ref.t.size());
  int64_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) bad += got[i] != ref.t[i];
  EXPECT_EQ(bad, 0) << "trits differ";
}

struct Combo {
  const char* model;
  const char* reference;  // packed model holding the same weights
  WeightType type;
};

class ConvertGolden : public ::testing::TestWithParam<Combo> {};

TEST_P(ConvertGolden, TernaryValuesScalesNormsMetadata) {
  const Combo c = GetParam();
  TempDir dir;
  const std::string out = dir.str("out.gguf");
  const ConvertReport rep = convert(golden(c.model), out, c.type);
  const gguf::File g = gguf::File::open(out);
  const gguf::TensorType type = c.type == WeightType::TernT2 ? gguf::TensorType::TERN_T2
                                : c.type == WeightType::I2_S ? gguf::TensorType::I2_S
                                : c.type == WeightType::TQ2_0 ? gguf::TensorType::TQ2_0
                                                              : gguf::TensorType::TQ1_0;
  const std::string arch = (c.type == WeightType::TernT2 || c.type == WeightType::I2_S) ? "bitnet-b1.58" : "bitnet";
  EXPECT_EQ(rep.arch, arch);
  EXPECT_EQ(g.get_string(names::kGeneralArchitecture), arch);

  // Ternary tensors.
  const auto ref = reference_linears(c.reference);
  ASSERT_FALSE(ref.empty());
  for (const auto& [base, r] : ref) check_linear(g.tensor(gguf_linear_name(base)), r, type);

  // Norms: F32, the bf16 values exactly. Embedding: F16 of the bf16 values.
  const SafetensorsFile st = SafetensorsFile::open(golden(c.model) + "/model.safetensors");
  size_t norms = 0;
  for (const StTensor& t : st.tensors()) {
    if (t.name.find("norm") == std::string::npos) continue;
    std::string gname;
    if (t.name == "model.norm.weight") {
      gname = names::kOutputNorm;
    } else {
      const size_t a = std::string("model.layers.").size();
      const int layer = std::stoi(t.name.substr(a));
      const std::string rest = t.name.substr(t.name.find('.', a) + 1);
      gname = names::blk(layer, rest == "input_layernorm.weight"            ? "attn_norm.weight"
                                : rest == "post_attention_layernorm.weight" ? "ffn_norm.weight"
                                : rest == "self_attn.attn_sub_norm.weight"  ? "attn_sub_norm.weight"
                                                                            : "ffn_sub_norm.weight");
    }
    const gguf::TensorInfo& ti = g.tensor(gname);
    ASSERT_EQ(ti.type, gguf::TensorType::F32) << gname;
    ASSERT_EQ(ti.n_elements(), t.n_elements());
    for (uint64_t i = 0; i < t.n_elements(); ++i) ASSERT_EQ(f32_at(ti.data + 4 * i), bf16_value(t.data.data() + 2 * i)) << gname;
    ++norms;
  }
  // Parsed as chars: libc++ (macOS) has no std::char_traits<unsigned char> for a byte vector.
  const std::vector<uint8_t> cfg_bytes = read_bytes(golden(c.model) + "/config.json");
  const auto cfg = nlohmann::json::parse(std::string(cfg_bytes.begin(), cfg_bytes.end()));
  const int layers = cfg["num_hidden_layers"].get<int>();
  EXPECT_EQ(norms, static_cast<size_t>(4 * layers + 1));
  EXPECT_EQ(g.tensors().size(), static_cast<size_t>(11 * layers + 2));  // no output.weight: tied
  EXPECT_EQ(g.find_tensor(names::kOutput), nullptr);

  const gguf::TensorInfo& emb = g.tensor(names::kTokenEmbd);
  const StTensor* hemb = st.find("model.embed_tokens.weight");
  ASSERT_EQ(emb.type, gguf::TensorType::F16);
  ASSERT_EQ(emb.dims, (std::vector<uint64_t>{hemb->shape[1], hemb->shape[0]}));
  for (uint64_t i = 0; i < hemb->n_elements(); ++i) {
    const float want = bf16_value(hemb->data.data() + 2 * i);
    const float got = f16_value(static_cast<uint16_t>(emb.data[2 * i] | emb.data[2 * i + 1] << 8));
    ASSERT_LE(std::fabs(got - want), std::max(std::ldexp(std::fabs(want), -11), 3e-8f)) << i;
  }

  // Hyper-parameters and tokenizer.
  auto u = [&](const char* k) { return g.get_uint(names::key(arch, k)); };
  EXPECT_EQ(u(names::kVocabSize), cfg["vocab_size"].get<uint64_t>());
  EXPECT_EQ(u(names::kEmbeddingLength), cfg["hidden_size"].get<uint64_t>());
  EXPECT_EQ(u(names::kFeedForwardLength), cfg["intermediate_size"].get<uint64_t>());
  EXPECT_EQ(u(names::kBlockCount), cfg["num_hidden_layers"].get<uint64_t>());
  EXPECT_EQ(u(names::kHeadCount), cfg["num_attention_heads"].get<uint64_t>());
  EXPECT_EQ(u(names::kHeadCountKv), cfg["num_key_value_heads"].get<uint64_t>());
  EXPECT_EQ(u(names::kContextLength), 4096u);
  EXPECT_EQ(u(names::kRopeDimCount), 64u);
  EXPECT_FLOAT_EQ(static_cast<float>(g.get_float(names::key(arch, names::kRmsEps))), 1e-5f);
  EXPECT_EQ(g.get_float(names::key(arch, names::kRopeFreqBase)), 500000.0);
  EXPECT_EQ(g.get_string(names::key(arch, names::kHiddenActivation)), "relu2");
  EXPECT_EQ(g.get_string(names::kTokModel), "gpt2");
  EXPECT_EQ(g.get_string(names::kTokPre), "llama-bpe");
  EXPECT_EQ(g.get_string_array(names::kTokTokens).size(), 1000u);
  EXPECT_EQ(g.get_string_array(names::kTokTokens)[984], "<|begin_of_text|>");
  EXPECT_EQ(g.get_string_array(names::kTokMerges).size(), 728u);
  EXPECT_EQ(g.get_uint(names::kTokBos), 984u);
  EXPECT_EQ(g.get_uint(names::kTokEos), 985u);
  EXPECT_EQ(g.get_uint(names::kTokEot), 993u);
  EXPECT_TRUE(g.get_bool(names::kTokAddBos));
  const std::vector<uint8_t> tc_bytes = read_bytes(golden(c.model) + "/tokenizer_config.json");
  const auto tc = nlohmann::json::parse(std::string(tc_bytes.begin(), tc_bytes.end()));
  EXPECT_EQ(g.get_string(names::kChatTemplate), tc["chat_template"].get<std::string>());
  if (c.type == WeightType::TernT2) {
    EXPECT_TRUE(g.get_bool(names::kTernScaleDivides));
  }
  EXPECT_FALSE(fs::exists(out + ".tmp"));
}

INSTANTIATE_TEST_SUITE_P(
    AllModelsAllTypes, ConvertGolden,
    ::testing::Values(Combo{"tiny-a", "tiny-a", WeightType::TernT2}, Combo{"tiny-a", "tiny-a", WeightType::I2_S},
                      Combo{"tiny-a", "tiny-a", WeightType::TQ2_0}, Combo{"tiny-a", "tiny-a", WeightType::TQ1_0},
                      Combo{"tiny-a-bf16", "tiny-a", WeightType::TernT2}, Combo{"tiny-a-bf16", "tiny-a", WeightType::I2_S},
                      Combo{"tiny-a-bf16", "tiny-a", WeightType::TQ2_0}, Combo{"tiny-a-bf16", "tiny-a", WeightType::TQ1_0},
                      Combo{"tiny-b", "tiny-b", WeightType::TernT2}, Combo{"tiny-b", "tiny-b", WeightType::I2_S},
                      Combo{"tiny-b", "tiny-b", WeightType::TQ2_0}, Combo{"tiny-b", "tiny-b", WeightType::TQ1_0}),
    [](const auto& info) {
      std::string s = std::string(info.param.model) + "_" + weight_type_name(info.param.type);
      for (char& ch : s) {
        if (ch == '-') ch = '_';
      }
      return s;
    });

// The packed and master layouts of the same model give identical tensors, byte for byte.
TEST(Convert, PackedAndMasterLayoutsGiveIdenticalTensors) {
  TempDir dir;
  for (WeightType t : {WeightType::TernT2, WeightType::I2_S, WeightType::TQ1_0}) {
    convert(golden("tiny-a"), dir.str("a.gguf"), t);
    convert(golden("tiny-a-bf16"), dir.str("b.gguf"), t);
    const gguf::File a = gguf::File::open(dir.str("a.gguf"));
    const gguf::File b = gguf::File::open(dir.str("b.gguf"));
    ASSERT_EQ(a.tensors().size(), b.tensors().size());
    for (const gguf::TensorInfo& ta : a.tensors()) {
      const gguf::TensorInfo& tb = b.tensor(ta.name);
      ASSERT_EQ(ta.type, tb.type) << ta.name;
      ASSERT_EQ(ta.nbytes, tb.nbytes) << ta.name;
      EXPECT_EQ(std::memcmp(ta.data, tb.data, ta.nbytes), 0) << ta.name << " differs for " << weight_type_name(t);
    }
  }
}

// The "llama" arch is run with adjacent-pair RoPE by the peers, so Q and K rows are written
// permuted per head (row j -> 2j, j + d/2 -> 2j+1, llama.cpp's LlamaModel.permute); V, O and
// the FFN keep the checkpoint's order. The 1bitLLM "bitnet" arch keeps every row in place.
TEST(Convert, LlamaFilesHoldPermutedQK) {
  TempDir dir;
  convert(golden("llama158-a"), dir.str("l.gguf"), WeightType::TernT2);
  const gguf::File g = gguf::File::open(dir.str("l.gguf"));
  EXPECT_EQ(g.get_string("general.architecture"), "llama");
  const SafetensorsFile st = SafetensorsFile::open(golden("llama158-a") + "/model.safetensors");
  const int64_t E = 256, hd = 64;
  struct Case { const char* hf; const char* gguf; int64_t rows; bool permuted; };
  for (const Case& c : {Case{"q_proj", "attn_q", 256, true}, Case{"k_proj", "attn_k", 128, true},
                        Case{"v_proj", "attn_v", 128, false}}) {
    SCOPED_TRACE(c.hf);
    const auto* w = st.find(std::string("model.layers.1.self_attn.") + c.hf + ".weight");
    ASSERT_NE(w, nullptr);
    const auto hf = hf_unpack(w->data.data(), c.rows / 4, E);
    const auto t2 = t2_decode(g.tensor(std::string("blk.1.") + c.gguf + ".weight").data, c.rows, E);
    for (int64_t r = 0; r < c.rows; ++r) {
      const int64_t h = r / hd, j = r % hd;
      const int64_t dst = c.permuted ? h * hd + (j < hd / 2 ? 2 * j : 2 * (j - hd / 2) + 1) : r;
      ASSERT_TRUE(std::equal(hf.begin() + r * E, hf.begin() + (r + 1) * E, t2.begin() + dst * E)) << "row " << r;
    }
  }
  EXPECT_NE(g.find_tensor("output.weight"), nullptr);   // untied lm_head
  EXPECT_EQ(g.find_tensor("blk.0.attn_sub_norm.weight"), nullptr);
  // llama3 scaling: tern's exact keys and, for the peers, rope_freqs.weight.
  convert(golden("llama158-rope-a"), dir.str("r.gguf"), WeightType::TernT2);
  const gguf::File r = gguf::File::open(dir.str("r.gguf"));
  EXPECT_EQ(r.get_float("tern.rope.llama3.factor"), 32.0);
  EXPECT_EQ(r.get_uint("tern.rope.llama3.original_context_length"), 8192u);
  EXPECT_FALSE(r.get_float_opt("llama.rope.scaling.factor"));  // llama.cpp would read it as LINEAR scaling
  EXPECT_EQ(r.tensor("rope_freqs.weight").dims, (std::vector<uint64_t>{32}));
  EXPECT_EQ(r.find_tensor("output.weight"), nullptr);  // tied
  // 1bitLLM: arch "bitnet", sub-norms from inner_attn_ln / ffn_layernorm, nothing permuted.
  convert(golden("bitnet158-latent-a"), dir.str("b.gguf"), WeightType::TernT2);
  const gguf::File b = gguf::File::open(dir.str("b.gguf"));
  EXPECT_EQ(b.get_string("general.architecture"), "bitnet");
  EXPECT_EQ(b.get_string("bitnet.hidden_activation"), "silu");
  EXPECT_NE(b.find_tensor("blk.1.ffn_sub_norm.weight"), nullptr);
  EXPECT_EQ(b.get_string("tern.converted_from"), "huggingface BitnetForCausalLM (latent)");
}

// Golden README's worked example: tiny-a layers.0 k_proj byte [0][0] = 165 -> rows 0, 16,
// 32, 48 of column 0 are 0, 0, +1, +1; weight_scale 8.0. Same from the bf16 masters.
TEST(Convert, WorkedExampleKProjByte165) {
  const SafetensorsFile st = SafetensorsFile::open(golden("tiny-a") + "/model.safetensors");
  ASSERT_EQ(st.find("model.layers.0.self_attn.k_proj.weight")->data[0], 165);
  ASSERT_EQ(bf16_value(st.find("model.layers.0.self_attn.k_proj.weight_scale")->data.data()), 8.0f);
  TempDir dir;
  for (const char* model : {"tiny-a", "tiny-a-bf16"}) {
    SCOPED_TRACE(model);
    convert(golden(model), dir.str("k.gguf"), WeightType::TernT2);
    const gguf::File g = gguf::File::open(dir.str("k.gguf"));
    const gguf::TensorInfo& k = g.tensor("blk.0.attn_k.weight");
    ASSERT_EQ(k.dims, (std::vector<uint64_t>{256, 64}));
    const auto t = t2_decode(k.data, 64, 256);
    EXPECT_EQ(t[0 * 256], 0);
    EXPECT_EQ(t[16 * 256], 0);
    EXPECT_EQ(t[32 * 256], 1);
    EXPECT_EQ(t[48 * 256], 1);
    EXPECT_EQ(f32_at(k.data + 64 * 64), 8.0f);
    // I2_S stores the multiplier 1/8.
    convert(golden(model), dir.str("k2.gguf"), WeightType::I2_S);
    const gguf::File g2 = gguf::File::open(dir.str("k2.gguf"));
    EXPECT_EQ(f32_at(g2.tensor("blk.0.attn_k.weight").data + 64 * 256 / 4), 0.125f);
  }
}

// bitnet.cpp's and llama.cpp's own quantizers made ../shared/peers/<model>-{i2_s,tq2_0,tq1_0}.gguf
// from the same weights: every tensor's bytes must match ours (I2_S: all but the 28
// uninitialised trailer bytes), and the tokenizer metadata too.
TEST(Convert, SameBytesAsThePeersQuantizers) {
  TempDir dir;
  struct P {
    const char* model;
    const char* file;
    WeightType type;
  };
  for (const P& p : {P{"tiny-a", "tiny-a/tiny-a-i2_s.gguf", WeightType::I2_S}, P{"tiny-a", "tiny-a/tiny-a-tq2_0.gguf", WeightType::TQ2_0},
                     P{"tiny-a", "tiny-a/tiny-a-tq1_0.gguf", WeightType::TQ1_0}, P{"tiny-b", "tiny-b/tiny-b-i2_s.gguf", WeightType::I2_S},
                     P{"tiny-b", "tiny-b/tiny-b-tq2_0.gguf", WeightType::TQ2_0}, P{"tiny-b", "tiny-b/tiny-b-tq1_0.gguf", WeightType::TQ1_0}}) {
    SCOPED_TRACE(p.file);
    convert(golden(p.model), dir.str("o.gguf"), p.type);
    const gguf::File ours = gguf::File::open(dir.str("o.gguf"));
    const gguf::File peer = gguf::File::open(peers(p.file));
    ASSERT_EQ(ours.tensors().size(), peer.tensors().size());
    EXPECT_EQ(ours.get_string(names::kGeneralArchitecture), peer.get_string(names::kGeneralArchitecture));
    EXPECT_EQ(ours.get_uint(names::kGeneralFileType), peer.get_uint(names::kGeneralFileType));
    for (const gguf::TensorInfo& tp : peer.tensors()) {
      const gguf::TensorInfo& to = ours.tensor(tp.name);
      ASSERT_EQ(to.type, tp.type) << tp.name;
      ASSERT_EQ(to.dims, tp.dims) << tp.name;
      ASSERT_EQ(to.nbytes, tp.nbytes) << tp.name;
      const uint64_t cmp = tp.type == gguf::TensorType::I2_S ? tp.n_elements() / 4 + 4 : tp.nbytes;
      EXPECT_EQ(std::memcmp(to.data, tp.data, cmp), 0) << tp.name;
    }
    for (const char* key : {names::kTokTokens, names::kTokMerges}) {
      EXPECT_EQ(ours.get_string_array(key), peer.get_string_array(key)) << key;
    }
    const gguf::Value* tt_o = ours.find(names::kTokTokenType);
    const gguf::Value* tt_p = peer.find(names::kTokTokenType);
    ASSERT_TRUE(tt_o && tt_p);
    ASSERT_EQ(tt_o->items.size(), tt_p->items.size());
    for (size_t i = 0; i < tt_o->items.size(); ++i) ASSERT_EQ(tt_o->items[i].i, tt_p->items[i].i) << "token_type " << i;
    for (const char* key : {names::kTokBos, names::kTokEos, names::kTokEot}) EXPECT_EQ(ours.get_uint(key), peer.get_uint(key)) << key;
    EXPECT_EQ(ours.get_string(names::kChatTemplate), peer.get_string(names::kChatTemplate));
  }
}

TEST(Convert, EmbeddingTypes) {
  TempDir dir;
  const SafetensorsFile st = SafetensorsFile::open(golden("tiny-b") + "/model.safetensors");
  const StTensor* hemb = st.find("model.embed_tokens.weight");
  // F32: exact.
  convert(golden("tiny-b"), dir.str("f32.gguf"), WeightType::TernT2, EmbdType::F32);
  {
    const gguf::File g = gguf::File::open(dir.str("f32.gguf"));
    const gguf::TensorInfo& e = g.tensor(names::kTokenEmbd);
    ASSERT_EQ(e.type, gguf::TensorType::F32);
    for (uint64_t i = 0; i < hemb->n_elements(); ++i) ASSERT_EQ(f32_at(e.data + 4 * i), bf16_value(hemb->data.data() + 2 * i));
  }
  // F16 reports the inexact values.
  const ConvertReport r16 = convert(golden("tiny-b"), dir.str("f16.gguf"), WeightType::TernT2, EmbdType::F16);
  ASSERT_FALSE(r16.notes.empty());
  EXPECT_NE(r16.notes[0].find("not exact in f16"), std::string::npos) << r16.notes[0];
  // Quantized types: right type and size.
  for (auto [e, t, bytes] : {std::tuple{EmbdType::Q8_0, gguf::TensorType::Q8_0, 34u * 512 / 32},
                             std::tuple{EmbdType::Q4_0, gguf::TensorType::Q4_0, 18u * 512 / 32},
                             std::tuple{EmbdType::Q6_K, gguf::TensorType::Q6_K, 210u * 512 / 256}}) {
    convert(golden("tiny-b"), dir.str("q.gguf"), WeightType::TernT2, e);
    const gguf::File g = gguf::File::open(dir.str("q.gguf"));
    EXPECT_EQ(g.tensor(names::kTokenEmbd).type, t);
    EXPECT_EQ(g.tensor(names::kTokenEmbd).nbytes, static_cast<uint64_t>(bytes) * 1000);
  }
}

TEST(Convert, DryRunWritesNothing) {
  TempDir dir;
  ConvertOptions o;
  o.input_dir = golden("tiny-a");
  o.output_path = dir.str("x.gguf");
  o.dry_run = true;
  const ConvertReport r = convert_hf_to_gguf(o);
  EXPECT_EQ(r.tensors.size(), 24u);
  EXPECT_GT(r.tensor_bytes, 0u);
  EXPECT_FALSE(fs::exists(dir.str("x.gguf")));
  EXPECT_TRUE(fs::is_empty(dir.path));
}

TEST(Convert, ProgressReachesTotal) {
  TempDir dir;
  ConvertOptions o;
  o.input_dir = golden("tiny-a");
  o.output_path = dir.str("x.gguf");
  uint64_t last = 0, total = 0;
  size_t calls = 0;
  o.progress = [&](const ConvertProgress& p) {
    EXPECT_GE(p.bytes_done, last);
    last = p.bytes_done;
    total = p.bytes_total;
    ++calls;
  };
  convert_hf_to_gguf(o);
  EXPECT_GE(calls, 24u);
  EXPECT_EQ(last, total);
}

// A sharded copy of tiny-a (two safetensors files + model.safetensors.index.json) converts
// to the same tensors as the single file.
TEST(Convert, ShardedCheckpointGivesTheSameFile) {
  TempDir dir;
  const std::string model = dir.copy_model("tiny-a", "sharded");
  const SafetensorsFile f = SafetensorsFile::open(golden("tiny-a") + "/model.safetensors");
  std::vector<StEntry> shard[2];
  nlohmann::json map = nlohmann::json::object();
  size_t i = 0;
  for (const StTensor& t : f.tensors()) {
    const int s = (i++ % 2);
    shard[s].push_back({t.name, dtype_name(t.dtype), t.shape, std::vector<uint8_t>(t.data.begin(), t.data.end())});
    map[t.name] = "model-0000" + std::to_string(s + 1) + "-of-00002.safetensors";
  }
  fs::remove(model + "/model.safetensors");
  for (int s = 0; s < 2; ++s) write_bytes(model + "/model-0000" + std::to_string(s + 1) + "-of-00002.safetensors", st_build(shard[s]));
  write_text(model + "/model.safetensors.index.json", nlohmann::json{{"metadata", {{"total_size", 0}}}, {"weight_map", map}}.dump());
  convert(golden("tiny-a"), dir.str("single.gguf"), WeightType::TernT2);
  convert(model, dir.str("sharded.gguf"), WeightType::TernT2);
  const gguf::File a = gguf::File::open(dir.str("single.gguf"));
  const gguf::File b = gguf::File::open(dir.str("sharded.gguf"));
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (const gguf::TensorInfo& ta : a.tensors()) {
    const gguf::TensorInfo& tb = b.tensor(ta.name);
    ASSERT_EQ(ta.nbytes, tb.nbytes);
    EXPECT_EQ(std::memcmp(ta.data, tb.data, ta.nbytes), 0) << ta.name;
  }
}

// ---- bad input -------------------------------------------------------------------------

// Rewrites a safetensors file's header through `edit` (same data section).
void edit_header(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  auto bytes = read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
  auto h = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  edit(h);
  write_bytes(path, st_image(h.dump(), std::vector<uint8_t>(bytes.begin() + 8 + static_cast<std::ptrdiff_t>(n), bytes.end())));
}

void edit_json(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  const std::vector<uint8_t> bytes = read_bytes(path);
  auto j = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));  // chars: libc++ (see above)
  edit(j);
  write_text(path, j.dump(2));
}

struct BadInput {
  const char* name;
  std::function<void(const std::string& dir)> damage;
  std::vector<const char*> expect;  // substrings of the error
};

TEST(Convert, BadInputFailsNamingFileAndFieldAndLeavesNothing) {
  const std::vector<BadInput> cases = {
      {"missing config.json", [](const std::string& d) { fs::remove(d + "/config.json"); }, {"config.json", "missing"}},
      {"missing tokenizer.json", [](const std::string& d) { fs::remove(d + "/tokenizer.json"); }, {"tokenizer.json", "missing"}},
      {"missing model.safetensors", [](const std::string& d) { fs::remove(d + "/model.safetensors"); }, {"model.safetensors"}},
      {"config: hidden_size missing",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j.erase("hidden_size"); }); },
       {"config.json", "/hidden_size", "missing"}},
      {"config: hidden_size a string",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j["hidden_size"] = "256"; }); },
       {"config.json", "/hidden_size", "expected an integer"}},
      {"config: rms_norm_eps a bool",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j["rms_norm_eps"] = true; }); },
       {"config.json", "/rms_norm_eps", "expected a number"}},
      {"config: quantization_config/linear_class a number",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j["quantization_config"]["linear_class"] = 3; }); },
       {"config.json", "/quantization_config/linear_class"}},
      {"config: unsupported architecture",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j["architectures"] = {"Qwen2ForCausalLM"}; }); },
       {"config.json", "/architectures/0", "unsupported architecture 'Qwen2ForCausalLM'"}},
      {"config: intermediate_size disagrees with the tensors",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j["intermediate_size"] = 512; }); },
       {"model.safetensors", "mlp.", "disagrees with", "config.json"}},
      {"config: fewer layers than the checkpoint",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j["num_hidden_layers"] = 1; }); },
       {"model.safetensors", "model.layers.1", "unexpected tensor"}},
      {"config: more layers than the checkpoint",
       [](const std::string& d) { edit_json(d + "/config.json", [](auto& j) { j["num_hidden_layers"] = 3; }); },
       {"model.safetensors", "model.layers.2", "missing"}},
      {"config: not JSON", [](const std::string& d) { write_text(d + "/config.json", "{\"a\": "); }, {"config.json", "invalid JSON"}},
      {"config: packed layout but master weights",
       [](const std::string& d) {
         edit_json(d + "/config.json", [](auto& j) { j["quantization_config"] = {{"quant_method", "bitnet"}, {"linear_class", "autobitlinear"}, {"quantization_mode", "online"}}; });
       },
       {"model.safetensors", "contradicts", "quantization_config"}},
      {"tokenizer: model type Unigram",
       [](const std::string& d) { edit_json(d + "/tokenizer.json", [](auto& j) { j["model"]["type"] = "Unigram"; }); },
       {"tokenizer.json", "/model/type", "Unigram"}},
      {"tokenizer: merges not an array",
       [](const std::string& d) { edit_json(d + "/tokenizer.json", [](auto& j) { j["model"]["merges"] = 5; }); },
       {"tokenizer.json", "/model/merges", "expected an array"}},
      {"tokenizer: a merge of three parts",
       [](const std::string& d) { edit_json(d + "/tokenizer.json", [](auto& j) { j["model"]["merges"][3] = {"a", "b", "c"}; }); },
       {"tokenizer.json", "/model/merges/3"}},
      {"tokenizer: id beyond vocab_size",
       [](const std::string& d) { edit_json(d + "/tokenizer.json", [](auto& j) { j["added_tokens"][0]["id"] = 5000; }); },
       {"tokenizer.json", "5000", "vocab_size"}},
      {"tokenizer_config: chat_template a number",
       [](const std::string& d) { edit_json(d + "/tokenizer_config.json", [](auto& j) { j["chat_template"] = 1; }); },
       {"tokenizer_config.json", "/chat_template"}},
      {"safetensors truncated",
       [](const std::string& d) { auto b = read_bytes(d + "/model.safetensors"); b.resize(b.size() / 2); write_bytes(d + "/model.safetensors", b); },
       {"model.safetensors", "exceeds the data section"}},
      {"safetensors: unsupported dtype for a norm",
       [](const std::string& d) { edit_header(d + "/model.safetensors", [](auto& h) { h["model.norm.weight"]["dtype"] = "I16"; }); },
       {"model.safetensors", "model.norm.weight", "unsupported dtype I16"}},
      {"safetensors: packed weight as I8",
       [](const std::string& d) { edit_header(d + "/model.safetensors", [](auto& h) { h["model.layers.0.mlp.up_proj.weight"]["dtype"] = "I8"; }); },
       {"model.safetensors", "model.layers.0.mlp.up_proj.weight", "I8"}},
      {"safetensors: weight_scale missing",
       [](const std::string& d) { edit_header(d + "/model.safetensors", [](auto& h) { h.erase("model.layers.1.self_attn.v_proj.weight_scale"); }); },
       {"model.safetensors", "model.layers.1.self_attn.v_proj.weight_scale", "missing"}},
      {"safetensors: code 3 in a packed byte",
       [](const std::string& d) {
         size_t off = 0, base = 0;
         {  // unmapped before the rewrite: Windows refuses to truncate a file that is mapped
           const SafetensorsFile f = SafetensorsFile::open(d + "/model.safetensors");
           off = static_cast<size_t>(f.find("model.layers.1.mlp.down_proj.weight")->data.data() - f.find("model.embed_tokens.weight")->data.data());
           base = 8 + f.header_bytes();
         }
         auto b = read_bytes(d + "/model.safetensors");
         b[base + off + 5] = 0xff;
         write_bytes(d + "/model.safetensors", b);
       },
       {"model.safetensors", "model.layers.1.mlp.down_proj.weight", "code 3"}},
  };
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    const std::string model = dir.copy_model("tiny-a", "m");
    c.damage(model);
    const std::string out = dir.str("out.gguf");
    try {
      convert(model, out, WeightType::TernT2);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      for (const char* s : c.expect) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
    }
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out + ".tmp"));
  }
}

TEST(Convert, MissingFolder) {
  EXPECT_THROW(convert("/nonexistent/tern/model", "/tmp/never.gguf", WeightType::TernT2), Error);
  EXPECT_FALSE(fs::exists("/tmp/never.gguf"));
}

// A failing conversion must not touch an existing file at the output path.
TEST(Convert, FailureKeepsExistingOutput) {
  TempDir dir;
  const std::string model = dir.copy_model("tiny-a", "m");
  edit_header(model + "/model.safetensors", [](auto& h) { h["model.layers.1.mlp.gate_proj.weight"]["dtype"] = "I8"; });
  write_text(dir.str("out.gguf"), "previous");
  EXPECT_THROW(convert(model, dir.str("out.gguf"), WeightType::TernT2), Error);
  EXPECT_EQ(read_bytes(dir.str("out.gguf")).size(), 8u);
}

}  // namespace
}  // namespace tern::hf::test
