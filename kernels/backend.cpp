// The backend table (backend.h): every implementation of every entry, what each needs, and
// the choice. The only code that reads the CPU's features (runtime/cpu_features) or
// TERN_KERNEL to choose; compiled without ISA flags, so nothing here runs SIMD code before
// the check.
#include "kernels/backend.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/attention_impls.h"
#include "kernels/float_ops.h"
#include "kernels/float_ops_impls.h"
#include "kernels/impl_counter.h"
#include "kernels/kernel_impls.h"
#include "runtime/cpu_features.h"
#include "tern/error.h"

namespace tern::kernels {

bool cpu_runs_portable() { return true; }
bool cpu_runs_avx2() { return cpu_features().avx2; }
bool cpu_runs_avx2_f16c() { return cpu_features().avx2 && cpu_features().f16c; }
bool cpu_runs_avx2_fma_f16c() { return cpu_features().avx2_fma_f16c(); }
bool cpu_runs_avx512_vnni() {
  const CpuFeatures& f = cpu_features();
  return f.avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni;
}
bool cpu_runs_avx2_avxvnni() { return cpu_features().avx2 && cpu_features().avxvnni; }
bool cpu_runs_amx_int8() { return cpu_runs_avx512_vnni() && cpu_features().amx_int8; }
bool cpu_runs_neon() { return cpu_features().neon; }
bool cpu_runs_dotprod() { return cpu_features().dotprod; }
bool cpu_runs_dotprod_i8mm() { return cpu_features().dotprod && cpu_features().i8mm; }

namespace {

// ---- the implementations ------------------------------------------------------------------
const QuantizeKernels kQuantizeScalar = {"scalar", quantize_row_i8_scalar};
const AttentionKernels kAttentionScalar = {"scalar", attention_qk_scalar, attention_pv_scalar,
                                           attention_f16_rows_scalar, &counters::attention_scalar};
#if defined(__aarch64__)
const AttentionKernels kAttentionXsimd = {"xsimd", attention_qk_xsimd, attention_pv_xsimd, attention_f16_rows_neon,
                                          &counters::attention_xsimd};
#else  // x86-64's baseline has no half conversion instruction (F16C comes with AVX2 here)
const AttentionKernels kAttentionXsimd = {"xsimd", attention_qk_xsimd, attention_pv_xsimd, attention_f16_rows_scalar,
                                          &counters::attention_xsimd};
#endif
const FloatKernels kFloatScalar = {"scalar",         rmsnorm_scalar, rope_neox_scalar, rope_adjacent,
                                   relu2_mul_scalar, silu_mul,       add_inplace_scalar};
const FloatKernels kFloatXsimd = {"xsimd", rmsnorm, rope_neox, rope_adjacent, relu2_mul, silu_mul, add_inplace};
const HeadKernels kHeadScalar = {"scalar", gemm_f16_f32_rows_scalar, gemm_bf16_f32_rows_scalar};
const HeadKernels kHeadXsimd = {"xsimd", gemm_f16_f32_rows_generic, gemm_bf16_f32_rows_generic};
const Q8HeadKernels kQ8HeadScalar = {"scalar", gemm_q8_0_rows_scalar};
#if defined(TERN_ARCH_X86)
const QuantizeKernels kQuantizeAvx2 = {"avx2", quantize_row_i8_avx2};
const AttentionKernels kAttentionAvx2 = {"avx2", attention_qk_avx2, attention_pv_avx2, attention_f16_rows_f16c,
                                         &counters::attention_avx2};
const HeadKernels kHeadAvx2 = {"avx2-f16c", gemm_f16_f32_rows_avx2, gemm_bf16_f32_rows_avx2};
const Q8HeadKernels kQ8HeadAvx2 = {"avx2", gemm_q8_0_rows_avx2};
#endif

// One implementation of an entry, as the table lists it.
struct Option {
  const char* name;
  const void* impl;     // the entry's struct (Kernel, QuantizeKernels, ...)
  const char* needs;    // CPU features, "nothing" for portable code
  bool (*supported)();  // can this CPU run it?
  const char* description;
};

struct EntryDef {
  Entry entry;
  const char* description;
  std::vector<Option> options;  // best first; the portable scalar one is always there
};

const std::vector<EntryDef>& entry_defs() {
  static const std::vector<EntryDef> defs = [] {
    std::vector<EntryDef> d;
    EntryDef ternary{Entry::Ternary, "BitLinear matmul: int8 activations x ternary weights, exact int32", {}};
    for (const Kernel* k : all_kernels()) ternary.options.push_back({k->name, k, k->needs, k->supported, k->description});
    d.push_back(ternary);
    d.push_back({Entry::Quantize, "per-token int8 absmax quantization of BitLinear inputs", {
#if defined(TERN_ARCH_X86)
        {"avx2", &kQuantizeAvx2, "AVX2", cpu_runs_avx2, "AVX2, bit-identical to scalar"},
#endif
        {"scalar", &kQuantizeScalar, "nothing", cpu_runs_portable, "plain C++ (the specification)"}}});
    d.push_back({Entry::Attention, "attention tile: q.k dots, softmax, p.v sums over the KV cache", {
#if defined(TERN_ARCH_X86)
        {"avx2", &kAttentionAvx2, "AVX2 + F16C", cpu_runs_avx2_f16c, "AVX2 (+ F16C for f16 KV rows), bit-identical to scalar"},
#endif
        {"xsimd", &kAttentionXsimd, "nothing", cpu_runs_portable, "xsimd at the baseline ISA (SSE2 / NEON), bit-identical to scalar"},
        {"scalar", &kAttentionScalar, "nothing", cpu_runs_portable, "plain C++ (the specification)"}}});
    d.push_back({Entry::Float, "RMSNorm, RoPE, ReLU²/SiLU gating, residual add", {
        {"xsimd", &kFloatXsimd, "nothing", cpu_runs_portable, "xsimd at the baseline ISA (SSE2 / NEON)"},
        {"scalar", &kFloatScalar, "nothing", cpu_runs_portable, "plain C++, bit-identical to xsimd"}}});
    d.push_back({Entry::Head, "F16 / BF16 lm_head GEMM (the tied embedding)", {
#if defined(TERN_ARCH_X86)
        {"avx2-f16c", &kHeadAvx2, "AVX2 + FMA + F16C", cpu_runs_avx2_fma_f16c,
         "AVX2 + F16C + FMA, one row stream at a time (fused multiply-adds: within rounding of the others)"},
#endif
        {"xsimd", &kHeadXsimd, "nothing", cpu_runs_portable, "xsimd at the baseline ISA (SSE2 / NEON)"},
        {"scalar", &kHeadScalar, "nothing", cpu_runs_portable, "plain C++, bit-identical to xsimd"}}});
    d.push_back({Entry::Q8Head, "Q8_0 lm_head GEMM (tern's light head)", {
#if defined(TERN_ARCH_X86)
        {"avx2", &kQ8HeadAvx2, "AVX2 + FMA + F16C", cpu_runs_avx2_fma_f16c, "AVX2 + FMA + F16C"},
#endif
        {"scalar", &kQ8HeadScalar, "nothing", cpu_runs_portable, "plain C++ (the reference)"}}});
    return d;
  }();
  return defs;
}

const EntryDef& def_of(Entry e) { return entry_defs()[static_cast<size_t>(e)]; }

std::string option_names(const EntryDef& d, bool only_supported) {
  std::string s;
  for (const Option& o : d.options) {
    if (only_supported && !o.supported()) continue;
    s += std::string(s.empty() ? "" : ", ") + o.name;
  }
  return s;
}

const Option& scalar_option(const EntryDef& d) { return d.options.back(); }

// The best option this CPU runs, and why (the better ones it skipped and what they need).
const Option& best_option(const EntryDef& d, std::string* why) {
  std::string skipped;
  for (const Option& o : d.options) {  // best first
    if (!o.supported()) {
      skipped += std::string(skipped.empty() ? "" : ", ") + o.name + " needs " + o.needs;
      continue;
    }
    const std::string present = std::string(o.needs) == "nothing" ? "portable" : std::string(o.needs) + " present";
    *why = std::string(o.name) + ": " + present + ", highest priority" +
           (skipped.empty() ? std::string() : " this CPU supports (" + skipped + ")");
    return o;
  }
  return scalar_option(d);  // unreachable: scalar is always supported
}

const Option& checked_option(const EntryDef& d, const std::string& impl, const std::string& origin) {
  const std::string entry = entry_name(d.entry);
  for (const Option& o : d.options) {
    if (impl != o.name) continue;
    if (!o.supported()) {
      throw Error(origin + ": " + entry + " implementation '" + impl + "' needs " + o.needs +
                  ", which this CPU lacks; " + entry + " implementations that run here: " + option_names(d, true));
    }
    return o;
  }
  throw Error(origin + ": unknown " + entry + " implementation '" + impl + "'; " + entry +
              " implementations that run on this CPU: " + option_names(d, true) + " (compiled in: " +
              option_names(d, false) + ")");
}

void set(Backend& b, Entry e, const void* impl) {
  switch (e) {
    case Entry::Ternary: b.ternary = static_cast<const Kernel*>(impl); return;
    case Entry::Quantize: b.quantize = static_cast<const QuantizeKernels*>(impl); return;
    case Entry::Attention: b.attention = static_cast<const AttentionKernels*>(impl); return;
    case Entry::Float: b.float_ops = static_cast<const FloatKernels*>(impl); return;
    case Entry::Head: b.head = static_cast<const HeadKernels*>(impl); return;
    case Entry::Q8Head: b.q8_head = static_cast<const Q8HeadKernels*>(impl); return;
  }
}

using Forced = std::array<const Option*, kEntryCount>;

Backend resolve(const Forced& forced, const std::string& forced_why) {
  Backend b;
  for (const EntryDef& d : entry_defs()) {
    const auto i = static_cast<size_t>(d.entry);
    const Option* o = forced[i];
    if (o != nullptr) {
      b.why[i] = forced_why;
    } else {
      o = &best_option(d, &b.why[i]);
    }
    set(b, d.entry, o->impl);
  }
  return b;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), z = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, z - a + 1);
}

}  // namespace

const char* entry_name(Entry e) {
  static constexpr const char* kNames[kEntryCount] = {"ternary", "quantize", "attention", "float", "head", "q8head"};
  return kNames[static_cast<size_t>(e)];
}

const char* Backend::impl_name(Entry e) const {
  switch (e) {
    case Entry::Ternary: return ternary->name;
    case Entry::Quantize: return quantize->name;
    case Entry::Attention: return attention->name;
    case Entry::Float: return float_ops->name;
    case Entry::Head: return head->name;
    case Entry::Q8Head: return q8_head->name;
  }
  return "";
}

const Backend& best_backend() {
  static const Backend b = resolve(Forced{}, "");
  return b;
}

const Backend& scalar_backend() {
  static const Backend b = select_backend("scalar", "scalar_backend", "every entry scalar");
  return b;
}

Backend select_backend(const std::string& request, const std::string& origin, const std::string& forced_why) {
  if (request.empty()) return best_backend();
  Forced forced{};
  size_t start = 0;
  while (start <= request.size()) {
    const size_t comma = request.find(',', start);
    const std::string item = trim(request.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    start = comma == std::string::npos ? request.size() + 1 : comma + 1;
    if (item.empty()) throw Error(origin + ": empty item in '" + request + "' (give kernel names or entry=impl)");
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {  // a ternary kernel; "scalar" means every entry
      const Kernel& k = checked_kernel(item, origin);
      if (item == "scalar") {
        for (const EntryDef& d : entry_defs()) forced[static_cast<size_t>(d.entry)] = &scalar_option(d);
      }
      for (const Option& o : def_of(Entry::Ternary).options) {
        if (o.impl == &k) forced[static_cast<size_t>(Entry::Ternary)] = &o;
      }
      continue;
    }
    const std::string entry = trim(item.substr(0, eq)), impl = trim(item.substr(eq + 1));
    const EntryDef* def = nullptr;
    std::string entries;
    for (const EntryDef& d : entry_defs()) {
      if (entry == entry_name(d.entry)) def = &d;
      entries += std::string(entries.empty() ? "" : ", ") + entry_name(d.entry);
    }
    if (def == nullptr) throw Error(origin + ": unknown backend entry '" + entry + "'; entries: " + entries);
    forced[static_cast<size_t>(def->entry)] = &checked_option(*def, impl, origin);
  }
  return resolve(forced, forced_why);
}

Backend select_backend_from_env() {
  const char* v = std::getenv("TERN_KERNEL");
  if (v == nullptr || *v == '\0') return best_backend();
  const std::string origin = std::string("TERN_KERNEL=") + v;
  return select_backend(v, origin, origin);
}

std::vector<EntryInfo> describe_backend(const Backend& b) {
  std::vector<EntryInfo> out;
  for (const EntryDef& d : entry_defs()) {
    EntryInfo e;
    e.entry = entry_name(d.entry);
    e.description = d.description;
    for (const Option& o : d.options) e.impls.push_back({o.name, o.description, o.needs, o.supported()});
    e.chosen = b.impl_name(d.entry);
    e.why = b.why_of(d.entry);
    out.push_back(std::move(e));
  }
  return out;
}

int attention_kernel_count() {
  int n = 0;
  for (const Option& o : def_of(Entry::Attention).options) n += o.supported() ? 1 : 0;
  return n;
}

const AttentionKernels& attention_kernel(int i) {
  for (const Option& o : def_of(Entry::Attention).options) {
    if (o.supported() && i-- == 0) return *static_cast<const AttentionKernels*>(o.impl);
  }
  throw Error("attention_kernel: index out of range");
}

void gemm_q8_0_rows(Q8Head mode, const uint8_t* w, int64_t k, const float* x, const uint8_t* acts, int64_t n_tokens,
                    float* y, int64_t ldy, int64_t r0, int64_t r1) {
  best_backend().q8_head->rows(mode, w, k, x, acts, n_tokens, y, ldy, r0, r1);
}

}  // namespace tern::kernels
