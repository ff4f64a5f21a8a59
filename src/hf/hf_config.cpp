#include "hf/hf_config.h"

#include <filesystem>

#include "arch/rope.h"
#include "hf/json_util.h"
#include "tern/error.h"

namespace tern::hf {

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;  // generous; keeps products far from overflow

// An id that may be an integer or a non-empty list of integers (eos_token_id).
std::vector<int64_t> read_id_list(const JsonAt& at) {
  std::vector<int64_t> ids;
  if (at.value.is_array()) {
    if (at.value.empty()) at.fail("empty list of token ids");
    for (size_t i = 0; i < at.value.size(); ++i) ids.push_back(at.at(i).as_int(0, kMaxDim));
  } else {
    ids.push_back(at.as_int(0, kMaxDim));
  }
  return ids;
}

}  // namespace

std::optional<WeightLayout> ModelConfig::declared_layout() const {
  if (family != nullptr && family->quant == arch::HfFamily::Quant::LatentNoConfig) return WeightLayout::Master;
  if (!quantization) return std::nullopt;
  return quantization->quantization_mode == "online" ? WeightLayout::Master : WeightLayout::Packed;
}

ModelConfig parse_model_config(std::string_view text, const std::string& file) {
  const Json root = parse_json(text, file);
  const JsonAt at = json_root(root, file);
  at.require_object();
  ModelConfig c;

  const JsonAt archs = at.child("architectures");
  archs.require_array();
  if (archs.value.empty()) archs.fail("empty");
  c.architecture = archs.at(0).as_string();
  c.family = arch::find_hf_family(c.architecture);
  if (c.family == nullptr) {
    archs.at(0).fail("unsupported architecture '" + c.architecture + "' (tern converts " +
                     arch::hf_architecture_names() + ")");
  }
  const arch::HfFamily& fam = *c.family;
  if (auto v = at.find("model_type")) c.model_type = v->as_string();
  // Biases, tensor-parallel slicing and interleaved RoPE would each compute something else.
  for (const char* key : {"attention_bias", "mlp_bias", "rope_interleaved"}) {
    if (auto v = at.find(key); v && v->as_bool()) v->fail("must be false: tern's graph has no such variant");
  }
  if (auto v = at.find("pretraining_tp"); v && v->as_int(0, 1 << 16) > 1) {
    v->fail("pretraining_tp > 1 (sliced linear layers) is not supported");
  }
  // 1bitLLM's BitLinear: 1-bit (ternary) weights, 8-bit activations; anything else is another model.
  if (auto v = at.find("weight_bits"); v && v->as_int(0, 64) != 1) v->fail("only weight_bits 1 (ternary) is supported");
  if (auto v = at.find("input_bits"); v && v->as_int(0, 64) != 8) v->fail("only input_bits 8 (int8 activations) is supported");

  c.vocab_size = at.child("vocab_size").as_int(1, kMaxDim);
  c.hidden_size = at.child("hidden_size").as_int(1, 1 << 20);
  c.intermediate_size = at.child("intermediate_size").as_int(1, 1 << 22);
  c.num_hidden_layers = at.child("num_hidden_layers").as_int(1, 4096);
  c.num_attention_heads = at.child("num_attention_heads").as_int(1, 1 << 16);
  c.num_key_value_heads = c.num_attention_heads;
  if (auto v = at.find("num_key_value_heads")) c.num_key_value_heads = v->as_int(1, 1 << 16);
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    at.child("num_key_value_heads").fail(std::to_string(c.num_key_value_heads) +
                                         " does not divide num_attention_heads " +
                                         std::to_string(c.num_attention_heads));
  }
  if (auto v = at.find("head_dim")) {
    c.head_dim = v->as_int(1, 1 << 16);
  } else {
    if (c.hidden_size % c.num_attention_heads != 0) {
      at.child("num_attention_heads").fail("does not divide hidden_size " + std::to_string(c.hidden_size) +
                                           " and there is no head_dim");
    }
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.head_dim % 2 != 0) at.child("head_dim").fail("must be even for RoPE");
  c.max_position_embeddings = at.child("max_position_embeddings").as_int(1, kMaxDim);
  c.rms_norm_eps = at.child("rms_norm_eps").as_number();
  if (!(c.rms_norm_eps > 0 && c.rms_norm_eps < 1)) at.child("rms_norm_eps").fail("must be in (0, 1)");
  c.rope_theta = fam.rope_theta;
  if (auto v = at.find("rope_theta")) c.rope_theta = v->as_number();
  if (!(c.rope_theta > 1 && c.rope_theta < 1e12)) at.child("rope_theta").fail("must be a number > 1");
  if (auto v = at.find("rope_scaling")) {
    v->require_object();
    std::string type;
    if (auto t = v->find("rope_type")) {
      type = t->as_string();
    } else if (auto t2 = v->find("type")) {
      type = t2->as_string();
    } else {
      v->fail("has neither rope_type nor type");
    }
    if (type == "llama3") {
      Llama3RopeScaling s;
      s.factor = v->child("factor").as_number();
      s.low_freq_factor = v->child("low_freq_factor").as_number();
      s.high_freq_factor = v->child("high_freq_factor").as_number();
      s.original_context = v->child("original_max_position_embeddings").as_int(1, kMaxDim);
      if (const std::string why = arch::llama3_rope_problem(s); !why.empty()) v->fail(why);
      c.rope_scaling = s;
    } else if (type != "default") {
      v->fail("unsupported RoPE scaling type '" + type + "' (tern implements llama3)");
    }
  }
  c.hidden_act = ffn_activation_name(fam.activation);
  if (auto v = at.find("hidden_act")) c.hidden_act = v->as_string();
  if (c.hidden_act != "relu2" && c.hidden_act != "silu") {
    at.child("hidden_act").fail("unsupported activation '" + c.hidden_act + "' (relu2 or silu)");
  }
  // HF's BitNet attention sub-norm is RMSNorm(hidden_size) on the [heads * head_dim] output.
  if (fam.attn_sub_norm != nullptr && c.num_attention_heads * c.head_dim != c.hidden_size) {
    at.child("num_attention_heads").fail("heads x head_dim must equal hidden_size in " + c.architecture +
                                         " (its attention sub-norm has hidden_size weights)");
  }
  if (auto v = at.find("tie_word_embeddings")) c.tie_word_embeddings = v->as_bool();
  if (auto v = at.find("bos_token_id")) c.bos_token_id = read_id_list(*v).at(0);
  if (auto v = at.find("eos_token_id")) {
    auto ids = read_id_list(*v);
    if (!ids.empty()) c.eos_token_id = ids[0];
  }
  if (auto v = at.find("pad_token_id")) c.pad_token_id = v->as_int(0, kMaxDim);
  if (auto v = at.find("torch_dtype")) c.torch_dtype = v->as_string();

  const auto q = at.find("quantization_config");
  using Quant = arch::HfFamily::Quant;
  if (fam.quant == Quant::LatentNoConfig && q) {
    q->fail(c.architecture + " checkpoints (1bitLLM) carry no quantization_config: this is not that layout");
  }
  if (fam.quant == Quant::BitnetConfig && !q) {
    at.child("architectures").fail(c.architecture +
                                   " without quantization_config {\"quant_method\": \"bitnet\"} is not a ternary model");
  }
  if (q) {
    q->require_object();
    QuantizationConfig qc;
    qc.quant_method = q->child("quant_method").as_string();
    if (qc.quant_method != "bitnet") {
      q->child("quant_method").fail("unsupported quant_method '" + qc.quant_method + "' (expected bitnet)");
    }
    // HF's BitNetQuantConfig defaults.
    qc.linear_class = "bitlinear";
    qc.quantization_mode = "offline";
    if (auto v = q->find("linear_class")) qc.linear_class = v->as_string();
    if (auto v = q->find("quantization_mode")) qc.quantization_mode = v->as_string();
    if (qc.linear_class != "bitlinear" && qc.linear_class != "autobitlinear") {
      q->child("linear_class").fail("unsupported linear_class '" + qc.linear_class + "'");
    }
    if (qc.quantization_mode != "offline" && qc.quantization_mode != "online") {
      q->child("quantization_mode").fail("unsupported quantization_mode '" + qc.quantization_mode + "'");
    }
    // AutoBitLinear in offline mode MULTIPLIES by weight_scale, the opposite of the 2B4T
    // checkpoints; no published model uses it, so refuse rather than guess.
    if (qc.linear_class == "autobitlinear" && qc.quantization_mode == "offline") {
      q->child("linear_class").fail("autobitlinear with quantization_mode offline (weight_scale multiplies) is not supported");
    }
    if (qc.linear_class == "bitlinear" && qc.quantization_mode == "online") {
      q->child("quantization_mode").fail("online quantization needs linear_class autobitlinear");
    }
    if (auto v = q->find("use_rms_norm"); v && v->as_bool()) {
      v->fail("BitLinear with an internal RMSNorm is not supported");
    }
    // HF keeps a module in full precision when an entry is a substring of its name. Entries
    // that spare the embedding, the final norm or the lm_head change nothing (they are never
    // ternary); one that spares a decoder linear would make a model tern cannot run.
    if (auto m = q->find("modules_to_not_convert")) {
      m->require_array();
      for (size_t i = 0; i < m->value.size(); ++i) {
        const std::string entry = m->at(i).as_string();
        for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
          for (const arch::LayerTensorSpec& s : arch::layer_tensors(false)) {
            const std::string module = "model.layers." + std::to_string(l) + "." + s.hf;
            if (s.ternary && module.find(entry) != std::string::npos) {
              m->at(i).fail("'" + entry + "' keeps " + module + " in full precision: not a ternary layer tern can run");
            }
          }
        }
        qc.modules_to_not_convert.push_back(entry);
      }
    }
    c.quantization = qc;
  }
  return c;
}

ModelConfig load_model_config(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "config.json").string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw Error(path + ": missing file");
  return parse_model_config(read_text_file(path), path);
}

GenerationConfig parse_generation_config(std::string_view text, const std::string& file) {
  const Json root = parse_json(text, file);
  const JsonAt at = json_root(root, file);
  at.require_object();
  GenerationConfig g;
  if (auto v = at.find("bos_token_id")) g.bos_token_id = read_id_list(*v).at(0);
  if (auto v = at.find("eos_token_id")) g.eos_token_ids = read_id_list(*v);
  return g;
}

GenerationConfig load_generation_config(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / "generation_config.json").string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  return parse_generation_config(read_text_file(path), path);
}

}  // namespace tern::hf
