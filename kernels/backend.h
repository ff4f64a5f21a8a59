// The backend table: which implementation runs each kind of work of the forward pass,
// chosen once, in one place (backend.cpp, the only code that reads the CPU's features or
// TERN_KERNEL to choose). A Model holds one Backend and every call site of src/model goes
// through it, so forcing an entry really changes what runs (impl_counter.h counts it).
//
// Entries (the names of the `entry=impl` syntax below; `tern info --kernels` lists them):
//   ternary    BitLinear matmul: the Kernel objects of ternary.h (scalar, avx2-mad, avx2-lut,
//              avx512-vnni, neon-mad, neon-dotprod, neon-lut, neon-i8mm)
//   quantize   per-token int8 activation quantization: scalar | avx2
//   attention  the attention tile's inner loops (attention.h): scalar | xsimd | avx2
//   float      RMSNorm, RoPE, ReLU²/SiLU gating, residual add: scalar | xsimd
//   head       F16 / BF16 lm_head GEMM rows: scalar | xsimd | avx2-f16c
//   q8head     Q8_0 lm_head rows (q8_head.h): scalar | avx2
// Every implementation of an entry gives the same bits as its scalar one, except the head
// GEMMs, whose avx2-f16c accumulation order (fused multiply-adds) differs by float rounding.
//
// A request (TERN_KERNEL=..., or ModelOptions::kernel / --kernel) is a comma list of items:
//   <kernel>        a ternary kernel by name; "scalar" forces EVERY entry to scalar (the
//                   all-scalar path: no SIMD code runs)
//   <entry>=<impl>  one entry, e.g. "attention=scalar,quantize=avx2"
// Later items win ("scalar,attention=avx2": all scalar but attention). Entries not named
// get the best implementation this CPU runs. Unknown or unsupported names throw tern::Error
// listing what runs here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/attention.h"
#include "kernels/q8_head.h"
#include "kernels/ternary.h"

namespace tern::kernels {

struct ImplCounter;

// Per-token int8 quantization (ternary.h, quantize_row_i8_scalar's contract).
struct QuantizeKernels {
  const char* name;
  float (*row)(const float* x, int64_t n, int64_t padded_n, int8_t* q);
};

// The float32 steps of the forward pass (float_ops.h has each contract).
struct FloatKernels {
  const char* name;
  void (*rmsnorm)(const float* x, const float* w, int64_t n, float eps, float* y);
  void (*rope_neox)(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row);
  void (*rope_adjacent)(float* x, int64_t n_heads, int64_t head_dim, const float* cos_row, const float* sin_row);
  void (*relu2_mul)(const float* gate, const float* up, float* out, int64_t n);
  void (*silu_mul)(float* gate, const float* up, int64_t n);
  void (*add_inplace)(float* y, const float* x, int64_t n);
};

// The F16 / BF16 lm_head (float_ops.h gemm_f16_f32_rows' contract).
struct HeadKernels {
  using Rows = void (*)(const uint16_t* w, int64_t k, const float* x, int64_t n_tokens, float* y, int64_t ldy,
                        int64_t row_begin, int64_t row_end);
  const char* name;
  Rows f16;
  Rows bf16;
};

// The Q8_0 lm_head (q8_head.h gemm_q8_0_rows' contract).
struct Q8HeadKernels {
  const char* name;
  void (*rows)(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts, int64_t n_tokens,
               float* y, int64_t ldy, int64_t r0, int64_t r1);
};

enum class Entry : int { Ternary, Quantize, Attention, Float, Head, Q8Head };
constexpr int kEntryCount = 6;
const char* entry_name(Entry e);  // "ternary", "quantize", ...

struct Backend {
  const Kernel* ternary = nullptr;
  const QuantizeKernels* quantize = nullptr;
  const AttentionKernels* attention = nullptr;
  const FloatKernels* float_ops = nullptr;
  const HeadKernels* head = nullptr;
  const Q8HeadKernels* q8_head = nullptr;
  std::array<std::string, kEntryCount> why;  // per Entry: why this implementation

  const char* impl_name(Entry e) const;
  const std::string& why_of(Entry e) const { return why[static_cast<size_t>(e)]; }
};

// The best implementation of every entry this CPU runs (no environment), chosen once.
const Backend& best_backend();
// Every entry scalar (what the request "scalar" gives): tests, references.
const Backend& scalar_backend();
// `request` as described above (empty: best_backend()). Errors start with `origin` (e.g.
// "--kernel"); forced entries' why is `forced_why` (e.g. "requested by name").
Backend select_backend(const std::string& request, const std::string& origin, const std::string& forced_why);
// TERN_KERNEL=<request> if set (origin and why "TERN_KERNEL=<request>"), else best_backend().
Backend select_backend_from_env();

// For `tern info --kernels`: every entry, its implementations compiled in, and the choice.
struct ImplInfo {
  std::string name;
  std::string description;
  std::string needs;  // CPU features, "nothing" for portable code
  bool supported = false;
};
struct EntryInfo {
  std::string entry;
  std::string description;
  std::vector<ImplInfo> impls;  // best first
  std::string chosen;
  std::string why;
};
std::vector<EntryInfo> describe_backend(const Backend& b);

// The attention implementations this CPU runs, best first (scalar last): tests, benchmarks.
int attention_kernel_count();
const AttentionKernels& attention_kernel(int i);

}  // namespace tern::kernels
