// `tern run`: evaluate a prompt and generate tokens.
//
//   tern run -m MODEL (-p TEXT | -f FILE | --ids 984,50,76) [--chat [-s SYSTEM]] -n 32
//            [--temp 0 --top-k --top-p --min-p --repeat-penalty --repeat-last-n --seed]
//            [--ignore-eos] [--kv-type f16|f32] [-t THREADS] [--kernel NAME] [-c CTX]
//            [--dump-logits FILE] [--spec|--no-spec --draft-max N --draft-min N --ngram-min N --ngram-max N --draft-policy P]
//
// A text prompt streams the generated text on stdout; an --ids prompt prints the generated
// ids (comma-separated). Timing goes to stderr. --chat renders the prompt as one user
// message through the model's chat template (fallback: Llama 3's, said on stderr). With
// --dump-logits it writes little-endian float32 [rows x n_vocab]: one row per prompt id,
// then one per generated id (each generated token is evaluated too, so rows = prompt +
// generated; with -n 0 exactly one row per id). --spec (speculative decoding with drafts
// from the context, src/generate/) gives the same tokens in fewer forward passes; the dump
// wants one row per token, so it decodes plainly.
//
// The flow is three steps a text / chat front end can reuse: prompt ids (prompt_ids()),
// the generation loop (generate(), which asks pick_next() for each token and calls back
// for each new id), and the logits sink (LogitsDump).
#include <algorithm>
#include <limits>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chat/chat_prompt.h"
#include "generate/speculative.h"
#include "runtime/timer.h"
#include "tern/error.h"
#include "tern/model.h"
#include "tern/session.h"
#include "tern/tokenizer.h"
#include "tern/chat_template.h"
#include "tern/sampler.h"
#include "tools/command.h"
#include "tools/conversation.h"
#include "tools/model_flags.h"
#include "tools/spec_flags.h"

namespace tern::cli {
namespace {

struct RunOptions {
  ModelFlags model;
  SamplerConfig sampling;
  std::string ids;  // comma-separated prompt ids
  std::string prompt;       // -p
  std::string prompt_file;  // -f
  bool chat = false;
  bool allow_special_in_content = false;
  std::string system;
  int n_predict = 32;  // -1: until end of text or context
  bool conversation = false;
  bool ignore_eos = false;
  std::string dump_logits;
  SpecFlags spec;
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

std::string read_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

// The prompt as ids: given directly (--ids), or text (-p / -f) tokenized plainly (BOS if
// the model wants one) or, with --chat, rendered as one user turn through the model's chat
// template (its markup's special tokens parsed). Special-token text in the user's text
// stays text, as in `tern chat` and `tern serve`, unless --allow-special-in-content.
std::vector<int32_t> prompt_ids(const RunOptions& o, const Model& model) {
  const int given = (o.ids.empty() ? 0 : 1) + (o.prompt.empty() ? 0 : 1) + (o.prompt_file.empty() ? 0 : 1);
  if (given != 1) throw Error("give exactly one prompt: -p TEXT, -f FILE or --ids 1,2,3");
  if (!o.ids.empty()) {
    if (o.chat) throw Error("--chat needs a text prompt (-p or -f), not --ids");
    return parse_ids(o.ids);
  }
  const std::string text = o.prompt_file.empty() ? o.prompt : read_file(o.prompt_file);
  const tok::Tokenizer& tokenizer = require_tokenizer(model);
  const auto specials = o.allow_special_in_content ? chat::MessageSpecials::kControl : chat::MessageSpecials::kText;
  if (!o.chat) return chat::text_prompt_ids(tokenizer, text, specials);
  ChatTemplate tmpl = ChatTemplate::from_model(model_chat_template(model));
  if (tmpl.used_fallback()) {
    std::fprintf(stderr, "tern run: %s has no chat template; using the Llama 3 fallback template\n", model.path().c_str());
  }
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!o.system.empty()) messages.push_back({{"role", "system"}, {"content", o.system}});
  messages.push_back({{"role", "user"}, {"content", text}});
  return chat::chat_prompt_ids(tmpl, tokenizer, messages, true, specials);
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

struct RunStats {
  int64_t prompt_tokens = 0, generated = 0;
  double prompt_seconds = 0, gen_seconds = 0;
  gen::SpecStats spec;  // forward passes and drafts when speculating
};

// The generation loop of generate() with drafts: the same tokens (greedy) or the same
// distribution (sampled), each forward pass verifying the drafts after the pending token.
void generate_speculative(Session& session, Sampler& sampler, const std::vector<int32_t>& prompt, const RunOptions& o,
                          const std::vector<int32_t>& stop_ids, std::span<const float> logits,
                          const std::function<void(int32_t)>& on_token, RunStats& st) {
  if (o.n_predict == 0) return;
  auto is_stop = [&](int32_t id) {
    return !o.ignore_eos && std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end();
  };
  std::vector<int32_t> context = prompt;
  context.push_back(sampler.sample(logits));
  on_token(context.back());
  ++st.generated;
  gen::Speculator spec(session, sampler, o.spec.draft);
  while (!is_stop(context.back()) && st.generated < o.n_predict) {
    if (session.n_past() >= session.n_ctx()) {
      std::fprintf(stderr, "tern run: context full (%" PRId64 " tokens), stopping\n", session.n_ctx());
      break;
    }
    for (int32_t id : spec.step(context, o.n_predict - st.generated, is_stop)) {
      context.push_back(id);
      on_token(id);
      ++st.generated;
    }
  }
  st.spec = spec.stats();
}

// Evaluates the prompt, then generates up to o.n_predict tokens, calling on_token for each.
RunStats generate(Session& session, Sampler& sampler, const std::vector<int32_t>& prompt, const RunOptions& o,
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
  if (o.spec.on && !dump.active()) {
    generate_speculative(session, sampler, prompt, o, stop_ids, logits, on_token, st);
    st.gen_seconds = sw.seconds();
    return st;
  }
  for (int i = 0; i < o.n_predict; ++i) {
    const int32_t next = sampler.sample(logits);
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

int run(const RunOptions& options) {
  RunOptions o = options;
  if (o.n_predict < 0) o.n_predict = std::numeric_limits<int>::max();  // -1: the context's end stops it
  std::shared_ptr<const Model> model = Model::load(o.model.model, model_options(o.model));
  warn_if_beyond_training(*model, o.model);
  const SessionOptions so = session_options(o.model);
  Session session(model, so);

  const std::vector<int32_t> prompt = prompt_ids(o, *model);
  Sampler sampler(o.sampling, static_cast<int32_t>(session.n_vocab()));
  for (int32_t id : prompt) sampler.accept(id);
  std::vector<int32_t> stop_ids;
  if (const tok::Tokenizer* t = model->tokenizer()) {
    if (t->eos() >= 0) stop_ids.push_back(t->eos());
    if (t->eot() >= 0) stop_ids.push_back(t->eot());
  }
  LogitsDump dump(o.dump_logits);
  bool first = true;
  const bool text_out = o.ids.empty();
  std::optional<tok::StreamDecoder> decoder;
  if (text_out) decoder.emplace(require_tokenizer(*model), tok::Special::kSkip);
  const RunStats st = generate(session, sampler, prompt, o, stop_ids, dump, [&](int32_t id) {
    if (text_out) {
      const std::string piece = decoder->push(id);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
    } else {
      std::printf(first ? "%d" : ",%d", id);
    }
    std::fflush(stdout);
    first = false;
  });
  if (text_out) std::fputs(decoder->flush().c_str(), stdout);
  std::printf("\n");
  std::fflush(stdout);  // the text and its newline before the stats line on stderr
  dump.close();
  std::fprintf(stderr,
               "tern run: kernel %s, %d threads, kv %s | prompt %" PRId64 " tokens %.3f s (%.2f t/s) | "
               "generated %" PRId64 " tokens %.3f s (%.2f t/s)\n",
               model->report().kernel.c_str(), session.n_threads(), kv_type_name(so.kv_type), st.prompt_tokens,
               st.prompt_seconds, st.prompt_seconds > 0 ? static_cast<double>(st.prompt_tokens) / st.prompt_seconds : 0.0,
               st.generated, st.gen_seconds, st.gen_seconds > 0 ? static_cast<double>(st.generated) / st.gen_seconds : 0.0);
  if (st.spec.steps > 0) {
    std::fprintf(stderr,
                 "tern run: speculative: %" PRId64 " forward passes for %" PRId64 " tokens | drafted %" PRId64
                 ", accepted %" PRId64 " (%.1f %%), declined %" PRId64 " (would not pay)\n",
                 st.spec.steps, st.generated - 1, st.spec.drafted, st.spec.accepted,
                 st.spec.drafted > 0 ? 100.0 * static_cast<double>(st.spec.accepted) / static_cast<double>(st.spec.drafted) : 0.0,
                 st.spec.declined);
  }
  return 0;
}

const bool registered = register_command({"run", "One prompt in, text (or ids) out; timing on stderr",
    [](CLI::App& sub) {
      auto o = std::make_shared<RunOptions>();
      o->sampling.temperature = 0.0f;  // run is greedy unless asked: reproducible by default
      add_model_flags(sub, o->model);
      add_sampling_flags(sub, o->sampling);
      sub.add_option("-p,--prompt", o->prompt, "prompt text");
      sub.add_option("-f,--file", o->prompt_file, "read the prompt text from FILE")->check(CLI::ExistingFile);
      sub.add_option("--ids", o->ids, "prompt as comma-separated token ids, e.g. 128000,9906,1917");
      sub.add_flag("--chat", o->chat, "apply the model's chat template to the prompt (one user turn)");
      add_special_in_content_flag(sub, o->allow_special_in_content);
      sub.add_option("--system-prompt,--system", o->system, "system prompt (with --chat; llama.cpp: -sys)");
      sub.add_option("-n,--n-predict", o->n_predict,
                     "tokens to generate (0: only evaluate the prompt; -1: until end of text or context)")
          ->check(CLI::Range(-1, 1 << 24))
          ->capture_default_str();
      sub.add_flag("--conversation,!--no-conversation", o->conversation,
                   "llama.cpp's -cnv / -no-cnv: tern run completes one prompt (-no-cnv); a conversation is tern chat");
      sub.add_flag("--ignore-eos", o->ignore_eos, "keep generating after end-of-sequence tokens");
      sub.add_option("--dump-logits", o->dump_logits,
                     "write float32 logits [rows x n_vocab] of every evaluated position to FILE");
      add_spec_flags(sub, o->spec);
      return [o] {
        if (o->conversation) throw Error("-cnv / --conversation: a conversation is `tern chat -m MODEL`; tern run completes one prompt");
        check_spec_flags(o->spec);
        resolve_model(o->model);
        return run(*o);
      };
    },
    20});

}  // namespace
}  // namespace tern::cli
