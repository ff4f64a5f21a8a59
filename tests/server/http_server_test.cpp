// The transport on its own (no model): route matching, a handler that throws, and the
// API-key check, through an in-process HttpServer and a real HTTP client.
#include <gtest/gtest.h>
#include <httplib.h>

#include <stdexcept>
#include <string>
#include <thread>
#include "server/http_auth.h"
#include "server/http_server.h"

namespace tern::server {
namespace {

struct Running {
  HttpServer http;
  int port = 0;
  std::thread thread;
  explicit Running(HttpServerOptions o) : http(std::move(o)) {}
  void start() {
    port = http.bind("127.0.0.1", 0);
    thread = std::thread([this] { http.run(); });
  }
  ~Running() {
    http.stop();
    if (thread.joinable()) thread.join();
  }
};

TEST(HttpServer, PrefixRoutesSeeTheDecodedPathAndThrowingHandlersAnswer500) {
  Running s{HttpServerOptions()};
  s.http.route("GET", "/echo/*", [](const HttpRequest& req, HttpResponse& res) {
    res.set_content(req.path, "text/plain");
  }, HttpServer::Runs::kOnIoThread);
  s.http.route("GET", "/exact", [](const HttpRequest&, HttpResponse& res) {
    res.set_content("exact", "text/plain");
  }, HttpServer::Runs::kOnWorker);
  s.http.route("POST", "/throws", [](const HttpRequest&, HttpResponse&) {
    throw std::runtime_error("handler bug");
  }, HttpServer::Runs::kOnWorker);
  s.start();
  httplib::Client c("127.0.0.1", s.port);
  auto r = c.Get("/echo/org%2Fmodel-1?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "/echo/org/model-1");
  r = c.Get("/exact");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "exact");
  r = c.Get("/exact/more");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.Get("/echo");  // the prefix is "/echo/"
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.Post("/throws", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("handler bug"), std::string::npos) << r->body;
}

TEST(HttpServer, ApiKeyMatching) {
  const std::vector<std::string> keys = {"sk-one", "sk-two-longer"};
  EXPECT_TRUE(api_key_allowed({}, ""));
  EXPECT_TRUE(api_key_allowed(keys, "Bearer sk-one"));
  EXPECT_TRUE(api_key_allowed(keys, "bearer  sk-two-longer "));
  EXPECT_FALSE(api_key_allowed(keys, "Bearer sk-on"));
  EXPECT_FALSE(api_key_allowed(keys, "Bearer sk-onesk-one"));  // the key repeated is not the key
  EXPECT_FALSE(api_key_allowed(keys, "Bearer "));
  EXPECT_FALSE(api_key_allowed(keys, "sk-one"));
  EXPECT_FALSE(api_key_allowed(keys, "Basic sk-one"));
  EXPECT_FALSE(api_key_allowed({""}, "Bearer "));
}

}  // namespace
}  // namespace tern::server
