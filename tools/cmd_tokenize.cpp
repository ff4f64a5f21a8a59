// `tern tokenize`: text -> token ids with the tokenizer of a GGUF model or of a tokenizer
// file. Prints "id<TAB>piece" per token (piece = the token's bytes, control characters and
// bytes that are not UTF-8 escaped), or with --ids-only the ids on one line. Plain text by
// default: special-token text is not parsed and no BOS is added.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "gguf/gguf_file.h"
#include "tern/error.h"
#include "tern/tokenizer.h"
#include "tokenizer/utf8.h"
#include "tools/command.h"

namespace tern::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string tokenizer;
  std::string prompt;
  std::string file;
  bool ids_only = false;
  bool parse_special = false;
  bool bos = false;
};

// Bytes for a terminal: printable UTF-8 as is; \n \t \r \\ and other control bytes or
// stray bytes (a token holding part of a character) as escapes.
std::string escape_piece(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto b = static_cast<uint8_t>(s[i]);
    size_t len = tok::valid_utf8_char_len(s.substr(i));
    if (b == '\n') {
      out += "\\n";
    } else if (b == '\t') {
      out += "\\t";
    } else if (b == '\r') {
      out += "\\r";
    } else if (b == '\\') {
      out += "\\\\";
    } else if (b < 0x20 || b == 0x7F || len == 0) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", b);
      out += buf;
    } else {
      out.append(s.substr(i, len));
      i += len;
      continue;
    }
    ++i;
  }
  return out;
}

tok::Tokenizer load(const TokenizeOptions& o) {
  if (!o.model.empty()) return tok::Tokenizer::from_gguf(gguf::File::open(o.model));
  namespace fs = std::filesystem;
  fs::path p(o.tokenizer);
  if (p.extension() == ".model") return tok::Tokenizer::from_sentencepiece(o.tokenizer);
  // tokenizer_config.json beside tokenizer.json names bos/eos, as Hugging Face reads it.
  fs::path config = p.parent_path() / "tokenizer_config.json";
  std::error_code ec;
  return tok::Tokenizer::from_hf_json(o.tokenizer, fs::is_regular_file(config, ec) ? config.string() : "");
}

int run_tokenize(const TokenizeOptions& o) {
  std::string text = o.prompt;
  if (!o.file.empty()) {
    std::ifstream in(o.file, std::ios::binary);
    if (!in) throw Error(o.file + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  tok::Tokenizer t = load(o);
  std::vector<int32_t> ids = t.encode(text, o.bos, o.parse_special);
  std::string out;
  if (o.ids_only) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i) out += ' ';
      out += std::to_string(ids[i]);
    }
    out += '\n';
  } else {
    for (int32_t id : ids) {
      out += std::to_string(id);
      out += '\t';
      out += escape_piece(t.token_to_piece(id));
      out += '\n';
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

const bool registered = register_command({"tokenize", "Show the token ids of a text",
    [](CLI::App& sub) {
      auto o = std::make_shared<TokenizeOptions>();
      auto* src = sub.add_option_group("tokenizer", "where the tokenizer comes from");
      src->add_option("-m,--model", o->model, "GGUF model file");
      src->add_option("--tokenizer", o->tokenizer, "tokenizer.json (or a SentencePiece tokenizer.model)");
      src->require_option(1);
      auto* in = sub.add_option_group("input", "the text");
      in->add_option("-p,--prompt", o->prompt, "the text");
      in->add_option("-f,--file", o->file, "read the text from a file (bytes as they are)");
      in->require_option(1);
      sub.add_flag("--ids-only", o->ids_only, "print only the ids, space separated, on one line");
      sub.add_flag("--parse-special", o->parse_special, "turn special-token text (e.g. <|eot_id|>) into its id");
      sub.add_flag("--bos", o->bos, "prepend the model's BOS token");
      return [o] { return run_tokenize(*o); };
    },
    40});

}  // namespace
}  // namespace tern::cli
