#include "model/forward_scratch.h"

#include <algorithm>

namespace tern::model {

ForwardScratch::ForwardScratch(const ModelHParams& hp, int64_t rows_) : rows(rows_) {
  const int64_t q_dim = hp.n_head * hp.head_dim, kv_dim = hp.n_head_kv * hp.head_dim;
  const auto sized = [&](int64_t width) { return static_cast<size_t>(rows * width); };
  x.resize(sized(hp.n_embd));
  xn.resize(sized(std::max(hp.n_embd, q_dim)));
  q.resize(sized(q_dim));
  k.resize(sized(kv_dim));
  v.resize(sized(kv_dim));
  att.resize(sized(q_dim));
  proj.resize(sized(hp.n_embd));
  gate.resize(sized(hp.n_ff));
  up.resize(sized(hp.n_ff));
  y.resize(sized(std::max({q_dim + 2 * kv_dim, 2 * hp.n_ff, hp.n_embd})));
  const int64_t kp_max = kernels::t2_padded_k(std::max({hp.n_embd, q_dim, hp.n_ff}));
  q8 = allocate_buffer(static_cast<uint64_t>(rows * kp_max));
  act_scale.resize(static_cast<size_t>(rows));
  qin.q = reinterpret_cast<int8_t*>(q8.data.get());
  qin.scale = act_scale.data();
  // Let the kernel size its per-token buffers once, at the largest input.
  qin.acts.sums.reserve(static_cast<size_t>(rows));
}

uint64_t ForwardScratch::bytes() const {
  const size_t floats = x.size() + xn.size() + q.size() + k.size() + v.size() + att.size() + proj.size() +
                        gate.size() + up.size() + y.size() + act_scale.size();
  return floats * 4 + q8.size;
}

}  // namespace tern::model
