// What `tern info` reports about a GGUF file, as data: architecture, hyper-parameters
// ("<arch>.*" keys), a tokenizer summary, the chat template's presence, the remaining
// metadata, and tensor totals per type. Printing (text or JSON) lives in tools/cmd_info.cpp;
// anything else that wants to describe a file (tests, other tools) can reuse this.
// Never throws on odd-but-valid files: a wrong-typed tokenizer key is simply listed under
// `other` instead of being summarized.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"

namespace tern::gguf {

struct TokenizerSummary {
  bool present = false;        // tokenizer.ggml.model or tokens exist
  std::string model;           // tokenizer.ggml.model ("gpt2", "llama", ...)
  std::string pre;             // tokenizer.ggml.pre
  uint64_t vocab_size = 0;     // length of tokenizer.ggml.tokens
  uint64_t merges = 0;         // length of tokenizer.ggml.merges
  std::optional<uint64_t> bos, eos, eot;
};

struct TypeTotal {
  TensorType type;
  uint64_t tensors = 0;
  uint64_t elements = 0;
  uint64_t bytes = 0;
  double bits_per_weight() const { return elements == 0 ? 0.0 : 8.0 * double(bytes) / double(elements); }
};

struct Summary {
  std::string architecture;             // general.architecture, "" if absent
  std::vector<const KeyValue*> hparams;  // keys starting with "<architecture>.", file order
  TokenizerSummary tokenizer;
  bool has_chat_template = false;
  uint64_t chat_template_length = 0;    // bytes
  std::vector<const KeyValue*> other;   // every key not summarized above, file order
  std::vector<TypeTotal> by_type;       // in order of first appearance
  uint64_t n_tensors = 0, total_bytes = 0, total_elements = 0;
};

// Pointers in the result point into `f`, which must outlive it.
Summary summarize(const File& f);

// A value for humans: numbers and bools as text, strings as-is (cut to max_string bytes
// with "..." appended), arrays as "<elem type>[count]" (e.g. "string[1000]", "array[3]").
std::string describe_value(const Value& v, size_t max_string = 80);
// "[2560, 6912]" (ggml order: dims[0] first).
std::string shape_string(std::span<const uint64_t> dims);

}  // namespace tern::gguf
