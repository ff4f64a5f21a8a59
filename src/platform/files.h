// File operations whose system calls differ per OS: a file's identity (to tell a changed
// model file), writing a new file whole and renaming it into place, and flushing to disk.
// POSIX: stat, mkstemp + pwrite, fsync, rename (files_posix.cpp); Windows: _stat64,
// _sopen_s + _lseeki64, _commit, MoveFileEx (files_windows.cpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>

namespace tern {

// What tells a file apart from a rewritten one at the same path.
struct FileStamp {
  uint64_t size = 0;
  uint64_t mtime_ns = 0;
  uint64_t inode = 0;   // 0 where the OS has none (Windows)
  uint64_t device = 0;
};
std::optional<FileStamp> file_stamp(const std::string& path);

// Bytes to write at an offset of a new file.
struct FilePiece {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  uint64_t offset = 0;
};

// Writes `pieces` into a new temporary file beside `path`, then renames it to `path`
// (replacing any file there), so a reader never sees a half-written file. Returns "" or
// what failed, naming the file.
std::string write_file_replacing(const std::string& path, std::span<const FilePiece> pieces);

// fflush and then the OS's flush to disk (fsync); false (errno set) on failure.
bool flush_to_disk(std::FILE* f);

// Renames `from` to `to`, replacing `to` if it exists (POSIX rename does; Windows needs
// MoveFileEx). false (errno set) on failure.
bool replace_file(const std::string& from, const std::string& to);

}  // namespace tern
