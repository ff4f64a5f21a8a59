#include "tools/flag_spellings.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "tern/error.h"

namespace tern::cli {

namespace {

// llama.cpp's multi-letter single-dash spellings that mean what a tern flag means.
struct Rename {
  std::string_view typed, becomes;
};
constexpr Rename kRenames[] = {
    {"-sys", "--system-prompt"},
    {"-cnv", "--conversation"},
    {"-no-cnv", "--no-conversation"},
    {"-hf", "--hf-repo"},   // -hf REPO[:FILE]: a model from the Hugging Face Hub
    {"-hfr", "--hf-repo"},
    {"-hff", "--hf-file"},
};

// Flags with no meaning on a CPU engine: accepted and dropped, with a note. `value`: the
// flag takes a value (always), or may take one of `optional_values` (llama.cpp's -fa took
// none before it took on|off|auto).
struct Ignored {
  std::string_view typed;
  bool value;
  std::initializer_list<std::string_view> optional_values;
  std::string_view why;
};
const Ignored kIgnored[] = {
    {"-ngl", true, {}, "GPU layers: tern runs on the CPU"},
    {"--n-gpu-layers", true, {}, "GPU layers: tern runs on the CPU"},
    {"--gpu-layers", true, {}, "GPU layers: tern runs on the CPU"},
    {"-fa", false, {"on", "off", "auto", "1", "0"}, "flash attention: tern's CPU attention has no such switch"},
    {"--flash-attn", false, {"on", "off", "auto", "1", "0"}, "flash attention: tern's CPU attention has no such switch"},
};

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// "-x..." with a letter after the dash: an option, not a negative number or "-".
bool looks_like_option(std::string_view a) { return a.size() >= 2 && a[0] == '-' && (is_letter(a[1]) || a[1] == '-'); }

// How many of the following arguments are this option's values: 0 for a flag, 1 for an
// option, -1 for a list option (values until the next option-like argument).
int values_after(const CLI::App* app, std::string_view arg) {
  if (arg.find('=') != std::string_view::npos) return 0;  // --name=value
  const CLI::Option* o = nullptr;
  for (const CLI::App* a = app; a && !o; a = a->get_parent()) o = a->get_option_no_throw(std::string(arg));
  if (!o || o->get_items_expected_max() == 0) return 0;
  return o->get_items_expected_max() > 1 ? -1 : 1;
}

const CLI::App* find_subcommand(const CLI::App& app, std::string_view name) {
  for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (s->get_name() == name) return s;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> apply_flag_spellings(const CLI::App& app, int argc, const char* const* argv,
                                              std::vector<std::string>& notes) {
  std::vector<std::string> out;
  if (argc > 0) out.emplace_back(argv[0]);
  const CLI::App* scope = &app;
  int pending_values = 0;  // values of the option just copied still to come (-1: a list)
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") {
      for (; i < argc; ++i) out.emplace_back(argv[i]);
      break;
    }
    if (pending_values > 0 || (pending_values < 0 && !looks_like_option(a))) {
      out.emplace_back(a);
      if (pending_values > 0) --pending_values;
      continue;
    }
    pending_values = 0;
    if (scope == &app && !looks_like_option(a)) {
      if (const CLI::App* sub = find_subcommand(app, a)) scope = sub;
      out.emplace_back(a);
      continue;
    }
    if (const auto* r = std::find_if(std::begin(kRenames), std::end(kRenames), [&](const Rename& x) { return x.typed == a; });
        r != std::end(kRenames)) {
      out.emplace_back(r->becomes);
      pending_values = values_after(scope, r->becomes);
      continue;
    }
    if (const auto* ig = std::find_if(std::begin(kIgnored), std::end(kIgnored), [&](const Ignored& x) { return x.typed == a; });
        ig != std::end(kIgnored)) {
      std::string dropped(a);
      if (ig->value) {
        if (i + 1 >= argc) throw Error(std::string(a) + " needs a value");
        dropped += std::string(" ") + argv[++i];
      } else if (i + 1 < argc && std::find(ig->optional_values.begin(), ig->optional_values.end(),
                                           std::string_view(argv[i + 1])) != ig->optional_values.end()) {
        dropped += std::string(" ") + argv[++i];
      }
      notes.push_back("note: " + dropped + " ignored (" + std::string(ig->why) + ")");
      continue;
    }
    // A single dash, then two or more letters: llama.cpp-style words that CLI11 would split
    // into one-letter flags (-sys = -s -y -s). Attached values (-t4, -n=5) pass through.
    if (a.size() >= 3 && a[0] == '-' && is_letter(a[1]) && is_letter(a[2])) {
      throw Error("unknown option '" + std::string(a) + "': one-dash options are one letter (e.g. -t 4); did you mean -" +
                  std::string(a) + "?");
    }
    out.emplace_back(a);
    if (looks_like_option(a)) {
      // "-t4" carries its value; "-t" or "--threads" takes the next argument(s).
      const bool attached = a[1] != '-' && a.size() > 2;
      if (!attached) pending_values = values_after(scope, a);
    }
  }
  return out;
}

}  // namespace tern::cli
