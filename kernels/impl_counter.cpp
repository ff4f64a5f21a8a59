// The implementation counters (impl_counter.h), all in one file without ISA flags.
#include "kernels/impl_counter.h"

namespace tern::kernels {
namespace counters {

#define TERN_DEFINE_COUNTER(var, entry, impl, simd) ImplCounter var{entry, impl, simd};
TERN_IMPL_COUNTERS(TERN_DEFINE_COUNTER)
#undef TERN_DEFINE_COUNTER

}  // namespace counters

const std::vector<ImplCounter*>& all_impl_counters() {
#define TERN_COUNTER_ADDRESS(var, entry, impl, simd) &counters::var,
  static const std::vector<ImplCounter*> all = {TERN_IMPL_COUNTERS(TERN_COUNTER_ADDRESS)};
#undef TERN_COUNTER_ADDRESS
  return all;
}

void reset_impl_counters() {
  for (ImplCounter* c : all_impl_counters()) c->calls.store(0, std::memory_order_relaxed);
}

}  // namespace tern::kernels
