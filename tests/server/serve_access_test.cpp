// `tern serve`'s operator features through the real CLI: API keys from --api-key,
// --api-key-file and TERN_API_KEY (401 without one, /health open, keys never logged),
// CORS only for the --cors origins (preflight answered without a key), and the JSON log
// on stderr (one line per request with tokens and timings, start and stop lines, nothing
// of the prompt).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>
#include "serve_process.h"

namespace tern::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* kFlagKey = "sk-flag-7c1e0d";
const char* kFileKey = "sk-file-93ab51";
const char* kEnvKey = "sk-env-5f02aa";
const char* kPromptMarker = "zebra-lighthouse-prompt";

std::vector<json> log_lines(const std::string& log, const std::string& event) {
  std::vector<json> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.value("event", "") == event) out.push_back(j);
  }
  return out;
}

httplib::Headers bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

TEST(ServeAccess, ApiKeysCorsAndTheRequestLog) {
  const fs::path key_file = fs::temp_directory_path() / ("tern-keys-" + std::to_string(::getpid()));
  std::ofstream(key_file) << "# operator keys\n\n  " << kFileKey << "  \nsk-file-second\n";
  int port = 0;
  auto srv = start_demo_serve({"--api-key", kFlagKey, "--api-key-file", key_file.string(), "--cors",
                               "https://app.example"},
                              &port, {std::string("TERN_API_KEY=") + kEnvKey});
  fs::remove(key_file);
  ASSERT_GT(port, 0) << "tern serve did not start:\n" << srv->log();
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);

  // Keys.
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << "/health must stay open";
  auto none = c.Get("/v1/models");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  const json err = json::parse(none->body, nullptr, false);
  EXPECT_EQ(err["error"]["code"], "invalid_api_key") << none->body;
  EXPECT_EQ(err["error"]["type"], "invalid_request_error") << none->body;
  for (const std::string bad : {"sk-flag-7c1e0", "sk-flag-7c1e0dX", "wrong", ""}) {
    auto r = c.Get("/v1/models", bearer(bad));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << "key '" << bad << "'";
  }
  auto basic = c.Get("/v1/models", {{"Authorization", std::string("Basic ") + kFlagKey}});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
  EXPECT_EQ(c.Get("/metrics")->status, 401);
  for (const std::string good : {kFlagKey, kFileKey, kEnvKey, "sk-file-second"}) {
    auto r = c.Get("/v1/models", bearer(good));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << "key '" << good << "'";
  }
  const std::string body = json{{"messages", {{{"role", "user"}, {"content", kPromptMarker}}}}, {"max_tokens", 3}}.dump();
  auto refused = c.Post("/v1/chat/completions", body, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  auto chat = c.Post("/v1/chat/completions", bearer(kFlagKey), body, "application/json");
  ASSERT_TRUE(chat);
  ASSERT_EQ(chat->status, 200) << chat->body;

  // CORS: the listed origin only; a preflight needs no key.
  httplib::Request pre;
  pre.method = "OPTIONS";
  pre.path = "/v1/chat/completions";
  pre.set_header("Origin", "https://app.example");
  pre.set_header("Access-Control-Request-Method", "POST");
  pre.set_header("Access-Control-Request-Headers", "authorization, content-type");
  httplib::Response pre_res;
  httplib::Error pre_err = httplib::Error::Success;
  ASSERT_TRUE(c.send(pre, pre_res, pre_err)) << httplib::to_string(pre_err);
  EXPECT_EQ(pre_res.status, 204);
  EXPECT_EQ(pre_res.get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_NE(pre_res.get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(pre_res.get_header_value("Access-Control-Allow-Headers"), "authorization, content-type");
  httplib::Headers from_app = bearer(kFlagKey);
  from_app.emplace("Origin", "https://app.example");
  auto allowed = c.Get("/v1/models", from_app);
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->get_header_value("Access-Control-Allow-Origin"), "https://app.example");
  httplib::Headers from_elsewhere = bearer(kFlagKey);
  from_elsewhere.emplace("Origin", "https://elsewhere.example");
  auto other = c.Get("/v1/models", from_elsewhere);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  EXPECT_FALSE(other->has_header("Access-Control-Allow-Origin"));

  // The log, after a clean stop.
  EXPECT_EQ(srv->terminate(), 0);
  const std::string log = srv->log();
  EXPECT_EQ(log.find(kFlagKey), std::string::npos) << "a key was logged";
  EXPECT_EQ(log.find(kFileKey), std::string::npos) << "a key was logged";
  EXPECT_EQ(log.find(kEnvKey), std::string::npos) << "a key was logged";
  EXPECT_EQ(log.find(kPromptMarker), std::string::npos) << "the prompt was logged";
  EXPECT_EQ(log_lines(log, "start").size(), 1u) << log;
  ASSERT_EQ(log_lines(log, "stop").size(), 1u) << log;
  const std::vector<json> requests = log_lines(log, "request");
  bool saw_chat = false, saw_401 = false;
  for (const json& r : requests) {
    for (const char* field : {"time", "id", "method", "route", "status", "tokens_in", "tokens_out", "ttft_ms",
                              "duration_ms", "client"}) {
      EXPECT_TRUE(r.contains(field)) << field << " missing: " << r.dump();
    }
    EXPECT_EQ(r["client"].get<std::string>().rfind("127.0.0.1:", 0), 0u) << r.dump();
    if (r["route"] == "/v1/chat/completions" && r["status"] == 200) {
      saw_chat = true;
      EXPECT_GT(r["tokens_in"].get<int>(), 0) << r.dump();
      EXPECT_EQ(r["tokens_out"], json::parse(chat->body)["usage"]["completion_tokens"]) << r.dump();
      EXPECT_TRUE(r["ttft_ms"].is_number() || r["tokens_out"] == 0) << r.dump();
      EXPECT_GE(r["duration_ms"].get<double>(), 0.0);
    }
    if (r["status"] == 401) saw_401 = true;
  }
  EXPECT_TRUE(saw_chat) << log;
  EXPECT_TRUE(saw_401) << log;
  EXPECT_EQ(log_lines(log, "stop")[0]["requests"].get<size_t>(), requests.size());
}

TEST(ServeAccess, BadKeyFileIsRefusedByName) {
  int port = 0;
  const fs::path empty = fs::temp_directory_path() / ("tern-empty-keys-" + std::to_string(::getpid()));
  std::ofstream(empty) << "# nothing but a comment\n\n";
  auto srv = start_demo_serve({"--api-key-file", empty.string()}, &port);
  fs::remove(empty);
  EXPECT_EQ(port, -1) << "tern serve started with a key file holding no key";
  EXPECT_NE(srv->log().find("--api-key-file"), std::string::npos) << srv->log();
}

}  // namespace
}  // namespace tern::test
