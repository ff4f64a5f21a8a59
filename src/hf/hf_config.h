// config.json and generation_config.json of a Hugging Face ternary checkpoint of any family
// tern knows (src/arch/family.cpp: BitNetForCausalLM, 1bitLLM's BitnetForCausalLM,
// LlamaForCausalLM + quant_method bitnet). Every field the forward pass needs is read and
// checked here, with the family's defaults for keys a config omits; a missing, wrong-typed
// or unsupported field is a tern::Error naming the file and the JSON path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "arch/family.h"
#include "tern/model.h"

namespace tern::hf {

// How the checkpoint stores its BitLinear weights.
enum class WeightLayout {
  Packed,  // uint8, four trits per byte by row blocks, plus a bf16 weight_scale that DIVIDES
  Master,  // bf16/f16/f32 master (2B4T-bf16) or latent (1bitLLM) weights, ternarized by absmean at conversion
};

struct QuantizationConfig {
  std::string quant_method;       // "bitnet"
  std::string linear_class;       // "bitlinear" | "autobitlinear"
  std::string quantization_mode;  // "offline" | "online"
  std::vector<std::string> modules_to_not_convert;  // only modules outside the decoder layers
};

struct ModelConfig {
  const arch::HfFamily* family = nullptr;  // from architectures[0]
  std::string architecture;  // "BitNetForCausalLM", "BitnetForCausalLM", "LlamaForCausalLM"
  std::string model_type;    // "bitnet", "llama"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;   // defaults to num_attention_heads
  int64_t head_dim = 0;              // defaults to hidden_size / num_attention_heads
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 0;
  double rope_theta = 10000.0;       // the family's default when absent
  std::optional<Llama3RopeScaling> rope_scaling;  // rope_scaling {"rope_type": "llama3"}
  std::string hidden_act;            // "relu2" (2B4T) or "silu"; the family's default when absent
  bool tie_word_embeddings = false;  // the default of BitNetConfig and LlamaConfig
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;  // the first one if config.json lists several
  std::optional<int64_t> pad_token_id;  // 1bitLLM: 32000
  std::optional<QuantizationConfig> quantization;
  std::string torch_dtype;

  // The weight layout the config declares (nullopt: read it from the tensors' dtype).
  std::optional<WeightLayout> declared_layout() const;
  FfnActivation activation() const { return hidden_act == "relu2" ? FfnActivation::ReLU2 : FfnActivation::SiLU; }
};

// Parses config.json text; `file` names it in errors.
ModelConfig parse_model_config(std::string_view text, const std::string& file);
ModelConfig load_model_config(const std::string& dir);

struct GenerationConfig {
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_ids;
};
GenerationConfig parse_generation_config(std::string_view text, const std::string& file);
// Optional file: returns an empty config when generation_config.json is absent.
GenerationConfig load_generation_config(const std::string& dir);

}  // namespace tern::hf
