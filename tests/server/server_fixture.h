// What the in-process server tests share: the golden tiny model converted to GGUF, a server
// on its own thread over it, the greedy reference computed with Session + argmax, and helpers
// that post JSON and read an SSE stream (checking its framing).
#pragma once
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server/server.h"
#include "tern/convert.h"
#include "tern/session.h"
#include "tern/tokenizer.h"

namespace tern::server::test {

namespace fs = std::filesystem;
using json = nlohmann::json;

inline std::shared_ptr<const Model> tiny_model() {
  static std::shared_ptr<const Model> model = [] {
    const fs::path dir = fs::temp_directory_path() / ("tern-server-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    ConvertOptions o;
    o.input_dir = std::string(TERN_SHARED_DIR) + "/golden/tiny-a";
    o.output_path = (dir / "tiny-a.gguf").string();
    convert_hf_to_gguf(o);
    auto m = Model::load(o.output_path);
    fs::remove_all(dir);  // the mapping stays valid after the unlink
    return m;
  }();
  return model;
}

inline SessionOptions session_opts() {
  SessionOptions s;
  s.n_ctx = 256;
  s.n_threads = 1;
  s.kv_type = KvType::F32;
  return s;
}

// A server on its own thread, stopped and joined by the destructor.
struct RunningServer {
  std::unique_ptr<Server> server;
  std::thread thread;
  int port = 0;
  explicit RunningServer(ServerOptions o, SessionOptions session = session_opts()) {
    o.host = "127.0.0.1";
    o.port = 0;
    o.session = session;
    o.model_id = "tiny";
    server = std::make_unique<Server>(tiny_model(), o);
    port = server->bind();
    thread = std::thread([this] { server->run(); });
    httplib::Client c("127.0.0.1", port);
    for (int i = 0; i < 200; ++i) {  // until listening (at most ~2 s)
      if (auto r = c.Get("/health"); r && r->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~RunningServer() {
    server->stop();
    thread.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    c.set_connection_timeout(5, 0);
    return c;
  }
};

// The greedy continuation `tern run` computes: Session, argmax (first on ties), up to n
// tokens or (unless ignore_eos) the end-of-generation token; its ids.
inline std::vector<int32_t> greedy_ids(const std::vector<int32_t>& prompt, int n, bool ignore_eos = false) {
  auto model = tiny_model();
  const tok::Tokenizer& tok = *model->tokenizer();
  Session s(model, session_opts());
  std::span<const float> logits = s.eval(prompt);
  std::vector<int32_t> out;
  for (int i = 0; i < n; ++i) {
    size_t best = 0;
    for (size_t j = 1; j < logits.size(); ++j)
      if (logits[j] > logits[best]) best = j;
    const int32_t id = static_cast<int32_t>(best);
    if (!ignore_eos && tok.is_eog(id)) break;
    out.push_back(id);
    if (i + 1 < n) logits = s.eval(std::span<const int32_t>(&id, 1));
  }
  return out;
}

// The same as text (special tokens skipped); *generated = its token count.
inline std::string greedy_reference(const std::vector<int32_t>& prompt, int n, int* generated) {
  const std::vector<int32_t> out = greedy_ids(prompt, n);
  *generated = static_cast<int>(out.size());
  return tiny_model()->tokenizer()->decode(out, tok::Special::kSkip);
}

// A counter or gauge from GET /metrics; -1 if the request or the line is missing.
inline double metric(const RunningServer& srv, const std::string& name) {
  auto m = srv.client().Get("/metrics");
  if (!m) return -1;
  const size_t at = m->body.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(m->body.substr(at + name.size() + 2));
}

inline json post(const RunningServer& srv, const std::string& path, const json& body, int* status) {
  auto c = srv.client();
  auto r = c.Post(path.c_str(), body.dump(), "application/json");
  if (!r) {
    *status = -1;
    return {};
  }
  *status = r->status;
  return json::parse(r->body, nullptr, false);
}

// Concatenated content of an SSE stream; checks the framing on the way.
inline std::string read_stream(const std::string& body, bool chat, std::string* finish, int* completion_tokens) {
  std::string text;
  size_t pos = 0;
  bool done = false;
  while (pos < body.size()) {
    const size_t end = body.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "event not terminated by a blank line";
    if (end == std::string::npos) break;
    const std::string event = body.substr(pos, end - pos);
    pos = end + 2;
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    const std::string data = event.substr(6);
    EXPECT_FALSE(done) << "event after [DONE]";
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    const json j = json::parse(data);
    const json& ch = j["choices"][0];
    if (chat) {
      text += ch["delta"].value("content", "");
    } else {
      text += ch.value("text", "");
    }
    if (!ch["finish_reason"].is_null()) {
      *finish = ch["finish_reason"];
      *completion_tokens = j["usage"]["completion_tokens"];
    }
  }
  EXPECT_TRUE(done) << "no data: [DONE]";
  return text;
}

}  // namespace tern::server::test
