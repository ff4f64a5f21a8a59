// config.json and generation_config.json of a Hugging Face BitNetForCausalLM checkpoint.
// Every field the forward pass needs is read and checked here; a missing or wrong-typed
// field is a tern::Error naming the file and the JSON path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tern::hf {

// How the checkpoint stores its BitLinear weights.
enum class WeightLayout {
  Packed,  // uint8, four trits per byte by row blocks, plus a bf16 weight_scale that DIVIDES
  Master,  // bf16/f16/f32 master weights, ternarized by absmean at conversion
};

struct QuantizationConfig {
  std::string quant_method;       // "bitnet"
  std::string linear_class;       // "bitlinear" | "autobitlinear"
  std::string quantization_mode;  // "offline" | "online"
};

struct ModelConfig {
  std::string architecture;  // "BitNetForCausalLM"
  std::string model_type;    // "bitnet"
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;   // defaults to num_attention_heads
  int64_t head_dim = 0;              // defaults to hidden_size / num_attention_heads
  int64_t max_position_embeddings = 0;
  double rms_norm_eps = 0;
  double rope_theta = 10000.0;
  std::string hidden_act;            // "relu2" (2B4T) or "silu"
  bool tie_word_embeddings = false;  // HF's PretrainedConfig default
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> eos_token_id;  // the first one if config.json lists several
  std::optional<QuantizationConfig> quantization;
  std::string torch_dtype;

  // The weight layout the quantization_config declares (nullopt if it has none).
  std::optional<WeightLayout> declared_layout() const;
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
