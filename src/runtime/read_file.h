// The one helper that reads a whole file into memory (JSON documents, tokenizer.model,
// prompt files). Large model files are mapped instead (mapped_file.h).
#pragma once

#include <string>

namespace tern {

// The file's bytes; throws tern::Error "<path>: cannot open" or "<path>: read error".
std::string read_text_file(const std::string& path);

}  // namespace tern
