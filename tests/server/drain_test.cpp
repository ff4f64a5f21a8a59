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

// `tern serve --drain-timeout T` with a 2000-token stream on it that has begun.
class ServeDrain : public ::testing::Test {
 protected:
  ~ServeDrain() override {
    if (sock_ >= 0) ::close(sock_);
  }
  void serve_and_stream(const std::string& drain_timeout) {
    srv_ = start({"--drain-timeout", drain_timeout}, &port_);
    ASSERT_GT(port_, 0) << srv_->log();
    sock_ = open_stream(port_, 2000, &got_);
    ASSERT_GE(sock_, 0);
    ASSERT_NE(got_.find("data: "), std::string::npos) << got_;
  }
  // Reads the stream to its end (the server closes it: Connection: close).
  void finish_stream() {
    got_ += read_until_closed(sock_, 300s);
    ::close(sock_);
    sock_ = -1;
  }

  std::unique_ptr<ServeProcess> srv_;
  int port_ = -1;
  int sock_ = -1;
  std::string got_;
};

TEST_F(ServeDrain, InFlightStreamFinishesWhileNewRequestsGet503ThenExits0) {
  ASSERT_NO_FATAL_FAILURE(serve_and_stream("600"));
  srv_->signal(SIGTERM);
  std::string health;
  ASSERT_TRUE(health_becomes(port_, 503, &health)) << srv_->log();
  EXPECT_NE(health.find("draining"), std::string::npos) << health;
  {
    httplib::Client c("127.0.0.1", port_);
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
  // The stream, still in flight (its client stopped reading), runs to its end.
  finish_stream();
  EXPECT_NE(got_.find("\"finish_reason\":\"length\""), std::string::npos);
  EXPECT_NE(got_.find("\"completion_tokens\":2000"), std::string::npos);
  EXPECT_NE(got_.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(srv_->wait_exit(120s), 0) << srv_->log();
  const std::string log = srv_->log();
  EXPECT_NE(log.find("\"event\":\"drain\",\"in_flight\":1"), std::string::npos) << log;
  EXPECT_NE(log.find("\"event\":\"drained\",\"in_flight\":1,\"finished\":1,\"cancelled\":0"), std::string::npos) << log;
}

TEST_F(ServeDrain, DeadlineCancelsALongGenerationAndStillExits0) {
  ASSERT_NO_FATAL_FAILURE(serve_and_stream("0.2"));  // far less than 2000 tokens of decoding
  srv_->signal(SIGTERM);
  finish_stream();
  EXPECT_NE(got_.find("\"finish_reason\":\"cancelled\""), std::string::npos);
  EXPECT_EQ(got_.find("\"completion_tokens\":2000"), std::string::npos);
  EXPECT_NE(got_.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(srv_->wait_exit(60s), 0) << srv_->log();
  EXPECT_NE(srv_->log().find("\"cancelled\":1"), std::string::npos) << srv_->log();
}

TEST_F(ServeDrain, SecondSignalStopsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(serve_and_stream("600"));
  srv_->signal(SIGTERM);
  ASSERT_TRUE(health_becomes(port_, 503)) << srv_->log();
  srv_->signal(SIGINT);
  finish_stream();
  EXPECT_NE(got_.find("\"finish_reason\":\"cancelled\""), std::string::npos);
  EXPECT_EQ(srv_->wait_exit(60s), 0) << srv_->log();
}

TEST_F(ServeDrain, DrainTimeoutOutOfRangeIsRefusedByName) {
  ServeProcess srv({"-m", demo_model(), "--drain-timeout", "-1"});
  EXPECT_NE(srv.wait_exit(60s), 0);
  EXPECT_NE(srv.log().find("--drain-timeout"), std::string::npos) << srv.log();
}

}  // namespace
}  // namespace tern::test
