// Plain line reading where libedit is not available (Windows): the prompt, then one line
// from std::cin. The console edits the line itself; no history file is kept.
#include <cstdio>
#include <iostream>

#include "platform/line_editor.h"

namespace tern {

LineEditor::LineEditor(std::string history_file) : history_file_(std::move(history_file)) {}

LineEditor::~LineEditor() = default;

std::optional<std::string> LineEditor::read_line(const std::string& prompt) {
  std::fputs(prompt.c_str(), stdout);
  std::fflush(stdout);
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
  return line;
}

}  // namespace tern
