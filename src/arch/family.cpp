#include "arch/family.h"

namespace tern {

const char* ffn_activation_name(FfnActivation a) { return a == FfnActivation::ReLU2 ? "relu2" : "silu"; }

const char* rope_pairing_name(RopePairing p) {
  return p == RopePairing::Halves ? "halves (rotate_half)" : "adjacent pairs (Q/K rows permuted)";
}

namespace arch {

namespace {

using Quant = HfFamily::Quant;

// GGUF archs. A file without <arch>.rope.freq_base gets 10000, the peers' default too.
constexpr GgufArch kGgufArchs[] = {
    // bitnet.cpp's official 2B4T GGUF: ReLU², sub-norms, rotate-half RoPE.
    {"bitnet-b1.58", FfnActivation::ReLU2, true, RopePairing::Halves, 10000.0, "bitnet.cpp"},
    {"bitnet-25", FfnActivation::ReLU2, true, RopePairing::Halves, 10000.0, "bitnet.cpp (2B4T preview name)"},
    // llama.cpp's BitNet arch (1bitLLM layout): SiLU unless hidden_activation says, sub-norms,
    // NEOX RoPE on unpermuted rows.
    {"bitnet", FfnActivation::SiLU, true, RopePairing::Halves, 10000.0, "llama.cpp, ik_llama.cpp, bitnet.cpp"},
    // Plain Llama graph (HF1BitLLM, Falcon3/Falcon-E 1.58bit): no sub-norms, and the
    // converters permute Q/K rows for llama.cpp's NORM (adjacent-pair) RoPE.
    {"llama", FfnActivation::SiLU, false, RopePairing::Adjacent, 10000.0, "bitnet.cpp (I2_S), llama.cpp"},
};

// HF families. rope_theta / hidden_act defaults are those of each config class
// (BitNetConfig: 500000, relu2; LlamaConfig and 1bitLLM's copy of it: 10000, silu).
constexpr HfFamily kHfFamilies[] = {
    {"bitnet-b1.58-2b4t", "BitNetForCausalLM", "microsoft/bitnet-b1.58-2B-4T (packed), -bf16 (master weights)",
     Quant::OptionalBitnetConfig, FfnActivation::ReLU2, 500000.0, "self_attn.attn_sub_norm", "mlp.ffn_sub_norm",
     "bitnet-b1.58", "bitnet"},
    {"bitnet-1bitllm", "BitnetForCausalLM", "1bitLLM/bitnet_b1_58-large, -3B (latent full-precision weights)",
     Quant::LatentNoConfig, FfnActivation::SiLU, 10000.0, "self_attn.inner_attn_ln", "mlp.ffn_layernorm", "bitnet",
     "bitnet"},
    {"llama-bitnet", "LlamaForCausalLM",
     "HF1BitLLM/Llama3-8B-1.58-100B-tokens, tiiuae/Falcon3-*-1.58bit, tiiuae/Falcon-E-*, Llama-3.2-derived bitnet",
     Quant::BitnetConfig, FfnActivation::SiLU, 10000.0, nullptr, nullptr, "llama", "llama"},
};

template <typename T>
std::string join_names(std::span<const T> rows, const char* T::*field) {
  std::string out;
  for (const T& r : rows) out += (out.empty() ? "" : ", ") + std::string(r.*field);
  return out;
}

}  // namespace

const GgufArch* find_gguf_arch(std::string_view name) {
  for (const GgufArch& a : kGgufArchs) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

std::string gguf_arch_names() { return join_names(std::span<const GgufArch>(kGgufArchs), &GgufArch::name); }

std::span<const HfFamily> hf_families() { return kHfFamilies; }

const HfFamily* find_hf_family(std::string_view hf_architecture) {
  for (const HfFamily& f : kHfFamilies) {
    if (hf_architecture == f.hf_architecture) return &f;
  }
  return nullptr;
}

std::string hf_architecture_names() {
  return join_names(std::span<const HfFamily>(kHfFamilies), &HfFamily::hf_architecture);
}

const HfFamily* family_of_gguf_arch(std::string_view arch, FfnActivation activation) {
  if (arch == "bitnet-25") arch = "bitnet-b1.58";  // the 2B4T preview's name for the same graph
  const HfFamily* found = nullptr;
  for (const HfFamily& f : kHfFamilies) {
    if (arch != f.gguf_arch && arch != f.gguf_arch_tq) continue;
    if (found == nullptr || (f.activation == activation && found->activation != activation)) found = &f;
  }
  return found;
}

std::vector<LayerTensorSpec> layer_tensors(bool sub_norms, const HfFamily* hf) {
  const std::string attn_sub = hf && hf->attn_sub_norm ? hf->attn_sub_norm : "";
  const std::string ffn_sub = hf && hf->ffn_sub_norm ? hf->ffn_sub_norm : "";
  // The order tern's converter has always written (attention block, then the FFN's
  // linears, then its norms), so converted files stay byte-identical.
  std::vector<LayerTensorSpec> t = {
      {LayerTensor::AttnNorm, "attn_norm.weight", "input_layernorm", false, Dim::Embd, Dim::Embd},
      {LayerTensor::Q, "attn_q.weight", "self_attn.q_proj", true, Dim::QDim, Dim::Embd},
      {LayerTensor::K, "attn_k.weight", "self_attn.k_proj", true, Dim::KvDim, Dim::Embd},
      {LayerTensor::V, "attn_v.weight", "self_attn.v_proj", true, Dim::KvDim, Dim::Embd},
      {LayerTensor::O, "attn_output.weight", "self_attn.o_proj", true, Dim::Embd, Dim::QDim},
      // HF's attention sub-norm has size hidden_size; q_dim == hidden_size in every family
      // that has one (the converter checks).
      {LayerTensor::AttnSubNorm, "attn_sub_norm.weight", attn_sub, false, Dim::QDim, Dim::QDim},
      {LayerTensor::Gate, "ffn_gate.weight", "mlp.gate_proj", true, Dim::Ff, Dim::Embd},
      {LayerTensor::Up, "ffn_up.weight", "mlp.up_proj", true, Dim::Ff, Dim::Embd},
      {LayerTensor::Down, "ffn_down.weight", "mlp.down_proj", true, Dim::Embd, Dim::Ff},
      {LayerTensor::FfnNorm, "ffn_norm.weight", "post_attention_layernorm", false, Dim::Embd, Dim::Embd},
      {LayerTensor::FfnSubNorm, "ffn_sub_norm.weight", ffn_sub, false, Dim::Ff, Dim::Ff},
  };
  if (!sub_norms) {
    std::erase_if(t, [](const LayerTensorSpec& s) {
      return s.role == LayerTensor::AttnSubNorm || s.role == LayerTensor::FfnSubNorm;
    });
  }
  return t;
}

}  // namespace arch
}  // namespace tern
