#include "tools/line_reader.h"

#include <filesystem>
#include <iostream>

#include "platform/paths.h"

namespace tern::cli {

namespace {
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
  const std::optional<std::filesystem::path> dir = user_state_dir();
  return dir ? (*dir / "chat_history").string() : "";
}

LineReader::LineReader(bool interactive, std::string history_file) : interactive_(interactive) {
  if (interactive_) editor_ = std::make_unique<LineEditor>(std::move(history_file));
}

LineReader::~LineReader() = default;

std::optional<std::string> LineReader::read_line(const std::string& prompt) {
  if (interactive_) return editor_->read_line(prompt);
  std::string line;
  if (!std::getline(std::cin, line)) return std::nullopt;
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
