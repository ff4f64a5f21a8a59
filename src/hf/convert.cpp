// HF BitNet checkpoint -> GGUF. Three steps: read and check every input file (config,
// tokenizer, safetensors headers), plan every output tensor (name, type, dims, bytes:
// shapes are checked against config.json here, before anything is written), then stream
// the tensors one at a time through gguf::Writer (temporary file, renamed at the end).
#include "tern/convert.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "gguf/bitnet_names.h"
#include "gguf/gguf_writer.h"
#include "hf/half_float.h"
#include "hf/hf_config.h"
#include "hf/hf_tokenizer.h"
#include "hf/quantize_embd.h"
#include "hf/safetensors.h"
#include "hf/ternary_encode.h"
#include "hf/ternary_source.h"
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

TensorType gguf_type(WeightType t) {
  switch (t) {
    case WeightType::TernT2: return TensorType::TERN_T2;
    case WeightType::TernT1: return TensorType::TERN_T1;
    case WeightType::I2_S: return TensorType::I2_S;
    case WeightType::TQ2_0: return TensorType::TQ2_0;
    case WeightType::TQ1_0: return TensorType::TQ1_0;
  }
  return TensorType::TERN_T2;
}

TensorType gguf_type(EmbdType t) {
  switch (t) {
    case EmbdType::F16: return TensorType::F16;
    case EmbdType::F32: return TensorType::F32;
    case EmbdType::Q8_0: return TensorType::Q8_0;
    case EmbdType::Q6_K: return TensorType::Q6_K;
    case EmbdType::Q4_0: return TensorType::Q4_0;
  }
  return TensorType::F16;
}

bool is_float(hf::Dtype d) { return d == hf::Dtype::BF16 || d == hf::Dtype::F16 || d == hf::Dtype::F32; }

[[noreturn]] void tensor_fail(const hf::StTensor& t, const std::string& what) {
  throw Error((t.file ? *t.file : std::string("checkpoint")) + ": tensor '" + t.name + "': " + what);
}

// One output tensor of the plan.
struct Item {
  enum Kind { Embedding, Norm, Linear } kind;
  std::string gguf_name;
  const hf::StTensor* weight = nullptr;
  const hf::StTensor* scale = nullptr;  // packed linears
  int64_t rows = 0, cols = 0;           // HF [rows, cols]; norms: rows = 1
  TensorType type = TensorType::F32;
  uint64_t nbytes = 0;
};

struct Plan {
  hf::ModelConfig config;
  hf::TokenTable tokens;
  hf::WeightLayout layout = hf::WeightLayout::Packed;
  std::string arch;
  std::vector<Item> items;
  uint64_t total_bytes = 0;
};

// HF linear name -> GGUF name, in the order the official files list a layer's tensors.
struct LinearName {
  const char* hf;
  const char* gguf;
};
constexpr LinearName kLinears[] = {
    {"self_attn.q_proj", names::kAttnQ},   {"self_attn.k_proj", names::kAttnK},
    {"self_attn.v_proj", names::kAttnV},   {"self_attn.o_proj", names::kAttnOutput},
    {"mlp.gate_proj", names::kFfnGate},    {"mlp.up_proj", names::kFfnUp},
    {"mlp.down_proj", names::kFfnDown},
};

Plan make_plan(const ConvertOptions& opt, hf::Checkpoint& ckpt) {
  namespace fs = std::filesystem;
  Plan p;
  p.config = hf::load_model_config(opt.input_dir);
  const hf::ModelConfig& c = p.config;
  (void)hf::load_generation_config(opt.input_dir);  // validated; GGUF keeps the tokenizer's ids
  p.tokens = hf::load_token_table(opt.input_dir, c.vocab_size, c.bos_token_id, c.eos_token_id);
  ckpt = hf::Checkpoint::open(opt.input_dir);
  p.arch = (opt.weight_type == WeightType::TernT2 || opt.weight_type == WeightType::TernT1 ||
            opt.weight_type == WeightType::I2_S)
               ? names::kArchBitnetB158
               : names::kArchBitnet;
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
  const auto H = static_cast<uint64_t>(c.hidden_size);
  const auto F = static_cast<uint64_t>(c.intermediate_size);
  const auto V = static_cast<uint64_t>(c.vocab_size);
  const TensorType embd_type = gguf_type(opt.embd_type);

  auto add_embedding = [&](const std::string& hf_name, const char* gguf_name) {
    const hf::StTensor& t = take(hf_name);
    expect_float(t, {V, H});
    Item it{Item::Embedding, gguf_name, &t, nullptr, c.vocab_size, c.hidden_size, embd_type, 0};
    it.nbytes = hf::embd_row_bytes(embd_type, c.hidden_size, std::string(gguf_name) + " (--embd-type " +
                                                                  embd_type_name(opt.embd_type) + ")") * V;
    p.items.push_back(it);
  };
  auto add_norm = [&](const std::string& hf_name, const std::string& gguf_name, uint64_t n) {
    const hf::StTensor& t = take(hf_name);
    expect_float(t, {n});
    p.items.push_back(Item{Item::Norm, gguf_name, &t, nullptr, 1, static_cast<int64_t>(n), TensorType::F32, n * 4});
  };

  std::optional<hf::WeightLayout> layout = c.declared_layout();
  auto add_linear = [&](const std::string& prefix, const std::string& gguf_name, int64_t out, int64_t in) {
    const hf::StTensor& w = take(prefix + ".weight");
    const hf::WeightLayout this_layout = w.dtype == hf::Dtype::U8 ? hf::WeightLayout::Packed : hf::WeightLayout::Master;
    if (layout && *layout != this_layout) {
      tensor_fail(w, std::string("dtype ") + hf::dtype_name(w.dtype) + " contradicts " + config_path +
                         " /quantization_config (" +
                         (*layout == hf::WeightLayout::Packed ? "packed uint8 + weight_scale" : "bf16 master weights") + ")");
    }
    layout = this_layout;
    Item it{Item::Linear, gguf_name, &w, nullptr, out, in, gguf_type(opt.weight_type), 0};
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
    if (!hf::ternary_type_fits(it.type, in)) {
      tensor_fail(w, "rows of " + std::to_string(in) + " elements do not fit " + gguf::type_name(it.type) +
                         " (I2_S needs a multiple of 128, TQ1_0/TQ2_0 of 256); use --type tern_t2");
    }
    const std::vector<uint64_t> dims{static_cast<uint64_t>(in), static_cast<uint64_t>(out)};
    it.nbytes = gguf::tensor_nbytes(it.type, dims, gguf_name);
    p.items.push_back(it);
  };

  add_embedding("model.embed_tokens.weight", names::kTokenEmbd);
  add_norm("model.norm.weight", names::kOutputNorm, H);
  if (!c.tie_word_embeddings) add_embedding("lm_head.weight", names::kOutput);
  const int64_t q_out = c.num_attention_heads * c.head_dim;
  const int64_t kv_out = c.num_key_value_heads * c.head_dim;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const int L = static_cast<int>(l);
    const std::string pre = "model.layers." + std::to_string(l) + ".";
    add_norm(pre + "input_layernorm.weight", names::blk(L, names::kAttnNorm), H);
    for (const LinearName& ln : kLinears) {
      const std::string which = ln.hf;
      int64_t out = c.hidden_size, in = c.hidden_size;
      if (which == "self_attn.q_proj") out = q_out;
      if (which == "self_attn.k_proj" || which == "self_attn.v_proj") out = kv_out;
      if (which == "self_attn.o_proj") in = q_out;
      if (which == "mlp.gate_proj" || which == "mlp.up_proj") out = c.intermediate_size;
      if (which == "mlp.down_proj") in = c.intermediate_size;
      add_linear(pre + which, names::blk(L, ln.gguf), out, in);
      if (which == "self_attn.o_proj") {
        // HF BitNetAttention: attn_sub_norm = BitNetRMSNorm(hidden_size).
        add_norm(pre + "self_attn.attn_sub_norm.weight", names::blk(L, names::kAttnSubNorm), H);
      }
    }
    add_norm(pre + "post_attention_layernorm.weight", names::blk(L, names::kFfnNorm), H);
    add_norm(pre + "mlp.ffn_sub_norm.weight", names::blk(L, names::kFfnSubNorm), F);
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
    tensor_fail(*t, "unexpected tensor (not part of BitNetForCausalLM with " + std::to_string(c.num_hidden_layers) +
                        " layers in " + config_path + ")");
  }
  p.layout = layout.value_or(hf::WeightLayout::Packed);
  for (const Item& it : p.items) p.total_bytes += it.nbytes;
  return p;
}

void write_metadata(gguf::Writer& w, const Plan& p, const ConvertOptions& opt) {
  namespace fs = std::filesystem;
  const hf::ModelConfig& c = p.config;
  const std::string& a = p.arch;
  w.set_string(names::kGeneralArchitecture, a);
  std::string model_name = fs::path(opt.input_dir).filename().string();
  if (model_name.empty()) model_name = fs::path(opt.input_dir).parent_path().filename().string();
  w.set_string(names::kGeneralName, model_name);
  // general.file_type in the peers' enums: bitnet.cpp MOSTLY_I2_S = 40, llama.cpp
  // MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37. tern's own type has no peer enum value.
  switch (opt.weight_type) {
    case WeightType::I2_S: w.set_u32(names::kGeneralFileType, 40); break;
    case WeightType::TQ1_0: w.set_u32(names::kGeneralFileType, 36); break;
    case WeightType::TQ2_0: w.set_u32(names::kGeneralFileType, 37); break;
    case WeightType::TernT2:
    case WeightType::TernT1: break;
  }
  w.set_u32(names::kGeneralQuantVersion, 2);
  w.set_u32(names::key(a, names::kVocabSize), static_cast<uint32_t>(c.vocab_size));
  w.set_u32(names::key(a, names::kContextLength), static_cast<uint32_t>(c.max_position_embeddings));
  w.set_u32(names::key(a, names::kEmbeddingLength), static_cast<uint32_t>(c.hidden_size));
  w.set_u32(names::key(a, names::kBlockCount), static_cast<uint32_t>(c.num_hidden_layers));
  w.set_u32(names::key(a, names::kFeedForwardLength), static_cast<uint32_t>(c.intermediate_size));
  w.set_u32(names::key(a, names::kRopeDimCount), static_cast<uint32_t>(c.head_dim));
  w.set_u32(names::key(a, names::kHeadCount), static_cast<uint32_t>(c.num_attention_heads));
  w.set_u32(names::key(a, names::kHeadCountKv), static_cast<uint32_t>(c.num_key_value_heads));
  if (c.head_dim * c.num_attention_heads != c.hidden_size) {
    w.set_u32(names::key(a, names::kKeyLength), static_cast<uint32_t>(c.head_dim));
    w.set_u32(names::key(a, "attention.value_length"), static_cast<uint32_t>(c.head_dim));
  }
  w.set_f32(names::key(a, names::kRmsEps), static_cast<float>(c.rms_norm_eps));
  w.set_f32(names::key(a, names::kRopeFreqBase), static_cast<float>(c.rope_theta));
  w.set_string(names::key(a, names::kHiddenActivation), c.hidden_act);
  w.set_string(names::kTernConvertedFrom, std::string("huggingface ") + c.architecture + " (" +
                                              (p.layout == hf::WeightLayout::Packed ? "packed" : "bf16 master") + ")");
  if (opt.weight_type == WeightType::TernT2 || opt.weight_type == WeightType::TernT1) {
    w.set_bool(names::kTernScaleDivides, true);
  }

  const hf::TokenTable& t = p.tokens;
  w.set_string(names::kTokModel, t.model);
  w.set_string(names::kTokPre, t.pre);
  w.set_string_array(names::kTokTokens, t.tokens);
  w.set_i32_array(names::kTokTokenType, t.types);
  w.set_string_array(names::kTokMerges, t.merges);
  if (t.bos) w.set_u32(names::kTokBos, *t.bos);
  if (t.eos) w.set_u32(names::kTokEos, *t.eos);
  if (t.eot) w.set_u32(names::kTokEot, *t.eot);
  if (t.pad) w.set_u32(names::kTokPad, *t.pad);
  if (t.unk) w.set_u32(names::kTokUnk, *t.unk);
  w.set_bool(names::kTokAddBos, t.add_bos);
  if (t.chat_template) w.set_string(names::kChatTemplate, *t.chat_template);
}

std::vector<uint64_t> ggml_dims(const Item& it) {
  if (it.kind == Item::Norm) return {static_cast<uint64_t>(it.cols)};
  return {static_cast<uint64_t>(it.cols), static_cast<uint64_t>(it.rows)};
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
      switch (it.kind) {
        case Item::Embedding: write_embedding(it, stats); break;
        case Item::Norm: write_norm(it); break;
        case Item::Linear: write_linear(it); break;
      }
      ckpt_.release_pages(*it.weight);
      report(it);
    }
  }

 private:
  void report(const Item& it) {
    if (!opt_.progress) return;
    ConvertProgress pr;
    pr.tensor_index = index_;
    pr.tensor_count = p_.items.size();
    pr.tensor_name = it.gguf_name;
    pr.bytes_done = done_;
    pr.bytes_total = p_.total_bytes;
    opt_.progress(pr);
  }

  void emit(const Item& it, std::span<const uint8_t> bytes) {
    w_.write_tensor_data(it.gguf_name, bytes);
    done_ += bytes.size();
  }

  void write_embedding(const Item& it, hf::EmbdStats& stats) {
    const auto row_bytes = static_cast<size_t>(hf::embd_row_bytes(it.type, it.cols, it.gguf_name));
    const auto cols = static_cast<size_t>(it.cols);
    const size_t rows_per_chunk = std::max<size_t>(1, (8u << 20) / std::max<size_t>(row_bytes, 1));
    std::vector<float> row(cols);
    std::vector<uint8_t> chunk;
    chunk.reserve(rows_per_chunk * row_bytes);
    for (int64_t r = 0; r < it.rows; ++r) {
      for (size_t c = 0; c < cols; ++c) {
        row[c] = hf::load_float_element(*it.weight, static_cast<uint64_t>(r) * cols + c);
        if (!std::isfinite(row[c])) {
          tensor_fail(*it.weight, "non-finite value at [" + std::to_string(r) + ", " + std::to_string(c) + "]");
        }
      }
      const size_t at = chunk.size();
      chunk.resize(at + row_bytes);
      hf::quantize_embd_row(it.type, row.data(), it.cols, chunk.data() + at, &stats);
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
    if (it.type == TensorType::F16 && stats.overflow > 0) {
      tensor_fail(*it.weight, std::to_string(stats.overflow) +
                                  " values exceed the F16 range (|x| > 65504); convert with --embd-type f32");
    }
  }

  void write_norm(const Item& it) {
    std::vector<uint8_t> bytes(static_cast<size_t>(it.cols) * 4);
    for (int64_t i = 0; i < it.cols; ++i) {
      const float v = hf::load_float_element(*it.weight, static_cast<uint64_t>(i));
      if (!std::isfinite(v)) tensor_fail(*it.weight, "non-finite value at element " + std::to_string(i));
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    }
    emit(it, bytes);
  }

  void write_linear(const Item& it) {
    const hf::TernaryWeight tw = it.scale ? hf::unpack_packed(*it.weight, *it.scale, it.rows, it.cols)
                                          : hf::ternarize_master(*it.weight, it.rows, it.cols);
    std::vector<uint8_t> bytes;
    bytes.reserve(static_cast<size_t>(it.nbytes));
    hf::encode_ternary(tw, it.type, it.gguf_name, bytes);
    if (bytes.size() != it.nbytes) {
      throw Error(it.gguf_name + ": internal error: encoded " + std::to_string(bytes.size()) + " bytes, type " +
                  gguf::type_name(it.type) + " needs " + std::to_string(it.nbytes));
    }
    emit(it, bytes);
  }

  gguf::Writer& w_;
  const Plan& p_;
  const hf::Checkpoint& ckpt_;
  const ConvertOptions& opt_;
  size_t index_ = 0;
  uint64_t done_ = 0;
};

std::string describe(const Plan& p) {
  const hf::ModelConfig& c = p.config;
  return "vocab " + std::to_string(c.vocab_size) + ", hidden " + std::to_string(c.hidden_size) + ", ffn " +
         std::to_string(c.intermediate_size) + ", layers " + std::to_string(c.num_hidden_layers) + ", heads " +
         std::to_string(c.num_attention_heads) + "/" + std::to_string(c.num_key_value_heads) + " (head_dim " +
         std::to_string(c.head_dim) + "), act " + c.hidden_act + ", rope_theta " +
         std::to_string(static_cast<long long>(c.rope_theta)) + ", tied " + (c.tie_word_embeddings ? "yes" : "no") +
         ", tokens " + std::to_string(p.tokens.tokens.size()) + ", merges " + std::to_string(p.tokens.merges.size());
}

}  // namespace

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
  rep.arch = plan.arch;
  rep.layout = plan.layout == hf::WeightLayout::Packed ? "packed" : "master (absmean ternarized)";
  rep.summary = describe(plan);
  rep.tensor_bytes = plan.total_bytes;
  for (const Item& it : plan.items) {
    ConvertedTensor ct;
    ct.name = it.gguf_name;
    ct.source = it.weight->name;
    ct.type = gguf::type_name(it.type);
    ct.dims = ggml_dims(it);
    ct.bytes = it.nbytes;
    rep.tensors.push_back(std::move(ct));
  }
  if (!opt.dry_run) {
    hf::EmbdStats stats;
    {
      gguf::Writer w(opt.output_path);
      write_metadata(w, plan, opt);
      for (const Item& it : plan.items) w.add_tensor(it.gguf_name, it.type, ggml_dims(it));
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
