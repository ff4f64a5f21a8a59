#include "server/server.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include "chat/chat_prompt.h"
#include "platform/socket_state.h"
#include "server/drain.h"
#include "server/http_error.h"
#include "server/http_log.h"
#include "server/http_server.h"
#include "server/job.h"
#include "server/metrics.h"
#include "server/openai_format.h"
#include "server/request_parse.h"
#include "server/scheduler.h"
#include "tern/chat_template.h"
#include "tern/error.h"
#include "tern/tokenizer.h"

namespace tern::server {
namespace {

using json = nlohmann::ordered_json;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The log line's token counts and time to first token (never text).
void note_tokens(RequestStats& stats, const GenResult& r) {
  stats.tokens_in = r.prompt_tokens;
  stats.tokens_out = r.completion_tokens;
  stats.cpu_seconds = r.cpu_seconds;
  stats.energy_joules = r.energy_joules;
}
void note_first_token(RequestStats& stats, std::chrono::steady_clock::time_point received) {
  if (!stats.first_token_ms)
    stats.first_token_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - received).count();
}

std::chrono::milliseconds seconds_option(double s) {
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000.0));
}

}  // namespace

struct Server::Impl {
  std::shared_ptr<const Model> model;
  ServerOptions opt;
  const tok::Tokenizer* tok = nullptr;
  ChatTemplate chat_template;
  std::mutex template_mu;  // rendering is cheap; one at a time keeps the template code single-threaded
  std::unique_ptr<Scheduler> scheduler;
  Metrics metrics;
  // Generation requests in flight; closed by drain() / stop(). Before `http`, so it outlives
  // the handlers whose passes refer to it.
  DrainGate gate;
  std::unique_ptr<HttpServer> http;
  std::atomic<uint64_t> next_id{1};
  std::atomic<uint64_t> answered{0};  // requests of every route, for the stop line
  int bound_port = -1;

  Impl(std::shared_ptr<const Model> m, ServerOptions o)
      : model(std::move(m)), opt(std::move(o)), chat_template(ChatTemplate::from_model(opt.chat_template)),
        metrics(opt.price_per_cpu_hour) {
    tok = model->tokenizer();
    if (!tok) throw Error(model->path() + ": the model has no tokenizer (tokenizer.ggml.*); the server needs one");
    if (opt.model_id.empty()) opt.model_id = std::filesystem::path(model->path()).stem().string();
    SchedulerOptions so;
    so.n_slots = opt.parallel;
    so.max_queue = opt.max_queue;
    so.prefill_chunk = opt.prefill_chunk;
    so.spec = opt.spec;
    so.powercap_root = opt.powercap_root;
    so.prefix_reuse = opt.prefix_reuse;
    scheduler = std::make_unique<Scheduler>(model, *tok, opt.session, so);
    routes();
  }

  void routes() {
    HttpServerOptions h;
    h.max_body = opt.max_body;
    h.max_connections = opt.max_connections;
    h.request_timeout = seconds_option(opt.request_timeout);
    h.keep_alive_timeout = seconds_option(opt.keep_alive_timeout);
    h.write_timeout = seconds_option(opt.write_timeout);
    // A generation handler holds its thread until the reply is complete: enough threads for
    // every slot, every queued request and a few being parsed, so a request that reaches
    // the queue never waits for a thread (past that, the transport answers 429).
    h.worker_threads = static_cast<size_t>(opt.parallel) + opt.max_queue + 4;
    h.warm_up = [this] { warm_up_handler(); };
    h.api_keys = opt.api_keys;
    h.cors_origins = opt.cors_origins;
    h.on_done = [this](const RequestRecord& r) {
      static const char* known[] = {"/health", "/v1/models", "/metrics", "/v1/chat/completions", "/v1/completions"};
      std::string endpoint = "other";
      for (const char* k : known)
        if (r.route == k) endpoint = k;
      metrics.count_request(endpoint, r.status);
      if (r.status == 200 && r.stats.tokens_out) metrics.observe_generation(r);  // a generation answered in full
      ++answered;
      if (opt.log_requests) write_log_line(request_log_line(r));
    };
    http = std::make_unique<HttpServer>(std::move(h));
    using Runs = HttpServer::Runs;
    // Load balancers and probes take a replica out of rotation on the 503 of a drain.
    http->route("GET", "/health", [this](const HttpRequest&, HttpResponse& res) {
      if (!gate.draining()) return res.set_content(R"({"status":"ok"})", "application/json");
      res.status = 503;
      res.close_connection = true;
      res.set_content(R"({"status":"draining"})", "application/json");
    }, Runs::kOnIoThread);
    http->route("GET", "/v1/models", [this](const HttpRequest&, HttpResponse& res) {
      res.set_content(models_list(opt.model_id).dump(), "application/json");
    }, Runs::kOnIoThread);
    // Requests accept any model name, but a lookup answers only for the name this server
    // lists: a client asking whether a model exists gets the truth.
    http->route("GET", "/v1/models/*", [this](const HttpRequest& req, HttpResponse& res) {
      const std::string id = req.path.substr(std::string("/v1/models/").size());
      if (id != opt.model_id) {
        return send_error(res, 404, "The model '" + id + "' does not exist; this server serves '" + opt.model_id + "'",
                          "model");
      }
      res.set_content(model_object(opt.model_id).dump(), "application/json");
    }, Runs::kOnIoThread);
    http->route("GET", "/metrics", [this](const HttpRequest&, HttpResponse& res) {
      res.set_content(metrics.render(*scheduler) + gate.metrics_text() + http->metrics_text(), "text/plain; version=0.0.4");
    }, Runs::kOnIoThread);
    http->route("POST", "/v1/chat/completions", [this](const HttpRequest& req, HttpResponse& res) {
      complete(req, res, /*chat=*/true);
    }, Runs::kOnWorker);
    http->route("POST", "/v1/completions", [this](const HttpRequest& req, HttpResponse& res) {
      complete(req, res, /*chat=*/false);
    }, Runs::kOnWorker);
  }

  // A chat request's handler-side work without the model (parse, template, tokenize,
  // one reply chunk), run once per handler thread at start (HandlerPool): the tokenizer's
  // thread-local buffers and the allocator's first blocks for them exist before the first
  // real request, so serving does not grow the process.
  ParseLimits limits() const {
    ParseLimits l;
    l.model_id = opt.model_id;
    l.max_tokens_cap = opt.max_tokens_cap;
    l.n_vocab = tok->n_vocab();
    l.template_knows_tools = template_knows_tools(chat_template.source());
    return l;
  }

  void warm_up_handler() {
    ParsedRequest p = parse_request(
        R"({"messages":[{"role":"system","content":"You are a helpful assistant."},)"
        R"({"role":"user","content":"Warm up: tell me a short story about a ship at sea."}],"max_tokens":1})",
        /*chat=*/true, limits());
    {
      std::lock_guard<std::mutex> lock(template_mu);
      p.gen.prompt = chat::chat_prompt_ids(chat_template, *tok, p.messages);
    }
    const std::string text = tok->decode(p.gen.prompt, tok::Special::kSkip);
    (void)ReplyFormat(true, "chatcmpl-0", 0, opt.model_id, -1, *tok).chunk(text, {}).dump();
  }

  void complete(const HttpRequest& req, HttpResponse& res, bool chat) {
    // In flight from here until the reply is complete (the stream holds the pass).
    std::shared_ptr<DrainGate::Pass> pass = gate.enter();
    if (!pass) {  // not started, so safe for a load balancer to send elsewhere
      send_error(res, 503, "the server is draining (shutting down); retry on another replica");
      res.close_connection = true;
      return;
    }
    ParsedRequest p;
    try {
      p = parse_request(req.body, chat, limits());
      const auto specials = opt.allow_special_in_content ? chat::MessageSpecials::kControl : chat::MessageSpecials::kText;
      if (chat) {
        std::lock_guard<std::mutex> lock(template_mu);
        p.gen.prompt = chat::chat_prompt_ids(chat_template, *tok, p.messages, true, specials);
      } else {
        p.gen.prompt = p.prompt_ids ? *p.prompt_ids : chat::text_prompt_ids(*tok, p.prompt, specials);
      }
      if (p.gen.prompt.empty()) throw HttpError(400, "the prompt is empty", chat ? "messages" : "prompt");
      const int64_t n_prompt = static_cast<int64_t>(p.gen.prompt.size());
      const int64_t room = scheduler->n_ctx() - n_prompt;
      if (room < 1) {
        throw HttpError(400, "the prompt is " + std::to_string(n_prompt) + " tokens; the context holds " +
                                 std::to_string(scheduler->n_ctx()), chat ? "messages" : "prompt");
      }
      if (p.max_tokens && *p.max_tokens > room) {
        throw HttpError(400, "prompt (" + std::to_string(n_prompt) + " tokens) + max_tokens (" +
                                 std::to_string(*p.max_tokens) + ") exceeds the context of " +
                                 std::to_string(scheduler->n_ctx()), "max_tokens");
      }
      p.gen.max_tokens = p.max_tokens ? *p.max_tokens : std::min({opt.default_max_tokens, opt.max_tokens_cap, room});
    } catch (const HttpError& e) {
      return send_error(res, e.status, e.what(), e.param);
    } catch (const Error& e) {  // template or tokenizer refused the input
      return send_error(res, 400, e.what(), chat ? "messages" : "prompt");
    }

    auto job = std::make_shared<Job>(std::move(p.gen));
    pass->track(job);
    if (!scheduler->submit(job)) {
      return send_error(res, 429, "all " + std::to_string(opt.parallel) + " slots are busy and the queue (" +
                                      std::to_string(opt.max_queue) + ") is full; retry later");
    }
    const std::string id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(next_id.fetch_add(1));
    res.stats.response_id = id;
    auto reply = std::make_shared<ReplyFormat>(chat, id, unix_now(), opt.model_id, job->request().logprobs, *tok);
    if (p.stream) {
      stream(req, res, job, reply, p.include_usage, std::move(pass));
    } else {
      whole(req, res, job, *reply);
    }
  }

  // The reply in one body. While waiting, the connection is polled: a client that hung up
  // cancels its job, which frees the slot and its KV cache on the scheduler's next pass.
  void whole(const HttpRequest& req, HttpResponse& res, const std::shared_ptr<Job>& job, ReplyFormat& reply) {
    std::string text;
    std::vector<SampleLogprobs> logprobs;
    JobOutput piece;
    auto take = [&] {
      if (!piece.text.empty()) note_first_token(res.stats, req.received);
      text += piece.text;
      logprobs.insert(logprobs.end(), piece.logprobs.begin(), piece.logprobs.end());
    };
    while (!job->wait(piece, std::chrono::milliseconds(50))) {
      take();
      if (peer_hung_up(req.fd)) {
        job->cancel();
        res.status = 499;  // nobody reads it; names the case in the request log / metrics
        return;
      }
    }
    take();
    const GenResult r = job->result();
    note_tokens(res.stats, r);
    if (r.finish_reason == "error") return send_error(res, 500, "generation failed: " + r.error);
    res.set_content(reply.whole(text, logprobs, r).dump(), "application/json");
  }

  // Server-sent events. The provider runs on this request's handler thread and only waits
  // on the job (with a timeout), so a slow client slows only itself; a failed write or a
  // closed socket cancels the job and frees its slot.
  void stream(const HttpRequest& req, HttpResponse& res, std::shared_ptr<Job> job, std::shared_ptr<ReplyFormat> reply,
              bool include_usage, std::shared_ptr<DrainGate::Pass> pass) {
    res.set_header("Cache-Control", "no-cache");
    res.content_type = "text/event-stream";
    const auto received = req.received;
    res.stream = [job, reply, include_usage, received, pass](StreamSink& sink) {
      auto send = [&](const json& j) {
        const std::string line = "data: " + j.dump() + "\n\n";
        return sink.write(line);
      };
      if (reply->chat() && !send(reply->first_chunk())) return job->cancel();
      for (;;) {
        JobOutput piece;
        const bool done = job->wait(piece, std::chrono::milliseconds(100));
        if (!sink.is_writable()) return job->cancel();
        if (!piece.text.empty() || !piece.logprobs.empty()) {
          if (!piece.text.empty()) note_first_token(sink.stats(), received);
          if (!send(reply->chunk(piece.text, piece.logprobs))) return job->cancel();
        }
        if (!done) continue;
        const GenResult r = job->result();
        note_tokens(sink.stats(), r);
        if (r.finish_reason == "error") {
          send(error_body("generation failed: " + r.error, "server_error"));
        } else {
          send(reply->last_chunk(r));
          if (include_usage) send(reply->usage_chunk(r));
        }
        sink.write("data: [DONE]\n\n");
        return;
      }
    };
  }
};

Server::Server(std::shared_ptr<const Model> model, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(options))) {}

Server::~Server() {
  stop();
}

int Server::bind() {
  Impl& d = *impl_;
  d.bound_port = d.http->bind(d.opt.host, d.opt.port);
  return d.bound_port;
}

void Server::run() {
  Impl& d = *impl_;
  if (d.opt.log_requests) {
    write_log_line({{"event", "start"}, {"model", d.opt.model_id}, {"address", d.opt.host + ":" + std::to_string(d.bound_port)},
                    {"parallel", d.opt.parallel}, {"max_queue", d.opt.max_queue}, {"max_connections", d.opt.max_connections},
                    {"max_body", d.opt.max_body}, {"request_timeout_s", d.opt.request_timeout},
                    {"keep_alive_timeout_s", d.opt.keep_alive_timeout}, {"api_keys", d.opt.api_keys.size()},
                    {"cors", !d.opt.cors_origins.empty()}});
  }
  d.http->run();
  if (d.opt.log_requests) write_log_line({{"event", "stop"}, {"requests", d.answered.load()}});
}

void Server::drain(std::chrono::milliseconds timeout) {
  Impl& d = *impl_;
  if (d.opt.log_requests) {
    write_log_line({{"event", "drain"}, {"in_flight", d.gate.in_flight()}, {"timeout_s", timeout.count() / 1000.0}});
  }
  const DrainOutcome out = d.gate.drain(std::chrono::steady_clock::now() + timeout);
  if (d.opt.log_requests) {
    write_log_line({{"event", "drained"}, {"in_flight", out.in_flight}, {"finished", out.in_flight - out.cancelled},
                    {"cancelled", out.cancelled}, {"seconds", out.seconds}});
  }
  d.http->stop();
}

void Server::stop() {
  impl_->gate.cancel_all();  // handlers end their replies at once, so the transport's stop is prompt
  impl_->http->stop();
}

const std::string& Server::model_id() const { return impl_->opt.model_id; }

const ReservedMemory& Server::reserved() const { return impl_->scheduler->reserved(); }

}  // namespace tern::server
