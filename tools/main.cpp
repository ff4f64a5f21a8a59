// tern: one binary, one subcommand per tools/cmd_*.cpp (see command.h).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "tern/error.h"
#include "tools/command.h"
#include "tools/flag_spellings.h"

namespace tern::cli {

static std::vector<Command>& registry() {
  static std::vector<Command> list;
  return list;
}

bool register_command(Command command) {
  registry().push_back(std::move(command));
  return true;
}

const std::vector<Command>& commands() { return registry(); }

}  // namespace tern::cli

namespace {

// `--help` shows every option's default (what -t, -c, -b, -n and serve's limits are when not
// given): captured once here for every subcommand rather than flag by flag. Options without
// a stored value (callbacks) have none to show.
void show_defaults(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) {
    if (o->get_items_expected_max() > 0 && !o->get_required()) o->capture_default_str();
  }
  for (CLI::App* group : app.get_subcommands([](CLI::App* a) { return a->get_name().empty(); })) show_defaults(*group);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace tern::cli;
  CLI::App app{"tern: fast, exact inference for ternary (BitNet b1.58) language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tern 0.1.0");
  std::vector<Command> sorted = commands();
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Command& a, const Command& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, Runner>> runners;
  for (const Command& c : sorted) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    runners.emplace_back(sub, c.setup(*sub));
    show_defaults(*sub);
  }
  if (argc <= 1) {  // bare `tern`: what there is, not just "a subcommand is required"
    std::printf("%s", app.help().c_str());
    return 0;
  }
  try {
    std::vector<std::string> notes;
    std::vector<std::string> args = apply_flag_spellings(app, argc, argv, notes);
    for (const std::string& n : notes) std::fprintf(stderr, "tern: %s\n", n.c_str());
    std::reverse(args.begin(), args.end());  // CLI11 takes a vector in reverse order, program name last
    args.pop_back();
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const tern::Error& e) {
    std::fprintf(stderr, "tern: %s\n", e.what());
    return static_cast<int>(CLI::ExitCodes::ExtrasError);  // as CLI11 answers an argument it does not know
  }
  for (auto& [sub, run] : runners) {
    if (!sub->parsed()) continue;
    try {
      return run();
    } catch (const tern::Error& e) {
      std::fprintf(stderr, "tern %s: %s\n", sub->get_name().c_str(), e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tern %s: internal error: %s\n", sub->get_name().c_str(), e.what());
      return 1;
    }
  }
  return 2;
}
