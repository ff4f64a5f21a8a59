// Open-addressing hash tables for the tokenizer's hot lookups (a token by its bytes, a merge
// by its pair of ids): one probe is usually one cache line, where std::unordered_map chases
// a bucket pointer and then a node. Built once, read-only afterwards.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace tern::tok {

inline uint64_t mix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

inline uint64_t hash_bytes(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(n) * 0xBF58476D1CE4E5B9ull);
  while (n >= 8) {
    uint64_t k;
    std::memcpy(&k, p, 8);
    h = (h ^ mix64(k)) * 0x94D049BB133111EBull;
    p += 8;
    n -= 8;
  }
  uint64_t k = 0;
  if (n) std::memcpy(&k, p, n);
  return mix64(h ^ k);
}

inline size_t table_size_for(size_t n) {
  size_t cap = 16;
  while (cap < n * 2 + 1) cap <<= 1;  // load factor <= 0.5
  return cap;
}

// string bytes -> int32 id. Keys are views: their storage must outlive the map.
class StringIdMap {
 public:
  void reserve(size_t n) { slots_.assign(table_size_for(n), Slot{}); mask_ = slots_.size() - 1; }
  // Inserts unless the key is present (the first id for a key wins).
  void insert(std::string_view key, int32_t id) {
    if (slots_.empty() || (size_ + 1) * 2 > slots_.size()) grow();
    uint64_t h = hash_bytes(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        s = {h, key.data(), static_cast<uint32_t>(key.size()), id};
        ++size_;
        return;
      }
      if (s.hash == h && s.len == key.size() && std::memcmp(s.data, key.data(), key.size()) == 0) return;
    }
  }
  int32_t find(std::string_view key) const {
    if (slots_.empty()) return -1;
    uint64_t h = hash_bytes(key);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == h && s.len == key.size() && std::memcmp(s.data, key.data(), key.size()) == 0) return s.id;
    }
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    const char* data = nullptr;
    uint32_t len = 0;
    int32_t id = -1;  // -1 = empty
  };
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old)
      if (s.id >= 0) insert(std::string_view(s.data, s.len), s.id);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// (left id, right id) -> merge rank and merged id.
class PairMergeMap {
 public:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  void reserve(size_t n) { slots_.assign(table_size_for(n), Slot{}); mask_ = slots_.size() - 1; }
  void insert(int32_t left, int32_t right, Merge m) {  // the first (lowest rank) insert wins
    if (slots_.empty() || (size_ + 1) * 2 > slots_.size()) grow();
    uint64_t key = pack(left, right);
    for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) {
        s = {key, m};
        ++size_;
        return;
      }
      if (s.key == key) return;
    }
  }
  const Merge* find(int32_t left, int32_t right) const {
    if (slots_.empty()) return nullptr;
    uint64_t key = pack(left, right);
    for (size_t i = mix64(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.merge;
      if (s.key == kEmpty) return nullptr;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are non-negative int32, so never a key
  static uint64_t pack(int32_t l, int32_t r) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
  }
  struct Slot {
    uint64_t key = kEmpty;
    Merge merge{};
  };
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old)
      if (s.key != kEmpty) insert(static_cast<int32_t>(s.key >> 32), static_cast<int32_t>(s.key & 0xFFFFFFFF), s.merge);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace tern::tok
