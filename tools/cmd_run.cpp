// `tern run`: evaluate a prompt and generate tokens.
//
//   tern run -m MODEL --ids 984,50,76 -n 32 [--temp 0] [--ignore-eos] [--kv-type f16|f32]
//            [-t THREADS] [--kernel NAME] [-c CTX] [--dump-logits FILE]
//
// Prints the generated ids (comma-separated) on stdout and timing on stderr. With
// --dump-logits it writes little-endian float32 [rows x n_vocab]: one row per prompt id,
// then one per generated id (each generated token is evaluated too, so rows = prompt +
// generated; with -n 0 exactly one row per id).
//
// The flow is three steps a text / chat front end can reuse: prompt ids (prompt_ids()),
// the generation loop (generate(), which asks pick_next() for each token and calls back
// for each new id), and the logits sink (LogitsDump).
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/timer.h"
#include "tern/error.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tern/tokenizer.h"
#include "tools/command.h"

namespace tern::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string ids;  // comma-separated prompt ids
  int n_predict = 32;
  float temp = 0.0f;
  bool ignore_eos = false;
  std::string kv_type = "f16";
  int threads = 0;
  std::string kernel;
  int64_t ctx = 0;
  int64_t batch = 64;
  std::string dump_logits;
};

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(pos, end - pos);
    char* stop = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &stop, 10);
    if (item.empty() || stop != item.c_str() + item.size() || errno != 0 || v < 0 || v > INT32_MAX) {
      throw Error("--ids: '" + item + "' is not a token id (expected comma-separated non-negative integers)");
    }
    ids.push_back(static_cast<int32_t>(v));
    pos = end + 1;
  }
  return ids;
}

// The prompt as ids. (Text prompts and chat templates come in here.)
std::vector<int32_t> prompt_ids(const RunOptions& o) {
  if (o.ids.empty()) throw Error("no prompt: give --ids");
  return parse_ids(o.ids);
}

// Writes logits rows to a file as raw little-endian float32.
class LogitsDump {
 public:
  explicit LogitsDump(const std::string& path) : path_(path) {
    if (path.empty()) return;
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) throw Error(path + ": cannot open for writing: " + std::strerror(errno));
  }
  ~LogitsDump() {
    if (file_ != nullptr) std::fclose(file_);
  }
  bool active() const { return file_ != nullptr; }
  void write(std::span<const float> rows) {
    if (file_ == nullptr) return;
    static_assert(sizeof(float) == 4);
    if (std::fwrite(rows.data(), sizeof(float), rows.size(), file_) != rows.size()) {
      throw Error(path_ + ": write failed: " + std::strerror(errno));
    }
    rows_written_ += rows.size();
  }
  void close() {
    if (file_ != nullptr && std::fclose(file_) != 0) {
      file_ = nullptr;
      throw Error(path_ + ": write failed: " + std::strerror(errno));
    }
    file_ = nullptr;
  }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t rows_written_ = 0;
};

// The next token from the last position's logits. Greedy (first index on ties); the
// sampler (temperature, top-k, ...) plugs in here.
int32_t pick_next(std::span<const float> logits, const RunOptions& o) {
  if (o.temp != 0.0f) throw Error("--temp " + std::to_string(o.temp) + ": only greedy decoding (--temp 0) is available in this build");
  size_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<int32_t>(best);
}

struct RunStats {
  int64_t prompt_tokens = 0, generated = 0;
  double prompt_seconds = 0, gen_seconds = 0;
};

// Evaluates the prompt, then generates up to o.n_predict tokens, calling on_token for each.
RunStats generate(Session& session, const std::vector<int32_t>& prompt, const RunOptions& o,
                  const std::vector<int32_t>& stop_ids, LogitsDump& dump,
                  const std::function<void(int32_t)>& on_token) {
  RunStats st;
  const int64_t V = session.n_vocab();
  Stopwatch sw;
  std::span<const float> logits;
  if (dump.active()) {
    const std::span<const float> all = session.eval_all(prompt);
    dump.write(all);
    logits = all.subspan(all.size() - static_cast<size_t>(V));
  } else {
    logits = session.eval(prompt);
  }
  st.prompt_tokens = static_cast<int64_t>(prompt.size());
  st.prompt_seconds = sw.seconds();
  sw.restart();
  for (int i = 0; i < o.n_predict; ++i) {
    const int32_t next = pick_next(logits, o);
    on_token(next);
    ++st.generated;
    const bool stop = !o.ignore_eos && std::find(stop_ids.begin(), stop_ids.end(), next) != stop_ids.end();
    const bool last = stop || i + 1 == o.n_predict;
    if (last && !dump.active()) break;  // its logits are only needed for the dump
    if (session.n_past() >= session.n_ctx()) {
      std::fprintf(stderr, "tern run: context full (%" PRId64 " tokens), stopping\n", session.n_ctx());
      break;
    }
    logits = session.eval(std::span<const int32_t>(&next, 1));
    dump.write(logits);
    if (last) break;
  }
  st.gen_seconds = sw.seconds();
  return st;
}

int run(const RunOptions& o) {
  ModelOptions mo;
  mo.kernel = o.kernel;
  std::shared_ptr<const Model> model = Model::load(o.model, mo);
  SessionOptions so;
  if (o.kv_type == "f16") {
    so.kv_type = KvType::F16;
  } else if (o.kv_type == "f32") {
    so.kv_type = KvType::F32;
  } else {
    throw Error("--kv-type: '" + o.kv_type + "' (expected f16 or f32)");
  }
  so.n_threads = o.threads;
  so.n_ctx = o.ctx;
  so.n_batch = o.batch;
  Session session(model, so);

  const std::vector<int32_t> prompt = prompt_ids(o);
  std::vector<int32_t> stop_ids;
  if (const tok::Tokenizer* t = model->tokenizer()) {
    if (t->eos() >= 0) stop_ids.push_back(t->eos());
    if (t->eot() >= 0) stop_ids.push_back(t->eot());
  }
  LogitsDump dump(o.dump_logits);
  bool first = true;
  const RunStats st = generate(session, prompt, o, stop_ids, dump, [&](int32_t id) {
    std::printf(first ? "%d" : ",%d", id);
    std::fflush(stdout);
    first = false;
  });
  std::printf("\n");
  dump.close();
  std::fprintf(stderr,
               "tern run: kernel %s, %d threads, kv %s | prompt %" PRId64 " tokens %.3f s (%.2f t/s) | "
               "generated %" PRId64 " tokens %.3f s (%.2f t/s)\n",
               model->report().kernel.c_str(), session.n_threads(), kv_type_name(so.kv_type), st.prompt_tokens,
               st.prompt_seconds, st.prompt_seconds > 0 ? static_cast<double>(st.prompt_tokens) / st.prompt_seconds : 0.0,
               st.generated, st.gen_seconds, st.gen_seconds > 0 ? static_cast<double>(st.generated) / st.gen_seconds : 0.0);
  return 0;
}

const bool registered = register_command({"run", "Evaluate a prompt and generate tokens (greedy)",
    [](CLI::App& sub) {
      auto o = std::make_shared<RunOptions>();
      sub.add_option("-m,--model", o->model, "GGUF model file")->required()->check(CLI::ExistingFile);
      sub.add_option("--ids", o->ids, "prompt as comma-separated token ids, e.g. 128000,9906,1917");
      sub.add_option("-n,--n-predict", o->n_predict, "tokens to generate (0: only evaluate the prompt)")
          ->check(CLI::Range(0, 1 << 24));
      sub.add_option("--temp", o->temp, "temperature (only 0 = greedy for now)");
      sub.add_flag("--ignore-eos", o->ignore_eos, "keep generating after end-of-sequence tokens");
      sub.add_option("--kv-type", o->kv_type, "KV cache type: f16 (default) or f32 (exact golden semantics)");
      sub.add_option("-t,--threads", o->threads, "threads (0 = all cores)");
      sub.add_option("--kernel", o->kernel, "ternary kernel by name (see tern info --kernels)");
      sub.add_option("-c,--ctx-size", o->ctx, "context length (0 = the model's)");
      sub.add_option("-b,--batch-size", o->batch, "prompt tokens per batch")->check(CLI::Range(1, 1 << 16));
      sub.add_option("--dump-logits", o->dump_logits,
                     "write float32 logits [rows x n_vocab] of every evaluated position to FILE");
      return [o] { return run(*o); };
    },
    20});

}  // namespace
}  // namespace tern::cli
