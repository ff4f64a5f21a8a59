#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/file_lock.h"
#include "tern/error.h"

namespace tern {

struct ExclusiveFileLock::Handle {
  int fd = -1;
};

ExclusiveFileLock::ExclusiveFileLock(const std::string& path) : handle_(std::make_unique<Handle>()) {
  handle_->fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (handle_->fd < 0) throw Error(path + ": cannot open the lock file: " + std::strerror(errno));
  while (::flock(handle_->fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      const int e = errno;
      ::close(handle_->fd);
      throw Error(path + ": cannot lock: " + std::strerror(e));
    }
  }
}

ExclusiveFileLock::~ExclusiveFileLock() {
  if (handle_ && handle_->fd >= 0) ::close(handle_->fd);  // closing releases the lock
}

}  // namespace tern
