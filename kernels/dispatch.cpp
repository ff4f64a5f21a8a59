// The ternary kernels: the list compiled in, lookup by name, and the matmul drivers. Which
// kernel runs is the backend table's ternary entry (backend.cpp), chosen with the other
// entries from the CPU's features or forced with TERN_KERNEL / --kernel.
#include <algorithm>
#include <string>

#include "kernels/backend.h"
#include "kernels/kernel_impls.h"
#include "runtime/thread_pool.h"
#include "tern/error.h"

namespace tern::kernels {
namespace {

std::string names(bool only_supported) {
  std::string s;
  for (const Kernel* k : all_kernels()) {
    if (only_supported && !k->supported()) continue;
    if (!s.empty()) s += ", ";
    s += k->name;
  }
  return s;
}

}  // namespace

const Kernel& checked_kernel(const std::string& name, const std::string& origin) {
  const Kernel* k = find_kernel(name);
  if (k == nullptr) {
    throw Error(origin + ": unknown kernel '" + name + "'; kernels that run on this CPU: " + names(true) +
                " (compiled in: " + names(false) + ")");
  }
  if (!k->supported()) {
    throw Error(origin + ": kernel '" + name + "' needs " + k->needs +
                ", which this CPU lacks; kernels that run here: " + names(true));
  }
  return *k;
}

const std::vector<const Kernel*>& all_kernels() {
  static const std::vector<const Kernel*> kernels = [] {
    std::vector<const Kernel*> v = {
#if defined(TERN_ARCH_X86)
        &kAmxInt8Kernel, &kAvx512VnniKernel, &kAvxVnniKernel, &kAvx2MadKernel, &kAvx2LutKernel,
#endif
#if defined(TERN_ARCH_ARM)
        &kNeonI8mmKernel, &kNeonDotprodKernel, &kNeonMadKernel, &kNeonLutKernel,
#endif
        &kScalarKernel};
    std::stable_sort(v.begin(), v.end(), [](const Kernel* a, const Kernel* b) { return a->priority > b->priority; });
    return v;
  }();
  return kernels;
}

const Kernel* find_kernel(const std::string& name) {
  for (const Kernel* k : all_kernels()) {
    if (name == k->name) return k;
  }
  return nullptr;
}

const Kernel& kernel_by_name(const std::string& name) { return checked_kernel(name, "--kernel"); }

const Kernel& select_kernel(std::string* why) {
  const Backend b = select_backend_from_env();
  if (why != nullptr) *why = b.why_of(Entry::Ternary);
  return *b.ternary;
}

namespace {

// The kernel whose matmul_t1 serves `kernel` on TERN_T1: itself if it has T1 code, else the
// best supported kernel that has (T1 code reads only q and sums, which every prepare fills).
const Kernel& t1_provider(const Kernel& kernel) {
  if (kernel.matmul_t1 != nullptr) return kernel;
  for (const Kernel* k : all_kernels()) {
    if (k->matmul_t1 != nullptr && k->supported()) return *k;
  }
  return kScalarKernel;
}

}  // namespace

const char* kernel_name_for(const Kernel& kernel, TernaryFormat format) {
  return format == TernaryFormat::T1 ? t1_provider(kernel).name : kernel.name;
}

void matmul_rows(const Kernel& kernel, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y, int64_t ldy,
                 int64_t row_begin, int64_t row_end) {
  if (w.format == TernaryFormat::T1) {
    t1_provider(kernel).matmul_t1(w, acts, y, ldy, row_begin, row_end);
  } else {
    kernel.matmul(w, acts, y, ldy, row_begin, row_end);
  }
}

void matmul_threaded(const Kernel& kernel, const TernaryMatrix& w, const PreparedActs& acts, int32_t* y,
                     int64_t ldy, ThreadPool* pool) {
  if (acts.kp != t2_padded_k(w.k)) {
    throw Error(std::string("matmul (") + kernel.name + "): activations have padded length " +
                std::to_string(acts.kp) + " but the weight needs " + std::to_string(t2_padded_k(w.k)) +
                " (k = " + std::to_string(w.k) + ")");
  }
  if (static_cast<int64_t>(acts.sums.size()) < acts.n_tokens) {  // every prepare() fills sums
    throw Error(std::string("matmul (") + kernel.name + "): activations were not prepared (call kernel.prepare)");
  }
  if (acts.n_tokens > 1 && ldy < w.rows) {
    throw Error("matmul: output stride " + std::to_string(ldy) + " is smaller than the row count " +
                std::to_string(w.rows));
  }
  parallel_rows(pool, w.rows, kernel.row_tile,
                [&](int64_t begin, int64_t end) { matmul_rows(kernel, w, acts, y, ldy, begin, end); });
}

}  // namespace tern::kernels
