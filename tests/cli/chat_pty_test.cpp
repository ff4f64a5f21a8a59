// `tern chat` at a terminal: driven through a pseudo-terminal as a person types. Arrow keys
// edit the line, Up recalls the history (also the previous run's, from the history file),
// multi-line input (a trailing backslash, a """ block) arrives as one message, colour codes
// appear only when asked for. What the model received is read back from /save.
#include <gtest/gtest.h>
#include <poll.h>
#if TERN_HAVE_PTY_H
#include <pty.h>  // forkpty: glibc
#else
#include <util.h>  // forkpty: the BSDs and macOS
#endif
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/bench_cli_util.h"

namespace {

using tern::testing::ScratchDir;
using tern::testing::slurp;

const std::string kDemo = std::string(TERN_SOURCE_DIR) + "/models/tern-demo-6m.gguf";
constexpr auto kTimeout = std::chrono::seconds(20);  // generous: sanitizers, qemu, a loaded machine

// One `tern chat` on a pseudo-terminal.
class PtyChat {
 public:
  PtyChat(const std::string& home, const std::vector<std::string>& extra, bool no_color = false) {
    std::vector<std::string> args = {TERN_BINARY, "chat", "-m", kDemo, "-t", "1", "--temp", "0", "-n", "3"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      setenv("HOME", home.c_str(), 1);
      unsetenv("XDG_STATE_HOME");
      if (no_color) {
        setenv("NO_COLOR", "1", 1);
      } else {
        unsetenv("NO_COLOR");
      }
      setenv("TERM", "xterm", 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~PtyChat() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  bool started() const { return pid_ > 0; }

  // Reads until the output holds `count` prompts ("> " at a line start), or the time is up.
  // Then waits until the line editor has the terminal in raw mode: keys typed while the
  // terminal is still line-buffered would be cooked by the kernel (Ctrl-D an end of file,
  // arrows echoed as text) before libedit sees them. The master reads the slave's termios.
  bool wait_for_prompts(int count) {
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    while (prompts() < count) {
      if (std::chrono::steady_clock::now() > deadline || !read_some(deadline)) return false;
    }
    for (;;) {
      termios t{};
      if (tcgetattr(fd_, &t) == 0 && (t.c_lflag & ICANON) == 0) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      read_some(std::chrono::steady_clock::now() + std::chrono::milliseconds(5));
    }
  }
  void type(const std::string& keys) { ASSERT_EQ(write(fd_, keys.data(), keys.size()), static_cast<ssize_t>(keys.size())); }
  // Types a line and waits for the next prompt (the reply is done).
  bool line(const std::string& keys) {
    const int before = prompts();
    type(keys + "\r");
    return wait_for_prompts(before + 1);
  }
  int finish() {  // Ctrl-D; the exit status, or -2 when it has not exited in time
    type("\x04");
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    int status = 0;
    for (;;) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;
      if (!read_some(std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100))) &&
          std::chrono::steady_clock::now() > deadline) {
        return -2;
      }
    }
    while (read_some(std::chrono::steady_clock::now() + std::chrono::milliseconds(50))) {
    }
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& output() const { return out_; }

 private:
  int prompts() const {
    int n = 0;
    for (size_t at = out_.find("\n> "); at != std::string::npos; at = out_.find("\n> ", at + 1)) ++n;
    for (size_t at = out_.find("\n\x1b[1;32m>"); at != std::string::npos; at = out_.find("\n\x1b[1;32m>", at + 1)) ++n;
    return n;
  }
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[4096];
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n <= 0) return false;  // EIO: the child closed the terminal
    out_.append(buf, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::string out_;
};

std::vector<std::string> user_messages(const std::string& saved) {
  std::vector<std::string> out;
  const auto doc = nlohmann::json::parse(slurp(saved), nullptr, false);
  if (doc.is_discarded()) return out;
  for (const auto& m : doc["messages"])
    if (m["role"] == "user") out.push_back(m["content"]);
  return out;
}

TEST(ChatPty, ArrowKeysEditAndUpRecallsHistory) {
  ScratchDir home;
  PtyChat chat(home.path(), {"--color", "never"});
  ASSERT_TRUE(chat.started());
  ASSERT_TRUE(chat.wait_for_prompts(1)) << chat.output();
  ASSERT_TRUE(chat.line("hello\x1b[D\x1b[DX")) << chat.output();  // Left, Left, X
  ASSERT_TRUE(chat.line("\x1b[A")) << chat.output();               // Up: the line before, again
  ASSERT_TRUE(chat.line("abc\x01Z\x05!")) << chat.output();        // Ctrl-A Z, Ctrl-E !
  ASSERT_TRUE(chat.line("/save " + (home / "a.json"))) << chat.output();
  EXPECT_EQ(chat.finish(), 0) << chat.output();
  EXPECT_EQ(user_messages(home / "a.json"), (std::vector<std::string>{"helXlo", "helXlo", "Zabc!"})) << chat.output();
  EXPECT_EQ(chat.output().find("\x1b[D"), std::string::npos) << "escape bytes reached the screen as text";
  EXPECT_EQ(chat.output().find("\x1b[36m"), std::string::npos) << "--color never";

  // The next run recalls the last run's lines from the history file.
  ASSERT_TRUE(std::filesystem::exists(home / ".local/state/tern/chat_history"));
  PtyChat again(home.path(), {"--color", "never"});
  ASSERT_TRUE(again.wait_for_prompts(1)) << again.output();
  ASSERT_TRUE(again.line("\x1b[A\x1b[A")) << again.output();  // Up twice: before "/save", "Zabc!"
  ASSERT_TRUE(again.line("/save " + (home / "b.json"))) << again.output();
  EXPECT_EQ(again.finish(), 0) << again.output();
  EXPECT_EQ(user_messages(home / "b.json"), (std::vector<std::string>{"Zabc!"})) << again.output();
}

TEST(ChatPty, MultiLineInputIsOneMessage) {
  ScratchDir home;
  PtyChat chat(home.path(), {"--no-history"});
  ASSERT_TRUE(chat.wait_for_prompts(1)) << chat.output();
  chat.type("first line\\\r");
  ASSERT_TRUE(chat.line("second line")) << chat.output();
  chat.type("\"\"\"\r");
  chat.type("a block\r");
  chat.type("  indented\r");
  ASSERT_TRUE(chat.line("\"\"\"")) << chat.output();
  ASSERT_TRUE(chat.line("/save " + (home / "m.json"))) << chat.output();
  EXPECT_EQ(chat.finish(), 0) << chat.output();
  EXPECT_EQ(user_messages(home / "m.json"), (std::vector<std::string>{"first line\nsecond line", "a block\n  indented"}))
      << chat.output();
  EXPECT_FALSE(std::filesystem::exists(home / ".local/state/tern/chat_history")) << "--no-history";
}

TEST(ChatPty, RolesAreColouredAtATerminalUnlessNoColor) {
  ScratchDir home;
  PtyChat chat(home.path(), {"--no-history"});
  ASSERT_TRUE(chat.wait_for_prompts(1)) << chat.output();
  ASSERT_TRUE(chat.line("hi")) << chat.output();
  EXPECT_EQ(chat.finish(), 0) << chat.output();
  EXPECT_NE(chat.output().find("\x1b[36m"), std::string::npos) << "the reply in colour";
  EXPECT_NE(chat.output().find("\x1b[1;32m"), std::string::npos) << "the prompt in colour";

  PtyChat plain(home.path(), {"--no-history"}, /*no_color=*/true);
  ASSERT_TRUE(plain.wait_for_prompts(1)) << plain.output();
  ASSERT_TRUE(plain.line("hi")) << plain.output();
  EXPECT_EQ(plain.finish(), 0) << plain.output();
  EXPECT_EQ(plain.output().find("\x1b[36m"), std::string::npos) << "NO_COLOR";
}

}  // namespace
