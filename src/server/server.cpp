#include "server/server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include "chat/chat_prompt.h"
#include "server/client_socket.h"
#include "server/handler_pool.h"
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

json error_body(const std::string& message, const std::string& type, const std::string& param = "") {
  return {{"error", {{"message", message}, {"type", type}, {"param", param.empty() ? json(nullptr) : json(param)},
                     {"code", nullptr}}}};
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& param = "") {
  res.status = status;
  const char* type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
  res.set_content(error_body(message, type, param).dump(), "application/json");
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
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
  httplib::Server http;
  std::atomic<uint64_t> next_id{1};
  int bound_port = -1;

  Impl(std::shared_ptr<const Model> m, ServerOptions o)
      : model(std::move(m)), opt(std::move(o)), chat_template(ChatTemplate::from_model(opt.chat_template)) {
    tok = model->tokenizer();
    if (!tok) throw Error(model->path() + ": the model has no tokenizer (tokenizer.ggml.*); the server needs one");
    if (opt.model_id.empty()) opt.model_id = std::filesystem::path(model->path()).stem().string();
    scheduler = std::make_unique<Scheduler>(model, *tok, opt.session, opt.parallel, opt.max_queue, opt.prefill_chunk);
    routes();
  }

  void routes() {
    http.set_payload_max_length(opt.max_body);
    // Enough handler threads for every slot, every queued request and a few probes, so a
    // request that reaches the queue is never stuck behind httplib's own thread pool.
    const size_t threads = static_cast<size_t>(opt.parallel) + opt.max_queue + 4;
    http.new_task_queue = [this, threads] { return new HandlerPool(threads, [this] { warm_up_handler(); }); };
    http.set_read_timeout(30, 0);
    http.set_write_timeout(30, 0);
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string msg = res.status == 413 ? "request body too large" : res.status == 404 ? "no such route" : "error";
      res.set_content(error_body(msg, "invalid_request_error").dump(), "application/json");
    });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      static const char* known[] = {"/health", "/v1/models", "/metrics", "/v1/chat/completions", "/v1/completions"};
      std::string endpoint = "other";
      for (const char* k : known)
        if (req.path == k) endpoint = k;
      metrics.count_request(endpoint, res.status);
    });
    http.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    http.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(models_list(opt.model_id).dump(), "application/json");
    });
    // Requests accept any model name, but a lookup answers only for the name this server
    // lists: a client asking whether a model exists gets the truth.
    http.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.matches[1] != opt.model_id) {
        return send_error(res, 404, "The model '" + std::string(req.matches[1]) + "' does not exist; this server serves '" +
                                        opt.model_id + "'", "model");
      }
      res.set_content(model_object(opt.model_id).dump(), "application/json");
    });
    http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics.render(*scheduler), "text/plain; version=0.0.4");
    });
    http.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
      complete(req, res, /*chat=*/true);
    });
    http.Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
      complete(req, res, /*chat=*/false);
    });
  }

  ParseLimits limits() const {
    ParseLimits l;
    l.model_id = opt.model_id;
    l.max_tokens_cap = opt.max_tokens_cap;
    l.n_vocab = tok->n_vocab();
    l.template_knows_tools = template_knows_tools(chat_template.source());
    return l;
  }

  // A chat request's handler-side work without the model (parse, template, tokenize,
  // one reply chunk), run once per handler thread at start (HandlerPool): the tokenizer's
  // thread-local buffers and the allocator's first blocks for them exist before the first
  // real request, so serving does not grow the process.
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

  void complete(const httplib::Request& req, httplib::Response& res, bool chat) {
    ParsedRequest p;
    try {
      p = parse_request(req.body, chat, limits());
      if (chat) {
        std::lock_guard<std::mutex> lock(template_mu);
        p.gen.prompt = chat::chat_prompt_ids(chat_template, *tok, p.messages);
      } else {
        p.gen.prompt = p.prompt_ids ? *p.prompt_ids : chat::text_prompt_ids(*tok, p.prompt);
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
    if (!scheduler->submit(job)) {
      return send_error(res, 429, "all " + std::to_string(opt.parallel) + " slots are busy and the queue (" +
                                      std::to_string(opt.max_queue) + ") is full; retry later");
    }
    const std::string id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(next_id.fetch_add(1));
    auto reply = std::make_shared<ReplyFormat>(chat, id, unix_now(), opt.model_id, job->request().logprobs, *tok);
    if (p.stream) {
      stream(res, job, reply, chat, p.include_usage);
    } else {
      whole(req, res, job, *reply);
    }
  }

  // The reply in one body. While waiting, the connection is polled: a client that hung up
  // cancels its job, which frees the slot and its KV cache on the scheduler's next pass.
  void whole(const httplib::Request& req, httplib::Response& res, const std::shared_ptr<Job>& job, ReplyFormat& reply) {
    const int fd = find_connection_fd(req.remote_addr, req.remote_port, req.local_port);
    std::string text;
    std::vector<SampleLogprobs> logprobs;
    JobOutput piece;
    auto take = [&] {
      text += piece.text;
      logprobs.insert(logprobs.end(), piece.logprobs.begin(), piece.logprobs.end());
    };
    while (!job->wait(piece, std::chrono::milliseconds(50))) {
      take();
      if (peer_hung_up(fd)) {
        job->cancel();
        res.status = 499;  // nobody reads it; names the case in the request log / metrics
        return;
      }
    }
    take();
    const GenResult r = job->result();
    if (r.finish_reason == "error") return send_error(res, 500, "generation failed: " + r.error);
    res.set_content(reply.whole(text, logprobs, r).dump(), "application/json");
  }

  // Server-sent events. The provider runs on this request's handler thread and only waits
  // on the job (with a timeout), so a slow client slows only itself; a failed write or a
  // closed socket cancels the job and frees its slot.
  void stream(httplib::Response& res, std::shared_ptr<Job> job, std::shared_ptr<ReplyFormat> reply, bool chat,
              bool include_usage) {
    auto started = std::make_shared<bool>(false);
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [job, reply, chat, include_usage, started](size_t, httplib::DataSink& sink) {
          auto send = [&](const json& j) {
            const std::string line = "data: " + j.dump() + "\n\n";
            return sink.write(line.data(), line.size());
          };
          if (!*started) {
            *started = true;
            if (chat && !send(reply->first_chunk())) return job->cancel(), false;
          }
          JobOutput piece;
          const bool done = job->wait(piece, std::chrono::milliseconds(100));
          if (!sink.is_writable()) return job->cancel(), false;
          if ((!piece.text.empty() || !piece.logprobs.empty()) && !send(reply->chunk(piece.text, piece.logprobs))) {
            return job->cancel(), false;
          }
          if (!done) return true;
          const GenResult r = job->result();
          if (r.finish_reason == "error") {
            send(error_body("generation failed: " + r.error, "server_error"));
          } else {
            send(reply->last_chunk(r));
            if (include_usage) send(reply->usage_chunk(r));
          }
          static const std::string kDone = "data: [DONE]\n\n";
          sink.write(kDone.data(), kDone.size());
          sink.done();
          return true;
        },
        [job](bool) { job->cancel(); });  // harmless after the end; frees the slot if the client left
  }
};

Server::Server(std::shared_ptr<const Model> model, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(options))) {}

Server::~Server() {
  stop();
}

int Server::bind() {
  Impl& d = *impl_;
  if (d.opt.port == 0) {
    d.bound_port = d.http.bind_to_any_port(d.opt.host);
  } else if (d.http.bind_to_port(d.opt.host, d.opt.port)) {
    d.bound_port = d.opt.port;
  }
  if (d.bound_port <= 0) {
    throw Error("serve: cannot listen on " + d.opt.host + ":" + std::to_string(d.opt.port) +
                " (address in use, or not an address of this machine)");
  }
  return d.bound_port;
}

void Server::run() { impl_->http.listen_after_bind(); }

void Server::stop() {
  if (impl_->http.is_running()) impl_->http.stop();
}

const std::string& Server::model_id() const { return impl_->opt.model_id; }

const ReservedMemory& Server::reserved() const { return impl_->scheduler->reserved(); }

}  // namespace tern::server
