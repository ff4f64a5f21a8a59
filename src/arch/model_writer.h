// The one GGUF model writer: `tern convert` and `tern synth` describe their model with a
// ModelDescription and get from here the metadata keys and the tensor list (names, types,
// dims, sizes), so their files cannot drift apart. Each then streams its own tensor data
// in plan order (the tokenizer keys are the caller's: convert writes the checkpoint's,
// synth a placeholder).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "arch/family.h"
#include "gguf/gguf_types.h"
#include "gguf/gguf_writer.h"

namespace tern::arch {

struct ModelDescription {
  const GgufArch* arch = nullptr;
  std::string name;                 // general.name
  std::string converted_from;       // tern.converted_from (provenance)
  int64_t vocab = 0, context = 0, embd = 0, layers = 0, ff = 0, heads = 0, heads_kv = 0, head_dim = 0;
  double rms_eps = 1e-5;
  double rope_theta = 10000.0;
  std::optional<Llama3RopeScaling> rope_llama3;
  FfnActivation activation = FfnActivation::ReLU2;
  bool tied_head = true;            // no output.weight: the lm_head is token_embd
  gguf::TensorType ternary_type = gguf::TensorType::TERN_T2;
  gguf::TensorType embd_type = gguf::TensorType::F16;  // token_embd and output.weight

  LayerDims layer_dims() const { return {embd, heads * head_dim, heads_kv * head_dim, ff}; }
};

struct PlannedTensor {
  enum class Kind { Embedding, Head, Norm, Ternary, RopeDivisors } kind;
  std::string name;                 // GGUF tensor name
  int layer = -1;                   // decoder layer, -1 for the others
  LayerTensorSpec spec{};           // layer tensors: role, HF name, shape
  int64_t rows = 0, cols = 0;       // HF [rows, cols] (vectors: rows = 1)
  gguf::TensorType type = gguf::TensorType::F32;
  std::vector<uint64_t> dims;       // ggml order ([cols, rows])
  uint64_t nbytes = 0;
};

// Every tensor of the model in file order: token_embd, output_norm, output (untied),
// rope_freqs (llama3 scaling, for the peers), then each layer's (arch::layer_tensors).
std::vector<PlannedTensor> plan_model_tensors(const ModelDescription& d);

// general.* and <arch>.* keys, and tern.* provenance. general.file_type is set from the
// ternary type for the peers' types (I2_S, TQ1_0, TQ2_0).
void write_model_metadata(gguf::Writer& w, const ModelDescription& d);

// add_tensor for every planned tensor.
void declare_model_tensors(gguf::Writer& w, const std::vector<PlannedTensor>& plan);

}  // namespace tern::arch
