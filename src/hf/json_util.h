// The JSON-with-paths helper and the file reader live in runtime (runtime/json_at.h,
// runtime/read_file.h), below both the converter and the tokenizer; src/hf reaches them
// through this header (they are in namespace tern, so tern::hf sees them unqualified).
#pragma once

#include "runtime/json_at.h"
#include "runtime/read_file.h"
