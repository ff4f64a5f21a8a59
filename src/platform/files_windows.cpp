// Windows: _stat64 (no inode: 0), a unique temporary name opened exclusively, positioned
// writes with _lseeki64, _commit for fsync, MoveFileExA(MOVEFILE_REPLACE_EXISTING) for a
// rename over an existing file (the C runtime's rename refuses one).
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <share.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "platform/files.h"

namespace tern {
namespace {

bool write_all(int fd, const uint8_t* p, uint64_t n, uint64_t offset) {
  if (_lseeki64(fd, static_cast<__int64>(offset), SEEK_SET) < 0) return false;
  while (n > 0) {
    const int w = _write(fd, p, static_cast<unsigned>(std::min<uint64_t>(n, uint64_t{1} << 30)));
    if (w <= 0) return false;
    p += w;
    n -= static_cast<uint64_t>(w);
  }
  return true;
}

int errno_of_last_error() {
  switch (GetLastError()) {
    case ERROR_ACCESS_DENIED: return EACCES;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND: return ENOENT;
    default: return EIO;
  }
}

}  // namespace

std::optional<FileStamp> file_stamp(const std::string& path) {
  struct _stat64 st {};
  if (_stat64(path.c_str(), &st) != 0) return std::nullopt;
  FileStamp s;
  s.size = static_cast<uint64_t>(st.st_size);
  s.mtime_ns = static_cast<uint64_t>(st.st_mtime) * 1000000000ull;
  s.device = static_cast<uint64_t>(st.st_dev);
  return s;
}

std::string write_file_replacing(const std::string& path, std::span<const FilePiece> pieces) {
  std::random_device rd;
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    tmp = path + ".tmp." + std::to_string(rd());
    _sopen_s(&fd, tmp.c_str(), _O_CREAT | _O_EXCL | _O_WRONLY | _O_BINARY, _SH_DENYRW, _S_IREAD | _S_IWRITE);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0)
    return "cannot create a file in " + std::filesystem::path(path).parent_path().string() + ": " + std::strerror(errno);
  bool ok = true;
  for (const FilePiece& p : pieces) ok = ok && write_all(fd, p.data, p.size, p.offset);
  const int write_errno = errno;
  if (_close(fd) != 0 || !ok) {
    _unlink(tmp.c_str());
    return "cannot write " + tmp + ": " + std::strerror(ok ? errno : write_errno);
  }
  if (!replace_file(tmp, path)) {
    const int e = errno;
    _unlink(tmp.c_str());
    return "cannot rename " + tmp + " to " + path + ": " + std::strerror(e);
  }
  return "";
}

bool flush_to_disk(std::FILE* f) { return std::fflush(f) == 0 && _commit(_fileno(f)) == 0; }

bool replace_file(const std::string& from, const std::string& to) {
  if (MoveFileExA(from.c_str(), to.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return true;
  errno = errno_of_last_error();
  return false;
}

}  // namespace tern
