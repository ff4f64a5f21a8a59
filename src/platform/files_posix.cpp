// POSIX: stat, mkstemp + pwrite, fsync, rename.
#include "platform/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace tern {
namespace {

// pwrite until done; false on an error.
bool write_all(int fd, const uint8_t* p, uint64_t n, uint64_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, std::min<uint64_t>(n, uint64_t{1} << 30), static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<uint64_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return true;
}

}  // namespace

std::optional<FileStamp> file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStamp s;
  s.size = static_cast<uint64_t>(st.st_size);
#if defined(__APPLE__)
  s.mtime_ns = static_cast<uint64_t>(st.st_mtimespec.tv_sec) * 1000000000ull + static_cast<uint64_t>(st.st_mtimespec.tv_nsec);
#else
  s.mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ull + static_cast<uint64_t>(st.st_mtim.tv_nsec);
#endif
  s.inode = static_cast<uint64_t>(st.st_ino);
  s.device = static_cast<uint64_t>(st.st_dev);
  return s;
}

std::string write_file_replacing(const std::string& path, std::span<const FilePiece> pieces) {
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    return "cannot create a file in " + std::filesystem::path(path).parent_path().string() + ": " + std::strerror(errno);
  bool ok = true;
  for (const FilePiece& p : pieces) ok = ok && write_all(fd, p.data, p.size, p.offset);
  const int write_errno = errno;
  if (::close(fd) != 0 || !ok) {
    ::unlink(tmp.c_str());
    return "cannot write " + tmp + ": " + std::strerror(ok ? errno : write_errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + " to " + path + ": " + std::strerror(e);
  }
  return "";
}

bool flush_to_disk(std::FILE* f) { return std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0; }

bool replace_file(const std::string& from, const std::string& to) { return std::rename(from.c_str(), to.c_str()) == 0; }

}  // namespace tern
