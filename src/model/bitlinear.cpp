#include "model/bitlinear.h"

#include <algorithm>
#include <array>

namespace tern::model {

void quantize_input(const kernels::Backend& backend, const float* x, int64_t ldx, int64_t n_tokens, int64_t k,
                    QuantizedInput& in) {
  const int64_t kp = kernels::t2_padded_k(k);
  for (int64_t t = 0; t < n_tokens; ++t) {
    in.scale[t] = backend.quantize->row(x + t * ldx, k, kp, in.q + t * kp);
  }
  in.acts.n_tokens = n_tokens;
  in.acts.kp = kp;
  in.acts.q = in.q;
  backend.ternary->prepare(in.acts);
}

void bitlinear_batch(const kernels::Kernel& kernel, ThreadPool& pool, const QuantizedInput& in,
                     std::initializer_list<BitLinearJob> jobs, int32_t* y) {
  constexpr size_t kMaxJobs = 4;
  std::array<BitLinearJob, kMaxJobs> job{};
  std::array<int64_t, kMaxJobs + 1> offset{};  // first row of each job in the concatenation
  size_t n_jobs = 0;
  for (const BitLinearJob& j : jobs) {
    job[n_jobs] = j;
    offset[n_jobs + 1] = offset[n_jobs] + j.weight->w.rows;
    ++n_jobs;
  }
  const int64_t total = offset[n_jobs];
  const int64_t n_tokens = in.acts.n_tokens;
  // y for job j lives at y + n_tokens * offset[j], with leading dimension rows_j.
  const int64_t align = std::max(16, kernel.row_tile);
  pool.parallel_rows(total, align, [&](int64_t begin, int64_t end) {
    for (size_t j = 0; j < n_jobs; ++j) {
      const int64_t b = std::max(begin, offset[j]) - offset[j];
      const int64_t e = std::min(end, offset[j + 1]) - offset[j];
      if (b >= e) continue;
      const BitLinear& w = *job[j].weight;
      const int64_t rows = w.w.rows;
      int32_t* yj = y + n_tokens * offset[j];
      kernels::matmul_rows(kernel, w.w, in.acts, yj, rows, b, e);  // T2 or T1 code
      for (int64_t t = 0; t < n_tokens; ++t) {
        const float denom = in.scale[t] * w.weight_scale;  // s * weight_scale, one rounding
        const int32_t* yt = yj + t * rows;
        float* out = job[j].out + t * rows;
        if (w.has_post_scale) {
          for (int64_t r = b; r < e; ++r) out[r] = static_cast<float>(yt[r]) / denom * w.post_scale;
        } else {
          for (int64_t r = b; r < e; ++r) out[r] = static_cast<float>(yt[r]) / denom;
        }
      }
    }
  });
}

}  // namespace tern::model
