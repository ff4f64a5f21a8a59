// A powercap counter whose every read returns the next value of a known sequence, so a
// test can assert exactly what `tern bench` measures. energy_uj is a FIFO served by a
// thread, one value per reader:
//   1. open the write end once a reader exists (non-blocking open fails with ENXIO before);
//   2. write "value\n" and keep the write end open until the pipe is drained (FIONREAD 0):
//      the pipe (and the value) then survives even if the reader we saw was the previous
//      one still closing — the kernel reports its close (inotify) just before it stops
//      counting as a reader — and the next reader's open returns at once;
//   3. close (the reader's next read sees EOF), then wait for that reader's close
//      (inotify IN_CLOSE_NOWRITE) so no later value can reach the same reader.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

namespace tern::testing {

class FifoCounter {
 public:
  // Read k (k = 0, 1, ...) returns (start + k * step) mod (max_range + 1).
  FifoCounter(std::string path, uint64_t start, uint64_t step, uint64_t max_range)
      : path_(std::move(path)), start_(start), step_(step), max_(max_range) {
    if (::mkfifo(path_.c_str(), 0644) != 0) throw std::runtime_error("mkfifo " + path_);
    inotify_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_ < 0 || ::inotify_add_watch(inotify_, path_.c_str(), IN_CLOSE_NOWRITE) < 0) {
      throw std::runtime_error("inotify on " + path_);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~FifoCounter() {
    stop_ = true;
    thread_.join();
    ::close(inotify_);
  }
  FifoCounter(const FifoCounter&) = delete;
  FifoCounter& operator=(const FifoCounter&) = delete;

  uint64_t reads() const { return served_; }
  uint64_t value(uint64_t k) const { return (start_ + k * step_) % (max_ + 1); }

 private:
  void serve() {
    // A reader that closes between our open and write makes write fail with EPIPE: retry
    // then, instead of dying of SIGPIPE (blocked in this thread; any pending one is eaten).
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    const timespec no_wait{0, 0};
    while (!stop_) {
      while (sigtimedwait(&pipe_only, nullptr, &no_wait) == SIGPIPE) {
      }
      int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {  // ENXIO: nobody is reading yet
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        continue;
      }
      const std::string text = std::to_string(value(served_)) + "\n";
      const ssize_t n = ::write(fd, text.data(), text.size());
      if (n != static_cast<ssize_t>(text.size())) {  // EPIPE: that reader was closing
        ::close(fd);
        continue;
      }
      int unread = 1;
      while (!stop_ && ::ioctl(fd, FIONREAD, &unread) == 0 && unread > 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      ::close(fd);
      if (unread > 0) break;  // stopping with the value unread
      // Wait for the reader to close before the next value.
      while (!stop_) {
        pollfd p{inotify_, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) {
          char buf[4096];
          if (::read(inotify_, buf, sizeof buf) > 0) break;
        }
      }
      ++served_;
    }
  }

  std::string path_;
  uint64_t start_, step_, max_;
  int inotify_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> served_{0};
  std::thread thread_;
};

}  // namespace tern::testing
