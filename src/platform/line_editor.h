// Reading a line typed at a terminal, with editing and history. Linux: libedit (BSD, Debian's
// libedit), so arrow keys, Ctrl-A/E, Ctrl-L edit the line and Up recalls earlier lines, kept
// in a history file (line_editor_libedit.cpp). Windows: libedit has no Windows port, so
// lines are read plainly; the console's own line editing (arrows, F7 history within the
// session) still works, but no history file is kept (line_editor_plain.cpp).
#pragma once

#include <optional>
#include <string>

namespace tern {

class LineEditor {
 public:
  // `history_file`: where typed lines are kept across runs ("" = none kept).
  explicit LineEditor(std::string history_file);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // The next line without its newline, or nullopt at the end of input (Ctrl-D on an empty
  // line; Windows: Ctrl-Z then Enter).
  std::optional<std::string> read_line(const std::string& prompt);

 private:
  std::string history_file_;
};

}  // namespace tern
