#include "arch/model_writer.h"

#include "arch/rope.h"
#include "gguf/bitnet_names.h"
#include "tern/error.h"

namespace tern::arch {

namespace names = gguf::names;
using gguf::TensorType;

namespace {

PlannedTensor planned(PlannedTensor::Kind kind, std::string name, int64_t rows, int64_t cols, TensorType type) {
  PlannedTensor t;
  t.kind = kind;
  t.name = std::move(name);
  t.rows = rows;
  t.cols = cols;
  t.type = type;
  t.dims = {static_cast<uint64_t>(cols)};
  if (kind != PlannedTensor::Kind::Norm && kind != PlannedTensor::Kind::RopeDivisors) t.dims.push_back(static_cast<uint64_t>(rows));
  t.nbytes = gguf::tensor_nbytes(type, t.dims, t.name);
  return t;
}

}  // namespace

std::vector<PlannedTensor> plan_model_tensors(const ModelDescription& d) {
  using Kind = PlannedTensor::Kind;
  if (d.arch == nullptr) throw Error("internal error: model description without an architecture");
  std::vector<PlannedTensor> plan;
  plan.push_back(planned(Kind::Embedding, names::kTokenEmbd, d.vocab, d.embd, d.embd_type));
  plan.push_back(planned(Kind::Norm, names::kOutputNorm, 1, d.embd, TensorType::F32));
  if (!d.tied_head) plan.push_back(planned(Kind::Head, names::kOutput, d.vocab, d.embd, d.embd_type));
  if (d.rope_llama3) plan.push_back(planned(Kind::RopeDivisors, names::kRopeFreqs, 1, d.head_dim / 2, TensorType::F32));
  const LayerDims dims = d.layer_dims();
  const std::vector<LayerTensorSpec> layer = layer_tensors(d.arch->sub_norms);
  for (int l = 0; l < d.layers; ++l) {
    for (const LayerTensorSpec& s : layer) {
      PlannedTensor t = s.ternary ? planned(Kind::Ternary, names::blk(l, s.gguf), dims(s.out), dims(s.in), d.ternary_type)
                                  : planned(Kind::Norm, names::blk(l, s.gguf), 1, dims(s.out), TensorType::F32);
      t.layer = l;
      t.spec = s;
      plan.push_back(std::move(t));
    }
  }
  return plan;
}

void write_model_metadata(gguf::Writer& w, const ModelDescription& d) {
  const std::string a = d.arch->name;
  auto u32 = [&](const char* key, int64_t v) { w.set_u32(names::key(a, key), static_cast<uint32_t>(v)); };
  w.set_string(names::kGeneralArchitecture, a);
  w.set_string(names::kGeneralName, d.name);
  // general.file_type in the peers' enums: bitnet.cpp MOSTLY_I2_S = 40, llama.cpp
  // MOSTLY_TQ1_0 = 36, MOSTLY_TQ2_0 = 37. tern's own types have no peer enum value.
  switch (d.ternary_type) {
    case TensorType::I2_S: w.set_u32(names::kGeneralFileType, 40); break;
    case TensorType::TQ1_0: w.set_u32(names::kGeneralFileType, 36); break;
    case TensorType::TQ2_0: w.set_u32(names::kGeneralFileType, 37); break;
    default: break;
  }
  w.set_u32(names::kGeneralQuantVersion, 2);
  u32(names::kVocabSize, d.vocab);
  u32(names::kContextLength, d.context);
  u32(names::kEmbeddingLength, d.embd);
  u32(names::kBlockCount, d.layers);
  u32(names::kFeedForwardLength, d.ff);
  u32(names::kRopeDimCount, d.head_dim);
  u32(names::kHeadCount, d.heads);
  u32(names::kHeadCountKv, d.heads_kv);
  if (d.head_dim * d.heads != d.embd) {
    u32(names::kKeyLength, d.head_dim);
    u32("attention.value_length", d.head_dim);
  }
  w.set_f32(names::key(a, names::kRmsEps), static_cast<float>(d.rms_eps));
  w.set_f32(names::key(a, names::kRopeFreqBase), static_cast<float>(d.rope_theta));
  if (d.rope_llama3) {
    w.set_f32(names::kTernRopeLlama3Factor, static_cast<float>(d.rope_llama3->factor));
    w.set_f32(names::kTernRopeLlama3LowFreqFactor, static_cast<float>(d.rope_llama3->low_freq_factor));
    w.set_f32(names::kTernRopeLlama3HighFreqFactor, static_cast<float>(d.rope_llama3->high_freq_factor));
    w.set_u32(names::kTernRopeLlama3OriginalContext, static_cast<uint32_t>(d.rope_llama3->original_context));
  }
  w.set_string(names::key(a, names::kHiddenActivation), ffn_activation_name(d.activation));
  w.set_string(names::kTernConvertedFrom, d.converted_from);
  if (d.ternary_type == TensorType::TERN_T2 || d.ternary_type == TensorType::TERN_T1) {
    w.set_bool(names::kTernScaleDivides, true);
  }
}

void declare_model_tensors(gguf::Writer& w, const std::vector<PlannedTensor>& plan) {
  for (const PlannedTensor& t : plan) w.add_tensor(t.name, t.type, t.dims);
}

}  // namespace tern::arch
