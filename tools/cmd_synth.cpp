// `tern synth`: a GGUF of random ternary weights in the exact shape of a real model of any
// family (BitNet 2B4T, 1bitLLM bitnet_b1_58-large/-3B, Llama3-8B-1.58, Falcon3-*-1.58bit) or
// any shape given, with a placeholder byte-level vocabulary, so `tern run` / `tern bench`
// work without downloading a model. The metadata and tensor list come from the one model
// writer convert uses (src/arch/model_writer.h); tensors are streamed one at a time (the
// Falcon3-10B file is ~4 GB; memory stays at one tensor).
//
//   tern synth -o /tmp/2b4t.gguf                         # 30 x 2560, ffn 6912, 20/5 heads, vocab 128256
//   tern synth -o /tmp/l8b.gguf --shape llama3-8b-1.58 --type i2_s
//   tern synth -o /tmp/t.gguf --shape tiny --type i2_s
//
// Weights: trits uniform over {-1, 0, +1}; one scale per tensor (a bf16 value in [0.5, 2));
// norms 1 + 0.1 N(0,1); token embedding (= tied lm_head) 0.5 N(0,1) in F16 (or, with
// --embd-type q8_0|q6_k|q4_0, the same values quantized: the lighter head). Every tensor's
// values come from a generator seeded by (seed, tensor index): same seed, same file.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "arch/family.h"
#include "arch/model_writer.h"
#include "gguf/bitnet_names.h"
#include "gguf/gguf_writer.h"
#include "hf/quantize_embd.h"
#include "hf/ternary_encode.h"
#include "runtime/timer.h"
#include "tern/convert.h"
#include "tern/error.h"
#include "tokenizer/byte_unicode.h"
#include "tools/command.h"

namespace tern::cli {
namespace {

namespace names = gguf::names;
using gguf::TensorType;

// A real model's shape and the family whose graph it uses (src/arch/family.cpp).
struct Shape {
  const char* name;
  const char* family;  // arch::HfFamily::id
  const char* model;   // the real checkpoint it mirrors
  int layers, hidden, ffn, heads, kv_heads, head_dim, vocab, ctx;
  double rope_theta, rms_eps;
  bool tied;
};

constexpr Shape kShapes[] = {
    {"2b4t", "bitnet-b1.58-2b4t", "microsoft/bitnet-b1.58-2B-4T", 30, 2560, 6912, 20, 5, 128, 128256, 4096, 500000.0, 1e-5, true},
    {"bitnet-large", "bitnet-1bitllm", "1bitLLM/bitnet_b1_58-large", 24, 1536, 4096, 16, 16, 96, 32002, 2048, 10000.0, 1e-5, true},
    {"bitnet-3b", "bitnet-1bitllm", "1bitLLM/bitnet_b1_58-3B", 26, 3200, 8640, 32, 32, 100, 32002, 2048, 10000.0, 1e-5, true},
    {"llama3-8b-1.58", "llama-bitnet", "HF1BitLLM/Llama3-8B-1.58-100B-tokens", 32, 4096, 14336, 32, 8, 128, 128256, 8192, 500000.0, 1e-5, false},
    {"falcon3-1b-1.58", "llama-bitnet", "tiiuae/Falcon3-1B-Instruct-1.58bit", 18, 2048, 8192, 8, 4, 256, 131072, 8192, 1000042.0, 1e-6, false},
    {"falcon3-3b-1.58", "llama-bitnet", "tiiuae/Falcon3-3B-Instruct-1.58bit", 22, 3072, 9216, 12, 4, 256, 131072, 4096, 1000042.0, 1e-6, false},
    {"falcon3-7b-1.58", "llama-bitnet", "tiiuae/Falcon3-7B-Instruct-1.58bit", 28, 3072, 23040, 12, 4, 256, 131072, 32768, 1000042.0, 1e-6, false},
    {"falcon3-10b-1.58", "llama-bitnet", "tiiuae/Falcon3-10B-Instruct-1.58bit", 40, 3072, 23040, 12, 4, 256, 131072, 32768, 1000042.0, 1e-6, false},
    {"tiny", "bitnet-b1.58-2b4t", "(none: a small test shape)", 2, 256, 768, 4, 1, 64, 1024, 4096, 500000.0, 1e-5, true},
};

std::string shape_names() {
  std::string out;
  for (const Shape& s : kShapes) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

struct SynthOptions {
  std::string output;
  std::string shape = "2b4t";
  int layers = 0, hidden = 0, ffn = 0, heads = 0, kv_heads = 0, head_dim = 0, vocab = 0, ctx = 0;
  uint64_t seed = 1;
  std::string type = "tern_t2";
  std::string embd_type = "f16";
};

// xorshift64*: fast enough for 2 billion trits, and reproducible.
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {
    if (s == 0) s = 1;
    for (int i = 0; i < 4; ++i) next();
  }
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }  // [0, 1)
  // Approximately N(0, 1): sum of four uniforms (Irwin-Hall), scaled to unit variance.
  float normal() { return (uniform() + uniform() + uniform() + uniform() - 2.0f) * 1.7320508f; }
};

uint16_t to_f16(float f) {  // round to nearest even; the values here are small and normal
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t abs = u & 0x7fffffffu;
  if (abs < 0x38800000u) return static_cast<uint16_t>(sign);  // below f16's normal range: 0
  uint32_t v = abs - 0x38000000u;
  const uint32_t rem = v & 0x1fffu;
  v >>= 13;
  if (rem > 0x1000u || (rem == 0x1000u && (v & 1u))) ++v;
  return static_cast<uint16_t>(sign | (v > 0x7bffu ? 0x7bffu : v));
}

// GPT-2's byte -> unicode alphabet, in its token order (printable bytes first).
std::vector<std::string> byte_tokens() {
  std::vector<std::string> printable, others;  // a printable byte stands for itself
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<uint8_t>(b);
    (tok::byte_to_codepoint(byte) == byte ? printable : others)
        .push_back(tok::bytes_to_unicode_token(std::string(1, static_cast<char>(byte))));
  }
  printable.insert(printable.end(), others.begin(), others.end());
  return printable;
}

// Placeholder Llama-3-style vocabulary: 256 byte tokens, a few merges, fillers, and the
// last (up to) 256 ids as special tokens (<|begin_of_text|> first, <|eot_id|> at +9).
void write_vocab(gguf::Writer& w, int vocab) {
  std::vector<std::string> tokens = byte_tokens();
  std::vector<int32_t> types(tokens.size(), 1);
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"Ġ", "t"}, {"Ġ", "a"}, {"h", "e"}, {"i", "n"}, {"t", "h"}, {"e", "r"}, {"o", "n"}, {"a", "n"}};
  std::vector<std::string> merge_strings;
  for (const auto& [a, b] : merges) {
    tokens.push_back(a + b);
    types.push_back(1);
    merge_strings.push_back(a + " " + b);
  }
  const int n_special = std::min(256, vocab - static_cast<int>(tokens.size()) - 8);
  if (n_special < 10) throw Error("--vocab " + std::to_string(vocab) + " is too small (at least 282)");
  const int first_special = vocab - n_special;
  for (int i = static_cast<int>(tokens.size()); i < first_special; ++i) {
    tokens.push_back("<|filler_" + std::to_string(i) + "|>");
    types.push_back(5);  // unused
  }
  int reserved = 0;
  for (int i = 0; i < n_special; ++i) {
    std::string name;
    switch (i) {
      case 0: name = "<|begin_of_text|>"; break;
      case 1: name = "<|end_of_text|>"; break;
      case 6: name = "<|start_header_id|>"; break;
      case 7: name = "<|end_header_id|>"; break;
      case 9: name = "<|eot_id|>"; break;
      default: name = "<|reserved_special_token_" + std::to_string(reserved++) + "|>";
    }
    tokens.push_back(name);
    types.push_back(3);  // control
  }
  w.set_string(names::kTokModel, "gpt2");
  w.set_string(names::kTokPre, "llama-bpe");
  w.set_string_array(names::kTokTokens, tokens);
  w.set_i32_array(names::kTokTokenType, types);
  w.set_string_array(names::kTokMerges, merge_strings);
  w.set_u32(names::kTokBos, static_cast<uint32_t>(first_special));
  w.set_u32(names::kTokEos, static_cast<uint32_t>(first_special + 1));
  w.set_u32(names::kTokEot, static_cast<uint32_t>(first_special + 9));
  w.set_bool(names::kTokAddBos, true);
}

int run(const SynthOptions& o) {
  Stopwatch sw;
  const Shape* base = nullptr;
  for (const Shape& sh : kShapes) {
    if (o.shape == sh.name) base = &sh;
  }
  if (base == nullptr) throw Error("--shape: '" + o.shape + "' (expected one of " + shape_names() + ")");
  Shape s = *base;
  if (o.layers) s.layers = o.layers;
  if (o.hidden) s.hidden = o.hidden;
  if (o.ffn) s.ffn = o.ffn;
  if (o.heads) s.heads = o.heads;
  if (o.kv_heads) s.kv_heads = o.kv_heads;
  if (o.vocab) s.vocab = o.vocab;
  if (o.ctx) s.ctx = o.ctx;
  // A changed hidden size or head count keeps head_dim = hidden / heads unless given.
  if (o.head_dim) {
    s.head_dim = o.head_dim;
  } else if (o.hidden || o.heads) {
    if (s.hidden % s.heads != 0) throw Error("--hidden must be a multiple of --heads (or give --head-dim)");
    s.head_dim = s.hidden / s.heads;
  }
  if (s.head_dim % 2 != 0) throw Error("the head dimension must be even (RoPE)");
  if (s.heads % s.kv_heads != 0) throw Error("--heads must be a multiple of --kv-heads");
  const arch::HfFamily* fam = nullptr;
  for (const arch::HfFamily& f : arch::hf_families()) {
    if (std::string(f.id) == s.family) fam = &f;
  }
  const WeightType wt = parse_weight_type(o.type);
  const EmbdType et = parse_embd_type(o.embd_type);
  if (et == EmbdType::F32) throw Error("--embd-type: f32 is not offered by synth (f16, q8_0, q6_k, q4_0)");
  const bool tq = wt == WeightType::TQ2_0 || wt == WeightType::TQ1_0;

  arch::ModelDescription d;
  d.arch = arch::find_gguf_arch(tq ? fam->gguf_arch_tq : fam->gguf_arch);
  if (d.arch->sub_norms && s.heads * s.head_dim != s.hidden) {
    throw Error("--shape " + o.shape + ": heads x head_dim must equal hidden for a family with sub-norms");
  }
  d.name = "tern-synth-" + o.shape;
  d.converted_from = "tern synth --shape " + o.shape + " (random ternary weights in the shape of " + s.model +
                     ", seed " + std::to_string(o.seed) + ")";
  d.vocab = s.vocab;
  d.context = s.ctx;
  d.embd = s.hidden;
  d.layers = s.layers;
  d.ff = s.ffn;
  d.heads = s.heads;
  d.heads_kv = s.kv_heads;
  d.head_dim = s.head_dim;
  d.rms_eps = s.rms_eps;
  d.rope_theta = s.rope_theta;
  d.activation = fam->activation;
  d.tied_head = s.tied;
  d.ternary_type = hf::tensor_type_of(wt);
  d.embd_type = hf::tensor_type_of(et);
  for (int cols : {s.hidden, s.heads * s.head_dim, s.ffn}) {
    if (!hf::ternary_type_fits(d.ternary_type, cols)) {
      throw Error("--type " + o.type + " cannot hold rows of " + std::to_string(cols) + " elements (shape " + o.shape +
                  "); use tern_t2 or tern_t1");
    }
  }
  const std::vector<arch::PlannedTensor> plan = arch::plan_model_tensors(d);
  gguf::Writer w(o.output);
  arch::write_model_metadata(w, d);
  write_vocab(w, s.vocab);
  arch::declare_model_tensors(w, plan);
  const TensorType etype = d.embd_type, ttype = d.ternary_type;

  uint64_t bytes = 0;
  std::vector<uint8_t> buf;
  using Kind = arch::PlannedTensor::Kind;
  for (size_t i = 0; i < plan.size(); ++i) {
    const arch::PlannedTensor& sp = plan[i];
    Rng rng(o.seed * 1000003ull + i);
    buf.clear();
    if (sp.kind == Kind::Embedding || sp.kind == Kind::Head) {
      // Stream in chunks of rows: the 2B4T table alone is 656 MB.
      const int64_t chunk = 1024;
      for (int64_t r0 = 0; r0 < sp.rows; r0 += chunk) {
        const int64_t n = std::min(chunk, sp.rows - r0);
        if (etype == TensorType::F16) {
          buf.resize(static_cast<size_t>(n * sp.cols * 2));
          uint16_t* h = reinterpret_cast<uint16_t*>(buf.data());
          for (int64_t j = 0; j < n * sp.cols; ++j) h[j] = to_f16(0.5f * rng.normal());
        } else {  // the same draws, quantized row by row
          const uint64_t rb = hf::embd_row_bytes(etype, sp.cols, "--embd-type");
          buf.resize(static_cast<size_t>(n) * rb);
          std::vector<float> row(static_cast<size_t>(sp.cols));
          for (int64_t j = 0; j < n; ++j) {
            for (float& v : row) v = 0.5f * rng.normal();
            hf::quantize_embd_row(etype, row.data(), sp.cols, buf.data() + j * rb, nullptr);
          }
        }
        w.write_tensor_data(sp.name, buf);
        bytes += buf.size();
      }
      continue;
    }
    if (sp.kind == Kind::Norm) {
      std::vector<float> v(static_cast<size_t>(sp.cols));
      for (float& x : v) x = 1.0f + 0.1f * rng.normal();
      w.write_tensor_data(sp.name, std::span(reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4));
      bytes += v.size() * 4;
      continue;
    }
    if (sp.kind != Kind::Ternary) throw Error("internal error: synth cannot fill tensor " + sp.name);
    hf::TernaryWeight tw;
    tw.rows = sp.rows;
    tw.cols = sp.cols;
    tw.trits.resize(static_cast<size_t>(sp.rows * sp.cols));
    for (size_t j = 0; j < tw.trits.size(); j += 4) {  // four trits per 64-bit draw
      uint64_t r = rng.next();
      for (size_t q = 0; q < 4 && j + q < tw.trits.size(); ++q, r >>= 16) {
        tw.trits[j + q] = static_cast<int8_t>(static_cast<int>(((r & 0xffff) * 3) >> 16) - 1);
      }
    }
    // Multiplying scale in [0.5, 2) rounded to bf16; weight_scale (divides) is its inverse.
    const float scale = 0.5f + 1.5f * rng.uniform();
    uint32_t u;
    std::memcpy(&u, &scale, 4);
    u &= 0xffff0000u;
    float scale_bf16;
    std::memcpy(&scale_bf16, &u, 4);
    tw.weight_scale = 1.0f / scale_bf16;
    hf::encode_ternary(tw, ttype, sp.name, buf);
    w.write_tensor_data(sp.name, buf);
    bytes += buf.size();
  }
  w.finish();
  std::fprintf(stderr, "tern synth: %s: %s (%s, arch %s): %d layers, hidden %d, ffn %d, heads %d/%d x %d, vocab %d, "
               "%s head, %s weights, %.1f MB of tensors in %.1f s\n",
               o.output.c_str(), o.shape.c_str(), fam->id, d.arch->name, s.layers, s.hidden, s.ffn, s.heads, s.kv_heads,
               s.head_dim, s.vocab, s.tied ? "tied" : "untied", o.type.c_str(), static_cast<double>(bytes) / 1e6,
               sw.seconds());
  return 0;
}

const bool registered = register_command({"synth", "Write a random-ternary model of a given shape (for benchmarks)",
    [](CLI::App& sub) {
      auto o = std::make_shared<SynthOptions>();
      sub.add_option("-o,--output", o->output, "output GGUF file")->required();
      sub.add_option("--shape", o->shape, "base shape: " + shape_names() + " (default 2b4t)");
      sub.add_option("--layers", o->layers, "override: decoder layers")->check(CLI::Range(1, 1024));
      sub.add_option("--hidden", o->hidden, "override: hidden size")->check(CLI::Range(2, 1 << 16));
      sub.add_option("--ffn", o->ffn, "override: feed-forward size")->check(CLI::Range(1, 1 << 18));
      sub.add_option("--heads", o->heads, "override: attention heads")->check(CLI::Range(1, 1024));
      sub.add_option("--kv-heads", o->kv_heads, "override: key/value heads")->check(CLI::Range(1, 1024));
      sub.add_option("--head-dim", o->head_dim, "override: head dimension (default hidden / heads)")->check(CLI::Range(2, 4096));
      sub.add_option("--vocab", o->vocab, "override: vocabulary size")->check(CLI::Range(282, 1 << 22));
      sub.add_option("--ctx", o->ctx, "override: context length (default 4096)")->check(CLI::Range(1, 1 << 24));
      sub.add_option("--seed", o->seed, "random seed");
      sub.add_option("--embd-type", o->embd_type, "token embedding / tied lm_head type: f16 (default), q8_0, q6_k, q4_0");
      sub.add_option("--type", o->type, "ternary weight type: tern_t2 (default), tern_t1 (1.6-bit), i2_s, tq2_0, tq1_0");
      return [o] { return run(*o); };
    },
    90});

}  // namespace
}  // namespace tern::cli
