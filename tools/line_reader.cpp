#include "tools/line_reader.h"

#include <editline/readline.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace tern::cli {

namespace {
constexpr int kHistoryLines = 2000;  // kept in the file: enough to find last week's question
constexpr const char* kBlockFence = R"(""")";
}  // namespace

std::string MessageAssembler::take() {
  std::string done = std::move(text_);
  text_.clear();
  in_block_ = continued_ = block_has_lines_ = false;
  return done;
}

std::optional<std::string> MessageAssembler::push(const std::string& raw) {
  // A pasted Windows text may bring a carriage return with each line.
  std::string line = !raw.empty() && raw.back() == '\r' ? raw.substr(0, raw.size() - 1) : raw;
  if (in_block_) {
    if (line == kBlockFence) return take();
    if (block_has_lines_) text_ += '\n';
    text_ += line;
    block_has_lines_ = true;
    return std::nullopt;
  }
  if (!continued_ && line == kBlockFence) {
    in_block_ = true;
    return std::nullopt;
  }
  const bool continues = !line.empty() && line.back() == '\\';
  if (continues) line.pop_back();
  text_ += line;
  if (continues) {
    text_ += '\n';
    continued_ = true;
    return std::nullopt;
  }
  return take();
}

std::optional<std::string> MessageAssembler::finish() {
  if (!open()) return std::nullopt;
  if (continued_ && !text_.empty()) text_.pop_back();  // the newline a continuation added
  return take();
}

std::string default_history_file() {
  namespace fs = std::filesystem;
  fs::path dir;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) {
    dir = fs::path(state) / "tern";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = fs::path(home) / ".local" / "state" / "tern";
  } else {
    return "";
  }
  return (dir / "chat_history").string();
}

LineReader::LineReader(bool interactive, std::string history_file)
    : interactive_(interactive), history_file_(std::move(history_file)) {
  if (!interactive_) return;
  using_history();
  stifle_history(kHistoryLines);
  if (!history_file_.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(history_file_).parent_path(), ec);
    read_history(history_file_.c_str());  // a missing file is a first run, not an error
  }
}

LineReader::~LineReader() {
  if (interactive_ && !history_file_.empty()) write_history(history_file_.c_str());
}

std::optional<std::string> LineReader::read_line(const std::string& prompt) {
  if (!interactive_) {
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }
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

std::optional<std::string> LineReader::read_message(const std::string& prompt, const std::string& continuation_prompt) {
  for (;;) {
    const std::optional<std::string> line = read_line(assembler_.open() ? continuation_prompt : prompt);
    if (!line) return assembler_.finish();
    if (auto message = assembler_.push(*line)) return message;
  }
}

}  // namespace tern::cli
