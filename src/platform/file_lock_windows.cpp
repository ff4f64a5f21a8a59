#include <windows.h>

#include "platform/file_lock.h"
#include "tern/error.h"

namespace tern {

struct ExclusiveFileLock::Handle {
  HANDLE file = INVALID_HANDLE_VALUE;
};

ExclusiveFileLock::ExclusiveFileLock(const std::string& path) : handle_(std::make_unique<Handle>()) {
  handle_->file = ::CreateFileA(path.c_str(), GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                                OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (handle_->file == INVALID_HANDLE_VALUE) {
    throw Error(path + ": cannot open the lock file (Windows error " + std::to_string(::GetLastError()) + ")");
  }
  OVERLAPPED whole{};
  if (!::LockFileEx(handle_->file, LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD, &whole)) {
    const DWORD e = ::GetLastError();
    ::CloseHandle(handle_->file);
    throw Error(path + ": cannot lock (Windows error " + std::to_string(e) + ")");
  }
}

ExclusiveFileLock::~ExclusiveFileLock() {
  if (handle_ && handle_->file != INVALID_HANDLE_VALUE) ::CloseHandle(handle_->file);  // releases the lock
}

}  // namespace tern
