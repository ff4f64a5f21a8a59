// The parsers of untrusted Hub input (repo specs, response headers, the tree listing), the
// choice of file, the cache layout and SHA-256. Downloads: hub_download_test.py.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "hub/cache_layout.h"
#include "hub/repo_listing.h"
#include "hub/repo_spec.h"
#include "hub/response_headers.h"
#include "hub/sha256.h"
#include "tern/error.h"

namespace tern::hub {
namespace {

namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(HubRepoSpec, RepoFileAndQuantTag) {
  RepoSpec s = parse_repo_spec("microsoft/bitnet-b1.58-2B-4T-gguf");
  EXPECT_EQ(s.repo, "microsoft/bitnet-b1.58-2B-4T-gguf");
  EXPECT_EQ(s.file, "");
  EXPECT_EQ(s.quant, "");
  EXPECT_EQ(s.revision, "main");
  s = parse_repo_spec("org/name:sub/ggml-model-i2_s.gguf");
  EXPECT_EQ(s.file, "sub/ggml-model-i2_s.gguf");
  s = parse_repo_spec("org/name:I2_S");
  EXPECT_EQ(s.quant, "I2_S");
  EXPECT_EQ(s.file, "");
  s = parse_repo_spec("org/name", "model.gguf");
  EXPECT_EQ(s.file, "model.gguf");
  EXPECT_EQ(parse_repo_spec("gpt2").repo, "gpt2");  // a legacy id without an org
}

TEST(HubRepoSpec, RefusesWhatIsNotARepoOrPath) {
  for (const char* bad : {"", "/", "org/", "/name", "a/b/c", "org/na me", "org/..", "org/a--b", "-org/x", "org/x.",
                          "org/x:", "org/x:../../etc/passwd.gguf", "org/x:/abs.gguf", "org/x:a//b.gguf", "org/x:ta g"}) {
    EXPECT_NE(error_of([&] { parse_repo_spec(bad); }), "") << bad;
  }
  EXPECT_NE(error_of([] { parse_repo_spec("org/x:f.gguf", "g.gguf"); }).find("give one"), std::string::npos);
  EXPECT_NE(error_of([] { parse_repo_spec("org/x y"); }).find("'org/x y'"), std::string::npos);
}

TEST(HubHeaders, MetadataOfAnLfsRedirect) {
  ResponseHeaders h;
  h.add_line("HTTP/1.1 302 Found\r\n");
  h.add_line("x-repo-commit: 0123456789abcdef0123456789abcdef01234567\r\n");
  h.add_line("ETag: \"pointer\"\r\n");
  h.add_line("X-Linked-Etag: \"ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789\"\r\n");
  h.add_line("X-Linked-Size: 1187801280\r\n");
  h.add_line("Location: https://cdn.example/x\r\n");
  h.add_line("\r\n");
  const FileMetadata m = file_metadata(h, "u");
  EXPECT_EQ(h.status(), 302);
  EXPECT_TRUE(m.lfs);
  EXPECT_EQ(m.etag, "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
  EXPECT_EQ(m.size, 1187801280u);
  EXPECT_EQ(m.location, "https://cdn.example/x");
  EXPECT_EQ(m.commit, "0123456789abcdef0123456789abcdef01234567");
}

TEST(HubHeaders, NonLfsEtagAndANewResponseForgetsTheLast) {
  ResponseHeaders h;
  h.add_line("HTTP/1.1 302 Found");
  h.add_line("X-Linked-Etag: \"aa\"");
  h.add_line("HTTP/2 200");
  h.add_line("X-Repo-Commit: abc");
  h.add_line("ETag: W/\"0a1b\"");
  h.add_line("Content-Length: 22");
  const FileMetadata m = file_metadata(h, "u");
  EXPECT_FALSE(m.lfs);
  EXPECT_EQ(m.etag, "0a1b");
  EXPECT_EQ(m.size, 22u);
  EXPECT_EQ(m.location, "");
}

TEST(HubHeaders, RefusesMissingOrUnsafeFields) {
  auto meta = [](std::initializer_list<const char*> lines) {
    ResponseHeaders h;
    h.add_line("HTTP/1.1 200 OK");
    for (const char* l : lines) h.add_line(l);
    return error_of([&] { file_metadata(h, "https://hub/x"); });
  };
  EXPECT_NE(meta({"ETag: \"a\""}).find("X-Repo-Commit"), std::string::npos);
  EXPECT_NE(meta({"X-Repo-Commit: abc"}).find("ETag"), std::string::npos);
  EXPECT_NE(meta({"X-Repo-Commit: ../x", "ETag: a"}), "");
  EXPECT_NE(meta({"X-Repo-Commit: abc", "ETag: \"../../etc\""}), "");
  EXPECT_NE(meta({"X-Repo-Commit: abc", "X-Linked-Etag: \"abc\""}).find("SHA-256"), std::string::npos);
}

TEST(HubHeaders, SizesAndContentRange) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size(" 18446744073709551615"), std::nullopt);  // 20 digits
  EXPECT_EQ(parse_size("1234567890123456789"), 1234567890123456789u);
  EXPECT_EQ(parse_size("-1"), std::nullopt);
  EXPECT_EQ(parse_size("12a"), std::nullopt);
  EXPECT_EQ(content_range_start("bytes 100-199/200"), 100u);
  EXPECT_EQ(content_range_start("bytes */200"), std::nullopt);
  EXPECT_EQ(content_range_start("items 1-2/3"), std::nullopt);
  EXPECT_EQ(normalize_etag("W/\"x\""), "x");
}

TEST(HubListing, TreeListingSkipsDirectoriesAndChecksPaths) {
  const auto files = parse_tree_listing(
      R"([{"type":"directory","path":"sub"},{"type":"file","path":"sub/a.gguf","size":5,"lfs":{"oid":"x"}},
          {"type":"file","path":"README.md"}])",
      "url");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "sub/a.gguf");
  EXPECT_EQ(files[0].size, 5u);
  EXPECT_EQ(files[1].size, std::nullopt);
  EXPECT_NE(error_of([] { parse_tree_listing("{}", "url"); }).find("not a JSON array"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tree_listing("[", "url"); }).find("not JSON"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tree_listing(R"([{"type":"file","path":"../x"}])", "url"); }).find("entry 0"), std::string::npos);
  EXPECT_NE(error_of([] { parse_tree_listing(R"([{"type":"file"}])", "url"); }).find("path"), std::string::npos);
}

TEST(HubListing, ChoosesTheTernaryGguf) {
  RepoSpec s = parse_repo_spec("o/r");
  EXPECT_EQ(choose_files(s, {"README.md", "ggml-model-f16.gguf", "ggml-model-i2_s.gguf"}).gguf, "ggml-model-i2_s.gguf");
  EXPECT_EQ(choose_files(s, {"a-f16.gguf", "a-TQ2_0.gguf"}).gguf, "a-TQ2_0.gguf");
  EXPECT_EQ(choose_files(s, {"only.gguf"}).gguf, "only.gguf");
  EXPECT_NE(error_of([&] { choose_files(s, {"a-f16.gguf", "a-q4_0.gguf"}); }).find("a-q4_0.gguf"), std::string::npos);
  EXPECT_NE(error_of([&] { choose_files(s, {"x-i2_s.gguf", "y-i2_s.gguf"}); }).find("name one"), std::string::npos);
  s = parse_repo_spec("o/r:f16");
  EXPECT_EQ(choose_files(s, {"a-F16.gguf", "a-i2_s.gguf"}).gguf, "a-F16.gguf");
  EXPECT_NE(error_of([&] { choose_files(parse_repo_spec("o/r:q8"), {"a-F16.gguf"}); }).find("a-F16.gguf"), std::string::npos);
}

TEST(HubListing, CheckpointFiles) {
  const Choice c = choose_files(parse_repo_spec("o/r"), {"README.md", "config.json", "tokenizer.json", "tokenizer_config.json",
                                                         "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                                                         "model.safetensors.index.json", "sub/x.safetensors"});
  EXPECT_TRUE(c.checkpoint());
  EXPECT_EQ(c.files, (std::vector<std::string>{"config.json", "tokenizer.json", "tokenizer_config.json",
                                               "model.safetensors.index.json", "model-00001-of-00002.safetensors",
                                               "model-00002-of-00002.safetensors"}));
  EXPECT_NE(error_of([] { choose_files(parse_repo_spec("o/r"), {"README.md"}); }).find("README.md"), std::string::npos);
}

TEST(HubCache, LayoutAndEnvironment) {
  const fs::path tmp = fs::temp_directory_path() / ("tern-hub-cache-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  ::unsetenv("HF_HUB_CACHE");
  ::setenv("HF_HOME", (tmp / "hf").c_str(), 1);
  EXPECT_EQ(hub_cache_dir(), tmp / "hf" / "hub");
  ::unsetenv("HF_HOME");
  ::setenv("XDG_CACHE_HOME", (tmp / "xdg").c_str(), 1);
  EXPECT_EQ(hub_cache_dir(), tmp / "xdg" / "huggingface" / "hub");
  ::setenv("HF_HUB_CACHE", (tmp / "c").c_str(), 1);
  EXPECT_EQ(hub_cache_dir(), tmp / "c");
  ::unsetenv("HF_HUB_CACHE");
  ::unsetenv("XDG_CACHE_HOME");

  EXPECT_EQ(repo_folder_name("microsoft/bitnet-b1.58-2B-4T-gguf"), "models--microsoft--bitnet-b1.58-2B-4T-gguf");
  RepoCache c(tmp, "o/r");
  const std::string commit = "0123456789abcdef0123456789abcdef01234567";
  EXPECT_EQ(c.commit_of("main"), std::nullopt);
  EXPECT_EQ(c.commit_of(commit), commit);
  c.write_ref("main", commit);
  EXPECT_EQ(c.commit_of("main"), commit);
  fs::create_directories(c.blob("e").parent_path());
  std::ofstream(c.blob("e")) << "hello";
  const fs::path link = c.link_snapshot(commit, "a/b/m.gguf", "e");
  EXPECT_EQ(fs::read_symlink(link), fs::path("../../../../blobs/e"));
  EXPECT_EQ(c.snapshot_files(commit), std::vector<std::string>{"a/b/m.gguf"});
  fs::remove_all(tmp);
}

TEST(HubSha256, KnownVectors) {
  Sha256 s;
  EXPECT_EQ(s.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  s.update("ab", 2);
  s.update("c", 1);
  EXPECT_EQ(s.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tern::hub
