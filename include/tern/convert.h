// tern convert: a Hugging Face ternary checkpoint folder of any family tern runs
// (BitNetForCausalLM: packed uint8 weights + weight_scale, or bf16 master weights; 1bitLLM's
// BitnetForCausalLM: latent full-precision weights; LlamaForCausalLM + quant_method bitnet:
// packed) to one GGUF file, streaming one tensor at a time into "<output>.tmp", renamed
// into place only when complete.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tern {

// How the BitLinear (ternary) weights are stored.
enum class WeightType {
  TernT2,  // tern's own 2-bit layout (default; arch "bitnet-b1.58"; scale divides)
  TernT1,  // tern's own 1.6-bit base-3 layout (arch "bitnet-b1.58"; scale divides; any row length)
  I2_S,    // bitnet.cpp (arch "bitnet-b1.58"), rows must be a multiple of 128
  TQ2_0,   // llama.cpp (arch "bitnet"), rows must be a multiple of 256
  TQ1_0,   // llama.cpp (arch "bitnet"), rows must be a multiple of 256
};
// How the token embedding (= tied lm_head) is stored.
enum class EmbdType { F16, F32, Q8_0, Q6_K, Q4_0 };

// Parse/print the CLI spellings ("tern_t2", "tern_t1", "i2_s", "tq2_0", "tq1_0"; "f16", "f32",
// "q8_0", "q6_k", "q4_0"). parse_* throws tern::Error listing the valid names.
WeightType parse_weight_type(const std::string& name);
EmbdType parse_embd_type(const std::string& name);
const char* weight_type_name(WeightType t);
const char* embd_type_name(EmbdType t);

struct ConvertProgress {
  size_t tensor_index = 0;  // 0-based index of the tensor being written
  size_t tensor_count = 0;
  std::string tensor_name;  // GGUF name
  uint64_t bytes_done = 0;  // output tensor bytes written so far (all tensors)
  uint64_t bytes_total = 0;
};

struct ConvertOptions {
  std::string input_dir;
  std::string output_path;
  WeightType weight_type = WeightType::TernT2;
  EmbdType embd_type = EmbdType::F16;
  bool dry_run = false;  // validate everything that can be checked without decoding; write nothing
  std::function<void(const ConvertProgress&)> progress;  // called as tensors are written
};

struct ConvertedTensor {
  std::string name;         // GGUF name
  std::string source;       // HF tensor name(s)
  std::string type;         // GGUF type name
  std::vector<uint64_t> dims;  // ggml order
  uint64_t bytes = 0;
};

struct ConvertReport {
  std::string arch;         // GGUF arch: "bitnet-b1.58", "bitnet" or "llama"
  std::string family;       // tern's family name (src/arch/family.cpp)
  std::string layout;       // "packed" or "master (absmean ternarized)"
  std::string summary;      // one line of hyper-parameters
  std::vector<ConvertedTensor> tensors;
  std::vector<std::string> notes;  // e.g. values F16 cannot hold exactly
  uint64_t tensor_bytes = 0;
  uint64_t file_bytes = 0;  // 0 for a dry run
  double seconds = 0;
};

// Converts (or, with dry_run, validates and plans). Throws tern::Error naming the file and
// the field on bad input; no output file (and no temporary) is left behind on failure.
ConvertReport convert_hf_to_gguf(const ConvertOptions& options);

}  // namespace tern
