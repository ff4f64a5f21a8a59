// `tern serve` as a child process for the tests that need the real CLI (its flags, its
// signal handling, its log on stderr): started with fork/exec, stderr to a temporary file
// the port is read from, stopped with SIGTERM. Plus raw-socket helpers for the tests that
// must speak HTTP badly (slowly, partially, or not at all).
#pragma once
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tern::test {

// True when TERN_BINARY runs under an emulator (the aarch64 suite under qemu): its
// timings and memory figures are the emulator's.
inline bool tern_emulated() { return std::string(TERN_BINARY).find("emulated") != std::string::npos; }

inline std::string demo_model() { return std::string(TERN_SOURCE_DIR) + "/models/tern-demo-6m.gguf"; }

class ServeProcess {
 public:
  // args after `tern serve`; env: extra NAME=VALUE entries for the child.
  explicit ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    static std::atomic<int> serial{0};
    log_ = (std::filesystem::temp_directory_path() /
            ("tern-serve-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".log"))
               .string();
    std::vector<std::string> argv_s = {TERN_BINARY, "serve"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!std::freopen(log_.c_str(), "w", stderr)) ::_exit(127);
      for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> argv;
      for (const std::string& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~ServeProcess() {
    terminate();
    std::error_code ec;
    std::filesystem::remove(log_, ec);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The port from the "on http://127.0.0.1:PORT" line, once /health answers; -1 on timeout.
  int wait_ready(std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      const std::string text = log();
      const size_t at = text.find("http://127.0.0.1:");
      if (at != std::string::npos && text.find("reserved", at) != std::string::npos) {
        const int port = std::atoi(text.c_str() + at + 17);
        httplib::Client c("127.0.0.1", port);
        if (auto r = c.Get("/health"); r && r->status == 200) return port;
      }
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  // SIGTERM and wait; the exit status (-1 if already gone).
  int terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  // Sends a signal without waiting (a drain test's SIGTERM).
  void signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // Waits up to `timeout` for the process to exit by itself: its exit code, or -1 if it
  // is still running (then it is left to the destructor) or died by a signal.
  int wait_exit(std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0 && std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  std::string log() const {
    std::ifstream f(log_);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }

 private:
  pid_t pid_ = -1;
  std::string log_;
};

// `tern serve` on the demo model (one thread, 256-token context) with these extra flags;
// *port is its port once /health answers, or -1.
inline std::unique_ptr<ServeProcess> start_demo_serve(const std::vector<std::string>& flags, int* port,
                                                      const std::vector<std::string>& env = {}) {
  std::vector<std::string> args = {"-m", demo_model(), "--port", "0", "-t", "1", "-c", "256"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto srv = std::make_unique<ServeProcess>(args, env);
  *port = srv->wait_ready(std::chrono::seconds(120));
  return srv;
}

// The tests hold hundreds of sockets: lift this process's descriptor limit to the hard one.
inline void raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

// A connected loopback TCP socket, or -1.
inline int connect_to(int port) {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(s);
    return -1;
  }
  return s;
}

// Sends all of data; false if the peer is gone (no SIGPIPE).
inline bool send_all(int s, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(s, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes or `timeout` passes; what arrived.
inline std::string read_until_closed(int s, std::chrono::milliseconds timeout) {
  std::string out;
  const auto end = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{s, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::recv(s, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// True if the server has closed s (EOF or reset) by now; reads and drops pending data.
inline bool closed_by_peer(int s) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(s, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

}  // namespace tern::test
