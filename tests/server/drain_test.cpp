// Graceful drain of the real `tern serve` (SIGTERM): an in-flight stream finishes with
// [DONE] and the process exits 0; meanwhile /health and new generation requests answer 503;
// the --drain-timeout deadline cancels a generation that would run longer; a second signal
// stops at once. Every wait polls for a state with a generous timeout (no racing sleeps).
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <string>
#include <vector>

#include "serve_process.h"

namespace tern::test {
namespace {

using namespace std::chrono_literals;

// The demo model with a context long enough for a generation that outlasts the checks
// made during the drain (thousands of tokens; its SSE bytes outgrow the socket buffers, so
// a stream whose client stops reading stays in flight until the client reads again).
std::unique_ptr<ServeProcess> start(const std::vector<std::string>& flags, int* port) {
  std::vector<std::string> args = {"-m", demo_model(), "--port", "0", "-t", "1", "-c", "2048", "--write-timeout", "600"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto srv = std::make_unique<ServeProcess>(args);
  *port = srv->wait_ready(120s);
  return srv;
}

// A streaming completion of max_tokens tokens on a raw socket (Connection: close, so the
// reply ends with the connection); returns the socket once its first event has arrived,
// what arrived so far in *got.
int open_stream(int port, int max_tokens, std::string* got) {
  const int s = connect_to(port);
  if (s < 0) return -1;
  const std::string body = R"({"prompt":"Once upon a time","stream":true,"ignore_eos":true,"max_tokens":)" +
                           std::to_string(max_tokens) + "}";
  send_all(s, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n"
              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto end = std::chrono::steady_clock::now() + 120s;
  char buf[4096];
  while (got->find("data: ") == std::string::npos && std::chrono::steady_clock::now() < end) {
    pollfd p{s, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(s, buf, sizeof buf, 0);
    if (n <= 0) break;
    got->append(buf, static_cast<size_t>(n));
  }
  return s;
}

// Polls GET /health until it answers `status`; false after the timeout.
bool health_becomes(int port, int status, std::string* body = nullptr) {
  const auto end = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < end) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(5, 0);
    if (auto r = c.Get("/health"); r && r->status == status) {
      if (body) *body = r->body;
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(ServeDrain, InFlightStreamFinishesWhileNewRequestsGet503ThenExits0) {
  int port = -1;
  auto srv = start({"--drain-timeout", "600"}, &port);
  ASSERT_GT(port, 0) << srv->log();
  std::string got;
  const int s = open_stream(port, 2000, &got);
  ASSERT_GE(s, 0);
  ASSERT_NE(got.find("data: "), std::string::npos) << got;

  srv->signal(SIGTERM);
  std::string health;
  ASSERT_TRUE(health_becomes(port, 503, &health)) << srv->log();
  EXPECT_NE(health.find("draining"), std::string::npos) << health;
  {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60, 0);
    auto r = c.Post("/v1/chat/completions", R"({"messages":[{"role":"user","content":"hi"}],"max_tokens":2})",
                    "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_NE(r->body.find("\"type\":\"server_error\""), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("draining"), std::string::npos) << r->body;
    EXPECT_EQ(r->get_header_value("Connection"), "close");
    EXPECT_EQ(r->get_header_value("Retry-After"), "1");
    auto m = c.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find("\ntern_draining 1\n"), std::string::npos) << m->body;
    EXPECT_NE(m->body.find("\ntern_generations_in_flight 1\n"), std::string::npos) << m->body;
  }
  // The stream, still in flight, runs to its end.
  got += read_until_closed(s, 300s);
  ::close(s);
  EXPECT_NE(got.find("\"finish_reason\":\"length\""), std::string::npos);
  EXPECT_NE(got.find("\"completion_tokens\":2000"), std::string::npos);
  EXPECT_NE(got.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(srv->wait_exit(120s), 0) << srv->log();
  const std::string log = srv->log();
  EXPECT_NE(log.find("\"event\":\"drain\",\"in_flight\":1"), std::string::npos) << log;
  EXPECT_NE(log.find("\"event\":\"drained\",\"in_flight\":1,\"finished\":1,\"cancelled\":0"), std::string::npos) << log;
}

TEST(ServeDrain, DeadlineCancelsALongGenerationAndStillExits0) {
  int port = -1;
  auto srv = start({"--drain-timeout", "0.2"}, &port);
  ASSERT_GT(port, 0) << srv->log();
  std::string got;
  const int s = open_stream(port, 2000, &got);  // far longer than 0.2 s of decoding
  ASSERT_GE(s, 0);
  srv->signal(SIGTERM);
  got += read_until_closed(s, 300s);
  ::close(s);
  EXPECT_NE(got.find("\"finish_reason\":\"cancelled\""), std::string::npos);
  EXPECT_EQ(got.find("\"completion_tokens\":2000"), std::string::npos);
  EXPECT_NE(got.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(srv->wait_exit(60s), 0) << srv->log();
  EXPECT_NE(srv->log().find("\"cancelled\":1"), std::string::npos) << srv->log();
}

TEST(ServeDrain, SecondSignalStopsAtOnce) {
  int port = -1;
  auto srv = start({"--drain-timeout", "600"}, &port);
  ASSERT_GT(port, 0) << srv->log();
  std::string got;
  const int s = open_stream(port, 2000, &got);
  ASSERT_GE(s, 0);
  srv->signal(SIGTERM);
  ASSERT_TRUE(health_becomes(port, 503)) << srv->log();
  srv->signal(SIGINT);
  got += read_until_closed(s, 300s);
  ::close(s);
  EXPECT_NE(got.find("\"finish_reason\":\"cancelled\""), std::string::npos);
  EXPECT_EQ(srv->wait_exit(60s), 0) << srv->log();
}

TEST(ServeDrain, DrainTimeoutOutOfRangeIsRefusedByName) {
  ServeProcess srv({"-m", demo_model(), "--drain-timeout", "-1"});
  EXPECT_NE(srv.wait_exit(60s), 0);
  EXPECT_NE(srv.log().find("--drain-timeout"), std::string::npos) << srv.log();
}

}  // namespace
}  // namespace tern::test
