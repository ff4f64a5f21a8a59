// The ternary BitLinear kernel interface. Every implementation (scalar reference, AVX2
// multiply-add, AVX2 lookup-table, AVX-VNNI, AVX-512 VNNI, NEON multiply-add with/without dotprod,
// NEON lookup-table, NEON i8mm) computes the SAME exact integers:
//
//     y[t][r] = sum_k  q[t][k] * T[r][k]         (int32, exact)
//
// for int8 activations q (one row per token, from the backend's quantize entry) and ternary weights
// T in {-1,0,+1}. The float epilogue (y / (s * weight_scale)) is not the kernel's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tern {
class ThreadPool;  // runtime/thread_pool.h
}

namespace tern::kernels {

// ---- tern's packed ternary layout (GGUF type TERN_T2) --------------------------------
// Row-major. Each row of K weights is padded with zeros to Kp = roundup(K, 128) and stored
// as Kp/128 groups of 32 bytes. In a group, byte m (0..31) holds the codes (t+1 in {0,1,2})
// of elements m (bits 1:0), m+32 (bits 3:2), m+64 (bits 5:4) and m+96 (bits 7:6) of that
// 128-element group. Rows are contiguous: row r starts at r * (Kp/4) bytes.
// (This is TQ2_0's in-block bit order, without the per-256 f16 scale; one 32-byte load and
// four shift/mask steps give four 32-lane code vectors aligned with four activation loads.)
constexpr int kT2GroupElems = 128;
constexpr int kT2GroupBytes = 32;
inline int64_t t2_padded_k(int64_t k) { return (k + kT2GroupElems - 1) / kT2GroupElems * kT2GroupElems; }
inline int64_t t2_row_bytes(int64_t k) { return t2_padded_k(k) / 4; }

// ---- tern's 1.6-bit ternary layout (GGUF type TERN_T1) -------------------------------
// Row-major. Each row of K weights is padded with zero weights to Kt = roundup(K, 160) and
// stored as Kt/160 groups of 32 bytes (5 trits per byte, 1.6 bits per weight). In a group,
// byte m (0..31) holds the codes c_i = t+1 in {0,1,2} of elements m + 32*i, i = 0..4, as
//     v = c_0*81 + c_1*27 + c_2*9 + c_3*3 + c_4      (0..242, element m first = most significant)
//     byte = ceil(v * 256 / 243)                     (TQ1_0's base-3 byte, a fraction of 1)
// and c_i = ((byte * 3^i) mod 256) * 3 >> 8 recovers each digit (tests check all 243). Rows
// are contiguous: row r starts at r * (Kt/5) bytes. Decoding one 32-byte load gives five
// 32-lane code vectors aligned with five consecutive 32-byte activation loads (elements
// 160g + 32i .. +31), with byte adds (x*3 = x+x+x wraps mod 256) and two compares per slice.
// The int8 activations stay padded to t2_padded_k(K) (shared with T2): kernels read only the
// slices below min(Kp, Kt); any activation elements past Kt meet zero weights.
constexpr int kT1GroupElems = 160;
constexpr int kT1GroupBytes = 32;
constexpr int kT1TritsPerByte = 5;
inline int64_t t1_padded_k(int64_t k) { return (k + kT1GroupElems - 1) / kT1GroupElems * kT1GroupElems; }
inline int64_t t1_row_bytes(int64_t k) { return t1_padded_k(k) / kT1TritsPerByte; }
// One TERN_T1 byte from five codes (c[0] most significant), and digit i of a byte.
inline uint8_t t1_encode_byte(const uint8_t c[5]) {
  const uint32_t v = ((((c[0] * 3u) + c[1]) * 3u + c[2]) * 3u + c[3]) * 3u + c[4];
  return static_cast<uint8_t>((v * 256u + 242u) / 243u);
}
inline uint8_t t1_decode_digit(uint8_t byte, int i) {
  static constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const uint8_t x = static_cast<uint8_t>(byte * kPow3[i]);  // mod 256
  return static_cast<uint8_t>((x * 3u) >> 8);
}

// Which packed layout a TernaryMatrix holds.
enum class TernaryFormat : uint8_t { T2, T1 };
const char* ternary_format_name(TernaryFormat f);  // "TERN_T2", "TERN_T1"

// A view of a packed ternary matrix: rows x k weights, zero-copy from the mapped file or
// from a one-time repack.
struct TernaryMatrix {
  const uint8_t* data = nullptr;  // rows * ternary_row_bytes(*this) bytes, 32-byte aligned ideally
  int64_t rows = 0;
  int64_t k = 0;
  TernaryFormat format = TernaryFormat::T2;
};
inline int64_t ternary_row_bytes(TernaryFormat f, int64_t k) {
  return f == TernaryFormat::T1 ? t1_row_bytes(k) : t2_row_bytes(k);
}

// Packs ternary values t (row-major rows x k, each -1/0/+1) into the TERN_T2 layout.
std::vector<uint8_t> pack_t2(const int8_t* t, int64_t rows, int64_t k);
// Reads back one weight (tests, converters).
int8_t t2_get(const TernaryMatrix& w, int64_t row, int64_t col);
// TERN_T1 packing (rows x k trits -> rows * t1_row_bytes(k) bytes; throws tern::Error on a
// value outside -1..1), its inverse, and one weight.
std::vector<uint8_t> pack_t1(const int8_t* t, int64_t rows, int64_t k);
std::vector<int8_t> unpack_t1(const TernaryMatrix& w);
int8_t t1_get(const TernaryMatrix& w, int64_t row, int64_t col);

// ---- activations --------------------------------------------------------------------
// Per-token absmax quantization, exactly the reference's float32 semantics:
//   s = 127.0f * (1.0f / max(absmax, 1e-5f));  q = clamp(round_half_even(x * s), -128, 127)
// (HF writes 127 / absmax; PyTorch computes it as a reciprocal times 127, two roundings:
// ../shared/golden/README.md "Erratum". One IEEE division differs in the last bit for ~25%
// of absmax values, which flips an int8 value only when x * s is within an ulp of a tie.)
// Writes n int8 values and zero-fills q[n..padded_n). Returns s.
// The plain C++ definition (the specification the SIMD versions are tested against); the
// forward pass runs its Backend's quantize entry (backend.h), bit-identical to this.
float quantize_row_i8_scalar(const float* x, int64_t n, int64_t padded_n, int8_t* q);

// Activations prepared for a kernel: the int8 rows (padded to the weight's Kp), plus
// whatever per-token data the kernel needs (sums for multiply-add kernels that compute
// with codes t+1, lookup tables for LUT kernels). Built once per token per input vector,
// shared by all matrices that consume the same input (q/k/v, gate/up).
struct PreparedActs {
  int64_t n_tokens = 0;
  int64_t kp = 0;               // padded row length
  const int8_t* q = nullptr;    // n_tokens x kp
  std::vector<int32_t> sums;    // per token: sum of q
  std::vector<uint8_t> extra;   // kernel-specific (e.g. lookup tables), 64-byte aligned use
};

// ---- one implementation -------------------------------------------------------------
struct Kernel {
  const char* name;         // "scalar", "avx2-mad", "avx-vnni", "neon-dotprod", "neon-i8mm", ... (all_kernels())
  const char* description;  // one line for `tern info --kernels`
  bool (*supported)();      // can this CPU run it?
  int priority;             // higher wins at dispatch among supported kernels

  // Fills acts.sums / acts.extra for n_tokens rows of q (stride kp).
  void (*prepare)(PreparedActs& acts);
  // y[t * ldy + r] for t in [0, acts.n_tokens), r in [row_begin, row_end).
  // Requires acts.kp == t2_padded_k(w.k). Weight code 3 (never written by pack_t2) is
  // invalid input: loaders must reject it; kernels give unspecified (but safe) results.
  void (*matmul)(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                 int64_t row_begin, int64_t row_end);

  // Rows per tile: row ranges that start at multiples of this waste no work.
  int row_tile = 1;
  // The CPU feature supported() checks, for messages: "AVX2", "NEON", "NEON dotprod".
  const char* needs = "";
  // The same contract as matmul for a TERN_T1 matrix (w.format == T1), using the same
  // prepared activations (q and sums). nullptr: this kernel has no T1 code and the scalar
  // T1 kernel runs instead (matmul_rows / matmul_threaded pick; `tern info --kernels` says).
  void (*matmul_t1)(const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                    int64_t row_begin, int64_t row_end) = nullptr;
};

// kernel's matmul for w.format (T1 without kernel.matmul_t1: the scalar T1 kernel) on
// rows [row_begin, row_end). Every caller of a kernel goes through this or matmul_threaded.
void matmul_rows(const Kernel& kernel, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y,
                 int64_t ldy, int64_t row_begin, int64_t row_end);
// The name of the code that runs `kernel` on `format`: kernel.name, or "scalar" for T1
// on a kernel without T1 code.
const char* kernel_name_for(const Kernel& kernel, TernaryFormat format);

// Runs kernel.matmul over all rows of w, split across `pool` (nullptr: this thread) in
// chunks aligned to kernel.row_tile. Throws tern::Error if acts.kp does not match w.k.
void matmul_threaded(const Kernel& kernel, const TernaryMatrix& w, const PreparedActs& acts,
                     int32_t* y, int64_t ldy, ThreadPool* pool);

// Every kernel compiled into this binary (supported or not), best first.
const std::vector<const Kernel*>& all_kernels();
// The ternary entry of select_backend_from_env() (backend.h): TERN_KERNEL's kernel if it
// names one (throws tern::Error if a name is unknown or not supported here), else the
// highest-priority supported kernel. `why` says which and why.
const Kernel& select_kernel(std::string* why = nullptr);
// Forces a kernel by name (CLI --kernel); throws tern::Error if unknown or unsupported.
const Kernel& kernel_by_name(const std::string& name);
// A kernel by name if compiled in (supported or not), else nullptr (tests, benchmarks).
const Kernel* find_kernel(const std::string& name);

}  // namespace tern::kernels
