// How `tern chat` reads what the user types.
//
// At a terminal: the platform's line editor (platform/line_editor.h: libedit on Linux, so
// arrow keys, Ctrl-A/E, Ctrl-L and the rest edit the line instead of reaching the model as
// escape bytes, and Up recalls earlier messages, kept across runs in a history file; plain
// console lines on Windows). From a pipe (a script): plain lines, exactly as typed. Both ways a message may span lines:
//   - a line ending in a backslash continues on the next one (the backslash becomes "\n");
//   - a line that is exactly """ opens a block, ended by the next line that is exactly """.
// The assembly of lines into messages (MessageAssembler) knows nothing of terminals, so it
// is tested on its own.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "platform/line_editor.h"

namespace tern::cli {

// Lines in, messages out.
class MessageAssembler {
 public:
  // Takes one line (without its newline). Returns the message when it is complete.
  std::optional<std::string> push(const std::string& line);
  // True while a message is open (a continuation or a """ block): the prompt says so.
  bool open() const { return in_block_ || continued_; }
  // At end of input: what an unfinished message holds (a block never closed is still sent).
  std::optional<std::string> finish();

 private:
  std::string take();  // the message so far; the assembler is empty again
  std::string text_;
  bool in_block_ = false;
  bool continued_ = false;
  bool block_has_lines_ = false;
};

class LineReader {
 public:
  // `history_file`: where an interactive session's lines are kept ("" = none kept).
  LineReader(bool interactive, std::string history_file);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next message, or nullopt at the end of input (Ctrl-D on an empty line).
  std::optional<std::string> read_message(const std::string& prompt, const std::string& continuation_prompt);

 private:
  std::optional<std::string> read_line(const std::string& prompt);
  bool interactive_;
  std::unique_ptr<LineEditor> editor_;  // at a terminal only
  MessageAssembler assembler_;
};

// chat_history in the user's state folder (platform/paths.h: ~/.local/state/tern, or
// $XDG_STATE_HOME/tern when set; Windows %LOCALAPPDATA%\tern\state); "" when there is no
// home to keep it in.
std::string default_history_file();

}  // namespace tern::cli
