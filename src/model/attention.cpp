// Causal GQA attention over a session's KV cache (see attention.h).
#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/attention.h"

namespace tern::model {

namespace {

// Query tokens per tile: enough rows (tokens x heads) to reuse each converted K/V block many
// times, few enough that the tile's scores (rows x keys floats) stay near kScoresBudget.
constexpr int64_t kMaxTileTokens = 16;
constexpr int64_t kScoresBudget = int64_t{1} << 18;  // floats (1 MiB) per thread

// Per-thread scratch; grows only when a session with a longer context (or wider model)
// first runs on the thread, so decode and later prefills allocate nothing.
float* tile_scratch(size_t floats) {
  thread_local std::vector<float> buf;
  if (buf.size() < floats) buf.resize(floats);
  return buf.data();
}

}  // namespace

// Tasks are (KV head, token tile, slice of that KV head's query heads), largest tiles
// first so the causal imbalance evens out across threads. Decode (one token) splits the
// query heads so every thread gets work. Every row is computed the same way whatever the
// split (kernels/attention.h), so thread count, batch size and decode vs prefill do not
// change a bit of the result.
void attention(const kernels::AttentionKernels& kern, const ModelHParams& hp, const KvCache& kv, int64_t layer,
               int64_t p0, int64_t n, const float* q, float* out, ThreadPool& pool) {
  if (n <= 0) return;
  const int64_t hd = hp.head_dim, n_kv = hp.n_head_kv;
  const int64_t group = hp.n_head / n_kv;
  const int64_t n_keys = p0 + n;
  const int64_t q_dim = hp.n_head * hd;
  const int64_t threads = pool.size();
  const int64_t tile = std::clamp<int64_t>(kScoresBudget / (group * n_keys), 1, kMaxTileTokens);
  const int64_t n_tiles = (n + tile - 1) / tile;
  int64_t slices = 1;  // query-head slices per (KV head, tile)
  while (slices < group && n_kv * n_tiles * slices < 4 * threads) ++slices;
  const int64_t per_tile = n_kv * slices;
  // A tile's scores never exceed max(budget, group * n_ctx) floats (tile == 1 when one
  // token's rows alone pass the budget), so each thread's scratch is sized once per session.
  const size_t scratch_floats =
      kernels::attention_scratch_floats(1, std::max(kScoresBudget, group * kv.n_ctx), hd);
  const bool f16 = kv.type == KvType::F16;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const uint8_t* k_base = kv.k_at(layer, 0);
  const uint8_t* v_base = kv.v_at(layer, 0);

  pool.parallel_for(n_tiles * per_tile, [&](int64_t task) {
    const int64_t ti = n_tiles - 1 - task / per_tile;  // last (longest) tiles first
    const int64_t kvh = (task % per_tile) / slices, slice = task % slices;
    const RowRange heads = split_rows(group, slices, slice, 1);
    if (heads.size() == 0) return;
    const int64_t t0 = ti * tile;
    const int64_t h0 = kvh * group + heads.begin;
    kernels::AttentionTile t;
    t.q = q + t0 * q_dim + h0 * hd;
    t.ld_q_token = q_dim;
    t.n_tokens = std::min(tile, n - t0);
    t.pos0 = p0 + t0;
    t.n_heads = heads.size();
    const uint64_t kv_off = static_cast<uint64_t>(kvh * hd) * kv.elem_bytes;
    t.k = k_base + kv_off;
    t.v = v_base + kv_off;
    t.ld_kv = kv.kv_dim;
    t.f16 = f16;
    t.head_dim = hd;
    t.scale = scale;
    t.out = out + t0 * q_dim + h0 * hd;
    t.ld_out_token = q_dim;
    kernels::attend_tile(kern, t, tile_scratch(scratch_floats));
  });
}

}  // namespace tern::model
