// AVX-512 VNNI kernel (TERN_T2 and TERN_T1): the GEMM multiplies codes c = t+1 in {0,1,2}
// (unsigned bytes) with the int8 activations by vpdpbusd, which adds four u8 x s8 products
// straight into an int32 lane, then subtracts the token's sum of q: sum(q*t) = sum(q*c) -
// sum(q), exactly as avx2-mad does.
//
// Why it is faster than avx2-mad for prefill: avx2-mad needs two vector ops per 32
// weight x token products (maddubs into int16, add into the int16 accumulator) plus a
// widening madd every 32 steps; vpdpbusd does the multiply, the pairwise sums and the int32
// accumulate in one op per 64 products (zmm): more products per cycle (the register-only
// loop's figures are in bench/README.md, "Prefill: profile and bound"). And 32 zmm registers allow a 4-row x 6-token tile (24 accumulators), so each code
// load serves 6 tokens and each activation load 4 rows.
//
// Exactness: no saturation anywhere (vpdpbusd, not vpdpbusds). One lane adds four products
// of magnitude <= 2 * 128 per step; over kp elements a lane holds at most kp/16 * 4 * 256 =
// 64 * kp in magnitude, and the 16 lanes' total 256 * kp: below 2^31 for kp < 8 M.
//
// GEMV (one token: decode): avx2-mad's for TERN_T2 (a zmm one measured slower end to end:
// bench/README.md "AVX-512 GEMV"), avx512_gemv.cpp's zmm vpdpbusd GEMV for TERN_T1.
//
// The file is compiled with the AVX2 flags like every x86 kernel; the AVX-512 functions
// carry their own target attribute and run only after cpu_runs_avx512_vnni() (backend.cpp) saw the
// CPU and the OS (XCR0) enable AVX-512 F/BW/VL/VNNI.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/kernel_impls.h"
#include "kernels/thread_scratch.h"
#include "kernels/x86/avx512_util.h"

namespace tern::kernels {
namespace {

using avx512::hsum4;

constexpr int kRows = 4;            // rows per unpacked block (the avx2 unpack step's block)
constexpr int kTokens = 6;          // tokens per micro-kernel pass: 4 x 6 = 24 zmm accumulators
// Tokens whose activations are reused across the row blocks of one unpacked pass: their
// rows (tile * kp bytes) should stay in the 2 MiB L2 next to the codes. Smaller tiles
// re-unpack the weights more often (one unpack per row block per tile).
constexpr int64_t kActTileBytes = 768 * 1024;

using UnpackFn = void (*)(const TernaryMatrix&, int64_t, int64_t, int64_t, uint8_t*);

// Sum of the 8 int32 lanes of each of 4 vectors -> {sum a, sum b, sum c, sum d}.
TERN_AVX512 inline __m128i avx2_gemm_hsum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_hadd_epi32(a, b), cd = _mm256_hadd_epi32(c, d);
  const __m256i abcd = _mm256_hadd_epi32(ab, cd);
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

// 4 rows of codes (stride kp) x NT tokens of activations (stride kp), over kp elements
// (a multiple of 128). out[t][i] = sum over e of q[t][e] * code[i][e].
// The 24 accumulators are named variables, not an array: GCC 12 kept an array of them in
// memory (a store per vpdpbusd), which made the kernel no faster than avx2-mad.
#define TERN_ACC(t) __m512i acc0_##t = zero, acc1_##t = zero, acc2_##t = zero, acc3_##t = zero;
#define TERN_DOT(t)                                                  \
  if constexpr (NT > t) {                                            \
    const __m512i a = _mm512_loadu_si512(q + t * kp + e);            \
    acc0_##t = _mm512_dpbusd_epi32(acc0_##t, c0, a);                 \
    acc1_##t = _mm512_dpbusd_epi32(acc1_##t, c1, a);                 \
    acc2_##t = _mm512_dpbusd_epi32(acc2_##t, c2, a);                 \
    acc3_##t = _mm512_dpbusd_epi32(acc3_##t, c3, a);                 \
  }
#define TERN_OUT(t) \
  if constexpr (NT > t) \
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[t]), hsum4(acc0_##t, acc1_##t, acc2_##t, acc3_##t));
template <int NT>
TERN_AVX512 void micro_kernel(const uint8_t* codes, const int8_t* q, int64_t kp, int32_t out[kTokens][kRows]) {
  static_assert(NT >= 1 && NT <= kTokens);
  const __m512i zero = _mm512_setzero_si512();
  TERN_ACC(0) TERN_ACC(1) TERN_ACC(2) TERN_ACC(3) TERN_ACC(4) TERN_ACC(5)
  for (int64_t e = 0; e < kp; e += 64) {
    const __m512i c0 = _mm512_loadu_si512(codes + e), c1 = _mm512_loadu_si512(codes + kp + e);
    const __m512i c2 = _mm512_loadu_si512(codes + 2 * kp + e), c3 = _mm512_loadu_si512(codes + 3 * kp + e);
    TERN_DOT(0) TERN_DOT(1) TERN_DOT(2) TERN_DOT(3) TERN_DOT(4) TERN_DOT(5)
  }
  TERN_OUT(0) TERN_OUT(1) TERN_OUT(2) TERN_OUT(3) TERN_OUT(4) TERN_OUT(5)
}
#undef TERN_ACC
#undef TERN_DOT
#undef TERN_OUT

TERN_AVX512 void run_tokens(const uint8_t* codes, const int8_t* q, int64_t kp, int nt, int32_t out[kTokens][kRows]) {
  switch (nt) {
    case 1: micro_kernel<1>(codes, q, kp, out); break;
    case 2: micro_kernel<2>(codes, q, kp, out); break;
    case 3: micro_kernel<3>(codes, q, kp, out); break;
    case 4: micro_kernel<4>(codes, q, kp, out); break;
    case 5: micro_kernel<5>(codes, q, kp, out); break;
    default: micro_kernel<6>(codes, q, kp, out); break;
  }
}

// ---- small batches (N = 2..kDirectMaxTokens, `tern serve` decode steps) ----------------
// Unpacking 4 rows to a buffer costs about as much as 8 tokens' products, so few tokens
// decode the TERN_T2 bytes in registers instead (shift + mask, as the GEMV) and feed ymm
// vpdpbusd (AVX-512 VL encoding) straight away: the weights are read once per step.
constexpr int64_t kDirectMaxTokens = 8;

// Rows w0 + i * row_bytes (i < 4) x NT tokens over `groups` 128-element groups.
#define TERN_ACC(t) __m256i d0_##t = zero, d1_##t = zero, d2_##t = zero, d3_##t = zero;
#define TERN_DOT(t)                                                                   \
  if constexpr (NT > t) {                                                             \
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qg + t * kp)); \
    d0_##t = _mm256_dpbusd_epi32(d0_##t, c0, a);                                      \
    d1_##t = _mm256_dpbusd_epi32(d1_##t, c1, a);                                      \
    d2_##t = _mm256_dpbusd_epi32(d2_##t, c2, a);                                      \
    d3_##t = _mm256_dpbusd_epi32(d3_##t, c3, a);                                      \
  }
#define TERN_OUT(t) \
  if constexpr (NT > t) \
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out[t]), avx2_gemm_hsum4(d0_##t, d1_##t, d2_##t, d3_##t));
template <int NT>
TERN_AVX512 void direct_tile(const uint8_t* const* rows, const uint8_t* next_block, int64_t groups, const int8_t* q,
                             int64_t kp, int32_t out[kTokens][kRows]) {
  static_assert(NT >= 1 && NT <= kTokens);
  const __m256i zero = _mm256_setzero_si256(), m3 = _mm256_set1_epi8(3);
  TERN_ACC(0) TERN_ACC(1) TERN_ACC(2) TERN_ACC(3) TERN_ACC(4) TERN_ACC(5)
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t off = g * kT2GroupBytes;
    // As avx2-mad's GEMV: DRAM-resident rows are short streams the hardware prefetcher
    // barely learns, so fetch the next 4-row block (contiguous after rows[3]) one block ahead.
    _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128 + 64), _MM_HINT_T0);
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {  // slice j: elements 32j..32j+31 of the group, bits 2j+1:2j
      const __m128i shift = _mm_cvtsi32_si128(2 * j);
      const auto codes = [&](int i) TERN_AVX512 {
        return _mm256_and_si256(_mm256_srl_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[i] + off)), shift), m3);
      };
      const __m256i c0 = codes(0), c1 = codes(1), c2 = codes(2), c3 = codes(3);
      const int8_t* qg = q + g * kT2GroupElems + 32 * j;
      TERN_DOT(0) TERN_DOT(1) TERN_DOT(2) TERN_DOT(3) TERN_DOT(4) TERN_DOT(5)
    }
  }
  TERN_OUT(0) TERN_OUT(1) TERN_OUT(2) TERN_OUT(3) TERN_OUT(4) TERN_OUT(5)
}
#undef TERN_ACC
#undef TERN_DOT
#undef TERN_OUT

TERN_AVX512 void direct_tokens(const uint8_t* const* rows, const uint8_t* next_block, int64_t groups, const int8_t* q, int64_t kp, int nt,
                               int32_t out[kTokens][kRows]) {
  switch (nt) {
    case 1: direct_tile<1>(rows, next_block, groups, q, kp, out); break;
    case 2: direct_tile<2>(rows, next_block, groups, q, kp, out); break;
    case 3: direct_tile<3>(rows, next_block, groups, q, kp, out); break;
    case 4: direct_tile<4>(rows, next_block, groups, q, kp, out); break;
    case 5: direct_tile<5>(rows, next_block, groups, q, kp, out); break;
    default: direct_tile<6>(rows, next_block, groups, q, kp, out); break;
  }
}

// TERN_T2 rows [r0, r1) for a small batch: 4 rows at a time (a partial block repeats its
// last row and drops those results), all tokens per block so each row is read once.
TERN_AVX512 void gemm_direct_t2(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                                int64_t r0, int64_t r1) {
  const int64_t kp = acts.kp, row_bytes = t2_row_bytes(w.k), groups = kp / kT2GroupElems;
  for (int64_t r = r0; r < r1; r += kRows) {
    const int valid = static_cast<int>(std::min<int64_t>(kRows, r1 - r));
    const uint8_t* rows[kRows];
    for (int i = 0; i < kRows; ++i) rows[i] = w.data + (r + std::min(i, valid - 1)) * row_bytes;
    for (int64_t t = 0; t < acts.n_tokens; t += kTokens) {
      const int nt = static_cast<int>(std::min<int64_t>(kTokens, acts.n_tokens - t));
      int32_t out[kTokens][kRows];
      // Only the first pass over this block streams it from DRAM; later ones find it cached.
      const uint8_t* next_block = t == 0 ? w.data + (r + kRows) * row_bytes : rows[0];
      direct_tokens(rows, next_block, groups, acts.q + t * kp, kp, nt, out);
      for (int j = 0; j < nt; ++j) {
        const int32_t sum = acts.sums[static_cast<size_t>(t + j)];
        for (int i = 0; i < valid; ++i) y[(t + j) * ldy + r + i] = out[j][i] - sum;
      }
    }
  }
}

// Rows [r0, r1) for all tokens: token tiles outer (activations stay in L2), 4-row blocks
// unpacked once per tile, 6-token passes inner.
TERN_AVX512 void gemm(UnpackFn unpack, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                      int64_t r0, int64_t r1) {
  const int64_t kp = acts.kp;
  uint8_t* codes = thread_scratch<ScratchUse::Avx512Codes>(kRows * kp);  // aligned zmm code loads
  const int64_t tile = std::max<int64_t>(kTokens, kActTileBytes / kp / kTokens * kTokens);
  for (int64_t t0 = 0; t0 < acts.n_tokens; t0 += tile) {
    const int64_t t1 = std::min(acts.n_tokens, t0 + tile);
    for (int64_t r = r0; r < r1; r += kRows) {
      unpack(w, r, r1, kp, codes);
      const int valid = static_cast<int>(std::min<int64_t>(kRows, r1 - r));
      for (int64_t t = t0; t < t1; t += kTokens) {
        const int nt = static_cast<int>(std::min<int64_t>(kTokens, t1 - t));
        int32_t out[kTokens][kRows];
        run_tokens(codes, acts.q + t * kp, kp, nt, out);
        for (int j = 0; j < nt; ++j) {
          const int32_t sum = acts.sums[static_cast<size_t>(t + j)];
          for (int i = 0; i < valid; ++i) y[(t + j) * ldy + r + i] = out[j][i] - sum;
        }
      }
    }
  }
}


void prepare(PreparedActs& acts) { compute_token_sums(acts); }

void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_avx512_vnni.bump();
  if (acts.n_tokens == 1) {
    kAvx2MadKernel.matmul(w, acts, y, ldy, r0, r1);
  } else if (acts.n_tokens <= kDirectMaxTokens) {
    gemm_direct_t2(w, acts, y, ldy, r0, r1);
  } else {
    gemm(avx2_unpack_t2_rows, w, acts, y, ldy, r0, r1);
  }
}

void matmul_t1(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_avx512_vnni.bump();
  if (acts.n_tokens == 1) {
    avx512_gemv_t1(w, acts.q, acts.kp, acts.sums[0], y, r0, r1);
  } else if (acts.n_tokens > 1) {
    gemm(avx2_unpack_t1_rows, w, acts, y, ldy, r0, r1);
  }
}

}  // namespace

const Kernel kAvx512VnniKernel = {
    "avx512-vnni", "AVX-512 VNNI vpdpbusd GEMM (4-row x 6-token zmm tiles) for prefill; avx2-mad GEMV (T2) / zmm GEMV (T1) for decode",
    cpu_runs_avx512_vnni, 40, prepare, matmul, kRows, "AVX-512 F/BW/VNNI", matmul_t1};

}  // namespace tern::kernels
