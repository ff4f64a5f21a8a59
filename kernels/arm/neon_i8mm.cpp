// NEON i8mm kernel (TERN_T2 and TERN_T1) for prefill on Arm cores with the int8 matrix
// multiply extension (Apple M2 and later, Graviton 3 and later, Neoverse V1/N2, Cortex-A710+).
// smmla (vmmlaq_s32) multiplies a 2x8 int8 block by an 8x2 one and adds the 2x2 int32 result:
//     acc += [ w0.a0  w0.a1 ]      w0, w1: 8 weights of two rows (the first operand's halves)
//            [ w1.a0  w1.a1 ]      a0, a1: the same 8 elements of two tokens' activations
// 32 multiply-adds per instruction where sdot does 16, and every loaded vector is used by
// several instructions: a 4 x 4 tile of such blocks (8 rows x 8 tokens, 16 accumulators)
// loads 4 weight and 4 activation vectors per 16 smmla.
//
// smmla wants both operands as pairs of 8-element runs, which neither the packed weights nor
// the token-major activations are, so the GEMM rearranges both once per tile:
//   - weights: 8 rows are decoded to SIGNED trits t in {-1,0,+1} (not codes t+1: signed
//     trits need no token-sum correction, and rows or elements past the matrix are plain
//     zeros) into `blk`, chunk-major: for each 8-element chunk c, the 4 row pairs' 16-byte
//     operands at blk[(c * 4 + p) * 16], so the micro-kernel reads 64 contiguous bytes per chunk;
//   - activations: token pairs interleaved by 8-element chunk, pair j's chunk c at
//     pairs[j * 2 kp + c * 16] (a missing second token of an odd count is zeros).
// Both costs are per element of a tile, spread over its 8 tokens / 8 rows.
//
// Exactness: smmla does not saturate; a lane adds 8 products of magnitude <= 128 per
// instruction, so over kp elements it holds at most 128 * kp < 2^31 for kp < 16 M.
//
// One token (decode: memory-bound GEMV) runs neon-dotprod's T2 GEMV, or the NEON T1 GEMV:
// the multiply is not the bound there and the rearranging would only add work.
//
// The file is compiled with +dotprod+i8mm (Kernels.cmake); nothing here runs before
// cpu_runs_dotprod_i8mm() (backend.cpp) saw HWCAP_ASIMDDP and HWCAP2_I8MM.
#include <arm_neon.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/kernel_impls.h"

namespace tern::kernels {
namespace {

constexpr int kChunk = 8;       // elements per smmla operand half
constexpr int kRowPairs = 4;    // row pairs per block: 8 rows
constexpr int kBlockRows = 2 * kRowPairs;
constexpr int kTokPairs = 4;    // token pairs per micro-kernel pass: 8 tokens
// Tokens whose interleaved activations are reused across all row blocks of one pass: their
// 2 x kp bytes per pair should stay in L2 (Apple and Neoverse cores have >= 1 MiB per core)
// beside the block being read.
constexpr int64_t kActTileBytes = 512 * 1024;

inline int8x16_t zip_lo(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip1q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}
inline int8x16_t zip_hi(int8x16_t a, int8x16_t b) {
  return vreinterpretq_s8_s64(vzip2q_s64(vreinterpretq_s64_s8(a), vreinterpretq_s64_s8(b)));
}

// Two rows' 16 trits at element e (a multiple of 16) into the block as chunks e/8 and e/8 + 1
// of row pair p.
inline void put_pair(int8_t* blk, int p, int64_t e, int8x16_t ta, int8x16_t tb) {
  const int64_t c = e / kChunk;
  vst1q_s8(blk + (c * kRowPairs + p) * 16, zip_lo(ta, tb));
  vst1q_s8(blk + ((c + 1) * kRowPairs + p) * 16, zip_hi(ta, tb));
}

// Rows [r, r + 8) of w as signed trits into blk (kp / 8 chunks x 4 pairs x 16 bytes); rows
// at or past `rows` become zeros. A missing row reads the block's first row (always valid)
// and is masked to zero, so no branch sits in the decode loops.
struct RowPair {
  const uint8_t* a;
  const uint8_t* b;
  int8x16_t mask_a, mask_b;  // all ones for a real row, zeros for one past the end
};

RowPair row_pair(const TernaryMatrix& w, int64_t row_bytes, int64_t r, int64_t rows, int p) {
  const int64_t ra = r + 2 * p, rb = ra + 1;
  const auto row = [&](int64_t i) { return w.data + (i < rows ? i : r) * row_bytes; };
  return {row(ra), row(rb), vdupq_n_s8(ra < rows ? -1 : 0), vdupq_n_s8(rb < rows ? -1 : 0)};
}

void unpack_t2(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, int8_t* blk) {
  const int64_t row_bytes = t2_row_bytes(w.k), groups = kp / kT2GroupElems;
  const uint8x16_t m3 = vdupq_n_u8(3);
  const int8x16_t one = vdupq_n_s8(1);
  // Slice j of 16 packed bytes: codes of 16 consecutive elements, minus 1.
  const auto trits = [&](uint8x16_t raw, int j, int8x16_t mask) {
    const uint8x16_t c = vandq_u8(vshlq_u8(raw, vdupq_n_s8(static_cast<int8_t>(-2 * j))), m3);
    return vandq_s8(vsubq_s8(vreinterpretq_s8_u8(c), one), mask);
  };
  for (int p = 0; p < kRowPairs; ++p) {
    const RowPair rp = row_pair(w, row_bytes, r, rows, p);
    for (int64_t g = 0; g < groups; ++g) {
      for (int h = 0; h < 2; ++h) {
        const uint8x16_t ra = vld1q_u8(rp.a + g * kT2GroupBytes + 16 * h);
        const uint8x16_t rb = vld1q_u8(rp.b + g * kT2GroupBytes + 16 * h);
        for (int j = 0; j < 4; ++j) {
          put_pair(blk, p, g * kT2GroupElems + 32 * j + 16 * h, trits(ra, j, rp.mask_a), trits(rb, j, rp.mask_b));
        }
      }
    }
  }
}

// TERN_T1 digit i of each byte as a signed trit (neon_t1.cpp's decode): x = byte * 3^i mod
// 256, digit = [x > 85] + [x > 170], and t = digit - 1 = ~(m1 + m2) with 0/0xFF masks.
inline int8x16_t t1_trits(uint8x16_t raw, int i) {
  static constexpr uint8_t kPow3[kT1TritsPerByte] = {1, 3, 9, 27, 81};
  const uint8x16_t x = vmulq_u8(raw, vdupq_n_u8(kPow3[i]));
  const uint8x16_t m1 = vcgtq_u8(x, vdupq_n_u8(85)), m2 = vcgtq_u8(x, vdupq_n_u8(170));
  return vreinterpretq_s8_u8(vmvnq_u8(vaddq_u8(m1, m2)));
}

// As unpack_t2 for TERN_T1: 32-element slices below min(kp, Kt) come from the bytes; the
// activations' padding past Kt (kp > Kt) meets zero trits.
void unpack_t1(const TernaryMatrix& w, int64_t r, int64_t rows, int64_t kp, int8_t* blk) {
  const int64_t row_bytes = t1_row_bytes(w.k);
  const int64_t slices = std::min(kp, t1_padded_k(w.k)) / 32;  // both multiples of 32
  for (int p = 0; p < kRowPairs; ++p) {
    const RowPair rp = row_pair(w, row_bytes, r, rows, p);
    for (int64_t s = 0; s < slices; s += kT1TritsPerByte) {
      const int64_t g = s / kT1TritsPerByte;
      const int n = static_cast<int>(std::min<int64_t>(kT1TritsPerByte, slices - s));
      for (int h = 0; h < 2; ++h) {
        const uint8x16_t ra = vld1q_u8(rp.a + g * kT1GroupBytes + 16 * h);
        const uint8x16_t rb = vld1q_u8(rp.b + g * kT1GroupBytes + 16 * h);
        for (int i = 0; i < n; ++i) {
          put_pair(blk, p, g * kT1GroupElems + 32 * i + 16 * h, vandq_s8(t1_trits(ra, i), rp.mask_a),
                   vandq_s8(t1_trits(rb, i), rp.mask_b));
        }
      }
    }
  }
  const int64_t done = slices * 32 * kBlockRows;  // bytes of blk written above
  std::memset(blk + done, 0, static_cast<size_t>(kp * kBlockRows - done));
}

// Tokens [t0, t1) of q (stride kp) as interleaved pairs (see the top); an odd count's last
// pair gets a zero second token.
void interleave_tokens(const PreparedActs& acts, int64_t t0, int64_t t1, int8_t* pairs) {
  const int64_t kp = acts.kp;
  static const int8_t kZeros[16] = {};
  for (int64_t t = t0; t < t1; t += 2) {
    const int8_t* qa = acts.q + t * kp;
    const int8_t* qb = t + 1 < t1 ? qa + kp : nullptr;
    int8_t* out = pairs + (t - t0) * kp;  // pair (t - t0) / 2 at 2 kp bytes each
    for (int64_t e = 0; e < kp; e += 16) {
      const int8x16_t a = vld1q_s8(qa + e), b = vld1q_s8(qb != nullptr ? qb + e : kZeros);
      vst1q_s8(out + 2 * e, zip_lo(a, b));
      vst1q_s8(out + 2 * e + 16, zip_hi(a, b));
    }
  }
}

// The 8 rows of blk x NP token pairs (pair j at pairs + j * 2 kp) over kp elements.
// out[p][j] = {row 2p . tok 2j, row 2p . tok 2j+1, row 2p+1 . tok 2j, row 2p+1 . tok 2j+1}.
template <int NP>
__attribute__((noinline)) void tile(const int8_t* blk, const int8_t* pairs, int64_t kp,
                                    int32x4_t out[kRowPairs][kTokPairs]) {
  static_assert(NP >= 1 && NP <= kTokPairs);
  int32x4_t acc[kRowPairs][NP];
  for (int p = 0; p < kRowPairs; ++p)
    for (int j = 0; j < NP; ++j) acc[p][j] = vdupq_n_s32(0);
  const int64_t chunks = kp / kChunk;
  for (int64_t c = 0; c < chunks; ++c) {
    int8x16_t a[NP];
    for (int j = 0; j < NP; ++j) a[j] = vld1q_s8(pairs + j * 2 * kp + c * 16);
    const int8_t* wc = blk + c * kRowPairs * 16;
    for (int p = 0; p < kRowPairs; ++p) {
      const int8x16_t wp = vld1q_s8(wc + p * 16);
      for (int j = 0; j < NP; ++j) acc[p][j] = vmmlaq_s32(acc[p][j], wp, a[j]);
    }
  }
  for (int p = 0; p < kRowPairs; ++p)
    for (int j = 0; j < NP; ++j) out[p][j] = acc[p][j];
}

using TileFn = void (*)(const int8_t*, const int8_t*, int64_t, int32x4_t[kRowPairs][kTokPairs]);
constexpr TileFn kTiles[kTokPairs] = {tile<1>, tile<2>, tile<3>, tile<4>};

using UnpackFn = void (*)(const TernaryMatrix&, int64_t, int64_t, int64_t, int8_t*);

// Rows [r0, r1) for all tokens: token tiles outer (their interleaved activations stay in L2),
// each 8-row block unpacked once per tile, then 8 tokens at a time against it.
void gemm(UnpackFn unpack, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0,
          int64_t r1) {
  const int64_t kp = acts.kp, n = acts.n_tokens;
  const int64_t tile_tokens = std::max<int64_t>(2 * kTokPairs, kActTileBytes / kp / (2 * kTokPairs) * (2 * kTokPairs));
  // Per thread, grown once, then reused: the block, and one tile's activations (even count).
  thread_local std::vector<int8_t> blk_buf, pair_buf;
  const size_t blk_bytes = static_cast<size_t>(kBlockRows * kp);
  const size_t pair_bytes = static_cast<size_t>((std::min(n, tile_tokens) + 1) / 2 * 2 * kp);
  if (blk_buf.size() < blk_bytes) blk_buf.resize(blk_bytes);
  if (pair_buf.size() < pair_bytes) pair_buf.resize(pair_bytes);
  int8_t* blk = blk_buf.data();
  int8_t* pairs = pair_buf.data();
  for (int64_t t0 = 0; t0 < n; t0 += tile_tokens) {
    const int64_t t1 = std::min(n, t0 + tile_tokens);
    interleave_tokens(acts, t0, t1, pairs);
    for (int64_t r = r0; r < r1; r += kBlockRows) {
      unpack(w, r, r1, kp, blk);
      const int64_t rows_here = std::min<int64_t>(kBlockRows, r1 - r);
      for (int64_t t = t0; t < t1; t += 2 * kTokPairs) {
        const int64_t toks = std::min<int64_t>(2 * kTokPairs, t1 - t);
        const int np = static_cast<int>((toks + 1) / 2);
        int32x4_t out[kRowPairs][kTokPairs];
        kTiles[np - 1](blk, pairs + (t - t0) * kp, kp, out);
        for (int p = 0; p < kRowPairs; ++p) {
          alignas(16) int32_t s[kTokPairs][4];
          for (int j = 0; j < np; ++j) vst1q_s32(s[j], out[p][j]);
          for (int64_t i = 0; i < 2 && 2 * p + i < rows_here; ++i) {
            for (int64_t tok = 0; tok < toks; ++tok) {
              y[(t + tok) * ldy + r + 2 * p + i] = s[tok / 2][2 * i + tok % 2];
            }
          }
        }
      }
    }
  }
}

void prepare(PreparedActs& acts) { compute_token_sums(acts); }  // the dotprod GEMV's correction

// Both entries, Kernel::matmul (TERN_T2) and Kernel::matmul_t1 (TERN_T1), by w.format.
void matmul(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy, int64_t r0, int64_t r1) {
  counters::ternary_neon_i8mm.bump();
  if (acts.n_tokens < 1 || r1 <= r0) return;
  const bool t1 = w.format == TernaryFormat::T1;
  if (acts.n_tokens > 1) return gemm(t1 ? unpack_t1 : unpack_t2, w, acts, y, ldy, r0, r1);
  (t1 ? neon_matmul_t1 : kNeonDotprodKernel.matmul)(w, acts, y, ldy, r0, r1);
}

}  // namespace

const Kernel kNeonI8mmKernel = {
    "neon-i8mm", "NEON i8mm smmla GEMM (8-row x 8-token tiles) for prefill; neon-dotprod GEMV for decode",
    cpu_runs_dotprod_i8mm, 45, prepare, matmul, kBlockRows, "NEON dotprod + i8mm", matmul};

}  // namespace tern::kernels
