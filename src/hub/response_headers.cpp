#include "hub/response_headers.h"

#include <algorithm>
#include <cctype>

#include "hub/cache_layout.h"
#include "tern/error.h"

namespace tern::hub {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

void ResponseHeaders::add_line(std::string_view line) {
  line = trim(line);
  if (line.empty()) return;
  if (line.size() >= 5 && line.substr(0, 5) == "HTTP/") {
    headers_.clear();
    status_ = 0;
    const size_t sp = line.find(' ');
    if (sp != std::string_view::npos && line.size() >= sp + 4) {
      int code = 0;
      for (size_t i = sp + 1; i < sp + 4; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(line[i]))) return;
        code = code * 10 + (line[i] - '0');
      }
      status_ = code;
    }
    return;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return;  // not a header: ignored
  headers_.emplace_back(lower(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
}

std::optional<std::string> ResponseHeaders::get(std::string_view name) const {
  const std::string key = lower(name);
  for (auto it = headers_.rbegin(); it != headers_.rend(); ++it) {
    if (it->first == key) return it->second;
  }
  return std::nullopt;
}

std::string normalize_etag(std::string_view etag) {
  etag = trim(etag);
  if (etag.size() >= 2 && etag.substr(0, 2) == "W/") etag.remove_prefix(2);
  if (!etag.empty() && etag.front() == '"') etag.remove_prefix(1);
  if (!etag.empty() && etag.back() == '"') etag.remove_suffix(1);
  return std::string(etag);
}

std::optional<uint64_t> parse_size(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 19) return std::nullopt;  // 19 digits always fit in 64 bits
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::optional<uint64_t> content_range_start(std::string_view value) {
  value = trim(value);
  if (value.size() < 6 || lower(value.substr(0, 6)) != "bytes ") return std::nullopt;
  value.remove_prefix(6);
  const size_t dash = value.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  return parse_size(value.substr(0, dash));
}

FileMetadata file_metadata(const ResponseHeaders& h, const std::string& url) {
  FileMetadata m;
  m.commit = h.get("x-repo-commit").value_or("");
  if (m.commit.empty()) throw Error(url + ": the answer has no X-Repo-Commit header (is HF_ENDPOINT a Hugging Face Hub?)");
  if (!is_safe_name(m.commit)) throw Error(url + ": X-Repo-Commit '" + m.commit + "' is not a commit hash");
  if (auto linked = h.get("x-linked-etag")) {
    m.etag = normalize_etag(*linked);
    m.lfs = true;
  } else if (auto etag = h.get("etag")) {
    m.etag = normalize_etag(*etag);
  }
  if (m.etag.empty()) throw Error(url + ": the answer has no ETag or X-Linked-Etag header");
  if (!is_safe_name(m.etag)) throw Error(url + ": ETag '" + m.etag + "' is not a content id (letters, digits, '_', '-')");
  if (m.lfs && (m.etag.size() != 64 || !std::all_of(m.etag.begin(), m.etag.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))) {
    throw Error(url + ": X-Linked-Etag '" + m.etag + "' is not a SHA-256 (64 hex digits)");
  }
  if (auto s = h.get("x-linked-size")) m.size = parse_size(*s);
  else if (auto c = h.get("content-length"); c && h.status() / 100 == 2) m.size = parse_size(*c);
  if (h.status() / 100 == 3) m.location = h.get("location").value_or("");
  return m;
}

}  // namespace tern::hub
