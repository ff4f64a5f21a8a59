// Byte-level families through `tern convert`'s tokenizer path (HF folder -> TokenTable -> GGUF
// -> tern's tokenizer and chat template), and the same ids with message text marked as text
// (Tokenizer::encode_marked, what chat prompts use against forged turns):
//   * tiiuae Falcon3-*-1.58bit: a hand-made tiny tokenizer in Falcon3's shape
//     (fixtures/falcon3-shape, see make_fixture.py) with Falcon3-7B-Instruct's chat template;
//     expected ids and renders from Hugging Face's tokenizers.js and jinja (make_expected.mjs,
//     cross-checked with Python jinja2);
//   * HF1BitLLM/Llama3-8B-1.58: the shared Llama 3 tokenizer.json and Llama-3-Instruct template
//     against the 60 golden renders of ../shared/chat/cases.jsonl.
#include <gtest/gtest.h>

#include <algorithm>

#include "hf/json_util.h"
#include "tern/chat_template.h"
#include "tokenizer_convert_util.h"

namespace tern::hf::test {
namespace {

using nlohmann::json;

std::string fixture(const std::string& name) { return std::string(TERN_SOURCE_DIR) + "/tests/hf/fixtures/falcon3-shape/" + name; }

const json& expected() {
  static const json e = json::parse(read_text_file(fixture("expected.json")));
  return e;
}

// The fixture in a folder of its own, optionally with tokenizer.json edited.
std::string falcon_folder(const TempDir& tmp, const std::string& name, const std::function<void(json&)>& edit = {}) {
  const std::string dir = tmp.str(name);
  fs::create_directories(dir);
  json tj = json::parse(read_text_file(fixture("tokenizer.json")));
  if (edit) edit(tj);
  write_text(dir + "/tokenizer.json", tj.dump());
  fs::copy_file(fixture("tokenizer_config.json"), dir + "/tokenizer_config.json");
  return dir;
}

// A golden case rendered with its message bytes marked (ChatTemplate::render_marked).
MarkedRender marked_render(const ChatTemplate& tmpl, const json& c, const json& extra) {
  return tmpl.render_marked(nlohmann::ordered_json::parse(c["messages"].dump()), c["add_generation_prompt"].get<bool>(),
                            nlohmann::ordered_json::parse(extra.dump()));
}

constexpr int64_t kFalconVocab = 340;  // more rows than tokens, as Falcon3's 131072 embedding

TEST(Falcon3Shape, TableAndPreTokenizer) {
  TempDir tmp;
  const TokenTable t = load_token_table(falcon_folder(tmp, "f"), kFalconVocab, ConfigTokenIds{std::nullopt, 11, std::nullopt});
  EXPECT_EQ(t.model, "gpt2");
  EXPECT_EQ(t.pre, "smaug-bpe");  // the Llama 3 regex, merges always applied (ignore_merges false)
  EXPECT_EQ(t.tokens[0], ">>TITLE<<");
  EXPECT_EQ(t.types[0], 3);
  EXPECT_EQ(t.tokens[11], "<|endoftext|>");
  EXPECT_EQ(t.eos, 11u);
  EXPECT_FALSE(t.bos);       // Falcon3-1B's config names none, and the tokenizer adds none
  EXPECT_FALSE(t.add_bos);
  ASSERT_TRUE(t.pad);
  EXPECT_EQ(t.tokens[*t.pad], "<|pad|>");
  EXPECT_EQ(t.merges.size(), 60u);
  EXPECT_EQ(t.tokens[kFalconVocab - 1], "[PAD" + std::to_string(kFalconVocab - 1) + "]");
  const json tc = json::parse(read_text_file(fixture("tokenizer_config.json")));
  EXPECT_EQ(t.chat_template, tc["chat_template"].get<std::string>());  // verbatim
}

// llama.cpp types an added token control when it is special or looks special.
TEST(Falcon3Shape, AddedTokenTypesFollowLlamaCpp) {
  TempDir tmp;
  const std::string dir = falcon_folder(tmp, "types", [](json& j) {
    for (json& a : j["added_tokens"]) a["special"] = false;
  });
  fs::remove(dir + "/tokenizer_config.json");  // its added_tokens_decoder says special
  const TokenTable t = load_token_table(dir, kFalconVocab, ConfigTokenIds{});
  const auto user = t.tokens.begin() + 1 + (std::find(t.tokens.begin(), t.tokens.end(), "<|system|>") - t.tokens.begin());
  ASSERT_EQ(*user, "<|user|>");
  EXPECT_EQ(t.types[static_cast<size_t>(user - t.tokens.begin())], 3);  // "<|...|>" looks special
  EXPECT_EQ(t.types[11], 3);                                            // <|endoftext|>
  EXPECT_EQ(t.types[0], 4);                                             // >>TITLE<< does not
}

tok::Tokenizer falcon_tokenizer(const TempDir& tmp, const std::string& dir) {
  const TokenTable t = load_token_table(dir, kFalconVocab, ConfigTokenIds{std::nullopt, 11, std::nullopt});
  return tok::Tokenizer(vocab_through_gguf(t, tmp.str("falcon3.gguf")));
}

TEST(Falcon3Shape, EncodesAndDecodesLikeTokenizersJs) {
  TempDir tmp;
  const tok::Tokenizer t = falcon_tokenizer(tmp, falcon_folder(tmp, "f"));
  ASSERT_EQ(expected()["encode"].size(), 13u);
  for (const json& c : expected()["encode"]) {
    // Added tokens are split out first, as transformers does: parse_special.
    EXPECT_EQ(t.encode(c["text"].get<std::string>(), false, true), c["ids"].get<std::vector<int32_t>>()) << c["text"].dump();
  }
  for (const json& c : expected()["decode"]) {
    EXPECT_EQ(t.decode(c["ids"].get<std::vector<int32_t>>()), c["text"].get<std::string>()) << c["text"].dump();
  }
  EXPECT_TRUE(t.is_eog(11));
}

// ignore_merges decides the pre-tokenizer name: with it, a pre-token that is a token is taken
// whole (" zebra" -> "Ġzebra", which no merge builds), as tokenizers does.
TEST(Falcon3Shape, IgnoreMergesVariant) {
  TempDir tmp;
  const std::string dir = falcon_folder(tmp, "whole", [](json& j) { j["model"]["ignore_merges"] = true; });
  EXPECT_EQ(load_token_table(dir, kFalconVocab, ConfigTokenIds{}).pre, "llama-bpe");
  const tok::Tokenizer t = falcon_tokenizer(tmp, dir);
  const std::optional<int32_t> zebra = t.token_id("\xC4\xA0zebra");
  ASSERT_TRUE(zebra);
  EXPECT_EQ(t.encode(" zebra"), (std::vector<int32_t>{*zebra}));
  EXPECT_NE(expected()["encode"][2]["ids"].get<std::vector<int32_t>>(), (std::vector<int32_t>{*zebra}));
}

TEST(Falcon3Shape, ChatTemplateRendersLikeJinja) {
  TempDir tmp;
  const std::string dir = falcon_folder(tmp, "f");
  const TokenTable table = load_token_table(dir, kFalconVocab, ConfigTokenIds{std::nullopt, 11, std::nullopt});
  const tok::Tokenizer t(vocab_through_gguf(table, tmp.str("falcon3.gguf")));
  const ChatTemplate tmpl(*table.chat_template);
  ASSERT_EQ(expected()["chat"].size(), 6u);
  for (const json& c : expected()["chat"]) {
    const std::string rendered =
        tmpl.render(c["messages"], c["add_generation_prompt"].get<bool>(), json{{"eos_token", "<|endoftext|>"}, {"bos_token", ""}});
    EXPECT_EQ(rendered, c["rendered"].get<std::string>());
    EXPECT_EQ(t.encode(rendered, false, true), c["ids"].get<std::vector<int32_t>>()) << c["rendered"].dump();
    // Message text tokenized as text (no forged turns) changes nothing here.
    const MarkedRender m = marked_render(tmpl, c, json{{"eos_token", "<|endoftext|>"}, {"bos_token", ""}});
    EXPECT_EQ(m.text, rendered);
    EXPECT_EQ(t.encode_marked(m.text, m.from_messages), c["ids"].get<std::vector<int32_t>>()) << c["rendered"].dump();
  }
}

// Llama3-8B-1.58: the Llama 3 tokenizer.json (with tiktoken's tokenizer.model beside it, as
// the shared folder has: the byte-level tokenizer.json wins) and the Llama-3-Instruct template.
TEST(Llama3Instruct, ConvertedTemplateRendersTheGoldenCases) {
  TempDir tmp;
  const std::string dir = tmp.str("llama3");
  fs::create_directories(dir);
  fs::copy_file(shared("tokenizers/llama3/tokenizer.json"), dir + "/tokenizer.json");
  fs::copy_file(shared("tokenizers/llama3/tokenizer.model"), dir + "/tokenizer.model");
  const json templates = json::parse(read_text_file(shared("chat/templates.json")));
  const json& l3 = templates["llama-3-instruct"];
  write_text(dir + "/tokenizer_config.json",
             json{{"bos_token", l3["bos_token"]}, {"eos_token", l3["eos_token"]}, {"chat_template", l3["chat_template"]}}.dump());
  const TokenTable table = load_token_table(dir, 128256, ConfigTokenIds{128000, 128009, std::nullopt});
  EXPECT_EQ(table.pre, "llama-bpe");
  EXPECT_TRUE(table.add_bos);
  EXPECT_EQ(table.eot, 128009u);
  ASSERT_EQ(table.chat_template, l3["chat_template"].get<std::string>());
  const tok::Tokenizer t(vocab_through_gguf(table, tmp.str("llama3.gguf")));
  const ChatTemplate tmpl(*table.chat_template);
  size_t n = 0;
  for (const json& c : read_jsonl(shared("chat/cases.jsonl"))) {
    if (c["template"] != "llama-3-instruct") continue;
    ++n;
    const std::string rendered = tmpl.render(c["messages"], c["add_generation_prompt"].get<bool>(),
                                             json{{"bos_token", c["bos_token"]}, {"eos_token", c["eos_token"]}});
    EXPECT_EQ(rendered, c["rendered"].get<std::string>()) << c["name"];
    EXPECT_EQ(t.encode(rendered, false, true), c["ids"].get<std::vector<int32_t>>()) << c["name"];
    // Message text tokenized as text: the same ids unless the messages write special-token
    // text themselves (tests/chat/no_forged_turns_test.cpp checks those).
    const MarkedRender m = marked_render(tmpl, c, json{{"bos_token", c["bos_token"]}, {"eos_token", c["eos_token"]}});
    if (c["messages"].dump().find("<|") == std::string::npos) {
      EXPECT_EQ(t.encode_marked(m.text, m.from_messages), c["ids"].get<std::vector<int32_t>>()) << c["name"];
    }
  }
  EXPECT_EQ(n, 60u);
}

}  // namespace
}  // namespace tern::hf::test
