// `tern serve`: an OpenAI-compatible HTTP server (src/server) over one model.
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include "server/server.h"
#include "tools/command.h"
#include "tools/model_flags.h"

namespace tern::cli {
namespace {

struct ServeOptions {
  ModelFlags model;
  server::ServerOptions server;
};

int run_serve(ServeOptions& o) {
  auto model = Model::load(o.model.model, model_options(o.model));
  require_tokenizer(*model);
  o.server.session = session_options(o.model);
  o.server.chat_template = model_chat_template(*model);
  // SIGINT / SIGTERM are taken by a thread of their own (sigwait) that stops the server:
  // blocked here, before any thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
#ifdef __GLIBC__
  // One malloc arena for every thread: glibc would otherwise create an arena (and its
  // first pages) for each handler thread the first time it allocates, so RSS would creep
  // up as a load test wakes threads; requests allocate little, contention is negligible.
  mallopt(M_ARENA_MAX, 1);
#endif
  server::Server srv(model, o.server);
  const int port = srv.bind();
  const std::string ctx = o.server.session.n_ctx > 0 ? std::to_string(o.server.session.n_ctx) : "the model's";
  std::fprintf(stderr, "tern serve: %s on http://%s:%d (%d slot%s batched per decode step, context %s per slot)\n", srv.model_id().c_str(),
               o.server.host.c_str(), port, o.server.parallel, o.server.parallel == 1 ? "" : "s", ctx.c_str());
  const server::ReservedMemory& mem = srv.reserved();
  std::fprintf(stderr, "tern serve: reserved and touched %.1f MB for %d slot%s (KV caches %.1f MB, scratch %.1f MB); model %.1f MB mapped and read once\n",
               static_cast<double>(mem.kv_bytes + mem.scratch_bytes) / 1e6, o.server.parallel,
               o.server.parallel == 1 ? "" : "s", static_cast<double>(mem.kv_bytes) / 1e6,
               static_cast<double>(mem.scratch_bytes) / 1e6, static_cast<double>(model->report().file_bytes) / 1e6);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    srv.stop();
  });
  srv.run();
  // run() returned without a signal (it could not serve): wake the waiter ourselves.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return 0;
}

const bool registered = register_command({"serve", "OpenAI-compatible HTTP server (chat and completions, SSE streaming)",
    [](CLI::App& sub) {
      auto o = std::make_shared<ServeOptions>();
      add_model_flags(sub, o->model);
      sub.add_option("--host", o->server.host, "address to listen on (default loopback only)");
      sub.add_option("--port", o->server.port, "TCP port (0 = any free port)")->check(CLI::Range(0, 65535));
      sub.add_option("--parallel", o->server.parallel, "slots: generations running at once")->check(CLI::Range(1, 256));
      sub.add_option("--max-body", o->server.max_body, "largest request body in bytes (larger -> 413)");
      sub.add_option("--max-queue", o->server.max_queue, "requests that may wait for a slot (more -> 429)");
      sub.add_option("--prefill-chunk", o->server.prefill_chunk,
                     "prompt tokens evaluated between two batched decode steps (0 = the batch size -b)")
          ->check(CLI::NonNegativeNumber);
      sub.add_option("-a,--alias", o->server.model_id,
                     "the model's name in /v1/models and in replies (default: the file's stem); requests may name any model");
      sub.add_option("--max-tokens-cap", o->server.max_tokens_cap, "largest max_tokens a request may ask")
          ->check(CLI::PositiveNumber);
      return [o] { return run_serve(*o); };
    }, 30});

}  // namespace
}  // namespace tern::cli
