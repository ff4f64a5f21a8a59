// The `tern` subcommand registry. Each tools/cmd_<name>.cpp registers itself:
//
//   static const bool registered = tern::cli::register_command({"info", "Show a model file",
//       [](CLI::App& sub) { auto opts = std::make_shared<Opts>(); sub.add_option(...);
//                           return [opts] { return run_info(*opts); }; }});
//
// so adding a subcommand never edits main.cpp. A runner returns the process exit code;
// tern::Error thrown from it is printed as "tern <cmd>: <message>" with exit code 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace tern::cli {

using Runner = std::function<int()>;

struct Command {
  const char* name;
  const char* help;
  std::function<Runner(CLI::App&)> setup;  // adds the options; returns the runner
  int order = 100;                          // position in `tern --help`
};

bool register_command(Command command);
const std::vector<Command>& commands();

}  // namespace tern::cli
