// tern::Model: open the GGUF, read the hyper-parameters, bind the weights, pick the kernel.
#include <utility>

#include "gguf/bitnet_names.h"
#include "model/model_data.h"
#include "runtime/timer.h"
#include "tern/error.h"
#include "tern/model.h"

namespace tern {

std::shared_ptr<const Model> Model::load(const std::string& path, const ModelOptions& options) {
  Stopwatch sw;
  auto data = std::make_unique<model::ModelData>();
  data->path = path;
  data->file = gguf::File::open(path);
  data->report.file_bytes = data->file.file_size();
  data->hp = model::read_hparams(data->file, options);
  std::string why;
  data->kernel = options.kernel.empty() ? &kernels::select_kernel(&why) : &kernels::kernel_by_name(options.kernel);
  if (!options.kernel.empty()) why = "requested by name";
  data->report.kernel = data->kernel->name;
  data->report.kernel_why = why;
  model::bind_weights(*data);
  if (data->file.find(gguf::names::kTokModel) != nullptr) {
    data->tokenizer = std::make_unique<tok::Tokenizer>(tok::Tokenizer::from_gguf(data->file));
  }
  data->report.load_seconds = sw.seconds();
  return std::shared_ptr<const Model>(new Model(std::move(data)));
}

Model::Model(std::unique_ptr<model::ModelData> data) : data_(std::move(data)) {}
Model::~Model() = default;

const std::string& Model::path() const { return data_->path; }
const ModelHParams& Model::hparams() const { return data_->hp; }
const LoadReport& Model::report() const { return data_->report; }
uint64_t Model::bytes_per_token() const { return data_->bytes_per_token; }
const tok::Tokenizer* Model::tokenizer() const { return data_->tokenizer.get(); }

}  // namespace tern
