// tern::Model: open the GGUF, read the hyper-parameters, bind the weights, pick the backend.
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
  // The backend table: ModelOptions::kernel (--kernel) if given, else TERN_KERNEL, else the
  // best this CPU runs (kernels/backend.h has the syntax).
  data->backend = options.kernel.empty()
                      ? kernels::select_backend_from_env()
                      : kernels::select_backend(options.kernel, "--kernel", "requested by name");
  data->report.kernel = data->backend.ternary->name;
  data->report.kernel_why = data->backend.why_of(kernels::Entry::Ternary);
  model::bind_weights(*data, options);
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
