// libFuzzer target: what tern reads from the Hugging Face Hub or a user before it becomes a
// URL or a cache path (src/hub/): the REPO[:FILE] spec, response headers and the file
// metadata taken from them, the tree listing and the choice of files. The first byte picks
// the reader. Bad input must throw tern::Error; any other exception escapes and libFuzzer
// reports it. Every path that comes out must be a safe relative path (checked again here).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hub/cache_layout.h"
#include "hub/repo_listing.h"
#include "hub/repo_spec.h"
#include "hub/response_headers.h"
#include "tern/error.h"

namespace {

// No empty, "." or ".." component and not absolute: the path stays inside snapshots/{commit}.
void must_be_safe(const std::string& path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") std::abort();
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {
        const size_t nl = text.find('\n');
        const auto spec = tern::hub::parse_repo_spec(text.substr(0, nl),
                                                     nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1));
        must_be_safe(spec.repo);
        if (!spec.file.empty()) must_be_safe(spec.file);
        break;
      }
      case 1: {
        tern::hub::ResponseHeaders h;
        size_t start = 0;
        while (start < text.size()) {
          size_t end = text.find('\n', start);
          if (end == std::string_view::npos) end = text.size();
          h.add_line(text.substr(start, end - start));
          start = end + 1;
        }
        const auto m = tern::hub::file_metadata(h, "https://hub/x");
        if (!tern::hub::is_safe_name(m.etag) || !tern::hub::is_safe_name(m.commit)) std::abort();
        (void)tern::hub::content_range_start(h.get("content-range").value_or(""));
        break;
      }
      case 2: {
        std::vector<std::string> paths;
        for (const auto& f : tern::hub::parse_tree_listing(text, "listing")) {
          must_be_safe(f.path);
          paths.push_back(f.path);
        }
        for (const std::string& f : tern::hub::choose_files(tern::hub::parse_repo_spec("o/r"), paths).files) must_be_safe(f);
        break;
      }
    }
  } catch (const tern::Error&) {
  }
  return 0;
}
