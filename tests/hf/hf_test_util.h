// Helpers for the hf tests: build safetensors images, temporary folders, golden paths, and
// independent decoders of every ternary layout (written from the format descriptions, not
// shared with src/hf, so a bug in the converter cannot hide in both).
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "platform/environment.h"

namespace tern::hf::test {

namespace fs = std::filesystem;

inline std::string golden(const std::string& model) { return std::string(TERN_SHARED_DIR) + "/golden/" + model; }
inline std::string peers(const std::string& rel) { return std::string(TERN_SHARED_DIR) + "/peers/" + rel; }

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
inline void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
inline void write_text(const std::string& path, const std::string& s) {
  std::ofstream out(path, std::ios::binary);
  out << s;
}

// A fresh folder removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("tern_hf_test_" + std::to_string(tern::process_id()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str(const std::string& name = "") const { return name.empty() ? path.string() : (path / name).string(); }
  // Copies a golden model folder (its HF files, not golden/) into `name`.
  std::string copy_model(const std::string& model, const std::string& name) const {
    const fs::path dst = path / name;
    fs::create_directories(dst);
    for (const auto& e : fs::directory_iterator(golden(model))) {
      if (e.is_regular_file()) {
        fs::copy_file(e.path(), dst / e.path().filename());
        fs::permissions(dst / e.path().filename(), fs::perms::owner_read | fs::perms::owner_write);
      }
    }
    return dst.string();
  }
};

// A safetensors image from a header JSON and a data section.
inline std::vector<uint8_t> st_image(const std::string& header, const std::vector<uint8_t>& data) {
  const uint64_t n = header.size();
  std::vector<uint8_t> out(8 + header.size() + data.size());
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  for (size_t i = 0; i < header.size(); ++i) out[8 + i] = static_cast<uint8_t>(header[i]);
  for (size_t i = 0; i < data.size(); ++i) out[8 + header.size() + i] = data[i];
  return out;
}

struct StEntry {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;
};
// A well-formed safetensors image of `entries` (in order), with __metadata__ format pt.
inline std::vector<uint8_t> st_build(const std::vector<StEntry>& entries) {
  nlohmann::json h = nlohmann::json::object();
  h["__metadata__"] = {{"format", "pt"}};
  std::vector<uint8_t> data;
  for (const auto& e : entries) {
    h[e.name] = {{"dtype", e.dtype}, {"shape", e.shape}, {"data_offsets", {data.size(), data.size() + e.bytes.size()}}};
    data.insert(data.end(), e.bytes.begin(), e.bytes.end());
  }
  return st_image(h.dump(), data);
}

// ---- independent decoders -------------------------------------------------------------

// HF pack_weights layout: byte[r][c] holds rows r, r+R, r+2R, r+3R (bits 1:0 .. 7:6).
inline std::vector<int8_t> hf_unpack(const uint8_t* packed, int64_t R, int64_t K) {
  std::vector<int8_t> t(static_cast<size_t>(4 * R * K));
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t c = 0; c < K; ++c) {
      const uint8_t b = packed[r * K + c];
      for (int i = 0; i < 4; ++i) t[static_cast<size_t>((i * R + r) * K + c)] = static_cast<int8_t>(((b >> (2 * i)) & 3) - 1);
    }
  }
  return t;
}

// TERN_T2: row r at r*Kp/4; in a 128-group, byte m holds elements m, m+32, m+64, m+96 in
// bits 1:0, 3:2, 5:4, 7:6.
inline std::vector<int8_t> t2_decode(const uint8_t* d, int64_t rows, int64_t K) {
  const int64_t kp = (K + 127) / 128 * 128;
  std::vector<int8_t> t(static_cast<size_t>(rows * K));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < K; ++c) {
      const int64_t g = c / 128, e = c % 128;
      const uint8_t b = d[r * kp / 4 + g * 32 + e % 32];
      t[static_cast<size_t>(r * K + c)] = static_cast<int8_t>(((b >> (2 * (e / 32))) & 3) - 1);
    }
  }
  return t;
}

// I2_S: the flat tensor in 128-blocks of 32 bytes; byte p: element p in bits 7:6, p+32 in
// 5:4, p+64 in 3:2, p+96 in 1:0.
inline std::vector<int8_t> i2s_decode(const uint8_t* d, int64_t n) {
  std::vector<int8_t> t(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t blk = i / 128, e = i % 128;
    const uint8_t b = d[blk * 32 + e % 32];
    t[static_cast<size_t>(i)] = static_cast<int8_t>(((b >> (6 - 2 * (e / 32))) & 3) - 1);
  }
  return t;
}

inline float f16_value(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const float s = (h & 0x8000) ? -1.f : 1.f;
  if (e == 0) return s * std::ldexp(static_cast<float>(m), -24);
  if (e == 31) return m ? NAN : s * INFINITY;
  return s * std::ldexp(static_cast<float>(m + 1024), e - 25);
}

// TQ2_0: 66-byte blocks of 256: 64 code bytes (half h, byte 32h+m: element 128h+m+32l in
// bits 2l), then f16 d. Returns the trits; `d_out` gets every block's d.
inline std::vector<int8_t> tq2_decode(const uint8_t* d, int64_t n, std::vector<float>* d_out) {
  std::vector<int8_t> t(static_cast<size_t>(n));
  for (int64_t blk = 0; blk < n / 256; ++blk) {
    const uint8_t* b = d + blk * 66;
    for (int e = 0; e < 256; ++e) {
      const int h = e / 128, l = (e % 128) / 32, m = e % 32;
      t[static_cast<size_t>(blk * 256 + e)] = static_cast<int8_t>(((b[32 * h + m] >> (2 * l)) & 3) - 1);
    }
    if (d_out) d_out->push_back(f16_value(static_cast<uint16_t>(b[64] | b[65] << 8)));
  }
  return t;
}

// TQ1_0: 54-byte blocks: qs[0..31] elements m+32n (n = 0..4), qs[32..47] elements
// 160+m+16n, qh[0..3] elements 240+j+4n (n = 0..3); digit n of byte q is
// ((uint8)(q * 3^n) * 3) >> 8. Then f16 d.
inline std::vector<int8_t> tq1_decode(const uint8_t* d, int64_t n, std::vector<float>* d_out) {
  std::vector<int8_t> t(static_cast<size_t>(n));
  auto digit = [](uint8_t q, int k) {
    uint8_t v = q;
    for (int i = 0; i < k; ++i) v = static_cast<uint8_t>(v * 3);
    return static_cast<int8_t>(((static_cast<uint16_t>(v) * 3) >> 8) - 1);
  };
  for (int64_t blk = 0; blk < n / 256; ++blk) {
    const uint8_t* b = d + blk * 54;
    int8_t* o = t.data() + blk * 256;
    for (int m = 0; m < 32; ++m) for (int k = 0; k < 5; ++k) o[m + 32 * k] = digit(b[m], k);
    for (int m = 0; m < 16; ++m) for (int k = 0; k < 5; ++k) o[160 + m + 16 * k] = digit(b[32 + m], k);
    for (int j = 0; j < 4; ++j) for (int k = 0; k < 4; ++k) o[240 + j + 4 * k] = digit(b[48 + j], k);
    if (d_out) d_out->push_back(f16_value(static_cast<uint16_t>(b[52] | b[53] << 8)));
  }
  return t;
}

inline float bf16_value(const uint8_t* p) {
  uint32_t bits = static_cast<uint32_t>(p[0] | p[1] << 8) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace tern::hf::test
