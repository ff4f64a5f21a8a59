// `tern serve`'s transport under hostile and careless clients, through the real CLI on the
// demo model: slow-header and idle sockets do not starve anyone, connections over the cap
// get 503 at once, an idle keep-alive connection gives way to a new one, bodies over
// --max-body get 413 whatever their Content-Type, a full queue's 429 says Retry-After.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>
#include "serve_process.h"

namespace tern::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The bound the issue sets for /health and a completion while the sockets are held. Under
// an emulator every instruction is interpreted, so only the answers are checked there.
constexpr auto kAnswerBound = std::chrono::seconds(2);

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string completion_body(int max_tokens) {
  return nlohmann::json{{"prompt", "Once upon a time"}, {"max_tokens", max_tokens}, {"temperature", 0}}.dump();
}

TEST(ServeTransport, SlowAndIdleSocketsDoNotStarveHealthOrCompletions) {
  raise_descriptor_limit();
  int port = 0;
  auto srv = start_demo_serve({"--parallel", "2", "--request-timeout", "3"}, &port);
  ASSERT_GT(port, 0) << "tern serve did not start:\n" << srv->log();

  // 200 clients that send their headers a byte at a time, 200 that send nothing.
  std::vector<int> slow, idle;
  for (int i = 0; i < 200; ++i) {
    const int s = connect_to(port);
    ASSERT_GE(s, 0) << "connect " << i;
    ASSERT_TRUE(send_all(s, "POST /v1/completions HTTP/1.1\r\nHost: x\r\n"));
    slow.push_back(s);
    const int t = connect_to(port);
    ASSERT_GE(t, 0) << "connect " << i;
    idle.push_back(t);
  }
  std::atomic<bool> dripping{true};
  std::thread drip([&] {
    while (dripping) {
      for (int s : slow) send_all(s, "X");
      std::this_thread::sleep_for(milliseconds(100));
    }
  });

  // Fresh connections are answered while all 400 are held.
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(10, 0);
  c.set_read_timeout(30, 0);
  auto t0 = Clock::now();
  auto health = c.Get("/health");
  const double health_s = seconds_since(t0);
  t0 = Clock::now();
  auto done = c.Post("/v1/completions", completion_body(4), "application/json");
  const double completion_s = seconds_since(t0);
  t0 = Clock::now();
  auto streamed = c.Post("/v1/chat/completions",
                         R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":4,"stream":true})",
                         "application/json");
  const double stream_s = seconds_since(t0);
  dripping = false;
  drip.join();

  ASSERT_TRUE(health) << "no answer from /health";
  EXPECT_EQ(health->status, 200);
  ASSERT_TRUE(done) << "no answer from /v1/completions";
  EXPECT_EQ(done->status, 200) << done->body;
  ASSERT_TRUE(streamed) << "no answer from a streaming chat completion";
  EXPECT_EQ(streamed->status, 200);
  EXPECT_NE(streamed->body.find("data: [DONE]"), std::string::npos) << streamed->body;
  std::printf("with 200 slow + 200 idle sockets: /health %.3f s, completion %.3f s, stream %.3f s\n", health_s,
              completion_s, stream_s);
  if (!tern_emulated()) {
    EXPECT_LT(health_s, std::chrono::duration<double>(kAnswerBound).count());
    EXPECT_LT(completion_s, std::chrono::duration<double>(kAnswerBound).count());
    EXPECT_LT(stream_s, std::chrono::duration<double>(kAnswerBound).count());
  }

  // --request-timeout 3: the server closes every one of them (none sent a whole request)
  // once it has passed; the deadline counts from the accept, not from the last byte.
  const auto deadline = Clock::now() + std::chrono::seconds(tern_emulated() ? 60 : 15);
  size_t closed = 0;
  std::vector<bool> seen(400, false);
  while (closed < 400 && Clock::now() < deadline) {
    for (size_t i = 0; i < 400; ++i) {
      if (seen[i]) continue;
      const int s = i < 200 ? slow[i] : idle[i - 200];
      if (closed_by_peer(s)) seen[i] = true, ++closed;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(closed, 400u) << "connections still open after the request deadline";
  for (int s : slow) ::close(s);
  for (int s : idle) ::close(s);
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("tern_http_request_timeouts_total 200"), std::string::npos) << m->body;
}

TEST(ServeTransport, OverTheCapIs503AtOnceAndIdleKeepAliveGivesWay) {
  int port = 0;
  auto srv = start_demo_serve({"--max-connections", "8", "--keep-alive-timeout", "60", "--parallel", "1", "--max-queue", "0"}, &port);
  ASSERT_GT(port, 0) << "tern serve did not start:\n" << srv->log();
  std::vector<int> held;
  for (int i = 0; i < 8; ++i) held.push_back(connect_to(port));
  for (int s : held) ASSERT_GE(s, 0);

  // The ninth: 503 with Retry-After, without the server waiting for its request.
  const int ninth = connect_to(port);
  ASSERT_GE(ninth, 0);
  const auto t0 = Clock::now();
  const std::string busy = read_until_closed(ninth, milliseconds(10000));
  const double busy_s = seconds_since(t0);
  ::close(ninth);
  EXPECT_EQ(busy.rfind("HTTP/1.1 503", 0), 0u) << busy;
  EXPECT_NE(busy.find("Retry-After: 1"), std::string::npos) << busy;
  EXPECT_NE(busy.find("--max-connections"), std::string::npos) << busy;
  if (!tern_emulated()) {
    EXPECT_LT(busy_s, 1.0) << "the 503 was not immediate";
  }

  // One held connection becomes an idle keep-alive one (a request answered, kept open);
  // with the table full, a new connection takes its place instead of getting 503.
  ::close(held.back());
  held.pop_back();
  int keep = -1;
  std::string first;
  for (int attempt = 0; attempt < 50 && first.rfind("HTTP/1.1 200", 0) != 0; ++attempt) {  // until the close is seen
    if (keep >= 0) ::close(keep);
    std::this_thread::sleep_for(milliseconds(20));
    keep = connect_to(port);
    ASSERT_GE(keep, 0);
    send_all(keep, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    first.clear();
    // Read just the reply: the connection stays open.
    pollfd p{keep, POLLIN, 0};
    char buf[1024];
    if (::poll(&p, 1, 5000) > 0) {
      const ssize_t n = ::recv(keep, buf, sizeof buf, 0);
      if (n > 0) first.assign(buf, static_cast<size_t>(n));
    }
  }
  ASSERT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  const int newcomer = connect_to(port);
  ASSERT_GE(newcomer, 0);
  send_all(newcomer, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string answer = read_until_closed(newcomer, milliseconds(10000));
  ::close(newcomer);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  bool keep_closed = false;
  for (int i = 0; i < 100 && !keep_closed; ++i) {
    keep_closed = closed_by_peer(keep);
    if (!keep_closed) std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(keep_closed) << "the idle keep-alive connection was not closed";
  ::close(keep);

  // A full queue (--max-queue 0): 429 with Retry-After.
  for (int s : held) ::close(s);
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  int status = -1;
  std::string retry_after;
  for (int attempt = 0; attempt < 50; ++attempt) {  // until the server has seen the closes
    auto r = c.Post("/v1/completions", completion_body(2), "application/json");
    status = r ? r->status : -1;
    retry_after = r ? r->get_header_value("Retry-After") : "";
    if (status != 503 && status != -1) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(status, 429);
  EXPECT_EQ(retry_after, "1");
}

TEST(ServeTransport, BodyOverMaxBodyIs413WhateverTheContentType) {
  int port = 0;
  auto srv = start_demo_serve({"--max-body", "4096"}, &port);
  ASSERT_GT(port, 0) << "tern serve did not start:\n" << srv->log();
  auto exchange = [&](const std::string& request) {
    const int s = connect_to(port);
    EXPECT_GE(s, 0);
    send_all(s, request);
    std::string reply = read_until_closed(s, milliseconds(20000));
    ::close(s);
    return reply;
  };
  const std::string big(10000, 'a');
  // curl -d: a form content type.
  std::string r = exchange("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n" + big);
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  EXPECT_NE(r.find("--max-body (4096 bytes)"), std::string::npos) << r;
  // No content type at all, and a chunked body (its size unknown until it is read).
  r = exchange("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5000\r\n\r\n" +
               std::string(5000, 'b'));
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  r = exchange("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
               "1388\r\n" + big.substr(0, 5000) + "\r\n0\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  // Expect: 100-continue over the limit: refused before the client sends the body.
  r = exchange("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 10000\r\n"
               "Expect: 100-continue\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 413", 0), 0u) << r;
  // Under the limit, the form content type does not matter: the body is read as JSON.
  const std::string ok_body = completion_body(2);
  r = exchange("POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
               std::to_string(ok_body.size()) + "\r\n\r\n" + ok_body);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  // With Expect: 100-continue under the limit, the server says continue.
  const int s = connect_to(port);
  ASSERT_GE(s, 0);
  send_all(s, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                  std::to_string(ok_body.size()) + "\r\nExpect: 100-continue\r\n\r\n");
  pollfd p{s, POLLIN, 0};
  ASSERT_GT(::poll(&p, 1, 10000), 0) << "no 100 Continue";
  char buf[64];
  const ssize_t n = ::recv(s, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100 Continue", 0), 0u);
  send_all(s, ok_body);
  r = read_until_closed(s, milliseconds(20000));
  ::close(s);
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
}

}  // namespace
}  // namespace tern::test
