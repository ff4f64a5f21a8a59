// HF BitNet checkpoint -> GGUF. Three steps: read and check every input file (config,
// tokenizer, safetensors headers), plan every output tensor (name, type, dims, bytes:
// shapes are checked against config.json here, before anything is written), then stream
// the tensors one at a time through gguf::Writer (temporary file, renamed at the end).
#include "tern/convert.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "arch/model_writer.h"
#include "arch/rope.h"
#include "gguf/bitnet_names.h"
#include "gguf/gguf_writer.h"
#include "hf/half_float.h"
#include "hf/hf_config.h"
#include "hf/hf_tokenizer.h"
#include "hf/quantize_embd.h"
#include "hf/safetensors.h"
#include "hf/ternary_encode.h"
#include "hf/ternary_source.h"
#include "hf/token_table_gguf.h"
#include "tern/error.h"

namespace tern {

namespace {

using gguf::TensorType;
namespace names = gguf::names;

struct NamedType {
  const char* name;
  WeightType w;
};
constexpr NamedType kWeightTypes[] = {
    {"tern_t2", WeightType::TernT2}, {"tern_t1", WeightType::TernT1}, {"i2_s", WeightType::I2_S}, {"tq2_0", WeightType::TQ2_0}, {"tq1_0", WeightType::TQ1_0}};
struct NamedEmbd {
  const char* name;
  EmbdType e;
};
constexpr NamedEmbd kEmbdTypes[] = {{"f16", EmbdType::F16}, {"f32", EmbdType::F32}, {"q8_0", EmbdType::Q8_0},
                                    {"q6_k", EmbdType::Q6_K}, {"q4_0", EmbdType::Q4_0}};

bool is_float(hf::Dtype d) { return d == hf::Dtype::BF16 || d == hf::Dtype::F16 || d == hf::Dtype::F32; }

[[noreturn]] void tensor_fail(const hf::StTensor& t, const std::string& what) {
  throw Error((t.file ? *t.file : std::string("checkpoint")) + ": tensor '" + t.name + "': " + what);
}

// One output tensor of the plan (arch::plan_model_tensors) and where its data comes from.
struct Item {
  arch::PlannedTensor t;
  const hf::StTensor* weight = nullptr;  // null: computed (rope_freqs)
  const hf::StTensor* scale = nullptr;   // packed linears
  bool permute_rows_for_adjacent_rope = false;  // Q/K of a "llama" file
  int64_t heads = 0;                            // ... in this many heads
};

struct Plan {
  hf::ModelConfig config;
  hf::TokenTable tokens;
  hf::WeightLayout layout = hf::WeightLayout::Packed;
  arch::ModelDescription model;
  std::vector<Item> items;
  uint64_t total_bytes = 0;
};

// What the converted file describes: the family's GGUF arch for this weight type, the
// config's hyper-parameters.
arch::ModelDescription describe_model(const hf::ModelConfig& c, const ConvertOptions& opt, const std::string& name) {
  const arch::HfFamily& fam = *c.family;
  const bool tq = opt.weight_type == WeightType::TQ2_0 || opt.weight_type == WeightType::TQ1_0;
  arch::ModelDescription d;
  d.arch = arch::find_gguf_arch(tq ? fam.gguf_arch_tq : fam.gguf_arch);
  d.name = name;
  d.vocab = c.vocab_size;
  d.context = c.max_position_embeddings;
  d.embd = c.hidden_size;
  d.layers = c.num_hidden_layers;
  d.ff = c.intermediate_size;
  d.heads = c.num_attention_heads;
  d.heads_kv = c.num_key_value_heads;
  d.head_dim = c.head_dim;
  d.rms_eps = c.rms_norm_eps;
  d.rope_theta = c.rope_theta;
  d.rope_llama3 = c.rope_scaling;
  d.activation = c.activation();
  d.tied_head = c.tie_word_embeddings;
  d.ternary_type = hf::tensor_type_of(opt.weight_type);
  d.embd_type = hf::tensor_type_of(opt.embd_type);
  return d;
}

Plan make_plan(const ConvertOptions& opt, hf::Checkpoint& ckpt) {
  namespace fs = std::filesystem;
  Plan p;
  p.config = hf::load_model_config(opt.input_dir);
  const hf::ModelConfig& c = p.config;
  (void)hf::load_generation_config(opt.input_dir);  // validated; GGUF keeps the tokenizer's ids
  p.tokens = hf::load_token_table(opt.input_dir, c.vocab_size, hf::ConfigTokenIds{c.bos_token_id, c.eos_token_id, c.pad_token_id});
  ckpt = hf::Checkpoint::open(opt.input_dir);
  std::string model_name = fs::path(opt.input_dir).filename().string();
  if (model_name.empty()) model_name = fs::path(opt.input_dir).parent_path().filename().string();
  p.model = describe_model(c, opt, model_name);
  const std::string config_path = (fs::path(opt.input_dir) / "config.json").string();
  std::set<std::string> used;

  auto take = [&](const std::string& name) -> const hf::StTensor& {
    const hf::StTensor& t = ckpt.tensor(name);
    used.insert(name);
    return t;
  };
  auto expect_float = [&](const hf::StTensor& t, std::vector<uint64_t> shape) {
    if (!is_float(t.dtype)) tensor_fail(t, std::string("unsupported dtype ") + hf::dtype_name(t.dtype) + " (BF16, F16 or F32)");
    if (t.shape != shape) {
      hf::StTensor want;
      want.shape = shape;
      tensor_fail(t, "shape " + t.shape_string() + " disagrees with " + config_path + ": expected " + want.shape_string());
    }
  };

  std::optional<hf::WeightLayout> layout = c.declared_layout();
  auto add_linear = [&](Item& it, const std::string& prefix) {
    const int64_t out = it.t.rows, in = it.t.cols;
    const hf::StTensor& w = take(prefix + ".weight");
    it.weight = &w;
    const hf::WeightLayout this_layout = w.dtype == hf::Dtype::U8 ? hf::WeightLayout::Packed : hf::WeightLayout::Master;
    if (layout && *layout != this_layout) {
      const std::string declared_by = c.quantization ? " /quantization_config" : " /architectures (" + c.architecture + ")";
      tensor_fail(w, std::string("dtype ") + hf::dtype_name(w.dtype) + " contradicts " + config_path + declared_by + " (" +
                         (*layout == hf::WeightLayout::Packed ? "packed uint8 + weight_scale" : "full-precision weights") + ")");
    }
    layout = this_layout;
    if (this_layout == hf::WeightLayout::Packed) {
      it.scale = &take(prefix + ".weight_scale");
      (void)hf::read_scale_scalar(*it.scale);
      if (out % 4 != 0 || w.shape != std::vector<uint64_t>{static_cast<uint64_t>(out / 4), static_cast<uint64_t>(in)}) {
        tensor_fail(w, "shape " + w.shape_string() + " disagrees with " + config_path + ": expected [" +
                           std::to_string(out / 4) + ", " + std::to_string(in) + "] (out/4, in)");
      }
    } else {
      expect_float(w, {static_cast<uint64_t>(out), static_cast<uint64_t>(in)});
    }
    if (!hf::ternary_type_fits(it.t.type, in)) {
      tensor_fail(w, "rows of " + std::to_string(in) + " elements do not fit " + gguf::type_name(it.t.type) +
                         " (I2_S needs a multiple of 128, TQ1_0/TQ2_0 of 256); use --type tern_t2");
    }
    if (p.model.arch->rope == RopePairing::Adjacent && (it.t.spec.role == arch::LayerTensor::Q || it.t.spec.role == arch::LayerTensor::K)) {
      it.permute_rows_for_adjacent_rope = true;
      it.heads = it.t.spec.role == arch::LayerTensor::Q ? c.num_attention_heads : c.num_key_value_heads;
    }
  };

  using Kind = arch::PlannedTensor::Kind;
  for (arch::PlannedTensor& t : arch::plan_model_tensors(p.model)) {
    Item it;
    it.t = std::move(t);
    const std::string layer = "model.layers." + std::to_string(it.t.layer) + ".";
    switch (it.t.kind) {
      case Kind::Embedding:
      case Kind::Head:
        it.weight = &take(it.t.kind == Kind::Embedding ? "model.embed_tokens.weight" : "lm_head.weight");
        expect_float(*it.weight, {static_cast<uint64_t>(c.vocab_size), static_cast<uint64_t>(c.hidden_size)});
        (void)hf::embd_row_bytes(it.t.type, c.hidden_size,
                                 it.t.name + " (--embd-type " + embd_type_name(opt.embd_type) + ")");
        break;
      case Kind::Norm: {
        const arch::HfFamily& fam = *c.family;
        std::string hf_name = "model.norm";
        if (it.t.layer >= 0) {
          hf_name = layer + it.t.spec.hf;
          if (it.t.spec.role == arch::LayerTensor::AttnSubNorm) hf_name = layer + fam.attn_sub_norm;
          if (it.t.spec.role == arch::LayerTensor::FfnSubNorm) hf_name = layer + fam.ffn_sub_norm;
        }
        it.weight = &take(hf_name + ".weight");
        expect_float(*it.weight, {static_cast<uint64_t>(it.t.cols)});
        break;
      }
      case Kind::Ternary: add_linear(it, layer + it.t.spec.hf); break;
      case Kind::RopeDivisors: break;
    }
    p.items.push_back(std::move(it));
  }
  // Anything left over would be silently dropped: refuse instead (derived RoPE tables and a
  // tied lm_head copy excepted).
  for (const hf::StTensor* t : ckpt.all()) {
    if (used.count(t->name)) continue;
    const std::string& n = t->name;
    if (n.find("rotary_emb.inv_freq") != std::string::npos) continue;
    if (n == "lm_head.weight" && c.tie_word_embeddings) continue;
    if (layout == hf::WeightLayout::Master && n.size() > 13 && n.compare(n.size() - 13, 13, ".weight_scale") == 0) {
      tensor_fail(*t, "weight_scale next to master (float) weights: ambiguous layout");
    }
    tensor_fail(*t, "unexpected tensor (not part of " + c.architecture + " with " + std::to_string(c.num_hidden_layers) +
                        " layers in " + config_path + ")");
  }
  p.layout = layout.value_or(hf::WeightLayout::Packed);
  const char* layout_name = p.layout == hf::WeightLayout::Packed ? "packed"
                            : c.declared_layout() && c.family->quant == arch::HfFamily::Quant::LatentNoConfig
                                ? "latent"
                                : "bf16 master";
  p.model.converted_from = std::string("huggingface ") + c.architecture + " (" + layout_name + ")";
  for (const Item& it : p.items) p.total_bytes += it.t.nbytes;
  return p;
}

void write_metadata(gguf::Writer& w, const Plan& p) {
  arch::write_model_metadata(w, p.model);
  hf::write_token_table(w, p.tokens);
}

// The "llama" GGUF arch is run by the peers with adjacent-pair (NORM) RoPE, so their
// converters reorder each head's Q/K rows: row j -> 2j, row j + d/2 -> 2j + 1 (llama.cpp's
// LlamaModel.permute). tern does the same, and runs such files with kernels::rope_adjacent.
void permute_rows_for_adjacent_rope(hf::TernaryWeight& tw, int64_t heads) {
  const int64_t d = tw.rows / heads, cols = tw.cols;
  std::vector<int8_t> out(tw.trits.size());
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t j = 0; j < d; ++j) {
      const int64_t dst = h * d + (j < d / 2 ? 2 * j : 2 * (j - d / 2) + 1);
      std::memcpy(out.data() + dst * cols, tw.trits.data() + (h * d + j) * cols, static_cast<size_t>(cols));
    }
  }
  tw.trits = std::move(out);
}

class Streamer {
 public:
  Streamer(gguf::Writer& w, const Plan& p, const hf::Checkpoint& ckpt, const ConvertOptions& opt)
      : w_(w), p_(p), ckpt_(ckpt), opt_(opt) {}

  void write_all(hf::EmbdStats& stats) {
    for (size_t i = 0; i < p_.items.size(); ++i) {
      index_ = i;
      const Item& it = p_.items[i];
      report(it);
      using Kind = arch::PlannedTensor::Kind;
      switch (it.t.kind) {
        case Kind::Embedding:
        case Kind::Head: write_embedding(it, stats); break;
        case Kind::Norm: write_norm(it); break;
        case Kind::Ternary: write_linear(it); break;
        case Kind::RopeDivisors: write_rope_divisors(it); break;
      }
      if (it.weight != nullptr) ckpt_.release_pages(*it.weight);
      report(it);
    }
  }

 private:
  void report(const Item& it) {
    if (!opt_.progress) return;
    ConvertProgress pr;
    pr.tensor_index = index_;
    pr.tensor_count = p_.items.size();
    pr.tensor_name = it.t.name;
    pr.bytes_done = done_;
    pr.bytes_total = p_.total_bytes;
    opt_.progress(pr);
  }

  void emit(const Item& it, std::span<const uint8_t> bytes) {
    w_.write_tensor_data(it.t.name, bytes);
    done_ += bytes.size();
  }

  void write_embedding(const Item& it, hf::EmbdStats& stats) {
    const auto row_bytes = static_cast<size_t>(hf::embd_row_bytes(it.t.type, it.t.cols, it.t.name));
    const auto cols = static_cast<size_t>(it.t.cols);
    const size_t rows_per_chunk = std::max<size_t>(1, (8u << 20) / std::max<size_t>(row_bytes, 1));
    std::vector<float> row(cols);
    std::vector<uint8_t> chunk;
    chunk.reserve(rows_per_chunk * row_bytes);
    for (int64_t r = 0; r < it.t.rows; ++r) {
      for (size_t c = 0; c < cols; ++c) {
        row[c] = hf::load_float_element(*it.weight, static_cast<uint64_t>(r) * cols + c);
        if (!std::isfinite(row[c])) {
          tensor_fail(*it.weight, "non-finite value at [" + std::to_string(r) + ", " + std::to_string(c) + "]");
        }
      }
      const size_t at = chunk.size();
      chunk.resize(at + row_bytes);
      hf::quantize_embd_row(it.t.type, row.data(), it.t.cols, chunk.data() + at, &stats);
      if (chunk.size() >= rows_per_chunk * row_bytes) {
        emit(it, chunk);
        chunk.clear();
        // Rows already converted leave the resident set (the embedding is 0.66 GB in 2B4T).
        const uint64_t src_row = static_cast<uint64_t>(cols) * hf::dtype_size(it.weight->dtype);
        ckpt_.release_pages(*it.weight, 0, static_cast<uint64_t>(r + 1) * src_row);
        report(it);
      }
    }
    if (!chunk.empty()) emit(it, chunk);
    if (it.t.type == TensorType::F16 && stats.overflow > 0) {
      tensor_fail(*it.weight, std::to_string(stats.overflow) +
                                  " values exceed the F16 range (|x| > 65504); convert with --embd-type f32");
    }
  }

  void write_norm(const Item& it) {
    std::vector<uint8_t> bytes(static_cast<size_t>(it.t.cols) * 4);
    for (int64_t i = 0; i < it.t.cols; ++i) {
      const float v = hf::load_float_element(*it.weight, static_cast<uint64_t>(i));
      if (!std::isfinite(v)) tensor_fail(*it.weight, "non-finite value at element " + std::to_string(i));
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    }
    emit(it, bytes);
  }

  void write_linear(const Item& it) {
    hf::TernaryWeight tw = it.scale ? hf::unpack_packed(*it.weight, *it.scale, it.t.rows, it.t.cols)
                                    : hf::ternarize_master(*it.weight, it.t.rows, it.t.cols);
    if (it.permute_rows_for_adjacent_rope) permute_rows_for_adjacent_rope(tw, it.heads);
    std::vector<uint8_t> bytes;
    bytes.reserve(static_cast<size_t>(it.t.nbytes));
    hf::encode_ternary(tw, it.t.type, it.t.name, bytes);
    if (bytes.size() != it.t.nbytes) {
      throw Error(it.t.name + ": internal error: encoded " + std::to_string(bytes.size()) + " bytes, type " +
                  gguf::type_name(it.t.type) + " needs " + std::to_string(it.t.nbytes));
    }
    emit(it, bytes);
  }

  // llama.cpp's divisors of each RoPE frequency for llama3 scaling (tern itself reads the
  // exact tern.rope.llama3.* keys; this tensor is for the peers).
  void write_rope_divisors(const Item& it) {
    const std::vector<float> d =
        arch::llama3_rope_divisors(p_.model.head_dim, p_.model.rope_theta, *p_.model.rope_llama3);
    emit(it, std::span(reinterpret_cast<const uint8_t*>(d.data()), d.size() * sizeof(float)));
  }

  gguf::Writer& w_;
  const Plan& p_;
  const hf::Checkpoint& ckpt_;
  const ConvertOptions& opt_;
  size_t index_ = 0;
  uint64_t done_ = 0;
};

std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string describe(const Plan& p) {
  const hf::ModelConfig& c = p.config;
  return "vocab " + std::to_string(c.vocab_size) + ", hidden " + std::to_string(c.hidden_size) + ", ffn " +
         std::to_string(c.intermediate_size) + ", layers " + std::to_string(c.num_hidden_layers) + ", heads " +
         std::to_string(c.num_attention_heads) + "/" + std::to_string(c.num_key_value_heads) + " (head_dim " +
         std::to_string(c.head_dim) + "), act " + c.hidden_act + ", sub-norms " +
         (p.model.arch->sub_norms ? "yes" : "no") + ", rope_theta " + std::to_string(static_cast<long long>(c.rope_theta)) +
         (c.rope_scaling ? " (llama3 scaling x" + std::to_string(static_cast<int>(c.rope_scaling->factor)) + ")" : "") +
         ", eps " + format_g(c.rms_norm_eps) + ", tied " + (c.tie_word_embeddings ? "yes" : "no") +
         ", tokens " + std::to_string(p.tokens.tokens.size()) + ", merges " + std::to_string(p.tokens.merges.size());
}

}  // namespace

namespace hf {
gguf::TensorType tensor_type_of(WeightType t) {
  switch (t) {
    case WeightType::TernT2: return gguf::TensorType::TERN_T2;
    case WeightType::TernT1: return gguf::TensorType::TERN_T1;
    case WeightType::I2_S: return gguf::TensorType::I2_S;
    case WeightType::TQ2_0: return gguf::TensorType::TQ2_0;
    case WeightType::TQ1_0: return gguf::TensorType::TQ1_0;
  }
  return gguf::TensorType::TERN_T2;
}

gguf::TensorType tensor_type_of(EmbdType t) {
  switch (t) {
    case EmbdType::F16: return gguf::TensorType::F16;
    case EmbdType::F32: return gguf::TensorType::F32;
    case EmbdType::Q8_0: return gguf::TensorType::Q8_0;
    case EmbdType::Q6_K: return gguf::TensorType::Q6_K;
    case EmbdType::Q4_0: return gguf::TensorType::Q4_0;
  }
  return gguf::TensorType::F16;
}

}  // namespace hf

WeightType parse_weight_type(const std::string& name) {
  for (const auto& t : kWeightTypes) {
    if (name == t.name) return t.w;
  }
  throw Error("unknown weight type '" + name + "' (tern_t2, tern_t1, i2_s, tq2_0, tq1_0)");
}

EmbdType parse_embd_type(const std::string& name) {
  for (const auto& t : kEmbdTypes) {
    if (name == t.name) return t.e;
  }
  throw Error("unknown embedding type '" + name + "' (f16, f32, q8_0, q6_k, q4_0)");
}

const char* weight_type_name(WeightType t) {
  for (const auto& e : kWeightTypes) {
    if (e.w == t) return e.name;
  }
  return "?";
}

const char* embd_type_name(EmbdType t) {
  for (const auto& e : kEmbdTypes) {
    if (e.e == t) return e.name;
  }
  return "?";
}

ConvertReport convert_hf_to_gguf(const ConvertOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (opt.input_dir.empty()) throw Error("convert: no input folder given");
  if (!std::filesystem::is_directory(opt.input_dir)) throw Error(opt.input_dir + ": not a folder");
  if (!opt.dry_run && opt.output_path.empty()) throw Error("convert: no output path given (-o)");
  hf::Checkpoint ckpt;
  const Plan plan = make_plan(opt, ckpt);

  ConvertReport rep;
  rep.arch = plan.model.arch->name;
  rep.family = plan.config.family->id;
  rep.layout = plan.layout == hf::WeightLayout::Packed ? "packed" : "master (absmean ternarized)";
  rep.summary = describe(plan);
  rep.tensor_bytes = plan.total_bytes;
  for (const Item& it : plan.items) {
    ConvertedTensor ct;
    ct.name = it.t.name;
    ct.source = it.weight ? it.weight->name : std::string("(computed from config.json rope_scaling)");
    ct.type = gguf::type_name(it.t.type);
    ct.dims = it.t.dims;
    ct.bytes = it.t.nbytes;
    rep.tensors.push_back(std::move(ct));
  }
  if (!opt.dry_run) {
    hf::EmbdStats stats;
    {
      gguf::Writer w(opt.output_path);
      write_metadata(w, plan);
      for (const Item& it : plan.items) w.add_tensor(it.t.name, it.t.type, it.t.dims);
      Streamer(w, plan, ckpt, opt).write_all(stats);
      w.finish();
    }
    std::error_code ec;
    rep.file_bytes = std::filesystem::file_size(opt.output_path, ec);
    if (stats.inexact > 0) {
      rep.notes.push_back(std::to_string(stats.inexact) + " of " + std::to_string(stats.values) + " embedding values are not exact in " +
                          embd_type_name(opt.embd_type) + " (max abs error " + std::to_string(stats.max_abs_error) +
                          (stats.subnormal ? ", " + std::to_string(stats.subnormal) + " below F16's normal range" : std::string()) +
                          "); --embd-type f32 keeps them exact");
    }
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace tern
