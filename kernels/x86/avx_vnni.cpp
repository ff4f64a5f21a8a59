// AVX-VNNI kernel (TERN_T2 and TERN_T1) for CPUs with AVX2 and AVX-VNNI but no AVX-512
// (Intel client cores since Alder Lake, and the AVX-512-less server parts): the VEX-encoded
// 256-bit vpdpbusd. Codes c = t+1 in {0,1,2} (unsigned bytes) times the int8 activations,
// four u8 x s8 products added straight into an int32 lane per instruction; the token's sum
// of q is subtracted at the end: sum(q*t) = sum(q*c) - sum(q), as avx2-mad does.
//
// Why it beats avx2-mad for prefill: avx2-mad spends two vector ops per 32 weight x token
// products (maddubs into int16, add into the int16 accumulator) plus a widening madd every
// 32 steps; vpdpbusd does all of it in one op per 32 products.
//
// Tiles: VEX code has 16 ymm registers (not AVX-512's 32), so the GEMM micro-kernel is
// 2 rows x 6 tokens: 12 accumulators (enough independent chains to cover vpdpbusd's
// latency at two per cycle), 2 code registers, activations straight from memory. A 4-row
// unpacked block (avx2-mad's unpack step, shared) is run as two row pairs per 6 tokens, so
// the 6 tokens' activations are still in L1 for the second pair.
//
// Exactness: no saturation anywhere (vpdpbusd, not vpdpbusds). One lane adds four products
// of magnitude <= 2 * 128 per 32-element step; over kp elements a lane holds at most
// kp/32 * 4 * 256 = 32 * kp in magnitude, and the 8 lanes' total 256 * kp: below 2^31 for
// kp < 8 M.
//
// GEMV (one token: memory-bound decode) stays avx2-mad's (T2 and T1): the multiply is not
// the bound there. Small batches (N = 2..kDirectMaxTokens, `tern serve` decode steps)
// decode the TERN_T2 bytes in registers and read each weight once per step.
//
// The file is compiled with the AVX2 flags plus -mavxvnni (Kernels.cmake); nothing here
// runs before cpu_runs_avx2_avxvnni() (backend.cpp) saw AVX2 and AVX-VNNI with the OS
// saving YMM state.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "kernels/kernel_impls.h"
#include "kernels/x86/gemm_codes_avx2.h"

namespace tern::kernels {
namespace {

constexpr int kBlockRows = 4;  // rows per unpacked block (the avx2 unpack step's block)
constexpr int kPairRows = 2;   // rows per GEMM micro-kernel pass
constexpr int kTokens = 6;     // tokens per GEMM micro-kernel pass: 2 x 6 = 12 accumulators
// Tokens whose activations are reused across the row blocks of one pass over the rows:
// their rows (tile * kp bytes) should stay in L2 (1.25 MiB on Alder Lake's P-cores, 2 MiB
// shared by four E-cores) next to the codes.
constexpr int64_t kActTileBytes = 512 * 1024;
// Up to this many tokens the weights are decoded in registers (quad_pass) instead of
// unpacked to a buffer: unpacking a 4-row block costs about as many vector ops as a few
// tokens' products.
constexpr int64_t kDirectMaxTokens = 8;

using UnpackFn = void (*)(const TernaryMatrix&, int64_t, int64_t, int64_t, uint8_t*);
using avx2_gemm::hsum4;

inline __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// acc + the 32 products codes x q[0..32), four per int32 lane.
inline __m256i dot(__m256i acc, __m256i codes, const int8_t* q) {
#if defined(__GNUC__) && !defined(__clang__)
  // GCC 12 copies the accumulator to a fresh register and back around every
  // _mm256_dpbusd_avx_epi32, and with 12 accumulators it spills them to the stack on every
  // iteration; the instruction itself, with the accumulator tied in place, does not.
  // ({vex}: the assembler's default encoding of vpdpbusd is AVX-512's EVEX.)
  __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(codes), "m"(*reinterpret_cast<const __m256i_u*>(q)));
  return acc;
#else
  return _mm256_dpbusd_avx_epi32(acc, codes, load(q));
#endif
}

// ---- GEMM on unpacked codes (N > kDirectMaxTokens, prefill) -------------------------------
// The four int32 sums {a, b, c, d} of two tokens' row pairs into out[t][0..1], out[t + 1][0..1]
// (the second token's only when it exists).
inline void store_pair_sums(__m256i a, __m256i b, __m256i c, __m256i d, bool second, int32_t* t_out,
                            int32_t* next_out) {
  alignas(16) int32_t s[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(s), hsum4(a, b, c, d));
  t_out[0] = s[0];
  t_out[1] = s[1];
  if (second) {
    next_out[0] = s[2];
    next_out[1] = s[3];
  }
}

// Rows codes[0..kp) and codes[kp..2kp) x NT tokens of activations q (stride kp), over kp
// elements (a multiple of 128). out[t][i] = sum over e of q[t][e] * code[i][e].
// The 12 accumulators are plain named locals in a function of their own: GCC 12 stored
// them to the stack on every iteration when they were struct members, or when this loop
// was inlined into the tile loop (whose pointers and counters compete for registers).
template <int NT>
__attribute__((noinline)) void pair_kernel(const uint8_t* codes, const int8_t* q, int64_t kp,
                                           int32_t out[kTokens][kPairRows]) {
  static_assert(NT >= 1 && NT <= kTokens);
  const __m256i z = _mm256_setzero_si256();
  __m256i a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z, a4 = z, b4 = z, a5 = z, b5 = z;
  for (int64_t e = 0; e < kp; e += 32) {
    const __m256i c0 = load(codes + e), c1 = load(codes + kp + e);  // row 0 -> a*, row 1 -> b*
    const int8_t* qe = q + e;
    a0 = dot(a0, c0, qe);
    b0 = dot(b0, c1, qe);
    if constexpr (NT > 1) a1 = dot(a1, c0, qe + kp), b1 = dot(b1, c1, qe + kp);
    if constexpr (NT > 2) a2 = dot(a2, c0, qe + 2 * kp), b2 = dot(b2, c1, qe + 2 * kp);
    if constexpr (NT > 3) a3 = dot(a3, c0, qe + 3 * kp), b3 = dot(b3, c1, qe + 3 * kp);
    if constexpr (NT > 4) a4 = dot(a4, c0, qe + 4 * kp), b4 = dot(b4, c1, qe + 4 * kp);
    if constexpr (NT > 5) a5 = dot(a5, c0, qe + 5 * kp), b5 = dot(b5, c1, qe + 5 * kp);
  }
  store_pair_sums(a0, b0, a1, b1, NT > 1, out[0], out[1]);
  if constexpr (NT > 2) store_pair_sums(a2, b2, a3, b3, NT > 3, out[2], out[3]);
  if constexpr (NT > 4) store_pair_sums(a4, b4, a5, b5, NT > 5, out[4], out[5]);
}

// pair_kernel<nt> by nt - 1 (one call per row pair and up to 6 tokens over a whole row).
using PairKernelFn = void (*)(const uint8_t*, const int8_t*, int64_t, int32_t[kTokens][kPairRows]);
constexpr PairKernelFn kPairKernels[kTokens] = {pair_kernel<1>, pair_kernel<2>, pair_kernel<3>,
                                                pair_kernel<4>, pair_kernel<5>, pair_kernel<6>};

// Rows [r0, r1) for all tokens: token tiles outer (activations stay in L2), each 4-row block
// unpacked once per tile, then per 6 tokens both row pairs (a pair wholly past r1 skipped).
void gemm(UnpackFn unpack, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0,
          int64_t r1) {
  const int64_t kp = acts.kp;
  thread_local std::vector<uint8_t> buffer;  // 4 x kp; grows once per thread, then reused
  if (buffer.size() < static_cast<size_t>(kBlockRows * kp)) buffer.resize(static_cast<size_t>(kBlockRows * kp));
  uint8_t* codes = buffer.data();
  const int64_t tile = std::max<int64_t>(kTokens, kActTileBytes / kp / kTokens * kTokens);
  for (int64_t t0 = 0; t0 < acts.n_tokens; t0 += tile) {
    const int64_t t1 = std::min(acts.n_tokens, t0 + tile);
    for (int64_t r = r0; r < r1; r += kBlockRows) {
      unpack(w, r, r1, kp, codes);
      const int64_t valid = std::min<int64_t>(kBlockRows, r1 - r);
      for (int64_t t = t0; t < t1; t += kTokens) {
        const int nt = static_cast<int>(std::min<int64_t>(kTokens, t1 - t));
        for (int64_t p = 0; p < valid; p += kPairRows) {
          int32_t out[kTokens][kPairRows];
          kPairKernels[nt - 1](codes + p * kp, acts.q + t * kp, kp, out);
          const int64_t rows_here = std::min<int64_t>(kPairRows, valid - p);
          for (int j = 0; j < nt; ++j) {
            const int32_t sum = acts.sums[static_cast<size_t>(t + j)];
            for (int64_t i = 0; i < rows_here; ++i) y[(t + j) * ldy + r + p + i] = out[j][i] - sum;
          }
        }
      }
    }
  }
}

// ---- small batches: TERN_T2 decoded in registers (N = 2..kDirectMaxTokens) ---------------
// Slice J of one row's group bytes at `off` (elements 32J..32J+31 of the group, bits
// 2J+1:2J) as codes.
template <int J>
inline __m256i slice_codes(const uint8_t* row, int64_t off) {
  return _mm256_and_si256(_mm256_srli_epi16(load(row + off), 2 * J), _mm256_set1_epi8(3));
}

// rows[0..4) x NT (1 or 2) tokens over `groups` 128-element groups -> out[t][i]. Token 0's
// accumulators are a0..a3 (one per row), token 1's b0..b3.
template <int NT>
__attribute__((noinline)) void quad_pass(const uint8_t* const* rows, const uint8_t* next_block, int64_t groups,
                                         const int8_t* q, int64_t kp, int32_t out[2][kBlockRows]) {
  const __m256i z = _mm256_setzero_si256();
  __m256i a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z;
  const uint8_t *w0 = rows[0], *w1 = rows[1], *w2 = rows[2], *w3 = rows[3];
  const auto slice = [&](auto j, int64_t off, const int8_t* qj) {
    constexpr int J = decltype(j)::value;
    const __m256i c0 = slice_codes<J>(w0, off), c1 = slice_codes<J>(w1, off);
    const __m256i c2 = slice_codes<J>(w2, off), c3 = slice_codes<J>(w3, off);
    a0 = dot(a0, c0, qj), a1 = dot(a1, c1, qj), a2 = dot(a2, c2, qj), a3 = dot(a3, c3, qj);
    if constexpr (NT == 2) {
      b0 = dot(b0, c0, qj + kp), b1 = dot(b1, c1, qj + kp), b2 = dot(b2, c2, qj + kp), b3 = dot(b3, c3, qj + kp);
    }
  };
  for (int64_t g = 0; g < groups; ++g) {
    // As avx2-mad's GEMV: DRAM-resident rows are short streams the hardware prefetcher
    // barely learns, so fetch the next 4-row block (contiguous after rows[3]) one block ahead.
    _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(next_block + g * 128 + 64), _MM_HINT_T0);
    const int64_t off = g * kT2GroupBytes;
    const int8_t* qg = q + g * kT2GroupElems;
    slice(std::integral_constant<int, 0>{}, off, qg);
    slice(std::integral_constant<int, 1>{}, off, qg + 32);
    slice(std::integral_constant<int, 2>{}, off, qg + 64);
    slice(std::integral_constant<int, 3>{}, off, qg + 96);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out[0]), hsum4(a0, a1, a2, a3));
  if constexpr (NT == 2) _mm_storeu_si128(reinterpret_cast<__m128i*>(out[1]), hsum4(b0, b1, b2, b3));
}

// TERN_T2 rows [r0, r1) for a small batch: 4 rows at a time (a partial block repeats its
// last row and drops those results), token pairs inner so each block comes from DRAM once.
void gemm_direct_t2(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0,
                    int64_t r1) {
  const int64_t kp = acts.kp, row_bytes = t2_row_bytes(w.k), groups = kp / kT2GroupElems;
  for (int64_t r = r0; r < r1; r += kBlockRows) {
    const int64_t valid = std::min<int64_t>(kBlockRows, r1 - r);
    const uint8_t* rows[kBlockRows];
    for (int64_t i = 0; i < kBlockRows; ++i) rows[i] = w.data + (r + std::min(i, valid - 1)) * row_bytes;
    for (int64_t t = 0; t < acts.n_tokens; t += 2) {
      const bool two = t + 1 < acts.n_tokens;
      // Only the first pass over this block streams it from DRAM; later ones find it cached.
      const uint8_t* next_block = t == 0 ? w.data + (r + kBlockRows) * row_bytes : rows[0];
      int32_t out[2][kBlockRows];
      if (two) {
        quad_pass<2>(rows, next_block, groups, acts.q + t * kp, kp, out);
      } else {
        quad_pass<1>(rows, next_block, groups, acts.q + t * kp, kp, out);
      }
      for (int64_t j = 0; j < (two ? 2 : 1); ++j) {
        const int32_t sum = acts.sums[static_cast<size_t>(t + j)];
        for (int64_t i = 0; i < valid; ++i) y[(t + j) * ldy + r + i] = out[j][i] - sum;
      }
    }
  }
}

void prepare(PreparedActs& acts) { compute_token_sums(acts); }

// Both entries, Kernel::matmul (TERN_T2) and Kernel::matmul_t1 (TERN_T1), by w.format: one
// token runs avx2-mad's GEMV of the format, 2..kDirectMaxTokens TERN_T2 tokens decode in
// registers, the rest unpack to codes for the GEMM.
void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_avx_vnni.bump();
  const bool t1 = w.format == TernaryFormat::T1;
  if (acts.n_tokens < 1) return;
  if (acts.n_tokens == 1) {
    (t1 ? avx2_matmul_t1 : kAvx2MadKernel.matmul)(w, acts, y, ldy, r0, r1);
  } else if (!t1 && acts.n_tokens <= kDirectMaxTokens) {
    gemm_direct_t2(w, acts, y, ldy, r0, r1);
  } else {
    gemm(t1 ? avx2_unpack_t1_rows : avx2_unpack_t2_rows, w, acts, y, ldy, r0, r1);
  }
}

}  // namespace

const Kernel kAvxVnniKernel = {
    "avx-vnni", "AVX-VNNI (VEX ymm) vpdpbusd GEMM (2-row x 6-token tiles) for prefill; avx2-mad GEMV for decode",
    cpu_runs_avx2_avxvnni, 35, prepare, matmul, kBlockRows, "AVX2 + AVX-VNNI", matmul};

}  // namespace tern::kernels
