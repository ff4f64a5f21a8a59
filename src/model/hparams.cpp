// Hyper-parameters of a ternary GGUF. What an arch string means (sub-norms, default
// activation, RoPE pairing) is a row of src/arch/family.cpp; this file reads the keys.
#include <cmath>
#include <string>

#include "arch/family.h"
#include "arch/rope.h"
#include "gguf/bitnet_names.h"
#include "model/model_data.h"
#include "tern/error.h"

namespace tern {
namespace model {

namespace names = gguf::names;

namespace {

int64_t positive(const gguf::File& f, const std::string& key, uint64_t v, uint64_t max) {
  if (v == 0 || v > max) {
    f.fail(key, "value " + std::to_string(v) + " is out of range (1.." + std::to_string(max) + ")");
  }
  return static_cast<int64_t>(v);
}

}  // namespace

ModelHParams read_hparams(const gguf::File& f, const ModelOptions& options) {
  ModelHParams hp;
  hp.arch = std::string(f.get_string(names::kGeneralArchitecture));
  const arch::GgufArch* ga = arch::find_gguf_arch(hp.arch);
  if (ga == nullptr) {
    f.fail(names::kGeneralArchitecture,
           "architecture '" + hp.arch + "' is not a ternary model tern runs (expected one of " + arch::gguf_arch_names() + ")");
  }
  hp.sub_norms = ga->sub_norms;
  hp.rope_pairing = ga->rope;
  hp.name = std::string(f.get_string_opt(names::kGeneralName).value_or(""));
  auto key = [&](const char* suffix) { return names::key(hp.arch, suffix); };
  auto get = [&](const char* suffix, uint64_t max) {
    const std::string k = key(suffix);
    return positive(f, k, f.get_uint(k), max);
  };
  constexpr uint64_t kMaxDim = uint64_t{1} << 20;
  hp.n_embd = get(names::kEmbeddingLength, kMaxDim);
  hp.n_layer = get(names::kBlockCount, 4096);
  hp.n_ff = get(names::kFeedForwardLength, kMaxDim);
  hp.n_head = get(names::kHeadCount, 4096);
  if (auto kv = f.get_uint_opt(key(names::kHeadCountKv))) {
    hp.n_head_kv = positive(f, key(names::kHeadCountKv), *kv, 4096);
  } else {
    hp.n_head_kv = hp.n_head;
  }
  if (hp.n_head % hp.n_head_kv != 0) {
    f.fail(key(names::kHeadCountKv), "head_count " + std::to_string(hp.n_head) +
                                         " is not a multiple of head_count_kv " + std::to_string(hp.n_head_kv));
  }
  if (auto kl = f.get_uint_opt(key(names::kKeyLength))) {
    hp.head_dim = positive(f, key(names::kKeyLength), *kl, 4096);
  } else {
    if (hp.n_embd % hp.n_head != 0) {
      f.fail(key(names::kHeadCount), "embedding_length " + std::to_string(hp.n_embd) +
                                         " is not a multiple of head_count " + std::to_string(hp.n_head));
    }
    hp.head_dim = hp.n_embd / hp.n_head;
  }
  if (hp.head_dim % 2 != 0) f.fail(key(names::kKeyLength), "head dimension must be even for RoPE");
  if (auto rd = f.get_uint_opt(key(names::kRopeDimCount)); rd && static_cast<int64_t>(*rd) != hp.head_dim) {
    f.fail(key(names::kRopeDimCount), "partial RoPE (" + std::to_string(*rd) + " of " +
                                          std::to_string(hp.head_dim) + " dimensions) is not supported");
  }
  hp.n_ctx_train = positive(f, key(names::kContextLength),
                            f.get_uint_opt(key(names::kContextLength)).value_or(4096), uint64_t{1} << 24);
  const double eps = f.get_float(key(names::kRmsEps));
  if (!(eps > 0 && eps < 1)) f.fail(key(names::kRmsEps), "must be in (0, 1)");
  hp.rms_eps = static_cast<float>(eps);
  const double theta = f.get_float_opt(key(names::kRopeFreqBase)).value_or(ga->rope_theta);
  if (!(theta > 1 && std::isfinite(theta))) f.fail(key(names::kRopeFreqBase), "must be a finite number > 1");
  hp.rope_theta = static_cast<float>(theta);

  // FFN activation: the file's hidden_activation, else the architecture's default.
  hp.activation = ga->activation;
  if (auto act = f.get_string_opt(key(names::kHiddenActivation))) {
    if (*act == "relu2" || *act == "relu_sqr" || *act == "relu_squared") {
      hp.activation = FfnActivation::ReLU2;
    } else if (*act == "silu" || *act == "swish") {
      hp.activation = FfnActivation::SiLU;
    } else {
      f.fail(key(names::kHiddenActivation), "unknown activation '" + std::string(*act) + "' (relu2 or silu)");
    }
    hp.activation_from_file = true;
  }
  if (options.activation) hp.activation = *options.activation;
  if (const arch::HfFamily* fam = arch::family_of_gguf_arch(hp.arch, hp.activation)) hp.family = fam->id;

  // llama.cpp's own RoPE scaling keys: only "none" or LINEAR by 1 (what its converters write
  // on every "bitnet" file) leave the frequencies alone; anything else tern would ignore.
  const std::string scaling_type = std::string(f.get_string_opt(key("rope.scaling.type")).value_or("linear"));
  const double scaling_factor = f.get_float_opt(key("rope.scaling.factor")).value_or(
      f.get_float_opt(key("rope.scale_linear")).value_or(1.0));
  if (scaling_type != "none" && !(scaling_type == "linear" && (scaling_factor == 1.0 || scaling_factor == 0.0))) {
    f.fail(key("rope.scaling.type"), "RoPE scaling '" + scaling_type + "' with factor " + std::to_string(scaling_factor) +
                                         " is not supported (tern runs llama3 scaling from tern.rope.llama3.* or rope_freqs.weight)");
  }

  // llama3 RoPE scaling: tern's exact keys (all four or none); else llama.cpp's
  // rope_freqs.weight divisors, read by bind_weights.
  auto l3 = [&](const char* k) { return f.get_float_opt(k); };
  const auto factor = l3(names::kTernRopeLlama3Factor);
  const auto low = l3(names::kTernRopeLlama3LowFreqFactor);
  const auto high = l3(names::kTernRopeLlama3HighFreqFactor);
  const auto orig = f.get_uint_opt(names::kTernRopeLlama3OriginalContext);
  if (factor || low || high || orig) {
    if (!(factor && low && high && orig)) {
      f.fail(names::kTernRopeLlama3Factor, "llama3 RoPE scaling needs all four tern.rope.llama3.* keys");
    }
    Llama3RopeScaling s{*factor, *low, *high, static_cast<int64_t>(std::min<uint64_t>(*orig, uint64_t{1} << 40))};
    if (const std::string why = arch::llama3_rope_problem(s); !why.empty()) f.fail(names::kTernRopeLlama3Factor, why);
    hp.rope_llama3 = s;
  }
  hp.rope_freqs_tensor = !hp.rope_llama3 && f.find_tensor(names::kRopeFreqs) != nullptr;

  // The vocabulary size comes from token_embd (checked against the key when present).
  const gguf::TensorInfo& embd = f.tensor(names::kTokenEmbd);
  if (embd.dims.size() != 2) f.fail(names::kTokenEmbd, "expected 2 dimensions [n_embd, n_vocab]");
  hp.n_vocab = static_cast<int64_t>(embd.dims[1]);
  if (auto nv = f.get_uint_opt(key(names::kVocabSize)); nv && static_cast<int64_t>(*nv) != hp.n_vocab) {
    f.fail(key(names::kVocabSize), "says " + std::to_string(*nv) + " but token_embd.weight has " +
                                       std::to_string(hp.n_vocab) + " rows");
  }
  return hp;
}

}  // namespace model
}  // namespace tern
