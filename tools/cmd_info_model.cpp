// `tern info FILE`: the model loader's view of a BitNet file — the hyper-parameters it
// derived, the kernel it picked, and whether the ternary weights run in place (TERN_T2)
// or were repacked once at load (I2_S, TQ2_0, TQ1_0), with the memory and time that took.
#include <cstdio>
#include <optional>
#include <string>

#include "arch/family.h"
#include "gguf/bitnet_names.h"
#include "model/dense.h"
#include "kernels/ternary.h"
#include "tern/model.h"
#include "tools/info_sections.h"

namespace tern::cli {
namespace {

std::string mb(uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// Where the weights decode streams every token live, and in which page size: 2 MiB pages
// read faster than 4 KiB ones (figures: bench/README.md, "Read-bandwidth probe").
std::string page_placement(const LoadReport& r) {
  char buf[320];
  std::string s;
  if (r.anon_weight_bytes > 0) {
    std::snprintf(buf, sizeof buf, "%s in anonymous memory, %s of it in 2 MiB pages (THP %s)", mb(r.anon_weight_bytes).c_str(),
                  mb(r.huge_page_bytes).c_str(), r.thp_mode.c_str());
    s = buf;
  } else {
    std::snprintf(buf, sizeof buf, "ternary weights %s, %s of them in 2 MiB page-cache pages (mapped in %.3f s%s; THP %s)",
                  r.repack_cache == "hit" ? "mapped from the repack cache" : "read in place from the file mapping",
                  mb(r.ternary_in_place_huge_bytes).c_str(), r.ternary_map_seconds,
                  r.ternary_reread ? ", re-read from the file into 2 MiB folios" : "", r.thp_mode.c_str());
    s = buf;
  }
  if (r.head_in_place_huge_bytes > 0) {
    std::snprintf(buf, sizeof buf, "; lm_head read in place from the file mapping, %s of it in 2 MiB page-cache pages (mapped in %.3f s%s, no copy)",
                  mb(r.head_in_place_huge_bytes).c_str(), r.head_map_seconds, r.head_reread ? ", re-read from the file into 2 MiB folios" : "");
    s += buf;
  } else if (r.head_copied_bytes > 0) {
    std::snprintf(buf, sizeof buf, "; lm_head copied out of the file mapping into 2 MiB pages (%s, %.3f s, file pages released)",
                  mb(r.head_copied_bytes).c_str(), r.head_copy_seconds);
    s += buf;
  } else if (r.anon_weight_bytes > 0) {
    s += "; lm_head read in place from the file mapping (4 KiB pages)";
  }
  return s;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::optional<InfoSection> model_section(const gguf::File& f) {
  const auto arch = f.get_string_opt(gguf::names::kGeneralArchitecture);
  if (!arch || arch::find_gguf_arch(*arch) == nullptr) return std::nullopt;
  const auto model = Model::load(f.path());
  const ModelHParams& h = model->hparams();
  const LoadReport& r = model->report();
  InfoSection s;
  s.title = "how this file will run";
  const std::string shape = std::to_string(h.n_layer) + " layers, hidden " + std::to_string(h.n_embd) + ", ffn " +
                            std::to_string(h.n_ff) + ", heads " + std::to_string(h.n_head) + "/" +
                            std::to_string(h.n_head_kv) + " x " + std::to_string(h.head_dim) + ", vocab " +
                            std::to_string(h.n_vocab);
  const arch::HfFamily* fam = arch::family_of_gguf_arch(h.arch, h.activation);
  const std::string family_row = h.family.empty() ? std::string("(unknown)") : h.family + " (" + (fam ? fam->repos : "") + ")";
  s.rows.emplace_back("family", family_row);
  s.rows.emplace_back("shape", shape);
  s.rows.emplace_back("sub-norms", h.sub_norms ? "yes (before o_proj and down_proj)" : "no");
  std::string rope = "theta " + num(h.rope_theta) + ", pairs " + rope_pairing_name(h.rope_pairing);
  if (h.rope_llama3) {
    rope += ", llama3 scaling (factor " + num(h.rope_llama3->factor) + ", low/high freq factors " +
            num(h.rope_llama3->low_freq_factor) + "/" + num(h.rope_llama3->high_freq_factor) + ", original context " +
            std::to_string(h.rope_llama3->original_context) + ")";
  } else if (h.rope_freqs_tensor) {
    rope += ", frequencies divided by rope_freqs.weight (llama.cpp's llama3 scaling)";
  }
  s.rows.emplace_back("rope", rope);
  s.rows.emplace_back("rms eps", num(h.rms_eps));
  s.rows.emplace_back("ffn activation", std::string(ffn_activation_name(h.activation)) +
                                            (h.activation_from_file ? " (from the file)" : " (architecture default)"));
  std::string kernel_row = r.kernel + " (" + r.kernel_why + ")";
  if (r.ternary_type == "TERN_T1") {  // 1.6-bit matrices run the T1 code of this or another kernel
    if (const auto* k = tern::kernels::find_kernel(r.kernel)) {
      kernel_row += "; TERN_T1 matrices run " + std::string(tern::kernels::kernel_name_for(*k, tern::kernels::TernaryFormat::T1)) + "'s T1 code";
    }
  }
  s.rows.emplace_back("kernel", kernel_row);
  std::string ternary = r.ternary_type + ", used in place (zero copy)";
  if (!r.zero_copy) {
    const std::string threads = std::to_string(r.load_threads) + (r.load_threads == 1 ? " thread" : " threads");
    ternary = r.ternary_type + ", repacked to TERN_T2: " + std::to_string(r.repacked_tensors) + " tensors, " + mb(r.repacked_bytes) +
              (r.repack_cache == "hit" ? ", mapped from the repack cache (no repack at this load)"
                                       : ", repacked at this load in " + std::to_string(r.repack_seconds) + " s on " + threads);
  }
  s.rows.emplace_back("ternary weights", ternary);
  if (!r.repack_cache.empty()) {
    s.rows.emplace_back("repack cache", r.repack_cache + (r.repack_cache_path.empty() ? "" : ": " + r.repack_cache_path) + ", " +
                                            std::to_string(r.repack_cache_seconds) + " s");
  }
  s.rows.emplace_back("page placement", page_placement(r));
  s.rows.emplace_back("embedding", r.embedding_type);
  const std::string head_note = tern::model::head_accuracy_note(r.lm_head_type);
  s.rows.emplace_back("lm_head", r.lm_head + ", " + r.lm_head_type + (head_note.empty() ? "" : " (" + head_note + ")"));
  s.rows.emplace_back("read per token", mb(model->bytes_per_token()));
  s.rows.emplace_back("load time", std::to_string(r.load_seconds) + " s");
  s.json = {{"arch", h.arch}, {"family", h.family}, {"sub_norms", h.sub_norms},
            {"rope_pairing", h.rope_pairing == RopePairing::Halves ? "halves" : "adjacent"},
            {"rope_llama3", h.rope_llama3.has_value()}, {"rope_freqs_tensor", h.rope_freqs_tensor},
            {"tied_head", r.lm_head != gguf::names::kOutput},
            {"n_layer", h.n_layer}, {"n_embd", h.n_embd}, {"n_ff", h.n_ff}, {"n_head", h.n_head},
            {"n_head_kv", h.n_head_kv}, {"head_dim", h.head_dim}, {"n_vocab", h.n_vocab},
            {"n_ctx_train", h.n_ctx_train}, {"rms_eps", h.rms_eps}, {"rope_theta", h.rope_theta},
            {"activation", ffn_activation_name(h.activation)}, {"activation_from_file", h.activation_from_file},
            {"kernel", r.kernel}, {"kernel_why", r.kernel_why}, {"ternary_type", r.ternary_type},
            {"zero_copy", r.zero_copy}, {"repacked_tensors", r.repacked_tensors},
            {"repacked_bytes", r.repacked_bytes}, {"repack_seconds", r.repack_seconds},
            {"embedding_type", r.embedding_type}, {"lm_head", r.lm_head}, {"lm_head_type", r.lm_head_type},
            {"lm_head_exact", head_note.empty()}, {"lm_head_note", head_note},
            {"bytes_per_token", model->bytes_per_token()}, {"load_seconds", r.load_seconds},
            {"thp_mode", r.thp_mode}, {"anon_weight_bytes", r.anon_weight_bytes},
            {"huge_page_bytes", r.huge_page_bytes}, {"head_copied_bytes", r.head_copied_bytes},
            {"head_copy_seconds", r.head_copy_seconds}, {"head_in_place_huge_bytes", r.head_in_place_huge_bytes},
            {"head_map_seconds", r.head_map_seconds}, {"head_reread", r.head_reread},
            {"ternary_in_place_huge_bytes", r.ternary_in_place_huge_bytes}, {"ternary_map_seconds", r.ternary_map_seconds},
            {"ternary_reread", r.ternary_reread}, {"load_threads", r.load_threads}, {"repack_cache", r.repack_cache},
            {"repack_cache_path", r.repack_cache_path}, {"repack_cache_seconds", r.repack_cache_seconds}};
  return s;
}

const bool registered = register_info_section(model_section);

}  // namespace
}  // namespace tern::cli
