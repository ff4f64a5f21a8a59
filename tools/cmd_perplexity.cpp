// `tern perplexity`: perplexity over non-overlapping windows, the way llama-perplexity
// computes it (llama.cpp tools/perplexity/perplexity.cpp, perplexity()):
//   * the whole file is tokenized once, with BOS if the model adds one;
//   * it is cut into n_chunk = n_tokens / CTX windows of CTX tokens (the tail is dropped);
//   * each window starts from an empty cache, and its first token is replaced by BOS (when
//     the model adds BOS), so every window looks like the start of a document;
//   * only the second half is scored: the logits at positions CTX/2 .. CTX-2 predict the
//     tokens at CTX/2+1 .. CTX-1, so every scored token has at least CTX/2 of context;
//   * PPL = exp(mean NLL); the ± is the standard error of the mean NLL times PPL.
// One difference: llama.cpp refuses files shorter than 2·CTX tokens; tern needs one window.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "platform/terminal.h"
#include "runtime/timer.h"
#include "tern/error.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tern/tokenizer.h"
#include "tools/command.h"
#include "tools/model_flags.h"

namespace tern::cli {
namespace {

struct PerplexityOptions {
  std::string model;
  std::string text_file;
  std::string ids_file;
  int ctx = 512;
  int batch = 128;
  int chunks = -1;
  int threads = 0;
  std::string kernel;
  std::string kv_type = "f16";
};

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Token ids separated by whitespace and/or commas, e.g. "984 50 76" or "984,50,76".
std::vector<int32_t> parse_ids_file(const std::string& path, int64_t n_vocab) {
  const std::string text = read_whole_file(path);
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
      ++i;
      continue;
    }
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), v);
    if (ec != std::errc() || end == text.data() + i) {
      throw Error(path + ": byte " + std::to_string(i) + ": expected a token id, found '" + text.substr(i, 16) + "'");
    }
    if (v < 0 || v >= n_vocab) {
      throw Error(path + ": token id " + std::to_string(v) + " (number " + std::to_string(ids.size() + 1) +
                  ") is outside the model's vocabulary [0, " + std::to_string(n_vocab) + ")");
    }
    ids.push_back(static_cast<int32_t>(v));
    i = static_cast<size_t>(end - text.data());
  }
  return ids;
}

// -log softmax(logits)[target], in double.
double negative_log_likelihood(std::span<const float> logits, int32_t target) {
  float max_logit = logits[0];
  for (float l : logits) max_logit = std::max(max_logit, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(double(l) - double(max_logit));
  return -(double(logits[static_cast<size_t>(target)]) - double(max_logit) - std::log(sum));
}

int run_perplexity(const PerplexityOptions& o) {
  if (o.text_file.empty() == o.ids_file.empty()) throw Error("give exactly one of -f FILE or --ids-file FILE");
  if (o.ctx < 3) throw Error("-c must be at least 3 (the second half of the window is scored)");
  if (o.batch < 1) throw Error("-b must be at least 1");
  if (o.kv_type != "f16" && o.kv_type != "f32") throw Error("--kv-type must be f16 or f32, not '" + o.kv_type + "'");

  ModelOptions mo;
  mo.kernel = o.kernel;
  std::shared_ptr<const Model> model = Model::load(o.model, mo);
  if (!model->tokenizer()) throw Error(o.model + ": no tokenizer (tokenizer.ggml.*) in the file");
  const tok::Tokenizer& tokenizer = *model->tokenizer();

  std::vector<int32_t> tokens;
  std::string source;
  if (!o.ids_file.empty()) {
    tokens = parse_ids_file(o.ids_file, model->hparams().n_vocab);
    source = o.ids_file;
  } else {
    Stopwatch sw;
    tokens = tokenizer.encode(read_whole_file(o.text_file), tokenizer.add_bos(), /*parse_special=*/false);
    source = o.text_file;
    std::fprintf(stderr, "perplexity: tokenized %s into %zu tokens in %.2f s\n", source.c_str(), tokens.size(),
                 sw.seconds());
  }
  const int ctx = o.ctx;
  if (tokens.size() < static_cast<size_t>(ctx)) {
    throw Error(source + ": " + std::to_string(tokens.size()) + " tokens, fewer than one window of -c " +
                std::to_string(ctx));
  }
  const int max_chunks = static_cast<int>(tokens.size() / static_cast<size_t>(ctx));
  const int n_chunk = o.chunks < 0 ? max_chunks : std::min(o.chunks, max_chunks);
  if (n_chunk < 1) throw Error("--chunks must be at least 1");
  const bool replace_bos = tokenizer.add_bos() && tokenizer.bos() >= 0;
  const int first = ctx / 2;

  SessionOptions so;
  so.n_ctx = ctx;
  so.n_threads = o.threads;
  so.kv_type = o.kv_type == "f32" ? KvType::F32 : KvType::F16;
  Session session(model, so);
  const size_t n_vocab = static_cast<size_t>(session.n_vocab());

  std::fprintf(stderr, "perplexity: %d chunks of %d tokens, scoring positions %d..%d of each, %d threads%s\n",
               n_chunk, ctx, first + 1, ctx - 1, session.n_threads(), replace_bos ? ", BOS first" : "");
  double nll = 0, nll2 = 0;
  int64_t count = 0;
  Stopwatch total;
  const bool progress = is_terminal(StdStream::kErr);
  std::vector<int32_t> window(static_cast<size_t>(ctx));
  for (int c = 0; c < n_chunk; ++c) {
    const size_t start = static_cast<size_t>(c) * static_cast<size_t>(ctx);
    std::copy_n(tokens.begin() + static_cast<std::ptrdiff_t>(start), ctx, window.begin());
    if (replace_bos) window[0] = tokenizer.bos();
    session.reset();
    for (int b = 0; b < ctx; b += o.batch) {
      const int n = std::min(o.batch, ctx - b);
      std::span<const int32_t> ids(window.data() + b, static_cast<size_t>(n));
      if (b + n <= first) {  // no scored position in this batch: only the cache matters
        session.eval(ids);
        continue;
      }
      std::span<const float> logits = session.eval_all(ids);
      for (int p = std::max(b, first); p < b + n && p < ctx - 1; ++p) {
        const double v = negative_log_likelihood(logits.subspan(static_cast<size_t>(p - b) * n_vocab, n_vocab),
                                                 window[static_cast<size_t>(p) + 1]);
        nll += v;
        nll2 += v * v;
        ++count;
      }
    }
    const double per_chunk = total.seconds() / (c + 1);
    // One line rewritten in place for a person watching; whole lines for a log file.
    std::fprintf(stderr, "%sperplexity: [%d/%d] %.2f s/chunk, ETA %.1f min, PPL so far %.4f%s", progress ? "\r" : "",
                 c + 1, n_chunk, per_chunk, per_chunk * (n_chunk - c - 1) / 60.0, std::exp(nll / double(count)),
                 progress ? "   " : "\n");
  }
  if (progress) std::fprintf(stderr, "\n");

  const double mean = nll / double(count);
  const double ppl = std::exp(mean);
  const double var = nll2 / double(count) - mean * mean;
  const double err = (count > 1 && var > 0) ? std::sqrt(var / double(count - 1)) * ppl : 0.0;
  std::printf("perplexity: %s: %d chunks x %d tokens, %lld tokens scored, %.2f s\n", source.c_str(), n_chunk, ctx,
              static_cast<long long>(count), total.seconds());
  std::printf("PPL = %.4f ± %.5f\n", ppl, err);
  return 0;
}

[[maybe_unused]] const bool registered = register_command(
    {"perplexity", "Perplexity of a text over non-overlapping windows (like llama-perplexity)",
     [](CLI::App& sub) {
       auto o = std::make_shared<PerplexityOptions>();
       sub.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // last one wins
       sub.add_option("-m,--model", o->model, "GGUF model file")->required();
       sub.add_option("-f,--file", o->text_file, "text file to score");
       sub.add_option("--ids-file", o->ids_file, "token ids to score instead of a text (whitespace/comma separated)");
       sub.add_option("-c,--ctx-size", o->ctx, "window length in tokens")->capture_default_str();
       sub.add_option("-b,--batch-size", o->batch, "tokens per evaluation call (memory: b x n_vocab floats)")
           ->capture_default_str();
       sub.add_option("--chunks", o->chunks, "score at most this many windows (-1 = all)")->capture_default_str();
       sub.add_option("-t,--threads", o->threads, "threads (0 = all hardware threads)")
           ->transform(threads_within_cores())
           ->capture_default_str();
       sub.add_option("--kernel", o->kernel, "ternary kernel (default: the dispatch choice)");
       sub.add_option("--kv-type", o->kv_type, "KV cache type: f16 or f32")->capture_default_str();
       return [o] { return run_perplexity(*o); };
     },
     70});

}  // namespace
}  // namespace tern::cli
