// The activations of one forward pass over up to `rows` token rows (any mix of sessions).
// A Session owns one for its prefill batches, a BatchDecoder one for its decode steps.
#pragma once

#include <cstdint>
#include <vector>

#include "model/bitlinear.h"
#include "model/model_data.h"

namespace tern::model {

struct ForwardScratch {
  // Sizes every buffer for `rows` token rows of a model of shape hp.
  ForwardScratch(const ModelHParams& hp, int64_t rows);

  int64_t rows;
  std::vector<float> x;     // residual stream [rows, n_embd]
  std::vector<float> xn;    // normed input of a sub-block [rows, max(n_embd, q_dim)]
  std::vector<float> q, k, v;
  std::vector<float> att;   // attention output [rows, q_dim]
  std::vector<float> proj;  // o_proj / down_proj output [rows, n_embd]
  std::vector<float> gate, up;  // [rows, n_ff]
  std::vector<int32_t> y;   // int32 matmul results [rows, q_dim + 2 kv_dim or 2 n_ff]
  OwnedBuffer q8;           // int8 activations [rows, kp_max]
  std::vector<float> act_scale;
  QuantizedInput qin;

  uint64_t bytes() const;
};

}  // namespace tern::model
