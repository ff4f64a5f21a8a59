// libFuzzer target for the GGUF parser: any byte string must either parse or throw
// tern::Error. A parsed file's views are then touched end to end, so ASan catches any view
// the validator let point outside the input.
#include <cstddef>
#include <cstdint>
#include <span>

#include "gguf/gguf_file.h"
#include "tern/error.h"

namespace {

// Walks a value tree so every string view is read (and nested arrays are traversed).
size_t touch(const tern::gguf::Value& v) {
  size_t sum = v.str.empty() ? 0 : static_cast<size_t>(v.str.front()) + static_cast<size_t>(v.str.back());
  for (const auto& item : v.items) sum += touch(item);
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto f = tern::gguf::File::parse(std::span<const uint8_t>(data, size), "fuzz.gguf");
    volatile size_t sink = 0;
    for (const auto& kv : f.metadata()) sink = sink + touch(kv.value) + kv.key.size();
    for (const auto& t : f.tensors()) sink = sink + t.data[0] + t.data[t.nbytes - 1] + t.n_elements();
    (void)f.get_string_opt("general.architecture");
  } catch (const tern::Error&) {
    // Rejected with a message: the expected outcome for most inputs.
  }
  return 0;
}
