#include "server/http_server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include "platform/socket_state.h"
#include "server/handler_pool.h"
#include "server/http_auth.h"
#include "server/http_cors.h"
#include "server/http_error.h"
#include "tern/error.h"

namespace tern::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Largest request head (request line + headers): real clients send well under this.
constexpr uint32_t kHeaderLimit = 16 * 1024;
// How long a connection we are closing after a final reply may still send (its bytes are
// read and dropped; see HttpConnection::linger).
constexpr auto kLingerTime = std::chrono::seconds(1);

std::string text(beast::string_view s) { return std::string(s.data(), s.size()); }

// "%2F" -> "/" (a client's encoding of a model name in /v1/models/{id}); a '%' not followed
// by two hex digits stays as it is.
std::string percent_decoded(const std::string& s) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) && hex(s[i + 2])) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// The reply to a connection over the cap, built once: the request is never read.
std::string busy_reply(size_t max_connections) {
  HttpResponse r;
  send_error(r, 503, "the server has its maximum of " + std::to_string(max_connections) +
                         " connections open (--max-connections); retry later");
  return "HTTP/1.1 503 Service Unavailable\r\nServer: tern\r\nContent-Type: application/json\r\nRetry-After: " +
         std::to_string(kRetryAfterSeconds) + "\r\nConnection: close\r\nContent-Length: " +
         std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
}

}  // namespace

struct HttpRoute {
  std::string method, path;
  HttpHandler handler;
  HttpServer::Runs where;
};

class HttpConnection;

struct HttpServer::Impl {
  // Declared before the io_context so they outlive it: destroying the io_context destroys
  // pending handlers, and with them connections that unregister here.
  HttpServerOptions opt;
  std::vector<HttpRoute> routes;
  CorsPolicy cors;
  std::string busy;  // busy_reply(max_connections)
  std::list<HttpConnection*> connections;  // I/O thread only; front = oldest
  size_t lingering = 0;                // closing connections still draining (I/O thread)
  std::atomic<uint64_t> next_request{1};
  std::atomic<bool> stopping{false};
  std::once_flag stop_once;
  // Counters for /metrics (read from other threads).
  std::atomic<int64_t> open{0}, refused{0}, timed_out{0}, idle_closed{0}, busy_429{0};
  std::unique_ptr<HandlerPool> pool;

  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  net::steady_timer accept_retry{ioc};
  // Keeps run() going while worker threads may still post replies (released by stop()).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard{net::make_work_guard(ioc)};

  explicit Impl(HttpServerOptions o) : opt(std::move(o)), cors(opt.cors_origins), busy(busy_reply(opt.max_connections)) {}

  const HttpRoute* find(const std::string& method, const std::string& path) const {
    for (const HttpRoute& r : routes) {
      if (r.method != method) continue;
      const bool prefix = !r.path.empty() && r.path.back() == '*';
      if (prefix ? path.size() >= r.path.size() && path.compare(0, r.path.size() - 1, r.path, 0, r.path.size() - 1) == 0
                 : path == r.path) {
        return &r;
      }
    }
    return nullptr;
  }
  bool needs_key(const std::string& path) const {
    return !opt.api_keys.empty() && std::find(opt.open_paths.begin(), opt.open_paths.end(), path) == opt.open_paths.end();
  }

  void accept();
  void admit(tcp::socket socket);
  bool close_idle_one();
  void turn_away(tcp::socket socket);
};

// One client connection. Lives on the I/O thread; a worker thread running its handler
// reaches it only through net::post (and reads HttpRequest::fd, which stays open until the
// handler is done: no read, timer or close touches the socket meanwhile).
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // counted: takes a place under --max-connections (every connection but a refused one).
  HttpConnection(HttpServer::Impl& srv, tcp::socket socket, bool counted)
      : srv_(srv), stream_(std::move(socket)), registered_(counted) {
    if (!counted) return;
    at_ = srv_.connections.insert(srv_.connections.end(), this);
    ++srv_.open;
  }
  ~HttpConnection() { unregister(); }

  // Over the cap: the canned 503, then close; the request is never read.
  void send_busy() {
    state_ = State::kHandling;
    stream_.expires_after(kLingerTime);
    net::async_write(stream_, net::buffer(srv_.busy), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->linger();
    });
  }

  // A new connection: its first request must be in within request_timeout of the accept.
  void start() {
    stream_.expires_after(srv_.opt.request_timeout);
    started_ = Clock::now();
    read_header();
  }

  bool idle() const { return state_ == State::kIdle; }
  bool handling() const { return state_ == State::kHandling; }

  // Closes at once (idle keep-alive eviction, stop); pending reads end with an error.
  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    unregister();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  enum class State { kReading, kIdle, kHandling, kClosed };

  void unregister() {
    if (!registered_) return;
    registered_ = false;
    srv_.connections.erase(at_);
    --srv_.open;
  }

  // Keep-alive: wait up to keep_alive_timeout for the next request's first byte; from
  // that byte on, the request has request_timeout.
  void wait_next() {
    if (srv_.stopping) return close();
    state_ = State::kIdle;
    if (buffer_.size() > 0) return begin_next();  // pipelined: already here
    stream_.expires_after(srv_.opt.keep_alive_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->buffer_.commit(n);
      if (ec) {
        if (ec == beast::error::timeout) ++self->srv_.idle_closed;
        return self->close();
      }
      self->begin_next();
    });
  }

  void begin_next() {
    state_ = State::kReading;
    started_ = Clock::now();
    stream_.expires_after(srv_.opt.request_timeout);
    read_header();
  }

  void read_header() {
    state_ = State::kReading;
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(srv_.opt.max_body);  // whatever the Content-Type
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->read_failed(ec);
      const auto& req = self->parser_->get();
      if (beast::iequals(req[http::field::expect], "100-continue")) {
        // The client waits for this before it sends the body (curl does above 1 KB).
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        return net::async_write(self->stream_, net::buffer(kContinue), [self](beast::error_code ec2, size_t) {
          if (ec2) return self->close();
          self->read_body();
        });
      }
      self->read_body();
    });
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->read_failed(ec);
      self->stream_.expires_never();
      self->dispatch();
    });
  }

  void read_failed(beast::error_code ec) {
    if (state_ == State::kClosed) return;
    if (ec == http::error::body_limit) {
      return refuse(413, "request body is larger than --max-body (" + std::to_string(srv_.opt.max_body) + " bytes)");
    }
    if (ec == http::error::header_limit) {
      return refuse(431, "request headers are larger than " + std::to_string(kHeaderLimit) + " bytes");
    }
    if (ec == beast::error::timeout) {
      // The stream closed the socket: nothing can be answered. A request that never
      // started is an idle connection, one that did is a slow (or stalled) client.
      ++(parser_ && (parser_->got_some() || buffer_.size() > 0) ? srv_.timed_out : srv_.idle_closed);
      return close();
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof ||
        ec == net::error::connection_reset || ec == net::error::operation_aborted ||
        ec == net::error::bad_descriptor) {
      return close();  // the client left (or we closed it)
    }
    refuse(400, "malformed HTTP request: " + ec.message());
  }

  // An error reply to a request that was not (fully) read, then a lingering close.
  void refuse(int status, const std::string& message) {
    HttpRequest req = request_head();
    HttpResponse res;
    send_error(res, status, message);
    keep_alive_ = false;
    reply(std::move(req), std::move(res));
  }

  // The request line and headers parsed so far (for the log line and CORS headers).
  HttpRequest request_head() {
    HttpRequest r;
    const auto& m = parser_->get();
    r.method = text(m.method_string());
    const std::string target = text(m.target());
    r.path = percent_decoded(target.substr(0, target.find('?')));
    for (const auto& f : m) r.headers.emplace_back(text(f.name_string()), text(f.value()));
    beast::error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      r.remote_addr = peer.address().to_string();
      r.remote_port = peer.port();
    }
    r.fd = stream_.socket().native_handle();
    r.received = Clock::now();
    return r;
  }

  void dispatch() {
    state_ = State::kHandling;
    HttpRequest req = request_head();
    req.body = std::move(parser_->get().body());
    keep_alive_ = parser_->get().keep_alive();
    HttpResponse res;
    if (srv_.cors.is_preflight(req)) {
      res.status = 204;
      return reply(std::move(req), std::move(res));
    }
    if (srv_.needs_key(req.path) && !api_key_allowed(srv_.opt.api_keys, req.header("Authorization"))) {
      send_error(res, 401, "a valid API key is required: send the header 'Authorization: Bearer KEY'", "",
                 "invalid_api_key");
      res.set_header("WWW-Authenticate", "Bearer");
      return reply(std::move(req), std::move(res));
    }
    const HttpRoute* route = srv_.find(req.method, req.path);
    if (!route) {
      send_error(res, 404, "no such route: " + req.method + " " + req.path.substr(0, 200));
      return reply(std::move(req), std::move(res));
    }
    if (route->where == HttpServer::Runs::kOnIoThread) {
      run_handler(*route, req, res);
      return reply(std::move(req), std::move(res));
    }
    auto task = [self = shared_from_this(), route, req]() mutable {
      HttpResponse r;
      run_handler(*route, req, r);
      const bool streamed = static_cast<bool>(r.stream);
      if (streamed) self->stream_reply(req, r);
      // The reply (or nothing, after a stream) goes on on the I/O thread, and this task's
      // reference to the connection moves there: ~HttpConnection must run on that thread.
      auto executor = self->stream_.get_executor();
      net::post(executor, [self = std::move(self), req = std::move(req), r = std::move(r), streamed]() mutable {
        if (!streamed) self->reply(std::move(req), std::move(r));
      });
    };
    if (!srv_.pool->try_run(std::move(task))) {
      ++srv_.busy_429;
      send_error(res, 429, "all " + std::to_string(srv_.opt.worker_threads) +
                               " generation handlers are busy; retry later");
      reply(std::move(req), std::move(res));
    }
  }

  static void run_handler(const HttpRoute& route, const HttpRequest& req, HttpResponse& res) {
    try {
      route.handler(req, res);
    } catch (const std::exception& e) {
      res = HttpResponse();
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  }

  // The header every reply carries; CORS and Retry-After come from the handler / policy.
  template <class Message>
  void fill_head(Message& m, const HttpRequest& req, HttpResponse& res) {
    srv_.cors.add_headers(req, res);
    m.result(static_cast<unsigned>(res.status));
    m.set(http::field::server, "tern");
    if (!res.content_type.empty()) m.set(http::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) m.insert(k, v);
    m.keep_alive(keep_alive_ && !srv_.stopping && !res.close_connection);
  }

  // A whole reply (I/O thread).
  void reply(HttpRequest req, HttpResponse res) {
    if (state_ == State::kClosed) return;
    auto msg = std::make_shared<http::response<http::string_body>>();
    fill_head(*msg, req, res);
    msg->body() = std::move(res.body);
    msg->prepare_payload();
    const bool keep = msg->keep_alive();
    state_ = State::kHandling;
    stream_.expires_after(srv_.opt.write_timeout);
    http::async_write(stream_, *msg,
                      [self = shared_from_this(), msg, keep, req = std::move(req), status = res.status,
                       stats = std::move(res.stats)](beast::error_code ec, size_t) {
                        self->done(req, status, stats, !ec && keep, !ec);
                      });
  }

  // Logs the request, then waits for the next one, or closes.
  void done(const HttpRequest& req, int status, const RequestStats& stats, bool keep, bool reply_sent) {
    stream_.expires_never();
    if (srv_.opt.on_done) {
      RequestRecord rec;
      rec.id = srv_.next_request.fetch_add(1);
      rec.method = req.method;
      rec.route = req.path.substr(0, 200);
      rec.status = status;
      rec.stats = stats;
      rec.duration_ms = ms_since(started_);
      const bool v6 = req.remote_addr.find(':') != std::string::npos;
      rec.client = (v6 ? "[" + req.remote_addr + "]" : req.remote_addr) + ":" + std::to_string(req.remote_port);
      srv_.opt.on_done(rec);
    }
    if (keep) return wait_next();
    if (!reply_sent || state_ == State::kClosed) return close();
    linger();  // a final reply: let the client read it before the socket goes
  }

  // Half-closes, then reads and drops what the client still sends until it closes too or
  // kLingerTime passes: closing with unread input would reset the connection, which can
  // destroy the reply before the client reads it. Frees its place under the cap at once.
  void linger() {
    unregister();
    state_ = State::kHandling;  // neither idle nor closable by stop(): it ends by itself
    if (srv_.lingering >= srv_.opt.max_connections) return close();  // a flood: no courtesy
    ++srv_.lingering;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTime);
    drain();
  }
  void drain() {
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) return self->drain();
      --self->srv_.lingering;
      self->close();
    });
  }

  // A streamed (chunked) reply, on the worker thread: every write goes through the I/O
  // thread and is waited for, so the handler feels the client's pace and learns at once
  // when it is gone.
  class Sink : public StreamSink {
   public:
    Sink(std::shared_ptr<HttpConnection> c, RequestStats& stats) : c_(std::move(c)), stats_(stats), fd_(-1) {}
    void set_fd(int fd) { fd_ = fd; }
    // Runs op(on_written) on the I/O thread under the write deadline and waits for it.
    template <class Op>
    bool io(Op op) {
      if (!ok_) return false;
      std::promise<bool> written;
      net::post(c_->stream_.get_executor(), [&] {
        if (c_->state_ == State::kClosed) return written.set_value(false);
        c_->stream_.expires_after(c_->srv_.opt.write_timeout);
        op([&](beast::error_code ec, size_t) {
          c_->stream_.expires_never();
          written.set_value(!ec);
        });
      });
      ok_ = written.get_future().get();
      return ok_;
    }
    bool write(const std::string& data) override {
      if (data.empty()) return ok_;
      return io([&](auto on_written) {
        net::async_write(c_->stream_, http::make_chunk(net::buffer(data)), std::move(on_written));
      });
    }
    bool is_writable() override { return ok_ && !peer_hung_up(fd_); }
    RequestStats& stats() override { return stats_; }
    bool ok() const { return ok_; }

   private:
    std::shared_ptr<HttpConnection> c_;
    RequestStats& stats_;
    int fd_;
    bool ok_ = true;
  };

  void stream_reply(const HttpRequest& req, HttpResponse& res) {
    auto self = shared_from_this();
    Sink sink(self, res.stats);
    sink.set_fd(req.fd);
    http::response<http::empty_body> head;
    std::optional<http::response_serializer<http::empty_body>> sr;
    const bool started = sink.io([&](auto on_written) {  // the head is built on the I/O thread too
      fill_head(head, req, res);
      head.chunked(true);
      sr.emplace(head);
      http::async_write_header(stream_, *sr, std::move(on_written));
    });
    // Run even if the head could not be sent: the handler's first write fails and it
    // cancels its generation.
    res.stream(sink);
    if (started) {
      sink.io([&](auto on_written) { net::async_write(stream_, http::make_chunk_last(), std::move(on_written)); });
    }
    const bool keep = sink.ok() && head.keep_alive();
    const bool sent = sink.ok();
    net::post(stream_.get_executor(), [self, req, status = res.status, stats = res.stats, keep, sent] {
      self->done(req, status, stats, keep, sent);
    });
  }

  HttpServer::Impl& srv_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  State state_ = State::kReading;
  bool keep_alive_ = false;
  Clock::time_point started_;
  std::list<HttpConnection*>::iterator at_;
  bool registered_;
  std::array<char, 4096> scratch_;  // lingering: what the client still sends, dropped
};

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open() || ec == net::error::operation_aborted) return;
    if (ec) {  // out of descriptors, ...: try again shortly instead of spinning
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code e) {
        if (!e) accept();
      });
      return;
    }
    admit(std::move(socket));
    accept();
  });
}

void HttpServer::Impl::admit(tcp::socket socket) {
  if (connections.size() >= opt.max_connections && !close_idle_one()) return turn_away(std::move(socket));
  std::make_shared<HttpConnection>(*this, std::move(socket), /*counted=*/true)->start();
}

// The longest-open keep-alive connection that sits between requests gives way.
bool HttpServer::Impl::close_idle_one() {
  for (HttpConnection* c : connections) {
    if (c->idle()) {
      ++idle_closed;
      c->close();
      return true;
    }
  }
  return false;
}

void HttpServer::Impl::turn_away(tcp::socket socket) {
  ++refused;
  // Under a flood even the 503s are capped: past that, connections are just closed.
  if (lingering >= opt.max_connections) return;
  std::make_shared<HttpConnection>(*this, std::move(socket), /*counted=*/false)->send_busy();
}

HttpServer::HttpServer(HttpServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& method, const std::string& path, HttpHandler handler, Runs where) {
  impl_->routes.push_back({method, path, std::move(handler), where});
}

int HttpServer::bind(const std::string& host, int port) {
  Impl& d = *impl_;
  beast::error_code ec;
  tcp::endpoint endpoint;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(port));
  } else {  // a name such as "localhost": its first address
    tcp::resolver resolver(d.ioc);
    const auto found = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || found.empty()) throw Error("serve: --host " + host + ": no such address (" + ec.message() + ")");
    endpoint = found.begin()->endpoint();
  }
  d.acceptor.open(endpoint.protocol(), ec);
  if (!ec) d.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) d.acceptor.bind(endpoint, ec);
  if (!ec) d.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    throw Error("serve: cannot listen on " + host + ":" + std::to_string(port) + " (" + ec.message() + ")");
  }
  d.pool = std::make_unique<HandlerPool>(d.opt.worker_threads, d.opt.warm_up);
  return d.acceptor.local_endpoint().port();
}

void HttpServer::run() {
  Impl& d = *impl_;
  if (d.stopping) return;
  d.accept();
  for (;;) {
    try {
      d.ioc.run();
      return;
    } catch (const std::exception& e) {  // a bug in a completion handler: log it, keep serving
      std::fprintf(stderr, "tern serve: I/O thread: %s\n", e.what());
    }
  }
}

void HttpServer::stop() {
  Impl& d = *impl_;
  std::call_once(d.stop_once, [&d] {
    d.stopping = true;
    net::post(d.ioc, [&d] {
      beast::error_code ec;
      d.acceptor.close(ec);
      d.accept_retry.cancel();
      std::vector<HttpConnection*> open(d.connections.begin(), d.connections.end());
      for (HttpConnection* c : open)
        if (!c->handling()) c->close();  // the busy ones close after their reply
    });
    if (d.pool) d.pool->shutdown();  // running handlers finish (their writes need the I/O thread)
    d.guard.reset();                 // run() returns once the last connection is gone
  });
}

std::string HttpServer::metrics_text() const {
  const Impl& d = *impl_;
  auto line = [](const char* name, const char* type, const char* help, int64_t v) {
    return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(v) + "\n";
  };
  return line("tern_http_connections_open", "gauge", "Client connections open now.", d.open.load()) +
         line("tern_http_connections_refused_total", "counter",
              "Connections answered 503 at once: --max-connections were open.", d.refused.load()) +
         line("tern_http_request_timeouts_total", "counter",
              "Requests not received within --request-timeout (connection closed).", d.timed_out.load()) +
         line("tern_http_idle_closed_total", "counter",
              "Idle connections closed (keep-alive timeout, nothing sent, or room for a new one).",
              d.idle_closed.load()) +
         line("tern_http_workers_busy_total", "counter", "Generation requests answered 429: every handler thread busy.",
              d.busy_429.load());
}

}  // namespace tern::server
