// An exclusive lock on a lock file, held until destruction: two processes never write the
// same file (the Hub cache's blobs; huggingface_hub locks the same files). POSIX: flock(2)
// (file_lock_posix.cpp); Windows: LockFileEx (file_lock_windows.cpp).
#pragma once

#include <memory>
#include <string>

namespace tern {

class ExclusiveFileLock {
 public:
  // Creates `path` if needed (not its folders) and waits for the lock. Throws tern::Error
  // naming the file when it cannot be opened or locked.
  explicit ExclusiveFileLock(const std::string& path);
  ~ExclusiveFileLock();
  ExclusiveFileLock(const ExclusiveFileLock&) = delete;
  ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
};

}  // namespace tern
