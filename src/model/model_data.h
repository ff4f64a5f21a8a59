// The loaded model as the forward pass sees it: hyper-parameters, and every weight as a
// view (into the mapped GGUF file, or into a buffer the loader filled once). Like
// llama2.c's Config + TransformerWeights: plain structs, no behaviour.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "arch/family.h"
#include "gguf/gguf_file.h"
#include "kernels/backend.h"
#include "kernels/ternary.h"
#include "platform/mapped_file.h"
#include "tern/model.h"
#include "tern/tokenizer.h"

namespace tern::model {

// A BitLinear weight: ternary codes in the TERN_T2 or TERN_T1 layout (w.format) and the
// per-tensor scale.
//   out = (float)y / (s * weight_scale) * post_scale        (y = int8 activations . codes)
// weight_scale DIVIDES, as the Hugging Face checkpoint's weight_scale does. Foreign types
// whose scale multiplies (I2_S, TQ*, IQ2_BN) are converted at load: weight_scale = 1 / scale.
struct BitLinear {
  kernels::TernaryMatrix w;   // rows = out_features, k = in_features
  float weight_scale = 1.0f;
  float post_scale = 1.0f;    // "bitnet" files' optional blk.N.<name>.scale (F32 [1]; ik_llama.cpp writes them)
  bool has_post_scale = false;
};

// A full-precision (or block-quantized) matrix, rows x cols, row-major as GGUF stores it:
// the token embedding table and the lm_head.
struct DenseMatrix {
  gguf::TensorType type = gguf::TensorType::F32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t row_bytes = 0;
};

struct LayerWeights {
  std::vector<float> attn_norm;      // [n_embd]   input RMSNorm
  BitLinear wq, wk, wv;              // [n_head*hd, n_embd], [n_kv*hd, n_embd] x2
  std::vector<float> attn_sub_norm;  // [n_head*hd] sub-norm before o_proj (empty: none)
  BitLinear wo;                      // [n_embd, n_head*hd]
  std::vector<float> ffn_norm;       // [n_embd]   post-attention RMSNorm
  BitLinear w_gate, w_up;            // [n_ff, n_embd]
  std::vector<float> ffn_sub_norm;   // [n_ff]     sub-norm before down_proj (empty: none)
  BitLinear w_down;                  // [n_embd, n_ff]

  // The field of each tensor role of arch::layer_tensors (the loader fills them by role).
  BitLinear& linear(arch::LayerTensor role);
  std::vector<float>& norm(arch::LayerTensor role);
};

struct ModelWeights {
  DenseMatrix token_embd;            // [n_vocab, n_embd]
  DenseMatrix lm_head;               // token_embd when tied, else output.weight
  std::vector<float> output_norm;    // [n_embd]
  std::vector<LayerWeights> layers;
};

// Memory the loader owns (repacked ternary matrices), 64-byte aligned.
struct OwnedBuffer {
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data;
  uint64_t size = 0;
};
OwnedBuffer allocate_buffer(uint64_t bytes);

struct ModelData {
  std::string path;
  gguf::File file;  // keeps the mapping alive for every view below
  ModelHParams hp;
  ModelWeights w;
  kernels::Backend backend;  // what runs each kind of work (kernels/backend.h), chosen at load
  LoadReport report;
  std::vector<OwnedBuffer> owned;
  MappedFile repack_cache;  // the repack cache file the repacked weights are views into, on a hit
  uint64_t bytes_per_token = 0;
  std::vector<float> rope_inv_freq;  // [head_dim / 2], what the sessions' RoPE tables use
  std::unique_ptr<tok::Tokenizer> tokenizer;  // null when the file has no vocabulary
};

// Reads and validates the hyper-parameters of `file` (throws tern::Error naming the key).
ModelHParams read_hparams(const gguf::File& file, const ModelOptions& options);

// Binds every tensor of `data.file` into data.w (repacking foreign ternary types on
// options.load_threads threads, or mapping them from the repack cache: src/model/repack_cache.h),
// checking names, types and shapes against data.hp.
void bind_weights(ModelData& data, const ModelOptions& options);

}  // namespace tern::model
