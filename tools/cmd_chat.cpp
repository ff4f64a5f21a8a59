// `tern chat`: interactive, streaming chat with the model's own template.
//
//   tern chat -m MODEL [-sys SYSTEM] [-n MAX_REPLY] [-c CTX] [-t N] [--temp ...] [--context-full stop|slide]
//
// On a terminal: a line editor with history (tools/line_reader.h), replies streamed token by
// token in colour, commands /help /reset /regen /save FILE /stats /exit; Ctrl-C stops the
// current reply (not the program), Ctrl-D exits. A message may span lines (a trailing
// backslash, or a """ block). When stdin is not a terminal it reads one user turn per line
// (same multi-line rules) and prints only the replies (one per line), so it can be scripted;
// -v adds a stats line per turn on stderr.
// Every turn evaluates only the tokens the KV cache does not already hold (see /stats).
// What the user types is text: special-token text in it never becomes a control token, so
// it cannot end the turn and forge another (--allow-special-in-content allows it).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "platform/signals.h"
#include "platform/terminal.h"
#include "runtime/timer.h"
#include "tern/chat_template.h"
#include "tern/error.h"
#include "tools/command.h"
#include "tools/conversation.h"
#include "tools/line_reader.h"
#include "tools/model_flags.h"
#include "tools/spec_flags.h"

namespace tern::cli {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<bool> g_generating{false};

void on_ctrl_c() {
  if (g_generating.load()) {
    g_cancel.store(true);
  } else {
    static const char msg[] = "\n(Ctrl-D or /exit to quit)\n> ";
    write_stdout_from_handler(msg, sizeof msg - 1);
  }
}

struct ChatOptions {
  ModelFlags model;
  SamplerConfig sampling;
  std::string system;
  int64_t max_reply = -1;
  std::string context_full = "stop";
  bool verbose = false;
  bool allow_special_in_content = false;
  SpecFlags spec;
  bool conversation = true;
  bool seed_given = false;
  std::string color = "auto";
  bool history = true;
};

// ANSI colours for the roles: the prompt marker bold green, the reply cyan; none unless
// stdout is a terminal (and NO_COLOR is unset) or --color always.
struct Palette {
  const char* prompt = "";
  const char* reply = "";
  const char* reset = "";
  std::string prompt_wrapped(const std::string& marker) const {
    if (*prompt == '\0') return marker;
    return std::string("\1") + prompt + "\2" + marker + "\1" + reset + "\2";
  }
};

Palette palette(const std::string& when) {
  const char* no_color = std::getenv("NO_COLOR");
  const bool on = when == "always" || (when == "auto" && is_terminal(StdStream::kOut) && !(no_color && *no_color));
  if (!on) return {};
  return {"\033[1;32m", "\033[36m", "\033[0m"};
}

const char* kHelp =
    "commands:\n"
    "  /help         this list\n"
    "  /reset        forget the conversation (keeps the system prompt)\n"
    "  /regen        drop the last reply and generate it again\n"
    "  /save FILE    write the conversation as JSON\n"
    "  /stats        tokens and speed of the last turn, KV cache use\n"
    "  /exit         quit (or Ctrl-D); Ctrl-C stops the current reply\n"
    "a line ending in \\ continues the message; a line \"\"\" opens a block that the next \"\"\" ends\n";

std::string stats_line(const Conversation& conv) {
  const TurnStats& s = conv.last_stats();
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "[turn: %lld prompt tokens (%lld reused from the KV cache, %lld evaluated), %lld generated; "
                "prompt %.1f t/s, generation %.1f t/s; %lld forward passes for them; cache %lld/%lld tokens%s%s%s]",
                static_cast<long long>(s.prompt_tokens), static_cast<long long>(s.reused_tokens),
                static_cast<long long>(s.prompt_evaluated),
                static_cast<long long>(s.generated_tokens),
                s.prompt_seconds > 0 ? static_cast<double>(s.prompt_evaluated) / s.prompt_seconds : 0.0,
                s.gen_seconds > 0 ? static_cast<double>(s.generated_tokens) / s.gen_seconds : 0.0,
                static_cast<long long>(s.spec.steps > 0 ? s.spec.steps : s.evaluated_tokens - s.prompt_evaluated),
                static_cast<long long>(conv.tokens_in_cache()), static_cast<long long>(conv.context_size()),
                s.dropped_messages > 0 ? "; slid out old turns" : "", s.cancelled ? "; stopped by Ctrl-C" : "",
                s.context_full ? "; context full" : "");
  return buf;
}

int run_chat(const ChatOptions& o) {
  const bool interactive = is_terminal(StdStream::kIn);
  Stopwatch load_timer;
  auto model = Model::load(o.model.model, model_options(o.model));
  warn_if_beyond_training(*model, o.model);
  const tok::Tokenizer& tokenizer = require_tokenizer(*model);
  Session session(model, session_options(o.model));
  ChatTemplate tmpl = ChatTemplate::from_model(model_chat_template(*model));
  if (tmpl.used_fallback()) {
    std::fprintf(stderr, "tern chat: %s has no chat template; using the Llama 3 fallback template\n",
                 o.model.model.c_str());
  }
  Conversation conv(session, tokenizer, std::move(tmpl), o.sampling,
                    o.context_full == "slide" ? ContextPolicy::kSlide : ContextPolicy::kStop,
                    o.allow_special_in_content ? chat::MessageSpecials::kControl : chat::MessageSpecials::kText);
  if (!o.system.empty()) conv.set_system_prompt(o.system);
  if (o.spec.on) conv.set_speculative(o.spec.draft);

  on_interrupt(on_ctrl_c);  // a Ctrl-C at the prompt must not end the read

  if (interactive) {
    std::printf("tern chat: %s (%s, %lld layers, kernel %s), context %lld, loaded in %.2f s\n"
                "type /help for commands, Ctrl-D to quit\n",
                o.model.model.c_str(), model->hparams().arch.c_str(), static_cast<long long>(model->hparams().n_layer),
                model->report().kernel.c_str(), static_cast<long long>(session.n_ctx()), load_timer.seconds());
  }
  const Palette colour = palette(o.color);
  const auto stream = [&colour](std::string_view text) {
    std::fputs(colour.reply, stdout);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputs(colour.reset, stdout);
    std::fflush(stdout);
  };
  LineReader reader(interactive, o.history ? default_history_file() : "");
  // The prompt's colour codes are wrapped in \1 .. \2, so libedit leaves them out of the width.
  const std::string prompt = "\n" + colour.prompt_wrapped(">") + " ", more = colour.prompt_wrapped(".") + " ";
  for (;;) {
    const std::optional<std::string> message = reader.read_message(interactive ? prompt : "", interactive ? more : "");
    if (!message) break;  // Ctrl-D / end of input
    const std::string& line = *message;
    if (line.empty()) continue;
    if (line[0] == '/') {
      const std::string cmd = line.substr(0, line.find(' '));
      const std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
      if (cmd == "/exit" || cmd == "/quit") break;
      if (cmd == "/help") { std::printf("%s", kHelp); continue; }
      if (cmd == "/stats") {
        std::printf("%s [seed %llu%s]\n", stats_line(conv).c_str(), static_cast<unsigned long long>(o.sampling.seed),
                    o.seed_given ? "" : ", drawn for this run: --seed repeats it");
        continue;
      }
      if (cmd == "/reset") { conv.reset(); std::printf("(conversation reset)\n"); continue; }
      if (cmd == "/save") {
        if (arg.empty()) { std::printf("usage: /save FILE\n"); continue; }
        std::ofstream out(arg);
        nlohmann::ordered_json doc = {{"model", o.model.model}, {"system", o.system}, {"messages", conv.messages()}};
        out << doc.dump(2) << "\n";
        std::printf(out ? "(saved %zu messages to %s)\n" : "(could not write %zu messages to %s)\n",
                    conv.messages().size(), arg.c_str());
        continue;
      }
      if (cmd != "/regen") { std::printf("unknown command %s (/help lists them)\n", cmd.c_str()); continue; }
    }
    g_cancel.store(false);
    g_generating.store(true);
    try {
      if (line.rfind("/regen", 0) == 0) {
        conv.regenerate(o.max_reply, g_cancel, stream);
      } else {
        conv.reply(line, o.max_reply, g_cancel, stream);
      }
    } catch (const Error& e) {
      g_generating.store(false);
      std::fprintf(stderr, "tern chat: %s\n", e.what());
      if (!interactive) return 1;
      continue;
    }
    g_generating.store(false);
    std::printf("\n");
    std::fflush(stdout);
    const TurnStats& s = conv.last_stats();
    if (s.context_full) std::fprintf(stderr, "tern chat: context full (%lld tokens): reply cut; /reset or --context-full slide\n", static_cast<long long>(conv.context_size()));
    if (o.verbose) std::fprintf(stderr, "%s\n", stats_line(conv).c_str());
  }
  if (interactive) std::printf("\n");
  return 0;
}

const bool registered = register_command({"chat", "Interactive streaming chat with the model's chat template",
    [](CLI::App& sub) {
      auto o = std::make_shared<ChatOptions>();
      add_model_flags(sub, o->model);
      add_sampling_flags(sub, o->sampling);
      sub.add_option("--system-prompt,--system", o->system, "system prompt (llama.cpp: -sys)");
      sub.add_option("-n,--n-predict", o->max_reply, "max tokens per reply (-1 = until end of turn)")
          ->check(CLI::Range(int64_t{-1}, int64_t{1} << 24))
          ->capture_default_str();
      sub.add_flag("--conversation,!--no-conversation", o->conversation,
                   "llama.cpp's -cnv / -no-cnv: tern chat is a conversation (-cnv); one prompt in, text out is tern run");
      sub.add_option("--context-full", o->context_full, "when the context is full: stop (default) or slide (drop oldest turns)")
          ->check(CLI::IsMember({"stop", "slide"}));
      sub.add_flag("-v,--verbose", o->verbose, "print a stats line per turn on stderr");
      sub.add_option("--color,--colour", o->color,
                     "colour the roles: auto (when stdout is a terminal and NO_COLOR is unset), always, never")
          ->check(CLI::IsMember({"auto", "always", "never"}))
          ->capture_default_str();
      sub.add_flag("!--no-history", o->history,
                   "keep no history file (default: typed lines are kept in $XDG_STATE_HOME/tern/chat_history, "
                   "else ~/.local/state/tern/chat_history)");
      add_special_in_content_flag(sub, o->allow_special_in_content);
      add_spec_flags(sub, o->spec);
      CLI::App* app = &sub;
      return [o, app] {
        if (!o->conversation) throw Error("-no-cnv / --no-conversation: one prompt in, text out is `tern run -m MODEL -p TEXT`");
        // A fresh seed each run unless --seed is given (printed by /stats, so a run can be repeated).
        o->seed_given = app->get_option("--seed")->count() > 0;
        if (!o->seed_given) o->sampling.seed = std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
        check_spec_flags(o->spec);
        resolve_model(o->model);
        return run_chat(*o);
      };
    }, 10});

}  // namespace
}  // namespace tern::cli
