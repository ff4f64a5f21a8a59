// The family tables (src/arch/family.cpp), the model writer's tensor plan and the RoPE
// frequencies: the facts of ../shared/golden/FAMILIES.md, checked one by one.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <set>

#include "arch/family.h"
#include "arch/model_writer.h"
#include "arch/rope.h"
#include "gguf/gguf_types.h"

namespace tern::arch {
namespace {

TEST(ArchFamilies, EveryFamilyWritesAnArchTheLoaderKnows) {
  for (const HfFamily& f : hf_families()) {
    SCOPED_TRACE(f.id);
    const GgufArch* a = find_gguf_arch(f.gguf_arch);
    const GgufArch* tq = find_gguf_arch(f.gguf_arch_tq);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(tq, nullptr);
    // The GGUF arch's graph has sub-norms exactly when the HF family does, in both files.
    EXPECT_EQ(a->sub_norms, f.attn_sub_norm != nullptr);
    EXPECT_EQ(tq->sub_norms, f.attn_sub_norm != nullptr);
    EXPECT_EQ((f.attn_sub_norm == nullptr), (f.ffn_sub_norm == nullptr));
    EXPECT_EQ(find_hf_family(f.hf_architecture), &f);
  }
  EXPECT_EQ(find_hf_family("MistralForCausalLM"), nullptr);
  EXPECT_EQ(find_gguf_arch("gpt2"), nullptr);
}

TEST(ArchFamilies, FactsOfEachFamily) {
  const HfFamily* b = find_hf_family("BitNetForCausalLM");
  const HfFamily* one = find_hf_family("BitnetForCausalLM");  // 1bitLLM: lower-case n
  const HfFamily* l = find_hf_family("LlamaForCausalLM");
  ASSERT_TRUE(b && one && l);
  EXPECT_EQ(b->activation, FfnActivation::ReLU2);
  EXPECT_EQ(b->rope_theta, 500000.0);
  EXPECT_STREQ(b->gguf_arch, "bitnet-b1.58");
  EXPECT_STREQ(b->gguf_arch_tq, "bitnet");
  EXPECT_EQ(one->activation, FfnActivation::SiLU);
  EXPECT_EQ(one->rope_theta, 10000.0);
  EXPECT_STREQ(one->attn_sub_norm, "self_attn.inner_attn_ln");
  EXPECT_STREQ(one->ffn_sub_norm, "mlp.ffn_layernorm");
  EXPECT_EQ(one->quant, HfFamily::Quant::LatentNoConfig);
  EXPECT_STREQ(one->gguf_arch, "bitnet");
  EXPECT_EQ(l->activation, FfnActivation::SiLU);
  EXPECT_EQ(l->attn_sub_norm, nullptr);
  EXPECT_EQ(l->quant, HfFamily::Quant::BitnetConfig);
  EXPECT_STREQ(l->gguf_arch, "llama");
  EXPECT_EQ(find_gguf_arch("llama")->rope, RopePairing::Adjacent);
  EXPECT_EQ(find_gguf_arch("bitnet")->rope, RopePairing::Halves);
  EXPECT_EQ(find_gguf_arch("bitnet-b1.58")->activation, FfnActivation::ReLU2);
  EXPECT_EQ(find_gguf_arch("bitnet")->activation, FfnActivation::SiLU);
  // "bitnet" files hold 1bitLLM models (SiLU) or 2B4T in llama.cpp's TQ types (ReLU²).
  EXPECT_EQ(family_of_gguf_arch("bitnet", FfnActivation::SiLU), one);
  EXPECT_EQ(family_of_gguf_arch("bitnet", FfnActivation::ReLU2), b);
  EXPECT_EQ(family_of_gguf_arch("bitnet-25", FfnActivation::ReLU2), b);
  EXPECT_EQ(family_of_gguf_arch("llama", FfnActivation::SiLU), l);
  EXPECT_EQ(family_of_gguf_arch("gpt2", FfnActivation::SiLU), nullptr);
}

TEST(ArchFamilies, LayerTensorListWithAndWithoutSubNorms) {
  const auto with = layer_tensors(true, find_hf_family("BitnetForCausalLM"));
  const auto without = layer_tensors(false);
  EXPECT_EQ(with.size(), 11u);
  EXPECT_EQ(without.size(), 9u);
  std::set<std::string> names;
  int ternary = 0;
  for (const LayerTensorSpec& s : with) {
    names.insert(s.gguf);
    ternary += s.ternary;
    if (s.role == LayerTensor::AttnSubNorm) { EXPECT_EQ(s.hf, "self_attn.inner_attn_ln"); }
    if (s.role == LayerTensor::FfnSubNorm) { EXPECT_EQ(s.hf, "mlp.ffn_layernorm"); }
  }
  EXPECT_EQ(names.size(), with.size());
  EXPECT_EQ(ternary, 7);
  for (const LayerTensorSpec& s : without) {
    EXPECT_NE(s.role, LayerTensor::AttnSubNorm);
    EXPECT_NE(s.role, LayerTensor::FfnSubNorm);
  }
}

ModelDescription falcon_like() {
  ModelDescription d;
  d.arch = find_gguf_arch("llama");
  d.vocab = 512;
  d.context = 64;
  d.embd = 256;
  d.layers = 2;
  d.ff = 512;
  d.heads = 2;
  d.heads_kv = 1;
  d.head_dim = 64;
  d.tied_head = false;
  return d;
}

TEST(ArchModelWriter, PlanFollowsTheDescription) {
  ModelDescription d = falcon_like();
  auto plan = plan_model_tensors(d);
  ASSERT_EQ(plan.size(), 3u + 2u * 9u);  // token_embd, output_norm, output, 2 x 9
  EXPECT_EQ(plan[0].name, "token_embd.weight");
  EXPECT_EQ(plan[2].name, "output.weight");
  EXPECT_EQ(plan[2].kind, PlannedTensor::Kind::Head);
  for (const PlannedTensor& t : plan) {
    EXPECT_EQ(t.nbytes, gguf::tensor_nbytes(t.type, t.dims, t.name)) << t.name;
    if (t.layer >= 0 && t.spec.role == LayerTensor::Q) { EXPECT_EQ(t.dims, (std::vector<uint64_t>{256, 128})); }
    if (t.layer >= 0 && t.spec.role == LayerTensor::O) { EXPECT_EQ(t.dims, (std::vector<uint64_t>{128, 256})); }
    if (t.layer >= 0 && t.spec.role == LayerTensor::K) { EXPECT_EQ(t.dims, (std::vector<uint64_t>{256, 64})); }
  }
  d.tied_head = true;
  d.rope_llama3 = Llama3RopeScaling{32, 1, 4, 8192};
  plan = plan_model_tensors(d);
  ASSERT_EQ(plan.size(), 3u + 2u * 9u);
  EXPECT_EQ(plan[2].name, "rope_freqs.weight");
  EXPECT_EQ(plan[2].dims, (std::vector<uint64_t>{32}));
  d.arch = find_gguf_arch("bitnet");
  d.rope_llama3.reset();
  EXPECT_EQ(plan_model_tensors(d).size(), 2u + 2u * 11u);
}

// HF _compute_llama3_parameters in float64 (the float32 implementation may differ by an ulp
// or two where it divides and recombines).
double hf_llama3_f64(double inv, const Llama3RopeScaling& s) {
  const double wl = 2 * std::numbers::pi / inv, old = static_cast<double>(s.original_context);
  const double lo = old / s.low_freq_factor, hi = old / s.high_freq_factor;
  if (wl < hi) return inv;
  if (wl > lo) return inv / s.factor;
  const double sm = (old / wl - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  return (1 - sm) * inv / s.factor + sm * inv;
}

TEST(ArchRope, Llama3ScalingMatchesHfFormula) {
  const Llama3RopeScaling s{32, 1, 4, 8192};  // Llama 3.2's values
  for (int64_t d : {64, 128}) {
    const auto plain = rope_inv_freq(d, 500000.0, std::nullopt);
    const auto scaled = rope_inv_freq(d, 500000.0, s);
    const auto div = llama3_rope_divisors(d, 500000.0, s);
    int high = 0, low = 0, medium = 0;
    for (size_t j = 0; j < plain.size(); ++j) {
      const double want = hf_llama3_f64(plain[j], s);
      EXPECT_NEAR(scaled[j], want, 4e-7 * want) << "d " << d << " j " << j;
      const double wl = 2 * std::numbers::pi / plain[j];
      if (wl < 2048) {
        ++high;
        EXPECT_EQ(scaled[j], plain[j]);  // high frequencies untouched, bit for bit
        EXPECT_EQ(div[j], 1.0f);
      } else if (wl > 8192) {
        ++low;
        EXPECT_EQ(scaled[j], plain[j] / 32.0f);  // exact: a power of two
        EXPECT_EQ(div[j], 32.0f);
      } else {
        ++medium;
      }
      // llama.cpp's divisor form gives the same frequency to float rounding.
      EXPECT_NEAR(plain[j] / div[j], scaled[j], 4e-7 * scaled[j]);
    }
    EXPECT_GT(high, 0);
    EXPECT_GT(low, 0);
    EXPECT_GT(medium + low, 0);
  }
  EXPECT_NE(llama3_rope_problem({32, 4, 1, 8192}), "");  // high <= low
  EXPECT_NE(llama3_rope_problem({0.5, 1, 4, 8192}), "");
  EXPECT_EQ(llama3_rope_problem(s), "");
}

}  // namespace
}  // namespace tern::arch
