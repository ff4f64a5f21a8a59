// `tern template (-m MODEL.gguf | --tokenizer-config tokenizer_config.json) --messages FILE.json
//  [--add-generation-prompt]`: renders the model's own chat template for a conversation and
// prints the prompt byte for byte (no newline added). FILE.json is a list of messages, or an
// object with "messages" and further template variables (e.g. "tools"). A model without a
// template gets the Llama 3 fallback, and stderr says so.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.h"
#include "tern/chat_template.h"
#include "tern/error.h"
#include "tools/command.h"

namespace tern::cli {
namespace {

using ojson = nlohmann::ordered_json;

struct TemplateOptions {
  std::string model;
  std::string tokenizer_config;
  std::string messages;
  bool add_generation_prompt = false;
};

struct ModelChat {
  std::optional<std::string> chat_template;
  ojson tokens = ojson::object();  // bos_token / eos_token
};

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open " + what);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

ojson parse_json(const std::string& path, const char* what) {
  try {
    return ojson::parse(read_file(path, what));
  } catch (const ojson::parse_error& e) {
    throw Error(path + ": " + what + " is not valid JSON: " + e.what());
  }
}

// HF writes special tokens as "text" or as {"content": "text", ...} (AddedToken).
std::optional<std::string> token_text(const ojson& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
  return std::nullopt;
}

ModelChat from_tokenizer_config(const std::string& path) {
  ojson cfg = parse_json(path, "tokenizer config");
  if (!cfg.is_object()) throw Error(path + ": tokenizer config must be a JSON object");
  ModelChat mc;
  if (cfg.contains("chat_template")) {
    const ojson& t = cfg["chat_template"];
    if (t.is_string()) {
      mc.chat_template = t.get<std::string>();
    } else if (t.is_array()) {  // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
      for (const ojson& e : t)
        if (e.is_object() && e.value("name", "") == "default" && e.contains("template") && e["template"].is_string())
          mc.chat_template = e["template"].get<std::string>();
      if (!mc.chat_template) throw Error(path + ": chat_template: a list without a \"default\" template");
    } else if (!t.is_null()) {
      throw Error(path + ": chat_template: expected a string or a list of named templates");
    }
  }
  if (!mc.chat_template) {  // newer HF repositories keep it beside the config
    std::filesystem::path side = std::filesystem::path(path).parent_path() / "chat_template.jinja";
    if (std::filesystem::exists(side)) mc.chat_template = read_file(side.string(), "chat template");
  }
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"})
    if (cfg.contains(key))
      if (auto text = token_text(cfg[key])) mc.tokens[key] = *text;
  return mc;
}

ModelChat from_gguf(const std::string& path) {
  gguf::File file = gguf::File::open(path);
  ModelChat mc;
  if (auto t = file.get_string_opt("tokenizer.chat_template")) mc.chat_template = std::string(*t);
  if (file.find("tokenizer.ggml.tokens")) {
    std::vector<std::string_view> tokens = file.get_string_array("tokenizer.ggml.tokens");
    auto add = [&](const char* id_key, const char* name) {
      if (auto id = file.get_uint_opt(id_key)) {
        if (*id >= tokens.size())
          file.fail(id_key, "token id " + std::to_string(*id) + " is outside the vocabulary (" +
                                std::to_string(tokens.size()) + " tokens)");
        mc.tokens[name] = std::string(tokens[*id]);
      }
    };
    add("tokenizer.ggml.bos_token_id", "bos_token");
    add("tokenizer.ggml.eos_token_id", "eos_token");
  }
  return mc;
}

int run_template(const TemplateOptions& o) {
  ModelChat mc = !o.model.empty() ? from_gguf(o.model) : from_tokenizer_config(o.tokenizer_config);
  ojson input = parse_json(o.messages, "messages file");
  ojson messages, extra = mc.tokens;
  if (input.is_array()) {
    messages = input;
  } else if (input.is_object() && input.contains("messages")) {
    for (auto it = input.begin(); it != input.end(); ++it)
      if (it.key() != "messages") extra[it.key()] = it.value();
    messages = input["messages"];
  } else {
    throw Error(o.messages + ": expected a list of messages or an object with \"messages\"");
  }
  if (!messages.is_array()) throw Error(o.messages + ": \"messages\" must be a list");
  ChatTemplate tpl = ChatTemplate::from_model(mc.chat_template);
  if (tpl.used_fallback())
    std::fprintf(stderr, "tern template: %s has no chat template; using the built-in Llama 3 fallback\n",
                 (!o.model.empty() ? o.model : o.tokenizer_config).c_str());
  std::string prompt = tpl.render(messages, o.add_generation_prompt, extra);
  if (!prompt.empty() && std::fwrite(prompt.data(), 1, prompt.size(), stdout) != prompt.size())
    throw Error("cannot write the prompt to stdout");
  std::fflush(stdout);
  return 0;
}

const bool registered = register_command({"template", "Render a model's chat template for a conversation",
    [](CLI::App& sub) {
      auto o = std::make_shared<TemplateOptions>();
      auto* src = sub.add_option_group("model", "where the chat template comes from");
      src->add_option("-m,--model", o->model, "GGUF model file (tokenizer.chat_template)");
      src->add_option("--tokenizer-config", o->tokenizer_config, "Hugging Face tokenizer_config.json");
      src->require_option(1);
      sub.add_option("--messages", o->messages, "JSON file: [{\"role\": ..., \"content\": ...}, ...]")->required();
      sub.add_flag("--add-generation-prompt", o->add_generation_prompt, "end with the assistant turn's header");
      return [o] { return run_template(*o); };
    }});

}  // namespace
}  // namespace tern::cli
