// AMX-INT8 kernel (TERN_T2 and TERN_T1 prefill) for CPUs with Intel AMX: Xeon since
// Sapphire Rapids, i.e. the servers a provider runs. One `tdpbusd` multiplies a 16 x 64 tile
// of unsigned bytes by a 64 x 16 tile of signed bytes into 16 x 16 int32 sums: 16384
// products per instruction, where a zmm vpdpbusd does 64. The codes c = t+1 in {0,1,2} are
// the unsigned side, the int8 activations the signed side, and the token's sum of q is
// subtracted at the end, sum(q*t) = sum(q*c) - sum(q), as every MAD kernel does.
//
// Layout. A tiles (weights): 16 rows of an unpacked 32-row block (avx2-mad's unpack step,
// one byte per code), 64 elements of each, loaded straight from the block with the row
// stride kp. B tiles (activations): the tile's row j holds elements 4j..4j+3 of 16 tokens
// (AMX's "VNNI" layout), so a token tile is re-laid out once per call (pack_acts). C tiles:
// C[m][n] = row m's sum for token n. The micro-kernel is 32 rows x 32 tokens: 4 C tiles,
// 2 A, 2 B, all 8 tile registers; each A tile is used twice and each B tile twice.
//
// Exactness: int32 sums of at most kp products of magnitude <= 2 * 128 (below 2^31 for kp
// < 8 M), no saturation (tdpbusd does not saturate): the same integers as the scalar kernel.
//
// Small batches (N < kMinTokens: decode, `tern serve` steps) run avx512-vnni's paths: a
// tile pass costs its tile set-up and a B re-layout for at most a handful of tokens, and
// those batches are bound by reading the weights, not by the multiply.
//
// Tile registers are per thread and need the tile configuration loaded (ldtilecfg) and,
// on Linux, the process's permission for the AMX state (arch_prctl ARCH_REQ_XCOMP_PERM,
// granted in runtime/cpu_features.cpp before cpu_features().amx_int8 is true). Each call
// loads the configuration and releases the tiles before returning, so nothing leaks to
// other code on the thread. The functions carry the AMX target attribute; the file is
// compiled with the AVX2 flags like its neighbours and runs only after cpu_runs_amx_int8().
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/kernel_impls.h"
#include "kernels/thread_scratch.h"

#define TERN_AMX __attribute__((target("amx-tile,amx-int8")))

namespace tern::kernels {
namespace {

constexpr int kTileRows = 16;     // rows of an A tile and of a C tile
constexpr int kTileBytes = 64;    // bytes per tile row: 64 codes of a weight row, or 16 tokens x 4 elements
constexpr int kTileTokens = 16;   // tokens per B tile (columns of C)
constexpr int kBlockRows = 32;    // weight rows per unpacked block: two A tiles
constexpr int kUnpackRows = 4;    // rows per call of the avx2 unpack step
constexpr int64_t kMinTokens = 16;
// Activations re-laid out for one token tile stay in L2 beside the 32-row block of codes.
constexpr int64_t kActTileBytes = 512 * 1024;

using UnpackFn = void (*)(const TernaryMatrix&, int64_t, int64_t, int64_t, uint8_t*);

// The tile configuration (palette 1): eight 16 x 64-byte tiles.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Tokens [t0, t0 + n) of q (stride kp) as B tiles: tile (g, c) holds tokens g*16.. and
// elements c*64.., its row j = elements 4j..4j+3 of each of the 16 tokens (zeros for tokens
// past n). out[((g * chunks + c) * 16 + j) * 64 + 4 * token + b].
void pack_acts(const int8_t* q, int64_t kp, int64_t n, uint8_t* out) {
  const int64_t chunks = kp / kTileBytes, groups = (n + kTileTokens - 1) / kTileTokens;
  std::memset(out, 0, static_cast<size_t>(groups * chunks * kTileRows * kTileBytes));
  for (int64_t t = 0; t < n; ++t) {
    const int8_t* src = q + t * kp;
    uint8_t* dst = out + (t / kTileTokens) * chunks * kTileRows * kTileBytes + (t % kTileTokens) * 4;
    for (int64_t e4 = 0; e4 < kp / 4; ++e4) {  // element group e4 = chunk e4 / 16, tile row e4 % 16
      std::memcpy(dst + e4 * kTileBytes, src + 4 * e4, 4);
    }
  }
}

// GCC 12's tile intrinsics are asm statements that do not tell the compiler which memory
// they read or write (its _tile_loadconfig names only the first 8 bytes of the
// configuration), so the code around them fences memory explicitly.
inline void memory_fence_for_tiles() { __asm__ volatile("" ::: "memory"); }

// Tile load and store with the row stride in a 64-bit register: GCC's _tile_loadd and
// _tile_stored cast the stride to long, which is 32 bits on Windows (LLP64), and the
// assembler refuses a 32-bit index register beside a 64-bit base.
#define TERN_TILE_LOAD(tmm, base, stride) \
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #tmm : : "r"(base), "r"(static_cast<int64_t>(stride)))
#define TERN_TILE_STORE(tmm, base, stride) \
  __asm__ volatile("tilestored %%tmm" #tmm ", (%0,%1,1)" : : "r"(base), "r"(static_cast<int64_t>(stride)))

TERN_AMX void load_tile_config() {
  TileConfig cfg;
  for (int i = 0; i < 8; ++i) {
    cfg.colsb[i] = kTileBytes;
    cfg.rows[i] = kTileRows;
  }
  __asm__ volatile("ldtilecfg %0" : : "m"(cfg));
}

// C tiles 0..3 (rows 0-15 / 16-31 x token groups g, g + 1) over all kp: A tiles 4, 5 from
// the 32-row block `codes`, B tiles 6, 7 from the packed groups `b0`, `b1`. TwoGroups
// false: only tiles 0 and 1 (the last, odd token group).
template <bool TwoGroups>
TERN_AMX void block_pass(const uint8_t* codes, const uint8_t* b0, const uint8_t* b1, int64_t kp, int32_t* c) {
  memory_fence_for_tiles();  // the unpacked codes and packed activations are in memory
  _tile_zero(0);
  _tile_zero(1);
  if constexpr (TwoGroups) {
    _tile_zero(2);
    _tile_zero(3);
  }
  const int64_t chunks = kp / kTileBytes;
  for (int64_t ch = 0; ch < chunks; ++ch) {
    TERN_TILE_LOAD(4, codes + ch * kTileBytes, kp);
    TERN_TILE_LOAD(5, codes + kTileRows * kp + ch * kTileBytes, kp);
    TERN_TILE_LOAD(6, b0 + ch * kTileRows * kTileBytes, kTileBytes);
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 5, 6);
    if constexpr (TwoGroups) {
      TERN_TILE_LOAD(7, b1 + ch * kTileRows * kTileBytes, kTileBytes);
      _tile_dpbusd(2, 4, 7);
      _tile_dpbusd(3, 5, 7);
    }
  }
  // c[(group * 32 + row) * 16 + token]
  TERN_TILE_STORE(0, c, kTileTokens * 4);
  TERN_TILE_STORE(1, c + kTileRows * kTileTokens, kTileTokens * 4);
  if constexpr (TwoGroups) {
    TERN_TILE_STORE(2, c + 2 * kTileRows * kTileTokens, kTileTokens * 4);
    TERN_TILE_STORE(3, c + 3 * kTileRows * kTileTokens, kTileTokens * 4);
  }
  memory_fence_for_tiles();  // c is read after this
}

// Rows [r0, r1) for all tokens: token tiles outer (their packed activations stay in L2),
// each 32-row block unpacked once per token tile, then 32 tokens per pass.
TERN_AMX void gemm(UnpackFn unpack, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                   int64_t r0, int64_t r1) {
  const int64_t kp = acts.kp, chunks = kp / kTileBytes;
  const int64_t group_bytes = chunks * kTileRows * kTileBytes;  // one packed 16-token group
  const int64_t tile = std::max<int64_t>(2 * kTileTokens, kActTileBytes / kp / (2 * kTileTokens) * (2 * kTileTokens));
  uint8_t* codes = thread_scratch<ScratchUse::AmxCodes>(kBlockRows * kp);
  uint8_t* packed = thread_scratch<ScratchUse::AmxActivations>((std::min(tile, acts.n_tokens) + kTileTokens - 1) / kTileTokens * group_bytes);
  alignas(64) int32_t c[4 * kTileRows * kTileTokens];
  load_tile_config();
  for (int64_t t0 = 0; t0 < acts.n_tokens; t0 += tile) {
    const int64_t nt = std::min(tile, acts.n_tokens - t0);
    pack_acts(acts.q + t0 * kp, kp, nt, packed);
    const int64_t groups = (nt + kTileTokens - 1) / kTileTokens;
    for (int64_t r = r0; r < r1; r += kBlockRows) {
      for (int i = 0; i < kBlockRows; i += kUnpackRows) unpack(w, r + i, r1, kp, codes + i * kp);
      const int64_t valid_rows = std::min<int64_t>(kBlockRows, r1 - r);
      for (int64_t g = 0; g < groups; g += 2) {
        const bool two = g + 1 < groups;
        const uint8_t* b0 = packed + g * group_bytes;
        if (two) {
          block_pass<true>(codes, b0, b0 + group_bytes, kp, c);
        } else {
          block_pass<false>(codes, b0, nullptr, kp, c);
        }
        const int64_t tokens_here = std::min<int64_t>(two ? 2 * kTileTokens : kTileTokens, nt - g * kTileTokens);
        for (int64_t j = 0; j < tokens_here; ++j) {
          const int64_t t = t0 + g * kTileTokens + j;
          const int32_t sum = acts.sums[static_cast<size_t>(t)];
          const int32_t* col = c + (j / kTileTokens) * kBlockRows * kTileTokens + j % kTileTokens;
          int32_t* out = y + t * ldy + r;
          for (int64_t m = 0; m < valid_rows; ++m) out[m] = col[m * kTileTokens] - sum;
        }
      }
    }
  }
  _tile_release();
}

void prepare(PreparedActs& acts) { compute_token_sums(acts); }

using MatmulFn = void (*)(const TernaryMatrix&, const PreparedActs&, int32_t*, int64_t, int64_t, int64_t);

// The tile GEMM from kMinTokens tokens on, `fallback` (avx512-vnni's code for the format) below.
void tiles_or(MatmulFn fallback, UnpackFn unpack, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y,
              int64_t ldy, int64_t r0, int64_t r1) {
  if (acts.n_tokens < kMinTokens) {
    fallback(w, acts, y, ldy, r0, r1);
    return;
  }
  counters::ternary_amx_int8.bump();
  gemm(unpack, w, acts, y, ldy, r0, r1);
}

void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  tiles_or(kAvx512VnniKernel.matmul, avx2_unpack_t2_rows, w, acts, y, ldy, r0, r1);
}

void matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  tiles_or(kAvx512VnniKernel.matmul_t1, avx2_unpack_t1_rows, w, acts, y, ldy, r0, r1);
}

}  // namespace

const Kernel kAmxInt8Kernel = {
    "amx-int8", "Intel AMX tdpbusd GEMM (32-row x 32-token tiles) for prefill from 16 tokens; avx512-vnni below that",
    cpu_runs_amx_int8, 50, prepare, matmul, kBlockRows, "AMX-INT8 (with AVX-512 VNNI)", matmul_t1};

}  // namespace tern::kernels
