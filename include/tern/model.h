// tern::Model: a ternary (BitNet b1.58-style) model of any family tern runs, loaded from a
// GGUF file, ready for tern::Session.
//
//   tern::ModelOptions opts;                       // kernel, FFN activation override
//   auto model = tern::Model::load("model.gguf", opts);
//   tern::Session session(model, {});               // include/tern/session.h
//
// Loading maps the file (zero copy for tern's own ternary type TERN_T2), checks every
// hyper-parameter and tensor shape once, and repacks foreign ternary types (bitnet.cpp's
// I2_S, llama.cpp's TQ2_0 / TQ1_0, ik_llama.cpp's IQ2_BN) into TERN_T2 once. Errors are tern::Error naming the
// file and the key or tensor at fault.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tern {

namespace tok {
class Tokenizer;  // include/tern/tokenizer.h
}

namespace model {
struct ModelData;  // src/model/model_data.h: hyper-parameters, weights, chosen kernel
}

// FFN activation applied to the gate projection before the product with up.
enum class FfnActivation { ReLU2, SiLU };
const char* ffn_activation_name(FfnActivation a);

// Which elements of a head RoPE rotates together, i.e. how the file orders Q/K rows.
enum class RopePairing {
  Halves,    // element j with j + d/2: HF's rotate_half on the checkpoint's own row order
  Adjacent,  // element 2j with 2j+1: the rows were permuted for llama.cpp's "llama" graph
};
const char* rope_pairing_name(RopePairing p);

// HF rope_scaling {"rope_type": "llama3", ...} (Llama 3.1/3.2): inverse frequencies are
// rescaled by wavelength (HF _compute_llama3_parameters).
struct Llama3RopeScaling {
  double factor = 0;
  double low_freq_factor = 0;
  double high_freq_factor = 0;
  int64_t original_context = 0;  // original_max_position_embeddings
};

struct ModelOptions {
  // What runs each kind of work (kernels/backend.h): a ternary kernel name ("avx2-mad",
  // ...; "scalar" = every entry scalar, no SIMD code) and/or entry=impl items, comma
  // separated ("attention=scalar,quantize=avx2"); `tern info --kernels` lists them. Empty =
  // TERN_KERNEL (same syntax), else the best this CPU runs.
  std::string kernel;
  // Overrides the FFN activation. Without it: "<arch>.hidden_activation" if present, else
  // ReLU² for "bitnet-b1.58" / "bitnet-25" and SiLU for "bitnet" (as llama.cpp does).
  std::optional<FfnActivation> activation;
  // Threads that repack foreign ternary tensors and copy the lm_head at load (the CLI
  // passes -t). 0 = every hardware thread.
  int load_threads = 0;
  // Keep the TERN_T2 bytes of a foreign ternary file in a cache file and map them on later
  // loads (src/model/repack_cache.h: where, and how it is validated). TERN_REPACK_CACHE=0
  // turns it off too. Only files whose repacked tensors take at least repack_cache_min_bytes
  // are cached: below that, repacking costs less than a cache file is worth (and tests'
  // small models leave no files behind).
  bool repack_cache = true;
  uint64_t repack_cache_min_bytes = uint64_t{64} << 20;
};

struct ModelHParams {
  std::string arch;          // GGUF arch: "bitnet-b1.58", "bitnet-25", "bitnet" or "llama"
  std::string family;        // tern's name of the model family (src/arch/family.cpp)
  std::string name;          // general.name, may be empty
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;   // <arch>.context_length
  int64_t n_embd = 0;        // hidden size
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  float rms_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopePairing rope_pairing = RopePairing::Halves;
  std::optional<Llama3RopeScaling> rope_llama3;  // tern.rope.llama3.* keys
  bool rope_freqs_tensor = false;                // rope_freqs.weight divides the frequencies
  bool sub_norms = true;     // RMSNorm before o_proj and down_proj (BitNet archs, not "llama")
  FfnActivation activation = FfnActivation::ReLU2;
  bool activation_from_file = false;  // the file said which (hidden_activation key)
};

// What the loader did with the weights, for `tern info`.
struct LoadReport {
  std::string kernel;             // the ternary kernel in use
  std::string kernel_why;         // why it was chosen
  std::string ternary_type;       // type of the file's BitLinear weights ("TERN_T2", "I2_S", ...)
  bool zero_copy = true;          // ternary weights used in place from the mapping
  int64_t repacked_tensors = 0;   // tensors converted to TERN_T2 at load
  uint64_t repacked_bytes = 0;    // memory those copies take
  double repack_seconds = 0;
  // Page placement of the memory decode streams (src/model/weights.cpp): the repacked
  // matrices and, when huge pages are available, a copy of the lm_head (the file's pages
  // released) live in anonymous memory; huge_page_bytes of it the kernel put in 2 MiB pages.
  std::string thp_mode;           // /sys/kernel/mm/transparent_hugepage/enabled
  uint64_t anon_weight_bytes = 0;
  uint64_t huge_page_bytes = 0;
  uint64_t head_copied_bytes = 0;  // 0: the lm_head is read in place from the file mapping
  double head_copy_seconds = 0;
  // The lm_head read in place because the page cache already maps it in 2 MiB pages
  // (head_in_place_huge_bytes of it); the copy is skipped then (src/model/weights.cpp).
  uint64_t head_in_place_huge_bytes = 0;
  double head_map_seconds = 0;      // advising + populating the head's file pages
  bool head_reread = false;         // its cached small folios were dropped and read again
  // Ternary weights used in place (tern's own types, or the repack cache's payload) mapped
  // the same way: ternary_in_place_huge_bytes of them in 2 MiB page-cache pages.
  uint64_t ternary_in_place_huge_bytes = 0;
  double ternary_map_seconds = 0;
  bool ternary_reread = false;
  int load_threads = 1;             // threads the repack and the head copy ran on
  // The repack cache (foreign ternary files only; empty otherwise): "hit", "miss (why),
  // written" / "miss (why), not written: why", or "off ..."; its file; the seconds spent
  // validating (a hit) or validating + writing it (a miss).
  std::string repack_cache;
  std::string repack_cache_path;
  double repack_cache_seconds = 0;
  std::string embedding_type;     // token_embd type ("F16", ...)
  std::string lm_head;            // "token_embd (tied)" or "output.weight"
  std::string lm_head_type;
  double load_seconds = 0;
  uint64_t file_bytes = 0;
};

// Bytes of the weights decode streams that sit in 2 MiB pages, anonymous or page cache.
inline uint64_t huge_weight_bytes(const LoadReport& r) {
  return r.huge_page_bytes + r.head_in_place_huge_bytes + r.ternary_in_place_huge_bytes;
}

class Model {
 public:
  static std::shared_ptr<const Model> load(const std::string& path, const ModelOptions& options = {});
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& path() const;
  const ModelHParams& hparams() const;
  const LoadReport& report() const;
  // Bytes one decoded token reads from the weights (ternary matrices + lm_head), for
  // bandwidth figures.
  uint64_t bytes_per_token() const;
  // The file's tokenizer (tokenizer.ggml.*), or nullptr if the file has none.
  const tok::Tokenizer* tokenizer() const;

  // Internal representation (src/model), for Session and tests.
  const model::ModelData& data() const { return *data_; }

 private:
  explicit Model(std::unique_ptr<model::ModelData> data);
  std::unique_ptr<model::ModelData> data_;
};

}  // namespace tern
