// The ternary model families tern runs, as data: everything that differs between BitNet
// b1.58 2B4T, 1bitLLM's bitnet_b1_58, HF1BitLLM's Llama3-8B-1.58 and tiiuae's Falcon3 /
// Falcon-E 1.58bit checkpoints is a field of one of the two tables in family.cpp, which the
// converter (src/hf), the loader (src/model), `tern synth` and `tern info` all read.
// Adding a family is adding a row (../shared/golden/FAMILIES.md has the format facts).
//
//   HfFamily   one Hugging Face layout: config.json architectures[0], the sub-norm tensor
//              names, the defaults of keys a config may omit, the GGUF arch tern writes.
//   GgufArch   one GGUF architecture string: the graph a file of that arch describes
//              (sub-norms or not, default activation, RoPE pairing of the Q/K rows).
//   LayerTensorSpec   one tensor of a decoder layer: its role, GGUF and HF names, shape.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tern/model.h"

namespace tern::arch {

struct GgufArch {
  const char* name;                 // general.architecture
  FfnActivation activation;         // when <arch>.hidden_activation is absent
  bool sub_norms;                   // attn_sub_norm + ffn_sub_norm in every layer
  RopePairing rope;                 // how the file orders the Q/K rows of each head
  double rope_theta;                // when <arch>.rope.freq_base is absent
  const char* readers;              // which peers run files of this arch (for tern info)
};

// nullptr if tern does not know `name`.
const GgufArch* find_gguf_arch(std::string_view name);
std::string gguf_arch_names();  // "bitnet-b1.58, bitnet-25, bitnet, llama"

struct HfFamily {
  const char* id;                   // tern's name for the family (tern info, convert)
  const char* hf_architecture;      // config.json architectures[0]
  const char* repos;                // the real checkpoints, for messages and the README
  // LlamaForCausalLM is only ternary when quantization_config.quant_method is "bitnet";
  // 1bitLLM's BitnetForCausalLM has no quantization_config at all (latent weights).
  enum class Quant { BitnetConfig, OptionalBitnetConfig, LatentNoConfig } quant;
  FfnActivation activation;         // hidden_act when config.json has none
  double rope_theta;                // rope_theta when config.json has none (the HF config class default)
  const char* attn_sub_norm;        // HF name under model.layers.N., nullptr: the family has none
  const char* ffn_sub_norm;
  const char* gguf_arch;            // arch tern writes (tern_t2, tern_t1, i2_s files)
  const char* gguf_arch_tq;         // arch for TQ1_0/TQ2_0 files (llama.cpp has no bitnet-b1.58)
};

std::span<const HfFamily> hf_families();
const HfFamily* find_hf_family(std::string_view hf_architecture);  // nullptr if unknown
std::string hf_architecture_names();  // for "unsupported architecture" messages

// The family a GGUF file of arch `arch` holds, or nullptr. "bitnet" is written for two
// families (1bitLLM, and 2B4T in TQ types), told apart by the FFN activation.
const HfFamily* family_of_gguf_arch(std::string_view arch, FfnActivation activation);

// ---- the tensors of a decoder layer ----------------------------------------------------

enum class LayerTensor { AttnNorm, Q, K, V, AttnSubNorm, O, FfnNorm, Gate, Up, FfnSubNorm, Down };
enum class Dim { Embd, QDim, KvDim, Ff };

struct LayerDims {
  int64_t embd = 0, q = 0, kv = 0, ff = 0;
  int64_t operator()(Dim d) const { return d == Dim::Embd ? embd : d == Dim::QDim ? q : d == Dim::KvDim ? kv : ff; }
};

struct LayerTensorSpec {
  LayerTensor role;
  const char* gguf;   // under blk.N.: "attn_q.weight"
  std::string hf;     // under model.layers.N., without ".weight": "self_attn.q_proj"
  bool ternary;       // a BitLinear [out, in]; else an RMSNorm weight [out]
  Dim out, in;
};

// A layer's tensors in the order GGUF files list them. Sub-norms are included iff
// `sub_norms`; their HF names come from `hf` (empty when hf is null).
std::vector<LayerTensorSpec> layer_tensors(bool sub_norms, const HfFamily* hf = nullptr);

}  // namespace tern::arch
