#include "tools/model_flags.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <thread>

#include "gguf/bitnet_names.h"
#include "model/model_data.h"
#include "tern/error.h"

namespace tern::cli {

CLI::Validator threads_within_cores() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        int n = 0;
        if (!CLI::detail::lexical_cast(value, n)) return "";  // the option's own conversion reports it
        const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
        if (n > cores) {
          std::fprintf(stderr, "tern: note: -t %d lowered to %d, the hardware threads of this machine "
                               "(more threads than cores only take turns)\n", n, cores);
          value = std::to_string(cores);
        }
        return "";
      },
      "", "threads within cores");
}

void add_model_flags(CLI::App& sub, ModelFlags& f) {
  sub.add_option("-m,--model", f.model, "GGUF model file (or -hf REPO)")->check(CLI::ExistingFile);
  add_hub_flags(sub, f.hub);
  sub.add_option("-t,--threads", f.threads, "threads (0 = all hardware threads; more are lowered to that)")
      ->check(CLI::Range(0, 1 << 16))
      ->transform(threads_within_cores())
      ->capture_default_str();
  sub.add_option("-c,--ctx-size", f.ctx, "context length in tokens (0 = the model's)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24))
      ->capture_default_str();
  sub.add_option("-b,--batch-size", f.batch, "prompt tokens per batch")->check(CLI::Range(1, 1 << 16))->capture_default_str();
  sub.add_option("--kernel", f.kernel, "ternary kernel by name (see tern info --kernels)");
  sub.add_option("--kv-type", f.kv_type, "KV cache type: f16 (default) or f32 (exact golden semantics)")
      ->check(CLI::IsMember({"f16", "f32"}));
  sub.add_option("--ffn-activation", f.activation, "override the FFN activation (relu2 or silu)")
      ->check(CLI::IsMember({"relu2", "silu"}));
}

void resolve_model(ModelFlags& f) { f.model = model_path(f.model, f.hub); }

void add_special_in_content_flag(CLI::App& sub, bool& allow) {
  sub.add_flag("--allow-special-in-content", allow,
               "turn special-token text in messages and prompts (e.g. <|eot_id|>) into control tokens; "
               "trusted input only: by default it stays text, so a message cannot end its turn and forge another");
}

void add_sampling_flags(CLI::App& sub, SamplerConfig& c) {
  // The ranges are what the values mean; outside them a value would silently mean "off".
  sub.add_option("--temp,--temperature", c.temperature, "temperature (0 = greedy)")
      ->check(CLI::Range(0.0f, 100.0f))
      ->capture_default_str();
  sub.add_option("--top-k", c.top_k, "top-k (0 = off)")->check(CLI::Range(0, 1 << 24))->capture_default_str();
  sub.add_option("--top-p", c.top_p, "top-p (1 = off)")->check(CLI::Range(0.0f, 1.0f))->capture_default_str();
  sub.add_option("--min-p", c.min_p, "min-p (0 = off)")->check(CLI::Range(0.0f, 1.0f))->capture_default_str();
  sub.add_option("--repeat-penalty", c.repeat_penalty, "repetition penalty (1 = off)")
      ->check(CLI::PositiveNumber & CLI::Range(0.0f, 100.0f))
      ->capture_default_str();
  sub.add_option("--repeat-last-n", c.repeat_last_n, "tokens the repetition penalty looks back on")
      ->check(CLI::Range(0, 1 << 24))
      ->capture_default_str();
  sub.add_option("--presence-penalty", c.presence_penalty, "OpenAI presence penalty over generated tokens (0 = off)")
      ->check(CLI::Range(-2.0f, 2.0f))
      ->capture_default_str();
  sub.add_option("--frequency-penalty", c.frequency_penalty, "OpenAI frequency penalty over generated tokens (0 = off)")
      ->check(CLI::Range(-2.0f, 2.0f))
      ->capture_default_str();
  sub.add_option("-s,--seed", c.seed, "random seed (same seed, same tokens)")->capture_default_str();
}

void warn_if_beyond_training(const Model& model, const ModelFlags& f) {
  const int64_t trained = model.hparams().n_ctx_train;
  if (f.ctx > trained && trained > 0) {
    std::fprintf(stderr, "tern: note: -c %lld is above the context the model was trained on (%lld tokens); "
                         "text past that is out of its training\n",
                 static_cast<long long>(f.ctx), static_cast<long long>(trained));
  }
}

ModelOptions model_options(const ModelFlags& f) {
  ModelOptions o;
  o.kernel = f.kernel;
  o.load_threads = f.threads;  // the repack at load uses the session's threads (0 = all)
  if (f.activation == "relu2") o.activation = FfnActivation::ReLU2;
  if (f.activation == "silu") o.activation = FfnActivation::SiLU;
  return o;
}

SessionOptions session_options(const ModelFlags& f) {
  SessionOptions o;
  o.n_ctx = f.ctx;
  o.kv_type = f.kv_type == "f32" ? KvType::F32 : KvType::F16;
  o.n_threads = f.threads;
  o.n_batch = f.batch;
  return o;
}

const tok::Tokenizer& require_tokenizer(const Model& model) {
  const tok::Tokenizer* t = model.tokenizer();
  if (t == nullptr) throw Error(model.path() + ": " + gguf::names::kTokTokens + ": the file has no vocabulary, so text cannot be tokenized (use --ids)");
  return *t;
}

std::optional<std::string> model_chat_template(const Model& model) {
  if (auto t = model.data().file.get_string_opt(gguf::names::kChatTemplate)) return std::string(*t);
  return std::nullopt;
}

}  // namespace tern::cli
