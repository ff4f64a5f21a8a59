// libedit's readline interface, with a history file written after every line.
#include <editline/readline.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "platform/line_editor.h"

namespace tern {
namespace {
constexpr int kHistoryLines = 2000;  // kept in the file: enough to find last week's question
}  // namespace

LineEditor::LineEditor(std::string history_file) : history_file_(std::move(history_file)) {
  using_history();
  stifle_history(kHistoryLines);
  if (!history_file_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(history_file_).parent_path(), ec);
    read_history(history_file_.c_str());  // a missing file is a first run, not an error
  }
}

LineEditor::~LineEditor() {
  if (!history_file_.empty()) write_history(history_file_.c_str());
}

std::optional<std::string> LineEditor::read_line(const std::string& prompt) {
  char* raw = readline(prompt.c_str());
  if (raw == nullptr) return std::nullopt;  // Ctrl-D on an empty line
  std::string line(raw);
  std::free(raw);
  if (!line.empty()) {
    add_history(line.c_str());
    // Written at once, so a session that is killed keeps what was typed.
    if (!history_file_.empty()) write_history(history_file_.c_str());
  }
  return line;
}

}  // namespace tern
